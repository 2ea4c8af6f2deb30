#!/usr/bin/env bash
# The main job: replay a realistic JMessage login-and-chat session through the
# built package (pkg/) into a storage with WeChat's limits, and print the
# conversation list and storage use. Needs only Node.js (>= 16).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v node >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs >/dev/null
fi
exec node scripts/replay.js
