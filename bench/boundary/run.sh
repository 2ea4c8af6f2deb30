#!/usr/bin/env bash
# Builds the boundary experiment like the package (MVP wasm, wasm-bindgen,
# wasm-opt, the glue bundled with the UTF-8 codec) and runs it in both engines.
set -euo pipefail
cd "$(dirname "$0")/../.."
NIGHTLY=${JIM_NIGHTLY:-nightly-2026-05-20}
BIN="$PWD/tools/node_modules/.bin"
(cd bench/boundary && RUSTFLAGS="-C target-cpu=mvp" cargo "+$NIGHTLY" build -q -Zbuild-std=std,panic_abort --release --target wasm32-unknown-unknown --target-dir ../../target/boundary)
rm -rf build/boundary && mkdir -p build/boundary
wasm-bindgen --target bundler --out-dir build/boundary target/boundary/wasm32-unknown-unknown/release/boundary_bench.wasm
"$BIN/wasm-opt" -Oz --mvp-features build/boundary/boundary_bench_bg.wasm -o build/boundary/boundary_bg.wasm
printf "import * as bg from './boundary_bench_bg.js';\nexport { bg };\nexport * from './boundary_bench_bg.js';\n" > build/boundary/entry.js
"$BIN/esbuild" build/boundary/entry.js --bundle --format=cjs --platform=neutral --inject:js/text-shim.js --log-level=warning --outfile=build/boundary/boundary.js
echo "V8:  $(node bench/boundary/bench.js)"
echo "JSC: $(JSC_useJIT=false jsc bench/boundary/bench.js)"
