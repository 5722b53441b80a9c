#!/usr/bin/env python
"""Record the language world's regime map along beta (chapter 36_regime_lm).

    python tools/regime_lm.py run WORK [--seeds 3000-3004] [--worlds 1,2,3] [--betas 0.03,0.2,0.3] [--algorithms dpo,rloo] [--pipelines KA,AK,teacher_aligned]   # run and audit, seed by seed (resumable)
    python tools/regime_lm.py collect WORK OUT [--betas 0.03,0.2,0.3] [--algorithms dpo,rloo]                                # every finished run -> OUT/beta<b>/world<W>/results.json
    python tools/regime_lm.py size WORK [--seeds 3000-3004] [--worlds 1,2,3] [--sizes cpu-micro,cpu-teacher]   # the addendum: the student's size
    python tools/regime_lm.py collect-size WORK OUT [--sizes cpu-micro,cpu-teacher]                  # -> OUT/student-<size>/world<W>/results.json
    python tools/regime_lm.py kd WORK [--seeds 3000-3004] [--worlds 1,2,3]                           # addendum 2: K->A from the tau-1, 4x-data student
    python tools/regime_lm.py collect-kd WORK OUT                                                    # -> OUT/kd-tau1-x4/world<W>/results.json
    python tools/regime_lm.py trajectories WORK FILE [--seeds 3000-3004] [--worlds 1,2,3]            # after addendum 3: GRPO's K->A at beta 0.3 rerun with probes (one process: it writes one file)

`--algorithms grpo` with its own WORK and OUT is addendum 3 (GRPO along beta); `--betas 0.1,0.2 --algorithms rloo_mix,rloo_pull<w> --pipelines KA_teacher_ref` with its own WORK and OUT is addendum 4 (the teacher inside K->A's alignment). `--betas 0.2,0.3 --algorithms rloo_refresh,grpo_refresh --pipelines KA` with its own WORK and OUT is addendum 5 (the refreshed reference along beta). `--betas 0.2,0.3 --algorithms rloo_refresh,grpo_refresh --pipelines teacher_aligned,AK` with its own WORK (addendum 5's stages) and OUT is addendum 6 (both orders refreshed). Two processes can share the work by taking different --seeds ranges. Set AD_THREADS (default 1)."""
import sys, time
from recordargs import int_list, int_range, opt   # the recording scripts' option parsing (this folder is on the path when run as a script)
from aligndistill.core import limit_threads
from aligndistill.regime_lm import (LM_BETAS, LM_BETA_ALGORITHMS, LM_BETA_PIPELINES, LM_BETA_SEEDS, LM_HELDOUT_WORLDS, LM_SIZES, collect_lm_beta_map, collect_lm_kd_mitigation,
                                    collect_lm_size_map, grpo_trajectories, run_lm_beta_map, run_lm_kd_mitigation, run_lm_size_map)

if __name__ == '__main__':
    args = sys.argv[1:]
    if not args or args[0] not in ('run', 'collect', 'size', 'collect-size', 'kd', 'collect-kd', 'trajectories'): sys.exit(__doc__)
    mode, args = args[0], args[1:]
    seeds = opt(args, '--seeds', int_range, LM_BETA_SEEDS)
    worlds = opt(args, '--worlds', int_list, LM_HELDOUT_WORLDS)
    betas = opt(args, '--betas', lambda v: tuple(float(x) for x in v.split(',')), LM_BETAS)
    algorithms = opt(args, '--algorithms', lambda v: tuple(x for x in v.split(',') if x), LM_BETA_ALGORITHMS)
    sizes = opt(args, '--sizes', lambda v: tuple(x for x in v.split(',') if x), LM_SIZES)
    pipelines = opt(args, '--pipelines', lambda v: tuple(x for x in v.split(',') if x), LM_BETA_PIPELINES)
    t0 = time.perf_counter()
    try:
        if mode == 'run' and len(args) == 1:
            limit_threads()
            done = run_lm_beta_map(args[0], betas, worlds, seeds, algorithms=algorithms, pipelines=pipelines, progress=True)
            print(f'{len(done)} runs in {time.perf_counter() - t0:.0f} s')
        elif mode == 'collect' and len(args) == 2:
            recs = collect_lm_beta_map(*args, betas=betas, algorithms=algorithms)
            print(', '.join(f'beta {b:g}: {sum(len(v) for v in r.values())} records' for b, r in recs.items()))
        elif mode == 'size' and len(args) == 1:
            limit_threads()
            done = run_lm_size_map(args[0], sizes, worlds, seeds, progress=True)
            print(f'{len(done)} runs in {time.perf_counter() - t0:.0f} s')
        elif mode == 'collect-size' and len(args) == 2:
            recs = collect_lm_size_map(*args, sizes=sizes)
            print(', '.join(f'{z}: {sum(len(v) for v in r.values())} records' for z, r in recs.items()))
        elif mode == 'kd' and len(args) == 1:
            limit_threads()
            done = run_lm_kd_mitigation(args[0], worlds, seeds, progress=True)
            print(f'{len(done)} runs in {time.perf_counter() - t0:.0f} s')
        elif mode == 'collect-kd' and len(args) == 2:
            recs = collect_lm_kd_mitigation(*args)
            print(', '.join(f'{k}: {len(v)} records' for k, v in recs.items()) or 'no finished runs')
        elif mode == 'trajectories' and len(args) == 2:
            limit_threads()
            rows = grpo_trajectories(*args, world_seeds=worlds, seeds=seeds, progress=True)
            print(f'{len(rows)} trajectories in {args[1]}, {time.perf_counter() - t0:.0f} s')
        else: sys.exit(__doc__)
    except ValueError as e: sys.exit(f'regime_lm: {e}')   # a bad setting or a busy run directory: the message says what to change
