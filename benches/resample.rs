//! Resampling cost per 10 ms frame, beside speexdsp (the resampler of every
//! open PBX) and rubato, at measured quality, all in the same run.
//!
//! ```sh
//! cargo bench -p barge-benches --bench resample                      # everything
//! cargo bench -p barge-benches --bench resample -- 'resample/8k_16k' # one pair
//! ```
//!
//! - `resample/{from}_{to}/{f32|i16}/barge`: one 10 ms frame through
//!   [`Resampler::process`] or [`Resampler::process_i16`].
//! - `resample/{from}_{to}/{f32|i16}/speexdsp_q{2,3,4,5}`: the same frame
//!   through Debian's speexdsp (`speex_resampler_process_float` or
//!   `_int`, one mono stream) at qualities 2 (FreeSWITCH's), 3 (its VoIP
//!   preset), 4 (its default) and 5 (Asterisk's).
//! - `resample/{from}_{to}/f32/rubato`: the same `f32` frame through
//!   rubato's synchronous FFT resampler, or where that does not reach the
//!   quality below, its sinc resampler with the shortest filter that does
//!   (8 ↔ 16, 8 ↔ 48 and 16 ↔ 48 kHz).
//! - `rates/memcpy/{to}`: copying the output frame's bytes, the floor.
//! - `rates/call/mixed/10ms`: one 10 ms tick of a three-party `i16` call
//!   mixed at 16 kHz whose customer is at 8 kHz, agent at 16 kHz and
//!   supervisor (barging) at 48 kHz: frames handed in borrowed at each
//!   leg's rate, mixed, every output borrowed (four conversions).
//!   `rates/call/one_rate/10ms` is the same call with every leg at 16 kHz.
//!
//! Before timing, the bench measures every converter it times, `f32` and
//! `i16`, with the tones of `tests/resample.rs` (the passband level from
//! 300 Hz to 0.85 × the lower Nyquist frequency, everything else in the
//! output of those tones, and converting down, the output of tones from
//! 1.15 × the lower Nyquist frequency up) and prints the figures. The spec
//! is barge's: flat within ±0.1 dB, images and aliases at least 70 dB
//! down. Then it prints, per pair and sample type, the medians, the
//! fastest speexdsp quality that meets the spec (the peer), and the ratios
//! speexdsp / barge. With `BARGE_BENCH_CSV=path` it appends the medians
//! to that file (run, id, ns) and whether each converter met the spec
//! (run, `meets/{from}_{to}/{type}/{converter}`, 1 or 0), for medians over
//! several runs (`benches/resample_medians.py`); the path is best
//! absolute, since the bench runs in `benches/`.

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
use speexdsp_c::Speex;

/// The pairs of the issue's table, with rubato too.
const MAIN: [(u32, u32); 6] = [
    (8000, 16000),
    (16000, 8000),
    (8000, 48000),
    (48000, 8000),
    (16000, 48000),
    (48000, 16000),
];

const QUALITIES: [u8; 4] = [2, 3, 4, 5];

/// Frames per second: 10 ms frames.
const FPS: u32 = 100;

fn pair_id(from: u32, to: u32) -> String {
    format!("{}k_{}k", from / 1000, to / 1000)
}

fn rate(hz: u32) -> SampleRate {
    SampleRate::from_hz(hz).unwrap()
}

/// Every pair of distinct rates: the main ones first.
fn pairs() -> Vec<(u32, u32)> {
    let mut v = MAIN.to_vec();
    for from in SampleRate::ALL {
        for to in SampleRate::ALL {
            let p = (from.hz(), to.hz());
            if from != to && !v.contains(&p) {
                v.push(p);
            }
        }
    }
    v
}

/// A converter of 10 ms frames: `input.len()` is `from / 100`, the output
/// `to / 100`.
trait Frames {
    fn f32(&mut self, input: &[f32], output: &mut [f32]);
    /// `false` where there is no `i16` path.
    fn i16(&mut self, input: &[i16], output: &mut [i16]) -> bool;
    /// The delay it adds, in output samples.
    fn delay(&self) -> f64;
}

impl Frames for Resampler {
    fn f32(&mut self, input: &[f32], output: &mut [f32]) {
        self.process(input, output).unwrap();
    }
    fn i16(&mut self, input: &[i16], output: &mut [i16]) -> bool {
        self.process_i16(input, output).unwrap();
        true
    }
    fn delay(&self) -> f64 {
        self.delay_samples()
    }
}

impl Frames for Speex {
    fn f32(&mut self, input: &[f32], output: &mut [f32]) {
        let done = self.process_f32(input, output);
        debug_assert_eq!(done, (input.len(), output.len()));
    }
    fn i16(&mut self, input: &[i16], output: &mut [i16]) -> bool {
        let done = self.process_i16(input, output);
        debug_assert_eq!(done, (input.len(), output.len()));
        true
    }
    fn delay(&self) -> f64 {
        self.output_latency() as f64
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
    fn f32(&mut self, input: &[f32], output: &mut [f32]) {
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
    fn i16(&mut self, _: &[i16], _: &mut [i16]) -> bool {
        false
    }
    fn delay(&self) -> f64 {
        match self {
            Rubato::Fft(r) => r.output_delay() as f64,
            Rubato::Sinc(r, _) => r.output_delay() as f64,
        }
    }
}

fn rubato_fft(from: u32, to: u32, window: WindowFunction) -> Rubato {
    let frame = (from / FPS) as usize;
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
    let frame = (from / FPS) as usize;
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

type Make = Box<dyn Fn() -> Box<dyn Frames>>;

/// The measured quality of a converter: worst passband deviation (dB),
/// worst image or other residue of a passband tone (dB below the tone),
/// worst output of a tone from 1.15 × the lower Nyquist frequency up
/// converting down (dB below the tone).
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

impl std::fmt::Display for Quality {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Not measured converting up; -inf where every output sample of
        // every tone was exactly zero (`i16` output rounded to silence).
        let aliases = if self.aliases_db == f64::MIN {
            "    -".to_string()
        } else if self.aliases_db == f64::NEG_INFINITY {
            " -inf".to_string()
        } else {
            format!("{:5.1}", self.aliases_db)
        };
        write!(
            f,
            "ripple {:6.3} dB, images {:6.1} dB, aliases {aliases} dB{}",
            self.ripple_db,
            self.images_db,
            if self.meets() { "" } else { "  (below spec)" }
        )
    }
}

const AMP: f64 = 0.5;

/// 400 ms of a tone at `f` through `conv` in 10 ms frames, `f32` or (with
/// `pcm`) `i16` at the same level; the last 300 ms of the output, as
/// fractions of full scale.
fn run(conv: &mut dyn Frames, from: u32, to: u32, f: f64, pcm: bool) -> Vec<f64> {
    let (fin, fout) = ((from / FPS) as usize, (to / FPS) as usize);
    let frames = 40;
    let x: Vec<f64> = (0..fin * frames)
        .map(|k| AMP * (2.0 * PI * f * k as f64 / f64::from(from)).sin())
        .collect();
    let mut y = vec![0.0f64; fout * frames];
    if pcm {
        let x16: Vec<i16> = x.iter().map(|&v| (v * 32768.0).round() as i16).collect();
        let mut o = vec![0i16; fout];
        for (i, out) in x16.chunks_exact(fin).zip(y.chunks_exact_mut(fout)) {
            conv.i16(i, &mut o);
            for (d, &s) in out.iter_mut().zip(&o) {
                *d = f64::from(s) / 32768.0;
            }
        }
    } else {
        let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
        let mut o = vec![0f32; fout];
        for (i, out) in x32.chunks_exact(fin).zip(y.chunks_exact_mut(fout)) {
            conv.f32(i, &mut o);
            for (d, &s) in out.iter_mut().zip(&o) {
                *d = f64::from(s);
            }
        }
    }
    y.drain(..fout * 10); // 100 ms to settle, whatever the delay
    y
}

/// Level (relative to the input's) and the RMS of the rest (relative to
/// the input's RMS), of the component at `f` of `y` (sampled at `rate`),
/// by least squares.
fn fit(y: &[f64], f: f64, rate: f64) -> (f64, f64) {
    let (mut ss, mut cc, mut sc, mut ys, mut yc) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for (k, &v) in y.iter().enumerate() {
        let (s, c) = (2.0 * PI * f * k as f64 / rate).sin_cos();
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
            (v - a * s - b * c).powi(2)
        })
        .sum::<f64>()
        / y.len() as f64;
    (a.hypot(b) / AMP, rest.sqrt() / (AMP / 2f64.sqrt()))
}

fn quality(make: &dyn Fn() -> Box<dyn Frames>, from: u32, to: u32, pcm: bool) -> Quality {
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
        let y = run(&mut *make(), from, to, f, pcm);
        let (level, rest) = fit(&y, f, f64::from(to));
        q.ripple_db = q.ripple_db.max(db(level).abs());
        q.images_db = q.images_db.max(db(rest));
    }
    if from > to {
        q.aliases_db = f64::NEG_INFINITY;
        let (start, hi) = (1.15 * lo / 2.0, f64::from(from) / 2.0);
        for k in 0..=16 {
            let f = start + (0.995 * hi - start) * f64::from(k) / 16.0;
            let y = run(&mut *make(), from, to, f, pcm);
            let ms = y.iter().map(|v| v.powi(2)).sum::<f64>() / y.len() as f64;
            q.aliases_db = q.aliases_db.max(db(ms.sqrt() / (AMP / 2f64.sqrt())));
        }
    }
    q
}

/// rubato at barge's spec: its FFT resampler if that reaches it, else the
/// shortest sinc filter (in steps of 16 taps, cutoff tuned) that does.
fn rubato_at_quality(from: u32, to: u32) -> (String, Make, Quality) {
    use WindowFunction::*;
    for window in [BlackmanHarris2, BlackmanHarris, Blackman2, Blackman] {
        let fft = move || Box::new(rubato_fft(from, to, window)) as Box<dyn Frames>;
        let q = quality(&fft, from, to, false);
        if q.meets() {
            return (format!("Fft, 10 ms chunks, {window:?}"), Box::new(fft), q);
        }
    }
    for sinc_len in (64..=512).step_by(16) {
        // The passband must reach 0.85 of the lower Nyquist frequency; the
        // highest cutoff that keeps the stopband is the best.
        for f_cutoff in [0.94f32, 0.93, 0.92, 0.91, 0.90, 0.89, 0.88] {
            let sinc =
                move || Box::new(rubato_sinc(from, to, sinc_len, f_cutoff)) as Box<dyn Frames>;
            let q = quality(&sinc, from, to, false);
            if q.meets() {
                return (
                    format!("sinc, {sinc_len} taps, Blackman-Harris², cutoff {f_cutoff}"),
                    Box::new(sinc),
                    q,
                );
            }
        }
    }
    panic!("no rubato configuration reaches the quality for {from} → {to}");
}

/// One converter of one pair: its name in the bench ids, how to make it,
/// and its measured quality per sample type (`None`: no such path).
struct Conv {
    name: String,
    make: Make,
    quality: [Option<Quality>; 2],
}

const TYPES: [&str; 2] = ["f32", "i16"];

fn main() {
    let mut c = common::config().configure_from_args();
    let filter: Option<String> = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-') && a.contains('/'));
    let wanted = |id: &str| filter.as_deref().map_or(true, |f| id.contains(f));
    println!("quality at 10 ms frames (passband ripple, images of passband tones, aliases of tones from 1.15 × the lower Nyquist frequency):");
    let mut table: Vec<(u32, u32, Vec<Conv>)> = Vec::new();
    for (from, to) in pairs() {
        let p = pair_id(from, to);
        if !wanted(&format!("resample/{p}/")) {
            continue;
        }
        let mut convs = Vec::new();
        let barge: Make = Box::new(move || Box::new(Resampler::new(rate(from), rate(to))));
        convs.push(Conv {
            name: "barge".into(),
            make: barge,
            quality: [None, None],
        });
        for q in QUALITIES {
            let make: Make = Box::new(move || Box::new(Speex::new(from, to, q).unwrap()));
            convs.push(Conv {
                name: format!("speexdsp_q{q}"),
                make,
                quality: [None, None],
            });
        }
        for conv in &mut convs {
            for (t, pcm) in [false, true].into_iter().enumerate() {
                conv.quality[t] = Some(quality(&conv.make, from, to, pcm));
            }
        }
        if MAIN.contains(&(from, to)) {
            let (name, make, q) = rubato_at_quality(from, to);
            println!("  {p}: rubato is {name}");
            convs.push(Conv {
                name: "rubato".into(),
                make,
                quality: [Some(q), None],
            });
        }
        println!("{p}:");
        for conv in &convs {
            let delay = (conv.make)().delay() / f64::from(to) * 1e3;
            for (t, q) in TYPES.iter().zip(&conv.quality) {
                if let Some(q) = q {
                    println!("  {:<12} {t}: {q}, delay {delay:.2} ms", conv.name);
                }
            }
        }
        let [Some(bf), Some(bi)] = convs[0].quality else {
            unreachable!()
        };
        assert!(bf.meets() && bi.meets(), "barge below its spec for {p}");
        table.push((from, to, convs));
    }

    let mut g = c.benchmark_group("resample");
    for (from, to, convs) in &table {
        let (from, to) = (*from, *to);
        let p = pair_id(from, to);
        let (fin, fout) = ((from / FPS) as usize, (to / FPS) as usize);
        let input: Vec<f32> = (0..fin).map(|k| 0.3 * (k as f32 * 0.37).sin()).collect();
        let input16: Vec<i16> = input.iter().map(|&v| (v * 32767.0) as i16).collect();
        let mut output = vec![0.0f32; fout];
        let mut output16 = vec![0i16; fout];
        for conv in convs {
            let mut r = (conv.make)();
            g.bench_function(format!("{p}/f32/{}", conv.name), |b| {
                b.iter(|| r.f32(black_box(&input), black_box(&mut output)))
            });
            if conv.quality[1].is_some() {
                g.bench_function(format!("{p}/i16/{}", conv.name), |b| {
                    b.iter(|| r.i16(black_box(&input16), black_box(&mut output16)))
                });
            }
        }
    }
    g.finish();

    let mut g = c.benchmark_group("rates");
    for to in [8000u32, 16000, 48000] {
        let src = vec![0.1f32; (to / FPS) as usize];
        let mut dst = vec![0.0f32; (to / FPS) as usize];
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

    report(&table);
}

/// Prints this run's medians and ratios, and appends them to
/// `$BARGE_BENCH_CSV` if set.
fn report(table: &[(u32, u32, Vec<Conv>)]) {
    let get = |id: &str| common::median_ns(id);
    let mut csv = String::new();
    let run = std::env::var("BARGE_BENCH_RUN").unwrap_or_default();
    println!("\nmedians per 10 ms frame (this run); ratios are speexdsp (or rubato) ÷ barge:");
    println!(
        "  {:<9} {:<4} {:>9} {:>15} {:>15} {:>15} {:>15} {:>15}  peer",
        "pair",
        "type",
        "barge",
        "speexdsp q2",
        "speexdsp q3",
        "speexdsp q4",
        "speexdsp q5",
        "rubato"
    );
    for (from, to, convs) in table {
        let p = pair_id(*from, *to);
        for (t, ty) in TYPES.iter().enumerate() {
            let ns: Vec<Option<f64>> = convs
                .iter()
                .map(|c| get(&format!("resample/{p}/{ty}/{}", c.name)))
                .collect();
            for (c, n) in convs.iter().zip(&ns) {
                if let Some(n) = n {
                    csv.push_str(&format!("{run},resample/{p}/{ty}/{},{n:.1}\n", c.name));
                }
                if let Some(q) = c.quality[t] {
                    let meets = u8::from(q.meets());
                    csv.push_str(&format!("{run},meets/{p}/{ty}/{},{meets}\n", c.name));
                }
            }
            let Some(barge) = ns[0] else { continue };
            let cell = |i: usize| match convs.get(i).and_then(|_| ns[i]) {
                Some(n) => {
                    let mark = if convs[i].quality[t].is_some_and(|q| q.meets()) {
                        ' '
                    } else {
                        '*'
                    };
                    format!("{n:>6.0}{mark}{:>6.2}×", n / barge)
                }
                None => "-".into(),
            };
            // The peer: the fastest speexdsp quality that meets the spec.
            let peer = (1..=QUALITIES.len())
                .filter(|&i| convs[i].quality[t].is_some_and(|q| q.meets()))
                .filter_map(|i| ns[i].map(|n| (n, i)))
                .min_by(|a, b| a.0.total_cmp(&b.0));
            let peer = match peer {
                Some((n, i)) => format!("{} {:.2}×", convs[i].name, n / barge),
                None => "none meets the spec".into(),
            };
            println!(
                "  {p:<9} {ty:<4} {barge:>6.0} ns {} {} {} {} {}  {peer}",
                cell(1),
                cell(2),
                cell(3),
                cell(4),
                if t == 0 { cell(5) } else { "-".into() },
            );
        }
    }
    println!("  (* below the spec)");
    let call = |k: &str| get(&format!("rates/call/{k}/10ms"));
    if let (Some(mixed), Some(one)) = (call("mixed"), call("one_rate")) {
        csv.push_str(&format!("{run},rates/call/mixed/10ms,{mixed:.1}\n"));
        csv.push_str(&format!("{run},rates/call/one_rate/10ms,{one:.1}\n"));
        println!(
            "\nthree-party call, 10 ms ticks at 16 kHz: legs at 8/16/48 kHz {mixed:.0} ns, \
             all at 16 kHz {one:.0} ns ({:.1}×); calls per core in real time: {:.0} mixed, {:.0} one rate",
            mixed / one,
            10e6 / mixed,
            10e6 / one
        );
    }
    if let Some(path) = std::env::var_os("BARGE_BENCH_CSV") {
        use std::io::Write as _;
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap();
        f.write_all(csv.as_bytes()).unwrap();
    }
}
