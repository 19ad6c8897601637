//! `mix` never allocates nor frees: proven with a counting global allocator
//! over thousands of ticks of a call with mode changes, volume changes,
//! overrides and ramps, in both sample types, and of a call whose tones end
//! and whose cues start inside ticks.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::time::Duration;

use barge::dtmf::Digit;
use barge::keypad::DtmfMap;
use barge::tone::Cadence;
use barge::{
    Audience, Cue, CueOn, Format, Join, Mode, PartyId, Role, Sample, Session, Tap, ToneGenerator,
    ToneSpec,
};

struct Counting;

thread_local! {
    /// Allocations, reallocations and deallocations this thread made (the
    /// tests run in parallel): a tick that frees memory counts as much as
    /// one that takes some.
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

fn count() {
    ALLOCATIONS.with(|n| n.set(n.get() + 1));
}

// SAFETY: every call is passed unchanged to the system allocator; counting
// touches only a const-initialised thread-local without a destructor, which
// never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count();
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

/// Runs `ticks` ticks and returns how many allocations the mixing calls
/// made; with `copies`, each tick mixes a copy of the session made before
/// it (a host's snapshot), which goes on as the call.
fn run<S: Sample>(format: Format, frames: [Vec<S>; 4], ticks: u64, copies: bool) -> u64 {
    let mut s = Session::<S>::new(format);
    s.set_ramp(Duration::from_millis(10)).unwrap();
    let c = s.join(Role::Customer).unwrap();
    let a = s.join(Role::Agent).unwrap();
    let v = s.join(Role::Supervisor).unwrap();
    let r = s.join(Join::recorder(true)).unwrap();
    let ids = [c, a, v, r];
    // Recording taps: stereo at the call's rate, stems at another.
    let other_rate = if format.rate().hz() == 8000 {
        16000
    } else {
        8000
    };
    let taps = [
        s.add_tap(Tap::stereo().with_whispers(true)).unwrap(),
        s.add_tap(Tap::stems().at_rate(other_rate).unwrap())
            .unwrap(),
    ];
    while s.poll_event().is_some() {}
    let mut rng = common::Rng::new(42);
    let mut during_mix = 0;
    for tick in 0..ticks {
        // Control calls between ticks: a mode change every few ticks, so
        // that many ticks ramp.
        if tick % 7 == 0 {
            let mode = Mode::ALL[rng.below(Mode::ALL.len() as u64) as usize];
            s.set_mode(v, mode).unwrap();
        }
        if tick % 11 == 0 {
            s.set_volume(a, -(rng.below(20) as f32)).unwrap();
        }
        if tick % 13 == 0 {
            s.set_route_gain(c, a, -3.0).unwrap();
        }
        if tick % 13 == 6 {
            s.clear_route_gain(c, a).unwrap();
        }
        while s.poll_event().is_some() {}
        if copies {
            s = s.clone();
        }
        let before = allocations();
        if tick % 2 == 0 {
            for (id, f) in ids.iter().zip(&frames) {
                if rng.chance(90) {
                    s.put_frame(*id, f).unwrap();
                }
            }
            s.mix();
        } else {
            // Borrowed frames, every party or some.
            let mut borrowed: [(PartyId, &[S]); 4] = [(c, &[]); 4];
            let mut k = 0;
            for (id, f) in ids.iter().zip(&frames) {
                if rng.chance(90) {
                    borrowed[k] = (*id, f);
                    k += 1;
                }
            }
            s.mix_frames(&borrowed[..k]).unwrap();
        }
        for id in ids {
            std::hint::black_box(s.output(id).unwrap());
        }
        for t in taps {
            std::hint::black_box(s.tap_frame(t).unwrap());
        }
        during_mix += allocations() - before;
    }
    assert_eq!(
        s.party(c).unwrap().stats.frames_mixed + s.party(c).unwrap().stats.frames_missing,
        ticks
    );
    during_mix
}

#[test]
fn mixing_allocates_nothing_after_the_parties_have_joined() {
    let n = 160;
    let i16_frames = [
        vec![1000i16; n],
        vec![-2000; n],
        vec![i16::MAX; n],
        vec![5; n],
    ];
    assert_eq!(
        run(Format::NARROWBAND_20MS, i16_frames.clone(), 5_000, false),
        0
    );
    assert_eq!(run(Format::NARROWBAND_20MS, i16_frames, 2_000, true), 0);

    let n = 480;
    let f32_frames = [
        vec![0.25f32; n],
        vec![f32::NAN; n],
        vec![1.0; n],
        vec![-0.5; n],
    ];
    assert_eq!(
        run(Format::WEBRTC_10MS, f32_frames.clone(), 5_000, false),
        0
    );
    assert_eq!(run(Format::WEBRTC_10MS, f32_frames, 2_000, true), 0);

    // The counter does count: joining a party allocates its frames, and
    // dropping the session frees them.
    let before = allocations();
    let mut s = Session::<i16>::new(Format::NARROWBAND_20MS);
    s.join(Role::Customer).unwrap();
    let joined = allocations();
    assert!(joined > before);
    drop(s);
    assert!(allocations() > joined);
}

/// Tones that end inside a tick (an announcement's, a cue's) and cues that
/// a digit in a supervisor's audio sets off inside a tick: no tick
/// allocates or frees anything for them.
#[test]
fn tones_that_end_and_cues_that_start_in_a_tick_allocate_nothing() {
    tones_and_cues(false);
}

/// As [`tones_that_end_and_cues_that_start_in_a_tick_allocate_nothing`],
/// each tick mixing a copy of the session made before it: a copy keeps the
/// room its original reserved for the events of a tick.
#[test]
fn a_copy_of_a_session_mixes_without_allocating() {
    tones_and_cues(true);
}

/// The call of the two tests above; with `copies`, each tick mixes a copy
/// of the session made before it, which goes on as the call.
fn tones_and_cues(copies: bool) {
    let format = Format::NARROWBAND_20MS;
    let spf = format.samples_per_frame();
    let mut s = Session::<i16>::new(format);
    let c = s.join(Role::Customer).unwrap();
    let a = s.join(Role::Agent).unwrap();
    let v = s.join(Join::supervisor(Mode::Monitor)).unwrap();
    let beeps = s.join(Join::announcement(Audience::EVERYONE)).unwrap();
    s.set_dtmf_map(DtmfMap::CHANSPY);
    s.detect_dtmf(v, true).unwrap();
    // Cues of a few ticks each, so that they end often.
    let short = ToneSpec::single(1000.0, -13.0, Cadence::once(30));
    for on in [CueOn::Whisper, CueOn::Barge] {
        s.set_cue(
            on,
            Some(Cue {
                tone: short,
                audience: Audience::PARTIES,
            }),
        )
        .unwrap();
    }
    let short_beep = ToneSpec::single(440.0, -13.0, Cadence::once(50));
    // The supervisor keys 5 (whisper), 6 (barge) and 4 (monitor) in turn,
    // in band: 60 ms of each digit, then 200 ms of silence.
    let digits = [Digit::Five, Digit::Six, Digit::Four];
    let mut keyed: Vec<i16> = Vec::new();
    for d in digits {
        let mut g = ToneGenerator::new(&ToneSpec::dtmf(d, 60, 200), format.rate()).unwrap();
        let mut x = vec![0i16; g.total_samples().unwrap() as usize];
        g.fill(&mut x);
        keyed.extend(x);
    }
    let speech = vec![300i16; spf];
    let player = s
        .parties()
        .map(|p| p.id)
        .find(|&id| ![c, a, v, beeps].contains(&id))
        .unwrap();
    let playing = |s: &Session<i16>| [beeps, player].map(|id| s.party(id).unwrap().playing);
    let (mut in_tick, mut started, mut ended) = (0, 0, 0);
    for tick in 0..600usize {
        if tick % 40 == 0 {
            s.play(beeps, &short_beep).unwrap();
        }
        if copies {
            s = s.clone();
        }
        let was = playing(&s);
        let k = (tick * spf) % keyed.len();
        let before = allocations();
        s.put_frame(c, &speech).unwrap();
        s.put_frame(a, &speech).unwrap();
        s.put_frame(v, &keyed[k..k + spf]).unwrap();
        s.mix();
        for id in [c, a, v] {
            std::hint::black_box(s.output(id).unwrap());
        }
        in_tick += allocations() - before;
        for (was, now) in was.into_iter().zip(playing(&s)) {
            started += u32::from(!was && now);
            ended += u32::from(was && !now);
        }
        while s.poll_event().is_some() {}
    }
    assert_eq!(in_tick, 0, "allocations or frees in the ticks");
    assert!(
        started >= 10,
        "the digits set off cues in the ticks: {started}"
    );
    assert!(ended >= 20, "tones ended in the ticks: {ended}");
}

/// A host that snapshots its call every tick into the memory of its last
/// snapshot (`clone_from`) allocates nothing for it, but where the call
/// itself took memory since (the first tone of an announcement): legs at
/// other rates and frame durations, concealment, a tap at another rate,
/// tones that start and end, the call signals. The snapshot equals the
/// call each time.
#[test]
fn a_snapshot_into_the_last_one_allocates_nothing() {
    let format = Format::NARROWBAND_20MS;
    let mut s = Session::<i16>::new(format);
    let c = s.join(Join::customer().conceal_loss()).unwrap();
    let wideband = Format::new(16000, 20).unwrap();
    let a = s.join(Join::agent().leg(wideband)).unwrap();
    let browser = Format::new(48000, 10).unwrap();
    let v = s
        .join(Join::supervisor(Mode::Whisper).leg(browser))
        .unwrap();
    let beep = s.join(Join::announcement(Audience::EVERYONE)).unwrap();
    s.add_tap(Tap::stems().at_rate(16000).unwrap()).unwrap();
    s.enable_signals(barge::SignalConfig::default()).unwrap();
    let voice = |n: usize, k: u64| -> Vec<i16> {
        let mut rng = common::Rng::new(k);
        (0..n).map(|_| rng.below(8000) as i16 - 4000).collect()
    };
    let before = allocations();
    let mut snapshot = s.clone();
    assert!(allocations() > before, "the counter counts a copy");
    let mut during = 0;
    for tick in 0..300u64 {
        let (customer, agent) = (voice(160, tick), voice(320, tick + 1));
        let supervisor = [voice(480, 2 * tick), voice(480, 2 * tick + 1)];
        let call_before = allocations();
        if tick % 60 == 0 {
            s.play(beep, &ToneSpec::JOIN_BEEP).unwrap();
        }
        if tick % 7 == 3 {
            s.lose_frame(c).unwrap();
        } else {
            s.put_frame(c, &customer).unwrap();
        }
        s.put_frame(a, &agent).unwrap();
        for frame in &supervisor {
            s.put_frame(v, frame).unwrap();
        }
        s.mix();
        while s.poll_event().is_some() {}
        while s.poll_alert().is_some() {}
        let call = allocations() - call_before;
        let before = allocations();
        snapshot.clone_from(&s);
        let copying = allocations() - before;
        assert!(
            copying <= call,
            "tick {tick}: the snapshot took memory {copying} times, the call {call}"
        );
        during += copying;
        assert!(snapshot == s, "tick {tick}: the snapshot is the call");
    }
    // The announcement's one tone allocation, at its first tone.
    assert_eq!(during, 1);
}
