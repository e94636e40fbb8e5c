"""Network architectures: one record per `networks.MODULE.arch`, with the keys it exposes, what
it fixes, and the generated code that writes it (templates/networks)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

ACTIVATIONS = ("relu", "elu", "leaky_relu")
ACTIVATION_FN: dict[str, str] = {"relu": "F.relu", "elu": "F.elu", "leaky_relu": "F.leaky_relu"}


@dataclass(frozen=True)
class Arch:
    """One network architecture."""

    name: str
    keys: tuple[str, ...]  # the network keys it uses
    fixed: Mapping[str, Any]  # what it fixes of the network keys it does not expose
    depth_meaning: str  # what `depth` counts (its help)
    trunk_class: str  # the trunk class of templates/networks
    trunk_input_layer: str  # the trunk's first Linear (module-relative)
    log_std_min: float  # lower bound of a SAC policy's log std on this arch
    obs_norm: bool = False  # observations normalised by running statistics (SimBa's RSNorm)
    # how its layers normalise: "module" (nn.LayerNorm modules where layer_norm is on), "always"
    # (nn.LayerNorm in every block: SimBa), "functional" (a parameter-free F.layer_norm, MR.Q's
    # ln_activ, where layer_norm is on: BlockMLP), "stream" (a parameter-free F.layer_norm in
    # every hidden layer, written by its own template: StreamMLP)
    norm: str = "module"
    # its trunk class takes the activation, and (block_flags) BlockMLP's layer_norm and residual
    activation_arg: bool = True
    block_flags: bool = False
    # its layers are initialised orthogonally, the heads after its trunk too (SimBa)
    orthogonal_init: bool = False
    # a preset's init option (orthogonal Linears: RLx2's SAC) applies to it
    preset_init: bool = False
    dormant_layers: str = "activations"  # what `diagnostics.dormant_layers: auto` means
    # its networks are a streaming agent's (stream_ac builds them; replay agents do not)
    streaming: bool = False
    # it reads images (an encoder of pixel observations; replay agents' actor and critic do not)
    image: bool = False
    # what `width` counts (its help): HELP's "hidden width" where empty
    width_meaning: str = ""
    # its convolutions pad as TensorFlow's SAME (Dopamine's CNNs): any frame size works
    same_padding: bool = False
    # how it scales uint8 frames before its first convolution (an image arch)
    pixel_scaling: str = "x / 255 - 0.5"


ARCH_RECORDS: dict[str, Arch] = {
    a.name: a
    for a in (
        Arch(
            name="mlp",
            keys=("width", "depth", "activation", "layer_norm"),
            fixed={"residual": False},
            depth_meaning="hidden layers",
            trunk_class="MLP",
            trunk_input_layer="hidden.0",
            log_std_min=-5.0,
            preset_init=True,
        ),
        Arch(
            name="block",
            keys=("width", "depth", "type", "activation", "layer_norm", "residual"),
            fixed={},
            depth_meaning="residual blocks",
            trunk_class="BlockMLP",
            trunk_input_layer="projection",
            log_std_min=-5.0,
            norm="functional",
            block_flags=True,
        ),
        # SimBa's blocks are pre-LayerNorm residual MLPs with ReLU (Lee et al. 2025); dormant
        # neurons as Ma et al.'s code counts them (every Dense output before its activation,
        # comparable with their Fig. 5); its actor's log std is bounded below by -10
        Arch(
            name="simba",
            keys=("width", "depth"),
            fixed={"activation": "relu", "layer_norm": True, "residual": True},
            depth_meaning="residual blocks",
            trunk_class="SimbaEncoder",
            trunk_input_layer="embedding",
            log_std_min=-10.0,
            obs_norm=True,
            dormant_layers="dense_outputs",
            norm="always",
            activation_arg=False,
            orthogonal_init=True,
        ),
        # Elsayed et al. 2024's streaming networks (stream_ac_continuous.py): Linear ->
        # LayerNorm without parameters -> leaky ReLU per hidden layer; every Linear's weights
        # uniform in +-1/sqrt(fan_in) and zero biases (their sparse_init; the sparse_init regime
        # adds its zeros)
        Arch(
            name="stream",
            keys=("width", "depth"),
            fixed={"activation": "leaky_relu", "layer_norm": True, "residual": False},
            depth_meaning="hidden layers",
            trunk_class="StreamMLP",
            trunk_input_layer="hidden.0",
            log_std_min=-5.0,
            norm="stream",
            activation_arg=False,
            streaming=True,
        ),
        # DrQ-v2's encoder (drqv2.py, Encoder): `depth` 3x3 convolutions of `width` channels,
        # the first with stride 2, each followed by ReLU, on x / 255 - 0.5; the features are
        # the flattened last feature map (32 x 35 x 35 on 84 x 84 frames)
        Arch(
            name="conv",
            keys=("width", "depth"),
            fixed={"activation": "relu", "layer_norm": False, "residual": False},
            depth_meaning="convolutions",
            width_meaning="channels of every convolution",
            trunk_class="ConvEncoder",
            trunk_input_layer="convs.0",
            log_std_min=-5.0,
            activation_arg=False,
            image=True,
        ),
        # The IMPALA CNN (Espeholt et al. 2018) as Dopamine's ImpalaEncoder builds it: `depth`
        # residual blocks per stack, three stacks of width, 2 width and 2 width channels (16,
        # 32, 32); width 48 is the sparsity-scaling paper's "x3" (C.3)
        Arch(
            name="impala",
            keys=("width", "depth"),
            fixed={"activation": "relu", "layer_norm": False, "residual": True},
            depth_meaning="residual blocks per stack (3 stacks)",
            width_meaning="channels of the first stack (the other two have twice as many)",
            trunk_class="ImpalaCNN",
            trunk_input_layer="stacks.0.conv",
            log_std_min=-5.0,
            activation_arg=False,
            image=True,
            same_padding=True,
            pixel_scaling="x / 255",
        ),
        # The Nature DQN CNN (Mnih et al. 2015) as Dopamine builds it: convolutions 8x8/4,
        # 4x4/2, 3x3/1 of width, 2 width and 2 width channels (32, 64, 64), SAME padding
        Arch(
            name="nature",
            keys=("width",),
            fixed={"depth": 3, "activation": "relu", "layer_norm": False, "residual": False},
            depth_meaning="convolutions (3)",
            width_meaning="channels of the first convolution (the other two have twice as many)",
            trunk_class="NatureCNN",
            trunk_input_layer="convs.0",
            log_std_min=-5.0,
            activation_arg=False,
            image=True,
            same_padding=True,
            pixel_scaling="x / 255",
        ),
    )
}
ARCHS: tuple[str, ...] = tuple(ARCH_RECORDS)
# the architectures a replay agent builds (an algorithm record's default `archs`)
REPLAY_ARCHS: tuple[str, ...] = tuple(
    a.name for a in ARCH_RECORDS.values() if not (a.streaming or a.image)
)


def arch(name: str) -> Arch:
    return ARCH_RECORDS[name]


# The MST paper's block variants (ARCH_CONFIGS): type -> (activation, layer_norm, residual).
BLOCK_TYPES: dict[int, tuple[str, bool, bool]] = {
    1: ("relu", False, False),
    2: ("elu", False, False),
    3: ("relu", True, False),
    4: ("elu", True, False),
    5: ("relu", True, True),
    6: ("elu", True, True),
}

# Where a SAC policy's log-std bound comes from (the generated comment).
ACTOR_LOG_STD_SOURCES: dict[float, str] = {
    -10.0: "SimBa's NormalTanhPolicy (CleanRL uses -5)",
    -5.0: "CleanRL (spinning-up uses -20)",
}

# Fallback network defaults when a preset gives none for a module.
NETWORK_DEFAULTS: dict[str, Any] = {
    "arch": "mlp",
    "width": 256,
    "depth": 2,
    "activation": "relu",
    "layer_norm": False,
    "residual": False,
}
