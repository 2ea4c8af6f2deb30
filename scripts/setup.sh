#!/usr/bin/env bash
# Installs whatever this machine lacks to build and test jim-cache, at pinned
# versions, and skips what is already there. Safe to run repeatedly.
set -euo pipefail
cd "$(dirname "$0")/.."

NIGHTLY=nightly-2026-05-20        # MVP wasm build only (-Zbuild-std)
WASM_PACK=0.15.1
WASM_BINDGEN=$(sed -n '/^name = "wasm-bindgen"$/{n;s/^version = "\(.*\)"$/\1/p}' Cargo.lock)

step() { printf '\n== setup: %s\n' "$*"; }

step "rust targets and the pinned nightly"
rustup target add wasm32-unknown-unknown >/dev/null 2>&1 || rustup target add wasm32-unknown-unknown
if ! rustup component list --toolchain "$NIGHTLY" --installed 2>/dev/null | grep -q '^rust-src' \
   || ! rustup target list --toolchain "$NIGHTLY" --installed 2>/dev/null | grep -q '^wasm32-unknown-unknown'; then
  rustup toolchain install "$NIGHTLY" --profile minimal --component rust-src --target wasm32-unknown-unknown
fi

step "wasm-pack $WASM_PACK and wasm-bindgen-cli $WASM_BINDGEN"
need=()
wasm-pack --version 2>/dev/null | grep -qx "wasm-pack $WASM_PACK" || need+=("wasm-pack@$WASM_PACK")
wasm-bindgen --version 2>/dev/null | grep -qx "wasm-bindgen $WASM_BINDGEN" || need+=("wasm-bindgen-cli@$WASM_BINDGEN")
if [ ${#need[@]} -gt 0 ]; then
  cargo install --locked "${need[@]}"
fi

step "apt packages: wabt (wasm-validate), JavaScriptCore (jsc), Chromium and a CJK font (demo pictures)"
pkgs=()
command -v wasm-validate >/dev/null || pkgs+=(wabt)
command -v jsc >/dev/null || pkgs+=(libjavascriptcoregtk-4.0-bin)
command -v chromium >/dev/null || pkgs+=(chromium)
fc-list :lang=zh 2>/dev/null | grep -q . || pkgs+=(fonts-wqy-microhei)   # CJK text in the demo pictures
if [ ${#pkgs[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
fi
# Debian's binaryen (108) miscompiles wasm-bindgen output; we use npm's.
if dpkg -s binaryen >/dev/null 2>&1; then apt-get remove -y -qq binaryen >/dev/null; fi

step "npm tools (tools/package-lock.json)"
lock=$(sha256sum tools/package-lock.json | cut -d' ' -f1)
if [ "$(cat tools/node_modules/.installed-lock 2>/dev/null)" != "$lock" ]; then
  npm ci --prefix tools --no-audit --no-fund --loglevel=error
  echo "$lock" > tools/node_modules/.installed-lock
fi
tools/node_modules/.bin/wasm-opt --version | grep -q 'version 132' || { echo "setup: wrong wasm-opt" >&2; exit 1; }
