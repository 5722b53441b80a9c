#!/usr/bin/env python
"""Record the held-out runs of the mixture world (chapter 32_heldout).

    python tools/heldout_mog.py OUT [WORLD ...]      # K→A and A→K in the held-out worlds (all, or the ones named)
    python tools/heldout_mog.py --controls OUT       # the controls: `direct` students and the dose-response
    python tools/heldout_mog.py --family FILE        # exploratory: each student's optimum within its own family
    python tools/heldout_mog.py --teacher-ref OUT    # third addendum: K→A with the teacher as reference, every world

The first runs every world of `aligndistill.heldout.heldout_worlds()` on the held-out seeds, audits each seed's teacher
and student before alignment is looked at, and writes `OUT/<world>/results.json`; the second writes `OUT/direct/` and
`OUT/dose-<q>/`; the last writes `OUT/<world>/results.json` with the pipeline `KA_teacher_ref`. Set AD_THREADS (default 1)."""
import sys, time
from aligndistill.core import limit_threads
from aligndistill.heldout import record_controls, record_family, record_heldout

if __name__ == '__main__':
    args = sys.argv[1:]
    mode = args[0] if args and args[0] in ('--controls', '--family', '--teacher-ref') else None
    if mode: args = args[1:]
    if not args: sys.exit(__doc__)
    out, names = args[0], args[1:] or None
    limit_threads()
    t0 = time.perf_counter()
    try:
        recs = (record_controls(out) if mode == '--controls' else record_family(out) if mode == '--family'
                else record_heldout(out, names, pipelines=('KA_teacher_ref',)) if mode == '--teacher-ref' else record_heldout(out, names))
    except ValueError as e: sys.exit(f'heldout_mog: {e}')   # a bad world name or setting: the message says what to write
    print(f"{sum(len(r) for r in recs.values())} entries in {len(recs)} groups, {time.perf_counter() - t0:.0f} s")
