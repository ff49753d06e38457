#!/usr/bin/env bash
# Offline preview (program under mocks + the zero-trust pack) of every example stack, in
# dependency order: the platform, then the domains, each reading the earlier previews'
# outputs through `--stack-reference`. Dev stacks use Pulumi.dev.policy.json (unlocked
# GCS retention in dev). Platform prod is not previewed offline: it reads its keys from
# config secrets, which the offline preview cannot decrypt (see stacks/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
out=.preview
cfg=Pulumi.dev.policy.json
platform=organization/ztmesh-platform/dev
domain=organization/ztmesh-domain

npm run --silent preview -- --stack dev --policy-config "$cfg" --out "$out/platform-dev"
refs=(--stack-reference "$platform=$out/platform-dev/stack.json")
for d in trading risk compliance; do
  npm run --silent preview -- --project stacks/domain --stack "$d-dev" --policy-config "$cfg" --out "$out/$d-dev" "${refs[@]}"
  refs+=(--stack-reference "$domain/$d-dev=$out/$d-dev/stack.json")
done
echo "all example stacks previewed with zero mandatory violations"
