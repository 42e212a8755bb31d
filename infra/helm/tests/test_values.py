"""values.yaml documents every value, README.md lists every value, and no example sets a value the chart does not have."""

from __future__ import annotations

import pathlib
import re

import pytest
import yaml

import values_table
from conftest import CHART, VALUE_SETS

VALUES = CHART / "values.yaml"
# Maps whose keys are the user's own (labels, env names, Kubernetes objects): not chart values.
FREE_FORM = {"resources", "namespaceSelector", "podSelector", "annotations", "labels", "podLabels",
             "podAnnotations", "nodeSelector", "affinity", "extraConfig"}


def leaves(tree: dict, prefix: str = "") -> dict[str, object]:
    out = {}
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value and key not in FREE_FORM:
            out.update(leaves(value, path + "."))
        else:
            out[path] = value
    return out


DEFAULTS = leaves(yaml.safe_load(VALUES.read_text()))


def undocumented_keys() -> list[str]:
    """Leaf keys of values.yaml without a `# --` comment right above them."""
    lines = VALUES.read_text().splitlines()
    stack: list[str] = []
    missing = []
    for i, line in enumerate(lines):
        m = re.match(r"^(\s*)([A-Za-z0-9_.-]+):", line)
        if not m or line.lstrip().startswith("#"):
            continue
        depth = len(m.group(1)) // 2
        stack = stack[:depth] + [m.group(2)]
        path = ".".join(stack)
        if path not in DEFAULTS:
            continue
        j = i - 1
        documented = False
        while j >= 0 and lines[j].lstrip().startswith("#"):
            if lines[j].lstrip().startswith("# -- "):
                documented = True
                break
            j -= 1
        if not documented:
            missing.append(path)
    return missing


def test_every_value_has_a_comment():
    assert undocumented_keys() == []


def test_readme_lists_every_value_and_no_other():
    readme = (CHART / "README.md").read_text()
    listed = set(re.findall(r"^\| `([A-Za-z0-9_.]+)` \| `", readme, re.M))
    assert set(DEFAULTS) - listed == set(), "values missing from README.md's table"
    assert listed - set(DEFAULTS) == set(), "README.md lists values the chart does not have"


def test_readme_table_is_generated_from_values_yaml():
    readme = (CHART / "README.md").read_text()
    assert values_table.readme_table(readme) == values_table.table(), (
        "README.md's values table is stale: run infra/helm/tests/values_table.py --write")


@pytest.mark.parametrize("name", [n for n in VALUE_SETS if VALUE_SETS[n]])
def test_example_values_only_set_values_the_chart_has(name):
    for f in VALUE_SETS[name]:
        for path in leaves(yaml.safe_load(pathlib.Path(f).read_text())):
            parts = path.split(".")
            known = any(".".join(parts[:n]) in DEFAULTS for n in range(1, len(parts) + 1))
            assert known, f"{f.name}: {path} is not a value of the chart (a typo would be ignored silently)"
