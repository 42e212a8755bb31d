#!/usr/bin/env bash
# Installs versitygw (Apache-2.0), the S3 server the AWS store backend's tests run against: it
# enforces versioning, Object Lock COMPLIANCE, SigV4 and If-None-Match, into the tools dir, once.
exec "$(dirname "$0")/install-go-tool.sh" versitygw "github.com/versity/versitygw/cmd/versitygw@v1.8.0" "the S3 server for the AWS store backend's tests"
