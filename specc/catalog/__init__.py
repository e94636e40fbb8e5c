"""The compiler's knowledge of the spec language, one record per thing a spec can name:

- algorithms.py: one ``Algorithm`` per `algorithm` (modules, train keys, template, losses,
  targets, what it accepts);
- presets.py: one ``Preset`` per `preset`, each value with its source;
- envs.py: one ``Suite`` per `env.suite` (env template, extras, tasks, protocol defaults);
- networks.py: one ``Arch`` per `networks.MODULE.arch`;
- sparsity.py: one ``Regime`` per `networks.MODULE.sparsity.regime`, the allocation
  distributions and the sparsity defaults;
- axes.py: the kinds of the plan's axes (observations, actions, loop) and their code;
- language.py: the language's other enumerations and specc's own defaults;
- help.py: the meaning of every key.

The schema (and so the JSON Schema), the rules, resolve, lower, the generated Config comments and
the docs tests read them. Adding an algorithm, preset, suite, arch or regime is a record plus its
templates (docs/architecture.md, "Where new things plug in"): the stages ask records, never test
names. Every preset value carries its source, cited in the generated config and by
``specc explain``.
"""

from .algorithms import *  # noqa: F401,F403
from .axes import *  # noqa: F401,F403
from .envs import *  # noqa: F401,F403
from .help import *  # noqa: F401,F403
from .language import *  # noqa: F401,F403
from .networks import *  # noqa: F401,F403
from .presets import *  # noqa: F401,F403
from .sparsity import *  # noqa: F401,F403
