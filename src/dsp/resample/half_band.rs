//! Conversion by two with a half-band filter.
//!
//! A half-band lowpass of `4K − 1` taps has its centre tap at 1/2 and every
//! other tap zero; the `K` non-zero taps on each side are the same, mirrored.
//! So converting up, every other output sample is an input sample (the
//! centre tap times the gain of two), and the others are `K` sums of two
//! input samples, each times one tap; converting down, each output sample is
//! half an odd input sample plus `K` such sums of even ones. About a quarter
//! of the multiplications of a general filter of the same length.
//!
//! With `w` the input preceded by `2K − 1` samples of history:
//!
//! - up: `out[2i] = Σ_j c[j] × (w[i + K − 1 − j] + w[i + K + j])` and
//!   `out[2i + 1] = w[i + K]`, with `c = 2g`;
//! - down, with `e` and `o` the even and odd input samples each preceded by
//!   `2K − 1` of theirs: `out[i] = Σ_j c[j] × (e[i + K − 1 − j] + e[i + K + j])
//!   + o[i + K − 1] / 2`, with `c = g`,
//!
//! The delay is `2K − 1` samples at the higher rate.

use alloc::sync::Arc;
#[cfg(test)]
use alloc::vec::Vec;

use super::streams::Streams;
use super::{design, mul_add};

/// Output samples computed at once: eight AVX2 registers of accumulators.
const BLOCK: usize = 32;

/// A conversion by two, up or down.
pub(super) struct HalfBand {
    up: bool,
    /// The taps `c[j]`, nearest the centre first: shared by copies.
    coefs: Arc<[f32]>,
    /// Converting up, one stream: the input; down, two: the even samples,
    /// then the odd ones. Each with `2K − 1` samples of history.
    streams: Streams,
}

clone_by_fields!(impl[] HalfBand { up, coefs, streams });

impl HalfBand {
    /// A conversion by two (up when `up`) with `pairs` non-zero tap pairs
    /// designed for `atten` dB, taking up to `max_in` input samples a pass
    /// (even, converting down).
    pub(super) fn new(up: bool, pairs: usize, atten: f64, max_in: usize) -> HalfBand {
        let gain = if up { 2.0 } else { 1.0 };
        let coefs = design::half_band(pairs, atten)
            .iter()
            .map(|&g| (g * gain) as f32)
            .collect();
        let streams = if up { 1 } else { 2 };
        HalfBand {
            up,
            coefs,
            streams: Streams::new(streams, 2 * pairs - 1, max_in / streams),
        }
    }

    pub(super) fn up(&self) -> bool {
        self.up
    }

    /// Non-zero tap pairs beside the centre.
    pub(super) fn pairs(&self) -> usize {
        self.coefs.len()
    }

    fn history(&self) -> usize {
        2 * self.coefs.len() - 1
    }

    /// The delay, in samples at the higher rate.
    pub(super) fn delay(&self) -> usize {
        self.history()
    }

    /// Rows written: converting up, two (the computed samples, then the
    /// copied ones); down, one.
    pub(super) fn rows(&self) -> usize {
        if self.up {
            2
        } else {
            1
        }
    }

    /// Whether `other` converts as this one does, with the same taps.
    pub(super) fn same_design(&self, other: &HalfBand) -> bool {
        self.up == other.up && self.streams.same_shape(&other.streams) && self.coefs == other.coefs
    }

    /// What it reads.
    pub(super) fn input(&self) -> &Streams {
        &self.streams
    }

    /// What it reads, to write.
    pub(super) fn input_mut(&mut self) -> &mut Streams {
        &mut self.streams
    }

    /// Computes a pass of `n` new samples per stream into `rows` (`n`
    /// samples each).
    pub(super) fn compute(&mut self, n: usize, rows: &mut [&mut [f32]]) {
        let k = self.coefs.len();
        match rows {
            [computed, copied] => {
                let w = self.streams.stream(0, n);
                sums(&self.coefs, w, computed);
                copied.copy_from_slice(&w[k..k + n]);
            }
            [out] => {
                let (even, odd) = (self.streams.stream(0, n), self.streams.stream(1, n));
                down(&self.coefs, even, odd, out);
            }
            _ => {}
        }
    }
}

/// `acc[t] = Σ_j c[j] × (w[t + K − 1 − j] + w[t + K + j])` for `t < B`,
/// summed in two halves, the even `j` and the odd `j` (each in the order
/// of `j`), then added: two chains of additions to wait on, not one. `w`
/// holds `B + 2K − 1` samples or more.
#[inline(always)]
fn pairs<const B: usize, const K: usize, const FMA: bool>(c: &[f32], w: &[f32]) -> [f32; B] {
    let (mut even, mut odd) = ([0.0f32; B], [0.0f32; B]);
    let (Some(c), Some(w)) = (c.get(..K), w.get(..B + 2 * K - 1)) else {
        return even;
    };
    for j in (0..K / 2).map(|h| 2 * h) {
        let (a0, b0) = (&w[K - 1 - j..K - 1 - j + B], &w[K + j..K + j + B]);
        let (a1, b1) = (&w[K - 2 - j..K - 2 - j + B], &w[K + 1 + j..K + 1 + j + B]);
        for t in 0..B {
            even[t] = mul_add::<FMA>(c[j], a0[t] + b0[t], even[t]);
            odd[t] = mul_add::<FMA>(c[j + 1], a1[t] + b1[t], odd[t]);
        }
    }
    if K % 2 == 1 {
        let j = K - 1;
        let (a, b) = (&w[0..B], &w[2 * K - 1..2 * K - 1 + B]);
        for t in 0..B {
            even[t] = mul_add::<FMA>(c[j], a[t] + b[t], even[t]);
        }
    }
    for (e, &o) in even.iter_mut().zip(&odd) {
        *e += o;
    }
    even
}

/// [`pairs`] for `K = c.len()`.
#[inline(always)]
fn pairs_any<const B: usize, const FMA: bool>(c: &[f32], w: &[f32]) -> [f32; B] {
    match c.len() {
        16 => pairs::<B, 16, FMA>(c, w),
        7 => pairs::<B, 7, FMA>(c, w),
        k => {
            let (mut even, mut odd) = ([0.0f32; B], [0.0f32; B]);
            for (j, &cj) in c.iter().enumerate() {
                let (a, b) = (&w[k - 1 - j..k - 1 - j + B], &w[k + j..k + j + B]);
                let acc = if j % 2 == 0 { &mut even } else { &mut odd };
                for ((s, &x), &y) in acc.iter_mut().zip(a).zip(b) {
                    *s = mul_add::<FMA>(cj, x + y, *s);
                }
            }
            for (e, &o) in even.iter_mut().zip(&odd) {
                *e += o;
            }
            even
        }
    }
}

/// The blocks `(start, len)` that cover `0..n`: of `block` samples while
/// they fit, then one of 16 (if `block` is larger) if it fits, then of 8,
/// the last one overlapping the one before (it computes some samples
/// again, the same way); of one sample each if `n` is below 8. An iterator, not a function taking a closure: a closure
/// would not be compiled for the caller's target features.
pub(super) struct Blocks {
    n: usize,
    at: usize,
    block: usize,
}

impl Blocks {
    pub(super) fn new(n: usize, block: usize) -> Blocks {
        Blocks { n, at: 0, block }
    }
}

impl Iterator for Blocks {
    type Item = (usize, usize);

    #[inline(always)]
    fn next(&mut self) -> Option<(usize, usize)> {
        let (n, at) = (self.n, self.at);
        let (start, len) = if at >= n {
            return None;
        } else if at + self.block <= n {
            (at, self.block)
        } else if self.block > 16 && at + 16 <= n {
            (at, 16)
        } else if n >= 8 {
            (at.min(n - 8), 8)
        } else {
            (at, 1)
        };
        self.at = start + len;
        Some((start, len))
    }
}

/// `out[i] = Σ_j c[j] × (w[i + K − 1 − j] + w[i + K + j])` for every
/// `i < out.len()`: the computed samples converting up, `out.len()` input
/// samples after `2K − 1` of history in `w`.
#[multiversion::multiversion(targets("x86_64+avx2+fma"))]
fn sums(c: &[f32], w: &[f32], out: &mut [f32]) {
    const FMA: bool = multiversion::target::selected_target!().supports_feature_str("fma");
    let k = c.len();
    for (at, len) in Blocks::new(out.len(), BLOCK) {
        let w = &w[at..at + len + 2 * k - 1];
        match len {
            BLOCK => out[at..at + BLOCK].copy_from_slice(&pairs_any::<BLOCK, FMA>(c, w)),
            16 => out[at..at + 16].copy_from_slice(&pairs_any::<16, FMA>(c, w)),
            8 => out[at..at + 8].copy_from_slice(&pairs_any::<8, FMA>(c, w)),
            _ => out[at] = pairs_any::<1, FMA>(c, w)[0],
        }
    }
}

/// Converting down: `out.len()` samples from the even and odd input
/// samples after `2K − 1` of history each in `e` and `o`.
#[multiversion::multiversion(targets("x86_64+avx2+fma"))]
fn down(c: &[f32], e: &[f32], o: &[f32], out: &mut [f32]) {
    const FMA: bool = multiversion::target::selected_target!().supports_feature_str("fma");
    let k = c.len();
    #[inline(always)]
    fn block<const B: usize, const FMA: bool>(c: &[f32], e: &[f32], o: &[f32], out: &mut [f32]) {
        let k = c.len();
        let acc = pairs_any::<B, FMA>(c, e);
        for ((y, &a), &x) in out.iter_mut().zip(&acc).zip(&o[k - 1..k - 1 + B]) {
            *y = a + 0.5 * x;
        }
    }
    for (at, len) in Blocks::new(out.len(), BLOCK) {
        let w = at..at + len + 2 * k - 1;
        let out = &mut out[at..at + len];
        match len {
            BLOCK => block::<BLOCK, FMA>(c, &e[w.clone()], &o[w], out),
            16 => block::<16, FMA>(c, &e[w.clone()], &o[w], out),
            8 => block::<8, FMA>(c, &e[w.clone()], &o[w], out),
            _ => block::<1, FMA>(c, &e[w.clone()], &o[w], out),
        }
    }
}

#[cfg(test)]
impl HalfBand {
    /// The stage's formula, plainly, in `f64`: `x` from silence.
    pub(super) fn reference(&self, x: &[f64]) -> Vec<f64> {
        let k = self.coefs.len();
        let h = 2 * k - 1;
        let c: Vec<f64> = self.coefs.iter().map(|&v| f64::from(v)).collect();
        if self.up {
            // w[p] = x[p - h], silence before.
            let w = |p: usize| if p >= h { x[p - h] } else { 0.0 };
            let mut y = Vec::with_capacity(2 * x.len());
            for i in 0..x.len() {
                y.push(
                    (0..k)
                        .map(|j| c[j] * (w(i + k - 1 - j) + w(i + k + j)))
                        .sum(),
                );
                y.push(w(i + k));
            }
            y
        } else {
            let e = |p: usize| if p >= h { x[2 * (p - h)] } else { 0.0 };
            let o = |p: usize| if p >= h { x[2 * (p - h) + 1] } else { 0.0 };
            (0..x.len() / 2)
                .map(|i| {
                    (0..k)
                        .map(|j| c[j] * (e(i + k - 1 - j) + e(i + k + j)))
                        .sum::<f64>()
                        + 0.5 * o(i + k - 1)
                })
                .collect()
        }
    }
}
