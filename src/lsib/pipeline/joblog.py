"""Progress logs of workflow jobs: timestamped lines, flushed at once, tracebacks included."""

from __future__ import annotations

import contextlib
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path


@contextlib.contextmanager
def job_log(path: str | os.PathLike[str]) -> Iterator[Callable[[str], None]]:
    """Open ``path`` and yield ``log(message)``; stderr (warnings) goes there too.

    An exception inside the block is written to the log with its traceback and re-raised,
    so a failed job's log says why it failed.
    """
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with open(path, "w", buffering=1) as f:

        def log(message: str) -> None:
            f.write(f"[{time.strftime('%H:%M:%S')} +{time.perf_counter() - started:7.1f}s] {message}\n")

        with contextlib.redirect_stderr(f):
            try:
                yield log
            except BaseException:
                f.write(traceback.format_exc())
                raise
            finally:
                sys.stderr.flush()
        log("done")
