//! Sample-rate conversion between the supported rates, for legs whose rate
//! is not the session's.
//!
//! A [`Resampler`] converts one mono stream from one [`SampleRate`] to
//! another, a frame at a time, with its history carried from frame to frame:
//! a signal cut into frames comes out exactly as it would in one call. It
//! is deterministic (plain IEEE `f32` arithmetic in a fixed order, no
//! randomness, no clock), allocates only in [`Resampler::new`], and never
//! panics.
//!
//! ## Quality, for every pair of rates
//!
//! With `low` the lower of the two rates:
//!
//! - flat within ±0.1 dB (measured: ±0.002 dB) from 0 Hz to
//!   0.85 × `low` / 2 (3.4 kHz between 8 kHz and any other rate, 6.8 kHz
//!   from 16 kHz);
//! - every image (when converting up) and every alias (when converting
//!   down) at least 70 dB down: a tone anywhere from `low` / 2 up to the
//!   higher rate's Nyquist frequency comes out of a conversion down at
//!   least 70 dB below its level, and a tone in the passband comes out of a
//!   conversion up with everything else at least 70 dB below it;
//! - linear phase: every frequency is delayed by the same
//!   [`Resampler::delay`], which is all the delay the conversion adds
//!   (there is no framing buffer: each frame's output is computed from that
//!   frame and the ones before it).
//!
//! `tests/resample.rs` measures all of this for every pair with tones the
//! test computes itself, and `tests/resample_reference.py` checks the
//! levels against SciPy's `resample_poly`.
//!
//! ## How
//!
//! Each conversion is a polyphase FIR filter: a Kaiser-windowed sinc,
//! designed in [`Resampler::new`] for the reduced ratio `L / M` of the two
//! rates (upsample by `L`, filter, keep every `M`-th sample, without ever
//! computing the samples that are dropped or multiplying the zeros that are
//! stuffed). Its passband ends at 0.85 × `low` / 2 and its stopband begins
//! at `low` / 2 (attenuation 75 dB), so the sharp part of the work is done
//! once, at twice the lower rate at most. Where the higher rate is three or
//! more times the lower (8 ↔ 24, 8 ↔ 32, 8 ↔ 48, 16 ↔ 48 kHz) the
//! conversion is a cascade of two stages through twice the lower rate: the
//! sharp filter between `low` and `2 × low`, and a short one with a wide
//! transition between `2 × low` and the higher rate, which only has to
//! remove the images the first one left far from the band. The input is
//! split into one stream per phase of `M` so that every inner loop runs
//! over contiguous samples and computes 16 output samples at once; the
//! compiler vectorises these loops for the baseline x86-64 target (SSE2).
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

/// Output samples computed at once by the inner loop: four SSE2 registers.
const BLOCK: usize = 16;

/// Input samples converted per pass at most: 20 ms at 48 kHz. Longer frames
/// are converted in several passes; the result is the same.
const CHUNK: usize = 960;

/// Stopband attenuation of the sharp filters, in dB (70 required).
const SHARP_DB: f64 = 75.0;

/// Stopband attenuation of the wide second stage of a cascade, in dB. It
/// costs few taps, so it takes more margin.
const WIDE_DB: f64 = 80.0;

/// The passband edge as a fraction of the lower rate's Nyquist frequency.
const PASSBAND: f64 = 0.85;

/// A sample-rate converter for one mono stream. See the [module
/// documentation](self) for its quality and design.
#[derive(Clone, PartialEq)]
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
    /// The first stage's output of a cascade.
    mid: Vec<f32>,
    /// The `i16` path's input and output, as `f32`.
    scratch_in: Vec<f32>,
    scratch_out: Vec<f32>,
    /// The delay, in seconds, as (numerator, denominator): exact.
    delay_num: u64,
    delay_den: u64,
}

/// One polyphase FIR stage converting by `l / m` (reduced).
///
/// The prototype filter `h` of `n = l × m × taps` coefficients runs at the
/// grid rate `l × input rate`. Output sample `r × l + i` (`i < l`) is
/// `Σ_q Σ_t coefs[i][q][t] × phase_q[r + offset[i][q] + t]` where
/// `phase_q[k]` is input sample `(k - taps) × m + q`: `taps` samples of
/// history stand before each pass's new samples.
#[derive(Clone, PartialEq)]
struct Stage {
    l: usize,
    m: usize,
    taps: usize,
    /// `[i][q][t]`, flattened.
    coefs: Vec<f32>,
    /// `[i][q]`, flattened.
    offsets: Vec<usize>,
    /// `m` phase streams of `stride` samples each: `taps` of history, then
    /// up to `stride - taps` new ones.
    phases: Vec<f32>,
    stride: usize,
    /// Number of prototype coefficients.
    n: usize,
}

/// The filter of a stage, in Hz: passband edge, stopband edge, and the
/// stopband attenuation in dB.
#[derive(Clone, Copy, PartialEq)]
struct Spec {
    pass: f64,
    stop: f64,
    atten: f64,
}

const fn gcd(mut a: usize, mut b: usize) -> usize {
    while b != 0 {
        let t = a % b;
        a = b;
        b = t;
    }
    a
}

/// The zeroth-order modified Bessel function of the first kind, by its
/// power series (converges for every argument a Kaiser window uses).
fn bessel_i0(x: f64) -> f64 {
    let q = x * x / 4.0;
    let (mut sum, mut term, mut k) = (1.0f64, 1.0f64, 1.0f64);
    while term > sum * 1e-17 && k < 500.0 {
        term *= q / (k * k);
        sum += term;
        k += 1.0;
    }
    sum
}

impl Stage {
    /// A stage from `fin` to `fout` Hz, with `max_in` input samples per pass
    /// at most (a multiple of the reduced `m`).
    fn new(fin: usize, fout: usize, spec: Spec, max_in: usize) -> Stage {
        let g = gcd(fin, fout);
        let (l, m) = (fout / g, fin / g);
        let grid = (l * fin) as f64;
        // Kaiser's estimate of the length for this attenuation and
        // transition width, rounded up so that every output phase has
        // `m × taps` coefficients and every input phase `taps` of those.
        let width = (spec.stop - spec.pass) / grid;
        let estimate = (spec.atten - 7.95) / (2.285 * 2.0 * core::f64::consts::PI * width) + 1.0;
        let taps = ((libm::ceil(estimate) as usize).div_ceil(l * m)).max(1);
        let n = l * m * taps;
        let beta = 0.1102 * (spec.atten - 8.7);
        let cutoff = (spec.pass + spec.stop) / 2.0 / grid; // cycles per grid sample
        let centre = (n - 1) as f64 / 2.0;
        let i0_beta = bessel_i0(beta);
        let h: Vec<f64> = (0..n)
            .map(|s| {
                let x = s as f64 - centre;
                let sinc = if x == 0.0 {
                    2.0 * cutoff
                } else {
                    libm::sin(2.0 * core::f64::consts::PI * cutoff * x)
                        / (core::f64::consts::PI * x)
                };
                let r = x / centre;
                let w = bessel_i0(beta * libm::sqrt((1.0 - r * r).max(0.0))) / i0_beta;
                sinc * w
            })
            .collect();

        let k = m * taps; // coefficients per output sample
        let mut coefs = vec![0.0f32; l * m * taps];
        let mut offsets = vec![0usize; l * m];
        for i in 0..l {
            let phase = (i * m) % l;
            let newest = (i * m) / l; // input index of the newest sample used
                                      // g[j] multiplies input `newest - j`; each output phase is
                                      // normalised to unit gain at DC, so that a constant stays
                                      // constant and leaves no image at the input rate.
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
        Stage {
            l,
            m,
            taps,
            coefs,
            offsets,
            phases: vec![0.0; m * stride],
            stride,
            n,
        }
    }

    /// The delay of this stage, in seconds, as (numerator, denominator):
    /// half the prototype's length at the grid rate.
    fn delay(&self, fin: usize) -> (u64, u64) {
        ((self.n - 1) as u64, (2 * self.l * fin) as u64)
    }

    fn reset(&mut self) {
        self.phases.fill(0.0);
    }

    /// Converts `input` (a multiple of `m` samples, at most the pass size)
    /// into `output` (`input.len() / m × l` samples).
    fn run(&mut self, input: &[f32], output: &mut [f32]) {
        let (l, m, taps, stride) = (self.l, self.m, self.taps, self.stride);
        let r_len = input.len() / m;
        // Split the new samples into the `m` phase streams.
        for (q, phase) in self.phases.chunks_exact_mut(stride).enumerate() {
            let new = &mut phase[taps..taps + r_len];
            if m == 1 {
                new.copy_from_slice(input);
            } else {
                for (d, s) in new.iter_mut().zip(input.chunks_exact(m)) {
                    *d = s[q];
                }
            }
        }
        for i in 0..l {
            let coefs = &self.coefs[i * m * taps..(i + 1) * m * taps];
            let offsets = &self.offsets[i * m..(i + 1) * m];
            let mut r = 0;
            while r + BLOCK <= r_len {
                let mut acc = [0.0f32; BLOCK];
                for ((c, phase), &off) in coefs
                    .chunks_exact(taps)
                    .zip(self.phases.chunks_exact(stride))
                    .zip(offsets)
                {
                    fir(&mut acc, c, &phase[r + off..r + off + taps + BLOCK - 1]);
                }
                store(output, &acc, r, l, i);
                r += BLOCK;
            }
            while r < r_len {
                let mut acc = [0.0f32; 1];
                for ((c, phase), &off) in coefs
                    .chunks_exact(taps)
                    .zip(self.phases.chunks_exact(stride))
                    .zip(offsets)
                {
                    fir(&mut acc, c, &phase[r + off..r + off + taps]);
                }
                store(output, &acc, r, l, i);
                r += 1;
            }
        }
        // The newest `taps` samples of each stream are the next history.
        for phase in self.phases.chunks_exact_mut(stride) {
            phase.copy_within(r_len..r_len + taps, 0);
        }
    }
}

/// `acc[j] += Σ_t c[t] × x[t + j]`: `B` output samples of one FIR at once,
/// vectorised across the outputs (no horizontal sums). `x` holds
/// `c.len() + B - 1` samples.
#[inline(always)]
fn fir<const B: usize>(acc: &mut [f32; B], c: &[f32], x: &[f32]) {
    for (w, &ct) in x.windows(B).zip(c) {
        for (a, &s) in acc.iter_mut().zip(w) {
            *a += ct * s;
        }
    }
}

/// Writes output samples `r..r + B` of output phase `i` (of `l`).
#[inline(always)]
fn store<const B: usize>(output: &mut [f32], acc: &[f32; B], r: usize, l: usize, i: usize) {
    if l == 1 {
        output[r..r + B].copy_from_slice(acc);
    } else {
        for (o, &a) in output[r * l..(r + B) * l].chunks_exact_mut(l).zip(acc) {
            o[i] = a;
        }
    }
}

/// Runs one pass through the stages; `mid` holds a cascade's middle.
fn run_stages(stages: &mut [Stage], mid: &mut [f32], input: &[f32], output: &mut [f32]) {
    match stages {
        [] => output.copy_from_slice(input),
        [only] => only.run(input, output),
        [first, second, ..] => {
            let mid = &mut mid[..input.len() / first.m * first.l];
            first.run(input, mid);
            second.run(mid, output);
        }
    }
}

/// 1.5 × 2^23: the sum of it and an `f32` of magnitude below 2^22 is
/// that value rounded to the nearest integer (ties to even), held in the
/// low bits of the mantissa.
const ROUND: f32 = 12_582_912.0;

impl Resampler {
    /// A converter from `from` to `to`; equal rates make an exact copy.
    /// Designs the filters and allocates all the memory it will use.
    pub fn new(from: SampleRate, to: SampleRate) -> Resampler {
        let (fin, fout) = (from.hz() as usize, to.hz() as usize);
        let g = gcd(fin, fout);
        let (l, m) = (fout / g, fin / g);
        let chunk = CHUNK / m * m;
        let low = fin.min(fout) as f64;
        let pass = PASSBAND * low / 2.0;
        let sharp = Spec {
            pass,
            stop: low / 2.0,
            atten: SHARP_DB,
        };
        let mut stages = Vec::new();
        let mut delay = (0u64, 1u64);
        let mut add_delay = |(num, den): (u64, u64)| {
            delay = (delay.0 * den + num * delay.1, delay.1 * den);
            let g = gcd(delay.0 as usize, delay.1 as usize).max(1) as u64;
            delay = (delay.0 / g, delay.1 / g);
        };
        let (lo, hi) = (fin.min(fout), fin.max(fout));
        if fin == fout {
        } else if hi >= 3 * lo {
            // Through twice the lower rate: the sharp filter there, then a
            // wide one that only has to remove images from 1.5 × low up.
            let middle = 2 * lo;
            let wide = Spec {
                pass,
                stop: 1.5 * low,
                atten: WIDE_DB,
            };
            let (first, second) = if fin < fout {
                (
                    Stage::new(fin, middle, sharp, chunk),
                    Stage::new(middle, fout, wide, chunk * middle / fin),
                )
            } else {
                (
                    Stage::new(fin, middle, wide, chunk),
                    Stage::new(middle, fout, sharp, chunk * middle / fin),
                )
            };
            add_delay(first.delay(fin));
            add_delay(second.delay(middle));
            stages.push(first);
            stages.push(second);
        } else {
            let only = Stage::new(fin, fout, sharp, chunk);
            add_delay(only.delay(fin));
            stages.push(only);
        }
        let mid_len = if stages.len() == 2 {
            chunk * 2 * lo / fin
        } else {
            0
        };
        let chunk_out = chunk / m * l;
        Resampler {
            from,
            to,
            l,
            m,
            stages,
            chunk,
            mid: vec![0.0; mid_len],
            scratch_in: vec![0.0; chunk],
            scratch_out: vec![0.0; chunk_out],
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
        let out_chunk = self.chunk / self.m * self.l;
        for (i, o) in input.chunks(self.chunk).zip(output.chunks_mut(out_chunk)) {
            run_stages(&mut self.stages, &mut self.mid, i, o);
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
        let out_chunk = self.chunk / self.m * self.l;
        let mut clipped = 0;
        for (i, o) in input.chunks(self.chunk).zip(output.chunks_mut(out_chunk)) {
            let fin = &mut self.scratch_in[..i.len()];
            for (d, &s) in fin.iter_mut().zip(i) {
                *d = f32::from(s);
            }
            let fout = &mut self.scratch_out[..o.len()];
            run_stages(&mut self.stages, &mut self.mid, fin, fout);
            let mut over = 0u32;
            for (d, &v) in o.iter_mut().zip(fout.iter()) {
                over += u32::from(!(-32768.5..32767.5).contains(&v));
                // After the clamp, `c + ROUND` holds the rounded value in
                // its low mantissa bits: read them as an integer (exact,
                // and it vectorises, where `as i16` would not).
                let c = v.clamp(-32768.0, 32767.0);
                *d = ((c + ROUND).to_bits() as i32 - ROUND.to_bits() as i32) as i16;
            }
            clipped += over as usize;
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
            d.field(name, &format_args!("×{}/{}, {} taps", s.l, s.m, s.n));
        }
        d.finish()
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn bessel_i0_matches_known_values() {
        // I0(0) = 1, I0(1) = 1.2660658777520082, I0(10) = 2815.716628466254
        assert_eq!(bessel_i0(0.0), 1.0);
        assert!((bessel_i0(1.0) - 1.266_065_877_752_008_2).abs() < 1e-15);
        assert!((bessel_i0(10.0) / 2_815.716_628_466_254 - 1.0).abs() < 1e-14);
    }

    #[test]
    fn every_output_phase_has_unit_gain_at_dc() {
        for from in SampleRate::ALL {
            for to in SampleRate::ALL {
                let r = Resampler::new(from, to);
                for s in &r.stages {
                    for i in 0..s.l {
                        let sum: f64 = s.coefs[i * s.m * s.taps..(i + 1) * s.m * s.taps]
                            .iter()
                            .map(|&c| f64::from(c))
                            .sum();
                        assert!((sum - 1.0).abs() < 1e-5, "{from}→{to} phase {i}: {sum}");
                    }
                }
            }
        }
    }
}
