#![no_main]
//! `vaultlink::fuzz::json` under libFuzzer.

libfuzzer_sys::fuzz_target!(|data: &[u8]| vaultlink::fuzz::json(data));
