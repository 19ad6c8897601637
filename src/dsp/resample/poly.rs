//! Conversion by `L / M` (reduced) with a polyphase FIR filter.
//!
//! The prototype filter `h` of odd length `n` (its centre on a sample) runs
//! at the grid rate `L × input rate`; only the output samples kept are
//! computed, and only the input samples (not the zeros stuffed between
//! them) are multiplied. The input is split into `M` streams of every
//! `M`-th sample, each preceded by `taps` samples of its history, so that
//! output sample `r × L + i` (`i < L`) is
//! `Σ_q Σ_t coefs[i][q][t] × stream_q[r + offset[i][q] + t]`
//! over contiguous samples, summed in the order of `q`, then `t`. Each
//! output phase `i` is normalised to unit gain at DC, so that a constant
//! stays constant and leaves no image at the input rate.
//!
//! Taps that are zero are left out: a wide stage by 3 (or by 3/2, or 2/3)
//! is a third-band filter, a sinc cut off at a sixth of the grid rate,
//! whose every third tap from the centre is zero. Then one output phase in
//! three converting up is an input sample as it is, and converting down,
//! one stream in three adds nothing but the centre tap: a third of the
//! multiplications of a general filter, left out.

use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;

use super::streams::Streams;
use super::{design, mul_add};

/// Output samples of one phase computed at once.
const BLOCK: usize = 64;

/// The non-zero taps of one output phase on one input stream.
#[derive(Clone, PartialEq)]
struct Piece {
    stream: usize,
    /// The first stream sample, relative to the output sample's index.
    offset: usize,
    /// `coefs[start..start + len]`, oldest sample first.
    start: usize,
    len: usize,
}

/// A polyphase FIR stage converting by `l / m` (reduced).
pub(super) struct Poly {
    l: usize,
    m: usize,
    /// The prototype's length (odd).
    n: usize,
    /// History per stream.
    taps: usize,
    /// The pieces' taps, one after another (the design, shared by
    /// copies).
    coefs: Arc<[f32]>,
    /// Phase by phase: those of phase `i` are `pieces[bounds[i]..bounds[i + 1]]`.
    pieces: Arc<[Piece]>,
    bounds: Arc<[usize]>,
    /// `m` streams, each with `taps` samples of history.
    streams: Streams,
}

clone_by_fields!(impl[] Poly { l, m, n, taps, coefs, pieces, bounds, streams });

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
        // Kaiser's estimate, rounded up to an odd length, and the table
        // padded with zeros so that every output phase has `m × taps`
        // coefficients and every input stream `taps` of those.
        let estimate = design::kaiser_len(atten, (stop - pass) / grid);
        let n = (libm::ceil(estimate) as usize) | 1;
        let taps = n.div_ceil(l * m);
        let mut h = design::lowpass(n, (pass + stop) / 2.0 / grid, atten);
        // A sinc's zeros, computed, are a rounding error away from zero.
        let peak = h.iter().fold(0.0f64, |a, v| a.max(v.abs()));
        for v in &mut h {
            if v.abs() < peak * 1e-12 {
                *v = 0.0;
            }
        }
        h.resize(l * m * taps, 0.0);

        let k = m * taps; // coefficients per output sample
        let mut table = vec![0.0f64; l * m * taps];
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
                table[(i * m + q) * taps + t] = coef;
                seen[q] += 1;
            }
        }
        // Each phase's taps on each stream, less the zeros at either end.
        let (mut coefs, mut pieces, mut bounds) = (Vec::new(), Vec::new(), vec![0]);
        for i in 0..l {
            for q in 0..m {
                let row = &table[(i * m + q) * taps..(i * m + q + 1) * taps];
                let Some(first) = row.iter().position(|&c| c != 0.0) else {
                    continue;
                };
                let last = row.iter().rposition(|&c| c != 0.0).unwrap_or(first);
                pieces.push(Piece {
                    stream: q,
                    offset: offsets[i * m + q] + first,
                    start: coefs.len(),
                    len: last + 1 - first,
                });
                coefs.extend(row[first..=last].iter().map(|&c| c as f32));
            }
            bounds.push(pieces.len());
        }
        Poly {
            l,
            m,
            n,
            taps,
            coefs: coefs.into(),
            pieces: pieces.into(),
            bounds: bounds.into(),
            streams: Streams::new(m, taps, max_in / m),
        }
    }

    /// Prototype coefficients.
    pub(super) fn len(&self) -> usize {
        self.n
    }

    /// Multiplications per output sample, on average.
    pub(super) fn cost(&self) -> f64 {
        self.coefs.len() as f64 / self.l as f64
    }

    pub(super) fn ratio(&self) -> (usize, usize) {
        (self.l, self.m)
    }

    /// The delay, in samples at the grid rate (`L ×` the input rate), as
    /// twice its value: the prototype's length less one.
    pub(super) fn delay_twice(&self) -> usize {
        self.n - 1
    }

    /// Whether `other` converts as this one does, with the same taps.
    pub(super) fn same_design(&self, other: &Poly) -> bool {
        (self.l, self.m, self.n, self.taps) == (other.l, other.m, other.n, other.taps)
            && self.streams.same_shape(&other.streams)
            && self.coefs == other.coefs
    }

    /// What it reads.
    pub(super) fn input(&self) -> &Streams {
        &self.streams
    }

    /// What it reads, to write.
    pub(super) fn input_mut(&mut self) -> &mut Streams {
        &mut self.streams
    }

    /// Computes a pass of `n` new samples per stream into `rows`, one per
    /// output phase (`n` samples each).
    pub(super) fn compute(&mut self, n: usize, rows: &mut [&mut [f32]]) {
        let (streams, stride, at) = self.streams.all();
        let k = Kernel {
            coefs: &self.coefs,
            pieces: &self.pieces,
            bounds: &self.bounds,
            streams,
            stride,
            at,
        };
        run(&k, n, rows);
    }
}

/// What the loops read.
struct Kernel<'a> {
    coefs: &'a [f32],
    /// Those of phase `i` are `pieces[bounds[i]..bounds[i + 1]]`.
    pieces: &'a [Piece],
    bounds: &'a [usize],
    /// Stream `q`'s history starts at `q × stride + at`.
    streams: &'a [f32],
    stride: usize,
    at: usize,
}

/// `acc[b] += Σ_t c[t] × x[t + b]`, in the order of `t`, for `T = c.len()`
/// taps (`T = 0`: any number).
#[inline(always)]
fn fir<const B: usize, const T: usize, const FMA: bool>(acc: &mut [f32; B], c: &[f32], x: &[f32]) {
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

/// [`fir`] on `out[at..at + B]` (from zero if `first`), `x` from `at` on.
#[inline(always)]
fn fir_at<const B: usize, const T: usize, const FMA: bool>(
    out: &mut [f32],
    at: usize,
    first: bool,
    c: &[f32],
    x: &[f32],
) {
    let (Some(out), Some(x)) = (out.get_mut(at..at + B), x.get(at..)) else {
        return;
    };
    let mut acc = [0.0f32; B];
    if !first {
        acc.copy_from_slice(out);
    }
    fir::<B, T, FMA>(&mut acc, c, x);
    out.copy_from_slice(&acc);
}

/// `out[r] += Σ_t c[t] × x[r + t]` for every `r < out.len()` (`out[r] =`
/// if `first`): one piece's taps, `B` outputs at a time in registers,
/// without overlapping blocks (each output is added to once).
#[inline(always)]
fn add_piece<const T: usize, const FMA: bool>(out: &mut [f32], first: bool, c: &[f32], x: &[f32]) {
    let n = out.len();
    let mut at = 0;
    while at + BLOCK <= n {
        fir_at::<BLOCK, T, FMA>(out, at, first, c, x);
        at += BLOCK;
    }
    if at + 32 <= n {
        fir_at::<32, T, FMA>(out, at, first, c, x);
        at += 32;
    }
    while at + 8 <= n {
        fir_at::<8, T, FMA>(out, at, first, c, x);
        at += 8;
    }
    while at < n {
        fir_at::<1, T, FMA>(out, at, first, c, x);
        at += 1;
    }
}

/// Output samples `r × L + i` for `r < n`, of every phase `i`, into
/// `rows[i][r]`: each row its first piece, plus each of the others in turn
/// (for every output sample, the same sums in the same order as one piece
/// after another in registers).
#[multiversion::multiversion(targets("x86_64+avx2+fma"))]
fn run<'a>(k: &Kernel<'a>, n: usize, rows: &mut [&mut [f32]]) {
    const FMA: bool = multiversion::target::selected_target!().supports_feature_str("fma");
    for (row, b) in rows.iter_mut().zip(k.bounds.windows(2)) {
        let Some(out) = row.get_mut(..n) else {
            continue;
        };
        let pieces = k.pieces.get(b[0]..b[1]).unwrap_or_default();
        if pieces.is_empty() {
            out.fill(0.0);
        }
        for (j, p) in pieces.iter().enumerate() {
            let first = j == 0;
            let from = p.stream * k.stride + k.at + p.offset;
            let (Some(x), Some(c)) = (
                k.streams.get(from..from + p.len + n - 1),
                k.coefs.get(p.start..p.start + p.len),
            ) else {
                continue;
            };
            // The lengths the stages have, as constants, so that the loop
            // over the taps unrolls.
            match p.len {
                1 => add_piece::<1, FMA>(out, first, c, x),
                4 => add_piece::<4, FMA>(out, first, c, x),
                5 => add_piece::<5, FMA>(out, first, c, x),
                6 => add_piece::<6, FMA>(out, first, c, x),
                _ => add_piece::<0, FMA>(out, first, c, x),
            }
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
                for p in &self.pieces[self.bounds[i]..self.bounds[i + 1]] {
                    for t in 0..p.len {
                        let c = f64::from(self.coefs[p.start + t]);
                        acc += c * stream(p.stream, r + p.offset + t);
                    }
                }
                y.push(acc);
            }
        }
        y
    }
}
