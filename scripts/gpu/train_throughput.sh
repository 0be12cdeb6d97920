#!/usr/bin/env bash
# Training-step throughput on one lent GPU (issue 19): every variant and its same-run baselines in one call.
#
# On the device machine (torch + transformers there; no network), from the repository root:
#   bash scripts/gpu/train_throughput.sh            # writes $OUT/train_throughput.json, profiles, log
# Needs the pure-Python wheels the core imports (pydantic, pydantic_core, annotated_types,
# typing_inspection, orjson) in .whl/ (see /work/.library/device/README.md "Notes"; carry: [".whl"]).
# Environment: OUT (results folder, default ./out), SLICES, VARIANTS, STEPS, ROWS, EXTRA (more flags).
set -uo pipefail
OUT=${OUT:-out}
mkdir -p "$OUT"
if ls .whl/*.whl >/dev/null 2>&1; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
    && export PYTHONPATH=/tmp/site${PYTHONPATH:+:$PYTHONPATH} || exit 1
fi
export USE_HUB_KERNELS=0 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 PYTHONUNBUFFERED=1
export NCCL_NVLS_ENABLE=0 TORCH_SYMM_MEM_DISABLE_MULTICAST=1 NVSHMEM_DISABLE_NVLS=1
SLICES=${SLICES:-mixtral-8x7b-2L,mixtral-8x22b-1L,smol}
VARIANTS=${VARIANTS:-hf,hf_grouped,xlam,xlam_ga,fast_ga,fast_compile_ga,fast_compile_ga16,fast_compile_mb4,fast_mb,fast_mb_compile}
{
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
  python3 -c "import torch, transformers; print('torch', torch.__version__, 'transformers', transformers.__version__)"
  python3 benchmarks/train_throughput.py --seq 4096 --steps "${STEPS:-6}" --grad-accum 4 --rows "${ROWS:-16}" \
    --only "$SLICES" --variants "$VARIANTS" --mb-slices smol --profile mixtral-8x7b-2L --profile-variants xlam_ga,fast_ga,fast_compile_mb4 --check \
    --out-dir "$OUT" --json "$OUT/train_throughput.json" ${EXTRA:-}
} 2>&1 | tee "$OUT/train_throughput.log"
