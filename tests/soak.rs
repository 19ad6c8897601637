//! Soak: 2,000 calls of 3,000 ticks each, mixed the way a server mixes them
//! (every call once per tick, in turn), with supervisors joining, leaving and
//! switching modes, agents transferring, volumes changing and frames going
//! missing, all driven by a deterministic generator. Every tick of every call
//! checks that:
//!
//! - while every supervisor monitors, the customer and the agent hear
//!   exactly what they hear in the same call without the supervisors;
//! - while no supervisor barges, the customer hears exactly that too:
//!   whisper never reaches the customer;
//! - a party that is the only one talking hears silence: nobody hears
//!   themselves; no `f32` output is ever non-finite;
//! - `put_frame`, `mix` and `output` allocate nothing;
//! - each party's `frames_mixed + frames_missing` is the number of ticks it
//!   was present for, and `frames_mixed` the number of frames handed in.
//!
//! In a debug build (`cargo test`) it runs a smaller soak; `.ci/run` runs
//! the full size with `cargo test --release --test soak`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use barge::{Format, Join, Mode, PartyId, Role, Sample, Session};

/// Counts the allocations this thread makes while `COUNTING` is set.
struct Counting;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    /// Allocations this thread made while counting.
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

fn note_allocation() {
    if COUNTING.with(Cell::get) {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
    }
}

fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

// SAFETY: every call is passed unchanged to the system allocator; counting
// touches only const-initialised thread-locals without destructors, which
// never allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_allocation();
        System.alloc(layout)
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note_allocation();
        System.alloc_zeroed(layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note_allocation();
        System.realloc(ptr, layout, new_size)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Runs `f` with allocation counting on; returns what it returned.
fn counted<T>(f: impl FnOnce() -> T) -> T {
    COUNTING.with(|c| c.set(true));
    let r = f();
    COUNTING.with(|c| c.set(false));
    r
}

/// SplitMix64: a small deterministic generator, so that a failure can be
/// replayed exactly.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// True once in `n` calls, on average.
    fn one_in(&mut self, n: u64) -> bool {
        self.next() % n == 0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn mode(&mut self) -> Mode {
        Mode::ALL[self.below(3)]
    }
}

/// Frames handed in by the soak: a pool of noise, some loud enough to clip,
/// and for `f32` some carrying NaN and infinities.
trait SoakSample: Sample {
    fn pool(rng: &mut Rng, spf: usize) -> Vec<Vec<Self>>;
    fn is_silence(self) -> bool;
    fn is_valid(self) -> bool;
    fn non_finite(frame: &[Self]) -> u64;
}

impl SoakSample for i16 {
    fn pool(rng: &mut Rng, spf: usize) -> Vec<Vec<i16>> {
        (0..64)
            .map(|i| {
                let shift = if i % 8 == 0 { 0 } else { 3 };
                (0..spf).map(|_| (rng.next() as i16) >> shift).collect()
            })
            .collect()
    }
    fn is_silence(self) -> bool {
        self == 0
    }
    fn is_valid(self) -> bool {
        true
    }
    fn non_finite(_: &[i16]) -> u64 {
        0
    }
}

impl SoakSample for f32 {
    fn pool(rng: &mut Rng, spf: usize) -> Vec<Vec<f32>> {
        (0..64)
            .map(|i| {
                (0..spf)
                    .map(|j| match (i % 16, j % 7) {
                        (0, 0) => f32::NAN,
                        (0, 1) => f32::INFINITY,
                        (0, 2) => f32::NEG_INFINITY,
                        _ => {
                            (rng.next() as i16) as f32 / if i % 8 == 1 { 20000.0 } else { 80000.0 }
                        }
                    })
                    .collect()
            })
            .collect()
    }
    fn is_silence(self) -> bool {
        self == 0.0
    }
    fn is_valid(self) -> bool {
        self.is_finite() && (-1.0..=1.0).contains(&self)
    }
    fn non_finite(frame: &[f32]) -> u64 {
        frame.iter().filter(|s| !s.is_finite()).count() as u64
    }
}

/// One party of a soaked call, as the test tracks it.
struct Tracked {
    id: PartyId,
    /// The same party in the call without supervisors, for the customer
    /// and the agent.
    shadow: Option<PartyId>,
    role: Role,
    present: u64,
    handed_in: u64,
    non_finite: u64,
}

/// One call, the same call without its supervisors and recorders, and what
/// the test knows about them.
struct Call<S: SoakSample> {
    session: Session<S>,
    without: Session<S>,
    parties: Vec<Tracked>,
    /// Which of `parties` hands in a frame this tick, and which frame.
    frames: Vec<Option<usize>>,
}

impl<S: SoakSample> Call<S> {
    fn new(format: Format, rng: &mut Rng) -> Self {
        let mut call = Call {
            session: Session::new(format),
            without: Session::new(format),
            parties: Vec::new(),
            frames: Vec::new(),
        };
        call.join(Role::Customer, None);
        call.join(Role::Agent, None);
        for _ in 0..rng.below(3) {
            let mode = rng.mode();
            call.join(Role::Supervisor, Some(mode));
        }
        if rng.one_in(4) {
            call.join(Role::Recorder, None);
        }
        call
    }

    fn join(&mut self, role: Role, mode: Option<Mode>) {
        let id = match (role, mode) {
            (Role::Supervisor, Some(m)) => self.session.join(Join::supervisor(m)),
            (Role::Recorder, _) => self
                .session
                .join(Join::recorder(self.parties.len() % 2 == 0)),
            _ => self.session.join(role),
        }
        .unwrap();
        let shadow =
            matches!(role, Role::Customer | Role::Agent).then(|| self.without.join(role).unwrap());
        self.parties.push(Tracked {
            id,
            shadow,
            role,
            present: 0,
            handed_in: 0,
            non_finite: 0,
        });
    }

    fn leave(&mut self, i: usize) {
        let p = self.parties.remove(i);
        self.session.leave(p.id).unwrap();
        if let Some(s) = p.shadow {
            self.without.leave(s).unwrap();
        }
    }

    fn supervisors(&self) -> Vec<usize> {
        (0..self.parties.len())
            .filter(|&i| self.parties[i].role == Role::Supervisor)
            .collect()
    }

    /// Control calls between ticks, at random.
    fn churn(&mut self, rng: &mut Rng) {
        let sups = self.supervisors();
        if sups.len() < 3 && rng.one_in(150) {
            let mode = rng.mode();
            self.join(Role::Supervisor, Some(mode));
        }
        if !sups.is_empty() && rng.one_in(200) {
            self.leave(sups[rng.below(sups.len())]);
        }
        let sups = self.supervisors();
        if !sups.is_empty() && rng.one_in(40) {
            let id = self.parties[sups[rng.below(sups.len())]].id;
            let mode = rng.mode();
            self.session.set_mode(id, mode).unwrap();
        }
        if rng.one_in(1000) {
            // The agent transfers the call to a colleague.
            let agent = self
                .parties
                .iter()
                .position(|p| p.role == Role::Agent)
                .unwrap();
            self.leave(agent);
            self.join(Role::Agent, None);
        }
        if rng.one_in(300) {
            let i = rng.below(self.parties.len());
            let db = [-6.0, 0.0, 3.0, f32::NEG_INFINITY][rng.below(4)];
            let p = &self.parties[i];
            self.session.set_volume(p.id, db).unwrap();
            if let Some(s) = p.shadow {
                self.without.set_volume(s, db).unwrap();
            }
        }
        if rng.one_in(500) {
            let ramp = std::time::Duration::from_micros([0, 1000, 5000, 10_000][rng.below(4)]);
            self.session.set_ramp(ramp).unwrap();
            self.without.set_ramp(ramp).unwrap();
        }
    }

    /// One tick: frames in, mix, every check. Returns allocations made on
    /// the frame path.
    fn tick(&mut self, rng: &mut Rng, pool: &[Vec<S>]) -> u64 {
        let n = self.parties.len();
        let solo = rng.one_in(20).then(|| rng.below(n));
        self.frames.clear();
        for i in 0..n {
            let talks = match solo {
                Some(s) => s == i,
                None => !rng.one_in(10),
            };
            self.frames.push(talks.then(|| rng.below(pool.len())));
        }
        let before = allocations();
        counted(|| {
            for (p, f) in self.parties.iter().zip(&self.frames) {
                if let Some(f) = *f {
                    self.session.put_frame(p.id, &pool[f]).unwrap();
                }
            }
            self.session.mix();
        });
        for (p, f) in self.parties.iter_mut().zip(&self.frames) {
            p.present += 1;
            if let Some(f) = *f {
                p.handed_in += 1;
                p.non_finite += S::non_finite(&pool[f]);
                if let Some(s) = p.shadow {
                    self.without.put_frame(s, &pool[f]).unwrap();
                }
            }
        }
        self.without.mix();

        let modes: Vec<Mode> = self
            .supervisors()
            .iter()
            .map(|&i| self.session.mode(self.parties[i].id).unwrap().unwrap())
            .collect();
        let all_monitor = modes.iter().all(|&m| m == Mode::Monitor);
        let none_barges = modes.iter().all(|&m| m != Mode::Barge);
        for (i, p) in self.parties.iter().enumerate() {
            let out = counted(|| self.session.output(p.id).unwrap());
            assert!(
                out.iter().all(|s| s.is_valid()),
                "invalid output for {:?}",
                p.role
            );
            if solo == Some(i) {
                assert!(
                    out.iter().all(|s| s.is_silence()),
                    "{:?} alone on the line hears something",
                    p.role
                );
            }
            if let Some(s) = p.shadow {
                let alone = self.without.output(s).unwrap();
                if all_monitor {
                    assert!(
                        out == alone,
                        "a monitoring supervisor changed what the {:?} hears",
                        p.role
                    );
                }
                if none_barges && p.role == Role::Customer {
                    assert!(out == alone, "a whisper reached the customer");
                }
            }
            let st = self.session.party(p.id).unwrap().stats;
            assert_eq!(st.frames_mixed + st.frames_missing, p.present);
            assert_eq!(st.frames_mixed, p.handed_in);
            assert_eq!(st.samples_non_finite, p.non_finite);
        }
        while self.session.poll_event().is_some() {}
        while self.without.poll_event().is_some() {}
        allocations() - before
    }
}

fn soak<S: SoakSample>(calls: usize, ticks: usize, seed: u64) {
    let mut rng = Rng(seed);
    let formats = [
        Format::new(8000, 10).unwrap(),
        Format::new(8000, 20).unwrap(),
        Format::new(16000, 10).unwrap(),
    ];
    let pools: Vec<Vec<Vec<S>>> = formats
        .iter()
        .map(|f| S::pool(&mut rng, f.samples_per_frame()))
        .collect();
    // Most calls are narrowband 10 ms; some are 20 ms or wideband.
    let which = |c: usize| match c % 10 {
        8 => 1,
        9 => 2,
        _ => 0,
    };
    let mut all: Vec<Call<S>> = (0..calls)
        .map(|c| Call::new(formats[which(c)], &mut rng))
        .collect();
    let mut allocations = 0;
    for _ in 0..ticks {
        for (c, call) in all.iter_mut().enumerate() {
            call.churn(&mut rng);
            allocations += call.tick(&mut rng, &pools[which(c)]);
        }
    }
    assert_eq!(allocations, 0, "allocations on the frame path");
    let mixed: u64 = all
        .iter()
        .flat_map(|c| c.session.parties())
        .map(|p| p.stats.frames_mixed)
        .sum();
    assert!(
        mixed > (calls * ticks) as u64,
        "the soak mixed too little: {mixed} frames"
    );
}

/// Calls and ticks: the full soak in release, a smaller one in debug.
fn size() -> (usize, usize) {
    if cfg!(debug_assertions) {
        (40, 300)
    } else {
        (2000, 3000)
    }
}

#[test]
fn soak_slin_calls_keep_privacy_and_never_allocate() {
    let (calls, ticks) = size();
    soak::<i16>(calls * 9 / 10, ticks, 0x5eed_0001);
}

#[test]
fn soak_float_calls_keep_privacy_and_never_allocate() {
    let (calls, ticks) = size();
    soak::<f32>(calls / 10, ticks, 0x5eed_0002);
}

#[test]
fn the_allocation_counter_counts() {
    let before = allocations();
    let v = counted(|| vec![1u8; 100]);
    let after = allocations();
    drop(v);
    assert!(after > before, "a Vec allocation went uncounted");
}
