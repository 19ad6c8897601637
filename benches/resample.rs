//! Resampling cost per 20 ms frame, beside `rubato` at equal measured
//! quality and a `memcpy` of the output, all in the same run.
//!
//! ```sh
//! cargo bench --bench resample
//! ```
//!
//! - `rates/convert/{from}_{to}`: one 20 ms `f32` frame through
//!   [`Resampler::process`].
//! - `rates/convert_i16/{from}_{to}`: the same with `i16` samples.
//! - `rates/rubato/{from}_{to}`: the same frame through rubato's
//!   synchronous FFT resampler (`rubato::Fft`, both sides fixed at the
//!   frame) — or, where that does not reach the quality below, its sinc
//!   resampler at the fixed ratio with the shortest filter that does.
//! - `rates/memcpy/{to}`: copying the output frame's bytes, the floor.
//! - `rates/call/mixed/10ms`: one 10 ms tick of a three-party `i16` call
//!   mixed at 16 kHz whose customer is at 8 kHz, agent at 16 kHz and
//!   supervisor (barging) at 48 kHz: frames handed in borrowed at each
//!   leg's rate, mixed, every output borrowed. `rates/call/one_rate/10ms`
//!   is the same call with every leg at 16 kHz (no conversion).
//!
//! Before timing, the bench measures every resampler it times with the
//! same tone test as `tests/resample.rs` (passband level from 300 Hz to
//! 0.85 × the lower Nyquist frequency, images of those tones, tones above
//! the lower Nyquist frequency when converting down) and prints the
//! figures, so that the comparison is at equal quality: flat within
//! ±0.1 dB, images and aliases at least 70 dB down. Then it prints the
//! medians and the ratios barge / rubato.

#[path = "common/mod.rs"]
mod common;

use std::f64::consts::PI;
use std::hint::black_box;

use audioadapter_buffers::direct::InterleavedSlice;
use barge::resample::Resampler;
use barge::{Format, Join, Mode, PartyId, Role, SampleRate, Session};
use rubato::{
    Async, Fft, FixedAsync, FixedSync, Resampler as _, SincInterpolationParameters,
    SincInterpolationType, WindowFunction,
};

const PAIRS: [(u32, u32); 6] = [
    (8000, 16000),
    (16000, 8000),
    (8000, 48000),
    (48000, 8000),
    (16000, 48000),
    (48000, 16000),
];

fn id(from: u32, to: u32) -> String {
    format!("{}k_{}k", from / 1000, to / 1000)
}

/// A converter of 20 ms frames: `input.len()` is `from / 50`, the output
/// `to / 50`.
trait Frames {
    fn frame(&mut self, input: &[f32], output: &mut [f32]);
    /// The delay it adds, in output samples.
    fn delay(&self) -> f64;
}

impl Frames for Resampler {
    fn frame(&mut self, input: &[f32], output: &mut [f32]) {
        self.process(input, output).unwrap();
    }
    fn delay(&self) -> f64 {
        self.delay_samples()
    }
}

/// rubato behind the same interface: its synchronous FFT resampler, or its
/// sinc resampler at a fixed ratio (exact polyphase: nearest of
/// `oversampling` points, which hits every output phase exactly).
enum Rubato {
    Fft(Fft<f32>),
    Sinc(Async<f32>, Vec<f32>),
}

impl Frames for Rubato {
    fn frame(&mut self, input: &[f32], output: &mut [f32]) {
        let inp = InterleavedSlice::new(input, 1, input.len()).unwrap();
        match self {
            Rubato::Fft(r) => {
                let n = output.len();
                let mut out = InterleavedSlice::new_mut(output, 1, n).unwrap();
                let (_, written) = r.process_into_buffer(&inp, &mut out, None).unwrap();
                debug_assert_eq!(written, n);
            }
            Rubato::Sinc(r, buf) => {
                let cap = buf.len();
                let mut out = InterleavedSlice::new_mut(buf, 1, cap).unwrap();
                let (_, written) = r.process_into_buffer(&inp, &mut out, None).unwrap();
                // A fixed ratio gives the frame's worth, give or take one.
                let n = written.min(output.len());
                output[..n].copy_from_slice(&buf[..n]);
            }
        }
    }
    fn delay(&self) -> f64 {
        match self {
            Rubato::Fft(r) => r.output_delay() as f64,
            Rubato::Sinc(r, _) => r.output_delay() as f64,
        }
    }
}

fn rubato_fft(from: u32, to: u32, window: WindowFunction) -> Rubato {
    let frame = from as usize / 50;
    let r = Fft::<f32>::new_custom(
        from as usize,
        to as usize,
        frame,
        1,
        1,
        window,
        FixedSync::Both,
    )
    .unwrap();
    assert_eq!(r.input_frames_next(), frame);
    Rubato::Fft(r)
}

fn rubato_sinc(from: u32, to: u32, sinc_len: usize, f_cutoff: f32) -> Rubato {
    let frame = from as usize / 50;
    let params = SincInterpolationParameters {
        sinc_len,
        f_cutoff: Some(f_cutoff),
        oversampling_factor: 96, // a multiple of every output phase count
        interpolation: SincInterpolationType::Nearest,
        window: WindowFunction::BlackmanHarris2,
    };
    let r = Async::<f32>::new_sinc(
        f64::from(to) / f64::from(from),
        1.0,
        &params,
        frame,
        1,
        FixedAsync::Input,
    )
    .unwrap();
    let cap = r.output_frames_max();
    Rubato::Sinc(r, vec![0.0; cap])
}

/// The measured quality of a converter: worst passband deviation (dB),
/// worst image or other residue of a passband tone (dB below the tone),
/// worst output of a tone above the lower Nyquist frequency converting
/// down (dB below the tone).
#[derive(Debug, Clone, Copy)]
struct Quality {
    ripple_db: f64,
    images_db: f64,
    aliases_db: f64,
}

impl Quality {
    fn meets(&self) -> bool {
        self.ripple_db <= 0.1 && self.images_db <= -70.0 && self.aliases_db <= -70.0
    }
}

fn run(conv: &mut dyn Frames, from: u32, to: u32, f: f64) -> Vec<f32> {
    let (fin, fout) = (from as usize / 50, to as usize / 50);
    let frames = 20; // 400 ms
    let x: Vec<f32> = (0..fin * frames)
        .map(|k| (0.5 * (2.0 * PI * f * k as f64 / f64::from(from)).sin()) as f32)
        .collect();
    let mut y = vec![0.0f32; fout * frames];
    for (i, o) in x.chunks_exact(fin).zip(y.chunks_exact_mut(fout)) {
        conv.frame(i, o);
    }
    y.drain(..fout * 5); // 100 ms to settle, whatever the delay
    y
}

/// Level (relative to the input's 0.5) and the RMS of the rest, of the
/// component at `f` of `y` (sampled at `rate`), by least squares.
fn fit(y: &[f32], f: f64, rate: f64) -> (f64, f64) {
    let (mut ss, mut cc, mut sc, mut ys, mut yc) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for (k, &v) in y.iter().enumerate() {
        let (s, c) = (2.0 * PI * f * k as f64 / rate).sin_cos();
        let v = f64::from(v);
        ss += s * s;
        cc += c * c;
        sc += s * c;
        ys += v * s;
        yc += v * c;
    }
    let det = ss * cc - sc * sc;
    let (a, b) = ((ys * cc - yc * sc) / det, (yc * ss - ys * sc) / det);
    let rest: f64 = y
        .iter()
        .enumerate()
        .map(|(k, &v)| {
            let (s, c) = (2.0 * PI * f * k as f64 / rate).sin_cos();
            (f64::from(v) - a * s - b * c).powi(2)
        })
        .sum::<f64>()
        / y.len() as f64;
    (a.hypot(b) / 0.5, rest.sqrt() / (0.5 / 2f64.sqrt()))
}

fn quality(make: &dyn Fn() -> Box<dyn Frames>, from: u32, to: u32) -> Quality {
    let db = |x: f64| 20.0 * x.log10();
    let lo = f64::from(from.min(to));
    let edge = 0.85 * lo / 2.0;
    let mut q = Quality {
        ripple_db: 0.0,
        images_db: f64::MIN,
        aliases_db: f64::MIN,
    };
    for k in 0..=12 {
        let f = 300.0 + (edge - 300.0) * f64::from(k) / 12.0;
        let y = run(&mut *make(), from, to, f);
        let (level, rest) = fit(&y, f, f64::from(to));
        q.ripple_db = q.ripple_db.max(db(level).abs());
        q.images_db = q.images_db.max(db(rest));
    }
    if from > to {
        let hi = f64::from(from) / 2.0;
        for k in 0..=16 {
            let f = lo / 2.0 + (0.995 * hi - lo / 2.0) * f64::from(k) / 16.0;
            let y = run(&mut *make(), from, to, f);
            let ms = y.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>() / y.len() as f64;
            q.aliases_db = q.aliases_db.max(db(ms.sqrt() / (0.5 / 2f64.sqrt())));
        }
    }
    q
}

fn rate(hz: u32) -> SampleRate {
    SampleRate::from_hz(hz).unwrap()
}

/// rubato at the quality barge has: its FFT resampler if that reaches
/// it, else the shortest sinc filter (in steps of 16 taps, cutoff tuned)
/// that does.
fn rubato_at_quality(from: u32, to: u32) -> (String, Box<dyn Fn() -> Box<dyn Frames>>) {
    use WindowFunction::*;
    for window in [BlackmanHarris2, BlackmanHarris, Blackman2, Blackman] {
        let fft = move || Box::new(rubato_fft(from, to, window)) as Box<dyn Frames>;
        let q = quality(&fft, from, to);
        println!("  rubato Fft (20 ms, {window:?}): {q:?}");
        if q.meets() {
            return (format!("Fft, 20 ms chunks, {window:?}"), Box::new(fft));
        }
    }
    for sinc_len in (64..=512).step_by(16) {
        // The passband must reach 0.85 of the lower Nyquist frequency; the
        // highest cutoff that keeps the stopband is the best.
        for f_cutoff in [0.94f32, 0.93, 0.92, 0.91, 0.90, 0.89, 0.88] {
            let sinc =
                move || Box::new(rubato_sinc(from, to, sinc_len, f_cutoff)) as Box<dyn Frames>;
            let q = quality(&sinc, from, to);
            if q.meets() {
                println!("  rubato sinc {sinc_len} taps, cutoff {f_cutoff}: {q:?}");
                return (
                    format!("sinc, {sinc_len} taps, Blackman-Harris², cutoff {f_cutoff}"),
                    Box::new(sinc),
                );
            }
        }
    }
    panic!("no rubato configuration reaches the quality for {from} → {to}");
}

fn main() {
    let mut c = common::config().configure_from_args();
    let mut peers = Vec::new();
    println!("quality at 20 ms frames (ripple dB, images and aliases dB below the tone):");
    for (from, to) in PAIRS {
        println!("{}:", id(from, to));
        let barge = move || Box::new(Resampler::new(rate(from), rate(to))) as Box<dyn Frames>;
        let q = quality(&barge, from, to);
        println!("  barge:                        {q:?}");
        assert!(q.meets(), "barge below the stated quality");
        let (name, make) = rubato_at_quality(from, to);
        let ms = |d: f64| d / f64::from(to) * 1e3;
        println!(
            "  delay: barge {:.2} ms, rubato {:.2} ms",
            ms(barge().delay()),
            ms(make().delay())
        );
        peers.push((from, to, name, make));
    }

    let mut g = c.benchmark_group("rates");
    for (from, to, _, make) in &peers {
        let (from, to) = (*from, *to);
        let (fin, fout) = (from as usize / 50, to as usize / 50);
        let input: Vec<f32> = (0..fin).map(|k| 0.3 * (k as f32 * 0.37).sin()).collect();
        let mut output = vec![0.0f32; fout];
        let mut r = Resampler::new(rate(from), rate(to));
        g.bench_function(format!("convert/{}", id(from, to)), |b| {
            b.iter(|| {
                r.process(black_box(&input), black_box(&mut output))
                    .unwrap()
            })
        });
        let input16: Vec<i16> = input.iter().map(|&v| (v * 32767.0) as i16).collect();
        let mut output16 = vec![0i16; fout];
        g.bench_function(format!("convert_i16/{}", id(from, to)), |b| {
            b.iter(|| {
                r.process_i16(black_box(&input16), black_box(&mut output16))
                    .unwrap()
            })
        });
        let mut peer = make();
        g.bench_function(format!("rubato/{}", id(from, to)), |b| {
            b.iter(|| peer.frame(black_box(&input), black_box(&mut output)))
        });
    }
    for to in [8000u32, 16000, 48000] {
        let src = vec![0.1f32; to as usize / 50];
        let mut dst = vec![0.0f32; to as usize / 50];
        g.bench_function(format!("memcpy/{}k", to / 1000), |b| {
            b.iter(|| dst.copy_from_slice(black_box(&src)))
        });
    }
    for (name, legs) in [("mixed", [8000u32, 16000, 48000]), ("one_rate", [16000; 3])] {
        let call = Format::new(16000, 10).unwrap();
        let mut s = Session::<i16>::new(call);
        let ids = [
            s.join(Role::Customer).unwrap(),
            s.join(Role::Agent).unwrap(),
            s.join(Join::supervisor(Mode::Barge)).unwrap(),
        ];
        let frames: Vec<Vec<i16>> = legs
            .iter()
            .map(|&hz| {
                (0..hz as usize / 100)
                    .map(|k| ((k * 37) % 4000) as i16 - 2000)
                    .collect()
            })
            .collect();
        for (&id, &hz) in ids.iter().zip(&legs) {
            s.set_leg_format(id, Format::new(hz, 10).unwrap()).unwrap();
        }
        g.bench_function(format!("call/{name}/10ms"), |b| {
            b.iter(|| {
                let given: [(PartyId, &[i16]); 3] =
                    [0, 1, 2].map(|i| (ids[i], black_box(&frames[i][..])));
                s.mix_frames(&given).unwrap();
                for &id in &ids {
                    black_box(s.output(id).unwrap());
                }
            })
        });
    }
    g.finish();
    c.final_summary();

    println!("\nrubato configurations (equal or better measured quality):");
    for (from, to, name, _) in &peers {
        println!("  {}: {name}", id(*from, *to));
    }
    println!("\nmedians per 20 ms frame (this run):");
    println!(
        "  {:<8} {:>12} {:>12} {:>12} {:>10} {:>14}",
        "pair", "barge f32", "barge i16", "rubato", "memcpy", "rubato/barge"
    );
    for (from, to, _, _) in &peers {
        let p = id(*from, *to);
        let get = |k: &str| common::median_ns(&format!("rates/{k}")).unwrap_or(f64::NAN);
        let (b, b16, r) = (
            get(&format!("convert/{p}")),
            get(&format!("convert_i16/{p}")),
            get(&format!("rubato/{p}")),
        );
        let m = get(&format!("memcpy/{}k", to / 1000));
        println!(
            "  {p:<8} {b:>9.0} ns {b16:>9.0} ns {r:>9.0} ns {m:>7.0} ns {:>13.2}×",
            r / b
        );
    }
    let get = |k: &str| common::median_ns(&format!("rates/call/{k}/10ms")).unwrap_or(f64::NAN);
    let (mixed, one) = (get("mixed"), get("one_rate"));
    println!(
        "\nthree-party call, 10 ms ticks at 16 kHz: legs at 8/16/48 kHz {mixed:.0} ns, \
         all at 16 kHz {one:.0} ns ({:.2}×); calls per core in real time: {:.0} mixed, {:.0} one rate",
        mixed / one,
        10e6 / mixed,
        10e6 / one
    );
}
