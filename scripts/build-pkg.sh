#!/usr/bin/env bash
# Builds the mini-program package into OUT (default: pkg/).
#
#   1. the core as an MVP wasm module: pinned nightly, std rebuilt with
#      -C target-cpu=mvp (iOS WXWebAssembly rejects reference-types,
#      multivalue, bulk-memory, sign-ext), no panic locations, no local paths;
#   2. wasm-bindgen --target bundler (no fetch/import.meta/instanceof code);
#   3. wasm-opt -Oz from npm binaryen, MVP features only;
#   4. the MVP gate: wabt's wasm-validate with every post-MVP feature off;
#   5. esbuild bundles js/index.js and the glue into one CommonJS file, with
#      the UTF-8 codec injected into its scope;
#   6. brotli .wasm.br, TypeScript declarations, package.json.
#
# Needs the tools scripts/setup.sh installs. Deterministic: CI rebuilds into a
# temporary folder and fails when pkg/ differs.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=${1:-pkg}
NIGHTLY=${JIM_NIGHTLY:-nightly-2026-05-20}
BIN="$ROOT/tools/node_modules/.bin"
VERSION=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)

RUSTFLAGS="-C target-cpu=mvp -Zlocation-detail=none --remap-path-prefix=$ROOT=/jim-cache --remap-path-prefix=$HOME/.cargo=/cargo --remap-path-prefix=$HOME/.rustup=/rustup" \
  cargo "+$NIGHTLY" build -Zbuild-std=std,panic_abort --release --lib \
  --target wasm32-unknown-unknown --target-dir target/mvp

rm -rf build/bg
wasm-bindgen --target bundler --out-dir build/bg target/mvp/wasm32-unknown-unknown/release/jim_cache.wasm

mkdir -p "$OUT"
"$BIN/wasm-opt" ${JIM_WASM_OPT:--Oz} --mvp-features --strip-debug --strip-producers build/bg/jim_cache_bg.wasm -o "$OUT/jim_cache_bg.wasm"
wasm-validate --disable-saturating-float-to-int --disable-sign-extension --disable-simd \
  --disable-multi-value --disable-bulk-memory --disable-reference-types "$OUT/jim_cache_bg.wasm"

"$BIN/esbuild" js/index.js --bundle --format=cjs --platform=neutral --target=es2017 \
  --inject:js/text-shim.js --define:__JIM_CACHE_VERSION__="\"$VERSION\"" \
  --legal-comments=none --log-level=warning --outfile="$OUT/jim_cache.js"

# The glue must not need anything a mini-program lacks.
if grep -nE 'import\.meta|fetch\(|__wbindgen_externrefs|init_externref_table' "$OUT/jim_cache.js"; then
  echo "build-pkg: the glue uses something WeChat does not have (above)" >&2
  exit 1
fi

node -e '
const fs = require("fs"), zlib = require("zlib");
const [src, dst] = process.argv.slice(1);
const buf = fs.readFileSync(src);
fs.writeFileSync(dst, zlib.brotliCompressSync(buf, { params: {
  [zlib.constants.BROTLI_PARAM_QUALITY]: 11,
  [zlib.constants.BROTLI_PARAM_SIZE_HINT]: buf.length } }));
' "$OUT/jim_cache_bg.wasm" "$OUT/jim_cache_bg.wasm.br"

cp js/jim_cache.d.ts "$OUT/jim_cache.d.ts"
cp js/index-entry.js "$OUT/index.js"
echo "export * from './jim_cache';" > "$OUT/index.d.ts"
sed "s/__VERSION__/$VERSION/" js/package.json > "$OUT/package.json"
cp js/PKG_README.md "$OUT/README.md"
echo "build-pkg: $OUT/jim_cache_bg.wasm $(wc -c < "$OUT/jim_cache_bg.wasm") bytes, .br $(wc -c < "$OUT/jim_cache_bg.wasm.br") bytes"
