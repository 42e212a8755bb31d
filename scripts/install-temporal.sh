#!/usr/bin/env bash
# Installs the Temporal CLI (dev server + Web UI) into the project's tools dir, once.
# v1.5.1 is the newest release `go install` accepts (later tags carry replace directives).
exec "$(dirname "$0")/install-go-tool.sh" temporal "github.com/temporalio/cli/cmd/temporal@v1.5.1" "the Temporal CLI"
