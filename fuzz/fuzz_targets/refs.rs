#![no_main]
//! `vaultlink::fuzz::refs` under libFuzzer.

libfuzzer_sys::fuzz_target!(|data: &[u8]| vaultlink::fuzz::refs(data));
