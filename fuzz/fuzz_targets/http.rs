#![no_main]
//! `vaultlink::fuzz::http` under libFuzzer.

libfuzzer_sys::fuzz_target!(|data: &[u8]| vaultlink::fuzz::http(data));
