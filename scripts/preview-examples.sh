#!/usr/bin/env bash
# Offline preview (program under mocks + the zero-trust pack) of every example stack: the
# platform, then the three domains twice, as a first rollout of domains that reference each
# other converges. Each domain reads the others' latest previews through --stack-reference;
# a domain not previewed yet is a stack with no outputs (initialized, never deployed), which
# the domain stack skips with a warning. After the second pass every producer admits its
# consumers: no domain may have pending intents. Dev stacks use Pulumi.dev.policy.json
# (unlocked GCS retention in dev). Platform prod is previewed with throwaway keys passed
# through --config (scripts/preview-prod.sh) and the default policy config.
set -euo pipefail
cd "$(dirname "$0")/.."
out=.preview
cfg=Pulumi.dev.policy.json
platform=organization/ztmesh-platform/dev
domain=organization/ztmesh-domain
domains=(trading risk compliance)

rm -rf "$out/platform-dev" && mkdir -p "$out"
for d in "${domains[@]}"; do rm -rf "$out/$d-dev"; done
echo '{}' > "$out/not-deployed.json"

npm run --silent preview -- --stack dev --policy-config "$cfg" --out "$out/platform-dev"
for pass in 1 2; do
  for d in "${domains[@]}"; do
    refs=(--stack-reference "$platform=$out/platform-dev/stack.json")
    for o in "${domains[@]}"; do
      [ "$o" = "$d" ] && continue
      f="$out/$o-dev/stack.json"; [ -f "$f" ] || f="$out/not-deployed.json"
      refs+=(--stack-reference "$domain/$o-dev=$f")
    done
    echo "== pass $pass: $d-dev"
    npm run --silent preview -- --project stacks/domain --stack "$d-dev" --policy-config "$cfg" --out "$out/$d-dev" "${refs[@]}"
  done
done
bash scripts/preview-prod.sh
node scripts/check-converged.js $(for d in "${domains[@]}"; do echo "$out/$d-dev/stack.json"; done)
echo "all example stacks previewed with zero mandatory violations and no pending intents"
