"""How many GPUs this machine shows, found without torch (the Snakefile asks while parsing).

Snakemake bounds a resource only when told (``--resources``, a profile). Without a bound, plain
``snakemake --cores N`` on a GPU box starts as many model jobs on one GPU as the cores allow, so
the workflow grants ``jobs_per_gpu`` × (visible GPUs) ``gpu_slots`` itself whenever the command
line did not (``workflow/rules/common.smk``). Importing torch there would cost seconds per parse
and initialise CUDA in the Snakemake process; ``nvidia-smi -L`` costs neither.
"""

from __future__ import annotations

import os
import subprocess

#: Environment variable that overrules the detection (tests; a box whose driver tools are hidden).
GPUS_ENV = "LSIB_GPUS"


def visible_gpus() -> int:
    """``$LSIB_GPUS`` if set; else the GPUs ``nvidia-smi -L`` lists, capped by ``CUDA_VISIBLE_DEVICES``.

    ``CUDA_VISIBLE_DEVICES`` is what a job's CUDA will see: CUDA stops at its first invalid
    entry, so ``-1`` or an empty value hides every GPU. No ``nvidia-smi`` (no driver): 0.
    """
    if (forced := os.environ.get(GPUS_ENV)) is not None:
        return int(forced)
    try:
        listing = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=30, check=True)
    except (OSError, subprocess.SubprocessError):
        return 0
    count = sum(line.startswith("GPU ") for line in listing.stdout.splitlines())
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is None:
        return count
    entries = 0
    for entry in visible.split(","):
        if not entry.strip() or entry.strip().startswith("-"):
            break
        entries += 1
    return min(count, entries)
