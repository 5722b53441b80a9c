"""Run directories that never lie (issue 13), through the real console script in subprocesses, at a tiny scale.

Two processes writing into one directory, a run killed with SIGKILL at a random moment and resumed, stored stages
that were garbled or truncated, thread counts that must not share stages, leftover temporary folders, input that
must be refused in one line with nothing written, and the audit of a user's model folder and target function.
Every run here is the mixture world with a tiny config (a few seconds of compute); each test stays well under a
minute on two cores. The random kill moment is drawn from `AD_TEST_SEED` when it is set (it is printed otherwise).
"""
import json, os, pickle, random, shutil, signal, subprocess, sys, textwrap, time
from pathlib import Path

import pytest

# one worker runs this file's tests, so its module fixtures (a run each) are computed once, not once per worker
pytestmark = pytest.mark.xdist_group('reliability')

EXE = Path(sys.executable).parent/'aligndistill'
ENV = {**os.environ, 'AD_THREADS': '1', 'MPLBACKEND': 'Agg', 'HF_HUB_OFFLINE': '1', 'TRANSFORMERS_OFFLINE': '1',
       'TRL_EXPERIMENTAL_SILENCE': '1', 'OMP_WAIT_POLICY': 'PASSIVE'}
TINY = ['--set', 'n_data=300', '--set', 'n_kd=300', '--set', 'ppo_steps=5', '--set', 'dpo_steps=20', '--set', 'dpo_pairs=512',
        '--set', 'n_eval=400', '--set', 'em_iters=10', '--set', 'em_inits=1']
N_RECORDS = 2 * (2 + 4 * 3)   # 2 seeds x (teacher, student, 4 pipelines x 3 aligners)
N_STAGES = 28                 # model stages and evaluations of one tiny run, each with a MANIFEST.json

def cli(*args, cwd=None, env=None, timeout=120):
    return subprocess.run([str(EXE), *map(str, args)], capture_output=True, text=True, cwd=cwd, env=env or ENV, timeout=timeout)

def mog_args(out, *extra, seed_start=0):
    return ['mog', '--seeds', 2, '--seed-start', seed_start, *TINY, '--out', out, *extra]

def mog(out, *extra, seed_start=0, quiet=True, **kw):
    return cli(*mog_args(out, *extra, seed_start=seed_start), *(['--quiet'] if quiet else []), **kw)

def results(d:Path) -> list:
    "The records of `d`, without their wall-clock timings (`cost`), in a canonical order: what must be reproduced."
    recs = json.loads((Path(d)/'results.json').read_text())
    return sorted((json.dumps({k: v for k, v in r.items() if k != 'cost'}, sort_keys=True) for r in recs))

def stage_folders(d:Path) -> set:
    "The finished stages of `d` (folders holding a manifest), relative to `d/stages`."
    return {str(p.parent.relative_to(Path(d)/'stages')) for p in (Path(d)/'stages').rglob('MANIFEST.json')}

def n_finished(d:Path) -> int:
    "How many stages of `d` are finished, read while a run is writing there (a folder may vanish under the scan)."
    for _ in range(100):
        try: return len(stage_folders(d)) if (Path(d)/'stages').exists() else 0
        except FileNotFoundError: continue   # a temporary folder renamed or removed while it was listed
    raise RuntimeError(f'cannot list {d}')

def leftovers(d:Path) -> list:
    return sorted(str(p) for p in Path(d).rglob('*') if '.tmp-' in p.name)

def files(d:Path) -> dict:
    return {str(p.relative_to(d)): p.read_bytes() for p in sorted(Path(d).rglob('*')) if p.is_file()}

def one_line_error(r, *words):
    "Exit status 2, one line on stderr that says `words`, nothing on stdout."
    assert r.returncode == 2, (r.returncode, r.stdout[-1000:], r.stderr[-2000:])
    assert r.stderr.count('\n') == 1 and r.stderr.startswith('aligndistill ') and ': error: ' in r.stderr, r.stderr
    assert all(w in r.stderr for w in words), (words, r.stderr)
    assert r.stdout == '', r.stdout

@pytest.fixture(scope='module')
def clean(tmp_path_factory):
    "One uninterrupted tiny run: the reference every damaged, killed or resumed run must reproduce."
    d = tmp_path_factory.mktemp('clean')/'run'
    t0 = time.perf_counter(); r = mog(d); secs = time.perf_counter() - t0
    assert r.returncode == 0, r.stderr[-3000:]
    assert len(json.loads((d/'results.json').read_text())) == N_RECORDS
    assert len(stage_folders(d)) == N_STAGES
    return dict(dir=d, results=results(d), seconds=secs)

def test_two_processes_into_one_out(tmp_path):
    "Started together into one --out: each completes or is refused in one line, and no finished process loses a record."
    out = tmp_path/'run'
    procs = {s: subprocess.Popen([str(EXE), *map(str, mog_args(out, '--quiet', seed_start=s))], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True, env=ENV) for s in (0, 10)}
    done = {}
    for s, p in procs.items():
        stdout, stderr = p.communicate(timeout=120)
        done[s] = (p.returncode, stderr)
    for s, (rc, err) in done.items():
        assert rc == 0 or (rc == 2 and err.count('\n') == 1 and 'is in use by another process' in err), (s, rc, err[-2000:])
    assert any(rc == 0 for rc, _ in done.values())
    for s, (rc, _) in done.items():          # a refused process is re-run alone: the two runs' records then sit side by side
        if rc == 2: assert mog(out, seed_start=s).returncode == 0
    recs = json.loads((out/'results.json').read_text())
    assert len(recs) == 2 * N_RECORDS
    assert {r['seed'] for r in recs} == {0, 1, 10, 11}
    assert leftovers(out) == []
    for png in ('metrics.png', 'headline.png', 'densities.png'):   # figures are written whole, by one process at a time
        assert (out/png).read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'

def test_kill_9_then_resume_reproduces(tmp_path, clean):
    "SIGKILL at a random moment after some stages; the same command then finishes with the clean run's numbers."
    seed = int(os.environ.get('AD_TEST_SEED', random.SystemRandom().randrange(10**6)))
    print(f'AD_TEST_SEED={seed}')
    rng, out = random.Random(seed), tmp_path/'run'
    killed_after = []
    for attempt in range(2):                 # two kills in a row, each after a random number of finished stages
        before = n_finished(out)
        if before >= N_STAGES - 2: break
        k = rng.randint(before + 1, N_STAGES - 2)
        p = subprocess.Popen([str(EXE), *map(str, mog_args(out, '--quiet'))], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ENV)
        t0 = time.monotonic()
        while p.poll() is None and time.monotonic() - t0 < 90:
            if n_finished(out) >= k: break
            time.sleep(0.005)
        time.sleep(rng.uniform(0, 0.2))      # somewhere inside the next stage (or its write)
        if p.poll() is not None: pytest.fail(f'the run ended before the kill (seed {seed}, k={k}): {p.stderr.read()[-2000:]}')
        p.send_signal(signal.SIGKILL); p.wait(timeout=30)
        assert p.returncode == -signal.SIGKILL
        killed_after.append(len(stage_folders(out)))
    if (out/'results.json').exists():         # killed while reporting: the records were written whole, at the study's end
        assert results(out) == clean['results'], seed
    r = mog(out, quiet=False)
    assert r.returncode == 0, (seed, r.stderr[-3000:])
    assert r.stderr.count('reusing the stored stage') >= killed_after[-1] > 0, (seed, killed_after, r.stderr[-3000:])
    assert 'not trustworthy' not in r.stderr, r.stderr    # a killed write leaves a temporary folder, never a bad stage
    assert results(out) == clean['results'], seed
    assert stage_folders(out) == stage_folders(clean['dir'])
    assert leftovers(out) == []

def test_garbled_and_truncated_stages_recompute(tmp_path, clean):
    "A stored model garbled in place, another truncated, an evaluation cut short: each recomputed with a warning."
    out = tmp_path/'run'
    shutil.copytree(clean['dir'], out)
    teacher = next((out/'stages').glob('teacher-*'))/'model'/'mixture.safetensors'
    good = teacher.read_bytes()
    teacher.write_bytes(good[:-16] + bytes(16))                         # same size, different bytes
    student = next((out/'stages').glob('student-*'))/'model'/'mixture.safetensors'
    student.write_bytes(student.read_bytes()[:100])                     # truncated
    ev = next((out/'stages'/'eval'/'KA').glob('ppo-*'))/'value.json'
    ev.write_text(ev.read_text()[:40])                                  # a half-written JSON file
    r = mog(out)                                                        # --quiet still shows warnings
    assert r.returncode == 0, r.stderr[-3000:]
    warned = [l for l in r.stderr.splitlines() if 'is not trustworthy' in l and 'recomputing' in l]
    assert len(warned) == 3, r.stderr
    assert any('teacher' in l and 'does not match its manifest' in l for l in warned), warned
    assert any(l.startswith('aligndistill: eval/KA/ppo') for l in warned), warned
    assert teacher.read_bytes() == good                                 # recomputed bit for bit
    assert results(out) == clean['results']
    again = mog(out, quiet=False)                                       # and now trusted again
    assert again.returncode == 0 and 'not trustworthy' not in again.stderr and 'recomputing' not in again.stderr

def test_thread_counts_never_share_stages(tmp_path):
    "--threads 1, then --threads 2 into the same directory: the second run reuses nothing and says which count it used."
    out = tmp_path/'run'
    one = mog(out, '--threads', 1)
    assert one.returncode == 0, one.stderr[-3000:]
    s1 = stage_folders(out)
    two = mog(out, '--threads', 2, quiet=False)
    assert two.returncode == 0, two.stderr[-3000:]
    assert 'reusing' not in two.stderr, two.stderr
    s2 = stage_folders(out) - s1
    assert len(s1) == len(s2) == N_STAGES                               # a full set of new stage folders, none shared
    recs = json.loads((out/'results.json').read_text())
    assert len(recs) == N_RECORDS and {r['numerics']['threads'] for r in recs} == {2}   # the latest run's records replace
    assert all(r['model']['path'].removeprefix('stages/') in s2 for r in recs)         # ... and name its stages

BAD_INPUT = {
    'infinite beta': (['--set', 'beta=inf'], {}, 'MogConfig.beta = inf: a finite number'),
    'NaN option': (['--eps', 'nan'], {}, '--eps nan: a finite number'),
    'a word for a number': (['--set', 'beta=big'], {}, "MogConfig.beta = 'big': a number"),
    'too many seeds': (['--seeds', 100000], {}, '--seeds 100000: at most 10000 seeds'),
    'AD_THREADS=abc': ([], {'AD_THREADS': 'abc'}, "AD_THREADS = 'abc'"),
    'negative threads': (['--threads', -4], {}, 'threads = -4'),
}

@pytest.mark.parametrize('case', list(BAD_INPUT))
def test_bad_input_one_line_nothing_written(tmp_path, case):
    extra, env, words = BAD_INPUT[case]
    r = cli('mog', *TINY, '--out', tmp_path/'out', '--quiet', *extra, env={**ENV, **env})
    one_line_error(r, words)
    assert list(tmp_path.iterdir()) == []

def test_out_that_is_a_file(tmp_path):
    f = tmp_path/'out'; f.write_text('not a folder')
    one_line_error(mog(f), '--out', 'exists and is not a directory')
    assert f.read_text() == 'not a folder' and [p.name for p in tmp_path.iterdir()] == ['out']

def test_nan_metric_in_results_json(tmp_path, clean):
    "A NaN metric written by hand into results.json: `report` and a new run refuse it in one line, and write nothing."
    d = tmp_path/'run'
    d.mkdir()
    recs = json.loads((clean['dir']/'results.json').read_text())[:2]
    recs[1]['metrics']['recall'] = float('nan')
    (d/'results.json').write_text(json.dumps(recs))                     # Python writes the literal NaN
    assert 'NaN' in (d/'results.json').read_text()
    before = files(d)
    one_line_error(cli('report', d), 'results.json', 'record.metrics', 'finite numbers only')
    one_line_error(mog(d), 'results.json', 'finite numbers only', 'move it away or choose another --out')
    assert files(d) == before

def test_report_while_a_study_holds_the_directory(tmp_path, clean):
    "`report DIR` while another process holds DIR: the tables, and a one-line note instead of figures written over its work."
    d = tmp_path/'run'
    shutil.copytree(clean['dir'], d)
    for png in d.glob('*.png'): png.unlink()
    code = "import sys, time\nfrom aligndistill.core import RunDir\nwith RunDir(sys.argv[1]).lock():\n    print('held', flush=True); time.sleep(60)"
    holder = subprocess.Popen([sys.executable, '-c', code, str(d)], stdout=subprocess.PIPE, text=True, env=ENV)
    try:
        assert holder.stdout.readline().strip() == 'held'
        r = cli('report', d)
        assert r.returncode == 0 and '| world | pipeline | algorithm |' in r.stdout, r.stderr[-2000:]
        assert r.stderr.count('\n') == 1 and 'figures not written' in r.stderr and 'in use by another process' in r.stderr, r.stderr
        assert list(d.glob('*.png')) == [] and leftovers(d) == []
    finally: holder.kill(); holder.wait()
    r = cli('report', d)                                                # once it is free, the figures are written
    assert r.returncode == 0 and sorted(p.name for p in d.glob('*.png')) == ['densities.png', 'headline.png', 'metrics.png']

def test_leftover_temporary_folders_are_removed(tmp_path, clean):
    "What a killed run leaves behind (temporary stage folders and files) is removed by the next run, which still reproduces."
    out = tmp_path/'run'
    shutil.copytree(clean['dir'], out)
    junk = [out/'stages'/'.teacher-000000000000.tmp-4242-1', out/'stages'/'KA'/'.ppo-000000000000.tmp-4242-2']
    for j in junk: j.mkdir(); (j/'model').mkdir(); (j/'model'/'half.safetensors').write_bytes(b'\0' * 64)
    (out/'.results.json.tmp-4242-3').write_text('[{"world": "mo')
    assert len(leftovers(out)) == 3
    r = mog(out)
    assert r.returncode == 0, r.stderr[-3000:]
    assert leftovers(out) == []
    assert results(out) == clean['results']

# --- the audit of a user's own model folder and target function -------------------------------------------------

TARGETS = '''
def boom(completions, **kw): raise RuntimeError('scorer offline')
def infinite(completions, **kw): return [float('inf')] * len(completions)
def nan(completions, **kw): return [float('nan')] * len(completions)
def never(completions, **kw): return [0.0] * len(completions)
'''

class _Trap:
    "Unpickling this creates the file `path`: proof that a pickled checkpoint was (or was not) loaded."
    def __init__(self, path): self.path = path
    def __reduce__(self): return (Path.touch, (Path(self.path),))

@pytest.fixture(scope='module')
def user_models(tmp_path_factory):
    "A tiny causal LM with its tokenizer in safetensors, a copy whose only weights are a pickle, and a file of targets."
    d = tmp_path_factory.mktemp('audit')
    code = textwrap.dedent('''
        import sys
        from pathlib import Path
        from transformers import LlamaConfig, LlamaForCausalLM
        from aligndistill.worlds.lm.data import make_tokenizer
        tok = make_tokenizer(24)
        m = LlamaForCausalLM(LlamaConfig(vocab_size=len(tok), hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                                         num_attention_heads=2, num_key_value_heads=1))
        m.save_pretrained(sys.argv[1]); tok.save_pretrained(sys.argv[1])
    ''')
    r = subprocess.run([sys.executable, '-c', code, str(d/'good')], capture_output=True, text=True, env=ENV, timeout=120)
    assert r.returncode == 0, r.stderr[-3000:]
    assert (d/'good'/'model.safetensors').is_file()
    shutil.copytree(d/'good', d/'pickled')
    (d/'pickled'/'model.safetensors').unlink()
    with open(d/'pickled'/'pytorch_model.bin', 'wb') as f: pickle.dump(_Trap(d/'UNPICKLED'), f)
    (d/'my_targets.py').write_text(TARGETS)
    return d

def test_audit_refuses_pickled_weights(user_models):
    d = user_models
    r = cli('audit', '--model', d/'pickled', '--target', 'my_targets:never', cwd=d)
    one_line_error(r, 'only pickled weights (pytorch_model.bin)', 'refused', 'convert them to safetensors')
    assert not (d/'UNPICKLED').exists()                                 # the pickle was never opened

@pytest.mark.parametrize('target,words', [('boom', ['target my_targets:boom raised RuntimeError: scorer offline']),
                                          ('infinite', ['target my_targets:infinite returned inf', 'no NaN, no infinity']),
                                          ('nan', ['target my_targets:nan returned nan'])])
def test_audit_target_errors(user_models, target, words):
    r = cli('audit', '--model', user_models/'good', '--target', f'my_targets:{target}', '--n-samples', 16, '--max-new-tokens', 4,
            cwd=user_models)
    one_line_error(r, *words)

@pytest.mark.parametrize('args,words', [(['--threshold', 'nan'], '--threshold nan: a finite number'),
                                        (['--beta', 'inf'], '--beta inf: a finite number'),
                                        (['--desired=-inf'], '--desired -inf: a finite number')])
def test_audit_non_finite_options(user_models, args, words):
    r = cli('audit', '--model', user_models/'good', '--target', 'my_targets:never', *args, cwd=user_models)
    one_line_error(r, words)

def test_audit_good_model_runs(user_models):
    "The same folder and a well-behaved target: the audit runs (a model of random weights never hits: 0 of 16)."
    r = cli('audit', '--model', user_models/'good', '--target', 'my_targets:never', '--n-samples', 16, '--max-new-tokens', 4,
            cwd=user_models)
    assert r.returncode == 0, r.stderr[-2000:]
    assert '| model | - | 0 [0,' in r.stdout and r.stderr == '', (r.stdout, r.stderr)

@pytest.mark.parametrize('where', ['missing', 'pickled'])
def test_lm_world_model_offline_and_safe(user_models, tmp_path, where):
    "The smollm2 preset's --world-model: a name that is no local folder is not looked up on an offline hub; pickles are refused."
    path = tmp_path/'no-such-folder' if where == 'missing' else user_models/'pickled'
    r = cli('lm', '--preset', 'smollm2', '--world-model', path, '--out', tmp_path/'out', '--quiet')
    words = ['it does not exist here, and the hub is offline'] if where == 'missing' else ['only pickled weights', 'safetensors']
    one_line_error(r, 'world_model', *words)
    assert not (tmp_path/'out').exists() and not (user_models/'UNPICKLED').exists()
