#!/usr/bin/env python
"""Record the held-out runs of the language world (chapter 33_heldout_lm).

    python tools/heldout_lm.py run WORK [--seeds 3000-3009] [--worlds 1,2,3] [--addendum ablations|offline|refresh]   # run and audit, seed by seed (resumable)
    python tools/heldout_lm.py collect WORK OUT [--algorithms dpo,rloo,...]     # every finished seed -> OUT/world<W>/results.json
    python tools/heldout_lm.py direct OUT [--seeds ...] [--worlds ...]          # the capacity control -> OUT/world<W>/results.json (resumable)

`run` keeps one run directory per (world seed, seed) under WORK, so two processes can share the work by taking
different --seeds ranges; `--addendum NAME` adds an addendum's aligners and pipelines (`ADDENDA`) to finished main runs. Set AD_THREADS (default 1)."""
import sys, time
from recordargs import int_list, int_range, opt   # this folder is on the path when run as a script
from aligndistill.core import limit_threads
from aligndistill.heldout_lm import (ADDENDA, LM_DIRECT_ALGORITHMS, LM_HELDOUT_SEEDS, LM_HELDOUT_WORLDS, collect_heldout_lm,
                                     lm_direct_records, run_heldout_lm)

if __name__ == '__main__':
    args = sys.argv[1:]
    if not args or args[0] not in ('run', 'collect', 'direct'): sys.exit(__doc__)
    mode, args = args[0], args[1:]
    seeds = opt(args, '--seeds', int_range, LM_HELDOUT_SEEDS)
    worlds = opt(args, '--worlds', int_list, LM_HELDOUT_WORLDS)
    add = opt(args, '--addendum', str, None)
    only = opt(args, '--algorithms', lambda v: tuple(x for x in v.split(',') if x), None)   # collect: leave out an addendum still running
    if mode != 'collect' and only is not None: sys.exit('--algorithms is for collect; run takes --addendum')
    if add is not None and add not in ADDENDA: sys.exit(f'--addendum {add!r}: one of {sorted(ADDENDA)}')
    t0 = time.perf_counter()
    try:
        if mode == 'run' and len(args) == 1:
            limit_threads()
            extra = dict(zip(('algorithms', 'pipelines'), ADDENDA[add])) if add else {}
            done = run_heldout_lm(args[0], worlds, seeds, progress=True, **extra)
            print(f'{len(done)} runs in {time.perf_counter() - t0:.0f} s')
        elif mode == 'direct' and len(args) == 1:
            limit_threads()
            recs = lm_direct_records(args[0], worlds, seeds, algorithms=LM_DIRECT_ALGORITHMS, progress=True)
            print(f'{sum(len(v) for v in recs.values())} records written in {time.perf_counter() - t0:.0f} s')
        elif mode == 'collect' and len(args) == 2:
            recs = collect_heldout_lm(*args, algorithms=only)
            print(', '.join(f'{k}: {len(v)} records' for k, v in recs.items()) or 'no finished runs')
        else: sys.exit(__doc__)
    except ValueError as e: sys.exit(f'heldout_lm: {e}')   # a bad setting or a busy run directory: the message says what to change
