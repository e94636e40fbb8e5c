"""Parity of generated/mrq_pixels.py (MR.Q on pixels) with the reference, facebookresearch/MRQ at
commit 8a44a7d4b1cf117e5da4bf8214d35b02aa68d68b, on the CPU, in float32 (--float64: float64).

The reference is imported from a local checkout of its MRQ/ folder (MRQ.py, models.py,
buffer.py, utils.py; put on sys.path, nothing of it copied here). Its Agent is built for DMC
visual (obs (3, 84, 84), history 3: 9 channels, action_dim 6, the Hyperparameters defaults,
a 64-slot replay buffer) with torch.cuda.mem_get_info patched to (0, 0): its ReplayBuffer calls
it unconditionally. The checks, each printed with its largest absolute difference:

1. weights: the reference's Encoder, Policy and Value (and their targets, re-initialised apart
   from the online networks so that mixing them up shows) copied parameter by parameter into
   the generated Encoder, Actor and Critic (the two value networks into one ensemble: member
   e's weight is the transpose of q_e's); the mapping is printed, every parameter checked equal.
2. forward: zs, zsa and model_all (done, next zs, reward logits) on the same uint8 stacks.
3. encoder loss on the same sub-trajectories (B, 6, 9, 84, 84) uint8, not_done all ones (DMC),
   no augmentation on either side (the shifts' draws differ by design, see 5): the reference's
   own Agent.train_encoder is run (its loss read from its frame's locals when it returns, with
   sys.setprofile), ours is encoder_loss_fn then optimizer_step with an AdamW of the same
   settings (lr 1e-4, weight decay 1e-4; also the script's fused make_optimizer); the loss and
   every parameter after the step are compared. Also the loss alone on a batch with terminations.
4. value and policy losses: the reference's Agent.train_rl (one value step with grad clipping,
   one policy step; its losses read from its locals as in 3) and ours critic_loss_fn /
   actor_loss_fn / optimizer_step, torch's generator seeded identically before each (the only
   draw, the target smoothing noise, is (B, 6) on both sides), reward_scale 0.6 and
   target_reward_scale 0.85 on both; losses, Q, the TD target, the LAP priorities, the
   gradients each optimizer applies (recorded by wrapping its step) and the parameters after
   the steps; then the value step again with the gradient clip active (1.0 on both sides).
5. augmentation: the reference's shift_aug and our random_shift on the same images with the
   same seed (both draw torch.randint(0, 9, (N, 1, 1, 2), dtype float32) once and nothing else),
   and both against an explicit integer crop of the replicate-padded images.

    python benchmarks/mrq_pixels_parity.py [--mrq-ref DIR] [--batch 8] [--float64]

DIR defaults to $MRQ_REF, else /work/ref/mrq/MRQ. In float32 the two sides differ only by
rounding (different kernels: the ensemble's baddbmm, our losses' summation order), which the
first Adam step magnifies on elements whose gradient is ~1e-8 (the report counts them);
--float64 runs checks 1-4 in float64, where every difference falls to ~1e-14 or below.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import importlib.util
import os
import sys
import unittest.mock
from pathlib import Path

import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[1]
REF_COMMIT = "8a44a7d4b1cf117e5da4bf8214d35b02aa68d68b"
A, HISTORY, FRAME = 6, 3, (3, 84, 84)


def load_generated(path: Path):
    spec = importlib.util.spec_from_file_location("generated_mrq_pixels", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


def load_reference(ref_dir: Path):
    if not (ref_dir / "MRQ.py").is_file():
        sys.exit(f"no MRQ.py in {ref_dir}: give the reference's MRQ/ folder with --mrq-ref")
    sys.path.insert(0, str(ref_dir))  # MRQ.py does `import buffer, models, utils`
    import models  # noqa: PLC0415
    import MRQ  # noqa: PLC0415

    return MRQ, models


def capture_locals(method, names, *args):
    """Call method(*args) and return (its result, {name: its local at return}): the reference's
    train_encoder / train_rl compute their losses as locals and return nothing of them."""
    code, seen = method.__func__.__code__, {}

    def profiler(frame, event, _arg):
        if event == "return" and frame.f_code is code:
            seen.update({n: frame.f_locals[n] for n in names})

    old = sys.getprofile()
    sys.setprofile(profiler)
    try:
        out = method(*args)
    finally:
        sys.setprofile(old)
    return out, seen


# ---------------------------------------------------------------------------
# Weight mapping: (reference parameter name, ours, ensemble member or None)
# ---------------------------------------------------------------------------
def linear(ref, ours, member=None):
    return [(f"{ref}.weight", f"{ours}.weight", member), (f"{ref}.bias", f"{ours}.bias", member)]


def encoder_map():
    m = []
    for k in range(4):
        m += linear(f"zs_cnn{k + 1}", f"zs_net.convs.{k}")
    m += linear("zs_lin", "zs_net.out") + linear("za", "za")
    m += linear("zsa.l1", "zsa_net.hidden.0") + linear("zsa.l2", "zsa_net.hidden.1")
    return m + linear("zsa.l3", "zsa_net.out") + linear("model", "model")


def policy_map():
    return (
        linear("policy.l1", "pi.hidden.0")
        + linear("policy.l2", "pi.hidden.1")
        + linear("policy.l3", "pi.out")
    )


def value_map():
    m = []
    for e in range(2):
        for k in range(3):
            m += linear(f"q{e + 1}.q1.l{k + 1}", f"q.hidden.{k}", e)
        m += linear(f"q{e + 1}.q2", "q.out", e)
    return m


def as_ref_layout(name, p, member):
    """Our tensor in the reference's layout (EnsembleLinear: weight (E, in, out), bias (E, 1, out))."""
    if member is None:
        return p
    return p[member].reshape(-1) if name.endswith("bias") else p[member].T


@torch.no_grad()
def copy_weights(ref_net, our_net, mapping, show=False):
    rp, op = dict(ref_net.named_parameters()), dict(our_net.named_parameters())
    assert {r for r, _, _ in mapping} == set(rp), "mapping misses a reference parameter"
    assert {o for _, o, _ in mapping} == set(op), "mapping misses one of ours"
    for r, o, member in mapping:
        dst = as_ref_layout(o, op[o], member)
        assert dst.shape == rp[r].shape, (r, o, dst.shape, rp[r].shape)
        dst.copy_(rp[r])
        if show:
            where = "" if member is None else f"[{member}]" + (".T" if dst.dim() == 2 else "")
            print(f"    {r:16s} -> {o + where:28s} {tuple(rp[r].shape)}")
    assert max_param_diff(ref_net, our_net, mapping) == 0.0


def max_diff(ref, ours, mapping):
    """max |ref - ours| over the mapped tensors, given as {name: tensor} on both sides."""
    with torch.no_grad():
        return max(
            float((as_ref_layout(o, ours[o], m) - ref[r]).abs().max()) for r, o, m in mapping
        )


def max_param_diff(ref_net, our_net, mapping):
    return max_diff(dict(ref_net.named_parameters()), dict(our_net.named_parameters()), mapping)


def record_grads(optimizer, net):
    """{name: the gradient optimizer.step() applies} (after any clipping), for net's parameters;
    the reference's train_encoder / train_rl step inside, so the step itself is wrapped."""
    grads, step = {}, optimizer.step

    def wrapped(*args, **kwargs):
        grads.update({n: p.grad.detach().clone() for n, p in net.named_parameters()})
        return step(*args, **kwargs)

    optimizer.step = wrapped
    return grads


def grad_report(ref, ours, mapping, lr, ref_net, our_net):
    """The gradients' max |diff| relative to the largest reference gradient, and the parameters'
    max |diff| after the step in units of lr (Adam's first step moves each element by about
    lr * g / (|g| + 1e-8): an element whose gradient is ~1e-8, all rounding, can differ by up to
    2 lr; differences far below lr on every element mean the steps agree)."""
    g = max_diff(ref, ours, mapping) / max(float(v.abs().max()) for v in ref.values())
    d = max_param_diff(ref_net, our_net, mapping)
    rp, op = dict(ref_net.named_parameters()), dict(our_net.named_parameters())
    n_off, n_all, g_off = 0, 0, 0.0
    with torch.no_grad():
        for r, o, m in mapping:
            off = (as_ref_layout(o, op[o], m) - rp[r]).abs() > 0.01 * lr
            n_off, n_all = n_off + int(off.sum()), n_all + off.numel()
            if off.any():
                g_off = max(g_off, float(ref[r].abs()[off].max()))
    return (
        f"grad {g:.1e} (rel)  params {d:.2e} (= {d / lr:.3f} lr; {n_off} of {n_all} elements"
        f" off by > 0.01 lr, all with |grad| <= {g_off:.1e})"
    )


def norm(grads):
    return float(torch.linalg.vector_norm(torch.stack([g.norm() for g in grads.values()])))


def diff(a, b):
    return float((a.detach().double() - b.detach().double()).abs().max())


def build_reference_agent(MRQ, models):
    with unittest.mock.patch("torch.cuda.mem_get_info", return_value=(0, 0)):
        agent = MRQ.Agent(
            FRAME, A, 1.0, True, False, torch.device("cpu"), HISTORY, {"buffer_size": 64}
        )
    # targets unlike the online networks (the reference starts them as copies): a swap shows
    for net in (agent.encoder_target, agent.policy_target, agent.value_target):
        net.apply(models.weight_init)
    return agent


def make_batch(batch, horizon, not_done=None):
    obs = torch.randint(0, 256, (batch, horizon + 1, 3 * HISTORY, *FRAME[1:]), dtype=torch.uint8)
    actions = torch.rand(batch, horizon, A) * 2 - 1
    rewards = torch.rand(batch, horizon) * 2  # DMC with action repeat 2: [0, 2]
    rewards[:, 1] = 0.0  # an exact hit on a bin (symexp(0) = 0) and a plain value
    rewards[0, :] = 1.0
    if not_done is None:
        not_done = torch.ones(batch, horizon)
    return [obs, actions, rewards, not_done, torch.arange(batch)]


def unshifted(gen, batch):
    """Our batch without augmentation: shift_stacks(batch, 0), the uint8 stacks cast to float32
    and not shifted; with --float64 the same cast to float64 (shift_stacks casts to float32)."""
    if torch.get_default_dtype() == torch.float32:
        return gen.shift_stacks(batch, 0)
    return [batch[0].to(torch.float64)] + batch[1:]


def ref_encoder_args(batch):
    """The reference buffer's encoder sample: float stacks, reward and not_done (B, H, 1)."""
    obs, actions, rewards, not_done = batch[:4]
    obs = obs.to(torch.get_default_dtype())
    return obs[:, :-1], actions, obs[:, 1:], rewards[..., None], not_done[..., None]


def rl_check(MRQ, gen, cfg, agent, nets, batch, seed, scales=(0.6, 0.85)):
    """The reference's Agent.train_rl (value step with clipping, then policy step) against ours,
    critic_loss_fn + optimizer_step then actor_loss_fn + optimizer_step, on the same batch (the
    reference's sample: s_0, a_0, s_H and the multi-step reward and not_done), torch seeded the
    same before each; scales = (reward_scale, target_reward_scale)."""
    enc, enc_t, actor, actor_t, critic, critic_t = nets
    hv, obs_f = cfg.value_horizon, batch[0].to(torch.get_default_dtype())
    reward_ms, not_done_ms = MRQ.multi_step_reward(
        batch[2][:, :hv, None], batch[3][:, :hv, None], agent.gammas
    )
    gv_ref = record_grads(agent.value_optimizer, agent.value)
    gp_ref = record_grads(agent.policy_optimizer, agent.policy)
    torch.manual_seed(seed)
    args = (obs_f[:, 0], batch[1][:, 0], obs_f[:, hv], reward_ms, not_done_ms, *scales)
    (q_r, y_r), seen = capture_locals(agent.train_rl, ["value_loss", "policy_loss"], *args)
    wd = cfg.weight_decay
    critic_opt = torch.optim.AdamW(critic.parameters(), lr=cfg.critic_lr, weight_decay=wd)
    actor_opt = torch.optim.AdamW(actor.parameters(), lr=cfg.actor_lr, weight_decay=wd)
    gv_ours, gp_ours = record_grads(critic_opt, critic), record_grads(actor_opt, actor)
    torch.manual_seed(seed)
    rs, trs = (torch.tensor(s) for s in scales)
    v_loss, q_o, y_o, zs = gen.critic_loss_fn(
        unshifted(gen, batch), enc, enc_t, actor_t, critic, critic_t, rs, trs, cfg.gamma, cfg
    )
    gen.optimizer_step(critic_opt, v_loss, cfg.grad_clip)
    p_loss = gen.actor_loss_fn(zs, enc, actor, critic, cfg)
    gen.optimizer_step(actor_opt, p_loss)
    prio_r = (q_r - y_r.expand(-1, 2)).abs().max(1).values.clamp(min=agent.min_priority)
    prio_r = prio_r.pow(agent.alpha)  # as MRQ.py Agent.train
    prio_o = gen.lap_priority(q_o, y_o, cfg.lap_min_priority, cfg.lap_alpha)
    return {
        "vr": float(seen["value_loss"].detach()),
        "vo": float(v_loss.detach()),
        "pr": float(seen["policy_loss"].detach()),
        "po": float(p_loss.detach()),
        "q": diff(q_r, q_o.T),
        "y": diff(y_r[:, 0], y_o),
        "prio": diff(prio_r, prio_o),
        "nr": norm(gv_ref),
        "no": norm(gv_ours),
        "value": grad_report(gv_ref, gv_ours, value_map(), cfg.critic_lr, agent.value, critic),
        "policy": grad_report(gp_ref, gp_ours, policy_map(), cfg.actor_lr, agent.policy, actor),
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--mrq-ref", default=os.environ.get("MRQ_REF", "/work/ref/mrq/MRQ"))
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--script", type=Path, default=ROOT / "generated" / "mrq_pixels.py")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--float64",
        action="store_true",
        help="run 1-4 in float64 (default dtype): rounding differences shrink to ~1e-12, real ones stay",
    )
    args = p.parse_args()
    if args.float64:
        torch.set_default_dtype(torch.float64)
    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    MRQ, models = load_reference(Path(args.mrq_ref).resolve())
    gen = load_generated(args.script)
    cfg = gen.Config()
    B, H = args.batch, cfg.encoder_horizon
    print(f"reference {args.mrq_ref} (MR.Q at {REF_COMMIT[:7]}), ours {args.script.name}")
    print(
        f"batch {B}, encoder horizon {H}, value horizon {cfg.value_horizon},"
        f" {str(torch.get_default_dtype())[6:]}, CPU"
    )

    # 1. weights --------------------------------------------------------------------------
    agent = build_reference_agent(MRQ, models)
    hp = agent.hp
    assert (hp.zs_dim, hp.zsa_dim, hp.za_dim, hp.enc_hdim) == (512, 512, 256, 512)
    assert (cfg.encoder_width, cfg.encoder_depth, cfg.reward_bins) == (512, 2, hp.num_bins)
    obs_shape = (3 * HISTORY, *FRAME[1:])
    enc = gen.Encoder(obs_shape, A, cfg.encoder_width, cfg.encoder_depth, cfg.reward_bins)
    enc_t = copy.deepcopy(enc).requires_grad_(False)
    actor = gen.Actor(cfg.encoder_width, A, cfg.actor_width, cfg.actor_depth)
    actor_t = copy.deepcopy(actor).requires_grad_(False)
    critic = gen.Critic(cfg.encoder_width, cfg.critic_width, cfg.critic_depth)
    critic_t = copy.deepcopy(critic).requires_grad_(False)
    print("[1] weights (reference -> ours):")
    copy_weights(agent.encoder, enc, encoder_map(), show=True)
    copy_weights(agent.encoder_target, enc_t, encoder_map())
    copy_weights(agent.policy, actor, policy_map(), show=True)
    copy_weights(agent.policy_target, actor_t, policy_map())
    copy_weights(agent.value, critic, value_map(), show=True)
    copy_weights(agent.value_target, critic_t, value_map())
    n = sum(len(m()) for m in (encoder_map, policy_map, value_map))
    print(f"    {n} tensors per online/target set, shapes equal, all equal after the copy")

    # 2. forward ---------------------------------------------------------------------------
    batch = make_batch(B, H)
    x, a = batch[0][:, 0], batch[1][:, 0]
    with torch.no_grad():
        zs_r, zs_o = agent.encoder.zs(x), enc.zs(x)  # uint8 in, as given
        zsa_r, zsa_o = agent.encoder(zs_r, a), enc.zsa(zs_r, a)
        d_r, z_r, r_r = agent.encoder.model_all(zs_r, a)
        d_o, z_o, r_o = enc.model_all(zs_r, a)
        zsh_o = enc.zs(batch[0])  # (B, H+1, ...) leading dims kept
        zsh_r = agent.encoder.zs(batch[0].flatten(0, 1)).view(B, H + 1, -1)
    print(
        f"[2] forward max|diff|: zs {diff(zs_r, zs_o):.2e}  zs(B,H+1) {diff(zsh_r, zsh_o):.2e}"
        f"  zsa {diff(zsa_r, zsa_o):.2e}  model_all done {diff(d_r[:, 0], d_o):.2e}"
        f" next-zs {diff(z_r, z_o):.2e} reward {diff(r_r, r_o):.2e}"
    )

    # 3. encoder loss and one step ------------------------------------------------------
    bins = gen.reward_bins(cfg.reward_bins, cfg.reward_range, torch.device("cpu"))
    print(f"[3] reward bins max|diff| {diff(agent.two_hot.bins, bins):.2e}")
    fused = copy.deepcopy(enc)
    not_done = torch.ones(B, H)
    not_done[: B // 2, min(2, H - 1)] = 0.0  # half the sub-trajectories terminate at step 2
    term = make_batch(B, H, not_done)
    probe = copy.deepcopy(agent)  # the terminating batch: loss only, on copies
    _, seen = capture_locals(probe.train_encoder, ["encoder_loss"], *ref_encoder_args(term), True)
    loss_t, _ = gen.encoder_loss_fn(
        unshifted(gen, term), copy.deepcopy(enc), enc_t, bins, torch.ones(()), cfg
    )
    g_ref = record_grads(agent.encoder_optimizer, agent.encoder)
    _, seen_e = capture_locals(
        agent.train_encoder, ["encoder_loss"], *ref_encoder_args(batch), False
    )
    opt = torch.optim.AdamW(enc.parameters(), lr=cfg.encoder_lr, weight_decay=cfg.weight_decay)
    g_ours = record_grads(opt, enc)
    ours_batch = unshifted(gen, batch)
    loss, parts = gen.encoder_loss_fn(ours_batch, enc, enc_t, bins, torch.zeros(()), cfg)
    gen.optimizer_step(opt, loss)
    fopt = gen.make_optimizer(
        [{"params": list(fused.parameters()), "lr": cfg.encoder_lr}], cfg.weight_decay
    )
    gen.optimizer_step(fopt, gen.encoder_loss_fn(ours_batch, fused, enc_t, bins, 0.0, cfg)[0])
    le_r = float(seen_e["encoder_loss"].detach())
    print(
        f"    encoder loss (DMC, no aug): ref {le_r:.7f}  ours {float(loss.detach()):.7f}"
        f"  |diff| {abs(le_r - float(loss.detach())):.2e}"
        f"  (ours: dynamics {float(parts[0]):.5f} reward {float(parts[1]):.5f} done x0)"
    )
    lt_r = float(seen["encoder_loss"].detach())
    print(
        f"    encoder loss (terminations, done loss on): ref {lt_r:.7f}  ours {float(loss_t.detach()):.7f}"
        f"  |diff| {abs(lt_r - float(loss_t.detach())):.2e}"
    )
    print(
        "    one AdamW step (lr 1e-4, wd 1e-4), max|diff|: "
        + grad_report(g_ref, g_ours, encoder_map(), cfg.encoder_lr, agent.encoder, enc)
        + "; the script's fused make_optimizer: params"
        f" {max_param_diff(agent.encoder, fused, encoder_map()):.2e}"
    )

    # 4. value and policy losses, one step each ---------------------------------------------
    copy_weights(agent.encoder, enc, encoder_map())  # the same encoder again for the RL check
    enc_before = copy.deepcopy(enc)
    clipped = copy.deepcopy((agent, enc, actor, critic))  # for the run with the clip active
    nets = (enc, enc_t, actor, actor_t, critic, critic_t)
    r = rl_check(MRQ, gen, cfg, agent, nets, batch, args.seed + 1)
    print(
        f"[4] value loss: ref {r['vr']:.7f}  ours {r['vo']:.7f}  |diff| {abs(r['vr'] - r['vo']):.2e}"
        f"   policy loss: ref {r['pr']:.7f}  ours {r['po']:.7f}  |diff| {abs(r['pr'] - r['po']):.2e}"
    )
    print(
        f"    max|diff|: Q {r['q']:.2e}  TD target {r['y']:.2e}  LAP priority {r['prio']:.2e}"
        f"  value grad norm at the step (clip {cfg.grad_clip:g}): ref {r['nr']:.4f} ours {r['no']:.4f}"
    )
    print(f"    value step, max|diff|: {r['value']}")
    print(f"    policy step, max|diff|: {r['policy']}")
    print(
        "    encoder unchanged by the RL step: ref"
        f" {max_param_diff(agent.encoder, enc_before, encoder_map()):.1e}"
        f" ours {max(diff(p, q) for p, q in zip(enc.parameters(), enc_before.parameters())):.1e}"
    )
    agent_c, enc_c, actor_c, critic_c = clipped
    agent_c.value_grad_clip = 1.0
    nets = (enc_c, enc_t, actor_c, actor_t, critic_c, critic_t)
    r = rl_check(
        MRQ, gen, dataclasses.replace(cfg, grad_clip=1.0), agent_c, nets, batch, args.seed + 1
    )
    print(
        f"    the same with the clip active (1.0 on both): grad norm at the step ref {r['nr']:.4f}"
        f" ours {r['no']:.4f}; value step, max|diff|: {r['value']}"
    )

    # 5. augmentation -----------------------------------------------------------------------
    state, _, next_state = ref_encoder_args(batch)[:3]
    # maybe_augment_state's images (float32: shift_aug's grid is float32 whatever the input)
    both = torch.cat([state.flatten(0, 1), next_state.flatten(0, 1)]).float()
    pad = cfg.random_shift
    torch.manual_seed(args.seed + 2)
    aug_r = MRQ.shift_aug(both, pad)
    torch.manual_seed(args.seed + 2)
    aug_o = gen.random_shift(both, pad)
    torch.manual_seed(args.seed + 2)
    s = torch.randint(0, 2 * pad + 1, (both.shape[0], 1, 1, 2), dtype=torch.float32).long()
    padded = F.pad(both, (pad,) * 4, mode="replicate")
    crop = torch.stack(
        [
            padded[i, :, s[i, 0, 0, 1] : s[i, 0, 0, 1] + 84, s[i, 0, 0, 0] : s[i, 0, 0, 0] + 84]
            for i in range(both.shape[0])
        ]
    )
    print(
        f"[5] shifts (pad {pad}) on {both.shape[0]} stacks, same seed: shift_aug vs random_shift"
        f" max|diff| {diff(aug_r, aug_o):.2e} (bitwise equal: {torch.equal(aug_r, aug_o)});"
        f" vs integer crop: ref {diff(aug_r, crop):.2e} ours {diff(aug_o, crop):.2e}"
    )
    print(
        f"    draws per sample: MR.Q maybe_augment_state 2*B*H = {2 * B * H} (encoder), 2*B ="
        f" {2 * B} (RL); ours shift_stacks B*(H+1) = {B * (H + 1)} for both (so different"
        " streams under one seed; each stack read by a loss gets its own shift on both sides)"
    )


if __name__ == "__main__":
    main()
