#!/usr/bin/env bash
# Installs playwright-core (Apache-2.0), which drives the system Chromium in the approval page's
# tests, into the tools dir, once per version. It never downloads a browser of its own.
set -euo pipefail
VERSION="1.65.1"
TOOLS_DIR="${REVLOOP_TOOLS_DIR:-$(cd "$(dirname "$0")/.." && pwd)/.tools}"
STAMP="$TOOLS_DIR/node/.playwright-core-$VERSION"
if [ -f "$STAMP" ] && [ -d "$TOOLS_DIR/node/node_modules/playwright-core" ]; then
  exit 0
fi
command -v npm >/dev/null || { echo "error: npm is needed to install playwright-core (the browser tests)" >&2; exit 1; }
mkdir -p "$TOOLS_DIR/node"
echo "installing playwright-core $VERSION into $TOOLS_DIR/node (first time only) …"
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --silent --no-audit --no-fund --no-save \
  --prefix "$TOOLS_DIR/node" "playwright-core@$VERSION"
touch "$STAMP"
