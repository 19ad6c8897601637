//! Tests of the session's insides: the fast paths against the general
//! path, ids, snapshots.

use core::time::Duration;

use super::events::EVENTS_PER_TICK;
use super::*;
use crate::{Format, Mode, PartyId, Role, Tap};

fn call() -> (Session<i16>, PartyId, PartyId, PartyId) {
    let mut s = Session::new(Format::NARROWBAND_20MS);
    let c = s.join(Role::Customer).unwrap();
    let a = s.join(Role::Agent).unwrap();
    let v = s.join(Role::Supervisor).unwrap();
    s.set_ramp(Duration::ZERO).unwrap();
    (s, c, a, v)
}

#[test]
fn a_refusal_leaves_the_room_for_a_ticks_events_as_it_was() {
    let mut s = Session::<i16>::new(Format::NARROWBAND_20MS);
    s.join(Role::Customer).unwrap();
    let d = s
        .join(Join::announcement(crate::Audience::EVERYONE))
        .unwrap();
    let tone = crate::ToneSpec::single(1000.0, -10.0, crate::tone::Cadence::once(10));
    s.play(d, &tone).unwrap();
    s.require_disclosure(crate::BeforeDisclosure::RefuseJoins)
        .unwrap();
    // The tone ends in this tick: its event takes some of the room.
    s.mix();
    assert!(s.tick_room < EVENTS_PER_TICK);
    while s.poll_event().is_some() {}
    let before = s.clone();
    let refused = s.join(Join::supervisor(Mode::Monitor));
    assert!(matches!(refused, Err(Error::Refused { .. })), "{refused:?}");
    while s.poll_event().is_some() {}
    // Nothing else changed, bookkeeping included.
    assert_eq!(alloc::format!("{before:?}"), alloc::format!("{s:?}"));
}

#[test]
fn changes_before_a_tick_leave_no_trace_but_the_last() {
    // Each call below works the routes out again, from where the last
    // tick left them: the tick hears only where they ended up.
    let frames = |s: &Session<i16>| -> alloc::vec::Vec<(PartyId, [i16; 160])> {
        let level = [9000, -7000, 5000];
        s.parties
            .iter()
            .zip(level)
            .map(|(p, l)| (p.id, [l; 160]))
            .collect()
    };
    let tick = |s: &mut Session<i16>| {
        let f = frames(s);
        let given: alloc::vec::Vec<(PartyId, &[i16])> =
            f.iter().map(|(id, x)| (*id, &x[..])).collect();
        s.mix_frames(&given).unwrap();
    };
    let (mut direct, c, a, v) = call();
    tick(&mut direct);
    tick(&mut direct);
    let mut stepped = direct.clone();
    stepped.set_volume(c, -6.0).unwrap();
    stepped.set_mode(v, Mode::Barge).unwrap();
    stepped.set_ramp(Duration::from_millis(2)).unwrap();
    stepped.set_volume(c, -12.0).unwrap();
    stepped.set_route_gain(a, v, -3.0).unwrap();
    stepped.set_mode(v, Mode::Whisper).unwrap();
    stepped.set_mode(v, Mode::Barge).unwrap();
    stepped.set_ramp(Duration::from_millis(4)).unwrap();
    direct.set_volume(c, -12.0).unwrap();
    direct.set_route_gain(a, v, -3.0).unwrap();
    direct.set_mode(v, Mode::Barge).unwrap();
    direct.set_ramp(Duration::from_millis(4)).unwrap();
    for _ in 0..3 {
        tick(&mut stepped);
        tick(&mut direct);
        for ((_, x), (_, y)) in stepped.outputs().zip(direct.outputs()) {
            assert_eq!(x, y);
        }
    }
    // The ramp of the customer's volume runs from 0 dB, the gain in
    // force, not from the -6 dB asked for in between: the agent's first
    // sample hears 9000 at about unity (about 4,500 from -6 dB), its
    // last at -12 dB (9000 × 10^(-12/20) = 2261).
    let (mut again, c, a, _) = call();
    again.set_ramp(Duration::from_millis(5)).unwrap();
    tick(&mut again);
    tick(&mut again);
    again.set_volume(c, -6.0).unwrap();
    again.set_volume(c, -12.0).unwrap();
    tick(&mut again);
    let heard = again.output(a).unwrap();
    assert!(heard[0] > 8500, "{}", heard[0]);
    assert!((2200..2300).contains(&heard[159]), "{}", heard[159]);
}

#[test]
fn supervisor_joins_in_monitor_and_events_say_when() {
    let (mut s, c, _a, v) = call();
    assert_eq!(s.mode(v), Ok(Some(Mode::Monitor)));
    assert_eq!(s.mode(c), Ok(None));
    let first = s.poll_event();
    assert_eq!(
        first,
        Some(Event::Joined {
            party: c,
            role: Role::Customer,
            mode: None,
            records_whisper: false,
            audience: None,
            label: None,
            at: 0
        })
    );
    s.mix();
    s.set_mode(v, Mode::Barge).unwrap();
    while let Some(e) = s.poll_event() {
        if let Event::ModeChanged { at, from, to, .. } = e {
            assert_eq!((at, from, to), (1, Mode::Monitor, Mode::Barge));
            return;
        }
    }
    panic!("no ModeChanged event");
}

#[test]
fn departed_and_unknown_parties_are_told_apart() {
    let (mut s, c, _a, _v) = call();
    s.leave(c).unwrap();
    assert_eq!(
        s.put_frame(c, &[0; 160]),
        Err(Error::PartyLeft { party: c })
    );
    let other = Session::<i16>::new(Format::NARROWBAND_20MS)
        .join(Role::Customer)
        .unwrap();
    assert_eq!(s.output(other), Err(Error::ForeignParty { party: other }));
    let mut later = s.clone();
    let newer = later.join(Role::Agent).unwrap();
    assert_eq!(s.output(newer), Err(Error::UnknownParty { party: newer }));
}

#[test]
fn ids_run_out_with_an_error_never_a_wrap() {
    let (mut s, c, _a, _v) = call();
    s.next_id = u32::MAX - 1;
    let last = s.join(Role::Agent).unwrap();
    assert_eq!(last.get(), u32::MAX - 1);
    let before = s.clone();
    assert_eq!(
        s.join(Role::Agent),
        Err(Error::PartyIdsExhausted {
            joins: u64::from(u32::MAX)
        })
    );
    assert_eq!(s, before);
    s.leave(last).unwrap();
    assert!(
        s.join(Join::supervisor(Mode::Barge)).is_err(),
        "no id is reused"
    );
    assert_eq!(s.party(c).map(|p| p.role), Ok(Role::Customer));
}

#[test]
fn tap_ids_run_out_with_an_error_never_a_wrap() {
    let (mut s, ..) = call();
    s.next_tap = u32::MAX - 1;
    let last = s.add_tap(Tap::stereo()).unwrap();
    assert_eq!(last.get(), u32::MAX - 1);
    s.remove_tap(last).unwrap();
    let before = s.clone();
    let e = s.add_tap(Tap::stems()).unwrap_err();
    assert_eq!(
        e,
        Error::TapIdsExhausted {
            taps: u64::from(u32::MAX)
        }
    );
    assert!(alloc::format!("{e}").contains("4294967295 tap ids"), "{e}");
    assert_eq!(s, before);
}

#[test]
fn borrowed_frames_of_converted_legs_mix_as_copied_ones() {
    let call_format = Format::new(16000, 20).unwrap();
    let mut copied = Session::<i16>::new(call_format);
    let ids = [
        copied.join(Role::Customer).unwrap(),
        copied.join(Role::Agent).unwrap(),
        copied.join(Join::supervisor(Mode::Barge)).unwrap(),
    ];
    let legs = [8000, 16000, 48000].map(|hz| Format::new(hz, 20).unwrap());
    for (&id, &leg) in ids.iter().zip(&legs) {
        copied.set_leg_format(id, leg).unwrap();
    }
    let mut borrowed = copied.clone();
    for tick in 0..20u32 {
        let frames: alloc::vec::Vec<alloc::vec::Vec<i16>> = legs
            .iter()
            .enumerate()
            .map(|(i, f)| {
                (0..f.samples_per_frame() as u32)
                    .map(|n| ((n * 37 + tick * 101 + i as u32 * 7919) % 2000) as i16 - 1000)
                    .collect()
            })
            .collect();
        for (&id, f) in ids.iter().zip(&frames) {
            copied.put_frame(id, f).unwrap();
        }
        copied.mix();
        let list: alloc::vec::Vec<(PartyId, &[i16])> = ids
            .iter()
            .zip(&frames)
            .map(|(&id, f)| (id, &f[..]))
            .collect();
        borrowed.mix_frames(&list).unwrap();
        for (&id, leg) in ids.iter().zip(&legs) {
            assert_eq!(copied.output(id).unwrap().len(), leg.samples_per_frame());
            assert_eq!(copied.output(id), borrowed.output(id), "tick {tick}");
        }
    }
}

#[test]
fn sessions_whose_resamplers_remember_different_audio_differ() {
    let (mut a, _c, _ag, v) = call();
    a.set_leg_format(v, Format::new(16000, 40).unwrap())
        .unwrap();
    let mut b = a.clone();
    a.put_frame(v, &[8000; 640]).unwrap();
    b.put_frame(v, &[0; 640]).unwrap();
    a.mix();
    b.mix();
    assert_ne!(a, b, "what the leg will still play differs");
}

#[test]
fn any_event_limit_is_accepted() {
    let (mut s, _c, _a, v) = call();
    for limit in [usize::MAX, 0, 1, usize::MAX / 2, DEFAULT_EVENT_LIMIT] {
        s.set_event_limit(limit);
        s.set_mode(v, Mode::Barge).unwrap();
        s.set_mode(v, Mode::Monitor).unwrap();
        assert_eq!(s.event_limit(), limit);
        assert!(s.events_pending() <= limit.saturating_add(1));
    }
}

#[test]
fn a_snapshot_with_a_nan_frame_pending_equals_its_session() {
    let mut s = Session::<f32>::new(Format::WEBRTC_10MS);
    let c = s.join(Role::Customer).unwrap();
    s.put_frame(c, &[f32::NAN; 480]).unwrap();
    assert_eq!(s.clone(), s);
}

#[test]
fn a_call_everyone_left_still_ticks() {
    let (mut s, c, a, v) = call();
    let mut empty = Session::<f32>::new(Format::WEBRTC_10MS);
    empty.mix();
    for p in [c, a, v] {
        s.mix();
        s.leave(p).unwrap();
    }
    s.mix();
    s.mix();
    assert_eq!((s.tick(), s.len()), (5, 0));
    let c = s.join(Role::Customer).unwrap();
    s.mix();
    assert_eq!(s.output(c).unwrap(), &[0; 160][..]);
}

#[test]
fn frames_follow_their_parties_through_joins_and_leaves() {
    let (mut s, c, a, v) = call();
    s.set_mode(v, Mode::Barge).unwrap();
    let r = s.join(Join::recorder(true)).unwrap();
    s.leave(a).unwrap();
    let a2 = s.join(Role::Agent).unwrap();
    for (p, x) in [(c, 1000), (v, 30), (r, 7), (a2, 200)] {
        s.put_frame(p, &[x; 160]).unwrap();
    }
    s.mix();
    let heard = |s: &Session<i16>, p| s.output(p).unwrap()[159];
    assert_eq!(heard(&s, c), 230);
    assert_eq!(heard(&s, v), 1200);
    assert_eq!(heard(&s, a2), 1030);
    assert_eq!(heard(&s, r), 1230);
    s.leave(c).unwrap();
    assert_eq!(heard(&s, v), 1200, "outputs stay until the next tick");
    assert_eq!(heard(&s, a2), 1030);
}

#[test]
fn inputs_do_not_carry_over_to_the_next_tick() {
    let (mut s, c, a, _v) = call();
    s.put_frame(c, &[500; 160]).unwrap();
    s.mix();
    assert_eq!(s.output(a).unwrap(), &[500; 160][..]);
    s.mix();
    assert_eq!(s.output(a).unwrap(), &[0; 160][..]);
    let st = s.party(c).unwrap().stats;
    assert_eq!((st.frames_mixed, st.frames_missing), (1, 1));
}

mod fast_paths {
    //! Ticks mixed by a settled session's plans (and the one-pass
    //! three-party sum) are bit-identical to ticks in which every
    //! route is worked out afresh and mixed by the general path.
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Op {
        Mode(Mode),
        Volume(usize, f32),
        Override(usize, usize, Option<f32>),
        Missing(usize),
        Ramp(u64),
        JoinRecorder(bool),
        LeaveLast,
        Tick(u32),
    }

    fn db() -> impl Strategy<Value = f32> {
        prop_oneof![
            Just(0.0f32),
            Just(f32::NEG_INFINITY),
            Just(-6.0),
            Just(12.0),
            -30.0f32..12.0
        ]
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            2 => prop::sample::select(Mode::ALL.to_vec()).prop_map(Op::Mode),
            1 => (0usize..4, db()).prop_map(|(p, d)| Op::Volume(p, d)),
            1 => (0usize..4, 0usize..4, prop::option::of(db()))
                .prop_map(|(l, t, d)| Op::Override(l, t, d)),
            1 => (0usize..4).prop_map(Op::Missing),
            1 => prop_oneof![Just(0u64), Just(5), Just(20), 0u64..20].prop_map(Op::Ramp),
            1 => any::<bool>().prop_map(Op::JoinRecorder),
            1 => Just(Op::LeaveLast),
            6 => any::<u32>().prop_map(Op::Tick),
        ]
    }

    trait Noise: Sample {
        fn noise(x: u32, loud: bool) -> Self;
        fn bits(self) -> u32;
    }
    impl Noise for i16 {
        fn noise(x: u32, loud: bool) -> i16 {
            let s = (x >> 16) as i16;
            if loud {
                s
            } else {
                s / 4
            }
        }
        fn bits(self) -> u32 {
            self as u16 as u32
        }
    }
    impl Noise for f32 {
        fn noise(x: u32, loud: bool) -> f32 {
            let s = (x >> 8) as f32 / (1u32 << 23) as f32 - 1.0;
            match x % 97 {
                0 => f32::NAN,
                1 => -0.0,
                // Beyond full scale now and then: even a copy clips.
                2..=9 if loud => 2.0 * s,
                _ if loud => s,
                _ => s / 4.0,
            }
        }
        fn bits(self) -> u32 {
            self.to_bits()
        }
    }

    fn run<S: Noise>(ops: &[Op], format: Format) {
        let mut fast = Session::<S>::new(format);
        fast.join(Role::Customer).unwrap();
        fast.join(Role::Agent).unwrap();
        fast.join(Join::supervisor(Mode::Barge)).unwrap();
        let mut general = fast.clone();
        general.general_only = true;
        // Mixed from borrowed frames instead of copied ones.
        let mut borrowed = fast.clone();
        // Mixed from borrowed frames in the parties' order, the way
        // the steady path takes them.
        let mut ordered = fast.clone();
        let mut missing = [false; 4];
        for op in ops {
            for s in [&mut fast, &mut general, &mut borrowed, &mut ordered] {
                let ids: alloc::vec::Vec<PartyId> = s.parties.iter().map(|p| p.id).collect();
                let id = |i: usize| {
                    ids.get(i).copied().unwrap_or(PartyId {
                        call: u64::MAX,
                        n: 99,
                    })
                };
                let supervisor = id(2);
                // Control calls may fail (bad index, self route, ...);
                // both sessions see the same calls and the same answers.
                let _ = match *op {
                    Op::Mode(m) => s.set_mode(supervisor, m),
                    Op::Volume(p, d) => s.set_volume(id(p), d),
                    Op::Override(l, t, Some(d)) => s.set_route_gain(id(l), id(t), d),
                    Op::Override(l, t, None) => s.clear_route_gain(id(l), id(t)),
                    Op::Ramp(ms) => s.set_ramp(Duration::from_millis(ms)),
                    Op::JoinRecorder(w) if ids.len() < 4 => s.join(Join::recorder(w)).map(|_| ()),
                    Op::LeaveLast if !ids.is_empty() => s.leave(id(ids.len() - 1)),
                    _ => Ok(()),
                };
            }
            match *op {
                Op::Missing(p) => missing[p] = true,
                Op::Tick(seed) => {
                    let spf = format.samples_per_frame();
                    let loud = seed % 3 == 0;
                    for (k, s) in [&mut fast, &mut general, &mut borrowed, &mut ordered]
                        .into_iter()
                        .enumerate()
                    {
                        let ids: alloc::vec::Vec<PartyId> =
                            s.parties.iter().map(|p| p.id).collect();
                        let mut frames: alloc::vec::Vec<(PartyId, alloc::vec::Vec<S>)> =
                            alloc::vec::Vec::new();
                        for (i, &id) in ids.iter().enumerate() {
                            if missing[i] {
                                continue;
                            }
                            let mut x = seed.wrapping_mul(2_654_435_761) ^ (i as u32 + 1);
                            let frame: alloc::vec::Vec<S> = (0..spf)
                                .map(|_| {
                                    x ^= x << 13;
                                    x ^= x >> 17;
                                    x ^= x << 5;
                                    S::noise(x, loud)
                                })
                                .collect();
                            frames.push((id, frame));
                        }
                        if k == 2 {
                            // Borrowed, in reverse order, one put the
                            // plain way.
                            let mut list: alloc::vec::Vec<(PartyId, &[S])> =
                                frames.iter().rev().map(|(id, f)| (*id, &f[..])).collect();
                            if let Some((id, f)) = list.pop() {
                                s.put_frame(id, f).unwrap();
                            }
                            s.mix_frames(&list).unwrap();
                        } else if k == 3 {
                            let list: alloc::vec::Vec<(PartyId, &[S])> =
                                frames.iter().map(|(id, f)| (*id, &f[..])).collect();
                            s.mix_frames(&list).unwrap();
                        } else {
                            for (id, f) in &frames {
                                s.put_frame(*id, f).unwrap();
                            }
                            s.mix();
                        }
                    }
                    missing = [false; 4];
                    assert_eq!(fast.parties.len(), general.parties.len());
                    assert_eq!(fast, borrowed, "borrowed frames mix as copied ones");
                    assert_eq!(fast, ordered, "frames in order mix as copied ones");
                    for (p, q) in fast.parties.iter().zip(&general.parties) {
                        let a: alloc::vec::Vec<u32> = fast
                            .output(p.id)
                            .unwrap()
                            .iter()
                            .map(|&s| s.bits())
                            .collect();
                        let b: alloc::vec::Vec<u32> = general
                            .output(q.id)
                            .unwrap()
                            .iter()
                            .map(|&s| s.bits())
                            .collect();
                        assert_eq!(a, b, "what {} hears at tick {}", p.id, fast.tick);
                        assert_eq!(p.stats, q.stats);
                    }
                }
                _ => {}
            }
        }
    }

    proptest! {
        #[test]
        fn i16_settled_ticks_match_the_general_path(
            ops in proptest::collection::vec(op(), 1..60),
        ) {
            run::<i16>(&ops, Format::NARROWBAND_20MS);
        }

        #[test]
        fn f32_settled_ticks_match_the_general_path(
            ops in proptest::collection::vec(op(), 1..60),
        ) {
            run::<f32>(&ops, Format::WEBRTC_10MS);
        }
    }

    #[test]
    fn a_mode_change_ramps_only_the_route_it_opens() {
        let (mut s, c, a, v) = call();
        s.set_mode(v, Mode::Whisper).unwrap();
        s.mix();
        s.set_ramp(Duration::from_millis(5)).unwrap();
        s.set_mode(v, Mode::Barge).unwrap();
        let mut general = s.clone();
        general.general_only = true;
        for s in [&mut s, &mut general] {
            s.put_frame(c, &[1000; 160]).unwrap();
            s.put_frame(a, &[100; 160]).unwrap();
            s.put_frame(v, &[4000; 160]).unwrap();
            s.mix();
        }
        let heard = s.output(c).unwrap();
        for (i, &x) in heard.iter().enumerate() {
            // 40 samples from muted to unity, in Q14.
            let q = if i + 1 < 40 {
                16384 * (i as i32 + 1) / 40
            } else {
                16384
            };
            assert_eq!(i32::from(x), 100 + ((4000 * q + 8192) >> 14), "sample {i}");
        }
        assert_eq!(s.output(a).unwrap(), &[5000; 160][..]);
        assert_eq!(s.output(v).unwrap(), &[1100; 160][..]);
        for p in [c, a, v] {
            assert_eq!(s.output(p), general.output(p));
        }
        assert!(
            s.plan.three().is_some(),
            "the next tick is settled and fused"
        );
    }

    #[test]
    fn a_plain_barge_call_takes_the_three_party_pass() {
        let (mut s, c, a, v) = call();
        s.set_mode(v, Mode::Barge).unwrap();
        s.mix();
        assert_eq!(s.plan.three(), Some([[true; 2]; 3]));
        s.put_frame(c, &[100; 160]).unwrap();
        s.put_frame(a, &[20; 160]).unwrap();
        s.put_frame(v, &[3; 160]).unwrap();
        s.mix();
        assert_eq!(s.output(c).unwrap()[0], 23);
        assert_eq!(s.output(a).unwrap()[0], 103);
        assert_eq!(s.output(v).unwrap()[0], 120);
        s.set_volume(c, -6.0).unwrap();
        s.mix();
        assert_eq!(
            s.plan.three(),
            None,
            "a route below unity takes the general path"
        );
    }

    /// One tick from borrowed frames in the parties' order (`order`
    /// false: reversed), each a frame of `value + position`.
    fn tick_borrowed(s: &mut Session<i16>, order: bool) {
        let ids: alloc::vec::Vec<PartyId> = s.parties.iter().map(|p| p.id).collect();
        let frames: alloc::vec::Vec<alloc::vec::Vec<i16>> = (0..ids.len())
            .map(|i| alloc::vec![100 * (i as i16 + 1); 160])
            .collect();
        let mut list: alloc::vec::Vec<(PartyId, &[i16])> = ids
            .iter()
            .zip(&frames)
            .map(|(&id, f)| (id, &f[..]))
            .collect();
        if !order {
            list.reverse();
        }
        s.mix_frames(&list).unwrap();
    }

    #[test]
    fn settled_calls_of_the_common_shapes_mix_in_one_pass() {
        let two = || {
            let mut s = Session::<i16>::new(Format::NARROWBAND_20MS);
            s.join(Role::Customer).unwrap();
            s.join(Role::Agent).unwrap();
            s
        };
        let mut calls = alloc::vec![two()];
        // Recorded: a stereo tap, a stems tap at the call's rate and
        // one at another rate.
        for tap in [
            Tap::stereo(),
            Tap::stems(),
            Tap::stems().at_rate(16_000).unwrap(),
        ] {
            for supervisor in [None, Some(Mode::Barge), Some(Mode::Whisper)] {
                let mut s = two();
                if let Some(m) = supervisor {
                    s.join(Join::supervisor(m)).unwrap();
                }
                s.add_tap(tap).unwrap();
                calls.push(s);
            }
        }
        for modes in [
            &[Mode::Monitor][..],
            &[Mode::Whisper],
            &[Mode::Barge],
            &[Mode::Whisper, Mode::Barge],
        ] {
            let mut s = two();
            for &m in modes {
                s.join(Join::supervisor(m)).unwrap();
            }
            calls.push(s);
        }
        for mut s in calls {
            // The ramps of the joins, worked out by the joins: row by row,
            // from the routes the joins compiled.
            tick_borrowed(&mut s, true);
            assert_eq!((s.one_pass_ticks, s.compiled_ticks), (0, 1));
            tick_borrowed(&mut s, true);
            assert_eq!(s.one_pass_ticks, 1, "{} parties", s.parties.len());
            let ids: alloc::vec::Vec<PartyId> = s.parties.iter().map(|p| p.id).collect();
            for &id in &ids {
                s.put_frame(id, &[7; 160]).unwrap();
            }
            s.mix();
            assert_eq!(s.one_pass_ticks, 2, "mix after put_frame");
            // Out of order: in one pass still.
            tick_borrowed(&mut s, false);
            assert_eq!(s.one_pass_ticks, 3, "out of order");
            // With a party missing: row by row.
            s.mix_frames(&[(ids[0], &[1; 160])]).unwrap();
            s.mix();
            assert_eq!(s.one_pass_ticks, 3);
            // What the one pass heard is what the general path hears.
            let mut general = s.clone();
            general.general_only = true;
            tick_borrowed(&mut s, true);
            tick_borrowed(&mut general, true);
            assert_eq!(s.one_pass_ticks, 4);
            assert_eq!(s, general);
            // A change and back: each tick after one runs the routes its
            // control call compiled, ramps, and hears what the reference
            // hears; -6 dB is not unity (row by row), 0 dB one pass again.
            for (db, ticks) in [(-6.0, (4, 2)), (0.0, (4, 3))] {
                s.set_volume(ids[0], db).unwrap();
                general.set_volume(ids[0], db).unwrap();
                tick_borrowed(&mut s, true);
                tick_borrowed(&mut general, true);
                assert_eq!((s.one_pass_ticks, s.compiled_ticks), ticks);
                assert_eq!(s, general);
                tick_borrowed(&mut s, true);
                tick_borrowed(&mut general, true);
                assert_eq!(s, general);
            }
            assert_eq!(s.one_pass_ticks, 5);
        }
    }

    #[test]
    fn two_supervisor_calls_take_a_four_party_loop_of_their_own() {
        let modes = [Mode::Monitor, Mode::Whisper, Mode::Barge];
        for first in modes {
            for second in modes {
                let mut s = Session::<i16>::new(Format::NARROWBAND_20MS);
                s.join(Role::Customer).unwrap();
                s.join(Role::Agent).unwrap();
                s.join(Join::supervisor(first)).unwrap();
                s.join(Join::supervisor(second)).unwrap();
                tick_borrowed(&mut s, true);
                tick_borrowed(&mut s, true);
                assert_eq!(s.one_pass_ticks, 1);
                let four = s.plan.four().expect("a four-party pass");
                assert!(
                    crate::kernel::FOUR_PATTERNS.contains(&four),
                    "{first:?}, {second:?}: {four:#06x}"
                );
            }
        }
    }

    #[test]
    fn a_tone_a_leg_or_a_detector_does_its_work_on_a_settled_call() {
        let barge = || {
            let (mut s, _, _, v) = call();
            s.set_mode(v, Mode::Barge).unwrap();
            // With no ramp, the tick after the change mixes in one pass too.
            tick_borrowed(&mut s, true);
            tick_borrowed(&mut s, true);
            assert_eq!((s.one_pass_ticks, s.compiled_ticks), (2, 1));
            (s, v)
        };
        // The detector hears both ticks' frames; the plan still mixes in
        // one pass.
        let (mut s, v) = barge();
        s.detect_dtmf(v, true).unwrap();
        tick_borrowed(&mut s, true);
        tick_borrowed(&mut s, true);
        let detector = s.parties[2].dtmf.as_deref().expect("a detector");
        assert_eq!(detector.samples(), 2 * 160, "a detector");
        assert_eq!(s.one_pass_ticks, 4, "a detector");
        // The leg at 16 kHz hears the customer and the agent, converted.
        let (mut s, v) = barge();
        s.set_leg_format(v, Format::new(16_000, 20).unwrap())
            .unwrap();
        let ids: alloc::vec::Vec<PartyId> = s.parties.iter().map(|p| p.id).collect();
        for _ in 0..3 {
            s.mix_frames(&[(ids[0], &[1; 160]), (ids[1], &[2; 160]), (v, &[3; 320])])
                .unwrap();
        }
        let heard = s.output(v).unwrap();
        assert_eq!(heard.len(), 320, "a leg");
        assert!(
            heard.iter().all(|&x| (2..=4).contains(&x)),
            "a leg: {heard:?}"
        );
        // The tone is heard by its audience.
        let (mut s, _) = barge();
        let tone = s
            .join(Join::announcement(crate::route::Audience::EVERYONE))
            .unwrap();
        s.play(tone, &crate::tone::ToneSpec::JOIN_BEEP).unwrap();
        s.mix();
        s.mix();
        let customer = s.parties[0].id;
        assert!(
            s.output(customer).unwrap().iter().any(|&x| x != 0),
            "a tone"
        );
    }
}

#[test]
fn a_tone_on_a_leg_of_shorter_frames_sounds_for_the_whole_tick() {
    // The same 1 kHz tone from an announcement on the call's frames and
    // from one on 10 ms frames of a 20 ms call: the customer hears the
    // same, sample for sample, and the tone lasts as long.
    let tone = crate::ToneSpec::single(1000.0, -10.0, crate::tone::Cadence::once(60));
    let heard = |leg: Option<Format>| {
        let mut s = Session::<i16>::new(Format::NARROWBAND_20MS);
        s.set_ramp(Duration::ZERO).unwrap();
        let c = s.join(Role::Customer).unwrap();
        let mut join = Join::announcement(crate::Audience::EVERYONE);
        if let Some(leg) = leg {
            join = join.leg(leg);
        }
        let d = s.join(join).unwrap();
        s.play(d, &tone).unwrap();
        let mut out = alloc::vec::Vec::new();
        for _ in 0..5 {
            s.mix();
            out.extend_from_slice(s.output(c).unwrap());
        }
        out
    };
    let plain = heard(None);
    // 60 ms of tone, then silence.
    assert!(plain[..480].iter().filter(|&&x| x.abs() > 4000).count() > 200);
    assert!(plain[500..].iter().all(|&x| x == 0));
    let short = heard(Some(Format::new(8000, 10).unwrap()));
    assert_eq!(short, plain);
}

#[test]
fn the_frames_of_a_tick_cannot_be_lent_once_one_of_them_is_skipped() {
    // A 10 ms leg on a 20 ms call: its first frame skipped (missing), the
    // tick's two frames lent after it would hand that one in after all.
    let mut s = Session::<i16>::new(Format::NARROWBAND_20MS);
    let c = s.join(Role::Customer).unwrap();
    let a = s
        .join(Join::agent().leg(Format::new(8000, 10).unwrap()))
        .unwrap();
    s.skip_frame(a).unwrap();
    let before = s.clone();
    let got = s.mix_frames(&[(c, &[100; 160]), (a, &[200; 160])]);
    assert_eq!(got, Err(Error::DuplicateFrame { party: a, tick: 0 }));
    assert!(before == s);
    // Its second frame is still to come, and then the tick's frames are in.
    s.put_frame(a, &[200; 80]).unwrap();
    assert_eq!(
        s.put_frame(a, &[200; 80]),
        Err(Error::DuplicateFrame { party: a, tick: 0 })
    );
}

#[test]
fn a_leg_of_shorter_frames_keeps_its_format_and_takes_no_tone_once_a_frame_is_skipped() {
    let ten = Format::new(8000, 10).unwrap();
    let mut s = Session::<i16>::new(Format::NARROWBAND_20MS);
    s.join(Role::Customer).unwrap();
    let a = s.join(Join::agent().leg(ten)).unwrap();
    let d = s
        .join(Join::announcement(crate::Audience::EVERYONE).leg(ten))
        .unwrap();
    s.skip_frame(a).unwrap();
    s.skip_frame(d).unwrap();
    let before = s.clone();
    let busy = |party| Err(Error::DuplicateFrame { party, tick: 0 });
    assert_eq!(s.set_leg_format(a, Format::NARROWBAND_20MS), busy(a));
    assert_eq!(s.play(d, &crate::ToneSpec::JOIN_BEEP), busy(d));
    assert!(before == s);
    // After the tick, both are free again.
    s.mix();
    s.set_leg_format(a, Format::NARROWBAND_20MS).unwrap();
    s.play(d, &crate::ToneSpec::JOIN_BEEP).unwrap();
}

#[test]
fn a_lent_frame_to_clean_on_a_leg_of_shorter_frames_is_copied_whole() {
    // 10 ms f32 frames on a 20 ms call, both lent at once with a NaN in
    // the second: the frame is cleaned in the party's own buffer, all of
    // it, and the rest of the tick's audio is heard as it was lent.
    let mut s = Session::<f32>::new(Format::NARROWBAND_20MS);
    s.set_ramp(Duration::ZERO).unwrap();
    let c = s.join(Role::Customer).unwrap();
    let a = s
        .join(Join::agent().leg(Format::new(8000, 10).unwrap()))
        .unwrap();
    let mut lent = [0.25f32; 160];
    lent[100] = f32::NAN;
    s.mix_frames(&[(c, &[0.0; 160]), (a, &lent)]).unwrap();
    let heard = s.output(c).unwrap();
    assert_eq!(heard[100], 0.0);
    assert!(heard
        .iter()
        .enumerate()
        .all(|(k, &x)| k == 100 || x == 0.25));
    let stats = s.party(a).unwrap().stats;
    assert_eq!((stats.frames_mixed, stats.frames_missing), (2, 0));
    assert_eq!(stats.samples_non_finite, 1);
}
