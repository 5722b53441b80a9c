"""The documentation site as a reader sees it: `make docs` builds `_docs/` from the notebooks (nothing executed), then
`make docs-check` opens every page in headless Chromium and fails on console errors, images that did not load,
broken internal links or anchors, and requests off this machine (tools/build_docs.py, tools/check_docs.py).
Both together take well under a minute here; the test is skipped only when Chromium cannot be installed."""
import os, subprocess
from pathlib import Path
import pytest

# `_proc/` and `_docs/` are shared: these tests run in one xdist worker, one after the other
pytestmark = pytest.mark.xdist_group("docs")

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path(os.environ.get('CHROMIUM', '/usr/bin/chromium'))

def make(target):
    r = subprocess.run(['make', '--no-print-directory', target], cwd=ROOT, capture_output=True, text=True, timeout=900)
    return r.returncode, (r.stdout + r.stderr)[-8000:]

def test_site_builds_and_every_page_passes_in_chromium():
    rc, out = make('docs')
    assert rc == 0, f'make docs failed:\n{out}'
    assert (ROOT/'_proc'/'index.ipynb').exists() and (ROOT/'_docs'/'index.html').exists()   # nbdev-proc-nbs ran, then the render
    rc, out = make('docs-check')
    if not CHROMIUM.exists(): pytest.skip(f'Chromium could not be installed ({CHROMIUM} missing):\n{out[-2000:]}')
    assert rc == 0, f'make docs-check found problems:\n{out}'
    assert (ROOT/'_docs'/'screenshots'/'index.png').exists()
