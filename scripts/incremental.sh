#!/usr/bin/env bash
# The equivalence of incremental and from-scratch analysis, for longer than the suite runs it:
#   scripts/incremental.sh [EDITS] [SEED]
# EDITS random edits (default 200000) from SEED (default 13) in each of the two properties:
# the parse and findings of the model, and those of the language server's open documents.
set -euo pipefail
cd "$(dirname "$0")/.."
export VAULTLINK_INCREMENTAL_EDITS=${1:-200000}
export VAULTLINK_INCREMENTAL_SEED=${2:-13}
cargo test --release -p vaultlink --lib -- --nocapture \
  vault::incremental::tests::random_edits lsp::state::tests::edited_documents
