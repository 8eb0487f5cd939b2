#![no_main]
//! `vaultlink::fuzz::environment` under libFuzzer.

libfuzzer_sys::fuzz_target!(|data: &[u8]| vaultlink::fuzz::environment(data));
