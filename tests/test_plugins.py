"""A world and an aligner from a user's own files, outside the package, run through the console script end to end:
`aligndistill study --world module:Class`, `report` and `audit --run`, with `--set`, `--show-config`, cache keys and the lock."""
import json, os, subprocess, sys, textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ENV = {**os.environ, 'AD_THREADS': '1', 'OMP_NUM_THREADS': '1', 'MPLBACKEND': 'Agg'}

# A 1-D two-component mixture world written against the plain World protocol: no `reads`, no `version`, no registration.
WORLD = '''
from dataclasses import dataclass
from pathlib import Path
import math, torch
from aligndistill.core import Config, check, stage_generator

@dataclass(frozen=True)
class Gmm1dConfig(Config):
    target_weight: float = 0.05   # p*'s mass on the rare mode at x = 3
    sharpen: float = 6.0          # distillation sharpens the mode weights
    beta: float = 0.2             # KL strength
    n: int = 2000                 # samples per fit
    def validate(self): check(0 < self.target_weight < 1, 'Gmm1dConfig.target_weight', self.target_weight, 'in (0, 1)')

class Gmm1dWorld:
    "Models are tensors [n_seeds]: the weight of the rare mode; the modes sit at 0 and 3 with unit variance."
    name, algorithms, batch_seeds = 'gmm1d', ('tilt',), True
    def __init__(self, config=None): self.config = config or Gmm1dConfig()
    def _fit(self, w, seeds, tag):
        return torch.stack([(torch.rand(self.config.n, generator=stage_generator(s, tag)) < wi).double().mean().clamp(1e-6, 1 - 1e-6)
                            for wi, s in zip(w.tolist(), seeds)])
    def fit_teacher(self, seeds): return self._fit(torch.full((len(seeds),), self.config.target_weight), seeds, 'teacher')
    def distil(self, m, seeds):
        o = (m / (1 - m)) ** self.config.sharpen
        return self._fit(o / (1 + o), seeds, 'distil')
    def align(self, policy, ref, algorithm, seeds):
        check(algorithm == 'tilt', 'algorithm', algorithm, "'tilt'")
        o = ref / (1 - ref) * math.exp(1 / self.config.beta)
        return o / (1 + o)
    def evaluate(self, m, seeds):
        return [dict(reward=float(w), target_precision=float(w), precision=float(math.log(1 - w + 1e-12)), recall=float(math.log(w))) for w in m]
    def save(self, m, folder): torch.save(m, Path(folder)/'w.pt')
    def load(self, folder): return torch.load(Path(folder)/'w.pt', weights_only=True)
'''

ALIGNER = '''
import math
class HalfTilt:
    "Half the tilt's log-odds step: a weaker aligner, from its own file."
    name = 'halftilt'
    def align(self, world, policy, ref, seeds):
        o = ref / (1 - ref) * math.exp(0.5 / world.config.beta)
        return o / (1 + o)
'''

def cli(cwd, *args):
    return subprocess.run([str(BIN/'aligndistill'), *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=300, env=ENV)

@pytest.fixture()
def user(tmp_path):
    (tmp_path/'my_world.py').write_text(textwrap.dedent(WORLD))
    (tmp_path/'my_aligner.py').write_text(textwrap.dedent(ALIGNER))
    return tmp_path

def test_study_report_audit(user):
    r = cli(user, 'study', '--world', 'my_world:Gmm1dWorld', '--aligner', 'my_aligner:HalfTilt', '--seeds', 3, '--out', 'run',
            '--set', 'beta=0.25', '--quiet')
    assert r.returncode == 0, r.stderr
    recs = json.loads((user/'run'/'results.json').read_text())
    assert {r['world'] for r in recs} == {'gmm1d'}
    assert {r['algorithm'] for r in recs} == {'none', 'tilt', 'halftilt'}
    assert {r['config']['beta'] for r in recs} == {0.25}                      # --set reaches the records' config
    assert len(recs) == 3 * (2 + 2 * 3)
    tp = {(r['pipeline'], r['algorithm'], r['seed']): r['metrics']['target_precision'] for r in recs}
    assert all(tp[('AK', 'tilt', s)] > tp[('KA', 'tilt', s)] for s in range(3))
    rep = cli(user, 'report', 'run', '--no-figures')
    assert rep.returncode == 0, rep.stderr
    assert 'gmm1d' in rep.stdout and 'halftilt' in rep.stdout and 'Headline' in rep.stdout
    csv = cli(user, 'report', 'run', '--format', 'csv')
    assert csv.returncode == 0 and csv.stdout.splitlines()[0].startswith('world,pipeline,algorithm,seed')
    aud = cli(user, 'audit', '--run', 'run')
    assert aud.returncode == 0, aud.stderr
    assert aud.stdout.count('| teacher |') == 3 and aud.stdout.count('| student |') == 3

def test_show_config_and_bad_input(user):
    r = cli(user, 'study', '--world', 'my_world:Gmm1dWorld', '--set', 'sharpen=3', '--show-config')
    assert r.returncode == 0 and json.loads(r.stdout)['sharpen'] == 3
    for args, msg in ((('--set', 'betta=0.1'), "Gmm1dConfig field = 'betta'"), (('--set', 'beta=Infinity'), 'a finite number'),
                      (('--set', 'target_weight=2'), 'Gmm1dConfig.target_weight'), (('--seeds', '0'), 'at least one seed'),
                      (('--aligner', 'my_aligner:Nope'), 'a name defined in my_aligner')):
        r = cli(user, 'study', '--world', 'my_world:Gmm1dWorld', '--out', 'bad', *args)
        assert r.returncode == 2, (args, r.stderr)
        assert r.stderr.count('\n') == 1 and msg in r.stderr, (args, r.stderr)
        assert not (user/'bad').exists()

def test_changed_code_and_fields_recompute(user):
    run = lambda *a: cli(user, 'study', '--world', 'my_world:Gmm1dWorld', '--seeds', 2, '--out', 'run', *a)
    assert run('--quiet').returncode == 0
    again = run()
    assert again.returncode == 0 and 'recomputing' not in again.stderr and again.stderr.count('reusing') >= 8
    changed = run('--set', 'beta=0.5')          # the world declares no sections: every stage reads the whole config
    assert changed.returncode == 0 and 'reusing' not in changed.stderr
    before = {(r['pipeline'], r['seed']): r['metrics']['reward'] for r in json.loads((user/'run'/'results.json').read_text())
              if r['config']['beta'] == 0.2}
    src = (user/'my_world.py').read_text().replace('reward=float(w)', 'reward=2 * float(w)')   # the user fixes evaluate
    (user/'my_world.py').write_text(src)
    assert run('--quiet').returncode == 0
    after = {(r['pipeline'], r['seed']): r['metrics']['reward'] for r in json.loads((user/'run'/'results.json').read_text())
             if r['config']['beta'] == 0.2}
    assert all(abs(after[k] - 2 * before[k]) < 1e-12 for k in before)     # no stale numbers after a code change

def test_second_process_is_refused(user):
    code = ("import time\nfrom aligndistill.core import RunDir\nwith RunDir('run').lock():\n    open('held', 'w').close(); time.sleep(30)")
    holder = subprocess.Popen([sys.executable, '-c', code], cwd=user, env=ENV)
    try:
        for _ in range(200):
            if (user/'held').exists(): break
            import time; time.sleep(0.05)
        r = cli(user, 'study', '--world', 'my_world:Gmm1dWorld', '--out', 'run', '--quiet')
        assert r.returncode == 2 and r.stderr.count('\n') == 1 and 'in use by another process' in r.stderr, r.stderr
    finally: holder.kill(); holder.wait()
