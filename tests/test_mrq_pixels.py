"""generated/mrq_pixels.py's pixel parts against MR.Q's code as its reference has it
(facebookresearch/MRQ: MRQ/models.py cnn_zs, MRQ/buffer.py with pixel_obs, MRQ.py
maybe_augment_state and shift_aug): the replay that stores each frame once and rebuilds stacks
(the index tables state_ind / next_ind of MR.Q), its sub-trajectory sampling and masks, the
convolutional f_s and the shifts of sampled stacks. Expected values are worked out by hand."""

import math

import gymnasium as gym
import numpy as np
import pytest
import torch

from conftest import GENERATED
from generated_utils import import_script

M = import_script(GENERATED / "mrq_pixels.py")
SIZE, FRAMES, ACT = 8, 3, 2
SPACE = gym.spaces.Box(-2.0, 2.0, (ACT,), np.float32)


def frame(episode, t):
    """A frame that says which episode and step it is: channel 0 = episode, 1 = t, 2 = 7."""
    f = np.zeros((3, SIZE, SIZE), np.uint8)
    f[0], f[1], f[2] = episode, t, 7
    return f


def stack(episode, t):
    """The env's observation at step t (FrameStack: oldest first, frame 0 repeated at reset)."""
    return np.concatenate([frame(episode, max(t - k, 0)) for k in range(FRAMES - 1, -1, -1)])


def fill(rb, episodes, length, terminate_last=False):
    """Episodes of `length` transitions; the last one terminates where asked, the others are
    truncated. Actions a_t = (t, -t) / 100 (in the env's units, stored in [-1, 1])."""
    for e in episodes:
        for t in range(length):
            last = t == length - 1
            rb.add(
                stack(e, t),
                np.array([t, -t], np.float32) / 100.0,
                float(t),
                stack(e, t + 1),
                last and terminate_last and e == episodes[-1],
                last and not (terminate_last and e == episodes[-1]),
            )


def decode(stacks):
    """(..., 3 * FRAMES, S, S) -> (episode, t) per frame, oldest first: (..., FRAMES, 2)."""
    f = stacks.reshape(*stacks.shape[:-3], FRAMES, 3, SIZE, SIZE)[..., :2, 0, 0]
    return f.long()


def test_slots_and_stacks_as_mrq_lays_them_out():
    """Slot i holds one observation's newest frame; an episode of L transitions takes L + 1
    slots (the final observation's own); every stack rebuilt equals the env's observation."""
    rb = M.ReplayBuffer(100, (3 * FRAMES, SIZE, SIZE), ACT, "cpu", FRAMES, 5, SPACE, 1.0)
    fill(rb, [1, 2], 10)
    assert rb.ptr == 22 and rb.size == 21  # 2 x (10 + 1) slots; size stops before the final one
    slots = torch.arange(22)
    got = decode(rb.stack(slots))
    for e, base in ((1, 0), (2, 11)):
        for t in range(11):
            expect = [[e, max(t - k, 0)] for k in range(FRAMES - 1, -1, -1)]
            assert got[base + t].tolist() == expect
    assert rb.data["frames"].dtype == torch.uint8
    assert rb.data["actions"][3].tolist() == pytest.approx([0.03 / 2.0, -0.03 / 2.0])  # / scale 2


def test_masks_truncation_termination_and_overwrites():
    """A start may be sampled once `horizon` transitions of its episode follow it; the last
    `horizon` starts of a truncated episode never are, of a terminated one they are (MR.Q)."""
    h = 3
    rb = M.ReplayBuffer(100, (3 * FRAMES, SIZE, SIZE), ACT, "cpu", FRAMES, h, SPACE, 1.0)
    fill(rb, [1, 2], 8, terminate_last=True)
    mask = rb.data["mask"][:18].tolist()
    # episode 1 (slots 0-8, final 8): starts 0..4 have 3 successors; 5, 6, 7 truncated: 0
    assert mask[:9] == [1, 1, 1, 1, 1, 0, 0, 0, 0]
    # episode 2 (slots 9-17, final 17) terminated: its last 3 starts 14, 15, 16 become sampleable
    assert mask[9:18] == [1, 1, 1, 1, 1, 1, 1, 1, 0]
    assert float(rb.terminates) == 1.0
    # wrap-around: writing slot i unmasks i and i + frames - 1 (the start whose stack reads i)
    small = M.ReplayBuffer(12, (3 * FRAMES, SIZE, SIZE), ACT, "cpu", FRAMES, 2, SPACE, 1.0)
    fill(small, [1], 9)  # slots 0..9 (final at 9)
    fill(small, [2], 1)  # slots 10, 11 (final)
    fill(small, [3], 2)  # slots 0, 1, 2 (final): overwrites episode 1's start
    torch.manual_seed(0)
    for _ in range(20):
        obs = small.sample(16)[0]
        ids = decode(obs)  # every frame of a stack from one episode, steps consecutive
        assert (ids[..., 0] == ids[..., :1, 0]).all()
        t = ids[..., 1]
        assert ((t[..., 1:] - t[..., :-1] == 1) | (t[..., 1:] == 0)).all()


def test_sample_is_a_sub_trajectory():
    """obs (B, horizon + 1) are the stacks of slots idx .. idx + horizon; actions, rewards and
    not_done those of idx .. idx + horizon - 1; LAP draws only masked-in starts."""
    h = 5
    rb = M.ReplayBuffer(200, (3 * FRAMES, SIZE, SIZE), ACT, "cpu", FRAMES, h, SPACE, 1.0)
    fill(rb, [1, 2, 3], 12)
    torch.manual_seed(1)
    obs, actions, rewards, not_done, idx = rb.sample(64)
    assert obs.shape == (64, h + 1, 3 * FRAMES, SIZE, SIZE) and obs.dtype == torch.uint8
    assert (rb.data["mask"][idx] == 1).all()
    ids = decode(obs)
    t0 = ids[:, 0, -1, 1]
    assert (ids[:, :, -1, 1] == t0[:, None] + torch.arange(h + 1)).all()  # newest frames t..t+h
    assert torch.equal(rewards, (t0[:, None] + torch.arange(h)).float())
    assert torch.allclose(actions[..., 0] * 2.0, rewards / 100.0)
    assert (not_done == 1).all()


def test_state_dict_round_trip():
    rb = M.ReplayBuffer(50, (3 * FRAMES, SIZE, SIZE), ACT, "cpu", FRAMES, 3, SPACE, 1.0)
    fill(rb, [4, 5], 7)
    rb.update_priority(torch.tensor([2, 3]), torch.tensor([3.0, 0.5]))
    state = rb.state_dict()
    assert len(state["frames"]) == rb.ptr  # the slots written, not the capacity
    other = M.ReplayBuffer(50, (3 * FRAMES, SIZE, SIZE), ACT, "cpu", FRAMES, 3, SPACE, 1.0)
    other.load_state_dict(state)
    for k, v in rb.data.items():
        assert torch.equal(other.data[k], v), k
    assert (other.ptr, other.size, other.ep_steps) == (rb.ptr, rb.size, rb.ep_steps)
    assert float(other.max_priority) == 3.0


def test_bytes_per_slot():
    """84 x 84 RGB frames: 21,168 bytes of frame, 4 of position, 4 A of action and 16 of reward,
    not_done, priority and mask: 21,212 at A = 6 (MR.Q's layout: 21,232, index tables included)."""
    rb = M.ReplayBuffer(4, (9, 84, 84), 6, "cpu", 3, 5, gym.spaces.Box(-1, 1, (6,)), 1.0)
    per_slot = sum(v[0].numel() * v.element_size() for v in rb.data.values())
    assert per_slot == 21_168 + 4 + 4 * 6 + 16 == 21_212


def test_pixel_stem_is_mrqs_cnn_zs():
    """Four 3x3 convolutions of 32 channels, strides 2, 2, 2, 1: 84 -> 41 -> 20 -> 9 -> 7, 1568
    features, Linear to 512: 2,624 + 3 x 9,248 + 803,328 = 833,696 parameters on 9 channels;
    xavier-uniform with gain sqrt 2 (bound sqrt 2 sqrt(6 / (fan_in + fan_out))), biases 0."""
    torch.manual_seed(0)
    stem = M.PixelZs((9, 84, 84), 512, torch.nn.functional.elu)
    M.mrq_init(stem)
    assert [c.stride for c in stem.convs] == [(2, 2), (2, 2), (2, 2), (1, 1)]
    assert stem.out.in_features == 1568
    assert sum(p.numel() for p in stem.parameters()) == 833_696
    conv = stem.convs[1]
    bound = math.sqrt(2) * math.sqrt(6 / (32 * 9 + 32 * 9))
    assert conv.weight.abs().max() <= bound and conv.weight.abs().max() > 0.9 * bound
    assert all((c.bias == 0).all() for c in stem.convs)
    x = torch.randint(0, 256, (2, 3, 9, 84, 84), dtype=torch.uint8)
    out = stem(x)
    assert out.shape == (2, 3, 512)  # a sub-trajectory's leading dims kept
    assert torch.allclose(out[1, 2], stem(x[1, 2:3].float())[0], atol=1e-5)
    # the input scaling: x / 255 - 0.5 reaches the first convolution
    seen = []
    stem.convs[0].register_forward_pre_hook(lambda _m, a: seen.append(a[0]))
    stem(torch.full((1, 9, 84, 84), 255, dtype=torch.uint8))
    assert torch.allclose(seen[0], torch.full_like(seen[0], 0.5))


def test_shift_stacks_shifts_each_stack_on_its_own():
    """Each stack of (B, horizon + 1) is an integer crop of its replicate-padded self, offsets
    drawn per stack (MR.Q: one shift_aug call over all images); the rest of the batch as is."""
    torch.manual_seed(0)
    obs = torch.randint(0, 256, (4, 3, 9, 12, 12), dtype=torch.uint8)
    rest = [torch.zeros(1), torch.ones(1)]
    shifted, *others = M.shift_stacks([obs] + rest, 2)
    assert others == rest and shifted.dtype == torch.float32
    padded = torch.nn.functional.pad(obs.float().flatten(0, 1), (2, 2, 2, 2), mode="replicate")
    offsets = set()
    for k, img in enumerate(shifted.flatten(0, 1)):
        hits = [
            (dy, dx)
            for dy in range(5)
            for dx in range(5)
            if torch.allclose(img, padded[k, :, dy : dy + 12, dx : dx + 12], atol=1e-3)
        ]
        assert hits, k
        offsets.add(hits[0])
    assert len(offsets) > 3  # drawn per stack, not once per batch
    assert torch.equal(M.shift_stacks([obs] + rest, 0)[0], obs.float())


def test_encoder_loss_trains_the_stem():
    """MR.Q's encoder loss on a shifted pixel batch: the target encoder reads s'_1..s'_H
    (B, H, C, S, S) and the gradient reaches the convolutions."""
    torch.manual_seed(0)
    rb = M.ReplayBuffer(100, (9, 32, 32), ACT, "cpu", 3, 2, SPACE, 1.0)
    for t in range(6):
        o = np.random.randint(0, 256, (9, 32, 32), np.uint8)
        rb.add(o, np.zeros(ACT, np.float32), 1.0, o, False, t == 5)
    enc = M.Encoder((9, 32, 32), ACT, 32, 1, 65)
    target = M.Encoder((9, 32, 32), ACT, 32, 1, 65)
    cfg = type(
        "C",
        (),
        {"encoder_horizon": 2, "dynamics_weight": 1.0, "reward_weight": 0.1, "done_weight": 0.1},
    )
    bins = M.reward_bins(65, 10.0, "cpu")
    loss, _ = M.encoder_loss_fn(
        M.shift_stacks(rb.sample(8), 1), enc, target, bins, rb.terminates, cfg
    )
    loss.backward()
    assert enc.zs_net.convs[0].weight.grad.abs().sum() > 0
