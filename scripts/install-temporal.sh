#!/usr/bin/env bash
# Installs the Temporal CLI (dev server + Web UI) into the project's tools dir, once.
# v1.5.1 is the newest release `go install` accepts (later tags carry replace directives).
set -euo pipefail
TOOLS_DIR="${REVLOOP_TOOLS_DIR:-$(cd "$(dirname "$0")/.." && pwd)/.tools}"
VERSION="v1.5.1"
BIN="$TOOLS_DIR/bin/temporal"
STAMP="$TOOLS_DIR/bin/.temporal-$VERSION"
if [ -x "$BIN" ] && [ -f "$STAMP" ]; then
  exit 0
fi
command -v go >/dev/null || { echo "error: Go is needed to install the Temporal CLI" >&2; exit 1; }
mkdir -p "$TOOLS_DIR/bin"
echo "installing the Temporal CLI $VERSION into $TOOLS_DIR/bin (first time only, a few minutes) …"
CGO_ENABLED=0 GOBIN="$TOOLS_DIR/bin" go install "github.com/temporalio/cli/cmd/temporal@$VERSION"
touch "$STAMP"
