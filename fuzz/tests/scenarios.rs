//! Hand-written cases of `session_ops`: calls a contact centre makes, run
//! through the same checks as the fuzzer. They are also its seeds:
//! `cargo test --test scenarios -- --ignored write_seeds` writes them to
//! `corpus/session_ops/seed-*`.

use barge_fuzz::session_ops::{
    run, DbArg, FrameArg, Input, LenArg, LimitArg, ModeArg, Op, RampArg, RoleArg, Who,
};

const C: Who = Who(0);
const A: Who = Who(1);
const S: Who = Who(2);

fn tone(seed: u32) -> FrameArg {
    FrameArg {
        len: LenArg::Exact,
        kind: 0,
        bits: (0..16)
            .map(|i| seed.wrapping_mul(2_654_435_761).wrapping_add(i * 40_503))
            .collect(),
    }
}

fn specials() -> FrameArg {
    FrameArg {
        len: LenArg::Exact,
        kind: 2,
        bits: (0..16).collect(),
    }
}

fn all_talk(ops: &mut Vec<Op>, n: u8, seed: u32) {
    for p in 0..n {
        ops.push(Op::Put(Who(p), tone(seed + p as u32)));
    }
    ops.push(Op::Tick);
}

fn call() -> Vec<Op> {
    vec![
        Op::Join(RoleArg::Customer),
        Op::Join(RoleArg::Agent),
        Op::JoinSupervisor(ModeArg::Barge),
    ]
}

/// Every mode to every other, each change between talking ticks, with a
/// recorder of each kind and a second supervisor listening.
fn mode_tour() -> Vec<Op> {
    use ModeArg::*;
    let mut ops = call();
    all_talk(&mut ops, 3, 1);
    let tour = [
        Whisper,
        Monitor,
        Barge,
        PrivateWhisper,
        CustomerOnly,
        Whisper,
        Barge,
        CustomerOnly,
        Monitor,
        PrivateWhisper,
        Barge,
        Monitor,
    ];
    for (i, m) in tour.into_iter().enumerate() {
        if i == 6 {
            ops.push(Op::JoinRecorder(true));
            ops.push(Op::JoinRecorder(false));
            ops.push(Op::JoinSupervisor(Whisper));
        }
        let n = if i < 6 { 3 } else { 6 };
        ops.push(Op::SetMode(S, m));
        ops.push(Op::Query(C, S));
        ops.push(Op::Query(A, S));
        ops.push(Op::Query(S, C));
        all_talk(&mut ops, n, 10 + i as u32);
        all_talk(&mut ops, n, 20 + i as u32);
        if i >= 6 {
            ops.push(Op::Query(Who(3), S));
            ops.push(Op::Query(Who(4), S));
            ops.push(Op::Query(Who(5), S));
            ops.push(Op::SetMode(Who(5), tour[(i + 3) % tour.len()]));
        }
    }
    ops.push(Op::Poll(255));
    ops
}

/// A route gain made in barge (the customer hears the supervisor 6 dB
/// down) opens nothing when the supervisor whispers, nor when it
/// monitors, and holds again back in barge; route gains and volumes on
/// supervisors and recorders, as listeners and as talkers, open nothing
/// either.
fn gain_never_opens() -> Vec<Op> {
    let mut ops = call();
    ops.push(Op::SetRamp(RampArg::Frame));
    all_talk(&mut ops, 3, 30);
    ops.push(Op::SetRouteGain(C, S, DbArg::Tenths(-60)));
    ops.push(Op::Query(C, S));
    all_talk(&mut ops, 3, 31);
    all_talk(&mut ops, 3, 32);
    ops.push(Op::SetMode(S, ModeArg::Whisper));
    ops.push(Op::Query(C, S));
    all_talk(&mut ops, 3, 33);
    all_talk(&mut ops, 3, 34);
    ops.push(Op::SetMode(S, ModeArg::Monitor));
    ops.push(Op::Query(C, S));
    ops.push(Op::Query(A, S));
    all_talk(&mut ops, 3, 35);
    ops.push(Op::SetMode(S, ModeArg::Barge));
    ops.push(Op::Query(C, S));
    all_talk(&mut ops, 3, 36);
    all_talk(&mut ops, 3, 37);
    // The same gain again records nothing; a new one does.
    ops.push(Op::SetRouteGain(C, S, DbArg::Tenths(-60)));
    ops.push(Op::SetRouteGain(C, S, DbArg::Max));
    ops.push(Op::SetRouteGain(C, S, DbArg::Max));
    ops.push(Op::SetMode(S, ModeArg::CustomerOnly));
    ops.push(Op::SetRouteGain(A, S, DbArg::Max));
    ops.push(Op::Query(A, S));
    all_talk(&mut ops, 3, 38);
    ops.push(Op::SetMode(S, ModeArg::PrivateWhisper));
    ops.push(Op::SetRouteGain(S, C, DbArg::Max));
    ops.push(Op::SetRouteGain(S, A, DbArg::Zero));
    ops.push(Op::Query(S, C));
    all_talk(&mut ops, 3, 39);
    // Recorders as talkers and listeners; a louder volume opens nothing.
    ops.push(Op::JoinRecorder(false));
    ops.push(Op::JoinRecorder(true));
    let (r, rw) = (Who(3), Who(4));
    ops.push(Op::SetRouteGain(C, r, DbArg::Max));
    ops.push(Op::SetRouteGain(A, rw, DbArg::Tenths(60)));
    ops.push(Op::SetRouteGain(r, rw, DbArg::Max));
    ops.push(Op::SetRouteGain(r, S, DbArg::Max));
    ops.push(Op::SetRouteGain(rw, S, DbArg::Tenths(-30)));
    ops.push(Op::SetVolume(r, DbArg::Max));
    ops.push(Op::SetVolume(S, DbArg::Max));
    ops.push(Op::Query(C, r));
    ops.push(Op::Query(r, S));
    ops.push(Op::Query(rw, S));
    all_talk(&mut ops, 5, 40);
    ops.push(Op::SetMode(S, ModeArg::Whisper));
    all_talk(&mut ops, 5, 41);
    ops.push(Op::ClearRouteGain(rw, S));
    ops.push(Op::ClearRouteGain(rw, S));
    ops.push(Op::SetMode(S, ModeArg::Monitor));
    all_talk(&mut ops, 5, 42);
    ops.push(Op::Poll(255));
    ops
}

/// Every entry point that takes a party, given an id of the other session
/// whose number is one of this session's parties (on the call or gone),
/// an id of a snapshot's later join, and one of a third session.
fn foreign_ids() -> Vec<Op> {
    let mut ops = call();
    ops.push(Op::JoinRecorder(true));
    all_talk(&mut ops, 4, 50);
    ops.push(Op::Leave(Who(3)));
    ops.push(Op::JoinSupervisor(ModeArg::Whisper));
    all_talk(&mut ops, 5, 51);
    // Five ids handed out: Who(FOREIGN + k) is the other session's id
    // number (FOREIGN + k) % 5.
    for k in 0..5 {
        let f = Who(Who::FOREIGN + k);
        ops.extend([
            Op::Leave(f),
            Op::SetMode(f, ModeArg::Barge),
            Op::SetRouteGain(f, C, DbArg::Zero),
            Op::SetRouteGain(C, f, DbArg::Zero),
            Op::SetRouteGain(f, f, DbArg::Raw(f32::NAN.to_bits())),
            Op::ClearRouteGain(f, A),
            Op::ClearRouteGain(A, f),
            Op::SetVolume(f, DbArg::Muted),
            Op::Put(f, tone(52)),
            Op::FrameMut(f, tone(53)),
            Op::Query(f, C),
            Op::Query(C, f),
            Op::Flood(f, 1),
        ]);
    }
    for w in [Who(Who::UNKNOWN), Who(Who::UNKNOWN + 3), Who(Who::STRAY)] {
        ops.extend([
            Op::Leave(w),
            Op::SetMode(w, ModeArg::Monitor),
            Op::SetRouteGain(C, w, DbArg::Zero),
            Op::ClearRouteGain(w, C),
            Op::SetVolume(w, DbArg::Zero),
            Op::Put(w, tone(54)),
            Op::FrameMut(w, tone(55)),
            Op::Query(w, w),
        ]);
    }
    all_talk(&mut ops, 5, 56);
    ops.push(Op::Poll(255));
    ops
}

/// The audit trail at small limits: floods of volume changes drop the
/// oldest events, a `Dropped` marker comes first, a lower limit drops at
/// once, zero keeps only the count, and draining starts a new count.
fn audit_overflow(flood: u16) -> Vec<Op> {
    let mut ops = call();
    ops.push(Op::SetEventLimit(LimitArg::Small(3)));
    ops.push(Op::Flood(A, flood));
    ops.push(Op::Poll(2));
    all_talk(&mut ops, 3, 60);
    ops.push(Op::SetMode(S, ModeArg::Whisper));
    ops.push(Op::Tick);
    ops.push(Op::Flood(C, 16));
    ops.push(Op::Poll(1));
    ops.push(Op::SetMode(S, ModeArg::Barge));
    ops.push(Op::Poll(255));
    ops.push(Op::SetEventLimit(LimitArg::Zero));
    ops.push(Op::SetVolume(S, DbArg::Tenths(-30)));
    ops.push(Op::Tick);
    ops.push(Op::SetVolume(S, DbArg::Tenths(-31)));
    ops.push(Op::Poll(1));
    ops.push(Op::Poll(1));
    ops.push(Op::SetEventLimit(LimitArg::Large(100)));
    ops.push(Op::Flood(S, 33));
    ops.push(Op::Tick);
    ops.push(Op::SetEventLimit(LimitArg::Small(5)));
    ops.push(Op::Poll(3));
    ops.push(Op::SetEventLimit(LimitArg::Small(1)));
    ops.push(Op::JoinRecorder(false));
    ops.push(Op::SetEventLimit(LimitArg::Default));
    ops.push(Op::Flood(Who(3), 1600));
    ops.push(Op::SetEventLimit(LimitArg::Unbounded));
    ops.push(Op::Flood(Who(3), 17));
    all_talk(&mut ops, 4, 61);
    ops.push(Op::Poll(255));
    ops
}

/// Overrides, volumes, ramps, missing frames, a recorder, leaves and joins.
fn host_controls() -> Vec<Op> {
    let mut ops = call();
    ops.push(Op::JoinRecorder(true));
    ops.push(Op::JoinSupervisor(ModeArg::Whisper));
    all_talk(&mut ops, 5, 3);
    ops.push(Op::SetRouteGain(C, S, DbArg::Tenths(-60)));
    ops.push(Op::SetVolume(A, DbArg::Max));
    ops.push(Op::SetRamp(RampArg::Frame));
    all_talk(&mut ops, 5, 4);
    ops.push(Op::SetMode(S, ModeArg::Whisper));
    ops.push(Op::SetRouteGain(A, C, DbArg::Muted));
    ops.push(Op::SetRamp(RampArg::Zero));
    all_talk(&mut ops, 5, 5);
    ops.push(Op::ClearRouteGain(C, S));
    ops.push(Op::SetVolume(A, DbArg::Tenths(-200)));
    ops.push(Op::SetRamp(RampArg::Micros(2500)));
    ops.push(Op::Put(A, tone(6)));
    ops.push(Op::Tick);
    ops.push(Op::Put(S, tone(7)));
    ops.push(Op::Put(Who(4), tone(8)));
    ops.push(Op::Tick);
    ops.push(Op::Leave(A));
    all_talk(&mut ops, 5, 9);
    ops.push(Op::Join(RoleArg::Agent));
    ops.push(Op::SetMode(Who(4), ModeArg::Barge));
    all_talk(&mut ops, 6, 11);
    ops.push(Op::Query(Who(5), C));
    ops
}

/// Every kind of bad input, each between good ticks.
fn bad_input() -> Vec<Op> {
    let mut ops = call();
    all_talk(&mut ops, 3, 12);
    ops.extend([
        Op::Put(
            C,
            FrameArg {
                len: LenArg::Short(0),
                kind: 0,
                bits: vec![1],
            },
        ),
        Op::Put(
            A,
            FrameArg {
                len: LenArg::Long(0),
                kind: 0,
                bits: vec![1],
            },
        ),
        Op::Put(C, tone(1)),
        Op::Put(C, tone(2)),
        Op::FrameMut(C, tone(3)),
        Op::FrameMut(A, tone(3)),
        Op::FrameMut(A, tone(3)),
        Op::SetMode(C, ModeArg::Barge),
        Op::SetRouteGain(C, C, DbArg::Zero),
        Op::SetRouteGain(C, S, DbArg::Raw(f32::NAN.to_bits())),
        Op::SetRouteGain(C, S, DbArg::Raw(f32::INFINITY.to_bits())),
        Op::SetRouteGain(C, S, DbArg::Tenths(121)),
        Op::SetVolume(S, DbArg::Raw(12.5f32.to_bits())),
        Op::SetRamp(RampArg::FramePlusOne),
        Op::SetRamp(RampArg::Nanos(u64::MAX)),
        Op::ClearRouteGain(S, S),
        Op::Query(Who(250), Who(251)),
        Op::Query(Who(230), C),
        Op::Query(C, Who(200)),
        Op::Tick,
        Op::Leave(A),
        Op::Leave(A),
        Op::Put(A, tone(4)),
        Op::SetVolume(A, DbArg::Zero),
        Op::SetRouteGain(C, A, DbArg::Zero),
        Op::Query(A, C),
        Op::Tick,
    ]);
    for _ in 0..40 {
        ops.push(Op::JoinSupervisor(ModeArg::Whisper));
    }
    all_talk(&mut ops, 40, 13);
    ops
}

fn case(float: bool, rate: u8, ptime: u8, ops: Vec<Op>) -> Input {
    Input {
        float,
        rate,
        ptime,
        ops,
    }
}

fn cases() -> Vec<(&'static str, Input)> {
    let f32_tour = {
        let mut ops = mode_tour();
        ops.insert(3, Op::Put(S, specials()));
        ops.insert(4, Op::Put(C, specials()));
        ops
    };
    vec![
        ("mode-tour-i16-8k-20ms", case(false, 0, 1, mode_tour())),
        ("mode-tour-f32-48k-10ms", case(true, 194, 0, f32_tour)),
        (
            "gain-never-opens-i16-8k-20ms",
            case(false, 0, 1, gain_never_opens()),
        ),
        (
            "gain-never-opens-f32-16k-30ms",
            case(true, 196, 2, gain_never_opens()),
        ),
        ("foreign-ids-i16-8k-10ms", case(false, 0, 0, foreign_ids())),
        ("foreign-ids-f32-8k-20ms", case(true, 0, 1, foreign_ids())),
        (
            "audit-overflow-i16-8k-20ms",
            case(false, 0, 1, audit_overflow(60_000)),
        ),
        (
            "host-controls-i16-8k-10ms",
            case(false, 0, 0, host_controls()),
        ),
        (
            "host-controls-f32-24k-60ms",
            case(true, 197, 4, host_controls()),
        ),
        ("bad-input-i16-32k-40ms", case(false, 198, 3, bad_input())),
        ("bad-input-f32-8k-10ms", case(true, 0, 0, bad_input())),
    ]
}

#[test]
fn scenarios_pass_every_check() {
    for (name, input) in cases() {
        let back: Input = arbitrary::Arbitrary::arbitrary_take_rest(arbitrary::Unstructured::new(
            &input.encode(),
        ))
        .unwrap();
        assert_eq!(format!("{back:?}"), format!("{input:?}"), "{name}: codec");
        run(&input);
    }
}

#[test]
#[ignore = "writes the seed corpus; run by hand when the scenarios change"]
fn write_seeds() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/session_ops");
    std::fs::create_dir_all(&dir).unwrap();
    for (name, input) in cases() {
        std::fs::write(dir.join(format!("seed-{name}")), input.encode()).unwrap();
    }
}

// The reproductions again, on the plain API, each with the outcome spelled
// out rather than left to the reference model.

fn three_party(mode: barge::Mode) -> (barge::Session<i16>, [barge::PartyId; 3]) {
    use barge::{Format, Role, Session};
    let mut s = Session::new(Format::NARROWBAND_20MS);
    let c = s.join(Role::Customer).unwrap();
    let a = s.join(Role::Agent).unwrap();
    let v = s.join_supervisor(mode).unwrap();
    (s, [c, a, v])
}

fn talk(s: &mut barge::Session<i16>, frames: [(barge::PartyId, i16); 3]) {
    for (p, x) in frames {
        s.put_frame(p, &[x; 160]).unwrap();
    }
    s.mix();
}

#[test]
fn a_route_gain_made_in_barge_opens_nothing_in_whisper_or_monitor() {
    use barge::{Gain, Mode};
    let (mut s, [c, a, v]) = three_party(Mode::Barge);
    s.set_ramp(std::time::Duration::from_millis(20)).unwrap();
    talk(&mut s, [(c, 100), (a, 20), (v, 3000)]);
    s.set_route_gain(c, v, -6.0).unwrap();
    talk(&mut s, [(c, 100), (a, 20), (v, 3000)]);
    assert!(
        s.output(c).unwrap()[159] > 20,
        "barge: the customer hears it"
    );
    s.set_mode(v, Mode::Whisper).unwrap();
    assert_eq!(s.hears(c, v), Ok(Gain::MUTED));
    assert_eq!(
        s.route_gain(c, v).unwrap(),
        Some(Gain::from_db(-6.0).unwrap())
    );
    talk(&mut s, [(c, 100), (a, 20), (v, 3000)]);
    assert_eq!(
        s.output(c).unwrap(),
        &[20; 160][..],
        "whisper reached the customer"
    );
    assert_eq!(s.output(a).unwrap()[159], 3100);
    s.set_mode(v, Mode::Monitor).unwrap();
    for p in [c, a] {
        assert_eq!(s.hears(p, v), Ok(Gain::MUTED));
    }
    talk(&mut s, [(c, 100), (a, 20), (v, 3000)]);
    assert_eq!(s.output(c).unwrap(), &[20; 160][..]);
    assert_eq!(
        s.output(a).unwrap(),
        &[100; 160][..],
        "monitor reached the agent"
    );
    s.set_mode(v, Mode::Barge).unwrap();
    let g = s.hears(c, v).unwrap().linear();
    assert!(
        (g - 0.501).abs() < 1e-3,
        "the gain holds again in barge: {g}"
    );
}

#[test]
fn ids_of_another_session_with_the_same_numbers_act_on_nothing() {
    use barge::{Error, Mode};
    let (mut s, ids) = three_party(Mode::Whisper);
    let (_, foreign) = three_party(Mode::Barge);
    for (mine, theirs) in ids.into_iter().zip(foreign) {
        assert_eq!(mine.get(), theirs.get());
        let before = s.clone();
        let no = Err(Error::ForeignParty { party: theirs });
        assert_eq!(s.leave(theirs), no);
        assert_eq!(s.set_mode(theirs, Mode::Barge), no);
        assert_eq!(s.mode(theirs), no.clone().map(|()| None));
        assert_eq!(s.set_route_gain(ids[0], theirs, 0.0), no);
        assert_eq!(s.set_route_gain(theirs, ids[0], 0.0), no);
        assert_eq!(s.clear_route_gain(theirs, ids[1]), no);
        assert_eq!(s.route_gain(ids[1], theirs), no.clone().map(|()| None));
        assert_eq!(
            s.hears(theirs, mine).map(|g| g.linear()),
            no.clone().map(|()| 0.0)
        );
        assert_eq!(s.set_volume(theirs, 0.0), no);
        assert_eq!(s.put_frame(theirs, &[1; 160]), no);
        assert_eq!(s.frame_mut(theirs).map(|_| ()), no);
        assert_eq!(s.output(theirs).map(|_| ()), no);
        assert_eq!(s.party(theirs).map(|_| ()), no);
        assert!(s == before && format!("{s:?}") == format!("{before:?}"));
    }
}

#[test]
fn a_million_events_at_a_limit_of_four_leave_four_and_a_count() {
    use barge::Event;
    let (mut s, [c, a, _]) = three_party(barge::Mode::Monitor);
    s.set_event_limit(4);
    s.mix();
    for k in 0..1_000_000u32 {
        s.set_volume(a, if k % 2 == 0 { -6.0 } else { 0.0 })
            .unwrap();
        if k == 500_000 {
            s.mix();
        }
    }
    s.set_volume(c, -6.0).unwrap();
    assert_eq!(s.events_pending(), 5);
    // 3 joins at tick 0, a million changes (the last 3 kept) and one more.
    assert_eq!(
        s.poll_event(),
        Some(Event::Dropped {
            count: 3 + 1_000_000 - 3,
            first_at: 0,
            at: 2
        })
    );
    let kept: Vec<Event> = std::iter::from_fn(|| s.poll_event()).collect();
    assert_eq!(kept.len(), 4);
    assert!(kept.iter().all(|e| e.at() == 2));
    assert!(matches!(kept[3], Event::VolumeChanged { party, .. } if party == c));
    assert_eq!(s.events_pending(), 0);
}
