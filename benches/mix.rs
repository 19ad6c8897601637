//! Mixing cost per session-frame, beside baselines measured in the same run.
//!
//! ```sh
//! cargo bench --bench mix
//! ```
//!
//! Every benchmark reports `Throughput::Elements` in session-frames: one
//! three-party call mixed for one tick. After the runs, the bench prints a
//! table of the medians and of the ratios the project tracks (the README's
//! "Performance" table is that output).
//!
//! - `session/...`: one call (customer, agent, supervisor in the given mode):
//!   hand in three frames with `put_frame`, `mix`, borrow the three outputs
//!   with `output` (a host encodes straight from them).
//! - `session/ramp/i16/8k20`: the same tick right after the supervisor went
//!   from whisper to barge, so that two routes ramp open.
//! - `sessions/barge/i16/8k20/N`: one tick over N independent calls, each
//!   with its own host-side frames (1000: cache-resident; 20000: bound by
//!   memory).
//! - `baseline/memcpy/...`: copying the same three input frames to three
//!   output buffers, the floor; `/N` does it for N calls' own buffers.
//! - `baseline/naive/8k20`: a first-attempt mixer (fresh `Vec` per output,
//!   hash-map look-ups and a clamp per sample).
//! - `baseline/clamp_c/8k20`: the C mixer of classic media servers (clamp
//!   after every add, with branches), built with `cc` at `-O2`.

use std::collections::HashMap;
use std::hint::black_box;
use std::time::Duration;

use barge::{Format, Mode, PartyId, Role, Sample, Session};
use criterion::{BatchSize, BenchmarkGroup, Criterion, Throughput};

/// Fixed so that the whole `cargo bench` stays within a few minutes on a
/// small machine; the medians are stable at these settings.
fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(40)
        .noise_threshold(0.05)
}

/// Speech-level pseudo-random frames: loud enough to exercise the adds, quiet
/// enough that a three-party sum never clips.
trait Signal: Sample {
    fn from_noise(x: u32) -> Self;
}
impl Signal for i16 {
    fn from_noise(x: u32) -> i16 {
        ((x >> 16) as i16) / 5
    }
}
impl Signal for f32 {
    fn from_noise(x: u32) -> f32 {
        ((x >> 8) as f32 / (1u32 << 24) as f32 - 0.5) * 0.4
    }
}

fn noise<S: Signal>(len: usize, seed: u32) -> Vec<S> {
    let mut x = seed.wrapping_mul(2_654_435_761).max(1);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            S::from_noise(x)
        })
        .collect()
}

struct Call<S: Sample> {
    session: Session<S>,
    ids: [PartyId; 3],
    frames: [Vec<S>; 3],
}

impl<S: Signal> Call<S> {
    fn new(format: Format, mode: Mode, seed: u32) -> Call<S> {
        let mut session = Session::new(format);
        let ids = [
            session.join(Role::Customer).unwrap(),
            session.join(Role::Agent).unwrap(),
            session.join_supervisor(mode).unwrap(),
        ];
        let spf = format.samples_per_frame();
        let frames = [0, 1, 2].map(|i| noise(spf, seed * 3 + i + 1));
        let mut call = Call {
            session,
            ids,
            frames,
        };
        // Past the ramps of the joins: the steady state.
        call.tick();
        call.tick();
        while call.session.poll_event().is_some() {}
        call
    }

    /// One host tick: three frames in, mix, three frames out.
    #[inline]
    fn tick(&mut self) {
        for (&id, frame) in self.ids.iter().zip(&self.frames) {
            self.session.put_frame(id, black_box(frame)).unwrap();
        }
        self.session.mix();
        for &id in &self.ids {
            black_box(self.session.output(id).unwrap());
        }
    }
}

fn session_bench<S: Signal>(
    g: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>,
    id: &str,
    format: Format,
    mode: Mode,
) {
    let mut call = Call::<S>::new(format, mode, 1);
    g.bench_function(id, |b| b.iter(|| call.tick()));
}

fn memcpy_bench<S: Signal>(
    g: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>,
    id: &str,
    format: Format,
) {
    let spf = format.samples_per_frame();
    let inputs = [0, 1, 2].map(|i| noise::<S>(spf, i + 1));
    let mut outputs = [0; 3].map(|_| vec![S::SILENCE; spf]);
    g.bench_function(id, |b| {
        b.iter(|| {
            for (o, i) in outputs.iter_mut().zip(&inputs) {
                o.copy_from_slice(black_box(i));
            }
            black_box(&mut outputs);
        })
    });
}

fn single_sessions(c: &mut Criterion) {
    let mut g = c.benchmark_group("session");
    g.throughput(Throughput::Elements(1));
    let nb = Format::NARROWBAND_20MS;
    session_bench::<i16>(&mut g, "barge/i16/8k20", nb, Mode::Barge);
    let f = Format::new(16000, 20).unwrap();
    session_bench::<i16>(&mut g, "barge/i16/16k20", f, Mode::Barge);
    let f = Format::new(48000, 20).unwrap();
    session_bench::<i16>(&mut g, "barge/i16/48k20", f, Mode::Barge);
    session_bench::<f32>(&mut g, "barge/f32/48k10", Format::WEBRTC_10MS, Mode::Barge);
    session_bench::<i16>(&mut g, "whisper/i16/8k20", nb, Mode::Whisper);
    session_bench::<i16>(&mut g, "monitor/i16/8k20", nb, Mode::Monitor);

    // A tick right after whisper → barge: the routes from the supervisor to
    // the customer open with a ramp. Each measured tick gets its own copy of
    // the session in that state (copies are made outside the timing).
    let mut whisper = Call::<i16>::new(nb, Mode::Whisper, 1);
    let supervisor = whisper.ids[2];
    whisper.session.set_mode(supervisor, Mode::Barge).unwrap();
    g.bench_function("ramp/i16/8k20", |b| {
        b.iter_batched_ref(
            || whisper.session.clone(),
            |session| {
                for (&id, frame) in whisper.ids.iter().zip(&whisper.frames) {
                    session.put_frame(id, black_box(frame)).unwrap();
                }
                session.mix();
                for &id in &whisper.ids {
                    black_box(session.output(id).unwrap());
                }
            },
            BatchSize::NumIterations(64),
        )
    });
    g.finish();
}

fn many_sessions(c: &mut Criterion) {
    let mut g = c.benchmark_group("sessions");
    g.sample_size(10);
    for n in [1000u32, 20000] {
        let mut calls: Vec<Call<i16>> = (0..n)
            .map(|i| Call::new(Format::NARROWBAND_20MS, Mode::Barge, i))
            .collect();
        g.throughput(Throughput::Elements(n.into()));
        g.bench_function(format!("barge/i16/8k20/{n}"), |b| {
            b.iter(|| {
                for call in calls.iter_mut() {
                    call.tick();
                }
            })
        });
    }
    g.finish();
}

fn baselines(c: &mut Criterion) {
    let mut g = c.benchmark_group("baseline");
    g.throughput(Throughput::Elements(1));
    let nb = Format::NARROWBAND_20MS;
    memcpy_bench::<i16>(&mut g, "memcpy/8k20", nb);
    memcpy_bench::<i16>(&mut g, "memcpy/16k20", Format::new(16000, 20).unwrap());
    memcpy_bench::<i16>(&mut g, "memcpy/48k20", Format::new(48000, 20).unwrap());
    memcpy_bench::<f32>(&mut g, "memcpy/f32/48k10", Format::WEBRTC_10MS);

    let spf = nb.samples_per_frame();
    let inputs = [0, 1, 2].map(|i| noise::<i16>(spf, i + 1));

    let mut naive = Naive::barge();
    g.bench_function("naive/8k20", |b| {
        b.iter(|| {
            for (id, frame) in (0u32..).zip(&inputs) {
                naive.put_frame(id, black_box(frame));
            }
            let heard = naive.mix();
            for id in 0..3 {
                black_box(heard.get(&id));
            }
        })
    });

    let mut outputs = [0; 3].map(|_| vec![0i16; spf]);
    let hears = [
        [false, true, true],
        [true, false, true],
        [true, true, false],
    ];
    g.bench_function("clamp_c/8k20", |b| {
        b.iter(|| {
            let ins = [0, 1, 2].map(|i| black_box(&inputs[i][..]));
            let [o0, o1, o2] = &mut outputs;
            clamp_c::mix(&ins, &mut [&mut o0[..], &mut o1[..], &mut o2[..]], &hears);
            black_box(&mut outputs);
        })
    });
    g.finish();

    let mut g = c.benchmark_group("baseline");
    g.sample_size(10);
    for n in [1000usize, 20000] {
        let frames = 3 * n;
        let inputs: Vec<Vec<i16>> = (0..frames).map(|i| noise(spf, i as u32 + 1)).collect();
        let mut outputs: Vec<Vec<i16>> = (0..frames).map(|_| vec![0; spf]).collect();
        g.throughput(Throughput::Elements(n as u64));
        g.bench_function(format!("memcpy/{n}"), |b| {
            b.iter(|| {
                for (o, i) in outputs.iter_mut().zip(&inputs) {
                    o.copy_from_slice(black_box(i));
                }
                black_box(&mut outputs);
            })
        });
    }
    g.finish();
}

/// The mixer a first implementation writes: frames and routes in hash maps,
/// looked up for every sample, a float gain and a clamp per add, and a fresh
/// `Vec` for every output of every tick.
struct Naive {
    parties: Vec<u32>,
    frames: HashMap<u32, Vec<i16>>,
    routes: HashMap<(u32, u32), f32>,
}

impl Naive {
    fn barge() -> Naive {
        let parties = vec![0, 1, 2];
        let mut routes = HashMap::new();
        for &l in &parties {
            for &t in &parties {
                if l != t {
                    routes.insert((l, t), 1.0);
                }
            }
        }
        Naive {
            parties,
            frames: HashMap::new(),
            routes,
        }
    }

    fn put_frame(&mut self, party: u32, frame: &[i16]) {
        self.frames.insert(party, frame.to_vec());
    }

    fn mix(&mut self) -> HashMap<u32, Vec<i16>> {
        let len = self.frames.values().map(Vec::len).max().unwrap_or(0);
        let mut heard = HashMap::new();
        for &l in &self.parties {
            let mut out = Vec::new();
            for i in 0..len {
                let mut sum = 0i32;
                for &t in &self.parties {
                    if t == l {
                        continue;
                    }
                    let Some(frame) = self.frames.get(&t) else {
                        continue;
                    };
                    let Some(&gain) = self.routes.get(&(l, t)) else {
                        continue;
                    };
                    let x = frame.get(i).copied().unwrap_or(0);
                    sum = (sum + (x as f32 * gain) as i32).clamp(-32768, 32767);
                }
                out.push(sum as i16);
            }
            heard.insert(l, out);
        }
        self.frames.clear();
        heard
    }
}

/// The ratios the project tracks, from the medians of this run: each
/// benchmark against its floor or its competitor.
const RATIOS: &[(&str, &str, &str)] = &[
    ("session/barge/i16/8k20", "baseline/memcpy/8k20", "≤ 2.0"),
    ("baseline/clamp_c/8k20", "session/barge/i16/8k20", "≥ 3"),
    ("baseline/naive/8k20", "session/barge/i16/8k20", "≥ 50"),
    ("session/ramp/i16/8k20", "session/barge/i16/8k20", "≤ 3"),
    (
        "sessions/barge/i16/8k20/20000",
        "baseline/memcpy/20000",
        "≤ 1.5",
    ),
    ("sessions/barge/i16/8k20/1000", "baseline/memcpy/1000", ""),
    ("session/barge/i16/16k20", "baseline/memcpy/16k20", "≤ 2.5"),
    ("session/barge/i16/48k20", "baseline/memcpy/48k20", "≤ 2.5"),
    (
        "session/barge/f32/48k10",
        "baseline/memcpy/f32/48k10",
        "≤ 2.5",
    ),
    ("session/whisper/i16/8k20", "baseline/memcpy/8k20", ""),
    ("session/monitor/i16/8k20", "baseline/memcpy/8k20", ""),
];

/// Per-session-frame median of one benchmark of this run, in nanoseconds,
/// read from criterion's estimates.
fn median_ns(id: &str) -> Option<f64> {
    let dir = match std::env::var_os("CRITERION_HOME") {
        Some(d) => std::path::PathBuf::from(d),
        // target/release/deps/mix-<hash> → target/criterion
        None => std::env::current_exe()
            .ok()?
            .parent()?
            .parent()?
            .parent()?
            .join("criterion"),
    };
    // criterion keeps `group/function` in `group/function-with-underscores`.
    let (group, function) = id.split_once('/')?;
    let path = dir.join(group).join(function.replace('/', "_"));
    let json = std::fs::read_to_string(path.join("new/estimates.json")).ok()?;
    let median = json.split("\"median\"").nth(1)?;
    let point = median.split("\"point_estimate\":").nth(1)?;
    let end = point.find([',', '}'])?;
    let ns: f64 = point[..end].trim().parse().ok()?;
    // `.../N` runs N calls per iteration.
    let calls = id.rsplit('/').next()?.parse::<f64>().unwrap_or(1.0);
    Some(ns / calls)
}

fn table() {
    println!("\nmedians per session-frame (this run):");
    let mut ids: Vec<&str> = RATIOS.iter().flat_map(|r| [r.0, r.1]).collect();
    ids.sort_unstable();
    ids.dedup();
    for id in ids {
        if let Some(ns) = median_ns(id) {
            println!("  {id:<32} {ns:>10.1} ns");
        }
    }
    println!("\nratios of medians (target):");
    for &(a, b, target) in RATIOS {
        if let (Some(x), Some(y)) = (median_ns(a), median_ns(b)) {
            println!("  {a:<30} / {b:<26} {:>8.2}  {target}", x / y);
        }
    }
    if let Some(ns) = median_ns("sessions/barge/i16/8k20/20000") {
        println!(
            "\ncalls mixed per core in real time (20 ms ticks, 20000 calls): {:.0}",
            20e6 / ns
        );
    }
}

fn main() {
    let mut c = config().configure_from_args();
    single_sessions(&mut c);
    many_sessions(&mut c);
    baselines(&mut c);
    c.final_summary();
    table();
}
