"""Renders the chart with helm (no cluster) and reads what was rendered."""

from __future__ import annotations

import functools
import os
import pathlib
import subprocess
from typing import Iterable

import pytest
import yaml

REPO = pathlib.Path(__file__).resolve().parents[3]
CHART = REPO / "infra" / "helm" / "revloop"
TESTS = pathlib.Path(__file__).resolve().parent
KUBE_VERSION = "1.33.0"
RELEASE = "revloop"
NAMESPACE = "revloop"

# The value sets every structural test runs on: name -> values files.
VALUE_SETS = {
    "default": (),
    "production": (CHART / "values-production.yaml",),
    "sqlite-split": (TESTS / "values" / "sqlite-split.yaml",),
    "aws-apikey": (TESTS / "values" / "aws-apikey.yaml",),
}


def helm_bin() -> str:
    if os.environ.get("REVLOOP_HELM"):
        return os.environ["REVLOOP_HELM"]
    tools = pathlib.Path(os.environ.get("REVLOOP_TOOLS_DIR", REPO / ".tools"))
    return str(tools / "bin" / "helm")


def helm_template(values: Iterable[pathlib.Path] = (), sets: Iterable[str] = ()) -> subprocess.CompletedProcess:
    cmd = [helm_bin(), "template", RELEASE, str(CHART), "--namespace", NAMESPACE,
           "--kube-version", KUBE_VERSION]
    for v in values:
        cmd += ["-f", str(v)]
    for s in sets:
        cmd += ["--set", s]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


@functools.lru_cache(maxsize=None)
def render(values: tuple = (), sets: tuple = ()) -> list[dict]:
    """The rendered documents; fails the test when helm refuses the values."""
    proc = helm_template(values, sets)
    if proc.returncode != 0:
        pytest.fail(f"helm template {values} {sets} failed:\n{proc.stderr}")
    return [d for d in yaml.safe_load_all(proc.stdout) if d]


def render_set(name: str, sets: tuple = ()) -> list[dict]:
    return render(VALUE_SETS[name], sets)


def render_error(values: tuple = (), sets: tuple = ()) -> str:
    """helm's error output for values the chart must refuse; fails the test if it renders."""
    proc = helm_template(values, sets)
    if proc.returncode == 0:
        pytest.fail(f"helm template {values} {sets} rendered, but the chart should refuse it")
    return proc.stderr


@pytest.fixture(params=sorted(VALUE_SETS))
def value_set(request) -> str:
    return request.param
