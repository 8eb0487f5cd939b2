#![no_main]
//! `vaultlink::fuzz::send_plan` under libFuzzer.

libfuzzer_sys::fuzz_target!(|data: &[u8]| vaultlink::fuzz::send_plan(data));
