#!/usr/bin/env bash
# The language-server fuzz test (tests/lsp_fuzz.rs) for longer than the suite runs it:
#   scripts/lsp-fuzz.sh [SECONDS] [SEED]
# One run of SECONDS (default 600) from SEED (default random; each run prints its seed, and a
# failure replays with the same seed).
set -euo pipefail
cd "$(dirname "$0")/.."
export VAULTLINK_LSP_FUZZ_SECS=${1:-600}
if [ -n "${2:-}" ]; then export VAULTLINK_LSP_FUZZ_SEED=$2; fi
cargo build -p vaultlink
cargo test -p vaultlink-e2e --test lsp_fuzz -- --nocapture
