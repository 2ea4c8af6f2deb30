//! The fuzz drivers (`src/testing.rs`, run by `cargo fuzz`, see fuzz/) over
//! their seed corpus and a fixed set of pseudo-random inputs, so every test
//! run replays what fuzzing starts from.
#![cfg(not(target_arch = "wasm32"))]

use std::fs;
use std::path::Path;

fn corpus(target: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz").join("corpus").join(target);
    let mut files: Vec<_> = fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    files.into_iter().map(|p| fs::read(p).unwrap()).collect()
}

fn pseudo_random(n: usize, len: usize, seed: u64) -> Vec<Vec<u8>> {
    let mut x = seed;
    (0..n)
        .map(|i| {
            (0..len + i % len)
                .map(|_| {
                    x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    (x >> 33) as u8
                })
                .collect()
        })
        .collect()
}

#[test]
fn payload_corpus() {
    let seeds = corpus("payload");
    assert!(seeds.len() >= 26);
    for s in &seeds {
        jim_cache::testing::payload(s);
        // Truncations and byte flips of every seed.
        for cut in [1, s.len() / 3, s.len() / 2, s.len() - 1] {
            jim_cache::testing::payload(&s[..cut]);
        }
        let mut flipped = s.clone();
        for i in (0..flipped.len()).step_by(17) {
            flipped[i] ^= 0x20;
        }
        jim_cache::testing::payload(&flipped);
    }
}

#[test]
fn store_corpus_and_random_sequences() {
    for s in corpus("store").iter().chain(pseudo_random(300, 96, 42).iter()) {
        jim_cache::testing::store(s);
    }
}
