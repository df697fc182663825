"""Which GPU a job uses when Snakemake runs k GPU jobs per GPU on one machine.

Snakemake caps how many GPU jobs run at once (each asks for one ``gpu_slots``; the profile
grants k × the number of GPUs) but does not say which GPU each job should use. A job
therefore claims a *slot*: the lock files ``{lock_dir}/gpu{g}-slot{j}`` are tried in the order
``(j, g) = (0, 0), (0, 1), …, (0, n−1), (1, 0), …`` and the first one the job can lock
(``fcntl.flock``, exclusive, non-blocking) names its GPU ``g``. The lock is held until the
process ends; the kernel drops it then, also after SIGKILL, so no stale claim survives a
crash. With at most k·n jobs at once every job finds a free slot with ``j < k`` (reaching
``j = k`` would need all k·n slots below it held), so no GPU ever serves more than k jobs,
and the first n jobs go to n different GPUs.
"""

from __future__ import annotations

import fcntl
import itertools
import os
from pathlib import Path
from typing import IO

#: Environment variable naming the lock directory (default: :func:`default_lock_dir`).
LOCK_DIR_ENV = "LSIB_GPU_LOCK_DIR"
#: Machine-wide folders, first usable one wins: not ``$TMPDIR`` or ``/tmp``, which SLURM may make
#: private to each job (``job_container/tmpfs`` also covers ``/dev/shm``), where every job would
#: claim GPU 0.
SHARED_DIRS = ("/var/tmp", "/dev/shm")

_held: list[IO[bytes]] = []  # open lock files of this process's claims (closing one releases it)


def default_lock_dir() -> Path:
    """``$LSIB_GPU_LOCK_DIR``, else ``{shared}/lsib-gpu-slots-{uid}`` (shared by this user's jobs on this machine).

    ``{shared}`` is the first writable folder of :data:`SHARED_DIRS`; where none is, set
    ``$LSIB_GPU_LOCK_DIR`` (the error says so).
    """
    if os.environ.get(LOCK_DIR_ENV):
        return Path(os.environ[LOCK_DIR_ENV])
    for shared in SHARED_DIRS:
        if os.access(shared, os.W_OK | os.X_OK):
            return Path(shared) / f"lsib-gpu-slots-{os.getuid()}"
    raise RuntimeError(f"none of {SHARED_DIRS} is writable for GPU slot locks: set ${LOCK_DIR_ENV} to a shared folder")


def claim_gpu(n_gpus: int, lock_dir: str | os.PathLike[str] | None = None) -> int:
    """Claim the first free slot ``(j, g)`` in the order above and return its GPU index ``g``.

    The claim lasts as long as this process (see :func:`release_all` for tests).
    """
    if n_gpus < 1:
        raise ValueError(f"n_gpus must be ≥ 1, got {n_gpus}")
    directory = Path(lock_dir) if lock_dir is not None else default_lock_dir()
    directory.mkdir(parents=True, exist_ok=True)
    for slot in itertools.count():
        for gpu in range(n_gpus):
            handle = open(directory / f"gpu{gpu}-slot{slot}", "ab")  # noqa: SIM115 (kept open: it holds the lock)
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            _held.append(handle)
            return gpu
    raise AssertionError("unreachable: itertools.count() is endless")


def release_all() -> None:
    """Release every slot this process holds (normally left to process exit)."""
    while _held:
        _held.pop().close()
