//! The tone generator, measured from the audio it writes: frequency (zero
//! crossings), level (RMS, and a DFT per component), cadence (where each
//! burst starts and ends), at every rate and in both sample types; framing,
//! allocation, an hour without drift, and the errors.

use std::f64::consts::PI;

use barge::dtmf::Digit;
use barge::tone::{Cadence, Component, Repeat, ToneGenerator, ToneSpec};
use barge::{Error, SampleRate};

#[path = "support/counting.rs"]
mod counting;
use counting::allocations;

/// RMS of a sine at 0 dBm0 in i16 units, from G.711's +3.14 dBm0 for a
/// full-scale sine (computed here, not taken from the crate).
fn dbm0_rms() -> f64 {
    dbm0_peak() / 2f64.sqrt()
}

/// The peak of a sine at 0 dBm0: full scale less 3.14 dB.
fn dbm0_peak() -> f64 {
    32768.0 * 10f64.powf(-FULL_SCALE_DBM0 / 20.0)
}

/// The level of a full-scale sine (A-law, G.711), in dBm0.
#[allow(clippy::approx_constant)] // 3.14 dB, not π
const FULL_SCALE_DBM0: f64 = 3.14;

fn hz(rate: SampleRate) -> f64 {
    f64::from(rate.hz())
}

fn per_ms(rate: SampleRate) -> usize {
    rate.hz() as usize / 1000
}

/// `n` samples of `spec` at `rate` as `f64` in i16 units, written as
/// `i16` or (`f32` × 32768).
fn render(spec: &ToneSpec, rate: SampleRate, n: usize, as_f32: bool) -> Vec<f64> {
    let mut g = ToneGenerator::new(spec, rate).unwrap();
    if as_f32 {
        let mut x = vec![0.0f32; n];
        g.fill(&mut x);
        x.iter().map(|&v| f64::from(v) * 32768.0).collect()
    } else {
        let mut x = vec![0i16; n];
        g.fill(&mut x);
        x.iter().map(|&v| f64::from(v)).collect()
    }
}

/// Frequency from upward zero crossings, interpolated linearly.
fn zero_crossing_hz(x: &[f64], rate: f64) -> f64 {
    let mut first = None;
    let mut last = 0.0;
    let mut count = 0;
    for k in 1..x.len() {
        if x[k - 1] < 0.0 && x[k] >= 0.0 {
            let t = (k - 1) as f64 + x[k - 1] / (x[k - 1] - x[k]);
            if first.is_none() {
                first = Some(t);
            }
            last = t;
            count += 1;
        }
    }
    (count - 1) as f64 / ((last - first.unwrap()) / rate)
}

fn rms(x: &[f64]) -> f64 {
    (x.iter().map(|v| v * v).sum::<f64>() / x.len() as f64).sqrt()
}

fn dbm0(rms_: f64) -> f64 {
    20.0 * (rms_ / dbm0_rms()).log10()
}

/// The amplitude of the component at `f` Hz: a plain DFT at `f` over `x`
/// (a whole number of periods of every component: exact).
fn dft_amplitude(x: &[f64], f: f64, rate: f64) -> f64 {
    let (mut re, mut im) = (0.0, 0.0);
    for (k, &v) in x.iter().enumerate() {
        let w = 2.0 * PI * f * k as f64 / rate;
        re += v * w.cos();
        im -= v * w.sin();
    }
    2.0 * (re * re + im * im).sqrt() / x.len() as f64
}

#[test]
fn frequency_and_level_of_single_tones_at_every_rate() {
    for rate in SampleRate::ALL {
        for as_f32 in [false, true] {
            for (f, level) in [
                (1000.0, -13.0),
                (1400.0, -13.0),
                (440.0, 0.0),
                (3333.3, -20.0),
                (123.4, 3.0),
            ] {
                let spec = ToneSpec::single(f, level, Cadence::once(1100)).with_edge_ms(5);
                let x = render(&spec, rate, per_ms(rate) * 1100, as_f32);
                // One second from the flat part.
                let flat = &x[per_ms(rate) * 50..per_ms(rate) * 1050];
                let measured = zero_crossing_hz(flat, hz(rate));
                assert!(
                    (measured - f64::from(f)).abs() < 0.1,
                    "{rate}: {f} Hz measured {measured}"
                );
                let l = dbm0(rms(flat));
                assert!(
                    (l - f64::from(level)).abs() < 0.1,
                    "{rate}, f32 {as_f32}: {level} dBm0 measured {l}"
                );
            }
        }
    }
}

#[test]
fn dual_tone_components_have_their_own_levels() {
    for rate in SampleRate::ALL {
        for as_f32 in [false, true] {
            for d in Digit::ALL {
                let spec = ToneSpec::dtmf(d, 1000, 0).with_edge_ms(0);
                let x = render(&spec, rate, per_ms(rate) * 1000, as_f32);
                let peak0 = dbm0_peak();
                for (f, want) in [(d.row_hz(), -7.0), (d.column_hz(), -5.0)] {
                    let a = dft_amplitude(&x, f64::from(f), hz(rate));
                    let l = 20.0 * (a / peak0).log10();
                    assert!((l - want).abs() < 0.1, "{rate}, {d}: {f} Hz at {l} dBm0");
                }
                // Nothing at the other DTMF frequencies.
                for f in barge::dtmf::ROW_HZ.iter().chain(&barge::dtmf::COLUMN_HZ) {
                    if *f != d.row_hz() && *f != d.column_hz() {
                        let a = dft_amplitude(&x, f64::from(*f), hz(rate));
                        assert!(a < 2.0, "{rate}, {d}: {a} at {f} Hz");
                    }
                }
            }
        }
    }
}

/// Index of the first sample at or after `from` with |x| > `above`.
fn first_above(x: &[f64], from: usize, above: f64) -> Option<usize> {
    (from..x.len()).find(|&k| x[k].abs() > above)
}

#[test]
fn bursts_start_and_end_on_the_exact_samples() {
    for rate in SampleRate::ALL {
        for as_f32 in [false, true] {
            // No edges: the bursts are exactly on/off.
            let spec = ToneSpec::single(1000.0, -10.0, Cadence::new(30, 20, Repeat::Times(4)))
                .with_edge_ms(0);
            let x = render(&spec, rate, per_ms(rate) * 250, as_f32);
            let (on, period) = (per_ms(rate) * 30, per_ms(rate) * 50);
            for b in 0..4 {
                let start = b * period;
                // Phase 0 at each burst's first sample: 0, then rising.
                assert_eq!(x[start], 0.0, "{rate}, burst {b}");
                assert!(x[start + 1] > 0.0, "{rate}, burst {b}");
                // Every sample up to the burst's end is tone, the rest
                // silence, to the sample.
                let last_loud = (start..start + period)
                    .rev()
                    .find(|&k| x[k] != 0.0)
                    .unwrap();
                assert!(
                    last_loud >= start + on - per_ms(rate) / 2,
                    "{rate}, burst {b}"
                );
                assert!(last_loud < start + on, "{rate}, burst {b}");
                assert!(x[start + on..start + period].iter().all(|&v| v == 0.0));
            }
            assert!(x[4 * period..].iter().all(|&v| v == 0.0));
        }
    }
}

#[test]
fn edges_reach_half_amplitude_at_the_documented_samples() {
    for rate in SampleRate::ALL {
        let edge_ms = 4;
        let spec = ToneSpec::single(2000.0, -10.0, Cadence::new(40, 20, Repeat::Times(2)))
            .with_edge_ms(edge_ms);
        let x = render(&spec, rate, per_ms(rate) * 120, false);
        let peak = dbm0_peak() * 10f64.powf(-10.0 / 20.0);
        let (e, on, period) = (
            per_ms(rate) * edge_ms as usize,
            per_ms(rate) * 40,
            per_ms(rate) * 60,
        );
        // The envelope: the largest |x| over one period of the tone (8 kHz:
        // 4 samples) centred on each sample.
        let w = rate.hz() as usize / 2000;
        let env = |k: usize| {
            (k.saturating_sub(w / 2)..(k + w / 2 + 1).min(x.len()))
                .map(|i| x[i].abs())
                .fold(0.0, f64::max)
        };
        for b in 0..2 {
            let s = b * period;
            let up = (s..s + on).find(|&k| env(k) >= peak / 2.0).unwrap();
            let down = (s + e..s + period).find(|&k| env(k) < peak / 2.0).unwrap();
            let tol = w + 1;
            assert!(
                up.abs_diff(s + e / 2) <= tol,
                "{rate}: rises at {up}, expected {}",
                s + e / 2
            );
            assert!(
                down.abs_diff(s + on + e / 2) <= tol,
                "{rate}: falls at {down}, expected {}",
                s + on + e / 2
            );
            // Silent before the burst and after its falling edge.
            assert!(first_above(&x, s, 0.5).unwrap() > s);
            assert!(x[s + on + e..s + period].iter().all(|&v| v == 0.0));
            // Full amplitude between the edges.
            let top = x[s + e..s + on].iter().fold(0.0f64, |m, v| m.max(v.abs()));
            assert!((top - peak).abs() < 2.0, "{rate}: {top} vs {peak}");
        }
    }
}

#[test]
fn any_slicing_gives_the_same_samples() {
    for rate in SampleRate::ALL {
        let spec = ToneSpec::dual(
            Component::new(697.0, -7.0),
            Component::new(1477.0, -5.0),
            Cadence::new(37, 23, Repeat::Times(5)),
        );
        let n = per_ms(rate) * 320;
        let whole = {
            let mut g = ToneGenerator::new(&spec, rate).unwrap();
            let mut x = vec![0i16; n];
            g.fill_i16(&mut x);
            x
        };
        for len in [1, 7, 160] {
            let mut g = ToneGenerator::new(&spec, rate).unwrap();
            let mut x = vec![0i16; n];
            for c in x.chunks_mut(len) {
                g.fill(c);
            }
            assert_eq!(x, whole, "{rate}, slices of {len}");
        }
        // f32 is the same tone at the same scale.
        let mut g = ToneGenerator::new(&spec, rate).unwrap();
        let mut y = vec![0.0f32; n];
        for c in y.chunks_mut(7) {
            g.fill_f32(c);
        }
        for (a, b) in whole.iter().zip(&y) {
            assert!((f64::from(*a) - f64::from(*b) * 32768.0).abs() <= 0.5001);
        }
        assert!(g.is_finished());
        g.reset();
        assert!(!g.is_finished());
        let mut again = vec![0i16; n];
        g.fill(&mut again);
        assert_eq!(again, whole, "{rate}: after reset");
    }
}

#[test]
fn filling_never_allocates() {
    let mut frame_i = [0i16; 960];
    let mut frame_f = [0.0f32; 960];
    let mut gens: Vec<ToneGenerator> = SampleRate::ALL
        .iter()
        .map(|&r| ToneGenerator::new(&ToneSpec::RECORDING_WARNING, r).unwrap())
        .collect();
    let mut loud = 0;
    let before = allocations();
    for _ in 0..200 {
        for g in &mut gens {
            g.fill(&mut frame_i);
            g.fill(&mut frame_f);
            loud += usize::from(frame_i.iter().any(|&v| v != 0));
        }
    }
    assert_eq!(allocations() - before, 0);
    assert!(loud > 0);
}

#[test]
fn an_hour_of_the_recording_warning_does_not_drift() {
    let rate = SampleRate::Hz8000;
    let mut g = ToneGenerator::new(&ToneSpec::RECORDING_WARNING, rate).unwrap();
    let period = 15 * 8000;
    let mut frame = [0i16; 160];
    let mut first_burst = Vec::new();
    let mut bursts = 0;
    let mut burst = Vec::new();
    let mut k = 0usize;
    // 3600 s in 20 ms frames.
    for _ in 0..3600 * 50 {
        g.fill(&mut frame);
        for &v in &frame {
            let pos = k % period;
            if pos < 8000 {
                burst.push(v);
            } else {
                assert_eq!(v, 0, "sample {k} is in a pause");
            }
            if pos == 7999 {
                if bursts == 0 {
                    first_burst = burst.clone();
                    // 0.5 s of 1400 Hz, from -13 dBm0.
                    let x: Vec<f64> = burst.iter().map(|&v| f64::from(v)).collect();
                    let f = zero_crossing_hz(&x[..4000], 8000.0);
                    assert!((f - 1400.0).abs() < 0.1, "{f}");
                    let l = dbm0(rms(&x[100..3900]));
                    assert!((l + 13.0).abs() < 0.1, "{l}");
                } else {
                    // Every burst begins on sample 15 s × n, bit for bit the
                    // same as the first.
                    assert_eq!(burst, first_burst, "burst {bursts} at sample {}", k - 7999);
                }
                bursts += 1;
                burst.clear();
            }
            k += 1;
        }
    }
    assert_eq!(bursts, 240);
    assert!(!g.is_finished());
    assert_eq!(g.position(), 3600 * 8000);
}

#[test]
fn presets() {
    let rate = SampleRate::Hz16000;
    // Join: one 200 ms beep of 1000 Hz.
    let g = ToneGenerator::new(&ToneSpec::JOIN_BEEP, rate).unwrap();
    assert_eq!(g.total_samples(), Some(16 * 202));
    let x = render(&ToneSpec::JOIN_BEEP, rate, 16 * 300, false);
    assert!((zero_crossing_hz(&x[..16 * 200], 16000.0) - 1000.0).abs() < 0.1);
    assert!((dbm0(rms(&x[16 * 10..16 * 190])) + 13.0).abs() < 0.1);
    assert!(x[16 * 202..].iter().all(|&v| v == 0.0));
    // Leave: two beeps, another pitch.
    let x = render(&ToneSpec::LEAVE_BEEP, rate, 16 * 600, false);
    let loud: Vec<bool> = x.chunks(16 * 10).map(|c| rms(c) > 100.0).collect();
    let onsets = loud.windows(2).filter(|w| !w[0] && w[1]).count() + usize::from(loud[0]);
    assert_eq!(onsets, 2);
    assert!((zero_crossing_hz(&x[..16 * 150], 16000.0) - 480.0).abs() < 0.1);
    // The recording warning goes on for ever.
    let g = ToneGenerator::new(&ToneSpec::RECORDING_WARNING, rate).unwrap();
    assert_eq!(g.total_samples(), None);
    assert_eq!(ToneSpec::RECORDING_WARNING.cadence().on_ms, 500);
    assert_eq!(ToneSpec::RECORDING_WARNING.cadence().off_ms, 14_500);
}

#[test]
fn a_finished_generator_writes_silence() {
    let mut g = ToneGenerator::new(&ToneSpec::JOIN_BEEP, SampleRate::Hz8000).unwrap();
    let mut x = [1i16; 2000];
    g.fill(&mut x);
    assert!(g.is_finished());
    assert!(x[1616..].iter().all(|&v| v == 0));
    let mut y = [0.5f32; 100];
    g.fill(&mut y);
    assert!(y.iter().all(|&v| v == 0.0));
}

#[test]
fn invalid_tones_are_errors_naming_the_value() {
    let r = SampleRate::Hz8000;
    let once = Cadence::once(100);
    let err = |spec: ToneSpec| ToneGenerator::new(&spec, r).unwrap_err();
    for f in [0.0, -5.0, 4000.0, 5000.0, f32::NAN] {
        let e = err(ToneSpec::single(f, -10.0, once));
        assert!(matches!(e, Error::ToneFrequency { nyquist_hz, .. } if nyquist_hz == 4000.0));
    }
    assert!(ToneGenerator::new(&ToneSpec::single(3999.0, -10.0, once), r).is_ok());
    assert!(ToneGenerator::new(
        &ToneSpec::single(23_999.0, -10.0, once),
        SampleRate::Hz48000
    )
    .is_ok());
    let e = err(ToneSpec::single(1000.0, 3.2, once));
    assert!(
        matches!(e, Error::ToneLevel { given_dbm0, max_dbm0 } if given_dbm0 == 3.2 && (f64::from(max_dbm0) - FULL_SCALE_DBM0).abs() < 0.01),
        "{e:?}"
    );
    assert!(e.to_string().contains("3.2 dBm0"), "{e}");
    assert!(ToneGenerator::new(&ToneSpec::single(1000.0, 3.1, once), r).is_ok());
    assert!(matches!(
        err(ToneSpec::single(1000.0, f32::NAN, once)),
        Error::ToneLevel { .. }
    ));
    // Two components at -2 dBm0 each add up beyond full scale.
    let e = err(ToneSpec::dual(
        Component::new(697.0, -2.0),
        Component::new(1209.0, -2.0),
        once,
    ));
    assert!(matches!(e, Error::ToneLevel { .. }), "{e:?}");
    let e = err(ToneSpec::single(1000.0, -10.0, Cadence::once(0)));
    assert_eq!(
        e.to_string(),
        "tone on-time in ms: got 0, expected 1 to 4294967295"
    );
    let e = err(ToneSpec::single(
        1000.0,
        -10.0,
        Cadence::new(10, 10, Repeat::Times(0)),
    ));
    assert!(matches!(e, Error::ToneCadence { given: 0, .. }));
    let e = err(ToneSpec::single(1000.0, -10.0, Cadence::once(3)).with_edge_ms(4));
    assert!(
        matches!(
            e,
            Error::ToneCadence {
                given: 4,
                max: 3,
                ..
            }
        ),
        "{e:?}"
    );
    let e = err(ToneSpec::single(
        1000.0,
        -10.0,
        Cadence::new(50, 1, Repeat::Forever),
    ));
    assert!(
        matches!(
            e,
            Error::ToneCadence {
                given: 2,
                max: 1,
                ..
            }
        ),
        "{e:?}"
    );
    // The edge is free after the last burst.
    assert!(ToneGenerator::new(&ToneSpec::single(1000.0, -10.0, Cadence::once(50)), r).is_ok());
}
