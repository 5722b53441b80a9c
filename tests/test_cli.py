"""The real console script, in subprocesses, at a small scale: the schema of `results.json`, bad input (exit 2, one line
on stderr, nothing written), and a second invocation that reuses every stage and reproduces the numbers bit for bit."""
import json, os, subprocess, sys, time
from pathlib import Path

import pytest

# one worker runs this file's tests, so its module fixtures (a run each) are computed once, not once per worker
pytestmark = pytest.mark.xdist_group('cli')

from aligndistill.core import validate_record

BIN = Path(sys.executable).parent
EXE = BIN/'aligndistill'
# The default study with fewer Monte Carlo samples for the metrics (the config file path is exercised too).
SMALL = dict(n_eval=1500)

def run(*args, timeout=900):
    env = {**os.environ, 'AD_THREADS': '1', 'MPLBACKEND': 'Agg'}
    return subprocess.run([str(EXE), *map(str, args)], capture_output=True, text=True, env=env, timeout=timeout)

def snapshot(d:Path) -> dict:
    "Every file under `d` with its modification time."
    return {str(p.relative_to(d)): p.stat().st_mtime_ns for p in sorted(d.rglob('*')) if p.is_file()}

@pytest.fixture(scope='module')
def small_run(tmp_path_factory):
    d = tmp_path_factory.mktemp('cli')
    (d/'small.json').write_text(json.dumps(SMALL))
    args = ('mog', '--seeds', 2, '--seed-start', 11, '--target', 5, '--out', d/'run', '--config', d/'small.json', '--quiet')
    t0 = time.perf_counter(); r = run(*args); secs = time.perf_counter() - t0
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return dict(dir=d/'run', args=args, result=r, seconds=secs)

def test_results_schema(small_run):
    d = small_run['dir']
    recs = json.loads((d/'results.json').read_text())
    for r in recs: validate_record(r)
    assert {r['seed'] for r in recs} == {11, 12}
    assert {r['world'] for r in recs} == {'mog'}
    assert all(r['config']['target'] == 5 and r['config']['n_eval'] == SMALL['n_eval'] for r in recs)
    algs = {r['algorithm'] for r in recs if r['algorithm'] != 'none'}
    assert algs == {'ppo', 'dpo_on', 'dpo_off'}
    got = {(r['pipeline'], r['algorithm']) for r in recs}
    want = {('teacher', 'none'), ('student', 'none')} | {(p, a) for p in ('KA', 'AK', 'KA_teacher_ref', 'teacher_aligned') for a in algs}
    assert got == want
    assert len(recs) == 2 * len(want)
    for r in recs:
        assert set(r['metrics']) >= {'reward', 'target_precision', 'precision', 'recall'}
        assert r['cost']['seconds'] >= 0 and 'teacher' in r['cost']['stages']
        assert (d/r['model']['path']/'model').is_dir()
    out = small_run['result'].stdout
    assert '| world | pipeline | algorithm |' in out and 'AK | ppo' in out and '±' in out
    assert (d/'metrics.png').stat().st_size > 0 and (d/'densities.png').stat().st_size > 0

def test_ak_beats_ka(small_run):
    "The chapter's claim on a target and seeds that no notebook uses: A→K above K→A in mean target precision and reward."
    recs = json.loads((small_run['dir']/'results.json').read_text())
    mean = lambda p, a, m: sum(r['metrics'][m] for r in recs if (r['pipeline'], r['algorithm']) == (p, a)) / 2
    for a in ('ppo', 'dpo_on', 'dpo_off'):
        assert mean('AK', a, 'target_precision') > mean('KA', a, 'target_precision') + 0.5
        assert mean('AK', a, 'reward') > mean('KA', a, 'reward') + 0.3

def test_rerun_reuses_and_reproduces(small_run):
    d = small_run['dir']
    before, text = snapshot(d/'stages'), (d/'results.json').read_bytes()
    t0 = time.perf_counter(); r = run(*small_run['args']); secs = time.perf_counter() - t0
    assert r.returncode == 0, r.stderr[-3000:]
    assert snapshot(d/'stages') == before             # every stage reused, none rewritten
    assert (d/'results.json').read_bytes() == text    # the same numbers, bit for bit
    assert r.stdout.split('\nfigures:')[0] == small_run['result'].stdout.split('\nfigures:')[0]
    assert secs < small_run['seconds']

BAD = {
    'target out of range': (['--target', 8], {}, 'target'),
    'negative target': (['--target', -1], {}, 'target'),
    'negative beta': (['--beta', -0.1], {}, 'beta'),
    'negative eps': (['--eps', -0.2], {}, 'eps'),
    'negative beta in config': ([], {'beta': -1.0}, 'beta'),
    'unknown config field': ([], {'betta': 0.1}, 'betta'),
    'zero seeds': (['--seeds', 0], {}, 'seeds'),
    'negative seed start': (['--seed-start', -4], {}, 'seed-start'),
    'not a number': (['--seeds', 'five'], {}, 'seeds'),
}

@pytest.mark.parametrize('case', list(BAD))
def test_bad_input_exits_2_and_writes_nothing(tmp_path, case):
    extra, cfg, word = BAD[case]
    args = ['mog', '--out', tmp_path/'out', '--quiet', *extra]
    if cfg: (tmp_path/'c.json').write_text(json.dumps(cfg)); args += ['--config', tmp_path/'c.json']
    r = run(*args, timeout=300)
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert r.stderr.count('\n') == 1 and word in r.stderr, r.stderr
    assert not (tmp_path/'out').exists()

@pytest.mark.parametrize('text', ['{"beta": 0.1,', '[1, 2]', ''])
def test_malformed_config(tmp_path, text):
    (tmp_path/'c.json').write_text(text)
    r = run('mog', '--out', tmp_path/'out', '--config', tmp_path/'c.json', timeout=300)
    assert r.returncode == 2 and r.stderr.count('\n') == 1 and 'c.json' in r.stderr, r.stderr
    assert not (tmp_path/'out').exists()

def test_report_errors(tmp_path):
    r = run('report', tmp_path/'nothing-here', timeout=300)
    assert r.returncode == 2 and r.stderr.count('\n') == 1
    assert not (tmp_path/'nothing-here').exists()
    r = run('no-such-command', timeout=300)
    assert r.returncode == 2 and r.stderr.count('\n') == 1

def test_audit_run(small_run):
    "`aligndistill audit --run DIR` audits the run's teacher and student: teachers reachable, students fail (target 5)."
    r = run('audit', '--run', small_run['dir'])
    assert r.returncode == 0, r.stderr[-2000:]
    lines = [l for l in r.stdout.splitlines() if l.startswith('| teacher') or l.startswith('| student')]
    assert len(lines) == 4, r.stdout
    assert all('reachable' in l for l in lines if l.startswith('| teacher')), r.stdout
    assert all('fails' in l for l in lines if l.startswith('| student')), r.stdout

@pytest.mark.parametrize('args', [('--run', 'DIR', '--beta', '-1'), ('--model', 'EMPTY', '--target', 'os:getcwd'),
                                  ('--model', 'EMPTY'), ('--run', 'DIR', '--model', 'EMPTY')])
def test_audit_bad_input(small_run, tmp_path, args):
    args = [str(small_run['dir']) if a == 'DIR' else str(tmp_path) if a == 'EMPTY' else a for a in args]
    r = run('audit', *args)
    assert r.returncode == 2 and r.stderr.count('\n') == 1 and r.stdout == '', (r.returncode, r.stderr)
