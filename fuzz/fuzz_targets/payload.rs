//! Arbitrary bytes into every payload parser: never a panic; whatever is
//! accepted round-trips through a cache and checks out.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    jim_cache::testing::payload(data);
});
