"""The fast path of the generated scripts (templates/runtime/fast_path.py.jinja) against eager.

- --compile (torch.compile over each whole update: forward, backward, optimizer step, Polyak)
  computes the same losses as eager over a few hundred updates. Inductor draws random numbers
  with its own generator unless `fallback_random` is set: with it, compiled and eager runs
  consume one random stream, so what is left is the rounding of reordered float32 sums.
- --amp bf16 autocasts the update's forward passes: the matmuls run in bfloat16, the weights,
  gradients and optimizer state stay float32, and the losses stay close to float32's.
- --cudagraphs needs CUDA, and scripts whose updates depend on host-side state (masks, resets)
  refuse it with the reason. The capture itself runs only on a GPU machine (docs/performance.md).
"""

from __future__ import annotations

import csv

import pytest

torch = pytest.importorskip("torch")

from conftest import GENERATED
from generated_utils import import_script, run_main

SAC = import_script(GENERATED / "sac_dense.py")
TD3 = import_script(GENERATED / "td3_dense.py")
MST = import_script(GENERATED / "mst_sac.py")

SHORT = [
    "--env-id",
    "Pendulum-v1",
    "--total-steps",
    "400",
    "--learning-starts",
    "100",
    "--actor-width",
    "32",
    "--critic-width",
    "32",
    "--eval-every",
    "0",
    "--log-every",
    "50",
    "--no-tensorboard",
    "--no-save-buffer",
    "--threads",
    "1",
]
LOSSES = ("critic_loss", "actor_loss")


def _losses(run_dir) -> list[dict[str, float]]:
    with open(run_dir / "metrics.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    return [{k: float(r[k]) for k in LOSSES if r.get(k)} for r in rows if r.get("critic_loss")]


@pytest.mark.slow
@pytest.mark.parametrize("module", [SAC, TD3], ids=["sac", "td3"])
def test_compiled_updates_compute_the_eager_losses(module, tmp_path):
    import torch._inductor.config as inductor

    run_main(module, [*SHORT, "--run-dir", str(tmp_path / "eager")])
    torch._dynamo.reset()
    torch._dynamo.utils.counters.clear()
    with inductor.patch(fallback_random=True):  # eager's random stream
        run_main(module, [*SHORT, "--run-dir", str(tmp_path / "compiled"), "--compile"])
    # the run went through Dynamo: graphs of both updates (a graph break at each backward)
    assert torch._dynamo.utils.counters["stats"]["unique_graphs"] >= 2
    eager, compiled = _losses(tmp_path / "eager"), _losses(tmp_path / "compiled")
    assert len(eager) == len(compiled) >= 6  # 300 updates, a row every 50 steps
    assert eager[-1].keys() == set(LOSSES)
    for e, c in zip(eager, compiled):
        assert e.keys() == c.keys()
        for k in e:
            assert c[k] == pytest.approx(e[k], rel=1e-3, abs=1e-4), (k, e, c)


def test_amp_bf16_runs_the_forward_passes_in_bfloat16():
    """The update's forward under autocast(cfg, device): a critic matmul in bfloat16, the
    parameters float32, and the loss within bfloat16's rounding of float32's."""
    cfg = SAC.Config(amp="bf16")
    torch.manual_seed(0)
    critic = SAC.Critic(3, 1, 64, 2)
    x, a = torch.randn(256, 3), torch.rand(256, 1)
    with SAC.autocast(cfg, torch.device("cpu")):
        q_bf16 = critic(x, a)
    assert q_bf16.dtype == torch.bfloat16
    assert all(p.dtype == torch.float32 for p in critic.parameters())
    q = critic(x, a)
    torch.testing.assert_close(q_bf16.float(), q, rtol=0.02, atol=0.02)
    with SAC.autocast(SAC.Config(), torch.device("cpu")):  # --amp off: float32
        assert critic(x, a).dtype == torch.float32


@pytest.mark.slow
def test_amp_bf16_trains_close_to_float32(tmp_path):
    run_main(SAC, [*SHORT, "--total-steps", "200", "--run-dir", str(tmp_path / "fp32")])
    run_main(
        SAC, [*SHORT, "--total-steps", "200", "--run-dir", str(tmp_path / "bf16"), "--amp", "bf16"]
    )
    fp32, bf16 = _losses(tmp_path / "fp32"), _losses(tmp_path / "bf16")
    assert len(fp32) == len(bf16) >= 2
    first, last = fp32[0], bf16[0]  # after 50 updates: still the same run, up to rounding
    for k in first:
        assert last[k] == pytest.approx(first[k], rel=0.1), (k, first, last)
    assert all(abs(v) < 1e6 for row in bf16 for v in row.values())


def test_unknown_amp_mode_is_refused(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        run_main(SAC, [*SHORT, "--run-dir", str(tmp_path / "r"), "--amp", "fp8"])
    assert exc.value.code == 2
    assert "--amp must be one of off, bf16, got 'fp8'" in capsys.readouterr().err


def test_cudagraphs_needs_cuda(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        run_main(SAC, [*SHORT, "--run-dir", str(tmp_path / "r"), "--cudagraphs", "--device", "cpu"])
    assert exc.value.code == 2
    assert "--cudagraphs needs a CUDA device" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_cudagraphs_is_refused_where_masks_change_on_the_host(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        run_main(MST, [*SHORT, "--run-dir", str(tmp_path / "r"), "--cudagraphs"])
    assert exc.value.code == 2
    assert "masks change on the host" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()
    assert not hasattr(MST, "CudaGraphUpdate")  # only scripts that can capture define it
    assert hasattr(SAC, "CudaGraphUpdate")


def test_cuda_graph_arguments_keep_their_structure():
    """A batch (a list of tensors) and a tensor, flattened into static inputs and back."""
    batch, obs = [torch.zeros(2), torch.ones(3)], torch.full((4,), 2.0)
    flat = [t for a in (batch, obs) for t in (a if isinstance(a, list) else (a,))]
    rebuilt = SAC.CudaGraphUpdate.unflatten((batch, obs), [t + 1 for t in flat])
    assert isinstance(rebuilt[0], list) and len(rebuilt[0]) == 2
    torch.testing.assert_close(rebuilt[0][1], torch.full((3,), 2.0))
    torch.testing.assert_close(rebuilt[1], torch.full((4,), 3.0))
