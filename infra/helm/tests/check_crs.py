#!/usr/bin/env python3
"""Validates rendered Kubernetes manifests offline, kind by kind.

Custom resources (KEDA ScaledObject / TriggerAuthentication, prometheus-operator
ServiceMonitor) are checked against the openAPIV3Schema of the CRDs vendored in
infra/helm/crds/, made strict: every object schema that lists properties and does not preserve
unknown fields refuses any other field, as the API server's structural pruning would drop it
silently. Built-in kinds are checked by kubernetes-validate (strict). A document whose kind
neither knows is an error: `kubernetes-validate` alone only warns about it.

    check_crs.py [-k 1.33.0] FILE|- ...
"""

from __future__ import annotations

import argparse
import copy
import pathlib
import re
import sys
from typing import Any, Iterable

import jsonschema
import yaml
from kubernetes_validate import utils as kv

CRD_DIR = pathlib.Path(__file__).resolve().parents[1] / "crds"
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


def strict(schema: Any) -> Any:
    """A copy of an OpenAPI v3 (structural) schema as a strict JSON schema."""
    if isinstance(schema, list):
        return [strict(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: strict(v) for k, v in schema.items()}
    if (
        "properties" in out
        and not schema.get("x-kubernetes-preserve-unknown-fields")
        and "additionalProperties" not in out
    ):
        out["additionalProperties"] = False
    if out.pop("nullable", False) and "type" in out:
        out["type"] = [out["type"], "null"]
    return out


def load_crd_schemas(crd_dir: pathlib.Path = CRD_DIR) -> dict[tuple[str, str], dict]:
    """(apiVersion, kind) -> strict schema, for every served version of every vendored CRD."""
    schemas: dict[tuple[str, str], dict] = {}
    for path in sorted(crd_dir.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if not doc or doc.get("kind") != "CustomResourceDefinition":
                continue
            spec = doc["spec"]
            for version in spec["versions"]:
                if not version.get("served", True):
                    continue
                schema = copy.deepcopy(version["schema"]["openAPIV3Schema"])
                api_version = f"{spec['group']}/{version['name']}"
                schemas[(api_version, spec["names"]["kind"])] = strict(schema)
    return schemas


def metadata_errors(doc: dict) -> list[str]:
    """The ObjectMeta checks a CRD's schema leaves to the API server."""
    meta = doc.get("metadata") or {}
    errors = []
    name = meta.get("name", "")
    if not isinstance(name, str) or len(name) > 253 or not DNS_SUBDOMAIN.match(name):
        errors.append(f"metadata.name {name!r} is not a DNS subdomain")
    for field in ("labels", "annotations"):
        for key, value in (meta.get(field) or {}).items():
            if not isinstance(value, str):
                errors.append(f"metadata.{field}.{key} is not a string")
            elif field == "labels" and (len(value) > 63 or not LABEL_VALUE.match(value)):
                errors.append(f"metadata.labels.{key} value {value!r} is not a label value")
    unknown = set(meta) - {"name", "namespace", "labels", "annotations"}
    if unknown:
        errors.append(f"metadata has fields a chart should not render: {sorted(unknown)}")
    return errors


def documents(paths: Iterable[str]) -> Iterable[tuple[str, dict]]:
    for path in paths:
        text = sys.stdin.read() if path == "-" else pathlib.Path(path).read_text()
        for doc in yaml.safe_load_all(text):
            if doc:
                yield path, doc


def check(docs: Iterable[tuple[str, dict]], k8s_version: str, crds: dict) -> list[str]:
    """Every problem found, as one line each; empty when all documents are valid."""
    problems = []
    for source, doc in docs:
        kind, api_version = doc.get("kind"), doc.get("apiVersion")
        what = f"{source}: {kind} {((doc.get('metadata') or {}).get('name'))!r}"
        if not kind or not api_version:
            problems.append(f"{what}: no kind or apiVersion")
            continue
        schema = crds.get((api_version, kind))
        if schema is not None:
            validator = jsonschema.Draft202012Validator(schema)
            for err in sorted(validator.iter_errors(doc), key=lambda e: list(e.path)):
                path = ".".join(str(p) for p in err.path) or "(root)"
                problems.append(f"{what}: {path}: {err.message}")
            problems.extend(f"{what}: {e}" for e in metadata_errors(doc))
            continue
        try:
            kv.validate(doc, k8s_version, strict=True)
        except kv.SchemaNotFoundError:
            problems.append(
                f"{what}: unknown kind {api_version}/{kind}: neither kubernetes-validate "
                f"{k8s_version} nor a CRD in {CRD_DIR} describes it"
            )
        except kv.ValidationError as err:
            path = ".".join(str(p) for p in err.path) or "(root)"
            problems.append(f"{what}: {path}: {err.message}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-k", "--kubernetes-version", default="1.33.0")
    parser.add_argument("files", nargs="+", help="rendered manifests, - for stdin")
    args = parser.parse_args(argv)
    crds = load_crd_schemas()
    docs = list(documents(args.files))
    problems = check(docs, args.kubernetes_version, crds)
    for p in problems:
        print(f"ERROR {p}")
    counted = {}
    for _, d in docs:
        counted[d["kind"]] = counted.get(d["kind"], 0) + 1
    summary = ", ".join(f"{n} {k}" for k, n in sorted(counted.items()))
    print(f"{'FAILED' if problems else 'ok'}: {len(docs)} documents ({summary})")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
