#!/usr/bin/env python
"""Record the mitigations of K→A in the mixture world (chapter 34_mitigations).

    python tools/mitigations.py dev FILE          # the development grid (default world, seeds 0-9) -> FILE (JSON)
    python tools/mitigations.py run OUT [WORLD ...] # every mitigation on the held-out worlds -> OUT/<world>/results.json

`run` keeps a world whose records are complete and current, so an interrupted run resumes where it stopped.
Set AD_THREADS (default 1)."""
import sys, time
from aligndistill.core import limit_threads
from aligndistill.mitigate import record_dev, record_mitigations

if __name__ == '__main__':
    args = sys.argv[1:]
    if len(args) < 2 or args[0] not in ('dev', 'run') or (args[0] == 'dev' and len(args) != 2): sys.exit(__doc__)
    limit_threads()
    t0 = time.perf_counter()
    try:
        if args[0] == 'dev': n = len(record_dev(args[1], progress=True))
        else: n = sum(len(r) for r in record_mitigations(args[1], args[2:] or None, progress=True).values())
    except ValueError as e: sys.exit(f'mitigations: {e}')   # a bad world name: the message lists the names
    print(f'{n} entries, {time.perf_counter() - t0:.0f} s')
