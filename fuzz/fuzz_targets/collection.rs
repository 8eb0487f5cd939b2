#![no_main]
//! `vaultlink::fuzz::collection` under libFuzzer.

libfuzzer_sys::fuzz_target!(|data: &[u8]| vaultlink::fuzz::collection(data));
