#!/usr/bin/env bash
# Checks the Helm chart in infra/helm/revloop offline (no cluster, no chart repository):
#   1. helm lint --strict of each value set;
#   2. helm template of each value set, validated strictly by kubernetes-validate (built-in
#      kinds) and by infra/helm/tests/check_crs.py (KEDA and prometheus-operator kinds against
#      the CRDs vendored in infra/helm/crds; any kind neither knows is an error);
#   3. pytest infra/helm/tests (what the rendered manifests must guarantee, refused values).
# Installs helm and the Python tools into the tools dir the first time. Runs from any cwd.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_DIR="${REVLOOP_TOOLS_DIR:-$ROOT/.tools}"
export REVLOOP_TOOLS_DIR="$TOOLS_DIR"
KUBE_VERSION=1.33.0
CHART="$ROOT/infra/helm/revloop"
TESTS="$ROOT/infra/helm/tests"
START=$SECONDS

"$ROOT/scripts/install-helm.sh"
"$ROOT/scripts/install-python-tools.sh"

HELM="$TOOLS_DIR/bin/helm"
VENV="$TOOLS_DIR/venv"
export REVLOOP_HELM="$HELM"
# Keep helm's cache, config and data in the tools dir, and Python's caches out of the tree.
export HELM_CACHE_HOME="$TOOLS_DIR/helm/cache"
export HELM_CONFIG_HOME="$TOOLS_DIR/helm/config"
export HELM_DATA_HOME="$TOOLS_DIR/helm/data"
export PYTHONDONTWRITEBYTECODE=1

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# name=values file ("" for the chart's defaults).
VALUE_SETS=(
  "default="
  "production=$CHART/values-production.yaml"
  "sqlite-split=$TESTS/values/sqlite-split.yaml"
  "aws-apikey=$TESTS/values/aws-apikey.yaml"
)

for entry in "${VALUE_SETS[@]}"; do
  name="${entry%%=*}"
  file="${entry#*=}"
  args=()
  [ -n "$file" ] && args=(-f "$file")
  echo "== $name: helm lint --strict"
  "$HELM" lint --strict --kube-version "$KUBE_VERSION" "$CHART" ${args[@]+"${args[@]}"} --quiet
  echo "== $name: helm template | kubernetes-validate --strict, check_crs.py"
  out="$WORK/$name.yaml"
  "$HELM" template revloop "$CHART" --namespace revloop --kube-version "$KUBE_VERSION" \
    ${args[@]+"${args[@]}"} > "$out"
  # --no-warn: kubernetes-validate only warns about kinds it has no schema for; check_crs.py
  # validates those against the vendored CRDs and fails on any kind neither knows.
  "$VENV/bin/kubernetes-validate" -k "$KUBE_VERSION" --strict --quiet --no-warn - < "$out"
  "$VENV/bin/python" "$TESTS/check_crs.py" -k "$KUBE_VERSION" "$out"
done

echo "== pytest infra/helm/tests"
"$VENV/bin/python" -m pytest -q -p no:cacheprovider "$TESTS"

echo "helm chart checks passed in $((SECONDS - START)) s"
