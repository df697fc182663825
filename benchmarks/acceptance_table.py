"""The one markdown table of benchmarks/gpu_acceptance.sh, from its step logs (apart, to be tested on a CPU).

    python benchmarks/acceptance_table.py LOG_DIR OUT.md

LOG_DIR holds ``{step}.log`` and ``{step}.rc`` for the steps pytest, bench_train and
bench_sharing, and ``skipped`` (one line per skipped item). Every figure of the benchmarks'
output becomes one row next to the device, date and versions.
"""

from __future__ import annotations

import datetime
import importlib.metadata
import platform
import re
import subprocess
import sys
from pathlib import Path

STEPS = ("pytest", "bench_train", "bench_sharing")
STATUS = {0: "ok", 124: "ran out of time (timeout)"}


def figures(step: str, text: str) -> list[tuple[str, str]]:
    """The rows one step's log contributes."""
    lines = text.splitlines()
    if step == "pytest":
        summary = [line for line in lines if re.search(r"\b(passed|failed|skipped|deselected|error)\b", line)]
        return [("pytest -m gpu", summary[-1].strip("= ") if summary else "no summary")]
    rows = []
    for line in lines:
        if step == "bench_train":
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if line.startswith("| ") and len(cells) == 7 and cells[1][:1].isdigit():
                rows.append(
                    (
                        f"bench_train: {cells[0]}",
                        f"{cells[1]} images/s, {cells[2]} baseline, {cells[3]} row above, setup {cells[5]}, "
                        f"peak {cells[6]}",
                    )
                )
            elif line.startswith("ratio "):
                rows.append(("bench_train: ratio", line.removeprefix("ratio ")))
        else:
            cells = line.split()
            if cells and cells[0].isdigit():
                value = (
                    " ".join(cells[1:])
                    if cells[1] == "failed:"
                    else f"{cells[1]} images/s from epoch 2 ({cells[2]} per process), sharing factor {cells[3]}, "
                    f"epoch 1 {cells[4]} s"
                )
                rows.append((f"bench_sharing: k = {cells[0]}", value))
    return rows


def environment(device: str) -> list[tuple[str, str]]:
    """Device, date and versions."""
    import torch

    try:
        query = ["nvidia-smi", "--query-gpu=driver_version,memory.total", "--format=csv,noheader"]
        driver = subprocess.run(query, capture_output=True, text=True, check=True).stdout.splitlines()[0]
    except (OSError, subprocess.SubprocessError, IndexError):
        driver = "unknown (nvidia-smi failed)"
    rows = [
        ("device", device),
        ("date", datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")),
        ("driver, memory", driver),
        ("python", platform.python_version()),
        ("torch", f"{torch.__version__} (CUDA {torch.version.cuda}, cuDNN {torch.backends.cudnn.version()})"),
    ]
    for dist in ("snakemake", "grad-cam", "mlxtend"):
        try:
            rows.append((dist, importlib.metadata.version(dist)))
        except importlib.metadata.PackageNotFoundError:
            rows.append((dist, "missing"))
    return rows


def table(logs: Path, device: str) -> str:
    """The whole table: environment, each step's status and figures, what was skipped."""
    rows = environment(device)
    for step in STEPS:
        rc = int((logs / f"{step}.rc").read_text())
        rows.append((f"{step}: status", STATUS.get(rc, f"failed (exit {rc})")))
        rows += figures(step, (logs / f"{step}.log").read_text())
    rows += [("skipped", line.removeprefix("skipped: ")) for line in (logs / "skipped").read_text().splitlines()]
    return "\n".join(["| check | result |", "|---|---|", *(f"| {k} | {v.replace('|', '/')} |" for k, v in rows)])


def main() -> None:
    import torch

    logs, out = Path(sys.argv[1]), Path(sys.argv[2])
    device = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu"
    out.write_text(table(logs, device) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
