#!/usr/bin/env bash
# Regenerates tests/fixtures/cache-0.1.0.json with the code of 0.1.0 itself
# (commit b6a76c9, layout version 2): a cache as users of 0.1.0 hold it, and
# what 0.1.0 showed of it. Only needed if the workload in
# tests/fixtures/dump_v010.rs changes; newer code must never write it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tree=$(mktemp -d)
trap 'git -C "$root" worktree remove --force "$tree"' EXIT
git -C "$root" worktree add --detach "$tree" b6a76c9 >/dev/null
mkdir -p "$tree/examples"
cp "$root/tests/fixtures/dump_v010.rs" "$tree/examples/"
(cd "$tree" && CARGO_TARGET_DIR="$root/target" cargo run -q --example dump_v010) > "$root/tests/fixtures/cache-0.1.0.json"
