#![no_main]
//! `vaultlink::fuzz::links_edit` under libFuzzer.

libfuzzer_sys::fuzz_target!(|data: &[u8]| vaultlink::fuzz::links_edit(data));
