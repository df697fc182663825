#!/usr/bin/env bash
# The one GPU acceptance check (issue #18): run as is on a machine with one GPU,
#   bash benchmarks/gpu_acceptance.sh OUT.md        # from anywhere; PYTHON=... to pick the interpreter
# It checks the environment (CUDA visible, torch's CUDA build, which optional packages are
# missing), runs `pytest -m gpu`, benchmarks/bench_train.py --device cuda (ResNet-56,
# CIFAR-shaped) and benchmarks/bench_sharing.py at k = 1, 2, 4, 8, prints what it skipped and
# why, and writes one markdown table (device, date, versions, every figure) to OUT.md.
# Without a CUDA device it exits 1 with one line saying so.
#
# Sizing, ≤ 7 minutes on an H100/H200 (estimates, not measured): each step runs under its own
# `timeout`, so the whole script cannot pass 6.5 min (1 + 130 + 200 + 60 s + start-up):
#   pytest -m gpu            ≤ 60 s   (the CUDA-vs-CPU comparisons of tests/measure/test_gpu.py)
#   bench_train.py           ≤ 130 s  5 rows × (start-up + 20 warm-up + 300 timed batches of 128:
#                                     38,400 images, ≥ 5 s even at 8,000 images/s, a stable rate)
#                                     + one ResNet-56 compilation (~40 s) in the "+ compile" row
#   bench_sharing.py         ≤ 200 s  4 values of k, each: compilation + 4 epochs of 10,000 images
#                                     per process; epochs 2–4 counted (30,000 images × k)
# A step that runs out of time is reported as such in the table; the others still run.
set -u
out=$(realpath -m "${1:?usage: bash benchmarks/gpu_acceptance.sh OUT.md}")
cd "$(dirname "$0")/.."
if [ -z "${PYTHON:-}" ]; then
  if [ -x .venv/bin/python ]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
fi
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}"

# 1. The environment; no CUDA: one line, exit 1.
"$PYTHON" - <<'PY' || exit 1
import sys
try:
    import torch
except ImportError:
    sys.exit("gpu_acceptance: no CUDA device is visible: torch is not installed")
if not torch.cuda.is_available():
    build = f"CUDA build {torch.version.cuda}" if torch.version.cuda else "a CPU-only build"
    sys.exit(f"gpu_acceptance: no CUDA device is visible (torch {torch.__version__}, {build}); nothing was run")
PY
logs=$(mktemp -d)
: >"$logs/skipped"
skip() { echo "skipped: $1" | tee -a "$logs/skipped"; }
for module in snakemake pytorch_grad_cam mlxtend; do
  "$PYTHON" -c "import $module" 2>/dev/null || skip "$module is not installed (tests that need it skip themselves)"
done

# 2. The CUDA tests, then 3. the two benchmarks, each bounded in time.
step() {  # step NAME SECONDS COMMAND...: run, log, record the exit status
  local name=$1 seconds=$2
  shift 2
  echo "== $name (≤ $seconds s)"
  timeout "$seconds" "$@" >"$logs/$name.log" 2>&1
  echo $? >"$logs/$name.rc"
  tail -n 25 "$logs/$name.log"
}
step pytest 60 "$PYTHON" -m pytest -q -m gpu -p no:cacheprovider
step bench_train 130 "$PYTHON" benchmarks/bench_train.py --device cuda --warmup 20 --steps 300
step bench_sharing 200 "$PYTHON" benchmarks/bench_sharing.py --device cuda --ks 1 2 4 8 --n-train 10000 \
  --epochs 4 --timeout 180

# 4. One table.
"$PYTHON" - "$logs" "$out" <<'PY'
import datetime, importlib.metadata, pathlib, platform, re, subprocess, sys

import torch

logs, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
rows = [("device", torch.cuda.get_device_name(0)), ("date", datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"))]
smi = subprocess.run(["nvidia-smi", "--query-gpu=driver_version,memory.total", "--format=csv,noheader"], capture_output=True, text=True)
rows += [("driver, memory", smi.stdout.strip().splitlines()[0] if smi.returncode == 0 else "nvidia-smi failed")]
rows += [("python", platform.python_version()), ("torch", f"{torch.__version__} (CUDA {torch.version.cuda}, cuDNN {torch.backends.cudnn.version()})")]
for dist in ("snakemake", "grad-cam", "mlxtend"):
    try:
        rows.append((dist, importlib.metadata.version(dist)))
    except importlib.metadata.PackageNotFoundError:
        rows.append((dist, "missing"))
for name in ("pytest", "bench_train", "bench_sharing"):
    rc = int((logs / f"{name}.rc").read_text())
    text = (logs / f"{name}.log").read_text()
    status = {0: "ok", 124: "ran out of time"}.get(rc, f"failed (exit {rc})")
    rows.append((f"{name}: status", status))
    if name == "pytest":
        summary = [line for line in text.splitlines() if re.search(r"\b(passed|failed|skipped|deselected)\b", line)]
        rows.append(("pytest -m gpu", summary[-1].strip("= ") if summary else "no summary"))
    elif name == "bench_train":
        for line in text.splitlines():
            cells = [c.strip() for c in line.strip("|").split("|")]
            if line.startswith("| ") and len(cells) == 7 and cells[1][:1].isdigit():
                rows.append((f"bench_train {cells[0]}", f"{cells[1]} images/s, {cells[2]} baseline, {cells[3]} row above, setup {cells[5]}, peak {cells[6]}"))
            elif line.startswith("ratio "):
                rows.append(("bench_train ratio", line))
    else:
        for line in text.splitlines():
            cells = line.split()
            if cells and cells[0].isdigit():
                value = " ".join(cells[1:]) if cells[1] == "failed:" else (
                    f"{cells[1]} images/s (epochs 2+), {cells[2]} per process, sharing factor {cells[3]}, epoch 1 {cells[4]} s")
                rows.append((f"bench_sharing k = {cells[0]}", value))
for line in (logs / "skipped").read_text().splitlines():
    rows.append(("skipped", line.removeprefix("skipped: ")))
table = ["| check | result |", "|---|---|", *(f"| {k} | {v.replace('|', '/')} |" for k, v in rows)]
out.write_text("\n".join(table) + "\n")
print(f"wrote {out}")
PY
