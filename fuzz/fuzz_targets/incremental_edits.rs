#![no_main]
//! `vaultlink::fuzz::incremental_edits` under libFuzzer.

libfuzzer_sys::fuzz_target!(|data: &[u8]| vaultlink::fuzz::incremental_edits(data));
