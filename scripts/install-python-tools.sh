#!/usr/bin/env bash
# Installs the Python tools of infra/requirements.txt (kubernetes-validate, jsonschema, pytest,
# cfn-lint, and moto's DynamoDB server for the AWS store backend's tests) into a venv in the tools
# dir, once per version of that file.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
TOOLS_DIR="${REVLOOP_TOOLS_DIR:-$ROOT/.tools}"
VENV="$TOOLS_DIR/venv"
REQUIREMENTS="$ROOT/infra/requirements.txt"
STAMP="$VENV/.requirements-$(sha256sum "$REQUIREMENTS" | cut -c1-16)"
if [ -f "$STAMP" ] && [ -x "$VENV/bin/python" ]; then
  exit 0
fi
command -v python3 >/dev/null || { echo "error: python3 is needed for the infrastructure checks" >&2; exit 1; }
echo "installing the Python tools of infra/requirements.txt into $VENV (first time only) …"
python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$REQUIREMENTS"
rm -f "$VENV"/.requirements-*
touch "$STAMP"
