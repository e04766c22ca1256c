#!/usr/bin/env bash
# `npm start`: builds everything, then runs the playground (the app against local emulators) on Node 22.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/build.sh
if [[ ! -f playground/server.ts ]]; then
  echo "start: playground/server.ts does not exist yet; the build is done, but there is no playground to start" >&2
  exit 1
fi
exec bash scripts/node22.sh playground/server.ts "$@"
