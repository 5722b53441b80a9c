#!/usr/bin/env python
"""Speed of every world's stages against this machine's measured matmul peak, and of each new code path against the one it replaced.

    .venv/bin/python tools/bench.py [--repeats 3] [--threads 1] [--quick] [--out results/bench/bench.json]

What it measures (each figure the median of `--repeats` runs; A/B pairs are interleaved, A B A B ..., so that load
from other processes on a shared machine falls on both sides alike):
- matmul peak, fp32 and bf16, at SmolLM2-135M's MLP shape: the yardstick for achieved FLOP/s;
- sampling one token from a 49,152-token softmax, batch 128: `torch.multinomial` (what `generate` uses) against the
  inverse-CDF `sample_next`;
- the mixture study (all pipelines and algorithms) with 5 and with 20 seeds: seconds, the 20/5 ratio, and achieved
  FLOP/s from the records' own FLOP estimates;
- the synthetic language world at `ci` scale, one seed, DPO + RLOO: seconds per stage, tokens per second and
  achieved FLOP/s of its training stages (from the records' token counts), against the fp32 peak;
- `--only grouped_alignment`: the mixture study with 5 and 20 seeds, the aligners' `align_many` (one batch for the
  alignments of one algorithm) against one alignment per stage, the code path it replaced;
- `--only under_load`: each world's study (the mixture world, 5 seeds; the language world at `ci` scale) alone, then
  two copies at once in separate processes on the same cores, at one thread each and at two (four threads on two
  cores): per-stage seconds and the loaded / quiet ratios (one run each: it measures contention, so it cannot be
  interleaved);
- `--only length_grouping`: the language world's teacher stage with random batches against batches of similar
  lengths (`train_lm(batching='by_length')`), seeds 1-4: seconds, padding share and the teacher's target precision;
- `--only bf16_training`: one training step of a 31.5M- and a 5M-parameter Llama at a 49,152-token vocabulary in
  fp32 (what `train_lm` runs), bf16 autocast and bf16 weights: seconds and the share of the dtype's matmul peak;
- `--only large_vocab_training`: `train_lm` at a 49,152-token vocabulary, TRL's `SFTTrainer` against
  `transformers.Trainer`;
- `--only against_previous [--rev REV]`: the mixture study (5 seeds, every pipeline) in this checkout against the same
  study at git revision REV (default `HEAD~1`, checked out in a temporary worktree), each run a fresh process, the two
  interleaved; the records' metrics compared (identical where the numerics did not change; else the largest and median
  relative difference and the records that differ beyond 1e-6);
- unless `--quick`: a SmolLM2-135M-shaped model (random weights): scoring and generation tokens/s in fp32 and bf16,
  the latter with eager attention; generation at batch 32, at the text world's p* sampling batch and at 256.
The machine's load average is printed and stored next to the figures: timings on a busy machine say little.
Never used by tests (timings are not assertions); the results chapter shows the stored output."""
import argparse, json, math, os, statistics, sys, tempfile, time
from pathlib import Path

os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')
import torch

def cpu_model() -> str:
    "The processor's name (Linux), stored with every section: figures from different machines must not be read as one."
    try: return next(l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name'))
    except (OSError, StopIteration): return 'unknown'

def median_time(fn, repeats):
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter(); fn(); ts.append(time.perf_counter() - t0)
    return statistics.median(ts)

def interleaved(fa, fb, repeats):
    "Median seconds of `fa` and of `fb`, run alternately."
    ta, tb = [], []
    for _ in range(repeats):
        for f, ts in ((fa, ta), (fb, tb)):
            t0 = time.perf_counter(); f(); ts.append(time.perf_counter() - t0)
    return statistics.median(ta), statistics.median(tb)

def matmul_peak(dtype, repeats, m=1024, k=576, n=1536, inner=20):
    a, b = torch.randn(m, k, dtype=dtype), torch.randn(k, n, dtype=dtype)
    for _ in range(3): a @ b
    t = median_time(lambda: [a @ b for _ in range(inner)], repeats) / inner
    return 2 * m * k * n / t

def sampling(repeats, V=49152, B=128, inner=20):
    from aligndistill.worlds.lm.train import sample_next
    logits = torch.randn(B, V)
    g = torch.Generator().manual_seed(0)
    mult = lambda: [torch.multinomial(torch.softmax(logits, -1), 1, generator=g) for _ in range(inner)]
    inv = lambda: [sample_next(logits, 1.0, g) for _ in range(inner)]
    mult(); inv()
    tm, ti = interleaved(mult, inv, repeats)
    return dict(vocab=V, batch=B, multinomial_us=tm / inner * 1e6, inverse_cdf_us=ti / inner * 1e6, speedup=tm / ti)

def study_flops(recs):
    "Sum over the records of the FLOPs of the stages they ran, each stage counted once per seed."
    from aligndistill.report import stage_flops
    seen, total = set(), 0.0
    for r in recs:
        st = r.get('cost', {}).get('stages', {})
        for name in st:
            key = (r['seed'], name, r['algorithm'] if st[name].get('step') == 'align' or name == 'AK' else '')
            if key in seen: continue
            seen.add(key)
            f = stage_flops(name, st).get('flops', math.nan)
            if math.isfinite(f): total += f
    return total

def mog(repeats):
    from aligndistill.study import STUDY_PIPELINES, run_study
    from aligndistill.worlds.mog.align import MogWorld
    out = {}
    def run(n):
        with tempfile.TemporaryDirectory() as d:
            t0 = time.perf_counter()
            recs = run_study(MogWorld(), list(range(n)), Path(d)/'run', pipelines=STUDY_PIPELINES, progress=False)
            return time.perf_counter() - t0, recs
    run(1)  # warm-up
    t5, t20, recs5 = [], [], None
    for _ in range(repeats):
        s, recs5 = run(5); t5.append(s)
        s, _ = run(20); t20.append(s)
    out['seconds_5_seeds'], out['seconds_20_seeds'] = statistics.median(t5), statistics.median(t20)
    out['ratio_20_over_5'] = out['seconds_20_seeds'] / out['seconds_5_seeds']
    out['flops_5_seeds'] = study_flops(recs5)
    out['achieved_flops_per_s'] = out['flops_5_seeds'] / out['seconds_5_seeds']
    return out

def lm_tiny():
    from aligndistill.core import RunDir
    from aligndistill.study import run_study
    from aligndistill.worlds.lm.world import LmConfig, LmWorld, ci_config
    world = LmWorld(ci_config(LmConfig()))
    with tempfile.TemporaryDirectory() as d:
        rd = RunDir(Path(d)/'run')
        t0 = time.perf_counter()
        recs = run_study(world, [0], rd, progress=False)
        total = time.perf_counter() - t0
    stages = {}
    for r in recs:
        for name, st in r['cost']['stages'].items():
            tok = st.get('train_tokens')
            stages[name] = dict(seconds=st['seconds'], train_tokens=tok,
                                tokens_per_s=tok / st['seconds'] if tok else None,
                                flops_per_s=st['train_flops'] / st['seconds'] if st.get('train_flops') else None)
    return dict(seconds=total, algorithms=list(world.algorithms), stages=stages)

def smollm2_shapes(repeats):
    "Scoring (16 x 64 tokens) and generation (16 new tokens at batch 32, at the text world's p* batch and at 256) of a SmolLM2-135M-shaped model."
    from transformers import LlamaForCausalLM
    from aligndistill.worlds.lm.data import TextWorldConfig
    PSTAR_BATCH = TextWorldConfig().batch_size
    from aligndistill.worlds.lm.train import decode, llama_config
    out = {}
    for dt in ('float32', 'bfloat16'):
        cfg = llama_config('smollm2-135m', 49152, max_positions=256)
        cfg._attn_implementation = 'eager' if dt == 'bfloat16' else 'sdpa'
        torch.manual_seed(0)
        m = LlamaForCausalLM(cfg).eval().to(getattr(torch, dt))
        ids = torch.randint(3, 49152, (16, 64))
        with torch.no_grad():
            m(input_ids=ids[:2])
            t = median_time(lambda: m(input_ids=ids), repeats)
            score = ids.numel() / t
            prompt = torch.tensor([1])
            g = torch.Generator().manual_seed(0)
            tg = median_time(lambda: decode(m, prompt, 32, 1.0, 16, eos_id=-1, pad_id=0, generator=g), repeats)
            big = {b: b * 16 / median_time(lambda: decode(m, prompt, b, 1.0, 16, eos_id=-1, pad_id=0, generator=g), repeats) for b in (PSTAR_BATCH, 256)}
        out[dt] = dict(params=sum(p.numel() for p in m.parameters()), score_tokens_per_s=score, generate_tokens_per_s=32 * 16 / tg,
                       **{f'generate_tokens_per_s_batch{b}': v for b, v in big.items()})
    out['bf16_speedup_score'] = out['bfloat16']['score_tokens_per_s'] / out['float32']['score_tokens_per_s']
    out['bf16_speedup_generate'] = out['bfloat16']['generate_tokens_per_s'] / out['float32']['generate_tokens_per_s']
    return out

def large_vocab_training(repeats, n=128, batch=64):
    "`train_lm` on a 2.4M-parameter student over SmolLM2's 49,152 tokens: `SFTTrainer` (the previous path) against `transformers.Trainer`."
    import aligndistill.worlds.lm.train as T
    from aligndistill.worlds.lm.data import make_tokenizer
    tok = make_tokenizer(8)   # only its special ids are read; the model's vocabulary is SmolLM2's size
    g = torch.Generator().manual_seed(0)
    seqs = [[1] + torch.randint(3, 49152, (int(torch.randint(40, 64, (1,), generator=g)),), generator=g).tolist() + [2] for _ in range(n)]
    data = T.as_dataset(seqs)
    def run(threshold):
        def f():
            T.PLAIN_CE_VOCAB = threshold
            torch.manual_seed(0)
            m = T.LlamaForCausalLM(T.llama_config('cpu-student', 49152, 0, 1, 2, 128))
            T.train_lm(m, tok, data, T.TrainConfig(epochs=1, batch_size=batch, lr=3e-3), seed=0)
        return f
    default = T.PLAIN_CE_VOCAB
    try: t_sft, t_plain = interleaved(run(10**9), run(default), repeats)
    finally: T.PLAIN_CE_VOCAB = default
    steps = math.ceil(n / batch)
    return dict(vocab=49152, params=2410224, sequences=n, steps=steps, sft_seconds_per_step=t_sft / steps, trainer_seconds_per_step=t_plain / steps,
                speedup=t_sft / t_plain, load_before=os.getloadavg()[0])

LENGTH_GROUPING_SEEDS = (1, 2, 3, 4)   # the recorded run's seeds; seed 0 is where the effect on the teacher was first seen (development)

def length_grouping(repeats):
    "The tiny world's teacher stage (default scale, its own calls) with random batches against `train_lm(batching='by_length')`, per seed: seconds, the padding share of each order, the teacher's target precision (the world's own evaluation)."
    from transformers.trainer_pt_utils import LengthGroupedSampler
    import aligndistill.worlds.lm.train as T
    from aligndistill.core import stage_generator
    from aligndistill.worlds.lm.world import LmConfig, LmWorld, _gen_seed
    cfg = LmConfig(); world, bs = LmWorld(cfg), cfg.teacher_train.batch_size
    def padding(lengths, order):   # the share of the computed (padded) tokens that are padding
        batches = [order[i:i + bs] for i in range(0, len(order), bs)]
        return 1 - sum(lengths) / sum(len(b) * max(lengths[j] for j in b) for b in batches)
    rows = []
    for s in LENGTH_GROUPING_SEEDS:
        seqs = world._seqs(*world.lang.sample(cfg.n_train, stage_generator(s, 'world')))   # what `fit_teacher` trains on
        lengths, init = [len(q) for q in seqs], _gen_seed(s, 'teacher-init') % 2**31
        shuffled = torch.randperm(len(seqs), generator=torch.Generator().manual_seed(s)).tolist()
        grouped = list(LengthGroupedSampler(bs, lengths=lengths, generator=torch.Generator().manual_seed(s)))
        row = dict(seed=s, padding_share=dict(random=padding(lengths, shuffled), by_length=padding(lengths, grouped)), seconds={}, target_precision={})
        for mode in ('random', 'by_length'):
            model = T.make_model(cfg.teacher_size, world.tok, seed=init, max_positions=max(64, world.max_new + 2))
            t0 = time.perf_counter(); model, _ = T.train_lm(model, world.tok, T.as_dataset(seqs), cfg.teacher_train, seed=init, batching=mode)
            row['seconds'][mode] = time.perf_counter() - t0
            row['target_precision'][mode] = world.evaluate(model, [s])[0]['target_precision']
        rows.append(row)
    med = lambda k, m: statistics.median(r[k][m] for r in rows)
    return dict(seeds=list(LENGTH_GROUPING_SEEDS), rows=rows, speedup=statistics.median(r['seconds']['random'] / r['seconds']['by_length'] for r in rows),
                padding_share=dict(random=med('padding_share', 'random'), by_length=med('padding_share', 'by_length')),
                target_precision=dict(random=med('target_precision', 'random'), by_length=med('target_precision', 'by_length')),
                seeds_lower_with_by_length=sum(r['target_precision']['by_length'] < r['target_precision']['random'] for r in rows),
                pstar_target_weight=cfg.world.weights[cfg.world.target], load_before=os.getloadavg()[0])

def bf16_training(repeats, batch=16, length=64, steps=4):
    "One training step (forward, backward, fused AdamW) of Llama models at SmolLM2's 49,152-token vocabulary: fp32 with SDPA (what `train_lm` runs) against bf16 autocast and bf16 weights, both with eager attention; achieved FLOP/s (6 x parameters x tokens) against this machine's peaks."
    from transformers import LlamaForCausalLM
    from aligndistill.worlds.lm.train import llama_config
    peak = {dt: matmul_peak(getattr(torch, dt), max(repeats, 5)) for dt in ('float32', 'bfloat16')}   # measured again at the end: the larger counts
    ids = torch.randint(3, 49152, (batch, length), generator=torch.Generator().manual_seed(0))
    out = dict(vocab=49152, batch=batch, length=length, peak_gflops={k: v / 1e9 for k, v in peak.items()}, models={})
    for size in ('gpu-teacher', 'cpu-teacher'):
        res = {}
        for mode in ('fp32', 'bf16_autocast', 'bf16_weights'):
            cfg = llama_config(size, 49152, 0, 1, 2, 128); cfg._attn_implementation = 'sdpa' if mode == 'fp32' else 'eager'
            torch.manual_seed(0); m = LlamaForCausalLM(cfg)
            if mode == 'bf16_weights': m = m.to(torch.bfloat16)
            P = sum(p.numel() for p in m.parameters())
            opt = torch.optim.AdamW(m.parameters(), lr=1e-3, fused=True)
            def step():
                with torch.autocast('cpu', dtype=torch.bfloat16, enabled=mode == 'bf16_autocast'):
                    loss = m(input_ids=ids, labels=ids).loss
                loss.backward(); opt.step(); opt.zero_grad()
            step(); step()   # warm-up: allocator, optimizer state
            t = median_time(lambda: [step() for _ in range(steps)], repeats) / steps
            f = 6 * P * ids.numel() / t
            res[mode] = dict(seconds_per_step=t, gflops=f / 1e9)
        res['params'] = P
        res['bf16_speedup'] = {k: res['fp32']['seconds_per_step'] / res[k]['seconds_per_step'] for k in ('bf16_autocast', 'bf16_weights')}
        out['models'][size] = res
    for dt in peak: peak[dt] = max(peak[dt], matmul_peak(getattr(torch, dt), max(repeats, 5)))
    out['peak_gflops'] = {k: v / 1e9 for k, v in peak.items()}
    for res in out['models'].values():
        for k in ('fp32', 'bf16_autocast', 'bf16_weights'): res[k]['fraction_of_peak'] = res[k]['gflops'] * 1e9 / peak['bfloat16' if k != 'fp32' else 'float32']
    out['load_before'] = os.getloadavg()[0]
    return out

def grouped_alignment(repeats):
    "The mixture study, 5 and 20 seeds, with the aligners' `align_many` (one batch per algorithm) against one alignment per stage."
    from aligndistill.study import STUDY_PIPELINES, run_study
    from aligndistill.worlds.mog.align import MogAligner, MogWorld
    def run(n, grouped):
        def f():
            saved = MogAligner.align_many
            if not grouped: del MogAligner.align_many
            try:
                with tempfile.TemporaryDirectory() as d: run_study(MogWorld(), list(range(n)), Path(d)/'run', pipelines=STUDY_PIPELINES, progress=False)
            finally: MogAligner.align_many = saved
        return f
    run(1, True)()  # warm-up
    out = dict(load_before=os.getloadavg()[0])
    for n in (5, 20):
        t_sep, t_grp = interleaved(run(n, False), run(n, True), repeats)
        out[f'seconds_{n}_seeds_separate'], out[f'seconds_{n}_seeds_grouped'], out[f'speedup_{n}_seeds'] = t_sep, t_grp, t_sep / t_grp
    out['ratio_20_over_5_grouped'] = out['seconds_20_seeds_grouped'] / out['seconds_5_seeds_grouped']
    return out

def _study_seconds(world_name, threads=1):
    "One study in this process on `threads` threads: per-stage seconds (the records' own timings) and the total."
    from aligndistill.core import limit_threads
    os.environ['AD_THREADS'] = str(threads)   # a spawned worker: `run_study` reads it (its own `limit_threads()`)
    limit_threads(threads)
    if world_name == 'mog':
        from aligndistill.study import STUDY_PIPELINES, run_study
        from aligndistill.worlds.mog.align import MogWorld
        with tempfile.TemporaryDirectory() as d:
            t0 = time.perf_counter(); recs = run_study(MogWorld(), list(range(5)), Path(d)/'run', pipelines=STUDY_PIPELINES, progress=False)
            total = time.perf_counter() - t0
        stages = {n: st['batch_seconds'] for r in recs for n, st in r['cost']['stages'].items()}
        return dict(seconds=total, stages=stages, threads=torch.get_num_threads())
    r = lm_tiny()
    return dict(seconds=r['seconds'], stages={n: st['seconds'] for n, st in r['stages'].items()}, threads=torch.get_num_threads())

def under_load(repeats):
    "Each world's study alone, then two copies at once on the same cores (separate processes): per-stage seconds and the loaded / quiet ratios."
    import multiprocessing as mp
    ctx = mp.get_context('spawn')
    out = dict(load_before=os.getloadavg()[0])
    for w, th in (('mog', 1), ('lm_tiny', 1), ('mog', 2), ('lm_tiny', 2)):   # 2 threads each: four threads on two cores
        with ctx.Pool(1) as pool: quiet = pool.apply(_study_seconds, (w, th))
        with ctx.Pool(2) as pool: loaded = pool.starmap(_study_seconds, [(w, th), (w, th)])
        assert quiet['threads'] == th and all(l['threads'] == th for l in loaded), (quiet['threads'], th)
        ratio = {n: max(l['stages'][n] for l in loaded) / quiet['stages'][n] for n in quiet['stages'] if quiet['stages'][n] > 0.05}
        out[f'{w}_threads{th}'] = dict(threads=th, quiet_seconds=quiet['seconds'], loaded_seconds=[l['seconds'] for l in loaded], quiet_stages=quiet['stages'],
                      loaded_stages=[l['stages'] for l in loaded], stage_ratio=ratio, worst_stage=max(ratio, key=ratio.get), worst_ratio=max(ratio.values()),
                      total_ratio=max(l['seconds'] for l in loaded) / quiet['seconds'])
    return out

_STUDY_JSON = """
import json, sys, tempfile, time
from pathlib import Path
import torch
torch.set_num_threads(int(sys.argv[3]))
import aligndistill
from aligndistill.study import STUDY_PIPELINES, run_study
from aligndistill.worlds.mog.align import MogWorld
with tempfile.TemporaryDirectory() as d:
    t0 = time.perf_counter()
    recs = run_study(MogWorld(), list(range(int(sys.argv[1]))), Path(d)/'run', pipelines=STUDY_PIPELINES, progress=False, threads=int(sys.argv[3]))
    secs = time.perf_counter() - t0
Path(sys.argv[2]).write_text(json.dumps(dict(seconds=secs, package=str(Path(aligndistill.__file__).parent.parent), metrics=sorted((r['pipeline'], r['algorithm'], r['seed'], sorted(r['metrics'].items())) for r in recs))))
"""

def against_previous(repeats, rev='HEAD~1', seeds=5, threads=1):
    "The mixture study in this checkout against the same study at git revision `rev`: fresh processes, interleaved; median study seconds and whether the metrics are identical."
    import subprocess
    root = Path(__file__).resolve().parents[1]
    git = lambda *a: subprocess.run(['git', *a], cwd=root, capture_output=True, text=True, check=True).stdout.strip()
    try: sha = git('rev-parse', '--verify', f'{rev}^{{commit}}')
    except subprocess.CalledProcessError: raise SystemExit(f'bench.py --rev {rev}: not a commit of this repository; give a hash, a tag or e.g. HEAD~1')
    env = dict(os.environ, MKL_CBWR=os.environ.get('MKL_CBWR', 'AUTO,STRICT'), OMP_WAIT_POLICY=os.environ.get('OMP_WAIT_POLICY', 'PASSIVE'))
    out = dict(rev=sha, head=git('rev-parse', 'HEAD'), dirty=bool(git('status', '--porcelain', '--untracked-files=no')), seeds=seeds, load_before=os.getloadavg()[0])
    with tempfile.TemporaryDirectory() as tmp:
        wt = Path(tmp)/'previous'
        git('worktree', 'add', '--detach', '-q', str(wt), sha)
        try:
            def run(path, tag, i):
                f = Path(tmp)/f'{tag}{i}.json'
                r = subprocess.run([sys.executable, '-c', _STUDY_JSON, str(seeds), str(f), str(threads)], env=dict(env, PYTHONPATH=str(path)), capture_output=True, text=True,
                                   cwd=str(path))   # `python -c` puts the working directory first on sys.path: it must be the checkout measured
                if r.returncode: raise SystemExit(f'bench.py against_previous: the study at {path} failed:\n{r.stderr[-3000:]}')
                return json.loads(f.read_text())
            prev, cur = [], []
            for i in range(repeats): prev.append(run(wt, 'prev', i)); cur.append(run(root, 'cur', i))
            for rs, path in ((prev, wt), (cur, root)):   # each side imported its own checkout's package
                if any(Path(r['package']).resolve() != path.resolve() for r in rs):
                    raise SystemExit(f"bench.py against_previous: a study meant for {path} imported {rs[0]['package']}")
        finally: git('worktree', 'remove', '--force', str(wt))
    out['seconds_previous'] = statistics.median(r['seconds'] for r in prev)
    out['seconds_current'] = statistics.median(r['seconds'] for r in cur)
    out['speedup'] = out['seconds_previous'] / out['seconds_current']
    out['records'] = len(cur[0]['metrics'])
    out['metrics_identical'] = all(r['metrics'] == cur[0]['metrics'] for r in prev + cur)
    out['current_repeatable'] = all(r['metrics'] == cur[0]['metrics'] for r in cur)   # fresh processes of one checkout: bit-identical
    rel = {tuple(a[:3]): [abs(u - v) / max(abs(u), abs(v), 1e-12) for (_, u), (_, v) in zip(a[3], b[3])]   # per record: each metric's relative difference
           for a, b in zip(prev[0]['metrics'], cur[0]['metrics'])}
    flat = [x for v in rel.values() for x in v]
    out['max_rel_diff'], out['median_rel_diff'] = max(flat), statistics.median(flat)
    out['differing_records'] = [list(k) for k, v in rel.items() if max(v) > 1e-6]   # (pipeline, algorithm, seed) of those beyond 1e-6
    out['records_beyond_1e-6'] = len(out['differing_records'])
    return out

ONLY = {'large_vocab_training': large_vocab_training, 'length_grouping': length_grouping, 'bf16_training': bf16_training, 'grouped_alignment': grouped_alignment, 'under_load': under_load,
        'against_previous': against_previous}

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--repeats', type=int, default=3)
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--quick', action='store_true', help='skip the SmolLM2-shaped model')
    p.add_argument('--out', default='results/bench/bench.json')
    p.add_argument('--only', choices=sorted(ONLY), help='measure this section only and update it in --out')
    p.add_argument('--rev', default='HEAD~1', help='with --only against_previous: the git revision to compare with (default HEAD~1)')
    a = p.parse_args()
    if a.rev != 'HEAD~1' and a.only != 'against_previous': p.error('--rev only applies to --only against_previous')
    torch.set_num_threads(a.threads)
    if a.only:
        old = json.loads(Path(a.out).read_text()) if Path(a.out).exists() else {}
        kw = dict(rev=a.rev, threads=a.threads) if a.only == 'against_previous' else {}
        old[a.only] = r = dict(ONLY[a.only](a.repeats, **kw), threads=a.threads, cpu=cpu_model(), load_after=os.getloadavg()[0])
        Path(a.out).write_text(json.dumps(old, indent=1) + '\n')
        if a.only == 'under_load':
            for w in ('mog_threads1', 'lm_tiny_threads1', 'mog_threads2', 'lm_tiny_threads2'):
                x = r[w]
                print(f"{w}: alone {x['quiet_seconds']:.1f} s, two at once {max(x['loaded_seconds']):.1f} s ({x['total_ratio']:.2f}x); "
                      f"worst stage {x['worst_stage']} {x['worst_ratio']:.2f}x; load {r['load_before']:.1f} -> {r['load_after']:.1f}")
            return
        if a.only == 'against_previous':
            print(f"MoG study, {r['seeds']} seeds, {r['records']} records: {r['rev'][:7]} {r['seconds_previous']:.2f} s, this checkout ({r['head'][:7]}{'+changes' if r['dirty'] else ''}) "
                  f"{r['seconds_current']:.2f} s ({r['speedup']:.2f}x); metrics identical: {r['metrics_identical']} (largest relative difference "
                  f"{r['max_rel_diff']:.1e}, median {r['median_rel_diff']:.1e}; {r['records_beyond_1e-6']} records beyond 1e-6; this checkout repeatable: "
                  f"{r['current_repeatable']}); load {r['load_before']:.1f} -> {r['load_after']:.1f}")
            return
        if a.only == 'bf16_training':
            for size, x in r['models'].items():
                print(f"{size} ({x['params'] / 1e6:.1f}M parameters, V=49152), one step of {r['batch']}x{r['length']} tokens: " + ', '.join(
                      f"{k} {x[k]['seconds_per_step']:.2f} s ({x[k]['gflops']:.0f} GFLOP/s, {x[k]['fraction_of_peak']:.1%} of its dtype's peak)" for k in ('fp32', 'bf16_autocast', 'bf16_weights')))
            print(f"peaks fp32 / bf16: {r['peak_gflops']['float32']:.0f} / {r['peak_gflops']['bfloat16']:.0f} GFLOP/s; load {r['load_before']:.1f} -> {r['load_after']:.1f}")
            return
        if a.only == 'length_grouping':
            for x in r['rows']:
                print(f"seed {x['seed']}: teacher {x['seconds']['random']:.1f} s random, {x['seconds']['by_length']:.1f} s by length; padding {x['padding_share']['random']:.1%} / "
                      f"{x['padding_share']['by_length']:.1%}; target precision {x['target_precision']['random']:.4f} / {x['target_precision']['by_length']:.4f}")
            print(f"by length: {r['speedup']:.2f}x faster (median), lower target precision on {r['seeds_lower_with_by_length']} of {len(r['rows'])} seeds "
                  f"(p* target weight {r['pstar_target_weight']}); load {r['load_before']:.1f} -> {r['load_after']:.1f}")
            return
        if a.only == 'grouped_alignment':
            print(f"MoG study, aligners' align_many against one alignment per stage: 5 seeds {r['seconds_5_seeds_separate']:.1f} -> {r['seconds_5_seeds_grouped']:.1f} s "
                  f"({r['speedup_5_seeds']:.2f}x), 20 seeds {r['seconds_20_seeds_separate']:.1f} -> {r['seconds_20_seeds_grouped']:.1f} s ({r['speedup_20_seeds']:.2f}x); "
                  f"20/5 grouped {r['ratio_20_over_5_grouped']:.2f}; load {r['load_before']:.1f} -> {r['load_after']:.1f}")
            return
        print(f"train_lm, 2.4M-parameter student, V=49152, {r['sequences']} sequences: SFTTrainer {r['sft_seconds_per_step']:.1f} s/step, "
              f"transformers.Trainer {r['trainer_seconds_per_step']:.1f} s/step ({r['speedup']:.2f}x); load {r['load_before']:.1f} -> {r['load_after']:.1f}")
        return
    res = dict(threads=a.threads, torch=torch.__version__, cores=os.cpu_count(), cpu=cpu_model(), load_before=os.getloadavg()[0])
    res['peak_gflops'] = {dt: matmul_peak(getattr(torch, dt), a.repeats) / 1e9 for dt in ('float32', 'bfloat16')}
    res['sampling'] = sampling(a.repeats)
    res['mog'] = mog(a.repeats)
    res['mog']['fraction_of_fp32_peak'] = res['mog']['achieved_flops_per_s'] / (res['peak_gflops']['float32'] * 1e9)
    res['lm_tiny'] = lm_tiny()
    for st in res['lm_tiny']['stages'].values():
        if st['flops_per_s']: st['fraction_of_fp32_peak'] = st['flops_per_s'] / (res['peak_gflops']['float32'] * 1e9)
    if not a.quick: res['smollm2_135m_shape'] = smollm2_shapes(a.repeats)
    res['load_after'] = os.getloadavg()[0]
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    old = json.loads(Path(a.out).read_text()) if Path(a.out).exists() else {}
    keep = {k: v for k, v in old.items() if k in ONLY}   # the `--only` sections, each with its own load and threads, stay as measured
    Path(a.out).write_text(json.dumps({**res, **keep}, indent=1) + '\n')
    pk = res['peak_gflops']
    print(f"{res['cpu']}, threads {a.threads}, load {res['load_before']:.2f} -> {res['load_after']:.2f} on {res['cores']} cores")
    print(f"matmul peak (1024x576 @ 576x1536): fp32 {pk['float32']:.0f} GFLOP/s, bf16 {pk['bfloat16']:.0f} GFLOP/s")
    s = res['sampling']
    print(f"sampling one token, V={s['vocab']}, batch {s['batch']}: multinomial {s['multinomial_us']:.0f} us, inverse CDF {s['inverse_cdf_us']:.0f} us ({s['speedup']:.1f}x)")
    m = res['mog']
    print(f"MoG study: 5 seeds {m['seconds_5_seeds']:.1f} s, 20 seeds {m['seconds_20_seeds']:.1f} s (ratio {m['ratio_20_over_5']:.2f}); "
          f"{m['achieved_flops_per_s'] / 1e9:.2f} GFLOP/s = {100 * m['fraction_of_fp32_peak']:.2f}% of the fp32 peak")
    l = res['lm_tiny']
    print(f"LM tiny (ci scale, 1 seed, {'+'.join(l['algorithms'])}): {l['seconds']:.1f} s")
    for k, st in l['stages'].items():
        extra = f", {st['tokens_per_s']:.0f} train tokens/s, {100 * st['fraction_of_fp32_peak']:.1f}% of fp32 peak" if st.get('tokens_per_s') else ''
        print(f"  {k:18s} {st['seconds']:6.1f} s{extra}")
    if 'smollm2_135m_shape' in res:
        q = res['smollm2_135m_shape']
        for dt in ('float32', 'bfloat16'):
            more = ', '.join(f"{v:.0f} at batch {k.removeprefix('generate_tokens_per_s_batch')}" for k, v in q[dt].items() if k.startswith('generate_tokens_per_s_batch'))
            print(f"SmolLM2-135M shape {dt}: scoring {q[dt]['score_tokens_per_s']:.0f} tok/s, generation {q[dt]['generate_tokens_per_s']:.0f} tok/s at batch 32, {more}")
        print(f"  bf16 / fp32: scoring {q['bf16_speedup_score']:.2f}x, generation {q['bf16_speedup_generate']:.2f}x")
    print(f"written to {a.out}")

if __name__ == '__main__': main()
