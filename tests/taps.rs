//! Recording taps over random calls: a tap changes nothing anyone hears; a
//! tap's channel for a party is that party's frame exactly (or silence), by
//! the recording rule written out here from the docs; a tap without
//! whispers is the tap of the same call without the whispering supervisor,
//! bit for bit; taps at another rate keep who is on which channel.

mod common;

use std::time::Duration;

use barge::{
    Error, Event, Format, Join, Mode, PartyId, Role, Session, Tap, TapChannel, TapId, TapLayout,
    MAX_TAPS,
};
use proptest::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Customer,
    Agent,
    Supervisor(Mode),
    Recorder(bool),
}

#[derive(Debug, Clone)]
enum Op {
    Join(Kind),
    Leave(usize),
    SetMode(usize, Mode),
    Volume(usize, f32),
    Ramp(u32),
    /// A tap: stems or stereo, whispers, supervisors, swapped, rate index
    /// (5: the call's).
    AddTap(bool, bool, bool, bool, usize),
    RemoveTap(usize),
    /// One tick: which parties send (bit i for slot i), and a seed.
    Tick(u32, u64),
}

fn kind(modes: Vec<Mode>) -> impl Strategy<Value = Kind> {
    prop_oneof![
        3 => Just(Kind::Customer),
        3 => Just(Kind::Agent),
        3 => prop::sample::select(modes).prop_map(Kind::Supervisor),
        1 => any::<bool>().prop_map(Kind::Recorder),
    ]
}

/// Ops whose supervisors only take `modes`; `volumes` and `ramps` for
/// the tests that allow them.
fn op(modes: Vec<Mode>, volumes: bool, ramps: bool) -> impl Strategy<Value = Op> {
    let slot = 0usize..10;
    prop_oneof![
        3 => kind(modes.clone()).prop_map(Op::Join),
        1 => slot.clone().prop_map(Op::Leave),
        4 => (slot.clone(), prop::sample::select(modes)).prop_map(|(p, m)| Op::SetMode(p, m)),
        if volumes { 1 } else { 0 } => (slot.clone(), prop_oneof![Just(-6.0f32), Just(6.0), Just(12.0), Just(f32::NEG_INFINITY)])
            .prop_map(|(p, d)| Op::Volume(p, d)),
        if ramps { 1 } else { 0 } => (0u32..25).prop_map(Op::Ramp),
        2 => (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>(), prop_oneof![4 => Just(5usize), 1 => 0usize..5])
            .prop_map(|(a, b, c, d, r)| Op::AddTap(a, b, c, d, r)),
        1 => (0usize..6).prop_map(Op::RemoveTap),
        8 => (any::<u32>(), any::<u64>()).prop_map(|(m, s)| Op::Tick(m, s)),
    ]
}

fn config(stems: bool, whispers: bool, supervisors: bool, swapped: bool, rate: usize) -> Tap {
    let mut t = if stems { Tap::stems() } else { Tap::stereo() };
    t = t.with_whispers(whispers).with_supervisors(supervisors);
    if swapped {
        t = t.swapped();
    }
    if rate < 5 {
        t = t.at_rate(barge::SampleRate::ALL[rate].hz()).unwrap();
    }
    t
}

/// Whether a tap records a talker of `kind`: the table of the `tap` module
/// docs, written out independently of the crate's rule.
fn recorded(tap: Tap, kind: Kind) -> bool {
    match kind {
        Kind::Customer | Kind::Agent => true,
        Kind::Recorder(_) => false,
        Kind::Supervisor(Mode::Monitor) => false,
        Kind::Supervisor(Mode::Barge | Mode::CustomerOnly) => tap.records_supervisors(),
        Kind::Supervisor(_) => tap.records_supervisors() && tap.records_whispers(),
    }
}

#[derive(Debug, Clone, Copy)]
struct Slot {
    id: PartyId,
    /// The same party in the call that never had a supervisor, if it is
    /// not one.
    twin: Option<PartyId>,
    kind: Kind,
    present: bool,
}

struct Calls {
    /// The call with taps.
    tapped: Session<i16>,
    /// The same call, no taps.
    plain: Session<i16>,
    /// The same call without supervisors, with the same taps.
    bare: Session<i16>,
    slots: Vec<Slot>,
    /// Taps of `tapped` and their twins in `bare`.
    taps: Vec<(TapId, TapId, Tap)>,
}

impl Calls {
    fn new() -> Calls {
        let f = Format::NARROWBAND_20MS;
        let tapped = Session::new(f);
        Calls {
            // A snapshot of the same call: its ids are the same.
            plain: tapped.clone(),
            tapped,
            bare: Session::new(f),
            slots: Vec::new(),
            taps: Vec::new(),
        }
    }

    fn control(&mut self, op: &Op) {
        let before = self.tapped.clone();
        let pick = |slots: &[Slot], i: usize| slots.get(i % slots.len().max(1)).copied();
        let result: Result<(), Error> = match *op {
            Op::Join(kind) => {
                let join = |s: &mut Session<i16>| match kind {
                    Kind::Customer => s.join(Role::Customer),
                    Kind::Agent => s.join(Role::Agent),
                    Kind::Supervisor(m) => s.join(Join::supervisor(m)),
                    Kind::Recorder(w) => s.join(Join::recorder(w)),
                };
                join(&mut self.tapped).map(|id| {
                    assert_eq!(join(&mut self.plain), Ok(id));
                    let twin = match kind {
                        Kind::Supervisor(_) => None,
                        _ => Some(join(&mut self.bare).unwrap()),
                    };
                    self.slots.push(Slot {
                        id,
                        twin,
                        kind,
                        present: true,
                    });
                })
            }
            Op::Leave(i) => match pick(&self.slots, i) {
                Some(s) => self.tapped.leave(s.id).map(|()| {
                    self.plain.leave(s.id).unwrap();
                    if let Some(t) = s.twin {
                        self.bare.leave(t).unwrap();
                    }
                    for x in self.slots.iter_mut().filter(|x| x.id == s.id) {
                        x.present = false;
                    }
                }),
                None => Ok(()),
            },
            Op::SetMode(i, m) => match pick(&self.slots, i) {
                Some(s) => self.tapped.set_mode(s.id, m).map(|()| {
                    self.plain.set_mode(s.id, m).unwrap();
                    for x in self.slots.iter_mut().filter(|x| x.id == s.id) {
                        x.kind = Kind::Supervisor(m);
                    }
                }),
                None => Ok(()),
            },
            Op::Volume(i, d) => match pick(&self.slots, i) {
                Some(s) => self.tapped.set_volume(s.id, d).map(|()| {
                    self.plain.set_volume(s.id, d).unwrap();
                    if let Some(t) = s.twin {
                        self.bare.set_volume(t, d).unwrap();
                    }
                }),
                None => Ok(()),
            },
            Op::Ramp(ms) => {
                let d = Duration::from_millis(ms.into());
                self.tapped.set_ramp(d).map(|()| {
                    self.plain.set_ramp(d).unwrap();
                    self.bare.set_ramp(d).unwrap();
                })
            }
            Op::AddTap(a, b, c, d, r) => {
                let t = config(a, b, c, d, r);
                let r = self.tapped.add_tap(t);
                match r {
                    Ok(id) => {
                        let twin = self.bare.add_tap(t).unwrap();
                        self.taps.push((id, twin, t));
                        Ok(())
                    }
                    Err(e) => {
                        assert_eq!(e, Error::TooManyTaps { max: MAX_TAPS });
                        assert_eq!(self.taps.len(), MAX_TAPS);
                        Err(e)
                    }
                }
            }
            Op::RemoveTap(k) => {
                if self.taps.is_empty() {
                    Ok(())
                } else {
                    let (id, twin, _) = self.taps.remove(k % self.taps.len());
                    self.bare.remove_tap(twin).unwrap();
                    let r = self.tapped.remove_tap(id);
                    assert_eq!(r, Ok(()));
                    // Gone: the id acts on nothing now.
                    assert_eq!(
                        self.tapped.tap_frame(id),
                        Err(Error::UnknownTap { tap: id })
                    );
                    r
                }
            }
            Op::Tick(..) => unreachable!(),
        };
        if let Err(e) = result {
            assert_eq!(
                self.tapped, before,
                "{op:?} failed with `{e}` but changed the call"
            );
        }
    }

    /// One tick; returns each present slot's frame, if it sent one.
    fn tick(&mut self, mask: u32, seed: u64) -> Vec<(Slot, Option<Vec<i16>>)> {
        let mut sent = Vec::new();
        for (i, s) in self.slots.iter().enumerate().filter(|(_, s)| s.present) {
            let f = (mask & (1 << (i % 32)) != 0).then(|| frame(seed, i));
            if let Some(f) = &f {
                self.tapped.put_frame(s.id, f).unwrap();
                self.plain.put_frame(s.id, f).unwrap();
                if let Some(t) = s.twin {
                    self.bare.put_frame(t, f).unwrap();
                }
            }
            sent.push((*s, f));
        }
        self.tapped.mix();
        self.plain.mix();
        self.bare.mix();
        sent
    }
}

fn frame(seed: u64, slot: usize) -> Vec<i16> {
    let mut rng = common::Rng::new(seed ^ (slot as u64) << 40);
    match rng.below(5) {
        0 => vec![0; 160],
        1 => vec![i16::MAX; 160],
        2 => vec![i16::MIN; 160],
        _ => common::noise(&mut rng, 160),
    }
}

/// Sums frames as the docs say a mix does: wide, saturated once.
fn sum(frames: &[&[i16]]) -> Vec<i16> {
    (0..160)
        .map(|i| {
            let s: i32 = frames.iter().map(|f| i32::from(f[i])).sum();
            s.clamp(i16::MIN.into(), i16::MAX.into()) as i16
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Taps change nothing any party hears: every output of the call with
    /// taps equals the same call's without, bit for bit, through every
    /// control call, taps added and removed mid-call included.
    #[test]
    fn taps_change_nothing_anyone_hears(ops in prop::collection::vec(op(Mode::ALL.to_vec(), true, true), 1..80)) {
        let mut calls = Calls::new();
        for op in &ops {
            let Op::Tick(mask, seed) = *op else {
                calls.control(op);
                continue;
            };
            calls.tick(mask, seed);
            for s in calls.slots.iter().filter(|s| s.present) {
                prop_assert_eq!(calls.tapped.output(s.id).unwrap(), calls.plain.output(s.id).unwrap());
            }
        }
    }

    /// At unity with no ramp, a tap's channel for a party is that party's
    /// frame exactly, or silence where it sent none or the tap does not
    /// record it; a stereo channel is the sum of the parties on its side:
    /// for every mode and join order.
    #[test]
    fn a_channel_is_its_talkers_frames_exactly(ops in prop::collection::vec(op(Mode::ALL.to_vec(), false, false), 1..80)) {
        let mut calls = Calls::new();
        calls.control(&Op::Ramp(0));
        let silence = vec![0i16; 160];
        for op in &ops {
            let Op::Tick(mask, seed) = *op else {
                calls.control(op);
                continue;
            };
            let sent = calls.tick(mask, seed);
            for &(id, _, tap) in &calls.taps {
                let f = calls.tapped.tap_format(id).unwrap();
                if f != Format::NARROWBAND_20MS {
                    continue;
                }
                let heard = |s: &Slot, f: &Option<Vec<i16>>| recorded(tap, s.kind) && f.is_some();
                match tap.layout() {
                    TapLayout::Stems => {
                        for (s, f) in &sent {
                            let want: &[i16] = if heard(s, f) { f.as_ref().unwrap() } else { &silence };
                            prop_assert_eq!(calls.tapped.tap_stem(id, s.id).unwrap(), want, "{:?}", s.kind);
                        }
                        let all: Vec<i16> = sent.iter().flat_map(|(s, _)| calls.tapped.tap_stem(id, s.id).unwrap().to_vec()).collect();
                        prop_assert_eq!(calls.tapped.tap_frame(id).unwrap(), &all[..]);
                    }
                    _ => {
                        let side = |customer: bool| -> Vec<i16> {
                            let on: Vec<&[i16]> = sent
                                .iter()
                                .filter(|(s, f)| heard(s, f) && (s.kind == Kind::Customer) == customer)
                                .map(|(_, f)| &f.as_ref().unwrap()[..])
                                .collect();
                            sum(&on)
                        };
                        let (c, a) = (side(true), side(false));
                        prop_assert_eq!(calls.tapped.tap_channel(id, TapChannel::Customer).unwrap(), &c[..]);
                        prop_assert_eq!(calls.tapped.tap_channel(id, TapChannel::Agent).unwrap(), &a[..]);
                        let (l, r) = if tap.left() == Some(TapChannel::Customer) { (&c, &a) } else { (&a, &c) };
                        let frame = calls.tapped.tap_frame(id).unwrap();
                        prop_assert_eq!(frame.len(), 320);
                        for i in 0..160 {
                            prop_assert_eq!((frame[2 * i], frame[2 * i + 1]), (l[i], r[i]));
                        }
                    }
                }
            }
        }
    }

    /// A tap that does not record whispers holds none of them: while every
    /// supervisor monitors or whispers, each tap (and each customer's and
    /// agent's stem) equals, bit for bit, the same tap of the same call
    /// without the supervisors, ramps and volumes included.
    #[test]
    fn a_tap_without_whispers_holds_none(ops in prop::collection::vec(
        op(vec![Mode::Monitor, Mode::Whisper, Mode::PrivateWhisper], true, true), 1..80)
    ) {
        let mut calls = Calls::new();
        for op in &ops {
            let op = match *op {
                // Whispers recorded would be another call's tap.
                Op::AddTap(a, _, c, d, r) => Op::AddTap(a, false, c, d, r),
                ref o => o.clone(),
            };
            let Op::Tick(mask, seed) = op else {
                calls.control(&op);
                continue;
            };
            calls.tick(mask, seed);
            for &(id, twin, tap) in &calls.taps {
                match tap.layout() {
                    TapLayout::Stems => {
                        for s in calls.slots.iter().filter(|s| s.present) {
                            let stem = calls.tapped.tap_stem(id, s.id).unwrap();
                            match s.twin {
                                Some(t) => prop_assert_eq!(stem, calls.bare.tap_stem(twin, t).unwrap()),
                                None => prop_assert!(stem.iter().all(|&x| x == 0), "a whisper was recorded"),
                            }
                        }
                    }
                    _ => prop_assert_eq!(calls.tapped.tap_frame(id).unwrap(), calls.bare.tap_frame(twin).unwrap()),
                }
            }
        }
    }

    /// A tap that records no supervisors is the tap of the call without
    /// them, whatever the supervisors do, in every mode.
    #[test]
    fn a_tap_without_supervisors_holds_none(ops in prop::collection::vec(op(Mode::ALL.to_vec(), true, true), 1..80)) {
        let mut calls = Calls::new();
        for op in &ops {
            let op = match *op {
                Op::AddTap(a, b, _, d, r) => Op::AddTap(a, b, false, d, r),
                ref o => o.clone(),
            };
            let Op::Tick(mask, seed) = op else {
                calls.control(&op);
                continue;
            };
            calls.tick(mask, seed);
            for &(id, twin, tap) in &calls.taps {
                if tap.layout() == TapLayout::Stereo {
                    prop_assert_eq!(calls.tapped.tap_frame(id).unwrap(), calls.bare.tap_frame(twin).unwrap());
                }
            }
        }
    }
}

fn call() -> (Session<i16>, PartyId, PartyId, PartyId) {
    let mut s = Session::<i16>::new(Format::NARROWBAND_20MS);
    s.set_ramp(Duration::ZERO).unwrap();
    let c = s.join(Role::Customer).unwrap();
    let a = s.join(Role::Agent).unwrap();
    let v = s.join(Join::supervisor(Mode::Whisper)).unwrap();
    (s, c, a, v)
}

#[test]
fn the_supervisor_is_on_the_agents_side_and_whispers_only_where_chosen() {
    let (mut s, c, a, v) = call();
    let plain = s.add_tap(Tap::stereo()).unwrap();
    let all = s.add_tap(Tap::stereo().with_whispers(true)).unwrap();
    let swapped = s.add_tap(Tap::stereo().swapped()).unwrap();
    let tick = |s: &mut Session<i16>| {
        s.mix_frames(&[(c, &[1000; 160]), (a, &[200; 160]), (v, &[30; 160])])
            .unwrap()
    };
    tick(&mut s);
    let ch = |s: &Session<i16>, t, which| s.tap_channel(t, which).unwrap()[0];
    assert_eq!(ch(&s, plain, TapChannel::Customer), 1000);
    assert_eq!(ch(&s, plain, TapChannel::Agent), 200, "whisper left out");
    assert_eq!(ch(&s, all, TapChannel::Agent), 230, "whisper recorded");
    assert_eq!(
        ch(&s, all, TapChannel::Customer),
        1000,
        "never on the customer's side"
    );
    assert_eq!(&s.tap_frame(swapped).unwrap()[..2], &[200, 1000]);
    s.set_mode(v, Mode::Barge).unwrap();
    tick(&mut s);
    assert_eq!(ch(&s, plain, TapChannel::Agent), 230, "barge is recorded");
    assert_eq!(ch(&s, plain, TapChannel::Customer), 1000);
    s.set_mode(v, Mode::Monitor).unwrap();
    tick(&mut s);
    assert_eq!(
        ch(&s, all, TapChannel::Agent),
        200,
        "nobody heard the monitor"
    );
    // A supervisor who joins later is picked up by the rule.
    let late = s.join(Join::supervisor(Mode::Barge)).unwrap();
    s.mix_frames(&[(c, &[1000; 160]), (a, &[200; 160]), (late, &[4; 160])])
        .unwrap();
    assert_eq!(ch(&s, plain, TapChannel::Agent), 204);
}

#[test]
fn stems_follow_joins_and_leaves() {
    let (mut s, c, a, v) = call();
    let t = s.add_tap(Tap::stems().with_whispers(true)).unwrap();
    s.mix_frames(&[(c, &[1; 160]), (a, &[2; 160]), (v, &[3; 160])])
        .unwrap();
    assert_eq!(s.tap_frame(t).unwrap().len(), 3 * 160);
    s.leave(a).unwrap();
    assert_eq!(s.tap_stem(t, a), Err(Error::PartyLeft { party: a }));
    assert_eq!(s.tap_stem(t, v).unwrap()[0], 3, "kept until the next tick");
    let d = s.join(Role::Agent).unwrap();
    assert_eq!(
        s.tap_stem(t, d).unwrap(),
        &[0; 160][..],
        "silent until it talks"
    );
    s.mix_frames(&[(c, &[1; 160]), (d, &[5; 160])]).unwrap();
    let frame = s.tap_frame(t).unwrap();
    assert_eq!((frame[0], frame[160], frame[320]), (1, 0, 5));
}

#[test]
fn non_finite_samples_never_reach_a_tap() {
    let mut s = Session::<f32>::new(Format::NARROWBAND_20MS);
    s.set_ramp(Duration::ZERO).unwrap();
    let c = s.join(Role::Customer).unwrap();
    let a = s.join(Role::Agent).unwrap();
    let t = s.add_tap(Tap::stems()).unwrap();
    let st = s.add_tap(Tap::stereo()).unwrap();
    let mut bad = [0.25f32; 160];
    bad[7] = f32::NAN;
    bad[9] = f32::INFINITY;
    s.put_frame(c, &bad).unwrap();
    s.put_frame(a, &[0.5; 160]).unwrap();
    s.mix();
    let stem = s.tap_stem(t, c).unwrap();
    assert!(stem.iter().all(|x| x.is_finite()));
    assert_eq!((stem[0], stem[7], stem[9]), (0.25, 0.0, 0.0));
    assert!(s.tap_frame(st).unwrap().iter().all(|x| x.is_finite()));
}

#[test]
fn a_tap_at_another_rate_keeps_each_voice_on_its_channel() {
    let (mut s, c, a, _v) = call();
    let t = s.add_tap(Tap::stereo().at_rate(48000).unwrap()).unwrap();
    assert_eq!(s.tap_format(t), Ok(Format::new(48000, 20).unwrap()));
    let tone = |hz: f64, n: usize, rate: f64, amp: f64| -> Vec<i16> {
        (0..n)
            .map(|i| {
                (amp * (2.0 * std::f64::consts::PI * hz * i as f64 / rate).sin()).round() as i16
            })
            .collect()
    };
    let ticks = 50;
    let customer = tone(1000.0, 160 * ticks, 8000.0, 8000.0);
    let agent = tone(400.0, 160 * ticks, 8000.0, 4000.0);
    let (mut left, mut right) = (Vec::new(), Vec::new());
    for k in 0..ticks {
        let r = k * 160..(k + 1) * 160;
        s.mix_frames(&[(c, &customer[r.clone()]), (a, &agent[r])])
            .unwrap();
        let f = s.tap_frame(t).unwrap();
        assert_eq!(f.len(), 2 * 960);
        left.extend(f.iter().step_by(2).map(|&x| f64::from(x)));
        right.extend(f.iter().skip(1).step_by(2).map(|&x| f64::from(x)));
    }
    // Amplitude at `hz` by least squares against a sine and a cosine, over
    // the last half second (past the resampler's delay).
    let level = |x: &[f64], hz: f64| -> f64 {
        let x = &x[x.len() / 2..];
        let w = 2.0 * std::f64::consts::PI * hz / 48000.0;
        let (mut ss, mut cc) = (0.0, 0.0);
        for (i, &v) in x.iter().enumerate() {
            ss += v * (w * i as f64).sin();
            cc += v * (w * i as f64).cos();
        }
        2.0 * (ss * ss + cc * cc).sqrt() / x.len() as f64
    };
    assert!(
        (level(&left, 1000.0) - 8000.0).abs() < 80.0,
        "{}",
        level(&left, 1000.0)
    );
    assert!(
        level(&left, 400.0) < 5.0,
        "the agent on the customer's channel"
    );
    assert!(
        (level(&right, 400.0) - 4000.0).abs() < 40.0,
        "{}",
        level(&right, 400.0)
    );
    assert!(
        level(&right, 1000.0) < 5.0,
        "the customer on the agent's channel"
    );
}

#[test]
fn taps_are_on_the_audit_trail_and_their_ids_belong_to_their_call() {
    let (mut s, ..) = call();
    while s.poll_event().is_some() {}
    let t = s.add_tap(Tap::stems()).unwrap();
    assert_eq!(
        s.poll_event(),
        Some(Event::TapAdded {
            tap: t,
            config: Tap::stems(),
            at: 0
        })
    );
    s.mix();
    s.remove_tap(t).unwrap();
    assert_eq!(s.poll_event(), Some(Event::TapRemoved { tap: t, at: 1 }));
    let (mut other, ..) = call();
    let foreign = other.add_tap(Tap::stereo()).unwrap();
    let before = s.clone();
    assert_eq!(
        s.remove_tap(foreign),
        Err(Error::ForeignTap { tap: foreign })
    );
    assert_eq!(s.remove_tap(t), Err(Error::UnknownTap { tap: t }));
    assert_eq!(s, before);
    let next = s.add_tap(Tap::stereo()).unwrap();
    assert_ne!(next, t, "ids are never reused");
}
