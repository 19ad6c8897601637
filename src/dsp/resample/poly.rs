//! Conversion by `L / M` (reduced) with a polyphase FIR filter.
//!
//! The prototype filter `h` of `n = L × M × taps` coefficients runs at the
//! grid rate `L × input rate`; only the output samples kept are computed,
//! and only the input samples (not the zeros stuffed between them) are
//! multiplied. The input is split into `M` streams of every `M`-th sample,
//! each preceded by `taps` samples of its history, so that output sample
//! `r × L + i` (`i < L`) is
//! `Σ_q Σ_t coefs[i][q][t] × stream_q[r + offset[i][q] + t]`
//! over contiguous samples, summed in the order of `q`, then `t` (plain
//! `f32` arithmetic, the same on every target). Each output phase `i` is
//! normalised to unit gain at DC, so that a constant stays constant and
//! leaves no image at the input rate.

use alloc::vec;
use alloc::vec::Vec;

use super::half_band::Blocks;
use super::{design, mul_add};

/// Output samples of one phase computed at once.
const BLOCK: usize = 32;

/// A polyphase FIR stage converting by `l / m` (reduced).
#[derive(Clone, PartialEq)]
pub(super) struct Poly {
    l: usize,
    m: usize,
    taps: usize,
    /// `[i][q][t]`, flattened.
    coefs: Vec<f32>,
    /// `[i][q]`, flattened.
    offsets: Vec<usize>,
    /// `m` streams of `stride` samples each: `taps` of history, then up to
    /// `stride - taps` new ones.
    streams: Vec<f32>,
    stride: usize,
}

impl Poly {
    /// A stage from `fin` to `fout` Hz, flat to `pass` Hz and `atten` dB
    /// down from `stop` Hz, with `max_in` input samples per pass at most (a
    /// multiple of the reduced `m`).
    pub(super) fn new(
        fin: usize,
        fout: usize,
        pass: f64,
        stop: f64,
        atten: f64,
        max_in: usize,
    ) -> Poly {
        let g = gcd(fin, fout);
        let (l, m) = (fout / g, fin / g);
        let grid = (l * fin) as f64;
        // Kaiser's estimate, rounded up so that every output phase has
        // `m × taps` coefficients and every input stream `taps` of those.
        let estimate = design::kaiser_len(atten, (stop - pass) / grid);
        let taps = (libm::ceil(estimate) as usize).div_ceil(l * m).max(1);
        let n = l * m * taps;
        let h = design::lowpass(n, (pass + stop) / 2.0 / grid, atten);

        let k = m * taps; // coefficients per output sample
        let mut coefs = vec![0.0f32; l * m * taps];
        let mut offsets = vec![0usize; l * m];
        for i in 0..l {
            let phase = (i * m) % l;
            let newest = (i * m) / l; // input index of the newest sample used
            let gsum: f64 = (0..k).map(|j| h[phase + j * l]).sum();
            let mut seen = vec![0usize; m];
            for jr in 0..k {
                // Oldest first: input index `newest - k + 1 + jr`, at
                // position `pos` in the interleaved history-prefixed pass.
                let coef = h[phase + (k - 1 - jr) * l] / gsum;
                let pos = newest + taps * m + 1 + jr - k;
                let (q, u) = (pos % m, pos / m);
                let t = seen[q];
                if t == 0 {
                    offsets[i * m + q] = u;
                }
                coefs[(i * m + q) * taps + t] = coef as f32;
                seen[q] += 1;
            }
        }
        let stride = taps + max_in / m;
        Poly {
            l,
            m,
            taps,
            coefs,
            offsets,
            streams: vec![0.0; m * stride],
            stride,
        }
    }

    /// Prototype coefficients.
    pub(super) fn len(&self) -> usize {
        self.l * self.m * self.taps
    }

    pub(super) fn ratio(&self) -> (usize, usize) {
        (self.l, self.m)
    }

    /// The delay, in samples at the grid rate (`L ×` the input rate), as
    /// twice its value: half the prototype's length less one.
    pub(super) fn delay_twice(&self) -> usize {
        self.len() - 1
    }

    /// The streams (each `stride` long, `taps` of history first).
    pub(super) fn buffer(&mut self) -> (&mut [f32], usize, usize) {
        (&mut self.streams, self.stride, self.taps)
    }

    /// Computes a pass of `n` new samples per stream into `rows`, one per
    /// output phase (`n` samples each).
    pub(super) fn compute(&mut self, n: usize, rows: &mut [&mut [f32]]) {
        let k = Kernel {
            coefs: &self.coefs,
            offsets: &self.offsets,
            taps: self.taps,
            m: self.m,
            streams: &self.streams,
            stride: self.stride,
        };
        for (i, row) in rows.iter_mut().enumerate() {
            run(&k, i, &mut row[..n]);
        }
    }
}

/// What the loops read.
struct Kernel<'a> {
    coefs: &'a [f32],
    offsets: &'a [usize],
    taps: usize,
    m: usize,
    streams: &'a [f32],
    stride: usize,
}

impl Kernel<'_> {
    /// Output samples `r..r + B` of phase `i`.
    #[inline(always)]
    fn phase<const B: usize, const FMA: bool>(&self, i: usize, r: usize) -> [f32; B] {
        // The numbers of taps the stages have, as constants, so that the
        // loop over them unrolls.
        match self.taps {
            5 => self.phase_taps::<B, 5, FMA>(i, r),
            10 => self.phase_taps::<B, 10, FMA>(i, r),
            11 => self.phase_taps::<B, 11, FMA>(i, r),
            16 => self.phase_taps::<B, 16, FMA>(i, r),
            _ => self.phase_taps::<B, 0, FMA>(i, r),
        }
    }

    /// [`Kernel::phase`] for `T` taps per stream (`T = 0`: any number).
    #[inline(always)]
    fn phase_taps<const B: usize, const T: usize, const FMA: bool>(
        &self,
        i: usize,
        r: usize,
    ) -> [f32; B] {
        let (taps, m) = (if T == 0 { self.taps } else { T }, self.m);
        let mut acc = [0.0f32; B];
        let coefs = &self.coefs[i * m * taps..(i + 1) * m * taps];
        let offsets = &self.offsets[i * m..(i + 1) * m];
        for ((c, stream), &off) in coefs
            .chunks_exact(taps)
            .zip(self.streams.chunks_exact(self.stride))
            .zip(offsets)
        {
            let x = &stream[r + off..r + off + taps + B - 1];
            if T == 0 {
                for (w, &ct) in x.windows(B).zip(c) {
                    for (a, &s) in acc.iter_mut().zip(w) {
                        *a = mul_add::<FMA>(ct, s, *a);
                    }
                }
            } else if let (Some(c), Some(x)) = (c.get(..T), x.get(..T + B - 1)) {
                for t in 0..T {
                    let w = &x[t..t + B];
                    for b in 0..B {
                        acc[b] = mul_add::<FMA>(c[t], w[b], acc[b]);
                    }
                }
            }
        }
        acc
    }
}

/// Output samples `r × L + i` for `r < out.len()`, of phase `i`, into
/// `out[r]`.
#[multiversion::multiversion(targets("x86_64+avx2+fma"))]
fn run<'a>(k: &Kernel<'a>, i: usize, out: &mut [f32]) {
    const FMA: bool = multiversion::target::selected_target!().supports_feature_str("fma");
    for (at, len) in Blocks::new(out.len(), BLOCK) {
        match len {
            BLOCK => out[at..at + BLOCK].copy_from_slice(&k.phase::<BLOCK, FMA>(i, at)),
            8 => out[at..at + 8].copy_from_slice(&k.phase::<8, FMA>(i, at)),
            _ => out[at] = k.phase::<1, FMA>(i, at)[0],
        }
    }
}

pub(super) const fn gcd(mut a: usize, mut b: usize) -> usize {
    while b != 0 {
        let t = a % b;
        a = b;
        b = t;
    }
    a
}

#[cfg(test)]
impl Poly {
    /// The stage's formula, plainly, in `f64`: `x` from silence.
    pub(super) fn reference(&self, x: &[f64]) -> Vec<f64> {
        let (l, m, taps) = (self.l, self.m, self.taps);
        // Sample `p` of stream `q`: input sample `(p - taps) × m + q`.
        let stream = |q: usize, p: usize| {
            if p >= taps {
                x[(p - taps) * m + q]
            } else {
                0.0
            }
        };
        let mut y = Vec::with_capacity(x.len() / m * l);
        for r in 0..x.len() / m {
            for i in 0..l {
                let mut acc = 0.0;
                for q in 0..m {
                    for t in 0..taps {
                        let c = f64::from(self.coefs[(i * m + q) * taps + t]);
                        acc += c * stream(q, r + self.offsets[i * m + q] + t);
                    }
                }
                y.push(acc);
            }
        }
        y
    }
}
