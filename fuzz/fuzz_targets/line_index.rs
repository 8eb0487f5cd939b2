#![no_main]
//! `vaultlink::fuzz::line_index` under libFuzzer.

libfuzzer_sys::fuzz_target!(|data: &[u8]| vaultlink::fuzz::line_index(data));
