//! Fuzz targets for `barge` and the independent reference they check it
//! against.
//!
//! Each target is a module with an `Input` (built by `arbitrary` from the
//! fuzzer's bytes) and a `run` function that panics on any disagreement with
//! the reference or broken invariant; `fuzz_targets/*.rs` only call `run`.
//! `tests/replay.rs` runs every committed seed and regression input through
//! the same functions with a plain `cargo test`.

pub mod g711;
pub mod kernel;
pub mod reference;
pub mod session_ops;

/// Builds a frame of `len` samples by cycling `bits` (silence when empty).
pub fn cycle<T: Copy>(bits: &[u32], len: usize, f: impl Fn(u32) -> T, silence: T) -> Vec<T> {
    if bits.is_empty() {
        return vec![silence; len];
    }
    (0..len).map(|i| f(bits[i % bits.len()])).collect()
}
