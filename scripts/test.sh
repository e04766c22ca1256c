#!/usr/bin/env bash
# `npm test`: installs what is missing, builds, then runs every check, stopping at the first failure.
#   scripts/test.sh                  all stages
#   TEST_ONLY=clippy,tsc npm test    only those stages (same as: scripts/test.sh clippy tsc)
# Stages: setup build fmt clippy cargo-test wasm-test tsc lint-forge node-tests browser-tests
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

all_stages=(setup build fmt clippy cargo-test wasm-test tsc lint-forge node-tests browser-tests)
if [[ $# -gt 0 ]]; then
  selected=("$@")
elif [[ -n "${TEST_ONLY:-}" ]]; then
  IFS=', ' read -r -a selected <<<"$TEST_ONLY"
else
  selected=("${all_stages[@]}")
fi
for stage in "${selected[@]}"; do
  [[ " ${all_stages[*]} " == *" $stage "* ]] || { echo "test: unknown stage '$stage' (stages: ${all_stages[*]})" >&2; exit 2; }
done

# npm's wasm-opt first (wasm-pack takes the first on PATH; Debian's corrupts the module), and with it npm's Node 22
# as `node`, which is what wasm-bindgen-test-runner starts for `wasm-pack test --node`.
export PATH="$root/node_modules/.bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

browser_tests=(tests/browser/*.test.ts)
[[ -e "${browser_tests[0]}" ]] || browser_tests=()
mapfile -t node_tests < <(find tests -name '*.test.ts' -not -path 'tests/browser/*' 2>/dev/null | LC_ALL=C sort)
ui_sources=$(find forge-app/ui -name '*.ts*' -not -path 'forge-app/ui/dist/*' 2>/dev/null | head -1)

stage_setup() {
  # Chromium only when there are browser tests to run it.
  if [[ ${#browser_tests[@]} -gt 0 ]]; then bash scripts/setup.sh --browser; else bash scripts/setup.sh; fi
}
stage_build() { bash scripts/build.sh; }
stage_fmt() { cargo fmt --all --check; }
stage_clippy() { cargo clippy --workspace --all-targets -- -D warnings; }
stage_cargo-test() { cargo test --workspace; }
stage_wasm-test() { wasm-pack test --node --mode no-install core/wasm; }
stage_tsc() {
  tsc --noEmit -p . || return
  if [[ -n "$ui_sources" ]]; then tsc --noEmit -p tsconfig.ui.json; else echo "(no Custom UI sources: tsconfig.ui.json skipped)"; fi
}
stage_lint-forge() { npm run --silent lint:forge; }
# A hang must fail the run with a name, never eat CI's whole time budget: each test gets TEST_TIMEOUT_MS
# (node:test reports it as failed and moves on), a test file whose tests are all done but whose servers or
# timers keep the process alive is ended (--test-force-exit), and the stage as a whole has a ceiling.
test_timeout_ms=${TEST_TIMEOUT_MS:-300000}
node_test() { # $1: stage ceiling in seconds; the rest: test files
  local ceiling=$1; shift
  timeout --kill-after=30 "$ceiling" bash scripts/node22.sh --test --test-force-exit \
    --test-timeout="$test_timeout_ms" "$@"
  local status=$?
  [[ $status -eq 124 || $status -eq 137 ]] && echo "test: stopped after ${ceiling}s: a test hung (see the last '# Subtest' above)" >&2
  return $status
}
stage_node-tests() {
  [[ ${#node_tests[@]} -gt 0 ]] || { echo "(no tests/**/*.test.ts)"; return 0; }
  node_test "${NODE_TESTS_CEILING_S:-2700}" "${node_tests[@]}"
}
stage_browser-tests() {
  [[ ${#browser_tests[@]} -gt 0 ]] || { echo "(no tests/browser/*.test.ts)"; return 0; }
  node_test "${BROWSER_TESTS_CEILING_S:-900}" "${browser_tests[@]}"
}

summary=()
print_summary() {
  echo
  echo "==================== test summary ===================="
  printf '%s\n' "${summary[@]}"
}

for stage in "${all_stages[@]}"; do
  [[ " ${selected[*]} " == *" $stage "* ]] || continue
  printf '\n==================== %s ====================\n' "$stage"
  started=$(date +%s)
  "stage_$stage"
  status=$?
  elapsed=$(($(date +%s) - started))
  if [[ $status -ne 0 ]]; then
    summary+=("$(printf '  %-14s FAILED (exit %d, %ds)' "$stage" "$status" "$elapsed")")
    print_summary
    echo "test: stage '$stage' failed; rerun it alone with: TEST_ONLY=$stage npm test"
    exit 1
  fi
  summary+=("$(printf '  %-14s ok (%ds)' "$stage" "$elapsed")")
done
print_summary
echo "test: all ${#summary[@]} stages passed"
