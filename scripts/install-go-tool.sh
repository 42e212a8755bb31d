#!/usr/bin/env bash
# Installs a Go-built tool into the project's tools dir, once per version:
#   install-go-tool.sh NAME MODULE@VERSION "what it is for"
set -euo pipefail
NAME="$1"
MODULE="$2"
PURPOSE="$3"
VERSION="${MODULE##*@}"
TOOLS_DIR="${REVLOOP_TOOLS_DIR:-$(cd "$(dirname "$0")/.." && pwd)/.tools}"
BIN="$TOOLS_DIR/bin/$NAME"
STAMP="$TOOLS_DIR/bin/.$NAME-$VERSION"
if [ -x "$BIN" ] && [ -f "$STAMP" ]; then
  exit 0
fi
command -v go >/dev/null || { echo "error: Go is needed to install $NAME ($PURPOSE)" >&2; exit 1; }
mkdir -p "$TOOLS_DIR/bin"
echo "installing $NAME $VERSION ($PURPOSE) into $TOOLS_DIR/bin (first time only, a few minutes) …"
CGO_ENABLED=0 GOBIN="$TOOLS_DIR/bin" go install "$MODULE"
touch "$STAMP"
