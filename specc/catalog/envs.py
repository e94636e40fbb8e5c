"""Environment suites: one record per `env.suite`, with its env template, the pip extras it needs,
its task ids where the suite has a closed list, and the protocol defaults the papers run it with.
A new suite (Atari, pixel DMC) is a record here plus its env template."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .atari import ATARI_100K

# pip requirements per install extra, as pyproject.toml's optional-dependencies list them
# (tests/test_packaging.py checks that they agree). dm_control 1.0.50 needs mujoco >= 3.17 and
# fails with mujoco 4 (MjModel has no flex_vertedge); Gymnasium's MuJoCo v5 envs run on 3.17.
GYMNASIUM_REQUIREMENT = "gymnasium>=1.0,<2"  # what an env needs when it needs no extra
EXTRAS: dict[str, tuple[str, ...]] = {
    "mujoco": ("gymnasium[mujoco]>=1.0,<2",),
    "box2d": ("gymnasium[box2d]>=1.0,<2",),
    "dmc": (
        "gymnasium[mujoco]>=1.0,<2",
        "shimmy[dm-control]==2.0.1",
        "dm-control==1.0.50",
        "mujoco>=3.17,<4",
    ),
    # ale-py 0.9 and later bundle the ROMs; the generated script drives the ALE directly
    # (gymnasium only for its spaces) and resizes frames with OpenCV's INTER_AREA (Dopamine's)
    "atari": ("gymnasium>=1.0,<2", "ale-py==0.12.1", "opencv-python-headless==5.1.0.95"),
}

# Gymnasium env families (the id without its -vN suffix) that need an extra beyond gymnasium
# itself; an id in none of them (classic control: Pendulum-v1, MountainCarContinuous-v0, or an
# env another package registers) needs only gymnasium.
GYMNASIUM_EXTRAS: dict[str, tuple[str, ...]] = {
    "mujoco": (
        "Ant",
        "HalfCheetah",
        "Hopper",
        "Humanoid",
        "HumanoidStandup",
        "InvertedDoublePendulum",
        "InvertedPendulum",
        "Pusher",
        "Reacher",
        "Swimmer",
        "Walker2d",
    ),
    "box2d": ("BipedalWalker", "BipedalWalkerHardcore", "LunarLanderContinuous", "CarRacing"),
}

# The DeepMind Control suite's tasks as the papers write them, "domain-task" (dm_control 1.0.50
# suite.ALL_TASKS; shimmy registers each as dm_control/<domain>-<task>-v0). lqr is left out:
# its actions are unbounded and its episodes have no time limit.
DMC_TASKS: tuple[str, ...] = (
    "acrobot-swingup",
    "acrobot-swingup_sparse",
    "ball_in_cup-catch",
    "cartpole-balance",
    "cartpole-balance_sparse",
    "cartpole-swingup",
    "cartpole-swingup_sparse",
    "cartpole-two_poles",
    "cartpole-three_poles",
    "cheetah-run",
    "dog-stand",
    "dog-walk",
    "dog-trot",
    "dog-run",
    "dog-fetch",
    "finger-spin",
    "finger-turn_easy",
    "finger-turn_hard",
    "fish-upright",
    "fish-swim",
    "hopper-stand",
    "hopper-hop",
    "humanoid-stand",
    "humanoid-walk",
    "humanoid-run",
    "humanoid-run_pure_state",
    "humanoid_CMU-stand",
    "humanoid_CMU-walk",
    "humanoid_CMU-run",
    "manipulator-bring_ball",
    "manipulator-bring_peg",
    "manipulator-insert_ball",
    "manipulator-insert_peg",
    "pendulum-swingup",
    "point_mass-easy",
    "point_mass-hard",
    "quadruped-walk",
    "quadruped-run",
    "quadruped-escape",
    "quadruped-fetch",
    "reacher-easy",
    "reacher-hard",
    "stacker-stack_2",
    "stacker-stack_4",
    "swimmer-swimmer6",
    "swimmer-swimmer15",
    "walker-stand",
    "walker-walk",
    "walker-run",
)
# Every suite task above ends at 1000 frames (20 s, or 10 s at a 0.01 s control step): a time
# limit, so a truncation, never a termination (DMC tasks do not terminate).
DMC_EPISODE_FRAMES = 1000
# Pixel observations (DrQ-v2's dmc.py): the camera each domain is rendered from (camera 0 but
# for the quadruped, whose camera 2 is zoomed in on the body), the image size, and the frames
# stacked into one observation
DMC_PIXEL_CAMERAS: dict[str, int] = {"quadruped": 2}
PIXEL_DEFAULTS: dict[str, int] = {"env.image_size": 84, "env.frame_stack": 3}

# The Atari-100k benchmark's 26 games (Kaiser et al. 2020, SimPLe), as the papers write them;
# specc.catalog.atari holds them with their random, human and published DER scores
ATARI_100K_GAMES: tuple[str, ...] = tuple(ATARI_100K)
# An Atari episode ends at 108,000 frames (30 minutes of play at 60 Hz; Machado et al. 2018 and
# Dopamine's max_steps_per_episode 27,000 agent steps at frame skip 4): a truncation
ATARI_EPISODE_FRAMES = 108_000
# How an Atari frame stack begins an episode (env.stack_padding): zero frames before the first
# (Dopamine's agent state: DER) or the first frame repeated (MR.Q's history queue at reset)
STACK_PADDINGS: tuple[str, ...] = ("zeros", "repeat")


@dataclass(frozen=True)
class Suite:
    """One environment suite."""

    name: str
    template: str  # templates/envs: the generated env code
    id_help: str  # the generated Config's comment on env_id
    # defaults of the suite's protocol: they replace the preset's Gymnasium values (a value the
    # spec gives still wins), cited as defaults_source
    defaults: dict[str, Any] = field(default_factory=dict)
    defaults_source: str = ""
    tasks: tuple[str, ...] = ()  # its task ids, where the suite has a closed list
    episode_frames: int = 0  # frames per episode where every task has the same time limit
    observations: tuple[str, ...] = ("state",)  # the observation kinds it produces, default first
    # templates/envs: make_env of its pixel observations (where it produces them)
    pixel_template: str = ""
    cameras: dict[str, int] = field(default_factory=dict)  # domain -> camera id (else 0)
    actions: tuple[str, ...] = ("box",)  # the action kinds of its tasks
    title: str = ""  # its name in messages ("DeepMind Control")
    task_form: str = ""  # a task id's form, with an example, where it has a closed list
    # what one of its tasks is called in messages ("" : "a TITLE suite task")
    task_noun: str = ""
    # the prefix and suffix Gymnasium's registration of its tasks adds (Shimmy's dm_control/...-v0)
    gymnasium_form: tuple[str, str] = ("", "")
    # tasks it has that specc does not run: an id prefix -> why (env.id's message)
    unsupported: dict[str, str] = field(default_factory=dict)
    install_extra: str = ""  # the install extra every env of the suite needs
    # env keys of its protocol beyond id, suite, action_repeat and the observation's (their
    # defaults in `defaults`); a spec of another suite may not give them
    env_keys: tuple[str, ...] = ()
    make_env_keys: tuple[str, ...] = ()  # those of them make_env takes (in this order)
    # how its frame stacks begin an episode: "repeat" (the first frame repeated: DrQ-v2's
    # FrameStack) | "zeros" (zero frames: Dopamine's agent state) | "env" (the env key
    # stack_padding says, a flag of the script: atari); replays rebuild them so
    stack_padding: str = "repeat"
    # what the learner stores of a transition (main()'s expressions): the reward (Atari's
    # clipped one), and whether it ends the chain of bootstrapped targets (a lost life)
    stored_reward: str = "reward"
    learning_terminal: str = "terminated"
    terminal_note: str = "bootstrap through truncation (time limits), not through termination"
    # the standard-library modules its env template imports, by observation kind
    imports: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # its env template repeats actions itself (Atari's max-pool reads the last two frames);
    # else an ActionRepeat wrapper does
    own_repeat: bool = False
    # or, per env family (the id without its -vN suffix), the extra it needs beyond the suite's
    # package (an id in no family needs none)
    family_extras: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def env_template(self, observation: str) -> str:
        """The env template of an observation kind the suite produces."""
        return self.pixel_template if observation == "pixels" else self.template

    @property
    def task(self) -> str:
        """One of its tasks, in messages: "a DeepMind Control suite task", "an Atari-100k game"."""
        return self.task_noun or f"a {self.title} suite task"

    def task_of(self, env_id: str) -> str:
        """The id without the form Gymnasium registers the suite's tasks under."""
        prefix, suffix = self.gymnasium_form
        return env_id.removeprefix(prefix).removesuffix(suffix) if prefix else env_id

    def extra(self, env_id: str) -> str:
        """The install extra an env of this suite needs ("" when gymnasium alone runs it)."""
        if self.install_extra:
            return self.install_extra
        family = env_id.rsplit("-v", 1)[0]
        return next((extra for extra, fams in self.family_extras.items() if family in fams), "")


SUITE_RECORDS: dict[str, Suite] = {
    s.name: s
    for s in (
        Suite(
            name="gymnasium",
            template="envs/gymnasium.py.jinja",
            id_help="Gymnasium environment id",
            title="Gymnasium",
            family_extras=GYMNASIUM_EXTRAS,
        ),
        # MR.Q's DMC setting (MRQ/main.py): action repeat 2, 500k agent steps = 1M frames, an
        # evaluation of 10 episodes every 5k agent steps; Ma et al.'s SimBa DMC runs use the
        # same (1M env frames, eval every 5k).
        Suite(
            name="dmc",
            template="envs/dmc.py.jinja",
            id_help="DeepMind Control task, domain-task",
            defaults={
                "env.action_repeat": 2,
                "train.total_steps": 500_000,
                "eval.every": 5000,
                "eval.episodes": 10,
            },
            defaults_source="suite dmc (MR.Q and SimBa DMC protocol)",
            tasks=DMC_TASKS,
            episode_frames=DMC_EPISODE_FRAMES,
            title="DeepMind Control",
            task_form="'domain-task', e.g. 'dog-run'",
            gymnasium_form=("dm_control/", "-v0"),
            unsupported={"lqr-": "lqr is not supported (unbounded actions, no time limit)"},
            install_extra="dmc",
            observations=("state", "pixels"),
            pixel_template="envs/dmc_pixels.py.jinja",
            cameras=DMC_PIXEL_CAMERAS,
            imports={"pixels": ("collections", "ctypes.util")},
        ),
        # The Atari-100k protocol as DER runs it in Dopamine (the sparsity-scaling paper's
        # Table 5; atari_lib.py): 84 x 84 grayscale frames, 4 stacked, action repeat 4 with the
        # last two frames max-pooled, rewards clipped to [-1, 1] for learning, a lost life a
        # terminal for learning only, no sticky actions (Kaiser et al. 2020's benchmark is
        # deterministic but for the no-op starts; MR.Q sets 0.25), 100k agent steps (400k
        # frames), 100 evaluation episodes at the end
        Suite(
            name="atari",
            template="envs/atari.py.jinja",
            id_help="Atari-100k game, as the papers write it (Pong, MsPacman)",
            defaults={
                "env.action_repeat": 4,
                "env.image_size": 84,
                "env.frame_stack": 4,
                "env.sticky_actions": 0.0,
                "env.terminal_on_life_loss": True,
                "env.clip_rewards": True,
                "env.noop_max": 30,
                "env.stack_padding": "zeros",
                "train.total_steps": 100_000,
                "eval.every": 100_000,
                "eval.episodes": 100,
            },
            defaults_source="suite atari (Atari-100k: Kaiser et al. 2020, DER in Dopamine)",
            tasks=ATARI_100K_GAMES,
            episode_frames=ATARI_EPISODE_FRAMES,
            title="Atari",
            task_form="e.g. 'Pong'",
            task_noun="an Atari-100k game",
            gymnasium_form=("ALE/", "-v5"),
            install_extra="atari",
            observations=("pixels",),
            pixel_template="envs/atari.py.jinja",
            actions=("discrete",),
            env_keys=(
                "sticky_actions",
                "terminal_on_life_loss",
                "clip_rewards",
                "noop_max",
                "stack_padding",
            ),
            make_env_keys=("sticky_actions", "terminal_on_life_loss", "noop_max", "stack_padding"),
            stack_padding="env",
            imports={"pixels": ("collections", "pickle")},
            own_repeat=True,
            stored_reward="(max(-1.0, min(1.0, reward)) if cfg.clip_rewards else reward)",
            learning_terminal='terminated or info["life_loss"]',
            terminal_note="the learner's terminal: the game's end or, with terminal_on_life_loss, a"
            " lost life (the game goes on); it bootstraps through the frame cap (a truncation)."
            " With clip_rewards it stores the reward clipped to [-1, 1]",
        ),
    )
}
SUITES: tuple[str, ...] = tuple(SUITE_RECORDS)


def suite(name: str) -> Suite:
    return SUITE_RECORDS[name]
