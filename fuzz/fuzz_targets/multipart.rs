#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| _core::fuzzing::multipart(data));
