"Dense checks of `aligndistill.theory`'s public functions against an independent high-precision implementation (mpmath)."
import math, random
import mpmath as mp
import pytest, torch
from aligndistill.theory import tilt, aligned_target_mass, beta_to_reach, hit_probability, reward_gap_needed

torch.set_num_threads(1)
RTOL = 1e-6
mp.mp.prec = 1200  # enough bits that 1 - m is exact for m >= 1e-300

def rel_err(got, want):
    want = mp.mpf(want)
    return abs(mp.mpf(got) - want) / abs(want) if want != 0 else abs(mp.mpf(got))

def masses(rng, n):
    "Masses log-uniform on [1e-300, 0.5] and 1 - log-uniform on [1e-12, 0.5], plus the extremes."
    lo = [10 ** rng.uniform(-300, math.log10(0.5)) for _ in range(n)]
    hi = [1 - 10 ** rng.uniform(-12, math.log10(0.5)) for _ in range(n)]
    return lo + hi + [1e-300, 1e-150, 1e-12, 0.5, 1 - 1e-12]

def betas(rng, n): return [10 ** rng.uniform(-3, 3) for _ in range(n)] + [1e-3, 1e3]

# --- the independent implementation: textbook formulas evaluated with 1200-bit arithmetic ---
def mp_aligned(m, d, b):
    m, d, b = mp.mpf(m), mp.mpf(d), mp.mpf(b)
    w = m * mp.exp(d / b)
    return w / (w + 1 - m)

def mp_beta(m, p, d):
    m, p, d = mp.mpf(m), mp.mpf(p), mp.mpf(d)
    return d / (mp.log(p / (1 - p)) - mp.log(m / (1 - m)))

def mp_hit(m, n): return 1 - (1 - mp.mpf(m)) ** n

def mp_tilt(ref, rew, b):
    w = [mp.exp(mp.mpf(r) + mp.mpf(x) / mp.mpf(b)) if r != -math.inf else mp.mpf(0) for r, x in zip(ref, rew)]
    z = mp.fsum(w)
    return [mp.log(v / z) if v else -mp.inf for v in w]

# --- aligned_target_mass ---
def test_aligned_target_mass_matches_mpmath():
    rng = random.Random(0); worst = 0; n = 0
    for m in masses(rng, 40):
        for b in betas(rng, 4):
            for d in (rng.uniform(-5, 5), rng.choice([-1, 1]) * 10 ** rng.uniform(-3, 1)):
                want = mp_aligned(m, d, b)
                if want < mp.mpf('1e-300'): continue  # below float64's normal range: no relative accuracy possible
                got = aligned_target_mass(m, d, b)
                assert isinstance(got, float) and not math.isnan(got)
                worst = max(worst, rel_err(got, want)); n += 1
    assert n > 300 and worst < RTOL, (n, worst)

def test_aligned_target_mass_tensor_batch_and_edges():
    m = torch.tensor([0., 1e-300, 0.5, 1 - 1e-12, 1.], dtype=torch.float64)
    got = aligned_target_mass(m, 1., 1e-3)
    assert torch.is_tensor(got) and got.dtype == torch.float64 and not got.isnan().any()
    assert got[0] == 0 and got[-1] == 1  # no mass stays no mass; all mass stays all mass
    for g, mm in zip(got[1:-1].tolist(), m[1:-1].tolist()): assert rel_err(g, mp_aligned(mm, 1., 1e-3)) < RTOL
    assert aligned_target_mass(torch.tensor([1e-3], dtype=torch.float32), 1., 0.1).dtype == torch.float32

def test_aligned_target_mass_mixed_tensor_and_float_args_keep_float64():
    "Floats given beside a float64 tensor must not pass through float32 (beta = 1e-3 magnifies any rounding of delta)."
    rng = random.Random(6)
    ms = [10 ** rng.uniform(-300, -1) for _ in range(50)]
    for m in ms:
        for b in (1e-3, 0.3, 1e3):
            d = b * (math.log(1 / m) + rng.uniform(-3, 3))  # lands pi*(T) mid-range, where rounding of d/b shows
            got = aligned_target_mass(torch.tensor([m], dtype=torch.float64), d, b)
            assert got.dtype == torch.float64 and rel_err(got.item(), mp_aligned(m, d, b)) < RTOL, (m, d, b)

# --- beta_to_reach ---
def test_beta_to_reach_matches_mpmath():
    rng = random.Random(1); worst = 0; n = 0
    for m in masses(rng, 40):
        if m >= 1 - 1e-12: continue  # no room above it
        for p in (m + (1 - m) * rng.random(), m * (1 + 1e-9) if m * (1 + 1e-9) < 1 else None, 1 - 1e-12):
            if p is None or not m < p < 1: continue
            d = 10 ** rng.uniform(-2, 2)
            got = beta_to_reach(m, p, d)
            assert isinstance(got, float) and got > 0
            worst = max(worst, rel_err(got, mp_beta(m, p, d))); n += 1
    assert n > 150 and worst < RTOL, (n, worst)

def test_beta_to_reach_inverts_aligned_target_mass():
    rng = random.Random(2)
    for m in masses(rng, 20):
        if m > 0.9: continue
        p = m + (1 - m) * rng.uniform(0.01, 0.99)
        b = beta_to_reach(m, p, 1.)
        if 1e-3 <= b <= 1e3: assert rel_err(aligned_target_mass(m, 1., b), p) < RTOL

def test_beta_to_reach_tensor():
    m = torch.tensor([1e-300, 0.1, 0.5], dtype=torch.float64)
    got = beta_to_reach(m, torch.tensor(0.9, dtype=torch.float64), 2.)
    assert torch.is_tensor(got) and got.shape == (3,)
    for g, mm in zip(got.tolist(), m.tolist()): assert rel_err(g, mp_beta(mm, 0.9, 2.)) < RTOL

@pytest.mark.parametrize('m,p,d', [(0.3, 0.3, 1.), (0.5, 0.2, 1.), (0., 0.5, 1.), (0.2, 1., 1.), (1e-300, 1., 1.),
                                   (0.2, 0.5, 0.), (0.2, 0.5, -1.), (-0.1, 0.5, 1.), (0.2, 0.5, float('nan'))])
def test_beta_to_reach_errors(m, p, d):
    with pytest.raises(ValueError): beta_to_reach(m, p, d)

def test_beta_to_reach_errors_on_any_bad_tensor_entry():
    with pytest.raises(ValueError): beta_to_reach(torch.tensor([0.1, 0.6]), 0.5, 1.)

def test_reward_gap_needed_matches_mpmath():
    rng = random.Random(7); worst = 0
    for m in masses(rng, 30):
        for p in masses(rng, 3):
            if not (0 < m < 1 and 0 < p < 1) or m == p: continue
            want = mp.log(mp.mpf(p) / (1 - mp.mpf(p))) - mp.log(mp.mpf(m) / (1 - mp.mpf(m)))
            worst = max(worst, rel_err(reward_gap_needed(m, p), want))
            lm, lp = float(mp.log(mp.mpf(m))), float(mp.log(mp.mpf(p)))
            if m < 0.5 and p < 0.5:   # log inputs: accurate away from masses near 1 (documented)
                assert abs(reward_gap_needed(lm, lp, log=True) - want) < 1e-9 * max(1, abs(want))
    assert worst < RTOL, worst

# --- hit_probability ---
def test_hit_probability_matches_mpmath():
    rng = random.Random(3); worst = 0; n = 0
    for m in masses(rng, 40):
        for k in (1, 2, rng.randint(3, 100), rng.randint(100, 10**6)):
            got = hit_probability(m, k)
            assert isinstance(got, float) and 0 <= got <= 1
            worst = max(worst, rel_err(got, mp_hit(m, k))); n += 1
    assert n > 300 and worst < RTOL, (n, worst)

def test_hit_probability_edges_and_types():
    assert hit_probability(0., 100) == 0 and hit_probability(1., 1) == 1 and hit_probability(1., 0) == 0
    t = hit_probability(torch.tensor([1e-300, 0.5]), torch.tensor([10, 3]))
    assert torch.is_tensor(t) and t.dtype == torch.float32 and torch.allclose(t, torch.tensor([1e-299, 0.875]).float())
    for bad in [(-0.1, 1), (1.1, 1), (0.5, -1), (float('nan'), 3)]:
        with pytest.raises(ValueError): hit_probability(*bad)

# --- tilt ---
def test_tilt_matches_mpmath():
    g = torch.Generator().manual_seed(4); rng = random.Random(4); worst = 0
    for _ in range(60):
        k = rng.randint(2, 9)
        ref = torch.rand(k, generator=g, dtype=torch.float64) * rng.choice([1, 50, 690])  # masses down to e^-690 ~ 1e-300
        ref = -ref
        ref[torch.rand(k, generator=g) < 0.25] = -math.inf
        ref[rng.randrange(k)] = -rng.random()  # at least one finite entry
        rew = (torch.rand(k, generator=g, dtype=torch.float64) - 0.5) * rng.choice([0.1, 2, 20])
        b = 10 ** rng.uniform(-3, 3)
        got = tilt(ref, rew, b)
        want = mp_tilt(ref.tolist(), rew.tolist(), b)
        assert not got.isnan().any()
        for x, w in zip(got.tolist(), want):
            if w == -mp.inf: assert x == -math.inf  # -inf in ref stays -inf
            else: worst = max(worst, abs(mp.mpf(x) - w))  # abs error in log p = relative error in p
    assert worst < RTOL, worst

def test_tilt_batched_types_and_errors():
    ref = torch.log_softmax(torch.randn(4, 6, generator=torch.Generator().manual_seed(5)), -1)
    out = tilt(ref, torch.zeros(6), 0.7)
    assert out.dtype == torch.float32 and out.shape == (4, 6) and torch.allclose(out, ref, atol=1e-6)
    assert tilt(ref.double(), torch.zeros(6), torch.tensor([[0.1], [1.], [10.], [100.]])).dtype == torch.float64
    assert tilt([0., -1.], [1., 0.], 1.).dtype == torch.float64
    huge = tilt(torch.tensor([-1e-3, -math.inf, -700.]), torch.tensor([0., 1e300, 1e300]), 1e-3)  # r/beta overflows
    assert not huge.isnan().any() and huge[1] == -math.inf
    with pytest.raises(ValueError): tilt(torch.full((3,), -math.inf), torch.zeros(3), 1.)
    with pytest.raises(ValueError): tilt(torch.tensor([[0., -1.], [-math.inf, -math.inf]]), torch.zeros(2), 1.)
    for b in (0., -1., math.inf): 
        with pytest.raises(ValueError): tilt(ref, torch.zeros(6), b)

# --- the explorer's widget path (the notebook runs the static path) ---
def test_explorer_builds_sliders_when_a_frontend_exists(monkeypatch):
    import aligndistill.theory as th
    monkeypatch.setattr(th, '_widget_frontend', lambda: True)
    w = th.explorer(1e-6, 2.0, 0.5, 128)
    assert type(w).__name__ == 'interactive'
    assert [(c.description, c.value) for c in w.children[:4]] == [('m', 1e-6), ('Δ', 2.0), ('β', 0.5), ('batch n', 128)]
