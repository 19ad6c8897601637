//! The filters: which stages convert a pair of rates, and their taps.
//!
//! Every filter is a Kaiser-windowed sinc, designed in `f64` when a
//! [`Resampler`](super::Resampler) is made and rounded to `f32` once. The
//! numbers below are the whole design; `tests/resample.rs` measures what
//! they give for every pair.

use alloc::vec::Vec;

/// The passband edge, as a fraction of the lower rate's Nyquist frequency:
/// flat within ±0.1 dB up to here.
pub(super) const PASS: f64 = 0.85;

/// The stopband edge, as a fraction of the lower rate's Nyquist frequency:
/// at least 70 dB down from here. A half-band filter's edges are symmetric
/// about the Nyquist frequency, so `PASS + STOP` is 2.
pub(super) const STOP: f64 = 1.15;

/// Non-zero tap pairs of the sharp half-band filter (63 taps, 31 of them
/// zero or the centre).
pub(super) const SHARP_PAIRS: usize = 16;

/// The attenuation the sharp filters are designed for, in dB (Kaiser's β):
/// 73 dB measured at the stopband edge, more beyond it.
const SHARP_DB: f64 = 75.0;

/// The attenuation the wide stages are designed for, in dB. They cost few
/// taps, so they take more margin, and the sharp stage's stopband stays
/// what limits a conversion: a third-band stage (37 taps) costs no more at
/// 80 dB than at 75, its end taps falling on its zeros.
const WIDE_DB: f64 = 80.0;

/// One stage of a conversion.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum StageSpec {
    /// A half-band filter between `low` and `2 × low` Hz (up when `up`),
    /// with `pairs` pairs of non-zero taps beside the centre, designed for
    /// `atten` dB.
    HalfBand {
        up: bool,
        low: usize,
        pairs: usize,
        atten: f64,
    },
    /// A polyphase filter from `fin` to `fout` Hz, flat to `pass` Hz and
    /// `atten` dB down from `stop` Hz.
    Poly {
        fin: usize,
        fout: usize,
        pass: f64,
        stop: f64,
        atten: f64,
    },
}

/// The stages that convert `fin` Hz to `fout` Hz (distinct rates of
/// [`SampleRate`](crate::format::SampleRate)), in order.
///
/// The sharp filter, whose transition band is 0.85–1.15 × the lower
/// Nyquist frequency, always runs at twice the lower rate, where it is a
/// half-band filter: every other tap is zero, and converting up every other
/// output sample is an input sample. What else a conversion needs runs
/// beside it at the higher rate with a wide transition band (from 1.15 ×
/// the lower Nyquist frequency to where the first image or alias would
/// reach back to it), which takes few taps. Where the higher rate is not a
/// multiple of the lower (16 ↔ 24, 24 ↔ 32 and 32 ↔ 48 kHz: twice the lower
/// rate is above the higher), one polyphase filter does it all.
pub(super) fn plan(fin: usize, fout: usize) -> Vec<StageSpec> {
    let (lo, hi) = (fin.min(fout), fin.max(fout));
    let up = fin < fout;
    let low = lo as f64;
    let sharp = StageSpec::HalfBand {
        up,
        low: lo,
        pairs: SHARP_PAIRS,
        atten: SHARP_DB,
    };
    // The wide stage between 2 × low and the higher rate: flat up to where
    // the sharp stage stops, and stopped from where an image of that (or
    // an alias onto it) would begin. Its edges are symmetric about `low`,
    // a quarter of 4 × low (a half-band filter) or a sixth of the grid of a
    // stage by 3, 3/2 or 2/3 (a third-band filter, with its zeros).
    let wide_pass = STOP * low / 2.0;
    let wide_stop = 2.0 * low - wide_pass;
    let wide = |a: usize, b: usize| {
        if a.max(b) == 2 * a.min(b) {
            StageSpec::HalfBand {
                up: a < b,
                low: a.min(b),
                pairs: half_band_pairs(wide_pass, wide_stop, (2 * a.min(b)) as f64, WIDE_DB),
                atten: WIDE_DB,
            }
        } else {
            StageSpec::Poly {
                fin: a,
                fout: b,
                pass: wide_pass,
                stop: wide_stop,
                atten: WIDE_DB,
            }
        }
    };
    let mut stages = Vec::with_capacity(2);
    if hi == 2 * lo {
        stages.push(sharp);
    } else if hi % lo == 0 {
        let middle = 2 * lo;
        if up {
            stages.push(sharp);
            stages.push(wide(middle, fout));
        } else {
            stages.push(wide(fin, middle));
            stages.push(sharp);
        }
    } else {
        stages.push(StageSpec::Poly {
            fin,
            fout,
            pass: PASS * low / 2.0,
            stop: STOP * low / 2.0,
            atten: SHARP_DB,
        });
    }
    stages
}

/// Kaiser's estimate of the length of a filter with this attenuation (dB)
/// and transition width (a fraction of the sampling rate).
pub(super) fn kaiser_len(atten: f64, width: f64) -> f64 {
    (atten - 7.95) / (2.285 * 2.0 * core::f64::consts::PI * width) + 1.0
}

/// Kaiser's β for this attenuation (dB, above 50).
fn kaiser_beta(atten: f64) -> f64 {
    0.1102 * (atten - 8.7)
}

/// The pairs a half-band filter at `grid` Hz needs for this passband edge,
/// stopband edge and attenuation: Kaiser's estimate, rounded up to a
/// length of `4 × pairs − 1`.
fn half_band_pairs(pass: f64, stop: f64, grid: f64, atten: f64) -> usize {
    let len = libm::ceil(kaiser_len(atten, (stop - pass) / grid)) as usize;
    (len + 1).div_ceil(4).max(1)
}

/// The zeroth-order modified Bessel function of the first kind, by its
/// power series (converges for every argument a Kaiser window uses).
pub(super) fn bessel_i0(x: f64) -> f64 {
    let q = x * x / 4.0;
    let (mut sum, mut term, mut k) = (1.0f64, 1.0f64, 1.0f64);
    while term > sum * 1e-17 && k < 500.0 {
        term *= q / (k * k);
        sum += term;
        k += 1.0;
    }
    sum
}

/// `n` taps of a Kaiser-windowed sinc lowpass with its cutoff at `cutoff`
/// (cycles per sample), for `atten` dB; symmetric about `(n - 1) / 2`.
pub(super) fn lowpass(n: usize, cutoff: f64, atten: f64) -> Vec<f64> {
    let beta = kaiser_beta(atten);
    let centre = (n - 1) as f64 / 2.0;
    let i0_beta = bessel_i0(beta);
    (0..n)
        .map(|s| {
            let x = s as f64 - centre;
            let sinc = if x == 0.0 {
                2.0 * cutoff
            } else {
                libm::sin(2.0 * core::f64::consts::PI * cutoff * x) / (core::f64::consts::PI * x)
            };
            let r = if centre > 0.0 { x / centre } else { 0.0 };
            sinc * bessel_i0(beta * libm::sqrt((1.0 - r * r).max(0.0))) / i0_beta
        })
        .collect()
}

/// The non-zero taps beside the centre of a half-band lowpass of
/// `4 × pairs − 1` taps (a sinc cut off at a quarter of the rate, whose
/// every other tap is zero), designed for `atten` dB: `g[j]` is the tap at
/// `2j + 1` from the centre on either side, and the centre is 1/2. Scaled
/// so that the taps sum to exactly one (`2 Σ g = 1/2`).
pub(super) fn half_band(pairs: usize, atten: f64) -> Vec<f64> {
    let n = 4 * pairs - 1;
    let h = lowpass(n, 0.25, atten);
    let centre = 2 * pairs - 1;
    let g: Vec<f64> = (0..pairs).map(|j| h[centre + 2 * j + 1]).collect();
    let sum: f64 = g.iter().sum();
    g.iter().map(|v| v * 0.25 / sum).collect()
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
    fn a_sinc_cut_at_a_quarter_of_the_rate_is_a_half_band_filter() {
        let h = lowpass(63, 0.25, 75.0);
        for (k, &v) in h.iter().enumerate() {
            let from_centre = k.abs_diff(31);
            if from_centre != 0 && from_centre % 2 == 0 {
                assert!(v.abs() < 1e-15, "tap {k}: {v}");
            }
        }
        assert!((h[31] - 0.5).abs() < 1e-12);
        let g = half_band(16, 75.0);
        assert!((g.iter().sum::<f64>() - 0.25).abs() < 1e-15);
    }

    #[test]
    fn every_pair_has_its_sharp_stage_at_twice_the_lower_rate() {
        use crate::format::SampleRate;
        for from in SampleRate::ALL {
            for to in SampleRate::ALL {
                let (fin, fout) = (from.hz() as usize, to.hz() as usize);
                if fin == fout {
                    continue;
                }
                let stages = plan(fin, fout);
                let lo = fin.min(fout);
                // The transition band 0.85–1.15 × the lower Nyquist
                // frequency: a half-band filter at twice the lower rate, or
                // a polyphase one that stops there.
                let sharp = stages.iter().filter(|s| match s {
                    StageSpec::HalfBand { low, pairs, .. } => *low == lo && *pairs == SHARP_PAIRS,
                    StageSpec::Poly { stop, .. } => *stop == STOP * lo as f64 / 2.0,
                });
                assert_eq!(sharp.count(), 1, "{fin} → {fout}: {stages:?}");
            }
        }
    }
}
