"""check_crs.py catches what kubernetes-validate lets through: wrong or unknown CR fields and unknown kinds."""

from __future__ import annotations

import copy

import pytest

import check_crs
from conftest import render_set

CRDS = check_crs.load_crd_schemas()


def problems(docs):
    return check_crs.check((("test", d) for d in docs), "1.33.0", CRDS)


def first(docs, kind):
    return next(d for d in docs if d["kind"] == kind)


def test_vendored_crds_cover_the_chart_kinds():
    assert {k for _, k in CRDS} >= {"ScaledObject", "TriggerAuthentication", "ServiceMonitor"}
    assert ("keda.sh/v1alpha1", "ScaledObject") in CRDS
    assert ("monitoring.coreos.com/v1", "ServiceMonitor") in CRDS


def test_every_rendered_value_set_passes(value_set):
    assert problems(render_set(value_set)) == []


@pytest.mark.parametrize("kind, mutate, expected", [
    ("ScaledObject", lambda d: d["spec"].__setitem__("minReplicas", 1), "'minReplicas' was unexpected"),
    ("ScaledObject", lambda d: d["spec"]["triggers"][0]["metadata"].__setitem__("targetQueueSize", 5),
     "is not of type 'string'"),
    ("ScaledObject", lambda d: d["spec"]["scaleTargetRef"].pop("name"), "'name' is a required property"),
    ("ScaledObject", lambda d: d["spec"]["advanced"]["horizontalPodAutoscalerConfig"]["behavior"]["scaleDown"]
     .__setitem__("stabilisationWindowSeconds", 1), "'stabilisationWindowSeconds' was unexpected"),
    ("TriggerAuthentication", lambda d: d["spec"]["secretTargetRef"][0].__setitem__("secret", "x"),
     "'secret' was unexpected"),
    ("ServiceMonitor", lambda d: d["spec"]["endpoints"][0].__setitem__("portName", "metrics"),
     "'portName' was unexpected"),
    ("ServiceMonitor", lambda d: d["spec"]["endpoints"][0].__setitem__("scheme", "tcp"), "is not one of"),
    ("ServiceMonitor", lambda d: d["metadata"].__setitem__("name", "Not_A_Name"), "is not a DNS subdomain"),
    ("Deployment", lambda d: d["spec"]["template"]["spec"].__setitem__("terminationGracePeriod", 45),
     "'terminationGracePeriod' was unexpected"),
])
def test_a_wrong_field_is_an_error(kind, mutate, expected):
    docs = copy.deepcopy(render_set("production"))
    mutate(first(docs, kind))
    found = problems(docs)
    assert any(expected in p for p in found), found


def test_an_unknown_kind_is_an_error():
    docs = [{"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}]
    (p,) = problems(docs)
    assert "unknown kind example.com/v1/Widget" in p


def test_a_crd_version_not_vendored_is_an_error():
    so = copy.deepcopy(first(render_set("production"), "ScaledObject"))
    so["apiVersion"] = "keda.sh/v1beta1"
    (p,) = problems([so])
    assert "unknown kind keda.sh/v1beta1/ScaledObject" in p
