#!/usr/bin/env bash
# Starts a Temporal dev server on loopback with revloop's search attributes, for running the
# worker and API by hand. State in .revloop/temporal.db; Web UI on :8233. Ctrl-C stops it.
# (`revloop demo` and the tests start their own through the same settings.)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
"$ROOT/scripts/install-temporal.sh"
TEMPORAL="${REVLOOP_TEMPORAL_BIN:-${REVLOOP_TOOLS_DIR:-$ROOT/.tools}/bin/temporal}"
mkdir -p "$ROOT/.revloop"
exec "$TEMPORAL" server start-dev --ip 127.0.0.1 --port "${TEMPORAL_PORT:-7233}" --ui-port "${TEMPORAL_UI_PORT:-8233}" \
  --db-filename "$ROOT/.revloop/temporal.db" --namespace default --log-level warn \
  --search-attribute TenantId=Keyword --search-attribute AccountId=Keyword \
  --search-attribute TraceId=Keyword --search-attribute Kind=Keyword
