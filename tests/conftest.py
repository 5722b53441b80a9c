import os, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
os.environ.setdefault('MKL_CBWR', 'AUTO,STRICT')   # as importing aligndistill does, for the notebooks' processes too
# No hub is reachable here or in CI: fail fast instead of waiting for time-outs.
for k in ('HF_HUB_OFFLINE', 'TRANSFORMERS_OFFLINE', 'HF_DATASETS_OFFLINE', 'TRL_EXPERIMENTAL_SILENCE'): os.environ.setdefault(k, '1')
os.environ.setdefault('MPLBACKEND', 'Agg')
