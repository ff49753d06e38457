#!/usr/bin/env bash
# The package as a user gets it: `npm pack` (after `npm run build`), the tarball installed into
# an empty project, then `npx ztmesh --help`, `npx ztmesh audit` on a small stack export and
# `npx ztmesh preview` of the TypeScript program that export came from (copied into the
# project), each of which must exit 1 with exactly the two violations the stack has. A file the bin needs at run
# time (the compiled pack, the analyzer worker, the host preload, the Rego) that package.json
# `files` leaves out fails here. Needs only Node 20 and npm; dependencies come from the npm cache
# when they are in it (`--prefer-offline`).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
fixture="$repo/test/fixtures/exports/violating-stack.json"

[ -f dist/cli/index.js ] || { echo "smoke-pack: dist/ is missing; run npm run build first" >&2; exit 2; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ztmesh-smoke-pack.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
start=$(date +%s)

tarball=$(npm pack --silent --pack-destination "$tmp" | tail -n 1)
echo "smoke-pack: packed $tarball ($(du -k "$tmp/$tarball" | cut -f1) KiB)"

mkdir "$tmp/project"
cd "$tmp/project"
echo '{ "name": "smoke", "version": "1.0.0", "private": true }' > package.json
npm install --prefer-offline --no-audit --no-fund --loglevel=error "$tmp/$tarball"
echo "smoke-pack: installed in $(( $(date +%s) - start )) s"

npx --no-install ztmesh --help > help.txt
grep -q "audit" help.txt || { echo "smoke-pack: ztmesh --help does not list audit" >&2; cat help.txt >&2; exit 1; }

set +e
npx --no-install ztmesh audit "$fixture" --json > audit.json 2> audit.err
code=$?
set -e
if [ "$code" -ne 1 ]; then
  echo "smoke-pack: ztmesh audit exited $code, expected 1 (mandatory violations)" >&2
  cat audit.err >&2
  exit 1
fi
check() {
  node -e '
    const report = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const got = report.violations.map((v) => v.policy).sort().join(",");
    const want = "aws-iam-no-wildcards,kubernetes-namespace-default-deny";
    if (got !== want) { console.error(`smoke-pack: ${process.argv[1]}: violations ${got}, expected ${want}`); process.exit(1); }
  ' "$1"
}
check audit.json

cp -r "$repo/test/fixtures/programs/basic" basic
set +e
npx --no-install ztmesh preview --project basic --stack violating --json > preview.json 2> preview.err
code=$?
set -e
if [ "$code" -ne 1 ]; then
  echo "smoke-pack: ztmesh preview exited $code, expected 1 (mandatory violations)" >&2
  cat preview.err >&2
  exit 1
fi
check preview.json
echo "smoke-pack: ok in $(( $(date +%s) - start )) s (ztmesh --help, audit and preview from the installed tarball)"
