#![no_main]
//! `vaultlink::fuzz::links` under libFuzzer.

libfuzzer_sys::fuzz_target!(|data: &[u8]| vaultlink::fuzz::links(data));
