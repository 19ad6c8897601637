//! The resampler's stated quality, measured for every pair of rates and
//! for both sample types with tones this test computes itself: a flat
//! passband, images and aliases at least 70 dB down, the transition band
//! between, the stated delay; then streaming, errors, the identity.
//!
//! `cargo test --test resample -- --nocapture` prints the measured figures
//! per pair; `benches/resample_response.py` plots them from
//! `write_response` (ignored: it writes a file).

use std::f64::consts::PI;

use barge::resample::Resampler;
use barge::{Error, SampleRate};

const AMP: f64 = 0.5;

/// Every pair of distinct rates, (from, to).
fn pairs() -> Vec<(SampleRate, SampleRate)> {
    let mut v = Vec::new();
    for from in SampleRate::ALL {
        for to in SampleRate::ALL {
            if from != to {
                v.push((from, to));
            }
        }
    }
    v
}

fn hz(r: SampleRate) -> f64 {
    f64::from(r.hz())
}

/// The sample type a conversion runs in: `process` or `process_i16`.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Samples {
    F32,
    I16,
}

const BOTH: [Samples; 2] = [Samples::F32, Samples::I16];

/// `seconds` of a sine of `f` Hz at `rate`, amplitude `AMP`, phase 0 at
/// sample 0.
fn tone(f: f64, rate: f64, seconds: f64) -> Vec<f32> {
    let n = (rate * seconds) as usize;
    (0..n)
        .map(|k| (AMP * (2.0 * PI * f * k as f64 / rate).sin()) as f32)
        .collect()
}

/// Runs `input` (fractions of full scale) through a fresh resampler in
/// 20 ms frames, as `f32`, or as `i16` (scaled by 32,768 and rounded, and
/// the output scaled back).
fn convert_as(samples: Samples, from: SampleRate, to: SampleRate, input: &[f32]) -> Vec<f32> {
    let mut r = Resampler::new(from, to);
    let (fin, fout) = (from.hz() as usize / 50, to.hz() as usize / 50);
    let mut out = vec![0.0f32; input.len() / fin * fout];
    for (i, o) in input.chunks_exact(fin).zip(out.chunks_exact_mut(fout)) {
        match samples {
            Samples::F32 => r.process(i, o).map(|()| 0).unwrap(),
            Samples::I16 => {
                let pcm: Vec<i16> = i.iter().map(|&v| (v * 32768.0).round() as i16).collect();
                let mut heard = vec![0i16; fout];
                let clipped = r.process_i16(&pcm, &mut heard).unwrap();
                for (d, &v) in o.iter_mut().zip(&heard) {
                    *d = f32::from(v) / 32768.0;
                }
                clipped
            }
        };
    }
    out
}

fn convert(from: SampleRate, to: SampleRate, input: &[f32]) -> Vec<f32> {
    convert_as(Samples::F32, from, to, input)
}

/// The least-squares fit of `a sin(2πft) + b cos(2πft)` to `y` (samples
/// `start..` at `rate`): `(a, b)`.
fn fit(y: &[f32], start: usize, f: f64, rate: f64) -> (f64, f64) {
    let (mut ss, mut cc, mut sc, mut ys, mut yc) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for (k, &v) in y.iter().enumerate().skip(start) {
        let w = 2.0 * PI * f * k as f64 / rate;
        let (s, c) = w.sin_cos();
        let v = f64::from(v);
        ss += s * s;
        cc += c * c;
        sc += s * c;
        ys += v * s;
        yc += v * c;
    }
    let det = ss * cc - sc * sc;
    ((ys * cc - yc * sc) / det, (yc * ss - ys * sc) / det)
}

fn db(x: f64) -> f64 {
    20.0 * x.log10()
}

/// The samples to skip before the output is steady: the filters' whole
/// length, with margin.
fn settle(r: &Resampler) -> usize {
    (2.0 * r.delay_samples()) as usize + 64
}

/// What one tone did: its level in dB, the rest of the output in dB below
/// the tone's input level, and the delay its phase shows, in output
/// samples, less the stated delay (modulo the tone's period).
struct Tone {
    gain_db: f64,
    rest_db: f64,
    delay_error: f64,
}

fn measure_tone_as(samples: Samples, from: SampleRate, to: SampleRate, f: f64) -> Tone {
    let r = Resampler::new(from, to);
    let y = convert_as(samples, from, to, &tone(f, hz(from), 0.3));
    let start = settle(&r);
    let (fout, (a, b)) = (hz(to), fit(&y, start, f, hz(to)));
    let level = a.hypot(b);
    let rest = y[start..]
        .iter()
        .enumerate()
        .map(|(k, &v)| {
            let w = 2.0 * PI * f * (k + start) as f64 / fout;
            (f64::from(v) - a * w.sin() - b * w.cos()).powi(2)
        })
        .sum::<f64>()
        / (y.len() - start) as f64;
    // y = A sin(2πf(t - τ)) = A cos(2πfτ) sin(2πft) - A sin(2πfτ) cos(2πft)
    let tau = (-b).atan2(a) / (2.0 * PI * f) * fout; // in output samples
    let period = fout / f;
    let mut err = (tau - r.delay_samples()) % period;
    if err > period / 2.0 {
        err -= period;
    }
    if err < -period / 2.0 {
        err += period;
    }
    Tone {
        gain_db: db(level / AMP),
        rest_db: db(rest.sqrt() / (AMP / 2f64.sqrt())),
        delay_error: err,
    }
}

fn measure_tone(from: SampleRate, to: SampleRate, f: f64) -> Tone {
    measure_tone_as(Samples::F32, from, to, f)
}

/// The output of a tone that must not pass, in dB below its input level.
fn stop_level_db_as(samples: Samples, from: SampleRate, to: SampleRate, f: f64) -> f64 {
    let r = Resampler::new(from, to);
    let y = convert_as(samples, from, to, &tone(f, hz(from), 0.3));
    let start = settle(&r);
    let ms = y[start..]
        .iter()
        .map(|&v| f64::from(v).powi(2))
        .sum::<f64>()
        / (y.len() - start) as f64;
    db(ms.sqrt() / (AMP / 2f64.sqrt()))
}

fn stop_level_db(from: SampleRate, to: SampleRate, f: f64) -> f64 {
    stop_level_db_as(Samples::F32, from, to, f)
}

/// The passband tones: 300 Hz to 0.85 × the lower Nyquist frequency.
fn passband(from: SampleRate, to: SampleRate) -> Vec<f64> {
    let edge = 0.85 * hz(from).min(hz(to)) / 2.0;
    let n = 24;
    (0..=n)
        .map(|k| 300.0 + (edge - 300.0) * k as f64 / n as f64)
        .collect()
}

/// The tones a conversion down must stop: 1.15 × the lower Nyquist
/// frequency up to just below the higher one.
fn stopband(from: SampleRate, to: SampleRate) -> Vec<f64> {
    let (lo, hi) = (1.15 * hz(to) / 2.0, hz(from) / 2.0);
    let n = 40;
    (0..=n)
        .map(|k| lo + (0.995 * hi - lo) * k as f64 / n as f64)
        .collect()
}

#[test]
fn the_passband_is_flat_within_a_tenth_of_a_db_for_every_pair() {
    for samples in BOTH {
        for (from, to) in pairs() {
            let worst = passband(from, to)
                .into_iter()
                .map(|f| (f, measure_tone_as(samples, from, to, f).gain_db))
                .fold(
                    (0.0, 0.0f64),
                    |w, t| if t.1.abs() > w.1.abs() { t } else { w },
                );
            eprintln!(
                "{from} → {to} {samples:?}: passband ripple {:+.4} dB (at {:.0} Hz)",
                worst.1, worst.0
            );
            assert!(
                worst.1.abs() <= 0.1,
                "{from} → {to} {samples:?}: {:.3} dB at {} Hz",
                worst.1,
                worst.0
            );
        }
    }
}

#[test]
fn images_of_passband_tones_are_at_least_70_db_down_for_every_pair() {
    // Converting up, everything but the tone is images; converting down, a
    // passband tone has none, and anything else would be a fault too. In
    // `i16`, the rounding of every sample is in it too (about 92 dB down).
    for samples in BOTH {
        for (from, to) in pairs() {
            let worst = passband(from, to)
                .into_iter()
                .map(|f| (f, measure_tone_as(samples, from, to, f).rest_db))
                .fold((0.0, f64::MIN), |w, t| if t.1 > w.1 { t } else { w });
            eprintln!(
                "{from} → {to} {samples:?}: images {:.1} dB (at {:.0} Hz)",
                worst.1, worst.0
            );
            assert!(
                worst.1 <= -70.0,
                "{from} → {to} {samples:?}: {:.1} dB at {} Hz",
                worst.1,
                worst.0
            );
        }
    }
}

#[test]
fn tones_from_1_15_times_the_lower_nyquist_frequency_are_at_least_70_db_down_converting_down() {
    // Everything they leave in the output, not only what lands in the
    // passband.
    for samples in BOTH {
        for (from, to) in pairs().into_iter().filter(|(f, t)| f > t) {
            let worst = stopband(from, to)
                .into_iter()
                .map(|f| (f, stop_level_db_as(samples, from, to, f)))
                .fold((0.0, f64::MIN), |w, t| if t.1 > w.1 { t } else { w });
            eprintln!(
                "{from} → {to} {samples:?}: aliases {:.1} dB (at {:.0} Hz)",
                worst.1, worst.0
            );
            assert!(
                worst.1 <= -70.0,
                "{from} → {to} {samples:?}: {:.1} dB at {} Hz",
                worst.1,
                worst.0
            );
        }
    }
}

/// The amplitude (relative to the input's) of the component at `g` Hz of
/// the output of a tone at `f` Hz.
fn component(from: SampleRate, to: SampleRate, f: f64, g: f64) -> f64 {
    let r = Resampler::new(from, to);
    let y = convert(from, to, &tone(f, hz(from), 0.3));
    let (a, b) = fit(&y, settle(&r), g, hz(to));
    a.hypot(b) / AMP
}

#[test]
fn the_transition_band_passes_half_the_amplitude_at_the_lower_nyquist_frequency() {
    // The module documentation's statement: between 0.85 and 1.15 × the
    // lower Nyquist frequency the gains at (1 - x) and (1 + x) × Nyquist
    // add up to one. Converting up, a tone at (1 - x) comes out at the
    // first and leaves its image at (1 + x) at the second; converting
    // down, a tone at (1 + x) comes out as an alias at (1 - x) at the
    // second.
    for (from, to) in pairs() {
        let nyquist = hz(from).min(hz(to)) / 2.0;
        let mut worst = 0.0f64;
        for x in [0.02, 0.05, 0.1, 0.14] {
            let (below, above) = ((1.0 - x) * nyquist, (1.0 + x) * nyquist);
            let passed = component(from, to, below, below);
            let mirrored = if from < to {
                component(from, to, below, above)
            } else {
                component(from, to, above, below)
            };
            worst = worst.max((passed + mirrored - 1.0).abs());
            assert!(
                passed < 1.0 + 0.012,
                "{from} → {to} at {below} Hz: {passed}"
            );
        }
        eprintln!("{from} → {to}: gains at 1 ± x add up to 1 within {worst:.4}");
        assert!(worst < 0.01, "{from} → {to}: {worst}");
    }
}

#[test]
fn every_passband_tone_is_delayed_by_the_stated_delay() {
    for samples in BOTH {
        for (from, to) in pairs() {
            let r = Resampler::new(from, to);
            let worst = passband(from, to)
                .into_iter()
                .map(|f| measure_tone_as(samples, from, to, f).delay_error)
                .fold(0.0f64, |w, e| w.max(e.abs()));
            eprintln!(
                "{from} → {to} {samples:?}: delay {:.3} samples = {:.3} ms, measured within {:.4} samples",
                r.delay_samples(),
                r.delay().as_secs_f64() * 1e3,
                worst
            );
            assert!(
                worst < 0.05,
                "{from} → {to} {samples:?}: {worst} samples off"
            );
            let stated = r.delay_samples() / hz(to);
            assert!((r.delay().as_secs_f64() - stated).abs() < 1e-9);
        }
    }
}

/// The delay of each pair before the half-band design (the polyphase
/// design it replaced), in ms: no pair may have more.
const DELAY_BEFORE_MS: [((u32, u32), f64); 10] = [
    ((8_000, 16_000), 3.906),
    ((8_000, 24_000), 4.208),
    ((8_000, 32_000), 4.203),
    ((8_000, 48_000), 4.208),
    ((16_000, 24_000), 1.990),
    ((16_000, 32_000), 1.953),
    ((16_000, 48_000), 2.104),
    ((24_000, 32_000), 1.307),
    ((24_000, 48_000), 1.302),
    ((32_000, 48_000), 0.995),
];

#[test]
fn no_pair_is_delayed_more_than_before_and_every_filter_forgets_within_a_frame() {
    for (from, to) in pairs() {
        let r = Resampler::new(from, to);
        let key = (from.hz().min(to.hz()), from.hz().max(to.hz()));
        let before = DELAY_BEFORE_MS
            .iter()
            .find(|(k, _)| *k == key)
            .map(|&(_, ms)| ms)
            .unwrap();
        let ms = r.delay().as_secs_f64() * 1e3;
        assert!(ms <= before, "{from} → {to}: {ms} ms, was {before} ms");
        // A linear-phase filter remembers twice its delay: under the
        // shortest frame (10 ms), which the privacy rule for converted
        // legs relies on.
        assert!(2.0 * ms < 10.0, "{from} → {to}: {ms} ms");
    }
}

/// A deterministic, broadband test signal.
fn noise(len: usize, seed: u32) -> Vec<f32> {
    let mut x = seed.wrapping_mul(2_654_435_761).max(1);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 8) as f32 / (1u32 << 24) as f32 - 0.5
        })
        .collect()
}

#[test]
fn a_signal_cut_into_frames_comes_out_as_in_one_call() {
    for (from, to) in pairs() {
        let input = noise(from.hz() as usize / 5, 7); // 200 ms
        let mut whole = vec![0.0; to.hz() as usize / 5];
        Resampler::new(from, to)
            .process(&input, &mut whole)
            .unwrap();
        // Frames of 10, 20, 30, 40 and 60 ms, then the rest.
        let mut r = Resampler::new(from, to);
        let mut framed = Vec::new();
        let mut rest = &input[..];
        for ms in [10, 20, 30, 40, 60, 40] {
            let n = (from.hz() as usize * ms / 1000).min(rest.len());
            let mut out = vec![0.0; n * to.hz() as usize / from.hz() as usize];
            r.process(&rest[..n], &mut out).unwrap();
            framed.extend_from_slice(&out);
            rest = &rest[n..];
        }
        assert!(rest.is_empty());
        assert_eq!(framed, whole, "{from} → {to}");
    }
}

#[test]
fn equal_rates_copy_bit_for_bit_with_no_delay() {
    for rate in SampleRate::ALL {
        let mut r = Resampler::new(rate, rate);
        assert_eq!(r.delay_samples(), 0.0);
        assert_eq!(r.delay(), std::time::Duration::ZERO);
        let mut input = noise(rate.hz() as usize / 50, 3);
        input[0] = f32::from_bits(1); // a subnormal
        input[1] = -0.0;
        let mut out = vec![1.0; input.len()];
        r.process(&input, &mut out).unwrap();
        assert_eq!(
            out.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            input.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        );
        let pcm: Vec<i16> = (0..input.len())
            .map(|k| (k as i16).wrapping_mul(4099))
            .collect();
        let mut out = vec![0i16; pcm.len()];
        assert_eq!(r.process_i16(&pcm, &mut out), Ok(0));
        assert_eq!(out, pcm);
    }
}

#[test]
fn a_frame_of_the_wrong_length_is_an_error_that_changes_nothing() {
    for (from, to) in pairs() {
        let (fin, fout) = (from.hz() as usize / 50, to.hz() as usize / 50);
        let first = noise(fin, 1);
        let second = noise(fin, 2);
        let mut r = Resampler::new(from, to);
        let mut out = vec![0.0f32; fout];
        r.process(&first, &mut out).unwrap();
        // Wrong output lengths: nothing written, history unchanged.
        for wrong in [0, fout - 1, fout + 1] {
            let mut bad = vec![9.0f32; wrong];
            assert_eq!(
                r.process(&second, &mut bad),
                Err(Error::LengthMismatch {
                    what: "resampler output samples",
                    given: wrong,
                    expected: fout
                })
            );
            assert!(bad.iter().all(|&v| v == 9.0));
            let mut bad = vec![9i16; wrong];
            assert!(r.process_i16(&vec![100; fin], &mut bad).is_err());
            assert!(bad.iter().all(|&v| v == 9));
        }
        // An input that is not a whole number of conversion steps.
        let step = from.hz() as usize / gcd(from.hz() as usize, to.hz() as usize);
        if step > 1 {
            let mut any = vec![9.0f32; fout];
            let err = r.process(&second[..fin - 1], &mut any).unwrap_err();
            assert!(matches!(err, Error::LengthMismatch { given, .. } if given == fin - 1));
            assert!(any.iter().all(|&v| v == 9.0));
        }
        let mut after = vec![0.0f32; fout];
        r.process(&second, &mut after).unwrap();
        let mut clean = Resampler::new(from, to);
        let mut expect = vec![0.0f32; fout];
        clean.process(&first, &mut expect).unwrap();
        clean.process(&second, &mut expect).unwrap();
        assert_eq!(after, expect, "{from} → {to}");
    }
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

#[test]
fn reset_forgets_the_history() {
    for (from, to) in pairs() {
        let (fin, fout) = (from.hz() as usize / 50, to.hz() as usize / 50);
        let mut r = Resampler::new(from, to);
        let mut out = vec![0.0f32; fout];
        r.process(&noise(fin, 5), &mut out).unwrap();
        r.reset();
        r.process(&vec![0.0; fin], &mut out).unwrap();
        assert!(out.iter().all(|&v| v == 0.0), "{from} → {to}");
    }
}

#[test]
fn i16_output_is_the_f32_output_rounded_and_saturated() {
    for (from, to) in pairs() {
        let (fin, fout) = (from.hz() as usize / 50, to.hz() as usize / 50);
        // Speech-level noise, then a full-scale square wave that overshoots.
        let speech: Vec<i16> = noise(fin, 9)
            .iter()
            .map(|&v| (v * 16000.0) as i16)
            .collect();
        let square: Vec<i16> = (0..fin)
            .map(|k| {
                if (k / (fin / 8).max(1)) % 2 == 0 {
                    32767
                } else {
                    -32768
                }
            })
            .collect();
        let mut ri = Resampler::new(from, to);
        let mut rf = Resampler::new(from, to);
        let mut total_clipped = 0;
        for frame in [&speech, &square] {
            let mut oi = vec![0i16; fout];
            let clipped = ri.process_i16(frame, &mut oi).unwrap();
            let fi: Vec<f32> = frame.iter().map(|&v| f32::from(v)).collect();
            let mut of = vec![0.0f32; fout];
            rf.process(&fi, &mut of).unwrap();
            let expect: Vec<i16> = of
                .iter()
                .map(|&v| v.round().clamp(-32768.0, 32767.0) as i16)
                .collect();
            let expect_clipped = of
                .iter()
                .filter(|&&v| v.round() > 32767.0 || v.round() < -32768.0)
                .count();
            // Rounding ties may go either way; there are none to speak of.
            let differ = oi
                .iter()
                .zip(&expect)
                .filter(|(a, b)| (**a as i32 - **b as i32).abs() > 1)
                .count();
            assert_eq!(differ, 0, "{from} → {to}");
            assert_eq!(clipped, expect_clipped, "{from} → {to}");
            total_clipped += clipped;
        }
        assert!(
            total_clipped > 0,
            "{from} → {to}: the square wave overshoots"
        );
    }
}

#[test]
fn non_finite_input_stays_where_the_filter_reaches_and_reset_clears_it() {
    for (from, to) in pairs() {
        let (fin, fout) = (from.hz() as usize / 50, to.hz() as usize / 50);
        let mut r = Resampler::new(from, to);
        let mut bad = vec![0.0f32; fin];
        bad[fin / 2] = f32::NAN;
        bad[fin / 2 + 1] = f32::INFINITY;
        let mut out = vec![0.0f32; fout];
        r.process(&bad, &mut out).unwrap();
        assert!(
            out[..fout / 4].iter().all(|v| v.is_finite()),
            "{from} → {to}"
        );
        r.reset();
        r.process(&vec![0.25; fin], &mut out).unwrap();
        assert!(out.iter().all(|v| v.is_finite()), "{from} → {to}");
    }
}

/// Writes the measured response of every pair to `$BARGE_RESPONSE` (CSV:
/// from, to, frequency at the higher rate, level in dB) for
/// `benches/resample_response.py`. Converting up, the level at `g` is the
/// output component at `g` for the input tone that `g` folds to below the
/// lower Nyquist frequency (the tone itself, or one of its images);
/// converting down, the output level of an input tone at `g`.
#[test]
#[ignore = "writes a file for the plot script"]
fn write_response() {
    use std::fmt::Write as _;
    let path =
        std::env::var("BARGE_RESPONSE").unwrap_or_else(|_| "target/resample_response.csv".into());
    let mut csv = String::from("from,to,hz,db\n");
    for (from, to) in pairs() {
        let (fin, fout) = (hz(from), hz(to));
        let (lo, hi) = (fin.min(fout), fin.max(fout));
        let n = 400;
        for k in 1..n {
            let g = hi / 2.0 * k as f64 / n as f64;
            let level = if fin < fout {
                // The input tone whose image (or self) lands at g.
                let m = g % fin;
                let f = if m <= fin / 2.0 { m } else { fin - m };
                if f < 20.0 || (fin / 2.0 - f).abs() < 20.0 {
                    continue;
                }
                let r = Resampler::new(from, to);
                let mut y = convert(from, to, &tone(f, fin, 0.3));
                let start = settle(&r);
                if (g - f).abs() > 1.0 {
                    // Take the tone out first, so that its leakage into the
                    // fit at g does not pass for an image.
                    let (a, b) = fit(&y, start, f, fout);
                    for (k, v) in y.iter_mut().enumerate() {
                        let w = 2.0 * PI * f * k as f64 / fout;
                        *v -= (a * w.sin() + b * w.cos()) as f32;
                    }
                }
                let (a, b) = fit(&y, start, g, fout);
                db(a.hypot(b) / AMP)
            } else if g < lo / 2.0 {
                measure_tone(from, to, g.max(1.0)).gain_db
            } else {
                stop_level_db(from, to, g)
            };
            writeln!(csv, "{},{},{g:.1},{level:.3}", from.hz(), to.hz()).unwrap();
        }
    }
    std::fs::write(&path, csv).unwrap();
}
