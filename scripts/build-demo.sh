#!/usr/bin/env bash
# Brings the built package into the demo (miniprogram-demo/libs/jim-cache/),
# so that pkg/ stays the one source of truth, and refreshes the README's
# pictures of the demo (docs/demo-*.png; pass --no-shots to skip, or a folder
# to write them elsewhere). Run it before opening the demo in WeChat DevTools.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf miniprogram-demo/libs/jim-cache
mkdir -p miniprogram-demo/libs/jim-cache
cp pkg/jim_cache.js pkg/jim_cache.d.ts pkg/jim_cache_bg.wasm pkg/jim_cache_bg.wasm.br pkg/package.json pkg/README.md miniprogram-demo/libs/jim-cache/

case "${1:-}" in
  --no-shots) ;;
  *) node scripts/demo-screenshots.js ${1:+"$1"} ;;
esac
