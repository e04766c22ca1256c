#!/usr/bin/env bash
# `npm run build`: toolchain check (no browser), the Wasm core, then the Custom UI.
#   scripts/build.sh [--force]    --force rebuilds the Wasm core even if core/ did not change
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
bash scripts/build-wasm.sh "$@"
bash scripts/build-ui.sh
