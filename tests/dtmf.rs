//! The DTMF detector against ITU-T Q.24's requirements, at every supported
//! rate: frequency tolerance, duration, pauses, twist, sensitivity, noise,
//! talk-off on speech and music, latency, framing and allocation.
//!
//! The tones come from `barge::tone` (whose levels, frequencies and timing
//! `tests/tone.rs` measures independently); the noise, music and speech are
//! made here. `cargo test --test dtmf -- --nocapture` prints the measured
//! figures. The speech test runs espeak-ng: it says so and skips when
//! espeak-ng is missing, unless `CI` is set, in which case it fails.

#[path = "../examples/common/voice.rs"]
#[allow(dead_code)]
mod voice;

use std::f64::consts::PI;

use barge::dtmf::{Digit, DtmfDetector, DtmfEvent};
use barge::resample::Resampler;
use barge::tone::{
    Cadence, Component, Repeat, ToneGenerator, ToneSpec, DBM0_PEAK, DTMF_HIGH_DBM0, DTMF_LOW_DBM0,
};
use barge::SampleRate;

#[path = "support/counting.rs"]
mod counting;
use counting::allocations;

/// A deterministic pseudo-random generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in [-1, 1).
    fn uniform(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 52) as f64 - 1.0
    }
    /// Gaussian, unit variance (sum of 12 uniforms).
    fn gauss(&mut self) -> f64 {
        (0..12).map(|_| self.uniform() * 0.5).sum::<f64>() * 1.0
    }
}

fn hz(rate: SampleRate) -> usize {
    rate.hz() as usize
}

fn ms(rate: SampleRate, ms: usize) -> usize {
    hz(rate) / 1000 * ms
}

/// A dual tone (rows and columns as given, levels in dBm0), one burst of
/// `on_ms`, in `f32` units of full scale.
fn dual(rate: SampleRate, low: Component, high: Component, on_ms: u32) -> Vec<f32> {
    let spec = ToneSpec::dual(low, high, Cadence::once(on_ms));
    let mut g = ToneGenerator::new(&spec, rate).unwrap();
    let mut out = vec![0.0f32; g.total_samples().unwrap() as usize];
    g.fill(&mut out);
    out
}

/// The tone of `d` with both frequencies scaled, at Q.23 levels.
fn shifted(rate: SampleRate, d: Digit, row: f64, col: f64, on_ms: u32) -> Vec<f32> {
    dual(
        rate,
        Component::new((f64::from(d.row_hz()) * row) as f32, DTMF_LOW_DBM0),
        Component::new((f64::from(d.column_hz()) * col) as f32, DTMF_HIGH_DBM0),
        on_ms,
    )
}

fn digit_tone(rate: SampleRate, d: Digit, on_ms: u32) -> Vec<f32> {
    shifted(rate, d, 1.0, 1.0, on_ms)
}

fn silence(rate: SampleRate, ms_: usize) -> Vec<f32> {
    vec![0.0; ms(rate, ms_)]
}

fn cat(parts: &[&[f32]]) -> Vec<f32> {
    parts.concat()
}

fn to_i16(x: &[f32]) -> Vec<i16> {
    x.iter()
        .map(|&v| (f64::from(v) * 32768.0).round().clamp(-32768.0, 32767.0) as i16)
        .collect()
}

/// Every event of `signal` fed in frames of `frame` samples, then 100 ms
/// of silence (so that the last digit ends); `f32` or, with `as_i16`,
/// rounded to `i16`.
fn events(rate: SampleRate, signal: &[f32], frame: usize, as_i16: bool) -> Vec<DtmfEvent> {
    let mut d = DtmfDetector::new(rate);
    let mut all = cat(&[signal, &silence(rate, 100)]);
    let mut out = Vec::new();
    if as_i16 {
        let x = to_i16(&all);
        for f in x.chunks(frame) {
            let e = d.process(f);
            assert_eq!(e.dropped(), 0);
            out.extend(e);
        }
    } else {
        all.truncate(all.len());
        for f in all.chunks(frame) {
            let e = d.process(f);
            assert_eq!(e.dropped(), 0);
            out.extend(e);
        }
    }
    out
}

/// The digits reported (key-downs), in order, with 20 ms frames; `f32`
/// at 8, 24 and 48 kHz and `i16` at 16 and 32 kHz, so both types run.
fn digits(rate: SampleRate, signal: &[f32]) -> Vec<Digit> {
    let as_i16 = matches!(rate, SampleRate::Hz16000 | SampleRate::Hz32000);
    events(rate, signal, ms(rate, 20), as_i16)
        .iter()
        .filter_map(|e| match *e {
            DtmfEvent::Down { digit, .. } => Some(digit),
            DtmfEvent::Up { .. } => None,
        })
        .collect()
}

#[test]
fn every_digit_within_1_5_per_cent_is_accepted() {
    for rate in SampleRate::ALL {
        for d in Digit::ALL {
            for (r, c) in [
                (0.0, 0.0),
                (1.5, 1.5),
                (-1.5, -1.5),
                (1.5, -1.5),
                (-1.5, 1.5),
                (1.0, -1.0),
                (-1.0, 1.0),
            ] {
                let x = shifted(rate, d, 1.0 + r / 100.0, 1.0 + c / 100.0, 60);
                let x = cat(&[&silence(rate, 30), &x]);
                assert_eq!(
                    digits(rate, &x),
                    [d],
                    "{rate}, {d}, row {r:+}%, column {c:+}%"
                );
            }
        }
    }
}

#[test]
fn a_tone_off_by_3_5_per_cent_or_more_is_rejected() {
    for rate in SampleRate::ALL {
        for d in Digit::ALL {
            for s in [3.5, -3.5, 4.0, -4.0, 6.0, -6.0] {
                let f = 1.0 + s / 100.0;
                for (r, c) in [(f, 1.0), (1.0, f), (f, f)] {
                    let x = shifted(rate, d, r, c, 80);
                    assert_eq!(digits(rate, &x), [], "{rate}, {d}, row ×{r}, column ×{c}");
                }
            }
        }
    }
}

#[test]
fn tones_of_40_ms_are_accepted_at_every_alignment() {
    for rate in SampleRate::ALL {
        let step = ms(rate, 1);
        for d in Digit::ALL {
            // Every offset within a 5 ms sub-block, in 1 ms steps (and one
            // odd sample).
            for offset in (0..5 * step).step_by(step).chain([3]) {
                let x = cat(&[&vec![0.0; offset], &digit_tone(rate, d, 40)]);
                assert_eq!(digits(rate, &x), [d], "{rate}, {d}, offset {offset}");
            }
        }
    }
}

#[test]
fn tones_of_20_ms_or_less_are_rejected() {
    for rate in SampleRate::ALL {
        let step = ms(rate, 1);
        for d in Digit::ALL {
            for on in [10, 15, 18, 20] {
                for offset in (0..5 * step).step_by(step) {
                    let x = cat(&[&vec![0.0; offset], &digit_tone(rate, d, on)]);
                    assert_eq!(digits(rate, &x), [], "{rate}, {d}, {on} ms at {offset}");
                }
            }
        }
    }
}

#[test]
fn digits_40_ms_apart_are_both_reported() {
    for rate in SampleRate::ALL {
        for (a, b) in [
            ("1", "1"),
            ("1", "2"),
            ("5", "5"),
            ("#", "0"),
            ("D", "D"),
            ("9", "C"),
        ] {
            let (a, b) = (
                Digit::from_char(a.chars().next().unwrap()).unwrap(),
                Digit::from_char(b.chars().next().unwrap()).unwrap(),
            );
            let x = cat(&[
                &digit_tone(rate, a, 40),
                &silence(rate, 40),
                &digit_tone(rate, b, 40),
            ]);
            assert_eq!(digits(rate, &x), [a, b], "{rate}, {a} then {b}");
        }
        // A whole number dialled at 40 ms on, 40 ms off.
        let number: Vec<Digit> = "0123456789*#ABCD5555"
            .chars()
            .map(|c| Digit::from_char(c).unwrap())
            .collect();
        let mut x = Vec::new();
        for &d in &number {
            x.extend(digit_tone(rate, d, 40));
            x.extend(silence(rate, 40));
        }
        assert_eq!(digits(rate, &x), number, "{rate}");
    }
}

#[test]
fn an_interruption_of_10_ms_does_not_split_a_digit() {
    for rate in SampleRate::ALL {
        for d in Digit::ALL {
            let x = cat(&[
                &digit_tone(rate, d, 60),
                &silence(rate, 10),
                &digit_tone(rate, d, 60),
            ]);
            assert_eq!(digits(rate, &x), [d], "{rate}, {d}");
        }
    }
}

#[test]
fn key_down_and_key_up_bracket_the_tone() {
    for rate in SampleRate::ALL {
        let sub = ms(rate, 5) as u64;
        let start = ms(rate, 33) as u64;
        let x = cat(&[&silence(rate, 33), &digit_tone(rate, Digit::Seven, 100)]);
        let e = events(rate, &x, ms(rate, 10), false);
        let [DtmfEvent::Down {
            digit,
            start: s,
            at,
        }, DtmfEvent::Up {
            digit: d2,
            start: s2,
            end,
        }] = e[..]
        else {
            panic!("{rate}: {e:?}");
        };
        assert_eq!((digit, d2, s, s2), (Digit::Seven, Digit::Seven, s, s));
        assert!(
            s.abs_diff(start) <= sub,
            "{rate}: start {s}, tone at {start}"
        );
        let tone_end = start + ms(rate, 100) as u64;
        assert!(
            end.abs_diff(tone_end) <= sub,
            "{rate}: end {end}, tone ends {tone_end}"
        );
        assert!(
            at > start && at - start <= ms(rate, 30) as u64,
            "{rate}: at {at}"
        );
    }
}

#[test]
fn twist_within_q24_limits_is_accepted_and_beyond_rejected() {
    // The column tone relative to the row tone, in dB; the row at -10 dBm0.
    for rate in SampleRate::ALL {
        for d in Digit::ALL {
            for (twist, accept) in [
                (-8.0, true),
                (4.0, true),
                (0.0, true),
                (-12.0, false),
                (8.0, false),
            ] {
                let x = dual(
                    rate,
                    Component::new(d.row_hz(), -10.0),
                    Component::new(d.column_hz(), -10.0 + twist),
                    60,
                );
                let want: &[Digit] = if accept { &[d] } else { &[] };
                assert_eq!(digits(rate, &x), want, "{rate}, {d}, twist {twist} dB");
            }
        }
    }
}

#[test]
fn minus_25_dbm0_is_detected_and_minus_40_is_not() {
    for rate in SampleRate::ALL {
        for d in Digit::ALL {
            for (level, accept) in [(-25.0, true), (-30.0, true), (-40.0, false), (-45.0, false)] {
                let x = dual(
                    rate,
                    Component::new(d.row_hz(), level),
                    Component::new(d.column_hz(), level),
                    60,
                );
                let want: &[Digit] = if accept { &[d] } else { &[] };
                assert_eq!(digits(rate, &x), want, "{rate}, {d}, {level} dBm0");
            }
        }
    }
}

/// White Gaussian noise of RMS `rms` (f32 units).
fn white(n: usize, rms: f64, rng: &mut Rng) -> Vec<f32> {
    (0..n).map(|_| (rng.gauss() * rms) as f32).collect()
}

fn rms(x: &[f32]) -> f64 {
    (x.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>() / x.len() as f64).sqrt()
}

#[test]
fn digits_are_found_in_white_noise_at_15_db_snr() {
    // Q.23 levels: -7 and -5 dBm0, the tone's power the sum of both.
    let tone_power = [DTMF_LOW_DBM0, DTMF_HIGH_DBM0]
        .iter()
        .map(|&l| (f64::from(DBM0_PEAK) / 32768.0 * 10f64.powf(f64::from(l) / 20.0)).powi(2) / 2.0)
        .sum::<f64>();
    let noise_rms = (tone_power / 10f64.powf(15.0 / 10.0)).sqrt();
    for rate in SampleRate::ALL {
        let mut rng = Rng::new(u64::from(rate.hz()));
        let mut x = Vec::new();
        let mut want = Vec::new();
        for round in 0..4 {
            for d in Digit::ALL {
                x.extend(digit_tone(rate, d, if round % 2 == 0 { 50 } else { 40 }));
                x.extend(silence(rate, 60));
                want.push(d);
            }
        }
        let noise = white(x.len(), noise_rms, &mut rng);
        let noisy: Vec<f32> = x.iter().zip(&noise).map(|(a, b)| a + b).collect();
        let snr = 10.0 * (tone_power / rms(&noise).powi(2)).log10();
        assert!((snr - 15.0).abs() < 0.2, "{snr}");
        assert_eq!(digits(rate, &noisy), want, "{rate}");
    }
}

/// Talk-off: feeds `signal` at `rate` in 20 ms frames, in both sample
/// types, and returns the digits reported.
fn talk_off(rate: SampleRate, signal: &[f32]) -> Vec<Digit> {
    let mut found = Vec::new();
    for as_i16 in [false, true] {
        found.extend(
            events(rate, signal, ms(rate, 20), as_i16)
                .iter()
                .filter_map(|e| match *e {
                    DtmfEvent::Down { digit, .. } => Some(digit),
                    DtmfEvent::Up { .. } => None,
                }),
        );
    }
    found
}

/// Harmonic tone of `f0` with `n` harmonics falling at 6 dB per octave.
fn harmonic(rate: f64, f0: f64, n: usize, samples: usize, amp: f64, out: &mut [f64]) {
    for (k, o) in out.iter_mut().enumerate().take(samples) {
        let t = k as f64 / rate;
        let mut v = 0.0;
        for h in 1..=n {
            let f = f0 * h as f64;
            if f < rate / 2.0 {
                v += (2.0 * PI * f * t).sin() / h as f64;
            }
        }
        *o += amp * v;
    }
}

fn music(rate: SampleRate) -> Vec<f32> {
    let fs = hz(rate) as f64;
    let note = |n: f64| 440.0 * 2f64.powf((n - 69.0) / 12.0);
    let mut parts: Vec<Vec<f64>> = Vec::new();
    // Chords of harmonic tones: triads and sevenths around the keyboard.
    for (i, root) in [
        48.0, 53.0, 55.0, 57.0, 60.0, 62.0, 64.0, 65.0, 67.0, 69.0, 72.0, 76.0,
    ]
    .iter()
    .enumerate()
    {
        let len = (0.5 * fs) as usize;
        let mut x = vec![0.0; len];
        let chord: &[f64] = if i % 2 == 0 {
            &[0.0, 4.0, 7.0]
        } else {
            &[0.0, 3.0, 7.0, 10.0]
        };
        for &s in chord {
            harmonic(fs, note(root + s), 8, len, 0.08, &mut x);
        }
        parts.push(x);
    }
    // A melody: a scale up and down over three octaves, 120 ms per note.
    let scale = [0.0, 2.0, 4.0, 5.0, 7.0, 9.0, 11.0];
    for o in 0..3 {
        for &s in scale.iter().chain(scale.iter().rev()) {
            let len = (0.12 * fs) as usize;
            let mut x = vec![0.0; len];
            harmonic(fs, note(60.0 + 12.0 * o as f64 + s), 6, len, 0.2, &mut x);
            parts.push(x);
        }
    }
    // A sine sweep 200-3400 Hz over 3 s beside a steady tone between the
    // groups, and two sweeps at once in opposite directions.
    let len = (3.0 * fs) as usize;
    let mut x = vec![0.0; len];
    let (f0, f1) = (200.0f64, 3400.0f64);
    let mut phase = 0.0f64;
    let mut phase2 = 0.0f64;
    for (k, o) in x.iter_mut().enumerate() {
        let t = k as f64 / len as f64;
        let f = f0 * (f1 / f0).powf(t);
        let g = f1 * (f0 / f1).powf(t);
        phase += 2.0 * PI * f / fs;
        phase2 += 2.0 * PI * g / fs;
        *o = 0.2 * phase.sin()
            + 0.2 * phase2.sin()
            + 0.15 * (2.0 * PI * 1100.0 * k as f64 / fs).sin();
    }
    parts.push(x);
    // Dual tones between the DTMF frequencies (each at least 4.5 % from
    // any), at Q.23-like levels, 200 ms each.
    for lo in [650.0, 733.0, 811.0, 896.0, 990.0] {
        for hi in [1150.0, 1272.0, 1406.0, 1555.0, 1720.0] {
            let len = (0.2 * fs) as usize;
            let x = (0..len)
                .map(|k| {
                    let t = k as f64 / fs;
                    0.3 * (2.0 * PI * lo * t).sin() + 0.35 * (2.0 * PI * hi * t).sin()
                })
                .collect();
            parts.push(x);
            parts.push(vec![0.0; (0.05 * fs) as usize]);
        }
    }
    // White and pink noise at three levels, 2 s each.
    let mut rng = Rng::new(7);
    for level in [0.01, 0.05, 0.2] {
        parts.push(
            (0..(2.0 * fs) as usize)
                .map(|_| level * rng.gauss())
                .collect(),
        );
        // Pink: Paul Kellet's filter of white noise.
        let (mut b0, mut b1, mut b2) = (0.0, 0.0, 0.0);
        parts.push(
            (0..(2.0 * fs) as usize)
                .map(|_| {
                    let w = rng.gauss();
                    b0 = 0.99765 * b0 + w * 0.0990460;
                    b1 = 0.96300 * b1 + w * 0.2965164;
                    b2 = 0.57000 * b2 + w * 1.0526913;
                    level * (b0 + b1 + b2 + w * 0.1848) / 3.0
                })
                .collect(),
        );
    }
    parts
        .concat()
        .iter()
        .map(|&v| v.clamp(-1.0, 1.0) as f32)
        .collect()
}

#[test]
fn no_digit_in_music_chords_sweeps_or_noise() {
    for rate in SampleRate::ALL {
        let x = music(rate);
        let found = talk_off(rate, &x);
        println!(
            "{rate}: {:.1} s of music-like signals, {} false digits",
            x.len() as f64 / hz(rate) as f64,
            found.len()
        );
        assert_eq!(found, [], "{rate}");
    }
}

#[test]
fn no_digit_in_the_synthetic_voices() {
    for rate in SampleRate::ALL {
        let mut total = 0.0;
        for v in voice::Voice::ALL {
            let x: Vec<f32> = v
                .speak(rate.hz(), 40.0, &[(0.0, 40.0)])
                .iter()
                .map(|&s| f32::from(s) / 32768.0)
                .collect();
            total += 40.0;
            let found = talk_off(rate, &x);
            assert_eq!(found, [], "{rate}, {v:?}");
            // Louder (+10 dB), as a shouting caller close to the microphone.
            let loud: Vec<f32> = x.iter().map(|&s| (s * 3.16).clamp(-1.0, 1.0)).collect();
            assert_eq!(talk_off(rate, &loud), [], "{rate}, {v:?} +10 dB");
        }
        println!("{rate}: {total} s of the synthetic voices, at two levels: no false digit");
    }
}

/// The espeak-ng texts and voices: (voice, words per minute, text).
const SPEECH: &[(&str, u32, &str)] = &[
    ("en", 160, "The quick brown fox jumps over the lazy dog. Please hold the line while I transfer your call to the billing department. Your account number is four five six seven eight nine, and the balance due is three hundred and twelve dollars. Thank you for calling, have a wonderful day."),
    ("en-us", 175, "Hello, this is Sarah from customer support. I can see that you ordered a pair of running shoes last Tuesday, and they should arrive by Friday afternoon. If they do not, press one, or just stay on the line and someone will help you. Is there anything else I can do for you today?"),
    ("en-us+f3", 150, "Good morning! We are calling about your appointment on the twenty ninth of September at half past nine. Would you like to confirm, cancel or reschedule? Whistling, humming, singing: la la la, do re mi fa so la ti do. Oh, really? Wow, that is amazing. Hmm, let me think about it."),
    ("en-gb+m3", 190, "Right, so the engineer will come round between eight and one, and he will need access to the meter cupboard under the stairs. Shall I put you down for Thursday? Brilliant. Cheers, mate. Bye bye now."),
    ("de", 160, "Guten Tag, Sie sind verbunden mit der Kundenbetreuung. Bitte nennen Sie Ihre Vertragsnummer, damit wir Ihr Anliegen schnell bearbeiten können. Die Wartezeit beträgt ungefähr drei Minuten. Vielen Dank für Ihre Geduld und auf Wiederhören."),
    ("de+f2", 170, "Ich möchte gerne meine Adresse ändern. Ich wohne jetzt in der Schillerstraße siebenundzwanzig, in Frankfurt am Main. Können Sie mir bitte eine Bestätigung per E-Mail schicken? Das wäre sehr nett, danke schön."),
    ("fr", 165, "Bonjour madame, je vous appelle au sujet de votre facture du mois dernier. Il semble qu'il y ait une erreur de calcul sur les frais de livraison. Nous allons vous rembourser la différence dans les plus brefs délais. Merci et bonne journée."),
    ("fr+f4", 150, "Oui, bien sûr, je comprends tout à fait. Pouvez-vous épeler votre nom de famille, s'il vous plaît? D, U, P, O, N, T. Parfait, c'est noté. Et votre numéro de téléphone? Zéro six, douze, trente-quatre, cinquante-six, soixante-dix-huit."),
    ("es", 170, "Buenas tardes, gracias por llamar. Su llamada es muy importante para nosotros. Por favor, espere un momento mientras le comunicamos con un agente. Si conoce la extensión, puede marcarla en cualquier momento."),
    ("es+m2", 180, "Vale, entonces el pedido número ocho siete dos uno llegará el lunes por la mañana. ¿Necesita algo más? Muy bien, hasta luego, que tenga un buen fin de semana."),
    ("it", 165, "Buongiorno, sono Marco del servizio clienti. Ho controllato il suo ordine e risulta spedito ieri pomeriggio. Il corriere dovrebbe consegnare entro domani sera. Arrivederci e grazie."),
    ("en+f5", 200, "Seventy seven, eighty eight, ninety nine. Peter Piper picked a peck of pickled peppers. She sells sea shells by the sea shore. How much wood would a woodchuck chuck if a woodchuck could chuck wood? Eeeee, ooooo, aaaah, mmmm, sssss, shhhh."),
];

/// Windowed-sinc resampling of `x` from `from` to `to` Hz, with a cutoff
/// at 0.9 of the lower Nyquist frequency (32 zero crossings, Blackman).
fn resample(x: &[f64], from: f64, to: f64) -> Vec<f64> {
    let cutoff = 0.9 * from.min(to) / 2.0;
    let ratio = cutoff / from; // cycles per input sample
    let half = 32.0 / (2.0 * ratio); // taps each side, input samples
    let n = (x.len() as f64 * to / from) as usize;
    (0..n)
        .map(|j| {
            let t = j as f64 * from / to;
            let lo = (t - half).ceil().max(0.0) as usize;
            let hi = ((t + half).floor() as usize).min(x.len().saturating_sub(1));
            let mut acc = 0.0;
            for (i, &xi) in x.iter().enumerate().take(hi + 1).skip(lo) {
                let d = i as f64 - t;
                let arg = 2.0 * ratio * d;
                let sinc = if arg == 0.0 {
                    1.0
                } else {
                    (PI * arg).sin() / (PI * arg)
                };
                let w = 0.42 + 0.5 * (PI * d / half).cos() + 0.08 * (2.0 * PI * d / half).cos();
                acc += xi * 2.0 * ratio * sinc * w;
            }
            acc
        })
        .collect()
}

/// The samples of a 16-bit mono WAV (espeak-ng's output: its header may
/// give no length when written to a pipe, so the data run to the end).
fn wav_samples(bytes: &[u8]) -> (u32, Vec<f64>) {
    assert!(bytes.len() > 44 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WAVE");
    let mut pos = 12;
    let mut rate = 0;
    while pos + 8 <= bytes.len() {
        let id = &bytes[pos..pos + 4];
        let len = u32::from_le_bytes(bytes[pos + 4..pos + 8].try_into().unwrap()) as usize;
        if id == b"fmt " {
            rate = u32::from_le_bytes(bytes[pos + 12..pos + 16].try_into().unwrap());
        } else if id == b"data" {
            let data = &bytes[pos + 8..];
            let data = &data[..len.min(data.len()) & !1];
            let x = data
                .chunks_exact(2)
                .map(|b| f64::from(i16::from_le_bytes([b[0], b[1]])) / 32768.0)
                .collect();
            return (rate, x);
        }
        pos += 8 + len + (len & 1);
    }
    panic!("no data chunk");
}

#[test]
fn no_digit_in_minutes_of_speech_in_several_voices() {
    let espeak = std::process::Command::new("espeak-ng")
        .arg("--version")
        .output();
    if espeak.is_err() {
        if std::env::var_os("CI").is_some() {
            panic!("espeak-ng is missing, and CI is set: install espeak-ng (see .ci/run)");
        }
        println!(
            "SKIPPED no_digit_in_minutes_of_speech_in_several_voices: espeak-ng is not installed"
        );
        return;
    }
    let mut at_48k: Vec<(String, Vec<f32>)> = Vec::new();
    let mut seconds = 0.0;
    for &(voice, wpm, text) in SPEECH {
        let out = std::process::Command::new("espeak-ng")
            .args(["-v", voice, "-s", &wpm.to_string(), "--stdout", text])
            .output()
            .expect("espeak-ng runs");
        assert!(
            out.status.success(),
            "espeak-ng -v {voice}: {:?}",
            out.status
        );
        let (rate, x) = wav_samples(&out.stdout);
        assert!(
            x.len() > rate as usize,
            "espeak-ng -v {voice} said less than 1 s"
        );
        seconds += x.len() as f64 / f64::from(rate);
        // Normalise each voice to a loud speech level (peak -1 dBFS).
        let y = resample(&x, f64::from(rate), 48_000.0);
        let peak = y.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let gain = 0.89 / peak;
        at_48k.push((
            voice.to_string(),
            y.iter().map(|v| (v * gain) as f32).collect(),
        ));
    }
    let mut false_digits = 0;
    for rate in SampleRate::ALL {
        for (voice, x) in &at_48k {
            let x = if rate == SampleRate::Hz48000 {
                x.clone()
            } else {
                let mut r = Resampler::new(SampleRate::Hz48000, rate);
                let (fi, fo) = (960, ms(rate, 20));
                let mut y = vec![0.0f32; x.len() / fi * fo];
                for (i, o) in x.chunks_exact(fi).zip(y.chunks_exact_mut(fo)) {
                    r.process(i, o).unwrap();
                }
                y
            };
            let found = talk_off(rate, &x);
            false_digits += found.len();
            assert_eq!(found, [], "{rate}, espeak-ng -v {voice}");
        }
    }
    println!(
        "{:.1} min of espeak-ng speech in {} voices, at each of 5 rates and in both sample types: {false_digits} false digits",
        seconds / 60.0,
        SPEECH.len()
    );
    assert!(seconds > 120.0, "only {seconds} s of speech");
}

#[test]
fn latency_from_tone_start_to_report() {
    for rate in SampleRate::ALL {
        let (mut lo, mut hi) = (u64::MAX, 0);
        let mut call_hi = [0u64; 2];
        for offset in (0..ms(rate, 20)).step_by(ms(rate, 1) / 2) {
            let x = cat(&[&vec![0.0; offset], &digit_tone(rate, Digit::Five, 40)]);
            for (i, frame_ms) in [10, 20].into_iter().enumerate() {
                let frame = ms(rate, frame_ms);
                let mut d = DtmfDetector::new(rate);
                let mut reported = None;
                for (n, f) in x.chunks(frame).enumerate() {
                    let e = d.process(f);
                    if let Some(DtmfEvent::Down { at, .. }) = e.iter().next() {
                        lo = lo.min(at - offset as u64);
                        hi = hi.max(at - offset as u64);
                        reported = Some((n + 1) * frame - offset);
                        break;
                    }
                }
                let call = reported.unwrap_or_else(|| panic!("{rate}: not detected at {offset}"));
                call_hi[i] = call_hi[i].max(call as u64);
            }
        }
        let to_ms = |s: u64| s as f64 * 1000.0 / hz(rate) as f64;
        println!(
            "{rate}: detected {:.1} to {:.1} ms after the tone began; reported by the end of a frame at most {:.1} ms (10 ms frames) / {:.1} ms (20 ms frames) after",
            to_ms(lo),
            to_ms(hi),
            to_ms(call_hi[0]),
            to_ms(call_hi[1])
        );
        assert!(to_ms(hi) <= 30.0, "{rate}: {}", to_ms(hi));
        assert!(to_ms(lo) >= 20.0, "{rate}: {}", to_ms(lo));
    }
}

#[test]
fn frame_length_does_not_change_what_is_heard() {
    for rate in SampleRate::ALL {
        let mut x = Vec::new();
        for c in "159#0D".chars() {
            x.extend(digit_tone(rate, Digit::from_char(c).unwrap(), 45));
            x.extend(silence(rate, 45));
        }
        let whole = events(rate, &x, x.len() + 1, false);
        assert_eq!(whole.len(), 12, "{rate}: {whole:?}");
        for frame in [1, 7, 80, 160, 441, ms(rate, 10), ms(rate, 60)] {
            assert_eq!(
                events(rate, &x, frame, false),
                whole,
                "{rate}, frames of {frame}"
            );
            assert_eq!(
                events(rate, &x, frame, true),
                whole,
                "{rate}, i16 frames of {frame}"
            );
        }
    }
}

#[test]
fn a_frame_of_200_ms_loses_no_event_and_longer_ones_say_what_they_drop() {
    let rate = SampleRate::Hz8000;
    let mut x = Vec::new();
    for _ in 0..40 {
        x.extend(digit_tone(rate, Digit::Two, 40));
        x.extend(silence(rate, 40));
    }
    let mut d = DtmfDetector::new(rate);
    let mut n = 0;
    for f in x.chunks(ms(rate, 200)) {
        let e = d.process(f);
        assert_eq!(e.dropped(), 0);
        n += e.len();
    }
    assert_eq!(n, 80);
    let mut d = DtmfDetector::new(rate);
    let e = d.process(&x);
    assert_eq!(e.len(), barge::dtmf::DtmfEvents::CAPACITY);
    assert_eq!(e.len() + e.dropped(), n);
}

#[test]
fn reset_forgets_a_digit_half_heard() {
    let rate = SampleRate::Hz8000;
    let tone = digit_tone(rate, Digit::Three, 60);
    let mut d = DtmfDetector::new(rate);
    assert!(d.process(&tone[..100]).is_empty());
    d.reset();
    assert_eq!(d.samples(), 0);
    // 20 ms then: too short, had the first 100 samples been remembered it
    // would have been long enough.
    assert!(d.process(&tone[100..260]).is_empty());
    assert!(d.process(&silence(rate, 50)).is_empty());
    let e = d.process(&tone);
    assert_eq!(e.digits().collect::<Vec<_>>(), [Digit::Three]);
    assert_eq!(d.current(), Some(Digit::Three));
}

#[test]
fn non_finite_and_full_scale_f32_are_survived() {
    for rate in SampleRate::ALL {
        let mut d = DtmfDetector::new(rate);
        let junk: Vec<f32> = (0..ms(rate, 100))
            .map(|k| [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 1e30, -1e30, 0.5][k % 6])
            .collect();
        assert!(d.process(&junk).is_empty());
        let x = cat(&[&silence(rate, 30), &digit_tone(rate, Digit::Nine, 60)]);
        let e = d.process(&x);
        assert_eq!(e.digits().collect::<Vec<_>>(), [Digit::Nine], "{rate}");
    }
}

#[test]
fn processing_never_allocates() {
    for rate in SampleRate::ALL {
        let mut x = Vec::new();
        for d in Digit::ALL {
            x.extend(digit_tone(rate, d, 50));
            x.extend(silence(rate, 50));
        }
        let xi = to_i16(&x);
        let mut d = DtmfDetector::new(rate);
        let mut found = 0;
        let before = allocations();
        for f in x.chunks(ms(rate, 20)) {
            found += d.process(f).digits().count();
        }
        d.reset();
        for f in xi.chunks(ms(rate, 10)) {
            found += d.process(f).digits().count();
        }
        let after = allocations();
        assert_eq!(after - before, 0, "{rate}");
        assert_eq!(found, 32);
    }
}

#[test]
fn the_generated_digit_presets_are_heard_as_their_digits() {
    for rate in SampleRate::ALL {
        for d in Digit::ALL {
            let mut g = ToneGenerator::new(&ToneSpec::dtmf(d, 70, 70), rate).unwrap();
            let mut x = vec![0.0f32; g.total_samples().unwrap() as usize];
            g.fill(&mut x);
            assert_eq!(digits(rate, &x), [d], "{rate}");
        }
        // And a digit sent forever, at 100 ms on / 100 ms off, is counted
        // once per burst.
        let spec = ToneSpec::dtmf(Digit::Star, 100, 100).with_cadence(Cadence::new(
            100,
            100,
            Repeat::Times(10),
        ));
        let mut g = ToneGenerator::new(&spec, rate).unwrap();
        let mut x = vec![0.0f32; g.total_samples().unwrap() as usize];
        g.fill(&mut x);
        assert_eq!(digits(rate, &x), [Digit::Star; 10], "{rate}");
    }
}
