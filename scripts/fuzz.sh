#!/usr/bin/env bash
# The long fuzzing runs: every libFuzzer target in fuzz/ (or those named) for SECONDS each,
# one after the other, at the lowest CPU priority. Needs a nightly toolchain; installs
# cargo-fuzz (pinned) when it is missing. The stable replay of the same targets is
# `cargo test -p vaultlink --test fuzz`.
#
#   scripts/fuzz.sh [SECONDS] [TARGET]...      default: 600 seconds, every target
#
# Each run starts from the committed corpus (fuzz/corpus/TARGET) and what earlier runs found
# (target/fuzz-corpus/TARGET, where new inputs go). Logs are in target/fuzz-logs/. A failing
# input is saved by libFuzzer under fuzz/artifacts/TARGET/: fix the cause, then copy it to
# fuzz/corpus/TARGET/crash-<name> so that the replay keeps it fixed. Ends with one line per
# target: executions, coverage (libFuzzer's cov and ft) and whether it failed.
set -uo pipefail
cd "$(dirname "$0")/.."

CARGO_FUZZ_VERSION=0.13.2
seconds=${1:-600}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(sed -nE 's/^name = "([a-z_]+)"$/\1/p' fuzz/Cargo.toml | grep -v '^vaultlink-fuzz$')
fi

if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "fuzz.sh: a nightly toolchain is needed (rustup toolchain install nightly)" >&2
  exit 2
fi
if [ "$(cargo fuzz --version 2>/dev/null)" != "cargo-fuzz $CARGO_FUZZ_VERSION" ]; then
  cargo install --locked --version "$CARGO_FUZZ_VERSION" cargo-fuzz || exit 2
fi

fuzz() { (cd fuzz && nice -n 19 cargo +nightly fuzz "$@"); }
flags=(-O --debug-assertions --sanitizer none)
fuzz build "${flags[@]}" || exit 2

mkdir -p target/fuzz-logs
failed=0
summary=()
for t in "${targets[@]}"; do
  mkdir -p "target/fuzz-corpus/$t"
  log="target/fuzz-logs/$t.log"
  echo "==> $t for ${seconds}s (log: $log)"
  fuzz run "${flags[@]}" "$t" "../target/fuzz-corpus/$t" "corpus/$t" -- \
    -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=4096 \
    -dict=vaultlink.dict -print_final_stats=1 >"$log" 2>&1
  status=$?
  execs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+)/\1/p' "$log" | tail -n 1)
  cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -n 1)
  if [ $status -ne 0 ]; then
    failed=1
    summary+=("$t: FAILED after ${execs:-?} executions, $cov; see $log and fuzz/artifacts/$t/")
  else
    summary+=("$t: ${execs:-?} executions in ${seconds}s, $cov, no failure")
  fi
  echo "${summary[-1]}"
done
echo "==> summary"
printf '%s\n' "${summary[@]}"
exit $failed
