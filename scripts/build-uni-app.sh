#!/usr/bin/env bash
# Builds the uni-app example (examples/uni-app/, Vue 3) for WeChat
# (mp-weixin) with the uni-app CLI from npm, offline once installed:
# installs its pinned packages (package-lock.json; jim-cache comes from pkg/),
# puts the module where WXWebAssembly loads it (src/static/jim-cache/, copied
# as it is into the build), and writes examples/uni-app/dist/build/mp-weixin/,
# the folder to import in WeChat DevTools. The test command runs it and
# checks the result (tests/wechat/uni-app.test.js).
set -euo pipefail
cd "$(dirname "$0")/../examples/uni-app"
lock=$(sha256sum package-lock.json ../../pkg/package.json | sha256sum | cut -d' ' -f1)
if [ "$(cat node_modules/.installed-lock 2>/dev/null)" != "$lock" ]; then
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock" > node_modules/.installed-lock
fi
mkdir -p src/static/jim-cache
cp ../../pkg/jim_cache_bg.wasm.br src/static/jim-cache/
rm -rf dist
npx --no-install uni build -p mp-weixin
echo "build-uni-app: examples/uni-app/dist/build/mp-weixin/ (import it in WeChat DevTools)"
