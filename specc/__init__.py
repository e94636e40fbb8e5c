"""specc: compile declarative sparse deep-RL experiment specs into standalone PyTorch scripts."""

__version__ = "0.1.0"

SPEC_VERSION = 1
