#!/usr/bin/env bash
# Install dependencies when missing or stale, then compile TypeScript to dist/.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ] || [ package.json -nt "$stamp" ]; then
  echo "setup: npm install"
  npm install --no-audit --no-fund --loglevel=error
fi
echo "setup: compiling TypeScript"
npx tsc -p tsconfig.json
echo "setup: bundling dist/bundle"
node scripts/bundle.mjs
echo "setup: the library entry"
node scripts/library.mjs
