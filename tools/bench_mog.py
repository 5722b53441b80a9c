#!/usr/bin/env python
"""Wall time of the default MoG study and the cost of 8 seeds relative to 1 seed.

    .venv/bin/python tools/bench_mog.py [--seeds 5] [--threads 1] [--repeats 1]

Every study runs in a fresh temporary run directory (nothing cached). Batching seeds should make the 8-seed study
cost far less than 8 one-seed studies. Timings taken while other processes use the CPU are not trustworthy:
the script prints the load average next to its figures."""
import argparse, os, tempfile, time
from pathlib import Path

def study_seconds(n_seeds, seed_start=0, stage_times=None, cpu=None):
    "Wall seconds of a fresh study of `n_seeds` seeds; appends this process's CPU seconds to `cpu` if given."
    from aligndistill.worlds.mog.align import MogWorld
    from aligndistill.core import RunDir
    from aligndistill.study import STUDY_PIPELINES, run_study
    with tempfile.TemporaryDirectory() as d:
        rd = RunDir(Path(d)/'run')
        t0, c0 = time.perf_counter(), time.process_time()
        run_study(MogWorld(), list(range(seed_start, seed_start + n_seeds)), rd, pipelines=STUDY_PIPELINES, progress=False)
        secs = time.perf_counter() - t0
        if cpu is not None: cpu.append(time.process_time() - c0)
    if stage_times is not None: stage_times.update({k: v['seconds'] for k, v in rd.timings.items()})
    return secs

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--seeds', type=int, default=5, help='seeds of the default study (default 5)')
    p.add_argument('--threads', type=int, default=1, help='torch threads (default 1)')
    p.add_argument('--repeats', type=int, default=1, help='repeat each timing, keep the fastest (default 1)')
    a = p.parse_args()
    import torch
    torch.set_num_threads(a.threads)
    def best(n, **kw):
        cpu = []
        wall = min(study_seconds(n, cpu=cpu, **kw) for _ in range(a.repeats))
        return wall, min(cpu)
    study_seconds(1, seed_start=100)  # warm-up: imports, allocator, first-call overheads
    stages = {}
    (default, default_cpu), (one, one_cpu), (eight, eight_cpu) = best(a.seeds, stage_times=stages), best(1), best(8)
    print(f"torch threads {torch.get_num_threads()}, load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores "
          "(wall clock suffers from other processes; CPU seconds of this process much less)")
    print(f"default MoG study ({a.seeds} seeds, KA, AK, KA_teacher_ref, teacher_aligned x ppo, dpo_on, dpo_off): "
          f"{default:.1f} s wall, {default_cpu:.1f} s CPU")
    print("  where the time goes (wall, last run):")
    for k, v in sorted(stages.items(), key=lambda kv: -kv[1])[:12]: print(f"    {k:32s} {v:7.2f} s")
    print(f"1 seed: {one:.1f} s wall / {one_cpu:.1f} s CPU   8 seeds: {eight:.1f} s wall / {eight_cpu:.1f} s CPU")
    print(f"ratio 8 seeds / 1 seed: {eight / one:.2f} wall, {eight_cpu / one_cpu:.2f} CPU (8 = no gain from batching)")

if __name__ == '__main__': main()
