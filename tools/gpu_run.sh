#!/usr/bin/env bash
# The language study at GPU scale on one H200, in one prepared command (see nbs/13_lm_run.ipynb).
#
#   tools/gpu_run.sh prepare     # on the CPU machine: download the pure-Python wheels the GPU machine lacks into build/gpu_wheels
#   tools/gpu_run.sh             # on the GPU machine (repo root): install them with --no-index --no-deps, run, write $OUT/results.json
#   AD_GPU_SMOKE=1 tools/gpu_run.sh   # CPU smoke test: this venv, CI scale, a few steps, same code path
#
# The GPU machine's Python 3.12 has torch, transformers, accelerate, pandas, pyarrow but no trl, datasets, fastcore, nbdev:
# they travel as wheels (build/gpu_wheels, under 64 MiB; carry it with the run) and go into build/gpu_site, never
# touching the system torch. Environment: OUT (results folder, default runs/gpu), AD_GPU_SEEDS (default 2),
# AD_GPU_BUDGET_S (wall-clock budget for the study, default 420), AD_GPU_ALGOS (default dpo,rloo,grpo).
set -euo pipefail
cd "$(dirname "$0")/.."
WHEELS=build/gpu_wheels
SITE=build/gpu_site
OUT=${OUT:-runs/gpu}
mkdir -p "$OUT"
PY=${PYTHON:-python3}

if [[ "${1:-}" == prepare ]]; then
  mkdir -p "$WHEELS"
  # exact versions tested on the CPU side; cp312 manylinux binaries where a package has compiled code
  .venv/bin/pip download -q --no-deps --only-binary=:all: --python-version 3.12 --platform manylinux2014_x86_64 \
     --platform manylinux_2_17_x86_64 --platform manylinux_2_28_x86_64 -d "$WHEELS" \
     trl==1.16.0 datasets==5.2.0 fastcore==2.2.41 "dill<0.4.2" "multiprocess<0.70.20" xxhash
  # used only if `import datasets, trl` fails with the machine's own huggingface_hub / pyarrow (about 45 MB more)
  mkdir -p "$WHEELS/fallback"
  .venv/bin/pip download -q --no-deps --only-binary=:all: --python-version 3.12 --platform manylinux2014_x86_64 \
     --platform manylinux_2_17_x86_64 --platform manylinux_2_28_x86_64 -d "$WHEELS/fallback" huggingface_hub==2.4.0 pyarrow==26.0.1
  du -sh "$WHEELS" "$WHEELS/fallback"; ls "$WHEELS" "$WHEELS/fallback"; exit 0
fi

if [[ -n "${AD_GPU_SMOKE:-}" ]]; then
  PY=.venv/bin/python; SCALE=ci; SEEDS=${AD_GPU_SEEDS:-1}; BUDGET=${AD_GPU_BUDGET_S:-600}
  EXTRA='{"align": {"steps": 3, "dpo_rounds": 1, "dpo_pool": 256, "dpo_pairs": 32}, "n_train": 1000, "n_kd": 1000, "n_eval": 300, "n_heldout": 200}'
else
  SCALE=gpu; SEEDS=${AD_GPU_SEEDS:-2}; BUDGET=${AD_GPU_BUDGET_S:-420}; EXTRA='{}'
  if ! $PY -c 'import trl, datasets, fastcore' 2>/dev/null; then
    ls "$WHEELS"/*.whl >/dev/null 2>&1 || { echo "no wheels in $WHEELS: run 'tools/gpu_run.sh prepare' first and carry build/gpu_wheels"; exit 2; }
    $PY -m pip install -q --no-index --no-deps --target "$SITE" "$WHEELS"/*.whl
  fi
  export PYTHONPATH="$PWD/$SITE${PYTHONPATH:+:$PYTHONPATH}"
  if ! $PY -c 'import datasets, trl' 2>"$OUT/import-error.txt"; then
    echo "import failed with the machine's libraries:"; tail -3 "$OUT/import-error.txt"
    ls "$WHEELS"/fallback/*.whl >/dev/null 2>&1 && $PY -m pip install -q --no-index --no-deps --target "$SITE" "$WHEELS"/fallback/*.whl
    $PY -c 'import datasets, trl'
  fi
fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"   # the package from this checkout, no install needed
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRL_EXPERIMENTAL_SILENCE=1 TOKENIZERS_PARALLELISM=false
$PY tools/gpu_study.py --out "$OUT" --scale "$SCALE" --seeds "$SEEDS" --budget "$BUDGET" --algorithms "${AD_GPU_ALGOS:-dpo,rloo,grpo}" \
    --override "$EXTRA" 2>&1 | tee "$OUT/log.txt"
