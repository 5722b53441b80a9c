"""Every notebook is a test: each runs through `nbdev-test` in its own process, so pytest counts it and prints a summary.

`AD_NB_FLAGS="slow"` also runs the `#| slow` cells (the default skips them, as CI does)."""
import os, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
NBS = sorted(p for p in (ROOT/'nbs').glob('*.ipynb') if not p.name.startswith(('_', '.')))

@pytest.mark.parametrize('nb', NBS, ids=[p.stem for p in NBS])
def test_notebook(nb):
    cmd = [str(BIN/'nbdev-test'), str(nb)]
    if os.environ.get('AD_NB_FLAGS'): cmd += ['--flags', os.environ['AD_NB_FLAGS']]
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=1800)
    assert r.returncode == 0, f"{nb.name} failed:\n{r.stdout[-6000:]}\n{r.stderr[-6000:]}"
