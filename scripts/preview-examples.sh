#!/usr/bin/env bash
# Offline preview (program under mocks + the zero-trust pack) of every example stack.
# Domain stacks read the platform's outputs from its preview (`--stack-reference`).
set -euo pipefail
cd "$(dirname "$0")/.."
out=.preview
platform_ref=organization/ztmesh-platform/dev

npm run --silent preview -- --stack dev --out "$out/platform-dev"
npm run --silent preview -- --project stacks/domain --stack dev --out "$out/domain-dev" \
  --stack-reference "$platform_ref=$out/platform-dev/stack.json"
echo "all example stacks previewed with zero mandatory violations"
