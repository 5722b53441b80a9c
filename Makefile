# The whole set-up on a fresh machine: `make run` (the main job) and `make test` (every test).
SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python
BIN   := $(VENV)/bin
STAMP := $(VENV)/.installed
# No hub is reachable: fail fast instead of waiting for time-outs.
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export HF_DATASETS_OFFLINE := 1
export HF_HUB_DISABLE_TELEMETRY := 1
export TRL_EXPERIMENTAL_SILENCE := 1
export MPLBACKEND := Agg
export TOKENIZERS_PARALLELISM := false

.PHONY: install test run readme sync-check clean docs docs-check

install: $(STAMP)

# torch first and pinned: otherwise pip resolves a multi-GB CUDA build. tools/install.py installs with uv (pinned, same
# packages, about 3x faster) and falls back to pip; AD_INSTALL_WITH=pip forces pip. The stamp makes a second call a no-op.
$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) tools/install.py -c constraints.txt torch==2.13.0 -- -e ".[dev]"
	touch $@

# Fails when nbdev-export or nbdev-clean would change a file: notebooks and library must be committed in sync.
sync-check: install
	@before=$$(git status --porcelain --untracked-files=all -- nbs aligndistill; git diff -- nbs aligndistill | sha1sum); \
	$(BIN)/nbdev-export && $(BIN)/nbdev-clean; \
	after=$$(git status --porcelain --untracked-files=all -- nbs aligndistill; git diff -- nbs aligndistill | sha1sum); \
	if [ "$$before" != "$$after" ]; then \
	  echo "nbdev-export / nbdev-clean changed these files; run them and commit the result:"; \
	  git status --short -- nbs aligndistill; exit 1; fi

test: install sync-check
	$(PY) -m pytest tests -v -rA --durations=15 -n 2 --dist loadgroup

run: install
	$(BIN)/aligndistill mog --seeds 5 --target 0 --out runs/mog
	$(BIN)/aligndistill lm --preset tiny --seeds 1 --out runs/lm-tiny

# README.md is the rendering of nbs/index.ipynb. Quarto (nbdev-readme) where it exists, else proc-nbs + nbconvert.
readme: install
	if command -v quarto >/dev/null; then $(BIN)/nbdev-readme; else \
	  rm -rf README_files && $(BIN)/nbdev-proc-nbs >/dev/null 2>&1 && \
	  $(BIN)/jupyter nbconvert --to markdown _proc/index.ipynb --output README --output-dir . --log-level ERROR \
	    --TemplateExporter.exclude_input=True && \
	  $(PY) tools/strip_front_matter.py README.md; fi

# The docs site in _docs/ from the notebooks, offline, nothing executed: nbdev-docs where Quarto exists, else
# proc-nbs + nbconvert, math by KaTeX at build time (fetched once with npm into .venv/share): tools/build_docs.py.
docs: install
	$(PY) tools/build_docs.py

# Every page of _docs/ in headless Chromium (Debian's, installed here if missing): console errors, images, internal
# links and #anchors, requests off this machine; screenshots in _docs/screenshots/. Run `make docs` first.
docs-check: install
	test -x /usr/bin/chromium || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; }
	$(PY) tools/check_docs.py

clean:
	rm -rf _proc _docs runs .pytest_cache
