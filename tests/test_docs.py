"""Docs smoke test and README check. Quarto is not installable here, so `nbdev-proc-nbs` (what the docs build runs first)
stands in for the site build; README.md must carry the text of nbs/index.ipynb."""
import json, re, subprocess, sys
from pathlib import Path

import pytest

# `_proc/` and `_docs/` are shared: these tests run in one xdist worker, one after the other
pytestmark = pytest.mark.xdist_group("docs")

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

def test_proc_nbs():
    r = subprocess.run([str(BIN/'nbdev-proc-nbs')], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert (ROOT/'_proc'/'index.ipynb').exists()

def _words(s):
    s = re.sub(r'\]\([^)]*\)', ']', s)  # a markdown link keeps its text (nbdev adds links to documented names)
    return re.sub(r'\s+', ' ', re.sub(r'[`*_>#|\[\]()]', ' ', s)).strip()

def index_paragraphs():
    "The prose paragraphs of index.ipynb (markdown cells outside `#| hide`), as plain words."
    nb = json.loads((ROOT/'nbs'/'index.ipynb').read_text())
    paras = []
    for c in nb['cells']:
        if c['cell_type'] != 'markdown': continue
        for p in re.split(r'\n\s*\n', ''.join(c['source'])):
            w = _words(re.sub(r'\$[^$]*\$', ' ', re.sub(r'\(http[^)]*\)', ' ', p)))
            if len(w) > 30: paras.append(w)
    return paras

def test_readme_carries_index():
    readme = _words((ROOT/'README.md').read_text())
    missing = [p[:80] for p in index_paragraphs() if p not in readme]
    assert not missing, f"README.md is stale (run `make readme`); missing: {missing}"
    assert not (ROOT/'README.md').read_text().startswith('---'), 'README.md still has YAML front matter'
