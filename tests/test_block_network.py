"""generated/td3_block6.py's BlockMLP against the MST paper's BlockMLP (Appendix C) with
MR.Q's ln_activ (no affine LayerNorm) and weight_init (xavier_uniform, gain sqrt 2, bias 0)."""

import math

import pytest

torch = pytest.importorskip("torch")
F = torch.nn.functional

from conftest import GENERATED
from generated_utils import import_script

MOD = import_script(GENERATED / "td3_block6.py")


def _reference(net, x, layer_norm=True, residual=True, act=F.elu):
    def norm_act(h):
        return act(F.layer_norm(h, h.shape[-1:])) if layer_norm else act(h)

    x = net.projection(x)
    for l1, l2 in net.blocks:
        block_input = x
        y = norm_act(x)  # LN + act before the first layer
        y = norm_act(l1(y))  # first layer, then LN + act
        y = l2(y)  # second layer: linear only
        x = y + block_input if residual else y
    return net.out(norm_act(x))


@pytest.mark.parametrize("layer_norm,residual", [(True, True), (True, False), (False, False)])
def test_block_mlp_matches_the_paper(layer_norm, residual):
    torch.manual_seed(0)
    net = MOD.BlockMLP(5, 16, 2, 3, activation=F.elu, layer_norm=layer_norm, residual=residual)
    x = torch.randn(7, 5)
    torch.testing.assert_close(net(x), _reference(net, x, layer_norm, residual))


def test_mrq_init():
    torch.manual_seed(0)
    net = MOD.BlockMLP(300, 200, 1, 4)
    bound = math.sqrt(2) * math.sqrt(6 / (300 + 200))
    w = net.projection.weight
    assert w.abs().max() <= bound and w.abs().max() > 0.97 * bound
    assert all((m.bias == 0).all() for m in net.modules() if isinstance(m, torch.nn.Linear))


def test_ensemble_block_critic_members_are_independent_block_mlps():
    torch.manual_seed(0)
    critic = MOD.Critic(3, 2, 8, 1)
    obs, act = torch.randn(4, 3), torch.randn(4, 2)
    q = critic(obs, act)
    x = torch.cat([obs, act], -1)
    for e in range(2):
        single = MOD.BlockMLP(5, 8, 1, 1, activation=F.elu, layer_norm=True, residual=True)
        with torch.no_grad():
            for (_, p), (_, pe) in zip(single.named_parameters(), critic.q.named_parameters()):
                p.copy_(pe[e].T if p.dim() == 2 else pe[e].reshape(p.shape))
        torch.testing.assert_close(q[e], single(x).squeeze(-1))
    bound = math.sqrt(2) * math.sqrt(6 / (5 + 8))
    assert critic.q.projection.weight.abs().max() <= bound
