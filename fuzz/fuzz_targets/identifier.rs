#![no_main]
//! `vaultlink::fuzz::identifier` under libFuzzer.

libfuzzer_sys::fuzz_target!(|data: &[u8]| vaultlink::fuzz::identifier(data));
