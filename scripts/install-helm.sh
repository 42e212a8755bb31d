#!/usr/bin/env bash
# Installs helm (used offline only: `helm lint` and `helm template` of infra/helm/revloop) into
# the project's tools dir, once per version. No cluster and no chart repository is contacted.
set -euo pipefail
exec "$(dirname "$0")/install-go-tool.sh" helm helm.sh/helm/v3/cmd/helm@v3.22.0 \
  "renders and lints the Helm chart in infra/helm/revloop"
