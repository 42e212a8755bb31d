#!/usr/bin/env bash
# Installs Debian's Chromium, the real browser the approval page's tests drive, once. It is a
# system package (it needs its shared libraries), so it goes where apt puts it, not the tools dir.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "error: installing chromium needs root or sudo (apt-get install -y chromium)" >&2; exit 1; }
  SUDO="sudo"
fi
command -v apt-get >/dev/null || { echo "error: no apt-get: install Chromium so that /usr/bin/chromium exists" >&2; exit 1; }
echo "installing chromium (the approval page's browser tests; first time only, a few minutes) …"
$SUDO apt-get update -q >/dev/null
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends chromium >/dev/null
/usr/bin/chromium --version
