#!/usr/bin/env bash
# Pack what a lent GPU machine (torch + transformers, no network, no pydantic/orjson/gguf) needs to run
# an experiment file, in transfers of at most 64 MiB each (the device tool's limit per call):
#   .gpu/c1/  the first part of the SmolLM2 GGUF
#   .gpu/c2/  the second part, its sha256, the code (and the data sets c3 has no room for)
#   .gpu/c3/  the data sets and the wheels the core library needs there (each call also carries the repository
#             itself, ~12 MB as the device tool counts it: the parts are sized so that c1 and c2 stay under 64 MiB)
#   .gpu/c4/  only when needed: the data sets c3 and c2 have no room for
#   .gpu/g1..g5/  with GEMMA=1: the Gemma-3-270M GGUF (253 MB) in five parts, its sha256 in g5 (recipe gemma3);
#                 its tokenizer as converted here goes in c2
# Usage: [EXPERIMENT=experiments/x.yaml] [ONLY=a,b] [GEMMA=1] scripts/gpu/pack.sh WORKDIR
#   (WORKDIR: an experiment work dir whose data stage has run with the committed code)
#   GPU_DIR=dir writes the transfers there instead of .gpu; WHEELS=0 downloads no wheels (a check of the packing
#   alone, as tests/experiments/test_gpu_pack.py makes; a real run needs them)
# Then, on the device, consecutive calls (the machine stays warm 30 s between calls):
#   call 1 (carry .gpu/c1): bash scripts/gpu/device.sh receive c1
#   call 2 (carry .gpu/c2): bash scripts/gpu/device.sh receive c2
#   call 3 (carry .gpu/c3): bash scripts/gpu/device.sh receive c3 && bash scripts/gpu/device.sh run FILE [--only ...]
# See scripts/gpu/README.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
work=${1:?usage: scripts/gpu/pack.sh WORKDIR}
out=${GPU_DIR:-.gpu}   # where the transfers go (the device tool carries .gpu/cN: keep the default for a real run)
PY=${PY:-.venv/bin/python}
case $PY in /*) ;; *) PY=$PWD/$PY ;; esac      # absolute: the data check below runs in another directory
case $work in /*) ;; *) work=$PWD/$work ;; esac
PART1_BYTES=${PART1_BYTES:-53000000}
rm -rf "$out"/c? "$out"/g?
mkdir -p "$out"/c1 "$out"/c2 "$out"/c3/wheels
grep -qx '/.gpu/' .git/info/exclude 2>/dev/null || echo '/.gpu/' >> .git/info/exclude

gguf=$("$PY" -c 'from xlam.assets import smollm2_gguf; print(smollm2_gguf())')
head -c "$PART1_BYTES" "$gguf" > "$out"/c1/model.part1
tail -c +"$((PART1_BYTES + 1))" "$gguf" > "$out"/c2/model.part2
(cd "$(dirname "$gguf")" && sha256sum "$(basename "$gguf")") > "$out"/c2/model.sha256

if [ -n "${GEMMA:-}" ]; then  # device.sh receive g1 ... g5, then run: it assembles and checks the file
  gemma=$("$PY" -c 'from xlam.assets import gemma3_gguf; print(gemma3_gguf())')
  split -n 5 -d -a 1 "$gemma" "$out"/gemma.part
  for i in 0 1 2 3 4; do mkdir -p "$out/g$((i + 1))" && mv "$out/gemma.part$i" "$out/g$((i + 1))/gemma.part$((i + 1))"; done
  (cd "$(dirname "$gemma")" && sha256sum "$(basename "$gemma")") > "$out"/g5/gemma.sha256
  # Its tokenizer as converted here: the device's transformers (5.17) reads Gemma's GGUF tokenizer as one token
  # per character (run 7); device.sh points XLAM_GEMMA3_TOKENIZER at this copy (5.6 MB compressed, in c2: c3's
  # data sets filled it in run 11).
  tokdir=$("$PY" -c 'from xlam.training.models import gguf_tokenizer_dir; from xlam.training.recipes import get_recipe
print(gguf_tokenizer_dir(get_recipe("gemma3")))')
  tar -czf "$out"/c2/gemma-tokenizer.tar.gz -C "$tokdir" .
fi

# Pure-Python or cp312 manylinux wheels of the versions this venv runs (the device has Python 3.12).
pins=$("$PY" - <<'PYEOF'
from importlib.metadata import version
for name in ("pydantic", "pydantic_core", "annotated-types", "typing-inspection", "orjson", "gguf", "zstandard",
             "bfcl-eval", "docstring-parser", "jsonschema", "jsonschema-specifications", "referencing",
             "rpds-py", "jsonpointer"):
    print(f"{name}=={version(name)}")
PYEOF
)
# shellcheck disable=SC2086
[ "${WHEELS:-1}" = 0 ] || "$PY" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
  -d "$out"/c3/wheels $pins

# The code as committed (HEAD), so uncommitted edits in this checkout never reach a measured run.
git archive --format=tar HEAD xlam experiments | gzip -1 > "$out"/c2/src.tar.gz
git rev-parse HEAD > "$out"/c2/src.commit
# Data keys hash the data recipe as that code reads it: check with the archived code that every data set
# the device will look for is here (data built from uncommitted edits has other keys and would be missing).
check=$(mktemp -d) && tar -xzf "$out"/c2/src.tar.gz -C "$check"
(cd "$check" && PYTHONPATH="$check" "$PY" -m xlam.experiments "${EXPERIMENT:-experiments/fc-smol.yaml}" \
  --workdir "$work" --check-data ${ONLY:+--only "$ONLY"}) || { rm -rf "$check"; exit 1; }
rm -rf "$check"

# The repository's files as the device tool counts them (disk blocks, not bytes: 11.8 MB against 10.6 MB).
limit=$((64 * 1024 * 1024 - 1024 * $(git ls-files -z | du -c --files0-from=- | tail -1 | cut -f1)))

# The experiment's data sets (built by its data stage here, on the CPU), one archive each (with its DPO pairs);
# evaluations already scored (e.g. by an earlier lease) in one more: the device resumes them. Each archive goes
# in c3 while it fits beside the repository, else in c2, else in c4, one more transfer (`device.sh receive c4`
# before `run`); `device.sh run` unpacks every data*.tar.xz it received. xz -9: a 12k data set is 1.7 MB (gzip: 5 MB,
# so ten of them needed a fourth transfer in the twelfth session).
for dir in "$work"/data/*/; do
  key=$(basename "$dir")
  (cd "$work" && tar -cf - "data/$key/recipe.json" $(ls -d "data/$key/dataset" "data/$key/pairs" 2>/dev/null)) \
    | xz -9 -T0 > "$out/data-$key.tar.xz"
done
evals=$(cd "$work" && ls -d eval/*/ 2>/dev/null || true)
if [ -n "$evals" ]; then (cd "$work" && tar -cf - $evals) | xz -9 -T0 > "$out"/data-eval.tar.xz; fi
for archive in "$out"/data-*.tar.xz; do
  size=$(stat -c %s "$archive")
  for part in "$out"/c3 "$out"/c2 "$out"/c4; do
    mkdir -p "$part"
    if [ $(($(du -sb "$part" | cut -f1) + size)) -le "$limit" ]; then mv "$archive" "$part/"; break; fi
  done
  [ ! -f "$archive" ] || { echo "$archive ($size bytes) fits no transfer: pack fewer variants (ONLY=...)" >&2; exit 1; }
done
if [ -d "$out"/c4 ] && ! rmdir "$out"/c4 2>/dev/null; then echo "c4 holds data sets: send it (device.sh receive c4) before the run"; fi
du -sh "$out"/c? $(ls -d "$out"/g? 2>/dev/null)
for part in "$out"/c? $(ls -d "$out"/g? 2>/dev/null); do
  size=$(du -sb "$part" | cut -f1)
  [ "$size" -le "$limit" ] || { echo "$part: $size bytes, over the $limit a call may carry beside the repository" >&2; exit 1; }
done
