#!/usr/bin/env bash
# Installs Mailpit (MIT), the SMTP server the email tests send to, into the tools dir, once.
exec "$(dirname "$0")/install-go-tool.sh" mailpit "github.com/axllent/mailpit@v1.33.1" "the SMTP server for the email tests"
