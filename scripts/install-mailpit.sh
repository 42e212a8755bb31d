#!/usr/bin/env bash
# Installs Mailpit (MIT), the SMTP server the email tests send to, into the tools dir, once.
set -euo pipefail
TOOLS_DIR="${REVLOOP_TOOLS_DIR:-$(cd "$(dirname "$0")/.." && pwd)/.tools}"
VERSION="v1.33.1"
BIN="$TOOLS_DIR/bin/mailpit"
STAMP="$TOOLS_DIR/bin/.mailpit-$VERSION"
if [ -x "$BIN" ] && [ -f "$STAMP" ]; then
  exit 0
fi
command -v go >/dev/null || { echo "error: Go is needed to install Mailpit" >&2; exit 1; }
mkdir -p "$TOOLS_DIR/bin"
echo "installing Mailpit $VERSION into $TOOLS_DIR/bin (first time only, a minute or two) …"
CGO_ENABLED=0 GOBIN="$TOOLS_DIR/bin" go install "github.com/axllent/mailpit@$VERSION"
touch "$STAMP"
