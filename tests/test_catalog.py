"""The catalog is the language's single source: its records are whole and agree with each
other, and what the generated Config says about a flag comes from it."""

import pytest

from conftest import ROOT
from specc import catalog
from specc.compiler import front_end

SPECS = sorted((ROOT / "specs").glob("*.yaml"))


@pytest.mark.parametrize("algo", sorted(catalog.ALGORITHM_RECORDS))
def test_an_algorithm_record_is_whole(algo):
    """What the stages ask an algorithm record for, it answers for each of its modules."""
    record = catalog.algorithm(algo)
    assert record.name == algo
    assert (ROOT / "templates" / record.template).exists()
    assert record.default_preset in catalog.PRESETS
    assert algo in catalog.PRESETS[record.default_preset].train
    assert set(record.train_keys) <= set(
        k.split(".", 1)[1] for k in catalog.HELP if k.startswith("train.")
    )
    assert set(record.targets) <= set(record.modules)
    assert set(record.ensembles) <= set(record.modules)
    assert set(record.delayed_modules) <= set(record.modules)
    assert set(record.archs) <= set(catalog.ARCHS)
    assert set(record.observations) and set(record.actions) and record.loop
    for module in record.modules:
        assert module in catalog.MODULE_NAMES
        trunk, outputs = record.layouts[module]
        assert record.module_inputs(module) and record.module_inputs(module, batch=True)
    for module, (trunk, outputs) in record.joint_output_layouts.items():
        assert module in record.modules
        assert all(o.startswith(trunk + ".") for o in outputs)
    assert record.loss_columns
    assert set(record.help) <= set(catalog.HELP)


def test_records_are_keyed_by_their_names():
    for registry in (
        catalog.ALGORITHM_RECORDS,
        catalog.ARCH_RECORDS,
        catalog.REGIME_RECORDS,
        catalog.SUITE_RECORDS,
    ):
        assert all(name == record.name for name, record in registry.items())
    assert catalog.ALGORITHMS == tuple(catalog.ALGORITHM_RECORDS)
    assert catalog.REGIMES == tuple(catalog.REGIME_RECORDS)


def test_presets_arch_networks_name_modules_and_archs_of_their_algorithm():
    for preset in catalog.PRESETS.values():
        for algo, modules in preset.arch_networks.items():
            assert algo in preset.networks
            for module, by_arch in modules.items():
                assert module in catalog.algorithm(algo).modules
                assert set(by_arch) <= set(catalog.algorithm(algo).archs)


def test_preset_options_are_known_choices_of_their_algorithm():
    for preset in catalog.PRESETS.values():
        for algo, options in preset.options.items():
            assert algo in preset.train, (preset.name, algo)
            assert set(options) <= set(catalog.PRESET_OPTIONS), (preset.name, options)


def test_regime_records_agree():
    for r in catalog.REGIME_RECORDS.values():
        assert r.scheduled <= r.dynamic and r.starts_dense <= r.scheduled, r.name
        # a level means something where the regime masks or zeroes weights (sparse_init)
        assert bool(r.level_meaning) == (r.sparse or r.init_zeros), r.name
        assert "regime" in r.keys


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
            assert set(values) <= set(catalog.algorithm(algo).train_keys), (preset.name, algo)


def test_defaults_are_keys_of_the_language():
    assert set(catalog.DEFAULTS) <= set(catalog.HELP)
    sparsity_keys = {f"networks.MODULE.sparsity.{k}" for k in catalog.SPARSITY_DEFAULTS}
    assert sparsity_keys <= set(catalog.HELP)


def _catalog_texts() -> set[str]:
    texts = set(catalog.HELP.values()) | set(catalog.FLAG_HELP.values())
    texts |= {t for a in catalog.ALGORITHM_RECORDS.values() for t in a.help.values()}
    texts |= {s.id_help for s in catalog.SUITE_RECORDS.values()}
    texts |= {r.level_meaning for r in catalog.REGIME_RECORDS.values()}
    texts |= {a.width_meaning for a in catalog.ARCH_RECORDS.values() if a.width_meaning}
    return texts | {a.depth_meaning for a in catalog.ARCH_RECORDS.values()}


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


def test_the_axes_kinds_named_by_records_exist_and_have_their_templates():
    for suite in catalog.SUITE_RECORDS.values():
        assert set(suite.observations) <= set(catalog.OBSERVATION_KINDS), suite.name
        assert set(suite.actions) <= set(catalog.ACTION_KINDS), suite.name
    for algo in catalog.ALGORITHM_RECORDS.values():
        assert set(algo.observations) <= set(catalog.OBSERVATION_KINDS), algo.name
        assert set(algo.actions) <= set(catalog.ACTION_KINDS), algo.name
        assert algo.loop in catalog.LOOP_KINDS, algo.name
    for loop in catalog.LOOP_KINDS.values():
        assert (ROOT / "templates" / loop.template).exists(), loop.name
