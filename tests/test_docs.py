"""README check: README.md must carry the text of nbs/index.ipynb (the site itself is built and opened in test_site.py)."""
import json, re, sys
from pathlib import Path

import pytest

# `_proc/` and `_docs/` are shared: these tests run in one xdist worker, one after the other
pytestmark = pytest.mark.xdist_group("docs")

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

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
