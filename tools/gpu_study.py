"""Run the language study seed by seed within a wall-clock budget and write OUT/results.json (see tools/gpu_run.sh).

Each seed is a separate `run_study` call, so a seed that finishes is saved even if the budget stops the next one."""
import argparse, json, platform, sys, time
from pathlib import Path

p = argparse.ArgumentParser()
p.add_argument('--out', required=True); p.add_argument('--scale', default='gpu'); p.add_argument('--seeds', type=int, default=2)
p.add_argument('--seed-start', type=int, default=1000); p.add_argument('--budget', type=float, default=420)
p.add_argument('--algorithms', default='dpo,rloo,grpo'); p.add_argument('--override', default='{}')
a = p.parse_args()
t_start = time.perf_counter()

import torch
from aligndistill.core import RunDir, write_json
from aligndistill.study import run_study
from aligndistill.report import results_table
from aligndistill.worlds.lm.world import LmConfig, LmWorld, SCALES, ka_success
from aligndistill.report import markdown_table

cfg = SCALES[a.scale](LmConfig(algorithms=tuple(a.algorithms.split(','))))
over = json.loads(a.override)
if over:
    d = cfg.to_dict()
    for k, v in over.items(): d[k] = {**d[k], **v} if isinstance(v, dict) else v
    cfg = LmConfig.from_dict(d)
out = Path(a.out)
rd = RunDir(out/'run')
env = dict(python=platform.python_version(), torch=torch.__version__, cuda=torch.cuda.is_available(),
           device=torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'cpu')
import transformers, trl; env.update(transformers=transformers.__version__, trl=trl.__version__)
print(env, flush=True)
recs, seeds_done, per_seed = [], [], []
for s in range(a.seed_start, a.seed_start + a.seeds):
    elapsed = time.perf_counter() - t_start
    if per_seed and elapsed + max(per_seed) > a.budget:
        print(f'stopping before seed {s}: {elapsed:.0f} s used, a seed takes ~{max(per_seed):.0f} s, budget {a.budget:.0f} s'); break
    t0 = time.perf_counter()
    recs += run_study(LmWorld(cfg), [s], rd, progress=False)
    per_seed.append(time.perf_counter() - t0); seeds_done.append(s)
    write_json(out/'results.json', recs)
    write_json(out/'timings.json', dict(env=env, seeds=seeds_done, seconds_per_seed=per_seed, stages=rd.timings))
    print(f'seed {s}: {per_seed[-1]:.0f} s', flush=True)
print(results_table(recs)); print(markdown_table(ka_success(recs)))
print(f'total {time.perf_counter() - t_start:.0f} s')
