#!/usr/bin/env bash
# Checks the AWS CDK stack in infra/aws offline (no AWS credentials, no AWS calls):
#   1. installs infra/aws's npm packages (package-lock.json, npm ci) into the tools dir, once
#      per version of package.json + package-lock.json, and the Python tools (cfn-lint);
#   2. builds a temporary copy of infra/aws with tsc and runs its tests (node --test,
#      aws-cdk-lib/assertions), so the source tree gets no dist/, cdk.out/ or node_modules;
#   3. cdk synth --no-lookups of two configurations (tenants=acme,globex; and a production-like
#      one with IRSA and an inference profile), and checks that a refused value fails the synth;
#   4. cfn-lint on the synthesized templates.
# Runs from any cwd.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_DIR="${REVLOOP_TOOLS_DIR:-$ROOT/.tools}"
export REVLOOP_TOOLS_DIR="$TOOLS_DIR"
PROJECT="$ROOT/infra/aws"
CDK_TOOLS="$TOOLS_DIR/cdk"
VENV="$TOOLS_DIR/venv"
START=$SECONDS
step() { echo "== [$((SECONDS - START)) s] $*"; }

command -v node >/dev/null && command -v npm >/dev/null || {
  echo "error: node and npm (Node 20 or later) are needed for the CDK checks" >&2
  exit 1
}
NODE_MAJOR="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$NODE_MAJOR" -lt 20 ]; then
  echo "error: Node 20 or later is needed for the CDK checks (found $(node --version))" >&2
  exit 1
fi

# 1. Packages. npm ci refuses a lock that disagrees with package.json, so both are hashed.
HASH="$(cat "$PROJECT/package.json" "$PROJECT/package-lock.json" | sha256sum | cut -c1-16)"
STAMP="$CDK_TOOLS/.npm-ci-$HASH"
if [ ! -f "$STAMP" ] || [ ! -d "$CDK_TOOLS/node_modules" ]; then
  echo "installing infra/aws's npm packages into $CDK_TOOLS (once per package-lock.json) …"
  mkdir -p "$CDK_TOOLS"
  rm -f "$CDK_TOOLS"/.npm-ci-*
  cp "$PROJECT/package.json" "$PROJECT/package-lock.json" "$CDK_TOOLS/"
  (cd "$CDK_TOOLS" && npm ci --no-audit --no-fund --loglevel=error)
  touch "$STAMP"
fi
"$ROOT/scripts/install-python-tools.sh"
BIN="$CDK_TOOLS/node_modules/.bin"

# 2. Build and test a copy (the tests read the contract from the tree).
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
APP="$WORK/aws"
mkdir -p "$APP"
cp -R "$PROJECT/package.json" "$PROJECT/package-lock.json" "$PROJECT/tsconfig.json" "$PROJECT/cdk.json" \
  "$PROJECT/bin" "$PROJECT/lib" "$PROJECT/test" "$APP/"
ln -s "$CDK_TOOLS/node_modules" "$APP/node_modules"
export REVLOOP_AWS_CONTRACT="$ROOT/store/src/aws/README.md"

# The synth must not depend on, or call, any AWS account: no credentials, profile or region from
# this machine (the CLI would otherwise ask STS for the default account, and the template would
# change with it), and no instance metadata lookups.
for var in AWS_PROFILE AWS_DEFAULT_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN \
  AWS_REGION AWS_DEFAULT_REGION AWS_ROLE_ARN AWS_WEB_IDENTITY_TOKEN_FILE \
  AWS_CONTAINER_CREDENTIALS_RELATIVE_URI AWS_CONTAINER_CREDENTIALS_FULL_URI \
  CDK_DEFAULT_ACCOUNT CDK_DEFAULT_REGION; do
  unset "$var"
done
export AWS_CONFIG_FILE="$WORK/no-aws-config" AWS_SHARED_CREDENTIALS_FILE="$WORK/no-aws-credentials"
export AWS_EC2_METADATA_DISABLED=true
export CDK_DISABLE_VERSION_CHECK=1 CDK_DISABLE_CLI_TELEMETRY=true
export PYTHONDONTWRITEBYTECODE=1

step "tsc"
"$BIN/tsc" -p "$APP"
step "node --test (aws-cdk-lib/assertions)"
(cd "$APP" && node --test --test-reporter=spec dist/test/*.test.js)

# 3. Synth. Each configuration gets its own assembly directory.
synth() {
  local name="$1"
  shift
  (cd "$APP" && "$BIN/cdk" synth --no-lookups --no-notices --no-version-reporting --ci --quiet \
    --output "$WORK/cdk.out/$name" "$@" >/dev/null)
}
step "cdk synth: default (tenants=acme,globex)"
synth default -c tenants=acme,globex
step "cdk synth: production-like (prefix, IRSA, inference profile)"
synth production \
  -c prefix=revloop-prod -c tenants=acme \
  -c oidcProviderArn=arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE \
  -c serviceAccountNamespace=revloop \
  -c bedrockModelIds=us.anthropic.claude-3-5-sonnet-20241022-v2:0,amazon.titan-embed-text-v2:0
step "cdk synth: a tenant id KMS cannot alias must fail"
if synth refused -c tenants=acme.eu 2>"$WORK/refused.err"; then
  echo "error: cdk synth accepted tenants=acme.eu" >&2
  exit 1
fi
grep -q "cannot name a KMS alias" "$WORK/refused.err" || {
  echo "error: cdk synth of tenants=acme.eu failed for another reason:" >&2
  cat "$WORK/refused.err" >&2
  exit 1
}

# 4. cfn-lint. Errors and warnings fail; informational findings are printed but do not (there are
# none today). No rule is ignored: the templates pass cfn-lint's defaults as they are.
TEMPLATES=("$WORK"/cdk.out/default/*.template.json "$WORK"/cdk.out/production/*.template.json)
[ "${#TEMPLATES[@]}" -eq 2 ] && [ -f "${TEMPLATES[0]}" ] && [ -f "${TEMPLATES[1]}" ] || {
  echo "error: expected one template per synth, found: ${TEMPLATES[*]}" >&2
  exit 1
}
step "cfn-lint $("$VENV/bin/cfn-lint" --version | cut -d' ' -f2)"
"$VENV/bin/cfn-lint" --include-checks I --non-zero-exit-code warning -- "${TEMPLATES[@]}"

echo "CDK checks passed in $((SECONDS - START)) s"
