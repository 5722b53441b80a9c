#!/usr/bin/env python
"""Record the pilot audit's runs (chapter 35_pilot), each resumable (done runs are skipped).

    python tools/pilot.py dev OUT [--seeds 0-7]                        # world 0, tau 0.5 and 1: full K->A runs with the pilot's probes
    python tools/pilot.py a OUT --students WORK [--seeds 3000-3009]    # held-out A: pilots of the stored students of tools/heldout_lm.py run WORK
    python tools/pilot.py b OUT [--seeds 3000-3009]                    # held-out B: worlds 4 and 5, full K->A runs with the probes
    python tools/pilot.py c OUT --teachers WORK [--seeds 3000-3009]    # held-out C: set A's seeds distilled at tau 1 from the stored teachers, full runs

--algorithms main|ablations (a only): the main set or the secondary one (default both, seed by seed).

Records go to OUT/pilot.json. Set AD_THREADS (default 1)."""
import sys, time
from recordargs import int_range, opt   # the recording scripts' option parsing (this folder is on the path when run as a script)
from aligndistill.core import limit_threads
from aligndistill.pilot import PILOT_ABLATIONS, PILOT_ALGORITHMS, PILOT_DEV, PILOT_HELDOUT_A, PILOT_HELDOUT_B, PILOT_HELDOUT_C, pilot_records

if __name__ == '__main__':
    args = sys.argv[1:]
    sets = dict(dev=(PILOT_DEV, PILOT_ALGORITHMS), a=(PILOT_HELDOUT_A, PILOT_ALGORITHMS + PILOT_ABLATIONS), b=(PILOT_HELDOUT_B, PILOT_ALGORITHMS), c=(PILOT_HELDOUT_C, PILOT_ALGORITHMS))
    if not args or args[0] not in sets: sys.exit(__doc__)
    (spec, algorithms), args = sets[args[0]], args[1:]
    mode = sys.argv[1]
    seeds = opt(args, '--seeds', int_range, spec['seeds'])
    students = opt(args, '--students', str, None)
    sets_a = dict(main=PILOT_ALGORITHMS, ablations=PILOT_ABLATIONS)
    only = opt(args, '--algorithms', str, None)
    if only is not None:
        if mode != 'a' or only not in sets_a: sys.exit('--algorithms main|ablations is for a only')
        algorithms = sets_a[only]
    teachers = opt(args, '--teachers', str, None)
    if (mode == 'a') != (students is not None): sys.exit('--students WORK is required for a, and only for a')
    if (mode == 'c') != (teachers is not None): sys.exit('--teachers WORK is required for c, and only for c')
    if len(args) != 1: sys.exit(__doc__)
    limit_threads()
    t0 = time.perf_counter()
    try: recs = pilot_records(args[0], spec['worlds'], seeds, spec['taus'], algorithms, students=students, teachers=teachers, progress=True)
    except ValueError as e: sys.exit(f'pilot: {e}')   # a bad setting or a busy folder: the message says what to change
    print(f'{len(recs)} records in {args[0]}/pilot.json ({time.perf_counter() - t0:.0f} s)')
