//! Sample-rate conversion between the supported rates, for legs whose rate
//! is not the session's.
//!
//! A [`Resampler`] converts one mono stream from one [`SampleRate`] to
//! another, a frame at a time, with its history carried from frame to frame:
//! a signal cut into frames comes out exactly as it would in one call. It
//! is deterministic (`f32` arithmetic in a fixed order, no randomness, no
//! clock; see [Speed](#speed) for the one difference between CPUs),
//! allocates only in [`Resampler::new`], and never panics.
//!
//! ## Quality, for every pair of rates
//!
//! With `low` the lower of the two rates and `low / 2` its Nyquist
//! frequency, for `f32` and `i16` alike:
//!
//! - flat within ±0.1 dB (measured: ±0.003 dB) from 0 Hz to
//!   0.85 × `low` / 2 (3.4 kHz between 8 kHz and any other rate, 6.8 kHz
//!   from 16 kHz);
//! - every image and alias at least 70 dB down: a tone in that passband
//!   comes out of a conversion up with everything else at least 70 dB
//!   below it, and a tone from 1.15 × `low` / 2 up to the higher rate's
//!   Nyquist frequency comes out of a conversion down at least 70 dB below
//!   its level, all of it, whether it lands in the passband or not
//!   (measured: 74.1 dB, the worst of either over every pair);
//! - between 0.85 and 1.15 × `low` / 2, the transition band: the response
//!   falls from flat to 70 dB down, passing through −6 dB (half the
//!   amplitude) at `low` / 2, and the gains at (1 − x) and (1 + x) ×
//!   `low` / 2 add up to one (within 0.01). So a tone from 0.85 to 1 ×
//!   `low` / 2 comes through attenuated by up to 6 dB; converting up, it
//!   leaves an image mirrored about `low` / 2, from 1 to 1.15 ×, at the
//!   complementary level (a tone at 3.9 kHz from an 8 kHz leg comes out
//!   with an image at 4.1 kHz); converting down, a tone from 1 to 1.15 ×
//!   comes out as an alias mirrored into 0.85–1 ×, at its own (low) level.
//!   Speech has little energy there: telephone channels end at 3.4 kHz,
//!   and wideband codecs at 7 kHz;
//! - linear phase: every frequency is delayed by the same
//!   [`Resampler::delay`], which is all the delay the conversion adds
//!   (there is no framing buffer: each frame's output is computed from that
//!   frame and the ones before it). The filters remember twice that, at
//!   most 4.7 ms, less than the shortest frame (10 ms):
//!
//!   | between | 8 kHz | 16 kHz | 24 kHz | 32 kHz |
//!   |---|---:|---:|---:|---:|
//!   | 16 kHz | 1.94 ms | | | |
//!   | 24 kHz | 2.31 ms | 0.98 ms | | |
//!   | 32 kHz | 2.34 ms | 0.97 ms | 0.66 ms | |
//!   | 48 kHz | 2.31 ms | 1.16 ms | 0.65 ms | 0.49 ms |
//!
//! `tests/resample.rs` measures all of this for every pair and both sample
//! types with tones the test computes itself, and
//! `tests/resample_reference.py` checks the levels against SciPy's
//! `resample_poly`.
//!
//! ## How
//!
//! The sharp filter, whose transition band is 0.85–1.15 × `low` / 2, runs
//! at `2 × low`, where it is a half-band filter: a Kaiser-windowed sinc cut
//! off at a quarter of that rate, 63 taps, of which every other one is zero
//! and the rest come in 16 mirrored pairs around a centre tap of 1/2. So
//! converting up by two, every other output sample is an input sample and
//! the others cost 16 additions and 16 multiply-adds; converting down by
//! two, each output sample costs the same plus half an input sample. What
//! else a conversion needs runs beside it at the higher rate, with a wide
//! transition band (from 1.15 × `low` / 2 to where the first image or
//! alias would reach back into it), and takes few taps: a half-band stage
//! of 27 taps by 2 (8 ↔ 16 → 32), or a third-band stage of 37 taps by 3/2
//! (8 ↔ 16 → 24, 16 ↔ 32 → 48) or by 3 (8 ↔ 16 → 48). A third-band filter
//! is to a factor of 3 what a half-band filter is to 2: a sinc cut off at a
//! sixth of its rate, whose every third tap from the centre is zero, so
//! that converting up by 3 (or 3/2), one output sample in three is an input
//! sample, and converting down, a third of the taps are left out (8.3
//! multiplications per output sample by 3/2, 12.5 by 2/3). Where the
//! higher rate is not a multiple of the lower (16 ↔ 24, 24 ↔ 32 and
//! 32 ↔ 48 kHz), one polyphase stage of 95 or 127 taps does it all, its
//! cutoff at `low` / 2 also a sixth or an eighth of its rate, with the same
//! zeros left out. Every filter is FIR: its memory ends, which the privacy
//! rule for legs at another rate relies on (a route opens only once what
//! was said after a change reaches the call).
//!
//! A polyphase stage computes only the output samples it keeps and
//! multiplies only the input samples, not the zeros stuffed between them.
//! Each stage reads its input as streams (a stage that takes every `M`-th
//! sample reads `M` of them) after its own history, and writes its output
//! as rows, one per output phase, so that every inner loop runs over
//! contiguous samples; the rows of one stage are the streams of the next
//! where their numbers agree (a half-band stage up by two, then one by
//! 3/2), with nothing interleaved and split again between them.
//!
//! ## Speed
//!
//! The loops compute 32 output samples at once in the half-band stages, in
//! eight AVX2 registers (two chains of additions per output, so that
//! neither waits on the other), and 64 in the polyphase stages (eight
//! registers, one chain each). They are compiled twice, for the baseline
//! x86-64 target and for AVX2 with FMA, and the second is chosen at run
//! time on a CPU that has them (with the `std` feature; without it, the
//! features the crate is compiled for decide). The two differ only in how
//! a multiply-add rounds (once, fused, with FMA): on the same CPU the same
//! input gives the same output, bit for bit; between CPUs, the `f32`
//! output differs by less than 2·10⁻⁶ of full scale, and an `i16` sample
//! by one at most, where the `f32` value lies that close to a half.
//! Either agrees with the formulas of the stages computed exactly within
//! that bound (a property test checks it). `benches/README.md` has the
//! figures beside speexdsp's.
//!
//! Equal rates are an exact copy, bit for bit, with no delay.
//!
//! ## Non-finite samples
//!
//! An `f32` input sample that is NaN or infinite makes the output samples
//! that depend on it non-finite (for as long as it stays in the filter's
//! history) and nothing worse; [`Resampler::reset`] clears it. Sanitize
//! before resampling if that matters.
//!
//! ```
//! use barge::resample::Resampler;
//! use barge::SampleRate;
//!
//! // A narrowband PSTN leg into a 48 kHz (WebRTC) call, 20 ms frames.
//! let mut up = Resampler::new(SampleRate::Hz8000, SampleRate::Hz48000);
//! let from_customer = [0i16; 160];
//! let mut into_call = [0i16; 960];
//! let clipped = up.process_i16(&from_customer, &mut into_call)?;
//! assert_eq!(clipped, 0);
//! assert!(up.delay().as_secs_f64() < 0.005);
//!
//! // A frame of the wrong length is an error that changes nothing.
//! assert!(up.process_i16(&from_customer, &mut into_call[..959]).is_err());
//! # Ok::<(), barge::Error>(())
//! ```

use alloc::vec;
use alloc::vec::Vec;
use core::fmt;
use core::time::Duration;

use crate::error::Error;
use crate::format::SampleRate;

mod design;
mod half_band;
mod poly;
mod streams;

use design::StageSpec;
use half_band::HalfBand;
use poly::{gcd, Poly};
use streams::Streams;

/// Input samples converted per pass at most: 20 ms at 48 kHz. Longer frames
/// are converted in several passes; the result is the same.
const CHUNK: usize = 960;

/// The most streams a stage reads, or rows it writes.
const MAX_SPLIT: usize = 4;

/// A sample-rate converter for one mono stream. See the [module
/// documentation](self) for its quality and design.
///
/// Two converters are equal when they convert between the same rates from
/// the same history: what either gives next is the same. (Their taps follow
/// from the rates, and their scratch space holds nothing between calls.)
pub struct Resampler {
    from: SampleRate,
    to: SampleRate,
    /// The reduced ratio: `l` output samples for every `m` input samples.
    l: usize,
    m: usize,
    /// No stage: equal rates, a copy.
    stages: Vec<Stage>,
    /// Input samples per pass (a multiple of `m`).
    chunk: usize,
    /// The rows a stage writes where they are not the next stage's
    /// streams, or not the output itself.
    rows: Vec<f32>,
    /// The `i16` path's output, as `f32`, interleaved before it is
    /// rounded.
    spare: Vec<f32>,
    /// The delay, in seconds, as (numerator, denominator): exact.
    delay_num: u64,
    delay_den: u64,
}

/// One stage of a conversion. A stage reads its input as `streams()`
/// streams (sample `k × S + q` of the input is sample `k` of stream `q`),
/// each after its own history, and writes its output as `rows()` rows
/// (sample `r × R + i` of the output is sample `r` of row `i`), all of
/// them as long: the rows of one stage are the streams of the next where
/// their numbers agree, with nothing interleaved and split again between
/// them.
enum Stage {
    HalfBand(HalfBand),
    Poly(Poly),
}

impl Clone for Stage {
    fn clone(&self) -> Stage {
        match self {
            Stage::HalfBand(s) => Stage::HalfBand(s.clone()),
            Stage::Poly(s) => Stage::Poly(s.clone()),
        }
    }

    fn clone_from(&mut self, source: &Stage) {
        match (self, source) {
            (Stage::HalfBand(a), Stage::HalfBand(b)) => a.clone_from(b),
            (Stage::Poly(a), Stage::Poly(b)) => a.clone_from(b),
            (this, source) => *this = source.clone(),
        }
    }
}

/// A copy shares the filters' taps with its original; `clone_from` into a
/// converter between the same rates allocates nothing, and copies only
/// the history (scratch space holds nothing between calls).
impl Clone for Resampler {
    fn clone(&self) -> Resampler {
        Resampler {
            from: self.from,
            to: self.to,
            l: self.l,
            m: self.m,
            stages: self.stages.clone(),
            chunk: self.chunk,
            rows: self.rows.clone(),
            spare: self.spare.clone(),
            delay_num: self.delay_num,
            delay_den: self.delay_den,
        }
    }

    fn clone_from(&mut self, source: &Resampler) {
        let Resampler {
            from,
            to,
            l,
            m,
            ref stages,
            chunk,
            ref rows,
            ref spare,
            delay_num,
            delay_den,
        } = *source;
        (self.from, self.to, self.l, self.m, self.chunk) = (from, to, l, m, chunk);
        (self.delay_num, self.delay_den) = (delay_num, delay_den);
        self.stages.clone_from(stages);
        // Scratch: only its size matters.
        self.rows.resize(rows.len(), 0.0);
        self.spare.resize(spare.len(), 0.0);
    }
}

impl PartialEq for Stage {
    fn eq(&self, other: &Stage) -> bool {
        let same_kind = match (self, other) {
            (Stage::HalfBand(a), Stage::HalfBand(b)) => a.same_design(b),
            (Stage::Poly(a), Stage::Poly(b)) => a.same_design(b),
            _ => false,
        };
        same_kind && self.histories().eq(other.histories())
    }
}

impl PartialEq for Resampler {
    fn eq(&self, other: &Resampler) -> bool {
        self.from == other.from
            && self.to == other.to
            && (self.l, self.m, self.chunk) == (other.l, other.m, other.chunk)
            && (self.delay_num, self.delay_den) == (other.delay_num, other.delay_den)
            && self.stages == other.stages
    }
}

impl Stage {
    fn input(&self) -> &Streams {
        match self {
            Stage::HalfBand(s) => s.input(),
            Stage::Poly(s) => s.input(),
        }
    }

    fn input_mut(&mut self) -> &mut Streams {
        match self {
            Stage::HalfBand(s) => s.input_mut(),
            Stage::Poly(s) => s.input_mut(),
        }
    }

    fn streams(&self) -> usize {
        self.input().count()
    }

    fn rows(&self) -> usize {
        match self {
            Stage::HalfBand(s) => s.rows(),
            Stage::Poly(s) => s.ratio().0,
        }
    }

    /// Where the `n` new samples of each stream of a pass go.
    #[inline(always)]
    fn inputs(&mut self, n: usize) -> [&mut [f32]; MAX_SPLIT] {
        self.input_mut().inputs(n)
    }

    /// Computes a pass of `n` samples per stream (in place by
    /// [`Stage::inputs`]) into `rows`, `n` samples each.
    fn compute(&mut self, n: usize, rows: &mut [&mut [f32]]) {
        match self {
            Stage::HalfBand(s) => s.compute(n, rows),
            Stage::Poly(s) => s.compute(n, rows),
        }
    }

    /// Each stream's history: what the stage's next pass depends on beside
    /// its taps.
    fn histories(&self) -> impl Iterator<Item = &[f32]> + '_ {
        self.input().histories()
    }

    /// Keeps the history after a pass of `n` samples per stream: the last
    /// `history` samples of each stream.
    fn keep(&mut self, n: usize) {
        self.input_mut().advance(n);
    }

    fn reset(&mut self) {
        self.input_mut().reset();
    }
}

/// The sample types a conversion reads: converted to `f32` as they are
/// copied into the first stage's streams.
trait Input: Copy {
    fn to_f32(self) -> f32;
}

impl Input for f32 {
    #[inline(always)]
    fn to_f32(self) -> f32 {
        self
    }
}

impl Input for i16 {
    #[inline(always)]
    fn to_f32(self) -> f32 {
        f32::from(self)
    }
}

/// `dst[k] = src[k]`, converted.
#[multiversion::multiversion(targets("x86_64+avx2+fma"))]
fn convert<T: Input>(src: &[T], dst: &mut [f32]) {
    for (d, &s) in dst.iter_mut().zip(src) {
        *d = s.to_f32();
    }
}

/// `a[k] = src[2k]`, `b[k] = src[2k + 1]`, converted.
#[multiversion::multiversion(targets("x86_64+avx2+fma"))]
fn split2<T: Input>(src: &[T], a: &mut [f32], b: &mut [f32]) {
    let n = (src.len() / 2).min(a.len()).min(b.len());
    let (src, a, b) = (&src[..2 * n], &mut a[..n], &mut b[..n]);
    for k in 0..n {
        a[k] = src[2 * k].to_f32();
        b[k] = src[2 * k + 1].to_f32();
    }
}

/// `a[k] = src[3k]`, `b[k] = src[3k + 1]`, `c[k] = src[3k + 2]`, converted.
#[multiversion::multiversion(targets("x86_64+avx2+fma"))]
fn split3<T: Input>(src: &[T], a: &mut [f32], b: &mut [f32], c: &mut [f32]) {
    let n = (src.len() / 3).min(a.len()).min(b.len()).min(c.len());
    let (src, a, b, c) = (&src[..3 * n], &mut a[..n], &mut b[..n], &mut c[..n]);
    for k in 0..n {
        a[k] = src[3 * k].to_f32();
        b[k] = src[3 * k + 1].to_f32();
        c[k] = src[3 * k + 2].to_f32();
    }
}

/// `a[k] = src[4k]`, `b[k] = src[4k + 1]`, `c[k] = src[4k + 2]`,
/// `d[k] = src[4k + 3]`, converted.
#[multiversion::multiversion(targets("x86_64+avx2+fma"))]
fn split4<T: Input>(src: &[T], a: &mut [f32], b: &mut [f32], c: &mut [f32], d: &mut [f32]) {
    let n = (src.len() / 4)
        .min(a.len())
        .min(b.len())
        .min(c.len())
        .min(d.len());
    let (src, a, b, c, d) = (
        &src[..4 * n],
        &mut a[..n],
        &mut b[..n],
        &mut c[..n],
        &mut d[..n],
    );
    for k in 0..n {
        a[k] = src[4 * k].to_f32();
        b[k] = src[4 * k + 1].to_f32();
        c[k] = src[4 * k + 2].to_f32();
        d[k] = src[4 * k + 3].to_f32();
    }
}

/// Sample `k × S + q` of `src` to `streams[q][k]`, converted, for
/// `k < src.len() / S`, `S = streams.len()`.
fn split_into<T: Input>(src: &[T], streams: &mut [&mut [f32]]) {
    match streams {
        [only] => convert(src, only),
        [a, b] => split2(src, a, b),
        [a, b, c] => split3(src, a, b, c),
        [a, b, c, d] => split4(src, a, b, c, d),
        _ => {
            let s = streams.len();
            for (k, &v) in src.iter().enumerate() {
                streams[k % s][k / s] = v.to_f32();
            }
        }
    }
}

/// The sample types a conversion writes.
trait Output: Copy {
    /// `out[r × R + i] = rows[i][r]`, `R = rows.len()`, converted, with
    /// `spare` (as long as `out`) to use; returns how many samples were
    /// saturated.
    fn from_rows(out: &mut [Self], rows: &[&mut [f32]], spare: &mut [f32]) -> usize;
}

impl Output for f32 {
    fn from_rows(out: &mut [f32], rows: &[&mut [f32]], _: &mut [f32]) -> usize {
        interleave_rows(out, rows);
        0
    }
}

impl Output for i16 {
    /// Rounded to the nearest integer (ties to even) and saturated to the
    /// `i16` range.
    fn from_rows(out: &mut [i16], rows: &[&mut [f32]], spare: &mut [f32]) -> usize {
        if let [only] = rows {
            return round_i16(only, out);
        }
        let spare = &mut spare[..out.len()];
        interleave_rows(spare, rows);
        round_i16(spare, out)
    }
}

/// `out[r × R + i] = rows[i][r]` for `r < out.len() / R`.
#[multiversion::multiversion(targets("x86_64+avx2+fma"))]
fn interleave<const R: usize>(out: &mut [f32], rows: &[&mut [f32]]) {
    let n = out.len() / R;
    let mut r: [&[f32]; R] = [&[]; R];
    for (d, row) in r.iter_mut().zip(rows) {
        let Some(row) = row.get(..n) else {
            return;
        };
        *d = row;
    }
    for (k, o) in out.chunks_exact_mut(R).enumerate() {
        for (v, row) in o.iter_mut().zip(&r) {
            *v = row[k];
        }
    }
}

/// [`interleave`] for `rows.len()` rows.
fn interleave_rows(out: &mut [f32], rows: &[&mut [f32]]) {
    match rows.len() {
        1 => out.copy_from_slice(&rows[0][..out.len()]),
        2 => interleave::<2>(out, rows),
        3 => interleave::<3>(out, rows),
        _ => interleave::<4>(out, rows),
    }
}

/// `out[k]` is `v[k]` rounded to the nearest integer (ties to even) and
/// saturated to the `i16` range; returns how many were saturated.
#[multiversion::multiversion(targets("x86_64+avx2+fma"))]
fn round_i16(v: &[f32], out: &mut [i16]) -> usize {
    // `v + ROUND` holds `v` rounded in the low bits of its mantissa, for
    // `|v| < 2^22`: read them as an integer (exact, and it vectorises,
    // where `as i16` would not). Beyond that, or for a value not finite,
    // the integer read is beyond the `i16` range too (see
    // `rounding_flags_every_value_beyond_the_range`), and so are the
    // extremes noted: then the frame is rounded again, each value clamped
    // first, and its saturated samples counted. A converter's values from
    // `i16` input never come near 2^22, and saturate rarely.
    let (mut lo, mut hi) = (0i32, 0i32);
    for (d, &v) in out.iter_mut().zip(v) {
        let r = rounded(v);
        lo = lo.min(r);
        hi = hi.max(r);
        *d = r.clamp(-32768, 32767) as i16;
    }
    if lo >= -32768 && hi <= 32767 {
        return 0;
    }
    let mut clipped = 0;
    for (d, &v) in out.iter_mut().zip(v) {
        // Clamped just outside the range: a sample that saturates still
        // rounds to a value outside it.
        let r = rounded(v.clamp(-32769.0, 32768.0));
        clipped += usize::from(!(-32768..=32767).contains(&r));
        *d = r.clamp(-32768, 32767) as i16;
    }
    clipped
}

/// `v` rounded to the nearest integer (ties to even) for `|v| < 2^22`;
/// beyond the `i16` range for any other `f32` (`v` beyond it, infinite or
/// NaN).
#[inline(always)]
fn rounded(v: f32) -> i32 {
    ((v + ROUND).to_bits() as i32).wrapping_sub(ROUND.to_bits() as i32)
}

/// 1.5 × 2^23: the sum of it and an `f32` of magnitude below 2^22 is
/// that value rounded to the nearest integer (ties to even), held in the
/// low bits of the mantissa.
const ROUND: f32 = 12_582_912.0;

/// The first `r` rows of `n` samples in `scratch`.
#[inline(always)]
fn rows_in(scratch: &mut [f32], r: usize, n: usize) -> [&mut [f32]; MAX_SPLIT] {
    let mut rows: [&mut [f32]; MAX_SPLIT] = Default::default();
    let mut rest = scratch;
    for row in rows.iter_mut().take(r) {
        let (this, after) = rest.split_at_mut(n.min(rest.len()));
        *row = this;
        rest = after;
    }
    rows
}

/// Moves the signal held in `rows` (interleaved) into `streams` (split),
/// where the rows of one stage are not the streams of the next.
#[inline(always)]
fn reshape(rows: &[&mut [f32]], streams: &mut [&mut [f32]]) {
    match (rows, streams.len()) {
        ([only], _) => split_into::<f32>(only, streams),
        (_, 1) => interleave_rows(streams[0], rows),
        _ => {
            // Not a pair of stages `design::plan` makes; correct anyway.
            let (r, s) = (rows.len(), streams.len());
            for k in 0..rows[0].len() * r {
                streams[k % s][k / s] = rows[k % r][k / r];
            }
        }
    }
}

/// Runs one pass of `input` (at most [`Resampler::chunk`] samples)
/// through the stages into `output`; returns how many output samples were
/// saturated.
fn pass<T: Input, O: Output>(
    stages: &mut [Stage],
    scratch: &mut [f32],
    spare: &mut [f32],
    input: &[T],
    output: &mut [O],
) -> usize {
    let Some((first, rest)) = stages.split_first_mut() else {
        return 0;
    };
    let s = first.streams();
    let mut n = input.len() / s;
    split_into(input, &mut first.inputs(n)[..s]);
    let mut last = first;
    for next in rest {
        let (r, s) = (last.rows(), next.streams());
        let n_next = n * r / s;
        if r == s {
            last.compute(n, &mut next.inputs(n_next)[..s]);
        } else {
            let mut rows = rows_in(scratch, r, n);
            last.compute(n, &mut rows[..r]);
            reshape(&rows[..r], &mut next.inputs(n_next)[..s]);
        }
        last.keep(n);
        last = next;
        n = n_next;
    }
    let r = last.rows();
    let mut rows = rows_in(scratch, r, n);
    last.compute(n, &mut rows[..r]);
    last.keep(n);
    O::from_rows(output, &rows[..r], spare)
}

/// `a × b + c`, fused into one rounding where `FMA` (the loops compiled
/// for AVX2 and FMA, with `std`), else rounded twice.
#[inline(always)]
fn mul_add<const FMA: bool>(a: f32, b: f32, c: f32) -> f32 {
    #[cfg(feature = "std")]
    if FMA {
        return a.mul_add(b, c);
    }
    a * b + c
}

impl Resampler {
    /// A converter from `from` to `to`; equal rates make an exact copy.
    /// Designs the filters and allocates all the memory it will use.
    pub fn new(from: SampleRate, to: SampleRate) -> Resampler {
        let (fin, fout) = (from.hz() as usize, to.hz() as usize);
        let g = gcd(fin, fout);
        let (l, m) = (fout / g, fin / g);
        let chunk = CHUNK / m * m;
        let mut stages = Vec::new();
        // The delay in seconds, as an exact fraction.
        let mut delay = (0u64, 1u64);
        let mut add_delay = |num: usize, den: usize| {
            let (num, den) = (num as u64, den as u64);
            delay = (delay.0 * den + num * delay.1, delay.1 * den);
            let g = gcd(delay.0 as usize, delay.1 as usize).max(1) as u64;
            delay = (delay.0 / g, delay.1 / g);
        };
        let mut rate = fin;
        let mut rows = 0;
        if fin != fout {
            for spec in design::plan(fin, fout) {
                let max_in = chunk * rate / fin;
                let stage = match spec {
                    StageSpec::HalfBand {
                        up,
                        low,
                        pairs,
                        atten,
                    } => {
                        let s = HalfBand::new(up, pairs, atten, max_in);
                        add_delay(s.delay(), 2 * low);
                        rate = if up { 2 * low } else { low };
                        Stage::HalfBand(s)
                    }
                    StageSpec::Poly {
                        fin: a,
                        fout: b,
                        pass,
                        stop,
                        atten,
                    } => {
                        let s = Poly::new(a, b, pass, stop, atten, max_in);
                        add_delay(s.delay_twice(), 2 * s.ratio().0 * a);
                        rate = b;
                        Stage::Poly(s)
                    }
                };
                // Its rows, `n` samples each from `n` per stream.
                rows = rows.max(max_in / stage.streams() * stage.rows());
                stages.push(stage);
            }
        }
        let stages_interleave = stages.last().is_some_and(|s| s.rows() > 1);
        Resampler {
            from,
            to,
            l,
            m,
            stages,
            chunk,
            rows: vec![0.0; rows],
            spare: vec![0.0; if stages_interleave { chunk / m * l } else { 0 }],
            delay_num: delay.0,
            delay_den: delay.1,
        }
    }

    /// The input rate.
    pub fn from(&self) -> SampleRate {
        self.from
    }

    /// The output rate.
    pub fn to(&self) -> SampleRate {
        self.to
    }

    /// The delay the conversion adds, in output samples (fractional): a
    /// sinusoid in the passband comes out this many output samples later
    /// than it went in. Zero for equal rates.
    pub fn delay_samples(&self) -> f64 {
        self.delay_num as f64 * f64::from(self.to.hz()) / self.delay_den as f64
    }

    /// The delay the conversion adds ([`Resampler::delay_samples`] as a
    /// duration, to the nearest nanosecond). Nothing else is buffered.
    pub fn delay(&self) -> Duration {
        let den = u128::from(self.delay_den);
        let ns = (u128::from(self.delay_num) * 1_000_000_000 + den / 2) / den;
        Duration::from_nanos(ns as u64)
    }

    /// How many output samples `input_len` input samples become, or the
    /// error for an input length that is not a whole number of the
    /// conversion's steps (`from / gcd(from, to)` samples; every frame of
    /// 10–60 ms is).
    fn output_len(&self, input_len: usize) -> Result<usize, Error> {
        if input_len % self.m != 0 {
            return Err(Error::LengthMismatch {
                what: "resampler input samples (a whole number of conversion steps)",
                given: input_len,
                expected: (input_len / self.m).max(1) * self.m,
            });
        }
        Ok(input_len / self.m * self.l)
    }

    fn check(&self, input_len: usize, output_len: usize) -> Result<(), Error> {
        let expected = self.output_len(input_len)?;
        if output_len != expected {
            return Err(Error::LengthMismatch {
                what: "resampler output samples",
                given: output_len,
                expected,
            });
        }
        Ok(())
    }

    /// Converts one frame: `input` at [`Resampler::from`] becomes
    /// `input.len() × to / from` samples at [`Resampler::to`] in `output`,
    /// continuing from the frames before it.
    ///
    /// An `output` of another length, or an `input` that is not a whole
    /// number of steps (see [`Error::LengthMismatch`]), is an error; then
    /// nothing is written and the history is unchanged.
    pub fn process(&mut self, input: &[f32], output: &mut [f32]) -> Result<(), Error> {
        self.check(input.len(), output.len())?;
        if self.stages.is_empty() {
            output.copy_from_slice(input);
            return Ok(());
        }
        // Passes of at most `chunk` samples (one for any frame up to 20 ms
        // at 48 kHz), without a division to count them.
        let (mut at, mut out_at) = (0, 0);
        while at < input.len() {
            let n = self.chunk.min(input.len() - at);
            let n_out = output.len().min(out_at + n / self.m * self.l) - out_at;
            let (i, o) = (&input[at..at + n], &mut output[out_at..out_at + n_out]);
            pass(&mut self.stages, &mut self.rows, &mut [], i, o);
            (at, out_at) = (at + n, out_at + n_out);
        }
        Ok(())
    }

    /// [`Resampler::process`] for `i16` samples: the conversion runs in
    /// `f32` and each output sample is rounded to the nearest integer and
    /// saturated to the `i16` range. Returns how many output samples were
    /// saturated (a full-scale square wave overshoots; speech does not).
    pub fn process_i16(&mut self, input: &[i16], output: &mut [i16]) -> Result<usize, Error> {
        self.check(input.len(), output.len())?;
        if self.stages.is_empty() {
            output.copy_from_slice(input);
            return Ok(0);
        }
        let (mut at, mut out_at, mut clipped) = (0, 0, 0);
        while at < input.len() {
            let n = self.chunk.min(input.len() - at);
            let n_out = output.len().min(out_at + n / self.m * self.l) - out_at;
            let (i, o) = (&input[at..at + n], &mut output[out_at..out_at + n_out]);
            clipped += pass(&mut self.stages, &mut self.rows, &mut self.spare, i, o);
            (at, out_at) = (at + n, out_at + n_out);
        }
        Ok(clipped)
    }

    /// Forgets the history: the next frame is converted as if silence had
    /// come before it.
    pub fn reset(&mut self) {
        for stage in &mut self.stages {
            stage.reset();
        }
    }
}

impl fmt::Debug for Resampler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Resampler");
        d.field("from", &self.from)
            .field("to", &self.to)
            .field("delay_samples", &self.delay_samples());
        for (n, s) in self.stages.iter().enumerate() {
            let name = if n == 0 { "stage" } else { "then" };
            match s {
                Stage::HalfBand(h) => d.field(
                    name,
                    &format_args!(
                        "half-band {}, {} taps",
                        if h.up() { "×2" } else { "÷2" },
                        4 * h.pairs() - 1
                    ),
                ),
                Stage::Poly(p) => d.field(
                    name,
                    &format_args!(
                        "×{}/{}, {} taps, {:.1} multiplications per output sample",
                        p.ratio().0,
                        p.ratio().1,
                        p.len(),
                        p.cost()
                    ),
                ),
            };
        }
        d.finish()
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use proptest::prelude::*;

    /// A copy made at any point of a stream (its history anywhere in its
    /// room) converts what follows exactly as the original does, `f32` and
    /// `i16`, with frames of 10, 20 and 60 ms.
    #[test]
    fn a_copy_converts_as_the_original_does() {
        let pairs = SampleRate::ALL
            .into_iter()
            .flat_map(|a| SampleRate::ALL.into_iter().map(move |b| (a, b)))
            .filter(|(a, b)| a != b);
        for (a, b) in pairs {
            for ms in [10usize, 20, 60] {
                let (n, m) = (a.hz() as usize * ms / 1000, b.hz() as usize * ms / 1000);
                let frame = |k: usize| -> Vec<f32> {
                    (0..n)
                        .map(|i| ((i + k * n) as f32 * 0.23).sin() * 0.6)
                        .collect()
                };
                let i16s = |k: usize| -> Vec<i16> {
                    frame(k).iter().map(|&v| (v * 20000.0) as i16).collect()
                };
                for k in 0..9 {
                    // The original, k frames in; its copy; both go on alike.
                    let (mut r, mut r16) = (Resampler::new(a, b), Resampler::new(a, b));
                    let (mut out, mut out16) = (vec![0.0; m], vec![0i16; m]);
                    for j in 0..k {
                        r.process(&frame(j), &mut out).unwrap();
                        r16.process_i16(&i16s(j), &mut out16).unwrap();
                    }
                    let (mut copy, mut copy16) = (r.clone(), r16.clone());
                    for j in k..k + 4 {
                        let (mut x, mut y) = (vec![0.0; m], vec![0.0; m]);
                        r.process(&frame(j), &mut x).unwrap();
                        copy.process(&frame(j), &mut y).unwrap();
                        assert_eq!(x, y, "{a:?} -> {b:?}, {ms} ms, copy at {k}, frame {j}");
                        let (mut x, mut y) = (vec![0i16; m], vec![0i16; m]);
                        r16.process_i16(&i16s(j), &mut x).unwrap();
                        copy16.process_i16(&i16s(j), &mut y).unwrap();
                        assert_eq!(x, y, "{a:?} -> {b:?}, {ms} ms, i16, copy at {k}, frame {j}");
                    }
                }
            }
        }
    }

    /// Equal converters give the same next output; their scratch space
    /// does not count, their history does.
    #[test]
    fn converters_equal_by_rates_and_history() {
        for (a, b) in SampleRate::ALL
            .into_iter()
            .flat_map(|a| SampleRate::ALL.into_iter().map(move |b| (a, b)))
            .filter(|(a, b)| a != b)
        {
            let tone = |n: usize, k: usize| -> Vec<f32> {
                (0..n)
                    .map(|i| ((i + k) as f32 * 0.37).sin() * 0.5)
                    .collect()
            };
            let (n, m) = (a.hz() as usize / 100, b.hz() as usize / 100);
            let mut out = vec![0.0; m];
            let (mut x, mut y) = (Resampler::new(a, b), Resampler::new(a, b));
            x.process(&tone(n, 0), &mut out).unwrap();
            y.process(&tone(n, 0), &mut out).unwrap();
            // The same history, whatever the scratch space last held.
            y.rows
                .iter_mut()
                .chain(y.spare.iter_mut())
                .for_each(|v| *v = 9.0);
            assert!(x == y, "{a:?} -> {b:?}");
            let (mut ox, mut oy) = (vec![0.0; m], vec![0.0; m]);
            let (mut x2, mut y2) = (x.clone(), y.clone());
            x2.process(&tone(n, 1), &mut ox).unwrap();
            y2.process(&tone(n, 1), &mut oy).unwrap();
            assert_eq!(ox, oy, "{a:?} -> {b:?}: equal converters, equal output");
            // Another history: not equal.
            y.process(&tone(n, 5), &mut out).unwrap();
            x.process(&tone(n, 6), &mut out).unwrap();
            assert!(x != y, "{a:?} -> {b:?}");
            assert!(x != Resampler::new(b, a));
        }
    }

    /// The conversion from silence, stage after stage, each by its formula
    /// plainly in `f64`.
    fn reference(r: &Resampler, x: &[f32]) -> Vec<f64> {
        let mut y: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
        for stage in &r.stages {
            y = match stage {
                Stage::HalfBand(s) => s.reference(&y),
                Stage::Poly(s) => s.reference(&y),
            };
        }
        y
    }

    /// How far the loops may be from the formula computed in `f64`, as a
    /// fraction of full scale, for input within full scale: `f32` sums of
    /// at most 63 products, in two stages.
    const BOUND: f64 = 2e-6;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn the_loops_equal_the_formula_within_the_bound(
            pair in 0..20usize,
            frames in prop::collection::vec((0..40usize, any::<u32>()), 1..6),
        ) {
            let (from, to) = {
                let all: Vec<_> = SampleRate::ALL
                    .into_iter()
                    .flat_map(|a| SampleRate::ALL.into_iter().map(move |b| (a, b)))
                    .filter(|(a, b)| a != b)
                    .collect();
                all[pair]
            };
            let mut r = Resampler::new(from, to);
            let plain = r.clone();
            // Frames of random lengths (whole steps, up to past a pass) of
            // noise within full scale.
            let mut x = Vec::new();
            let mut y = Vec::new();
            for (steps, seed) in frames {
                let n = steps * 31 % (2 * CHUNK / r.m + 1) * r.m;
                let mut s = seed | 1;
                let frame: Vec<f32> = (0..n)
                    .map(|_| {
                        s ^= s << 13;
                        s ^= s >> 17;
                        s ^= s << 5;
                        (s as f32 / u32::MAX as f32) * 2.0 - 1.0
                    })
                    .collect();
                let mut out = vec![0.0f32; n / r.m * r.l];
                r.process(&frame, &mut out).unwrap();
                x.extend_from_slice(&frame);
                y.extend_from_slice(&out);
            }
            let want = reference(&plain, &x);
            prop_assert_eq!(want.len(), y.len());
            let worst = want
                .iter()
                .zip(&y)
                .map(|(a, &b)| (a - f64::from(b)).abs())
                .fold(0.0f64, f64::max);
            prop_assert!(worst <= BOUND, "{} → {}: {:e}", from, to, worst);
        }
    }

    /// The fast path of [`round_i16`] may read a value beyond 2^22, or
    /// not finite, as any integer, as long as it is one beyond the `i16`
    /// range: then the frame is rounded again the careful way.
    #[test]
    fn rounding_flags_every_value_beyond_the_range() {
        let beyond = |v: f32| !(-32768..=32767).contains(&rounded(v));
        for v in [
            32767.5,
            40000.0,
            -40000.0,
            -32768.52,
            4_194_304.0,
            -4_194_304.0,
            12_582_912.0,
            -12_582_912.0,
            -12_582_913.0,
            -16_777_216.0,
            -1e9,
            1e9,
            f32::MAX,
            f32::MIN,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NAN,
            -f32::NAN,
        ] {
            assert!(beyond(v), "{v}");
        }
        // Every binade of both signs from 2^16 up, at its ends.
        for e in 16..128 {
            let lo = 2.0f32.powi(e);
            let hi = f32::from_bits(lo.to_bits() | 0x007f_ffff);
            for v in [lo, hi, -lo, -hi] {
                assert!(beyond(v), "{v}");
            }
        }
        // And within it, exact, ties to even.
        for (v, r) in [
            (0.5, 0),
            (1.5, 2),
            (-2.5, -2),
            (32767.4, 32767),
            (-32768.5, -32768),
        ] {
            assert_eq!(rounded(v), r, "{v}");
        }
        let (mut v, mut out) = (vec![0.0f32; 40], vec![0i16; 40]);
        v[3] = 1e30;
        v[7] = f32::NAN;
        v[9] = -40000.0;
        v[11] = 123.5;
        assert_eq!(round_i16(&v, &mut out), 3);
        assert_eq!(
            (out[3], out[7], out[9], out[11]),
            (32767, 32767, -32768, 124)
        );
    }

    #[test]
    fn a_constant_stays_constant_in_every_output_phase() {
        for from in SampleRate::ALL {
            for to in SampleRate::ALL {
                let mut r = Resampler::new(from, to);
                let input = vec![0.5f32; from.hz() as usize / 50];
                let mut out = vec![0.0f32; to.hz() as usize / 50];
                for _ in 0..3 {
                    r.process(&input, &mut out).unwrap();
                }
                for (k, &v) in out.iter().enumerate() {
                    assert!((v - 0.5).abs() < 1e-5, "{from}→{to} sample {k}: {v}");
                }
            }
        }
    }
}
