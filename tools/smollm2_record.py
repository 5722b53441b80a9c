#!/usr/bin/env python
"""Record a finished SmolLM2 study: its records, and answers of every stage's model to read next to the numbers.

    python tools/smollm2_record.py OUT RUN [RUN ...]   # e.g. results/lm-smollm2-135m runs/lm-smollm2-135m

Writes OUT/results.json (the records of every RUN, unchanged; seeds run in separate processes sit in separate run
folders) and OUT/samples.json: for each seed, each model of the study
(teacher, student, the aligned teachers, K→A, A→K, K→A with the teacher as reference) a few answers to the first
prompts, sampled at temperature 1 with a fixed seed, with the reward of each. Needs the run's stage folders and the
SmolLM2 weights; the chapter replays the two files without either.
"""
import sys
from pathlib import Path

from aligndistill.core import load_results, write_json
from aligndistill.worlds.lm.smollm2 import SmolLM2World, SMOLLM2_PROMPTS
from aligndistill.worlds.lm.given import GivenLmConfig
from aligndistill.worlds.lm.train import generate_ids

N_PROMPTS, PER_PROMPT, SEED = 3, 4, 4242

def main(out, *runs):
    out, recs = Path(out), []
    for run in map(Path, runs):
        got = load_results(run)
        assert got, f'{run} has no records'
        recs += [dict(r, _run=run) for r in got]
    keys = [(r['seed'], r['pipeline'], r['algorithm']) for r in recs]
    assert len(set(keys)) == len(keys), 'a seed appears in two runs'
    assert len({str(r['config']) for r in recs}) == 1, 'the runs have different configs'
    world = SmolLM2World(GivenLmConfig.from_dict(recs[0]['config']), n_check=0)
    rows = []
    for r in sorted(recs, key=lambda r: (r['seed'], r['pipeline'], r['algorithm'])):
        run = r['_run']
        model = world.teacher if r['pipeline'] == 'teacher' else world.load(run/r['model']['path']/'model')
        m = world.inference(model)
        for i in range(N_PROMPTS):
            ids = generate_ids(m, world.tok, PER_PROMPT, 1.0, world.max_new, seed=SEED + i, batch_size=PER_PROMPT, prompt_ids=world.prompts[i])
            texts = world.tok.batch_decode(ids, skip_special_tokens=True)
            rew = world.oracle.score(ids)['reward'].tolist()
            rows += [dict(seed=r['seed'], pipeline=r['pipeline'], algorithm=r['algorithm'], prompt=SMOLLM2_PROMPTS[i], answer=t, reward=x)
                     for t, x in zip(texts, rew)]
        print(r['seed'], r['pipeline'], r['algorithm'], flush=True)
    out.mkdir(parents=True, exist_ok=True)
    write_json(out/'results.json', [{k: v for k, v in r.items() if k != '_run'} for r in recs])
    write_json(out/'samples.json', dict(seed=SEED, per_prompt=PER_PROMPT, temperature=1.0, samples=rows))

if __name__ == '__main__':
    if len(sys.argv) < 3: sys.exit(__doc__)
    main(*sys.argv[1:])
