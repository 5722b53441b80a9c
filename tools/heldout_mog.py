#!/usr/bin/env python
"""Record the held-out runs of the mixture world (chapter 32_heldout): `python tools/heldout_mog.py OUT [WORLD ...]`.

Runs K→A and A→K in every world of `aligndistill.heldout.heldout_worlds()` (or the ones named) on the held-out seeds,
audits each seed's teacher and student before alignment is looked at, and writes `OUT/<world>/results.json`.
Set AD_THREADS (default 1)."""
import sys, time
from aligndistill.core import limit_threads
from aligndistill.heldout import record_heldout

if __name__ == '__main__':
    if len(sys.argv) < 2: sys.exit(__doc__)
    out, names = sys.argv[1], sys.argv[2:] or None
    limit_threads()
    t0 = time.perf_counter()
    recs = record_heldout(out, names)
    print(f"{sum(len(r) for r in recs.values())} records in {len(recs)} worlds, {time.perf_counter() - t0:.0f} s")
