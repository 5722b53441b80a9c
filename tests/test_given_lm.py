"""`aligndistill lm --teacher PATH --reward mod:fn` (chapter 15) end to end through the console script's `main`, in a
temporary folder holding a tiny Llama with its tokenizer, a reward module and a prompt file: K→A, A→K and K→A with
the teacher as reference are recorded with the audit's verdicts, `report` reads them, and each bad input exits 2
with one line on stderr and writes nothing."""
import json, os, subprocess, sys
from pathlib import Path
import pytest

# one worker runs this file's tests, so its module fixtures (a run each) are computed once, not once per worker
pytestmark = pytest.mark.xdist_group('given_lm')

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, 'HF_HUB_OFFLINE': '1', 'TRANSFORMERS_OFFLINE': '1', 'HF_DATASETS_OFFLINE': '1', 'TRL_EXPERIMENTAL_SILENCE': '1',
       'OMP_NUM_THREADS': '1', 'AD_THREADS': '1', 'TOKENIZERS_PARALLELISM': 'false', 'MPLBACKEND': 'Agg',
       'PYTHONPATH': os.pathsep.join([str(ROOT)] + [p for p in os.environ.get('PYTHONPATH', '').split(os.pathsep) if p])}

REWARD = '''
def share_a0(completions, completion_ids=None, **kw):
    return [t.split().count('a0') / max(1, len(t.split())) for t in completions]
def raises(completions, completion_ids=None, **kw):
    raise RuntimeError('my reward broke')
def text(completions, completion_ids=None, **kw):
    return ['good'] * len(completions)
def short(completions, completion_ids=None, **kw):
    return [1.0]
'''

SMALL = ['--student', 'cpu-micro', '--algorithms', 'rloo', '--set', 'target_threshold=0.2', '--set', 'n_kd=128',
         '--set', 'student_train={"epochs": 1, "batch_size": 64, "lr": 0.003}', '--set', 'n_eval=32', '--set', 'n_heldout=32',
         '--set', 'n_audit=32', '--set', 'align={"steps": 2, "batch_size": 8, "num_generations": 4, "max_new_tokens": 10}']

def cli(cwd, *args, timeout=300):
    code = f"import sys; from aligndistill.cli import main; sys.exit(main({list(args)!r}))"
    return subprocess.run([sys.executable, '-c', code], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=ENV)

@pytest.fixture(scope='module')
def folder(tmp_path_factory):
    "A user's folder: teacher/ (tiny random Llama + tokenizer), other/ (another vocabulary), my_reward.py, prompts."
    d = tmp_path_factory.mktemp('given')
    make = '''
import sys
from aligndistill.worlds.lm.data import make_tokenizer
from aligndistill.worlds.lm.train import make_model
for name, n, size in (('teacher', 8, 'cpu-student'), ('other', 9, 'cpu-micro')):
    tok = make_tokenizer(n); m = make_model(size, tok, seed=0)
    m.save_pretrained(name); tok.save_pretrained(name)
'''
    r = subprocess.run([sys.executable, '-c', make], cwd=d, capture_output=True, text=True, timeout=300, env=ENV)
    assert r.returncode == 0, r.stderr[-3000:]
    (d/'my_reward.py').write_text(REWARD)
    (d/'prompts.txt').write_text('a1 a2\na3\n')
    (d/'empty.txt').write_text('\n')
    (d/'notes').mkdir(); (d/'notes'/'readme.txt').write_text('not a model')
    return d

def test_given_study_records_and_report(folder):
    out = folder/'run'
    r = cli(folder, 'lm', '--teacher', 'teacher', '--reward', 'my_reward:share_a0', '--prompts', 'prompts.txt', *SMALL,
            '--seeds', '1', '--out', str(out), '--quiet')
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    recs = json.loads((out/'results.json').read_text())
    recs = recs['records'] if isinstance(recs, dict) else recs
    got = {(x['pipeline'], x['algorithm']) for x in recs}
    assert {('KA', 'rloo'), ('AK', 'rloo'), ('KA_teacher_ref', 'rloo'), ('teacher', 'none'), ('student', 'none')} <= got
    assert {x['world'] for x in recs} == {'lm:teacher'}
    by = {(x['pipeline'], x['algorithm']): x for x in recs}
    for p in ('KA', 'AK', 'KA_teacher_ref'):
        x = by[(p, 'rloo')]
        for k in ('reward', 'target_precision', 'precision', 'recall', 'reward_se', 'target_precision_se', 'precision_se', 'recall_se'):
            assert isinstance(x['metrics'][k], float), (p, k)
        assert x['config']['pstar'] == 'teacher' and x['config']['prompts'] == 'prompts.txt'
        audits = {s: v['audit'] for s, v in x['cost']['stages'].items() if 'audit' in v}
        assert 'teacher' in audits and audits['teacher']['status'] in ('reachable', 'uncertain', 'fails') and audits['teacher']['verdict']
        if p != 'AK': assert audits['student']['n'] == 32
    st = by[('student', 'none')]['cost']['stages']
    assert by[('KA', 'rloo')]['cost']['stages']['KA']['reference'] == st['student']['weights']
    assert by[('KA_teacher_ref', 'rloo')]['cost']['stages']['KA_teacher_ref']['reference'] == st['teacher']['weights']
    assert by[('AK', 'rloo')]['cost']['stages']['teacher_aligned']['reference'] == st['teacher']['weights']
    rep = cli(folder, 'report', str(out), '--no-figures')
    assert rep.returncode == 0, rep.stderr[-3000:]
    assert 'KA_teacher_ref' in rep.stdout and 'AK' in rep.stdout

BAD = {
    'not_a_model': (['--teacher', 'notes', '--reward', 'my_reward:share_a0'], "teacher = 'notes'"),
    'tokenizer_mismatch': (['--teacher', 'teacher', '--pstar', 'other', '--reward', 'my_reward:share_a0'], 'share one vocabulary'),
    'student_mismatch': (['--teacher', 'teacher', '--student', 'other', '--reward', 'my_reward:share_a0'], 'student = '),
    'reward_raises': (['--teacher', 'teacher', '--reward', 'my_reward:raises'], 'raised RuntimeError: my reward broke'),
    'reward_text': (['--teacher', 'teacher', '--reward', 'my_reward:text'], "returned 'good'"),
    'reward_count': (['--teacher', 'teacher', '--reward', 'my_reward:short'], '1 values'),
    'reward_missing': (['--teacher', 'teacher', '--reward', 'my_reward:nothing'], "reward = 'my_reward:nothing'"),
    'empty_prompts': (['--teacher', 'teacher', '--reward', 'my_reward:share_a0', '--prompts', 'empty.txt'], 'at least one prompt'),
}

@pytest.mark.parametrize('case', list(BAD))
def test_bad_input_exits_2_one_line_nothing_written(folder, case):
    args, says = BAD[case]
    before = sorted(p.name for p in folder.iterdir())
    r = cli(folder, 'lm', *args, '--seeds', '1', '--out', str(folder/f'out_{case}'))
    assert r.returncode == 2, r.stderr[-3000:]
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith('aligndistill lm: error:') and says in lines[0], r.stderr[-2000:]
    assert sorted(p.name for p in folder.iterdir() if p.name != '__pycache__') == [b for b in before if b != '__pycache__']
