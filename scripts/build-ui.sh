#!/usr/bin/env bash
# Builds the Custom UI: every forge-app/ui/<name>/ holding index.html + main.tsx becomes forge-app/ui/dist/<name>/
# (index.html copied, main.tsx bundled into main.js with Preact). manifest.yml's resources point at those folders.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

ui=forge-app/ui
dist="$ui/dist"
esbuild="$root/node_modules/.bin/esbuild"
[[ -x "$esbuild" ]] || { echo "build-ui: esbuild missing; run: bash scripts/setup.sh" >&2; exit 1; }

apps=()
for dir in "$ui"/*/; do
  dir=${dir%/}
  [[ "$dir" == "$dist" ]] && continue
  [[ -f "$dir/index.html" && -f "$dir/main.tsx" ]] && apps+=("${dir##*/}")
done
if [[ ${#apps[@]} -eq 0 ]]; then
  echo "build-ui: no UI to build (no $ui/<name>/ with index.html and main.tsx)"
  exit 0
fi

# Rebuilt from scratch every time: it takes well under a second, and no file of a renamed or deleted UI lingers
# in a folder that Forge would upload.
rm -rf "$dist"
for name in "${apps[@]}"; do
  mkdir -p "$dist/$name"
  cp "$ui/$name/index.html" "$dist/$name/index.html"
  # iife + es2020: a plain <script src="main.js"> in Forge's Custom UI iframe, no module loader needed.
  # The JSX flags repeat tsconfig.ui.json so that the build does not depend on which tsconfig esbuild picks up.
  "$esbuild" "$ui/$name/main.tsx" --bundle --minify --platform=browser --format=iife --target=es2020 \
    --jsx=automatic --jsx-import-source=preact --tsconfig=tsconfig.ui.json \
    --outfile="$dist/$name/main.js" --log-level=warning
  echo "build-ui: $dist/$name/main.js $(stat -c %s "$dist/$name/main.js") bytes ($(gzip -9c "$dist/$name/main.js" | wc -c) gzip)"
done
