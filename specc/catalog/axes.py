"""The plan's axes: what an agent observes, what it emits and how it learns. A suite record
names the observation and action kinds its tasks produce, an algorithm record those it accepts
and its loop; each kind's record gives the generated code of its slots. Pixels (DrQ-v2) and
streaming (Stream AC) arrived as records here and their templates, not as branches in the
existing ones; discrete actions (Atari, DER) too (docs/architecture.md). `env.observation` names
an observation kind (state | pixels)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ObservationKind:
    name: str
    summary: str
    size: str  # the generated expression of the observation's size, read off `env`
    variable: str  # main()'s name for it (obs_dim: a number; obs_shape: a tuple)
    buffer: str  # templates/: the replay buffer that stores it
    # templates/: MR.Q's replay of sub-trajectories with LAP's priorities that stores it
    lap_buffer: str = "runtime/lap_buffer.py.jinja"


@dataclass(frozen=True)
class ActionKind:
    name: str
    summary: str
    size: str  # the generated expression of the action's size, read off `env`
    random: str  # the generated expression of a uniform random action (warm-up exploration)
    # how a replay buffer stores one action: its shape after the row (a main() expression) and
    # its torch dtype (a vector of floats; one integer index)
    stored_shape: str = "(act_dim,)"
    stored_dtype: str = "torch.float32"
    # templates/: an encoded agent's policy on the kind (MR.Q: tanh or Gumbel-softmax output,
    # how it acts, its target action, how its replay stores an action)
    policy_template: str = "actions/box.py.jinja"


@dataclass(frozen=True)
class LoopKind:
    name: str
    summary: str
    template: str  # templates/: main() and its training loop
    script: str  # templates/: the script skeleton that includes it (the sections a loop uses)
    buffer: bool  # it keeps a replay buffer (checkpoints save it: --save-buffer)
    # the optional spec sections its templates generate (diagnostics read replay batches,
    # resets re-initialise optimizers a replay agent has)
    sections: tuple[str, ...] = ()
    # a static mask may be taken after training started (prune_at > 0: a flag); a streaming
    # agent takes its masks before its first step (its traces are not masked)
    masks_later: bool = False


OBSERVATION_KINDS: dict[str, ObservationKind] = {
    "state": ObservationKind(
        name="state",
        summary="a vector of floats (proprioceptive state)",
        size="env.observation_space.shape[0]",
        variable="obs_dim",
        buffer="runtime/buffer.py.jinja",
    ),
    # DrQ-v2's pixel observations (dmc.py): the task's camera rendered to RGB, the last
    # frame_stack frames stacked on the channel axis, uint8 (frame_stack * 3, size, size)
    "pixels": ObservationKind(
        name="pixels",
        summary="the last frames rendered by the task's camera, stacked: uint8 (3 * frames, size, size)",
        size="env.observation_space.shape",
        variable="obs_shape",
        buffer="runtime/frame_buffer.py.jinja",
        lap_buffer="runtime/lap_frame_buffer.py.jinja",
    ),
}
ACTION_KINDS: dict[str, ActionKind] = {
    "box": ActionKind(
        name="box",
        summary="bounded continuous actions, a vector of floats",
        size="env.action_space.shape[0]",
        random="env.action_space.sample()",
    ),
    # Atari's actions (ale-py's minimal action set of the game): one of n, an integer index;
    # act_dim is n, the number of actions
    "discrete": ActionKind(
        name="discrete",
        summary="one of n actions, an integer index (Atari's minimal action set)",
        size="env.action_space.n",
        random="env.action_space.sample()",
        stored_shape="()",
        stored_dtype="torch.int64",
        policy_template="actions/discrete.py.jinja",
    ),
}
LOOP_KINDS: dict[str, LoopKind] = {
    "replay": LoopKind(
        name="replay",
        summary="transitions stored in a replay buffer, updates on minibatches sampled from it",
        template="loops/replay.py.jinja",
        script="script.py.jinja",
        buffer=True,
        sections=("diagnostics", "reset"),
        masks_later=True,
    ),
    "streaming": LoopKind(
        name="streaming",
        summary="one update per transition as it arrives (no replay buffer, no target networks,"
        " no minibatches): Elsayed et al. 2024's streaming deep RL",
        template="loops/streaming.py.jinja",
        script="streaming.py.jinja",
        buffer=False,
    ),
}
