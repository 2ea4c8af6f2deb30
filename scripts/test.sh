#!/usr/bin/env bash
# The test command: installs what is missing, then runs every suite.
#   core (cargo test) · bindings (wasm-pack test --node) · pkg/ is what the
#   sources build · the MVP gate passes on pkg/ and fails on a default build ·
#   the package in Node (V8) and in JavaScriptCore with the JIT off, hostile
#   inputs and storage faults through its API, a short soak · the types in
#   WeChat's TypeScript setup · the npm route with WeChat's own build tools,
#   and the package suites again on the glue WeChat's compiler makes ·
#   the demo's page tests and pictures · a short benchmark smoke.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
section() { printf '\n==== %s\n' "$*"; }

section "core: cargo test"
cargo test --quiet

section "bindings: wasm-pack test --node"
wasm-pack test --node

section "pkg/ is exactly what the sources build"
rm -rf build/pkg-check
scripts/build-pkg.sh build/pkg-check
if ! diff -r pkg build/pkg-check; then
  echo "pkg/ is stale: run scripts/build-pkg.sh and commit pkg/" >&2
  exit 1
fi

section "MVP gate: the shipped module passes, a default stable build does not"
MVP_FLAGS=(--disable-saturating-float-to-int --disable-sign-extension --disable-simd
  --disable-multi-value --disable-bulk-memory --disable-reference-types)
wasm-validate "${MVP_FLAGS[@]}" pkg/jim_cache_bg.wasm
cargo build --quiet --lib --target wasm32-unknown-unknown
if wasm-validate "${MVP_FLAGS[@]}" target/wasm32-unknown-unknown/debug/jim_cache.wasm 2>/dev/null; then
  echo "the MVP gate accepted a default stable build: the gate is broken" >&2
  exit 1
fi
echo "gate: pkg/jim_cache_bg.wasm is MVP; the default stable build is rejected, as it must be"

section "types: a typed app in WeChat's TypeScript setup (strict, ES2020, miniprogram-api-typings, no DOM)"
tools/node_modules/.bin/tsc -p tests/ts/tsconfig.json
echo "tsc --strict: tests/ts/app.ts compiles against pkg/jim_cache.d.ts"

section "package: node --test (V8, WeChat-like globals)"
node --test tests/js/

section "package: JavaScriptCore, JIT off"
out=$(JSC_useJIT=false jsc tests/js/jsc-run.js 2>&1) || true
echo "$out"
echo "$out" | grep -qE '^jsc: [0-9]+ passed, 0 failed$' || { echo "jsc suite failed" >&2; exit 1; }

section "the uni-app example built for mp-weixin with the uni-app CLI"
scripts/build-uni-app.sh

section "WeChat's own tools (miniprogram-ci, offline): the npm route (packNpm, analyseCode, the compiled upload), the uni-app build"
node --test tests/wechat/

section "the package suites again on what phones run: the glue as WeChat's compiler makes it (ES6 to ES5 on and off)"
for d in es6-on es6-off; do
  glue=build/compiled/$d/miniprogram_npm/jim-cache
  JIM_CACHE_PKG=$glue node --test tests/js/package.test.js
  out=$(JSC_useJIT=false jsc tests/js/jsc-run.js -- "$glue/jim_cache.js" 2>&1) || true
  echo "$out" | tail -2
  echo "$out" | grep -qE '^jsc: [0-9]+ passed, 0 failed$' || { echo "jsc suite failed on the $d glue" >&2; exit 1; }
done

section "soak (short): 20,000 messages over 100 conversations with repeats, retractions, reopens, faults"
node tests/js/soak.js --messages 20000 --conversations 100

section "demo: pages rendered with miniprogram-simulate against the built wasm"
scripts/build-demo.sh build/demo-shots
node --test tests/demo/

section "benchmark smoke (no timing assertions: it must run and produce numbers)"
node bench/run.js --smoke > build/bench-smoke.md
grep -q '^| 100 |' build/bench-smoke.md && echo "bench smoke: ok" || { cat build/bench-smoke.md; echo "bench smoke produced no table" >&2; exit 1; }
