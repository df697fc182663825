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
# `timeout`, so the whole script cannot pass 7 min (100 + 130 + 170 s + ~15 s of checks):
#   pytest -m "gpu and not slow"  ≤ 100 s  tests/measure/test_gpu.py (two compilations among them)
#   bench_train.py                ≤ 130 s  5 rows × (start-up + 20 warm-up + 200 timed batches of
#                                          128: 25,600 images, ≥ 1 s even at 20,000 images/s)
#                                          + one ResNet-56 compilation (~40 s) in the "+ compile" row
#   bench_sharing.py              ≤ 170 s  k = 1, 2, 4, 8, each ≤ 60 s: compilation + 4 epochs of
#                                          10,000 images per process, epochs 2–4 counted (30,000 × k)
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
  "$PYTHON" -c "import $module" 2>/dev/null || skip "$module is not installed: the tests that import it cannot run"
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
skip "the quick graph on CUDA (test_quick_graph_runs_on_cuda, slow: minutes): run pytest -m gpu alone"
step pytest 100 "$PYTHON" -m pytest -q -m "gpu and not slow" -p no:cacheprovider
step bench_train 130 "$PYTHON" benchmarks/bench_train.py --device cuda --warmup 20 --steps 200
step bench_sharing 170 "$PYTHON" benchmarks/bench_sharing.py --device cuda --ks 1 2 4 8 --n-train 10000 \
  --epochs 4 --timeout 60

# 4. One table.
"$PYTHON" benchmarks/acceptance_table.py "$logs" "$out"
