#!/usr/bin/env bash
# Brings the built package into the demo (miniprogram-demo/libs/jim-cache/),
# so that pkg/ stays the one source of truth, and refreshes the README's
# pictures of the demo (docs/demo-*.png; pass --no-shots to skip, or a folder
# to write them elsewhere). Run it before opening the demo in WeChat DevTools.
#
# On a fresh clone it installs the pinned page-rendering tools it needs
# (tools/package-lock.json); without Chromium it copies the package and skips
# the pictures, saying so.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf miniprogram-demo/libs/jim-cache
mkdir -p miniprogram-demo/libs/jim-cache
cp pkg/jim_cache.js pkg/jim_cache.d.ts pkg/jim_cache_bg.wasm pkg/jim_cache_bg.wasm.br pkg/package.json pkg/README.md miniprogram-demo/libs/jim-cache/
echo "build-demo: copied pkg/ into miniprogram-demo/libs/jim-cache/ (import miniprogram-demo/ in DevTools)"

case "${1:-}" in
  --no-shots) exit 0 ;;
esac
if [ ! -d tools/node_modules/jsdom ] || [ ! -d tools/node_modules/miniprogram-simulate ]; then
  echo "build-demo: installing the pinned rendering tools (npm ci --prefix tools)"
  npm ci --prefix tools --no-audit --no-fund --loglevel=error
fi
if ! command -v chromium >/dev/null; then
  echo "build-demo: no chromium on this machine: pictures not refreshed (scripts/setup.sh installs it)"
  exit 0
fi
node scripts/demo-screenshots.js ${1:+"$1"}
