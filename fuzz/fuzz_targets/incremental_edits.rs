#![no_main]
//! `vaultlink::fuzz::incremental` under libFuzzer.

libfuzzer_sys::fuzz_target!(|data: &[u8]| vaultlink::fuzz::incremental(data));
