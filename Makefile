# The two commands that matter: `make demo` and `make test`. Each installs what it needs the
# first time into a git-ignored tools dir (REVLOOP_TOOLS_DIR, default ./.tools).

REVLOOP_TOOLS_DIR ?= $(CURDIR)/.tools
export REVLOOP_TOOLS_DIR
export REVLOOP_TEMPORAL_BIN ?= $(REVLOOP_TOOLS_DIR)/bin/temporal
export REVLOOP_MAILPIT_BIN ?= $(REVLOOP_TOOLS_DIR)/bin/mailpit
export REVLOOP_NODE_MODULES ?= $(REVLOOP_TOOLS_DIR)/node/node_modules
# The AWS store backend's tests: moto's DynamoDB server (in the tools venv) and versitygw (S3).
export REVLOOP_MOTO_PYTHON ?= $(REVLOOP_TOOLS_DIR)/venv/bin/python
export REVLOOP_VERSITYGW_BIN ?= $(REVLOOP_TOOLS_DIR)/bin/versitygw
CARGO ?= cargo
TARGET_DIR := $(or $(CARGO_TARGET_DIR),$(CURDIR)/target)

.PHONY: demo test test-security test-infra tools build lint clean

## Run the whole loop locally: Temporal dev server + worker + API + demo tenant.
demo: tools build
	$(TARGET_DIR)/debug/revloop demo

## Run every test: the infrastructure checks (Helm chart, AWS CDK stack), then unit, property, store
## conformance and end-to-end tests on a real Temporal server.
test: tools build test-infra
	$(CARGO) test --workspace --locked -- --test-threads=2

## The deployment assets, offline: the Helm chart (helm lint, kubernetes-validate, the CRD
## schemas, pytest) and the AWS CDK stack (tsc, assertions tests, cdk synth, cfn-lint).
## Installs helm, a Python venv and the CDK's npm packages into the tools dir the first time.
test-infra:
	@scripts/check-helm.sh
	@scripts/check-cdk.sh

## The security group alone: one test (or more) per finding in docs/security.md. `make test`
## runs them too.
SECURITY_TESTS := security:: security_webhooks:: approval_via_temporal_cli:: approvers:: \
	tenant_isolation:: push_connector:: durability:: metrics:: approval_revalidation:: \
	http::listener:: http::signature:: auth::tests:: config_rules:: security:: secrets:: egress:: \
	inbox:: approval_token:: decision::approvers:: timeout_tests:: pipeline::tests:: \
	push_deliveries_are_claimed_once records::parse:: procs::tests:: \
	services::tenants::tests params_have_limits
test-security: tools build
	$(CARGO) test --workspace --locked -- --test-threads=2 $(SECURITY_TESTS)

tools:
	@scripts/install-temporal.sh
	@scripts/install-mailpit.sh
	@scripts/install-chromium.sh
	@scripts/install-playwright.sh
	@scripts/install-python-tools.sh
	@scripts/install-versitygw.sh

build:
	$(CARGO) build --workspace --bins --locked

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

clean:
	$(CARGO) clean
	rm -rf .revloop
