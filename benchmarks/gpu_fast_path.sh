#!/usr/bin/env bash
# The fast path on a GPU machine, in one run: eager, --compile, --compile --cudagraphs (and with
# --amp bf16 --tf32) for sac_dense, sac_simba at full width and mst_sac (--compile only: masks),
# training-phase and wall steps/s from benchmarks/bench_sps.py, HalfCheetah-v5, CUDA.
#
#     bash benchmarks/gpu_fast_path.sh [STEPS] [REPEATS]   # default 3000 training steps, 2 repeats
#
# Each configuration is a bench_sps.py call (its runs alternate within the call); the first
# compile and capture fall inside the warm-up's first updates, which bench_sps.py leaves out
# of the training-phase rate (the wall rate includes them).
set -euo pipefail
cd "$(dirname "$0")/.."
STEPS=${1:-3000}
REPEATS=${2:-2}
bench() {  # bench SCRIPT [script flags]
  local script=$1
  shift
  python benchmarks/bench_sps.py "$script" --steps "$STEPS" --repeats "$REPEATS" -- --device cuda "$@"
}
python -c "import torch; assert torch.cuda.is_available(), 'no CUDA device'; print(torch.__version__, torch.cuda.get_device_name())"
for script in generated/sac_dense.py generated/sac_simba.py; do
  echo "== $script: eager"; bench "$script"
  echo "== $script: --compile"; bench "$script" --compile
  echo "== $script: --compile --cudagraphs"; bench "$script" --compile --cudagraphs
  echo "== $script: --compile --cudagraphs --amp bf16 --tf32"; bench "$script" --compile --cudagraphs --amp bf16 --tf32
done
echo "== generated/mst_sac.py: eager"; bench generated/mst_sac.py
echo "== generated/mst_sac.py: --compile"; bench generated/mst_sac.py --compile
