"""The Atari-100k benchmark's 26 games (Kaiser et al. 2020, SimPLe; the list SPR, DrQ, DER and
rliable use), each with its ALE ROM id and the reference scores its results are read against:
the random agent's and the human player's (a score's human-normalised score is
``(score - random) / (human - random)``: 0 is the random agent, 1 the human) and DER's published
score at 100k agent steps (van Hasselt et al. 2019, "When to use parametric models in
reinforcement learning?", its data-efficient Rainbow).

Sources (every number is copied from them, none is computed or rounded here):

- random and human: google-research/rliable, ``deep_rl_precipice_colab.ipynb`` (commit
  3ccd9f4dea577a04d3d2b557f259aac08badbd81), the cell "Score data for Human and random agent"
  (``RANDOM_SCORES``, ``HUMAN_SCORES``), the scores behind Agarwal et al. 2021's Atari-100k
  aggregates. They are the same, game for game, in mila-iqia/spr ``src/rlpyt_utils.py``
  (commit 0b9dd4e7b9bbdfaecdf9a3713bf5931fb54ab0ca; ``atari_random_scores``,
  ``atari_human_scores``) and in the notebook's Atari-57 table (the cell "Calculate Human AND
  Random scores", "taken from the MuZero paper": its Average-Human and Random columns).
- DER: mila-iqia/spr ``src/rlpyt_utils.py`` (same commit), ``atari_der_scores``: SPR's
  transcription of the DER column of van Hasselt et al. 2019 (SPR's Table 1 prints the same
  column). One public copy disagrees, on Frostbite only (886.8 instead of 866.8: an unattributed
  plotting script in GitHub's code whose other 25 DER values are SPR's); the paper's own table
  could not be read here, so SPR's value, from the authors who published the benchmark's most
  cited comparison table, is kept.

Older tables normalise with other human scores (the Nature DQN paper's, e.g. Alien 6875.4);
Atari-100k papers since SPR (2021) and rliable use these, so the figures compare with theirs.

The ROM ids are ale-py 0.12's (``ale_py.roms.get_rom_path(rom)`` finds each of them; the test
checks it where ale-py is installed). A plain data module: nothing is imported but the standard
library, since the compiler imports the catalog.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass


@dataclass(frozen=True)
class AtariGame:
    """One Atari-100k game and its reference scores (mean episode returns, unclipped)."""

    name: str  # as the papers write it: "MsPacman"
    rom: str  # ale-py's ROM id: "ms_pacman"
    random: float  # the uniformly random agent
    human: float  # the human player (Atari-100k's human-normalised score: 1)
    der: float  # DER, van Hasselt et al. 2019, at 100k agent steps (400k frames)

    def human_normalized(self, score: float) -> float:
        """``(score - random) / (human - random)``."""
        return (score - self.random) / (self.human - self.random)


ATARI_100K: dict[str, AtariGame] = {
    g.name: g
    for g in (
        AtariGame("Alien", "alien", random=227.8, human=7127.7, der=739.9),
        AtariGame("Amidar", "amidar", random=5.8, human=1719.5, der=188.6),
        AtariGame("Assault", "assault", random=222.4, human=742.0, der=431.2),
        AtariGame("Asterix", "asterix", random=210.0, human=8503.3, der=470.8),
        AtariGame("BankHeist", "bank_heist", random=14.2, human=753.1, der=51.0),
        AtariGame("BattleZone", "battle_zone", random=2360.0, human=37187.5, der=10124.6),
        AtariGame("Boxing", "boxing", random=0.1, human=12.1, der=0.2),
        AtariGame("Breakout", "breakout", random=1.7, human=30.5, der=1.9),
        AtariGame("ChopperCommand", "chopper_command", random=811.0, human=7387.8, der=861.8),
        AtariGame("CrazyClimber", "crazy_climber", random=10780.5, human=35829.4, der=16185.3),
        AtariGame("DemonAttack", "demon_attack", random=152.1, human=1971.0, der=508.0),
        AtariGame("Freeway", "freeway", random=0.0, human=29.6, der=27.9),
        # DER: 866.8 (SPR); one unattributed copy has 886.8 (module docstring)
        AtariGame("Frostbite", "frostbite", random=65.2, human=4334.7, der=866.8),
        AtariGame("Gopher", "gopher", random=257.6, human=2412.5, der=349.5),
        AtariGame("Hero", "hero", random=1027.0, human=30826.4, der=6857.0),
        AtariGame("Jamesbond", "jamesbond", random=29.0, human=302.8, der=301.6),
        AtariGame("Kangaroo", "kangaroo", random=52.0, human=3035.0, der=779.3),
        AtariGame("Krull", "krull", random=1598.0, human=2665.5, der=2851.5),
        AtariGame("KungFuMaster", "kung_fu_master", random=258.5, human=22736.3, der=14346.1),
        AtariGame("MsPacman", "ms_pacman", random=307.3, human=6951.6, der=1204.1),
        AtariGame("Pong", "pong", random=-20.7, human=14.6, der=-19.3),
        AtariGame("PrivateEye", "private_eye", random=24.9, human=69571.3, der=97.8),
        AtariGame("Qbert", "qbert", random=163.9, human=13455.0, der=1152.9),
        AtariGame("RoadRunner", "road_runner", random=11.5, human=7845.0, der=9600.0),
        AtariGame("Seaquest", "seaquest", random=68.4, human=42054.7, der=354.1),
        AtariGame("UpNDown", "up_n_down", random=533.4, human=11693.2, der=2877.4),
    )
}
GAMES: tuple[str, ...] = tuple(ATARI_100K)  # in alphabetical order, as rliable orders them


class UnknownGame(ValueError):
    """A name that is none of the 26 Atari-100k games (the message says which one was meant)."""


def game(name: str) -> AtariGame:
    """The Atari-100k game ``name`` as the papers write it (``MsPacman``); an unknown name raises
    :class:`UnknownGame`, whose message suggests the game meant (also for a ROM id such as
    ``ms_pacman``, or a name in other case)."""
    try:
        return ATARI_100K[name]
    except (KeyError, TypeError):
        pass
    text = str(name)
    folded = {g.name.lower(): g.name for g in ATARI_100K.values()}
    folded.update({g.rom: g.name for g in ATARI_100K.values()})
    key = text.lower().replace("-", "_")
    meant = folded.get(key) or folded.get(key.replace("_", ""))
    if meant is None:
        close = difflib.get_close_matches(key, sorted(folded), n=1, cutoff=0.75)
        meant = folded[close[0]] if close else None
    hint = f"; did you mean {meant!r}?" if meant else ""
    raise UnknownGame(
        f"{text!r} is not an Atari-100k game{hint} (the 26 games, as the papers write them: "
        f"{', '.join(GAMES)})"
    )


def human_normalized(name: str, score: float) -> float:
    """The human-normalised score of ``score`` on game ``name``: ``(score - random) / (human -
    random)`` with the game's random-agent and human scores (0: random, 1: human)."""
    return game(name).human_normalized(score)
