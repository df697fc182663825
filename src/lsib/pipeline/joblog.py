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
def _descriptors_to(fd: int) -> Iterator[None]:
    """Point file descriptors 1 and 2 at ``fd`` (``os.dup2``) for the block, then restore them.

    Python's ``sys.stderr`` only reaches Python code; what C extensions, torch's compiler or a
    subprocess write goes to the descriptors, which a SLURM job would otherwise send to files
    the executor deletes when the job succeeds.
    """
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    saved = [os.dup(1), os.dup(2)]
    try:
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        yield
    finally:
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        for target, copy in zip((1, 2), saved):
            os.dup2(copy, target)
            os.close(copy)


@contextlib.contextmanager
def job_log(path: str | os.PathLike[str]) -> Iterator[Callable[[str], None]]:
    """Open ``path`` and yield ``log(message)``; stderr (warnings) and descriptors 1 and 2 go there too.

    An exception inside the block is written to the log with its traceback and re-raised,
    so a failed job's log says why it failed.
    """
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with open(path, "w", buffering=1) as f:

        def log(message: str) -> None:
            f.write(f"[{time.strftime('%H:%M:%S')} +{time.perf_counter() - started:7.1f}s] {message}\n")

        with _descriptors_to(f.fileno()), contextlib.redirect_stderr(f):
            try:
                yield log
            except BaseException:
                f.write(traceback.format_exc())
                raise
            finally:
                sys.stderr.flush()
        log("done")
