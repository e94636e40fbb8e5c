"""generated/ holds exactly a fresh compile of specs/, byte for byte.

Regenerate with:  rm -f generated/*.py && specc compile specs/*.yaml -o generated/
"""

import difflib

from conftest import GENERATED, SPECS, compiled_specs

REGEN = "rm -f generated/*.py && specc compile specs/*.yaml -o generated/"


def test_generated_matches_a_fresh_compile_of_specs():
    expected = compiled_specs()
    present = {p.name for p in GENERATED.glob("*.py")}
    problems = []
    for name in sorted(set(expected) | present):
        if name not in present:
            problems.append(f"generated/{name} is missing")
        elif name not in expected:
            problems.append(f"generated/{name} has no spec in specs/")
        else:
            old = (GENERATED / name).read_text()
            if old != expected[name]:
                diff = "".join(
                    difflib.unified_diff(
                        old.splitlines(True),
                        expected[name].splitlines(True),
                        f"generated/{name}",
                        "fresh compile",
                    )
                )
                problems.append(diff)
    assert not problems, (
        "\n".join(problems) + f"\n\ngenerated/ is stale; regenerate it with:\n    {REGEN}\n"
    )


def test_every_spec_has_its_own_output_name():
    assert sorted(compiled_specs()) == sorted(
        spec.stem + ".py" for spec in SPECS
    ), "name a spec file after its 'name' so specs/X.yaml -> generated/X.py"
