#!/usr/bin/env bash
# `npm run bench`: builds what the benchmarks need, then runs them (bench/run.ts) and writes bench/results.json.
#   scripts/bench.sh            full run (10 to 13 min on 2 busy cores); rewrites the figures in BENCHMARKS.md
#   scripts/bench.sh --quick    the same keys from smaller samples (about 30 s once built)
# Builds: the toolchain check and the Wasm core (scripts/build.sh; skipped when core/ is unchanged), the native
# bench harness (cargo, in bench/run.ts) and the Forge bundle (the real @forge/bundler, scripts/bundle-forge.ts),
# re-bundled only when an input of the bundle changed since the last bench run.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

args=()
for arg in "$@"; do
  case "$arg" in
    --quick) args+=(--quick) ;;
    -h | --help) sed -n '2,7p' "$0"; exit 0 ;;
    *) echo "bench: unknown argument: $arg (only --quick)" >&2; exit 2 ;;
  esac
done

bash scripts/build.sh

# The bundle: every file the bundler reads from the app, and the bundler's own version.
out=bench/out
mkdir -p "$out"
bundle_hash=$(
  { find src forge-app/src forge-app/generated -type f -not -path 'forge-app/generated/bundle/*'
    ls manifest.yml tsconfig.json package-lock.json scripts/bundle-forge.ts
  } | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -d' ' -f1
)
if [[ -f "$out/bundle/index.cjs" && "$(cat "$out/bundle.stamp" 2>/dev/null)" == "$bundle_hash" ]]; then
  echo "bench: the Forge bundle is up to date ($out/bundle/index.cjs)"
else
  rm -f "$out/bundle.stamp"
  bash scripts/node22.sh scripts/bundle-forge.ts "$out/bundle"
  echo "$bundle_hash" >"$out/bundle.stamp"
fi

bash scripts/node22.sh bench/run.ts "${args[@]}"
