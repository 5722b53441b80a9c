"""Dense numerical checks of `aligndistill.worlds.mog.mixture` and `aligndistill.worlds.mog.align`: exact densities against `torch.distributions` on
random mixtures, EM recovering known parameters, sampling moments, batch independence of every `MogWorld` stage, the
exact optimum's bounds, and safetensors round trips."""
import math

import pytest, torch
from torch.distributions import Categorical, MixtureSameFamily, MultivariateNormal

from aligndistill.worlds.mog.align import MogWorld

from aligndistill.worlds.mog.align import exact_optimum, optimum_report
from aligndistill.worlds.mog.mixture import MogConfig, Mixture, fit_em, mog_metrics, oracle_reward, pstar_mixture, sharpen_weights
from aligndistill.stats import mc_mean_se
from aligndistill.core import stage_generator
from aligndistill.theory import aligned_target_mass

torch.set_num_threads(1)
# the default world at a smaller scale: the same code paths, fewer samples and steps
SMALL = MogConfig(n_data=800, n_kd=800, em_iters=30, ppo_steps=20, dpo_steps=60, dpo_pairs=2048, n_eval=500)

def random_mixture(S, K, D, full, gen):
    A = torch.randn(S, K, D, D, generator=gen, dtype=torch.float64) * 0.5
    covs = A @ A.transpose(-1, -2) + 0.05 * torch.eye(D, dtype=torch.float64)
    if not full: covs = torch.diag_embed(covs.diagonal(dim1=-2, dim2=-1))
    w = torch.softmax(torch.randn(S, K, generator=gen, dtype=torch.float64), -1)
    return Mixture.from_moments(w, torch.randn(S, K, D, generator=gen, dtype=torch.float64) * 2, covs, full=full)

@pytest.mark.parametrize('D', [1, 2, 3])
@pytest.mark.parametrize('full', [False, True])
def test_log_prob_matches_torch_distributions(D, full):
    gen = torch.Generator().manual_seed(100 * D + full)
    for _ in range(5):
        m = random_mixture(3, 4, D, full, gen)
        x = torch.randn(3, 200, D, generator=gen, dtype=torch.float64) * 4
        ref = MixtureSameFamily(Categorical(logits=m.logits), MultivariateNormal(m.means, scale_tril=m.scale_tril))
        with torch.no_grad():
            got, want = m.log_prob(x), ref.log_prob(x.transpose(0, 1)).T
        assert torch.allclose(got, want, rtol=1e-10, atol=1e-9), (got - want).abs().max()

def test_sampling_moments_full_covariance():
    gen = torch.Generator().manual_seed(1)
    m = random_mixture(2, 3, 2, True, gen)
    x = m.sample(200_000, [stage_generator(s, 'moments') for s in (0, 1)])
    w = m.logw.exp().detach()
    mean = (w[..., None] * m.means.detach()).sum(1)
    second = (w[..., None, None] * (m.covs.detach() + m.means.detach()[..., :, None] * m.means.detach()[..., None, :])).sum(1)
    cov = second - mean[..., :, None] * mean[..., None, :]
    for i in range(2):
        scale = cov[i].diagonal().sqrt()
        assert ((x[i].mean(0) - mean[i]).abs() / scale).max() < 0.02
        assert ((torch.cov(x[i].T) - cov[i]).abs() / (scale[:, None] * scale[None])).max() < 0.03

def test_em_recovers_parameters():
    cfg = MogConfig()
    ps = pstar_mixture(cfg, 2)
    x = ps.sample(40_000, [stage_generator(s, 'em-recover') for s in (0, 1)])
    for cov_type in ('diag', 'full'):
        fit = fit_em(x, 8, [stage_generator(s, 'em-start') for s in (0, 1)], iters=200, inits=3, covariance_type=cov_type, reg=1e-9)
        for i in range(2):
            d = (fit.means[i].detach()[:, None] - ps.means[0][None]).norm(dim=-1)   # [fitted, true]
            match = d.argmin(0)                                                     # EM's order is arbitrary
            assert sorted(match.tolist()) == list(range(8))
            assert d.min(0).values.max() < 0.02
            assert torch.allclose(fit.logw[i].exp()[match].detach(), ps.logw[0].exp(), atol=0.01)
            assert torch.allclose(fit.covs[i][match].detach(), ps.covs[0], atol=0.003)

def test_mc_mean_se_and_sharpening():
    gen = torch.Generator().manual_seed(3)
    v = torch.randn(4, 1000, generator=gen, dtype=torch.float64)
    mean, se = mc_mean_se(v)
    assert torch.allclose(mean, v.mean(-1)) and torch.allclose(se, v.std(-1) / math.sqrt(1000), rtol=1e-12)
    lw = torch.log_softmax(torch.randn(5, 7, generator=gen, dtype=torch.float64), -1)
    for b in (1., 3., 1000.):
        s = sharpen_weights(lw, b)
        assert torch.isfinite(s).all() and torch.allclose(s.exp().sum(-1), torch.ones(5, dtype=torch.float64))
        assert torch.equal(s.argmax(-1), lw.argmax(-1))

@pytest.fixture(scope='module')
def chains():
    world = MogWorld(SMALL)
    def chain(seeds):
        t = world.fit_teacher(seeds); s = world.distil(t, seeds)
        out = dict(teacher=t, student=s)
        for a in world.algorithms:
            out[f'KA/{a}'] = world.align(s, s, a, seeds)
            out[f'AK/{a}'] = world.distil(world.align(t, t, a, seeds), seeds)
        return out
    return world, chain([7]), chain([2, 7, 9])

def test_every_stage_is_batch_independent(chains):
    world, alone, batch = chains
    for k in alone:
        for (name, a), b in zip(alone[k].tensors().items(), batch[k].tensors().values()):
            assert torch.equal(a, b if name == 'full' else b[1:2]), (k, name)
        assert world.evaluate(alone[k], [7])[0] == world.evaluate(batch[k], [2, 7, 9])[1], k

def test_align_leaves_inputs_untouched(chains):
    world, _, batch = chains
    t = batch['teacher']; before = {k: v.clone() for k, v in t.tensors().items()}
    for a in world.algorithms: world.align(t, t, a, [2, 7, 9])
    assert all(torch.equal(before[k], v) for k, v in t.tensors().items())

def test_exact_optimum_bounds(chains):
    world, _, batch = chains
    for name in ('teacher', 'student'):
        ref = batch[name]
        opt = exact_optimum(ref, oracle_reward(SMALL), SMALL.beta)
        assert torch.allclose(opt.exp().sum(-1), torch.ones(3, dtype=torch.float64))
        rep = optimum_report(ref, ref, SMALL)
        assert (rep['optimum_target_mass'] <= aligned_target_mass(rep['ref_target_mass'], SMALL.reward_scale, SMALL.beta) + 1e-12).all()
        for a in world.algorithms:   # no policy beats the optimum of the objective
            assert (optimum_report(batch[f'KA/{a}'] if name == 'student' else ref, ref, SMALL)['objective_gap'] >= -1e-9).all()

def test_two_mode_target_and_any_target_index():
    for target in ((0, 7), 3):
        cfg = SMALL.replace(target=target)
        world = MogWorld(cfg)
        t = world.fit_teacher([0, 1])
        m = world.evaluate(t, [0, 1])
        assert all(0.02 < r['target_precision'] < 0.09 for r in m)
        R = oracle_reward(cfg)
        centres = torch.tensor([cfg.means[i] for i in cfg.targets], dtype=torch.float64)
        assert torch.allclose(R(centres), torch.full((len(cfg.targets),), cfg.reward_scale, dtype=torch.float64))

def test_save_load_full_covariance(tmp_path):
    m = random_mixture(3, 4, 2, True, torch.Generator().manual_seed(5))
    MogWorld().save(m, tmp_path)
    back = MogWorld().load(tmp_path)
    assert back.full and all(torch.equal(a, b) for a, b in zip(m.tensors().values(), back.tensors().values()))

def test_metrics_of_pstar_are_its_own():
    cfg = SMALL.replace(n_eval=20_000)
    ps = pstar_mixture(cfg, 2)
    for r in mog_metrics(ps, cfg, [0, 1]):
        assert abs(r['precision'] - r['recall']) < 5 * (r['precision_se'] + r['recall_se'])
        assert abs(r['target_precision'] - 0.05) < 5 * r['target_precision_se']
