//! Arbitrary operation sequences into the store, with storage failures and
//! reopens, checking the invariants after every step.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    jim_cache::testing::store(data);
});
