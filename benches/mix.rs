//! Mixing cost per session-frame, beside baselines measured in the same run.
//!
//! ```sh
//! cargo bench --bench mix
//! ```
//!
//! Every benchmark reports `Throughput::Elements` in session-frames: one
//! call mixed for one tick. After the runs, the bench prints a table of the
//! medians and of the ratios the project tracks, each with its target and
//! whether this run met it (the README's "Performance" table is that
//! output).
//!
//! Ids name the call, the sample type and the format
//! (`<group>/<call>/<sample>/<rate>k<ptime>`). A call is `two_party`
//! (customer and agent), `monitor`, `whisper` or `barge` (customer, agent
//! and one supervisor in that mode) or `four` (customer, agent, a whisper
//! supervisor and a barge supervisor), always settled: past the ramps of the
//! joins. Each tick is measured on both of the ways a host hands frames in:
//!
//! - `session/...`: the borrowed path, the one a host that already holds its
//!   frames uses: one `mix_frames(&[(id, &frame), ...])` that reads every
//!   party's frame where it is, then borrow every output with `outputs`,
//!   in the parties' order (a host encodes straight from them).
//! - `session_copied/...`: the copying path: `put_frame` for every party
//!   (one copy of each frame into the session), `mix`, borrow every output
//!   with `output`, one look-up per party.
//! - `session/barge_stereo_tap/i16/8k20`: the borrowed `barge` tick with
//!   one stereo recording tap (`Tap::stereo()`), its frame read with
//!   `tap_frame` after the outputs; `session/four_stems_tap/i16/8k20`: the
//!   borrowed `four` tick with one stems tap (`Tap::stems()`, four stems).
//!   Each beside the same call without a tap (`session/barge/...`,
//!   `session/four/...`).
//! - `session/ramp/i16/8k20` (and `session_copied/ramp/...`): the `barge`
//!   tick right after the supervisor went from whisper to barge, so that
//!   the route from the supervisor to the customer ramps open. `set_mode`,
//!   which works out the routes and compiles the plan, is not timed: each
//!   measured tick gets its own copy of the session in that state (copies
//!   are made outside the timing, eight at a time, so that they stay in the
//!   L1 cache as the session of a settled bench does: see `COPIES`).
//!   `session/mode_change/...` times both.
//! - `session/mode_change/i16/8k20`: what a change costs in all: the
//!   control call that switches the supervisor from whisper to barge
//!   (`set_mode`, which works out the routes and compiles the plan), then
//!   the borrowed tick after it, on a copy of a settled whisper call.
//! - `session/conceal_clean/i16/8k20`: a settled `barge` tick whose
//!   customer conceals lost frames, nothing lost (its concealer hears the
//!   frame); `session/conceal_lost/i16/8k20`: the tick in which that
//!   customer's frame is lost after one that arrived (pitch search,
//!   concealed frame, routes worked out again), on a copy of the call.
//! - `sessions/barge/i16/8k20/N` (borrowed) and `sessions_copied/...`: one
//!   tick over N independent `barge` calls, each with its own host-side
//!   frames (1000: cache-resident; 20000: bound by memory).
//! - `pbx/pcmu/8k20`: one `Driver::tick` over a `barge` call whose three
//!   legs are `G711Source` / `G711Sink` (PCMU) over in-memory payloads: a
//!   whole PBX tick, decode, mix and encode.
//! - `baseline/memcpy/...`: copying the same input frames to as many output
//!   buffers, the floor: `8k20` (and `16k20`, `48k20`, `f32/48k10`) for the
//!   three frames of a three-party call, `two_party/8k20` for two,
//!   `four/8k20` for four; `/N` does it for N three-party calls' own
//!   buffers.
//! - `baseline/memcpy_calls/N`: the copy of `baseline/memcpy/N` between
//!   buffers laid out as the calls of `sessions/.../N` are: each call's
//!   three frames, allocated with its session, copied to three buffers of
//!   its own. Beyond the cache it costs more than the streaming copy: what
//!   moving these bytes costs where they are.
//! - `baseline/memcpy_tap/stereo/8k20` and `.../stems4/8k20`: copying a
//!   tap's output, one buffer of 320 (two channels) and 640 (four stems)
//!   `i16` samples: what a tap may cost at most.
//! - `baseline/naive/8k20`: a first-attempt mixer (fresh `Vec` per output,
//!   hash-map look-ups and a clamp per sample).
//! - `baseline/clamp_c/8k20`: the C mixer of classic media servers (clamp
//!   after every add, with branches), built with `cc` at `-O2`.

#[path = "common/mod.rs"]
mod common;

use std::collections::HashMap;
use std::hint::black_box;

use barge::g711::Law;
use barge::media::{Driver, Fill, G711Sink, G711Source, Leg};
use barge::{Format, Join, Mode, PartyId, Role, Sample, Session, Tap};
use criterion::{BatchSize, BenchmarkGroup, Criterion, Throughput};

type Group<'a> = BenchmarkGroup<'a, criterion::measurement::WallTime>;

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

/// The calls measured: who joins after the customer and the agent.
const TWO_PARTY: &[Mode] = &[];
const MONITOR: &[Mode] = &[Mode::Monitor];
const WHISPER: &[Mode] = &[Mode::Whisper];
const BARGE: &[Mode] = &[Mode::Barge];
const FOUR: &[Mode] = &[Mode::Whisper, Mode::Barge];

/// How a host hands its frames in.
#[derive(Clone, Copy)]
enum Path {
    /// `mix_frames` over the host's own frames.
    Borrowed,
    /// `put_frame` for every party, then `mix`.
    Copied,
}

impl Path {
    fn group(self, group: &str) -> String {
        match self {
            Path::Borrowed => group.to_owned(),
            Path::Copied => format!("{group}_copied"),
        }
    }
}

/// One host tick on the borrowed path: `mix_frames` over the frames where
/// they are, then every output borrowed (`outputs`, in the parties' order).
#[inline]
fn tick_borrowed<S: Sample, const N: usize>(
    session: &mut Session<S>,
    ids: &[PartyId; N],
    frames: &[Vec<S>; N],
) {
    let given: [(PartyId, &[S]); N] = std::array::from_fn(|i| (ids[i], black_box(&frames[i][..])));
    session.mix_frames(&given).unwrap();
    for (_, output) in session.outputs() {
        black_box(output);
    }
}

/// One host tick on the copying path: every frame in with `put_frame`,
/// `mix`, then every output borrowed.
#[inline]
fn tick_copied<S: Sample, const N: usize>(
    session: &mut Session<S>,
    ids: &[PartyId; N],
    frames: &[Vec<S>; N],
) {
    for (&id, frame) in ids.iter().zip(frames) {
        session.put_frame(id, black_box(frame)).unwrap();
    }
    session.mix();
    for &id in ids {
        black_box(session.output(id).unwrap());
    }
}

struct Call<S: Sample, const N: usize> {
    session: Session<S>,
    ids: [PartyId; N],
    frames: [Vec<S>; N],
}

impl<S: Signal, const N: usize> Call<S, N> {
    /// A settled call: the customer, the agent, then a supervisor in each
    /// of `supervisors`' modes (`N` parties in all).
    fn new(format: Format, supervisors: &[Mode], seed: u32) -> Call<S, N> {
        assert_eq!(N, 2 + supervisors.len(), "parties of the call");
        let mut session = Session::new(format);
        let mut ids = vec![
            session.join(Role::Customer).unwrap(),
            session.join(Role::Agent).unwrap(),
        ];
        for &mode in supervisors {
            ids.push(session.join(Join::supervisor(mode)).unwrap());
        }
        let ids: [PartyId; N] = ids.try_into().unwrap();
        let spf = format.samples_per_frame();
        let frames = std::array::from_fn(|i| noise(spf, seed * N as u32 + i as u32 + 1));
        let mut call = Call {
            session,
            ids,
            frames,
        };
        // Past the ramps of the joins: the steady state.
        call.tick(Path::Copied);
        call.tick(Path::Borrowed);
        while call.session.poll_event().is_some() {}
        call
    }

    /// One host tick: N frames in, mix, N frames out.
    #[inline]
    fn tick(&mut self, path: Path) {
        match path {
            Path::Borrowed => tick_borrowed(&mut self.session, &self.ids, &self.frames),
            Path::Copied => tick_copied(&mut self.session, &self.ids, &self.frames),
        }
    }
}

fn session_bench<S: Signal, const N: usize>(
    g: &mut Group<'_>,
    id: &str,
    format: Format,
    supervisors: &[Mode],
    path: Path,
) {
    let mut call = Call::<S, N>::new(format, supervisors, 1);
    match path {
        Path::Borrowed => g.bench_function(id, |b| b.iter(|| call.tick(Path::Borrowed))),
        Path::Copied => g.bench_function(id, |b| b.iter(|| call.tick(Path::Copied))),
    };
}

/// A settled call with one recording tap, on the borrowed path: each tick
/// mixes, borrows every output and then the tap's frame (`tap_len`
/// samples).
fn tap_bench<const N: usize>(
    g: &mut Group<'_>,
    id: &str,
    supervisors: &[Mode],
    tap: Tap,
    tap_len: usize,
) {
    let mut call = Call::<i16, N>::new(Format::NARROWBAND_20MS, supervisors, 1);
    let tap = call.session.add_tap(tap).unwrap();
    // Past the ramps of the tap's channels: the steady state.
    call.tick(Path::Borrowed);
    call.tick(Path::Borrowed);
    while call.session.poll_event().is_some() {}
    assert_eq!(call.session.tap_frame(tap).unwrap().len(), tap_len);
    g.bench_function(id, |b| {
        b.iter(|| {
            call.tick(Path::Borrowed);
            black_box(call.session.tap_frame(tap).unwrap());
        })
    });
}

/// Copies one buffer of `len` samples: a tap's output.
fn memcpy_tap_bench(g: &mut Group<'_>, id: &str, len: usize) {
    let input = noise::<i16>(len, 7);
    let mut output = vec![0i16; len];
    g.bench_function(id, |b| {
        b.iter(|| {
            output.copy_from_slice(black_box(&input));
            black_box(&mut output);
        })
    });
}

/// Copies `N` input frames of `format` to `N` output buffers.
fn memcpy_bench<S: Signal, const N: usize>(g: &mut Group<'_>, id: &str, format: Format) {
    let spf = format.samples_per_frame();
    let inputs: [Vec<S>; N] = std::array::from_fn(|i| noise::<S>(spf, i as u32 + 1));
    let mut outputs: [Vec<S>; N] = std::array::from_fn(|_| vec![S::SILENCE; spf]);
    g.bench_function(id, |b| {
        b.iter(|| {
            for (o, i) in outputs.iter_mut().zip(&inputs) {
                o.copy_from_slice(black_box(i));
            }
            black_box(&mut outputs);
        })
    });
}

/// How many copies of a session the benches of a tick after a change
/// (`ramp`, `mode_change`) make at a time. Eight copies (about 40 KB)
/// nearly fit in an L1 data cache of 48 KiB, as the one session of a
/// settled bench does, so that the ratio of the two compares ticks more
/// than caches: in callgrind's cache simulation (48 KiB L1) a ramp tick
/// misses L1 about 31 times in a batch of 64 copies, 25 in one of 16, 6 in
/// one of 8, and the settled tick never. A smaller L1 leaves more misses.
/// The batch's pair of clock readings, about 33 ns on the machine this was
/// measured on, adds some 4 ns to each of its ticks.
const COPIES: u64 = 8;

fn single_sessions(c: &mut Criterion, path: Path) {
    let mut g = c.benchmark_group(path.group("session"));
    g.throughput(Throughput::Elements(1));
    let nb = Format::NARROWBAND_20MS;
    session_bench::<i16, 2>(&mut g, "two_party/i16/8k20", nb, TWO_PARTY, path);
    session_bench::<i16, 3>(&mut g, "monitor/i16/8k20", nb, MONITOR, path);
    session_bench::<i16, 3>(&mut g, "whisper/i16/8k20", nb, WHISPER, path);
    session_bench::<i16, 3>(&mut g, "barge/i16/8k20", nb, BARGE, path);
    session_bench::<i16, 4>(&mut g, "four/i16/8k20", nb, FOUR, path);
    // The whisper call with its call signals on: the difference from
    // `whisper` is the signals' cost for two parties (the customer's and
    // the agent's detector and the call's counts).
    let mut signals = Call::<i16, 3>::new(nb, WHISPER, 1);
    signals
        .session
        .enable_signals(
            barge::SignalConfig::new().alert_dead_air(std::time::Duration::from_secs(5)),
        )
        .unwrap();
    g.bench_function("whisper_signals/i16/8k20", |b| {
        b.iter(|| {
            signals.tick(path);
            while signals.session.poll_alert().is_some() {}
        })
    });

    // A tick right after whisper → barge: the routes from the supervisor to
    // the customer open with a ramp. Each measured tick gets its own copy of
    // the session in that state (copies are made outside the timing), a
    // batch of `COPIES` at a time.
    let mut whisper = Call::<i16, 3>::new(nb, WHISPER, 1);
    let supervisor = whisper.ids[2];
    whisper.session.set_mode(supervisor, Mode::Barge).unwrap();
    let (ids, frames) = (&whisper.ids, &whisper.frames);
    g.bench_function("ramp/i16/8k20", |b| {
        b.iter_batched_ref(
            || whisper.session.clone(),
            |session| match path {
                Path::Borrowed => tick_borrowed(session, ids, frames),
                Path::Copied => tick_copied(session, ids, frames),
            },
            BatchSize::NumIterations(COPIES),
        )
    });

    if let Path::Borrowed = path {
        // What a change costs in all: the control call that switches the
        // supervisor from whisper to barge (which works out the routes and
        // compiles the plan), then the tick after it.
        let settled = Call::<i16, 3>::new(nb, WHISPER, 1);
        let (ids, frames) = (&settled.ids, &settled.frames);
        g.bench_function("mode_change/i16/8k20", |b| {
            b.iter_batched_ref(
                || settled.session.clone(),
                |session| {
                    session.set_mode(ids[2], Mode::Barge).unwrap();
                    tick_borrowed(session, ids, frames);
                },
                BatchSize::NumIterations(COPIES),
            )
        });

        // A barge call whose customer conceals lost frames: a tick with
        // nothing lost (the concealer hears the customer's frame), and a
        // tick whose customer frame is lost right after one that arrived
        // (the pitch search, the concealed frame, and the routes worked out
        // again, so that none that opened since carries it).
        let mut lossy = Session::<i16>::new(nb);
        let c = lossy.join(Join::customer().conceal_loss()).unwrap();
        let a = lossy.join(Role::Agent).unwrap();
        let v = lossy.join(Join::supervisor(Mode::Barge)).unwrap();
        let voice: Vec<Vec<i16>> = (0..3)
            .map(|k| noise(nb.samples_per_frame(), k + 1))
            .collect();
        let all = [(c, &voice[0][..]), (a, &voice[1][..]), (v, &voice[2][..])];
        for _ in 0..4 {
            lossy.mix_frames(&all).unwrap();
        }
        while lossy.poll_event().is_some() {}
        g.bench_function("conceal_clean/i16/8k20", |b| {
            b.iter(|| {
                lossy.mix_frames(black_box(&all)).unwrap();
                black_box(lossy.output(a).unwrap());
            })
        });
        let others = [(a, &voice[1][..]), (v, &voice[2][..])];
        g.bench_function("conceal_lost/i16/8k20", |b| {
            b.iter_batched_ref(
                || lossy.clone(),
                |session| {
                    session.lose_frame(c).unwrap();
                    session.mix_frames(black_box(&others)).unwrap();
                    black_box(session.output(a).unwrap());
                },
                BatchSize::NumIterations(COPIES),
            )
        });

        let spf = nb.samples_per_frame();
        let stereo = Tap::stereo();
        tap_bench::<3>(&mut g, "barge_stereo_tap/i16/8k20", BARGE, stereo, 2 * spf);
        let stems = Tap::stems();
        tap_bench::<4>(&mut g, "four_stems_tap/i16/8k20", FOUR, stems, 4 * spf);

        let f = Format::new(16000, 20).unwrap();
        session_bench::<i16, 3>(&mut g, "barge/i16/16k20", f, BARGE, path);
        let f = Format::new(48000, 20).unwrap();
        session_bench::<i16, 3>(&mut g, "barge/i16/48k20", f, BARGE, path);
        let f = Format::WEBRTC_10MS;
        session_bench::<f32, 3>(&mut g, "barge/f32/48k10", f, BARGE, path);
    }
    g.finish();
}

/// A PBX tick: `Driver::tick` over a barge call whose legs decode and
/// encode PCMU, from and to payloads in memory.
fn pbx(c: &mut Criterion) {
    let mut g = c.benchmark_group("pbx");
    g.throughput(Throughput::Elements(1));
    let format = Format::NARROWBAND_20MS;
    let spf = format.samples_per_frame();
    let mut session = Session::<i16>::new(format);
    let ids = [
        session.join(Role::Customer).unwrap(),
        session.join(Role::Agent).unwrap(),
        session.join(Join::supervisor(Mode::Barge)).unwrap(),
    ];
    let payloads: [Vec<u8>; 3] = std::array::from_fn(|i| {
        let pcm = noise::<i16>(spf, i as u32 + 1);
        let mut codes = vec![0; spf];
        Law::Ulaw.encode(&pcm, &mut codes).unwrap();
        codes
    });
    let mut sources = payloads.each_ref().map(|p| {
        let received = move |payload: &mut [u8]| {
            payload.copy_from_slice(black_box(&p[..payload.len()]));
            Fill::Frame
        };
        G711Source::new(Law::Ulaw, format, received).unwrap()
    });
    let mut sinks = [(); 3].map(|_| {
        let sent = |payload: &[u8]| {
            black_box(payload);
        };
        G711Sink::new(Law::Ulaw, format, sent).unwrap()
    });
    let [s0, s1, s2] = &mut sources;
    let [k0, k1, k2] = &mut sinks;
    let mut legs = [
        Leg::new(ids[0], s0, k0),
        Leg::new(ids[1], s1, k1),
        Leg::new(ids[2], s2, k2),
    ];
    let mut driver = Driver::new(format);
    // Past the ramps of the joins: the steady state.
    for _ in 0..2 {
        driver.tick(&mut session, &mut legs).unwrap();
    }
    while session.poll_event().is_some() {}
    g.bench_function("pcmu/8k20", |b| {
        b.iter(|| black_box(driver.tick(&mut session, &mut legs).unwrap()))
    });
    g.finish();
}

fn many_sessions(c: &mut Criterion) {
    for n in [1000u32, 20000] {
        let mut calls: Vec<Call<i16, 3>> = (0..n)
            .map(|i| Call::new(Format::NARROWBAND_20MS, BARGE, i))
            .collect();
        for path in [Path::Borrowed, Path::Copied] {
            let mut g = c.benchmark_group(path.group("sessions"));
            g.sample_size(10);
            g.throughput(Throughput::Elements(n.into()));
            g.bench_function(format!("barge/i16/8k20/{n}"), |b| {
                b.iter(|| {
                    for call in calls.iter_mut() {
                        call.tick(path);
                    }
                })
            });
            g.finish();
        }
    }
}

fn baselines(c: &mut Criterion) {
    let mut g = c.benchmark_group("baseline");
    g.throughput(Throughput::Elements(1));
    let nb = Format::NARROWBAND_20MS;
    memcpy_bench::<i16, 3>(&mut g, "memcpy/8k20", nb);
    memcpy_bench::<i16, 2>(&mut g, "memcpy/two_party/8k20", nb);
    memcpy_bench::<i16, 4>(&mut g, "memcpy/four/8k20", nb);
    let f = Format::new(16000, 20).unwrap();
    memcpy_bench::<i16, 3>(&mut g, "memcpy/16k20", f);
    let f = Format::new(48000, 20).unwrap();
    memcpy_bench::<i16, 3>(&mut g, "memcpy/48k20", f);
    memcpy_bench::<f32, 3>(&mut g, "memcpy/f32/48k10", Format::WEBRTC_10MS);
    memcpy_tap_bench(&mut g, "memcpy_tap/stereo/8k20", 2 * nb.samples_per_frame());
    memcpy_tap_bench(&mut g, "memcpy_tap/stems4/8k20", 4 * nb.samples_per_frame());

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
        drop((inputs, outputs));
        // The same copy between buffers laid out as the calls' are: each
        // call's three frames, beside its session, to three buffers of its
        // own.
        let mut calls: Vec<(Call<i16, 3>, [Vec<i16>; 3])> = (0..n as u32)
            .map(|i| {
                let call = Call::new(nb, BARGE, i);
                (call, [0; 3].map(|_| vec![0; spf]))
            })
            .collect();
        g.bench_function(format!("memcpy_calls/{n}"), |b| {
            b.iter(|| {
                for (call, copies) in calls.iter_mut() {
                    for (o, i) in copies.iter_mut().zip(&call.frames) {
                        o.copy_from_slice(black_box(i));
                    }
                    black_box(&mut *copies);
                }
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
/// benchmark against its floor or its competitor, with its target.
const RATIOS: &[(&str, &str, &str)] = &[
    // Every call, borrowed frames in, against a copy of its frames.
    (
        "session/two_party/i16/8k20",
        "baseline/memcpy/two_party/8k20",
        "≤ 2.0",
    ),
    ("session/monitor/i16/8k20", "baseline/memcpy/8k20", "≤ 2.0"),
    ("session/whisper/i16/8k20", "baseline/memcpy/8k20", "≤ 2.0"),
    ("session/barge/i16/8k20", "baseline/memcpy/8k20", "≤ 2.0"),
    (
        "session/four/i16/8k20",
        "baseline/memcpy/four/8k20",
        "≤ 2.0",
    ),
    ("session/ramp/i16/8k20", "session/barge/i16/8k20", "≤ 2.5"),
    ("session/mode_change/i16/8k20", "session/barge/i16/8k20", ""),
    (
        "sessions/barge/i16/8k20/20000",
        "baseline/memcpy/20000",
        "≤ 1.2",
    ),
    (
        "sessions/barge/i16/8k20/20000",
        "baseline/memcpy_calls/20000",
        "",
    ),
    ("baseline/memcpy_calls/20000", "baseline/memcpy/20000", ""),
    ("sessions/barge/i16/8k20/1000", "baseline/memcpy/1000", ""),
    ("pbx/pcmu/8k20", "baseline/memcpy/8k20", "≤ 35"),
    ("pbx/pcmu/8k20", "session/barge/i16/8k20", ""),
    ("baseline/clamp_c/8k20", "session/barge/i16/8k20", "≥ 10"),
    ("baseline/naive/8k20", "session/barge/i16/8k20", "≥ 50"),
    ("session/barge/i16/16k20", "baseline/memcpy/16k20", "≤ 2.5"),
    ("session/barge/i16/48k20", "baseline/memcpy/48k20", "≤ 2.5"),
    (
        "session/barge/f32/48k10",
        "baseline/memcpy/f32/48k10",
        "≤ 2.5",
    ),
    // The same calls with every frame handed in by `put_frame`.
    (
        "session_copied/two_party/i16/8k20",
        "baseline/memcpy/two_party/8k20",
        "",
    ),
    (
        "session_copied/monitor/i16/8k20",
        "baseline/memcpy/8k20",
        "",
    ),
    (
        "session_copied/whisper/i16/8k20",
        "baseline/memcpy/8k20",
        "",
    ),
    ("session_copied/barge/i16/8k20", "baseline/memcpy/8k20", ""),
    (
        "session_copied/four/i16/8k20",
        "baseline/memcpy/four/8k20",
        "",
    ),
    (
        "session_copied/ramp/i16/8k20",
        "session_copied/barge/i16/8k20",
        "",
    ),
    (
        "sessions_copied/barge/i16/8k20/20000",
        "baseline/memcpy/20000",
        "",
    ),
    (
        "sessions_copied/barge/i16/8k20/1000",
        "baseline/memcpy/1000",
        "",
    ),
];

/// What a recording tap adds to a tick, against a copy of the tap's output:
/// (tap tick, plain tick, copy of the output, target of the ratio
/// (tap − plain) / copy). The issue's goal: a tap costs no more than a
/// memcpy of its output.
const TAP_COSTS: &[(&str, &str, &str, &str)] = &[
    (
        "session/barge_stereo_tap/i16/8k20",
        "session/barge/i16/8k20",
        "baseline/memcpy_tap/stereo/8k20",
        "≤ 1.0",
    ),
    (
        "session/four_stems_tap/i16/8k20",
        "session/four/i16/8k20",
        "baseline/memcpy_tap/stems4/8k20",
        "≤ 1.0",
    ),
];

/// Whether `ratio` meets `target` ("≤ x" or "≥ x"); `None` without one.
fn verdict(ratio: f64, target: &str) -> Option<&'static str> {
    let met = if let Some(x) = target.strip_prefix("≤ ") {
        ratio <= x.parse::<f64>().ok()?
    } else if let Some(x) = target.strip_prefix("≥ ") {
        ratio >= x.parse::<f64>().ok()?
    } else {
        return None;
    };
    Some(if met { "met" } else { "missed" })
}

/// Per-session-frame median of one benchmark of this run, in nanoseconds:
/// `.../N` runs N calls per iteration.
fn median_ns(id: &str) -> Option<f64> {
    let ns = common::median_ns(id)?;
    let calls = id.rsplit('/').next()?.parse::<f64>().unwrap_or(1.0);
    Some(ns / calls)
}

fn table() {
    println!("\nmedians per session-frame (this run):");
    let mut ids: Vec<&str> = RATIOS.iter().flat_map(|r| [r.0, r.1]).collect();
    ids.extend(TAP_COSTS.iter().flat_map(|t| [t.0, t.1, t.2]));
    ids.sort_unstable();
    ids.dedup();
    for id in ids {
        if let Some(ns) = median_ns(id) {
            println!("  {id:<38} {ns:>10.1} ns");
        }
    }
    println!("\nratios of medians (target):");
    for &(a, b, target) in RATIOS {
        if let (Some(x), Some(y)) = (median_ns(a), median_ns(b)) {
            let ratio = x / y;
            let verdict = verdict(ratio, target).unwrap_or("");
            println!("  {a:<36} / {b:<30} {ratio:>8.2}  {target} {verdict}");
        }
    }
    println!("\nwhat a tap adds to a tick, per copy of its output (target):");
    for &(tapped, plain, copy, target) in TAP_COSTS {
        match (median_ns(tapped), median_ns(plain), median_ns(copy)) {
            (Some(t), Some(p), Some(c)) => {
                let ratio = (t - p) / c;
                let verdict = verdict(ratio, target).unwrap_or("");
                println!(
                    "  ({tapped} − {plain}) / {copy}: ({t:.1} − {p:.1}) / {c:.1} ns = {ratio:.2}  {target} {verdict}"
                );
            }
            _ => println!("  {tapped}: not measured with {plain} and {copy}"),
        }
    }
    for id in [
        "sessions/barge/i16/8k20/20000",
        "sessions_copied/barge/i16/8k20/20000",
    ] {
        if let Some(ns) = median_ns(id) {
            println!(
                "\ncalls mixed per core in real time (20 ms ticks, {id}): {:.0}",
                20e6 / ns
            );
        }
    }
}

fn main() {
    let mut c = common::config().configure_from_args();
    single_sessions(&mut c, Path::Borrowed);
    single_sessions(&mut c, Path::Copied);
    pbx(&mut c);
    many_sessions(&mut c);
    baselines(&mut c);
    c.final_summary();
    table();
}
