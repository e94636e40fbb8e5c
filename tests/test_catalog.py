"""The catalog is the language's single source: its tables agree with each other, and what the
generated Config says about a flag comes from it."""

import pytest

from conftest import ROOT
from specc import catalog
from specc.compiler import front_end

SPECS = sorted((ROOT / "specs").glob("*.yaml"))


@pytest.mark.parametrize(
    "table",
    [
        "ARCH_KEYS",
        "ARCH_FIXED",
        "DEPTH_MEANING",
        "TRUNK_CLASS",
        "TRUNK_INPUT_LAYER",
        "DORMANT_LAYERS_AUTO",
        "ACTOR_LOG_STD_MIN",
    ],
)
def test_every_arch_has_an_entry_in_each_arch_table(table):
    assert set(getattr(catalog, table)) == set(catalog.ARCHS)


@pytest.mark.parametrize("table", ["TRAIN_KEYS", "MODULES", "DEFAULT_PRESET"])
def test_every_algorithm_has_an_entry_in_each_algorithm_table(table):
    assert set(getattr(catalog, table)) == set(catalog.ALGORITHMS)


def test_generated_algorithms_have_their_code_tables():
    for algo in catalog.SUPPORTED["algorithm"]:
        assert algo in catalog.TARGETS and algo in catalog.ALGORITHM_TEMPLATES
        assert (ROOT / "templates" / catalog.ALGORITHM_TEMPLATES[algo]).exists()
        for module in catalog.MODULES[algo]:
            assert (algo, module) in catalog.MODULE_LAYOUT
            assert catalog.module_inputs(algo, module)
            assert catalog.module_inputs(algo, module, batch=True)
        assert algo in catalog.LOSS_COLUMNS


def test_presets_arch_networks_name_modules_and_archs_of_their_algorithm():
    for preset in catalog.PRESETS.values():
        for algo, modules in preset.arch_networks.items():
            assert algo in preset.networks
            for module, by_arch in modules.items():
                assert module in catalog.MODULES[algo]
                assert set(by_arch) <= set(catalog.ALGORITHM_ARCHS.get(algo, catalog.ARCHS))


def test_preset_options_are_known_choices_of_their_algorithm():
    for preset in catalog.PRESETS.values():
        for algo, options in preset.options.items():
            assert algo in preset.train, (preset.name, algo)
            assert set(options) <= set(catalog.PRESET_OPTIONS), (preset.name, options)
    for (algo, module), (trunk, outputs) in catalog.JOINT_OUTPUT_LAYOUT.items():
        assert (algo, module) in catalog.MODULE_LAYOUT
        assert all(o.startswith(trunk + ".") for o in outputs)


def test_regime_tables_cover_the_regimes():
    assert set(catalog.REGIME_KEYS) == set(catalog.REGIMES)
    assert set(catalog.LEVEL_MEANING) == set(catalog.REGIMES) - {"dense"}
    assert set(catalog.SCHEDULED_REGIMES) <= set(catalog.DYNAMIC_REGIMES) <= set(catalog.REGIMES)


def test_supported_is_a_part_of_the_language():
    enumerations = {
        "algorithm": catalog.ALGORITHMS,
        "arch": catalog.ARCHS,
        "regime": catalog.REGIMES,
        "topology": catalog.TOPOLOGY_METHODS,
        "suite": catalog.SUITES,
    }
    for axis, values in catalog.SUPPORTED.items():
        assert set(values) <= set(enumerations[axis]), axis


def test_presets_give_only_keys_their_algorithm_uses():
    for preset in catalog.PRESETS.values():
        for algo, values in preset.train.items():
            assert set(values) <= set(catalog.TRAIN_KEYS[algo]), (preset.name, algo)


def test_defaults_are_keys_of_the_language():
    assert set(catalog.DEFAULTS) <= set(catalog.HELP)
    sparsity_keys = {f"networks.MODULE.sparsity.{k}" for k in catalog.SPARSITY_DEFAULTS}
    assert sparsity_keys <= set(catalog.HELP)


def _catalog_texts() -> set[str]:
    texts = set(catalog.HELP.values()) | set(catalog.FLAG_HELP.values())
    texts |= set(catalog.HELP_BY_ALGORITHM.values())
    texts |= set(catalog.ENV_ID_HELP.values())
    return texts | set(catalog.LEVEL_MEANING.values()) | set(catalog.DEPTH_MEANING.values())


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_every_config_comment_is_a_catalog_help_text(spec):
    _, _, _, plan = front_end(str(spec), [])
    texts = _catalog_texts()
    modules = {n.module for n in plan.networks}
    for group in plan.config:
        for f in group.fields:
            module, _, rest = f.help.partition(": ")
            text = rest if module in modules else f.help
            assert text in texts, (f.name, f.help)
