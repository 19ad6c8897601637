//! Property tests over random calls: every control call the session has
//! (joins in every role and mode, leaves, every mode change, route gains on
//! every pair of parties, supervisors included, volumes, ramps, event
//! limits, draining, snapshots), missing and lost frames (every other
//! party conceals loss) and bad input, foreign ids included.

mod common;

use std::time::Duration;

use barge::dtmf::Digit;
use barge::keypad::DtmfMap;
use barge::{Audience, Cue, CueOn, Error, Format, Join, Mode, PartyId, Role, Session, ToneSpec};
use proptest::prelude::*;

#[derive(Debug, Clone, Copy)]
enum Kind {
    Customer,
    Agent,
    Supervisor(Mode),
    Recorder(bool),
    /// An announcement to an audience (bits: customers, agents,
    /// supervisors, recorders).
    Announcement(u8),
}

#[derive(Debug, Clone)]
enum Op {
    Join(Kind),
    Leave(usize),
    SetMode(usize, Mode),
    Volume(usize, f32),
    Override(usize, usize, f32),
    Clear(usize, usize),
    Ramp(u32),
    /// The audit trail's limit.
    EventLimit(usize),
    /// Drain the audit trail.
    Drain,
    /// The host's snapshot of the call (`Session::clone`), which goes on
    /// as the call: whatever the session had worked out for its next tick
    /// goes with it.
    Snapshot,
    /// A control call with an id of another session, numbered like one of
    /// this call's.
    Foreign(usize, u8),
    /// A party's leg at another rate (an index into the supported rates)
    /// and frame duration in ms (10: not a multiple of the call's 20, an
    /// error).
    Leg(usize, usize, u32),
    /// A frame of the wrong length for a party.
    BadFrame(usize, usize),
    /// An announcement's new audience.
    Audience(usize, u8),
    /// A tone on an announcement (an index into [`TONES`]).
    Play(usize, usize),
    /// Stop an announcement's tone.
    Stop(usize),
    /// A digit a party presses (an RFC 4733 event code), with the
    /// eavesdrop map.
    Press(usize, u8),
    /// A cue to the supervisors for a change (an index into `CueOn::ALL`).
    Cue(usize),
    /// One tick: which parties send (bit i for party slot i), and a seed for
    /// their frames.
    Tick(u32, u64),
}

/// Tones the announcements play: short ones that end within a test.
const TONES: [ToneSpec; 3] = [
    ToneSpec::JOIN_BEEP,
    ToneSpec::LEAVE_BEEP,
    ToneSpec::RECORDING_WARNING,
];

fn audience(bits: u8) -> Audience {
    [
        Audience::CUSTOMERS,
        Audience::AGENTS,
        Audience::SUPERVISORS,
        Audience::RECORDERS,
    ]
    .iter()
    .enumerate()
    .filter(|(k, _)| bits & (1 << k) != 0)
    .fold(Audience::NOBODY, |a, (_, &b)| a | b)
}

fn mode() -> impl Strategy<Value = Mode> {
    prop::sample::select(Mode::ALL.to_vec())
}

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        3 => Just(Kind::Customer),
        3 => Just(Kind::Agent),
        3 => mode().prop_map(Kind::Supervisor),
        1 => any::<bool>().prop_map(Kind::Recorder),
        1 => (0u8..16).prop_map(Kind::Announcement),
    ]
}

fn db() -> impl Strategy<Value = f32> {
    prop_oneof![
        4 => -40.0f32..12.0,
        1 => Just(0.0f32),
        1 => Just(f32::NEG_INFINITY),
        1 => Just(12.5f32),
        1 => Just(f32::NAN),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let slot = 0usize..12;
    prop_oneof![
        3 => kind().prop_map(Op::Join),
        1 => slot.clone().prop_map(Op::Leave),
        4 => (slot.clone(), mode()).prop_map(|(p, m)| Op::SetMode(p, m)),
        1 => (slot.clone(), db()).prop_map(|(p, d)| Op::Volume(p, d)),
        1 => (slot.clone(), slot.clone(), db()).prop_map(|(l, t, d)| Op::Override(l, t, d)),
        1 => (slot.clone(), slot.clone()).prop_map(|(l, t)| Op::Clear(l, t)),
        1 => (0u32..25).prop_map(Op::Ramp),
        1 => prop_oneof![Just(0usize), Just(1), Just(3), Just(1024)].prop_map(Op::EventLimit),
        1 => Just(Op::Drain),
        1 => Just(Op::Snapshot),
        1 => (slot.clone(), any::<u8>()).prop_map(|(p, k)| Op::Foreign(p, k)),
        2 => (slot.clone(), 0usize..5, prop_oneof![4 => Just(20u32), 2 => Just(40), 1 => Just(60), 1 => Just(10)])
            .prop_map(|(p, r, ms)| Op::Leg(p, r, ms)),
        1 => (slot.clone(), prop_oneof![Just(0usize), Just(159), Just(161), Just(320)])
            .prop_map(|(p, n)| Op::BadFrame(p, n)),
        1 => (slot.clone(), 0u8..16).prop_map(|(p, b)| Op::Audience(p, b)),
        1 => (slot.clone(), 0usize..3).prop_map(|(p, t)| Op::Play(p, t)),
        1 => slot.clone().prop_map(Op::Stop),
        1 => (slot.clone(), 0u8..16).prop_map(|(p, d)| Op::Press(p, d)),
        1 => (0usize..4).prop_map(Op::Cue),
        8 => (any::<u32>(), any::<u64>()).prop_map(|(m, s)| Op::Tick(m, s)),
    ]
}

/// A party of the call as the test tracks it: its id in the full session and,
/// for everyone but supervisors, its id in the shadow call that never had a
/// supervisor.
#[derive(Debug, Clone, Copy)]
struct Slot {
    full: PartyId,
    shadow: Option<PartyId>,
    kind: Kind,
    present: bool,
}

fn frame(seed: u64, slot: usize, n: usize) -> Vec<i16> {
    let mut rng = common::Rng::new(seed ^ (slot as u64) << 40);
    match rng.below(4) {
        0 => vec![0; n],
        1 => vec![i16::MAX; n],
        _ => common::noise(&mut rng, n),
    }
}

/// Whether `party`'s leg takes a frame from the host at the next tick (an
/// announcement that plays a tone takes none).
fn due(s: &Session<i16>, party: PartyId) -> bool {
    s.frame_due(party).unwrap() && !s.party(party).unwrap().playing
}

/// Ticks of the call's 20 ms that `party`'s leg frames span (one for a leg
/// of several frames a tick).
fn ticks_per_frame(s: &Session<i16>, party: PartyId) -> u64 {
    u64::from((s.leg_format(party).unwrap().ptime().ms() / 20).max(1))
}

/// Samples `party`'s leg takes at a tick: its frame, or all its frames of
/// the tick for a leg whose frames are shorter than the call's 20 ms.
fn len(s: &Session<i16>, party: PartyId) -> usize {
    let leg = s.leg_format(party).unwrap();
    (20 / leg.ptime().ms()).max(1) as usize * leg.samples_per_frame()
}

/// Whether the party in slot `slot` conceals its lost frames: every other
/// one, so that calls mix parties that do and parties that do not.
fn conceals(slot: usize) -> bool {
    slot % 2 == 0
}

/// The join of a party of `kind` in slot `slot`.
fn join_of(kind: Kind, slot: usize) -> Join {
    let join = match kind {
        Kind::Customer => Join::customer(),
        Kind::Agent => Join::agent(),
        Kind::Supervisor(m) => Join::supervisor(m),
        Kind::Recorder(w) => Join::recorder(w),
        Kind::Announcement(b) => Join::announcement(audience(b)),
    };
    if conceals(slot) {
        join.conceal_loss()
    } else {
        join
    }
}

/// Whether the party in slot `slot`, sending nothing at a tick with `seed`,
/// lost its frames in transit (else they are absent).
fn lost(seed: u64, slot: usize) -> bool {
    (seed >> (slot % 60)) & 3 == 1
}

/// Says that every frame `party` takes at the next tick was lost.
fn lose(s: &mut Session<i16>, party: PartyId) -> Result<(), barge::Error> {
    let n = s.leg_format(party).unwrap().samples_per_frame();
    for _ in 0..len(s, party) / n {
        s.lose_frame(party)?;
    }
    Ok(())
}

/// Hands in `frame` (of [`len`] samples) for `party`: its frame, or its
/// frames of the tick in turn.
fn put(s: &mut Session<i16>, party: PartyId, frame: &[i16]) -> Result<(), barge::Error> {
    let n = s.leg_format(party).unwrap().samples_per_frame();
    for frame in frame.chunks(n) {
        s.put_frame(party, frame)?;
    }
    Ok(())
}

/// Folds the events `s` recorded into `audit`, and checks that they alone
/// rebuild its routes: every open route, with its gain and keys. Gives up
/// (`None`) once the trail has dropped an event.
fn follow(s: &mut Session<i16>, audit: &mut Option<barge::audit::Timeline>) {
    while let Some(e) = s.poll_event() {
        if matches!(e, barge::Event::Dropped { .. }) {
            *audit = None;
        }
        if let Some(a) = audit.as_mut() {
            a.push(&e);
        }
    }
    if let Some(a) = audit.as_ref() {
        let key = |r: &barge::Route| (r.listener, r.talker);
        let mut rebuilt: Vec<barge::Route> = a.routes().collect();
        let mut routes: Vec<barge::Route> = s.routes().collect();
        rebuilt.sort_by_key(key);
        routes.sort_by_key(key);
        assert_eq!(
            rebuilt,
            routes,
            "the routes from the events alone, tick {}",
            s.tick()
        );
    }
}

/// Applies a control op to the full session (and mirrors it to the shadow
/// when it involves no supervisor). A failing call must change nothing.
fn control(full: &mut Session<i16>, shadow: &mut Session<i16>, slots: &mut Vec<Slot>, op: &Op) {
    if let Op::Press(..) = op {
        // Digits switch modes with the eavesdrop map (set before the
        // snapshot: it is not what the press changes).
        full.set_dtmf_map(DtmfMap::EAVESDROP);
    }
    let before = full.clone();
    let pick = |i: usize| slots.get(i % slots.len().max(1)).copied();
    let result: Result<(), Error> = match *op {
        Op::Join(kind) => {
            let slot = slots.len();
            let r = full.join(join_of(kind, slot));
            r.map(|id| {
                let shadow_id = match kind {
                    Kind::Supervisor(_) => None,
                    _ => Some(shadow.join(join_of(kind, slot)).unwrap()),
                };
                slots.push(Slot {
                    full: id,
                    shadow: shadow_id,
                    kind,
                    present: true,
                });
            })
        }
        Op::Leave(i) => match pick(i) {
            Some(s) => full.leave(s.full).map(|()| {
                if let Some(sh) = s.shadow {
                    shadow.leave(sh).unwrap();
                }
                slots.iter_mut().for_each(|x| {
                    if x.full == s.full {
                        x.present = false
                    }
                });
            }),
            None => Ok(()),
        },
        Op::SetMode(i, m) => match pick(i) {
            Some(s) => full.set_mode(s.full, m).map(|()| {
                if let Some(sl) = slots.iter_mut().find(|x| x.full == s.full) {
                    sl.kind = Kind::Supervisor(m);
                }
            }),
            None => Ok(()),
        },
        Op::Volume(i, d) => match pick(i) {
            Some(s) => full.set_volume(s.full, d).map(|()| {
                if let Some(sh) = s.shadow {
                    shadow.set_volume(sh, d).unwrap();
                }
            }),
            None => Ok(()),
        },
        // Route gains on every pair, supervisors included: the shadow call,
        // which has no supervisors, gets those between its own parties.
        Op::Override(l, t, d) => match (pick(l), pick(t)) {
            (Some(l), Some(t)) => full.set_route_gain(l.full, t.full, d).map(|()| {
                if let (Some(sl), Some(st)) = (l.shadow, t.shadow) {
                    shadow.set_route_gain(sl, st, d).unwrap();
                }
            }),
            _ => Ok(()),
        },
        Op::Clear(l, t) => match (pick(l), pick(t)) {
            (Some(l), Some(t)) => full.clear_route_gain(l.full, t.full).map(|()| {
                if let (Some(sl), Some(st)) = (l.shadow, t.shadow) {
                    shadow.clear_route_gain(sl, st).unwrap();
                }
            }),
            _ => Ok(()),
        },
        Op::EventLimit(n) => {
            full.set_event_limit(n);
            Ok(())
        }
        Op::Drain => {
            while full.poll_event().is_some() {}
            Ok(())
        }
        Op::Snapshot => {
            let copy = full.clone();
            assert!(copy == *full, "a snapshot is the call");
            *full = copy;
            Ok(())
        }
        Op::Foreign(i, k) => {
            // Another call whose ids have the numbers of this call's.
            let mut other = Session::<i16>::new(Format::NARROWBAND_20MS);
            let n = (i % (slots.len() + 1)) + 1;
            let ids: Vec<PartyId> = (0..n)
                .map(|_| other.join(Join::supervisor(Mode::Barge)).unwrap())
                .collect();
            let stranger = *ids.last().unwrap();
            let present: Vec<PartyId> =
                slots.iter().filter(|s| s.present).map(|s| s.full).collect();
            let mine = present
                .get(i % present.len().max(1))
                .copied()
                .unwrap_or(stranger);
            let r = match k % 8 {
                0 => full.leave(stranger),
                1 => full.set_mode(stranger, Mode::Barge),
                2 => full.set_route_gain(mine, stranger, 0.0),
                3 => full.set_route_gain(stranger, mine, 12.0),
                4 => full.clear_route_gain(mine, stranger),
                5 => full.set_volume(stranger, 12.0),
                6 => full.put_frame(stranger, &[i16::MAX; 160]),
                _ => full.frame_mut(stranger).map(|f| f.fill(i16::MAX)),
            };
            let e = r.expect_err("an id of another session acts on nothing");
            assert!(
                matches!(e, Error::ForeignParty { party } if party == stranger)
                    || (matches!(k % 8, 2..=4) && mine == stranger),
                "{e}"
            );
            Err(e)
        }
        Op::Ramp(ms) => {
            let d = Duration::from_millis(ms as u64);
            full.set_ramp(d).map(|()| shadow.set_ramp(d).unwrap())
        }
        Op::BadFrame(i, n) => match pick(i) {
            // A length that happens to be the leg's is a good frame, not
            // this op's business.
            Some(s)
                if full
                    .leg_format(s.full)
                    .is_ok_and(|f| f.samples_per_frame() == n) =>
            {
                Ok(())
            }
            Some(s) => full.put_frame(s.full, &vec![1; n]),
            None => Ok(()),
        },
        Op::Leg(i, r, ms) => match pick(i) {
            Some(s) => {
                let rate = barge::SampleRate::ALL[r].hz();
                let leg = Format::new(rate, ms).unwrap();
                full.set_leg_format(s.full, leg).map(|()| {
                    if let Some(sh) = s.shadow {
                        shadow.set_leg_format(sh, leg).unwrap();
                    }
                })
            }
            None => Ok(()),
        },
        Op::Audience(i, b) => match pick(i) {
            Some(s) => full.set_audience(s.full, audience(b)).map(|()| {
                if let Some(sh) = s.shadow {
                    shadow.set_audience(sh, audience(b)).unwrap();
                }
            }),
            None => Ok(()),
        },
        Op::Play(i, t) => match pick(i) {
            Some(s) => full.play(s.full, &TONES[t]).map(|()| {
                if let Some(sh) = s.shadow {
                    shadow.play(sh, &TONES[t]).unwrap();
                }
            }),
            None => Ok(()),
        },
        Op::Stop(i) => match pick(i) {
            Some(s) => full.stop(s.full).map(|()| {
                if let Some(sh) = s.shadow {
                    shadow.stop(sh).unwrap();
                }
            }),
            None => Ok(()),
        },
        Op::Press(i, d) => match pick(i) {
            Some(s) => {
                let digit = Digit::from_event_code(d).unwrap();
                full.press(s.full, digit).map(|mode| {
                    if let (Some(m), Some(sl)) = (mode, slots.iter_mut().find(|x| x.full == s.full))
                    {
                        sl.kind = Kind::Supervisor(m);
                    }
                })
            }
            None => Ok(()),
        },
        Op::Cue(k) => {
            // A cue that only supervisors hear: it must not make any
            // supervisor detectable to the customers and agents.
            let cue = Cue {
                tone: ToneSpec::JOIN_BEEP,
                audience: Audience::SUPERVISORS,
            };
            full.set_cue(CueOn::ALL[k], Some(cue))
        }
        Op::Tick(..) => unreachable!("ticks are not control calls"),
    };
    if let Err(e) = result {
        assert_eq!(
            *full, before,
            "{op:?} failed with `{e}` but changed the session"
        );
        assert!(!e.to_string().is_empty());
    }
}

/// Whether a listener of kind `l` may hear a supervisor in `mode`: the
/// table of the crate docs, written out here so that the test checks the
/// session against the specification rather than against its own rule.
fn may_hear_supervisor(l: Kind, mode: Mode) -> bool {
    match (l, mode) {
        (_, Mode::Monitor) => false,
        (Kind::Supervisor(Mode::PrivateWhisper), _) => false,
        (_, Mode::Barge) => true,
        (Kind::Customer, Mode::CustomerOnly) => true,
        (Kind::Customer, _) => false,
        (Kind::Agent, Mode::CustomerOnly) => false,
        (Kind::Agent, _) => true,
        (Kind::Supervisor(_), _) => true,
        (Kind::Recorder(_), Mode::CustomerOnly) => true,
        (Kind::Recorder(whisper), _) => whisper,
        (Kind::Announcement(_), _) => false,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Whisper never reaches the customer and a monitoring supervisor changes
    /// nothing anyone else hears, bit for bit, through any sequence of
    /// control calls (route gains on supervisors included) and missing
    /// frames: a listener's output equals that of the same call without any
    /// supervisor unless the table lets it hear one of them.
    #[test]
    fn supervisors_change_only_what_their_mode_allows(ops in prop::collection::vec(op(), 1..80)) {
        let mut full = Session::<i16>::new(Format::NARROWBAND_20MS);
        let mut shadow = Session::<i16>::new(Format::NARROWBAND_20MS);
        let mut slots: Vec<Slot> = Vec::new();
        let mut heard_last_tick: Vec<(PartyId, u64)> = Vec::new();
        // The crate's reading of the audit trail, while it has every event.
        let mut audit = Some(barge::audit::Timeline::new(full.format()));
        for op in &ops {
            follow(&mut full, &mut audit);
            let Op::Tick(mask, seed) = *op else {
                control(&mut full, &mut shadow, &mut slots, op);
                continue;
            };
            for (i, s) in slots.iter().enumerate().filter(|(_, s)| s.present) {
                if mask & (1 << (i % 32)) != 0 && due(&full, s.full) {
                    let f = frame(seed, i, len(&full, s.full));
                    put(&mut full, s.full, &f).unwrap();
                    if let Some(sh) = s.shadow {
                        put(&mut shadow, sh, &f).unwrap();
                    }
                } else if lost(seed, i) && due(&full, s.full) {
                    lose(&mut full, s.full).unwrap();
                    if let Some(sh) = s.shadow {
                        lose(&mut shadow, sh).unwrap();
                    }
                }
            }
            full.mix();
            shadow.mix();
            let live: Vec<Slot> = slots.iter().copied().filter(|s| s.present).collect();
            let mut now_hears = Vec::new();
            for s in live.iter().filter(|s| s.shadow.is_some()) {
                let same = full.output(s.full).unwrap() == shadow.output(s.shadow.unwrap()).unwrap();
                let hears = live.iter().any(|v| match v.kind {
                    Kind::Supervisor(m) => may_hear_supervisor(s.kind, m),
                    _ => false,
                });
                // A leg of another format hears the call through its
                // resampler, which carries the last few ms (its delay, less
                // than the shortest frame) of its last frame into this one,
                // and hands out a frame that spans several ticks: what it was
                // allowed to hear in any of them.
                let converted = full.leg_format(s.full).unwrap() != full.format();
                let window = 2 * ticks_per_frame(&full, s.full);
                let heard_before = converted
                    && heard_last_tick
                        .iter()
                        .any(|&(p, t)| p == s.full && full.tick() - t <= window);
                if hears {
                    now_hears.push((s.full, full.tick()));
                }
                if !hears && !heard_before {
                    prop_assert!(same, "{:?} heard a supervisor it must not hear", s.kind);
                }
            }
            heard_last_tick.retain(|&(p, _)| !now_hears.iter().any(|&(q, _)| q == p));
            heard_last_tick.extend(now_hears);
        }
    }

    /// A copy made with `clone_from`, into a session of another format with
    /// parties and legs of its own or into a copy of an earlier tick of the
    /// same call (whose memory it reuses), is equal to its original and
    /// mixes as it does from then on, bit for bit, through any sequence of
    /// control calls, legs of other formats, lost and missing frames.
    #[test]
    fn a_copy_made_with_clone_from_mixes_as_its_original(ops in prop::collection::vec(op(), 1..80)) {
        let mut full = Session::<i16>::new(Format::NARROWBAND_20MS);
        let mut shadow = Session::<i16>::new(Format::NARROWBAND_20MS);
        let mut slots: Vec<Slot> = Vec::new();
        let mut other = Session::<i16>::new(Format::new(48000, 10).unwrap());
        let joins = [Join::customer(), Join::agent(), Join::announcement(Audience::EVERYONE)];
        let legs = [(8000, 20), (16000, 30), (48000, 10)];
        for (join, (rate, ms)) in joins.into_iter().zip(legs) {
            other.join(join.leg(Format::new(rate, ms).unwrap()).conceal_loss()).unwrap();
        }
        let mut earlier = full.clone();
        for op in &ops {
            let Op::Tick(mask, seed) = *op else {
                control(&mut full, &mut shadow, &mut slots, op);
                continue;
            };
            let mut into_other = other.clone();
            into_other.clone_from(&full);
            earlier.clone_from(&full);
            prop_assert!(into_other == full && earlier == full);
            for (i, s) in slots.iter().enumerate().filter(|(_, s)| s.present) {
                for copy in [&mut full, &mut into_other, &mut earlier] {
                    if mask & (1 << (i % 32)) != 0 && due(copy, s.full) {
                        let f = frame(seed, i, len(copy, s.full));
                        put(copy, s.full, &f).unwrap();
                    } else if lost(seed, i) && due(copy, s.full) {
                        lose(copy, s.full).unwrap();
                    }
                }
            }
            for copy in [&mut full, &mut into_other, &mut earlier] {
                copy.mix();
            }
            for s in slots.iter().filter(|s| s.present) {
                let heard = full.output(s.full).unwrap();
                prop_assert_eq!(heard, into_other.output(s.full).unwrap());
                prop_assert_eq!(heard, earlier.output(s.full).unwrap());
                prop_assert_eq!(full.party(s.full).unwrap().stats, earlier.party(s.full).unwrap().stats);
            }
            prop_assert!(into_other == full && earlier == full);
            other = into_other;
        }
    }

    /// A supervisor's input reaches nobody its mode keeps it from: when only
    /// that supervisor's frame changes (another frame, full scale, or none),
    /// every such listener's output stays the same, bit for bit, through any
    /// sequence of control calls, route gains and volumes on supervisors
    /// included.
    #[test]
    fn a_supervisor_reaches_only_whom_its_mode_allows(ops in prop::collection::vec(op(), 1..80)) {
        let mut full = Session::<i16>::new(Format::NARROWBAND_20MS);
        let mut shadow = Session::<i16>::new(Format::NARROWBAND_20MS);
        let mut slots: Vec<Slot> = Vec::new();
        for op in &ops {
            let Op::Tick(mask, seed) = *op else {
                control(&mut full, &mut shadow, &mut slots, op);
                continue;
            };
            let live: Vec<(usize, Slot)> =
                slots.iter().copied().enumerate().filter(|(_, s)| s.present).collect();
            let sends = |i: usize, s: &Session<i16>, p: PartyId| mask & (1 << (i % 32)) != 0 && due(s, p);
            let mut others: Vec<(Slot, Mode, Session<i16>)> = Vec::new();
            for &(i, v) in &live {
                let Kind::Supervisor(m) = v.kind else { continue };
                let mut alt = full.clone();
                for &(j, s) in &live {
                    if j != i && sends(j, &full, s.full) {
                        put(&mut alt, s.full, &frame(seed, j, len(&full, s.full))).unwrap();
                    } else if j != i && lost(seed, j) && due(&full, s.full) {
                        lose(&mut alt, s.full).unwrap();
                    } else if j == i && due(&full, s.full) {
                        match seed % 4 {
                            0 => {}
                            1 => put(&mut alt, s.full, &vec![i16::MIN; len(&full, s.full)]).unwrap(),
                            2 => lose(&mut alt, s.full).unwrap(),
                            _ => put(&mut alt, s.full, &frame(seed ^ 0x5EED, j, len(&full, s.full))).unwrap(),
                        }
                    }
                }
                alt.mix();
                others.push((v, m, alt));
            }
            for &(i, s) in &live {
                if sends(i, &full, s.full) {
                    let f = frame(seed, i, len(&full, s.full));
                    put(&mut full, s.full, &f).unwrap();
                } else if lost(seed, i) && due(&full, s.full) {
                    lose(&mut full, s.full).unwrap();
                }
            }
            full.mix();
            // The shadow keeps time with the call (its tones end, its legs' frames
            // come due), so that the control calls mirrored to it stay valid.
            shadow.mix();
            for (v, m, alt) in &others {
                for &(_, l) in &live {
                    if l.full == v.full || !may_hear_supervisor(l.kind, *m) {
                        prop_assert_eq!(
                            full.output(l.full).unwrap(),
                            alt.output(l.full).unwrap(),
                            "{:?} heard a supervisor in {}", l.kind, m
                        );
                    }
                }
            }
        }
    }

    /// What a supervisor says while the table keeps the customer from
    /// hearing it never reaches the customer, then or later: two calls that
    /// differ only in those frames give the customer the same output at
    /// every tick, through every later mode change, also when the
    /// supervisor's leg is at another rate than the call (whose resampler
    /// remembers a few ms of what was said).
    #[test]
    fn what_a_supervisor_says_before_the_customer_may_hear_it_never_reaches_the_customer(
        ops in prop::collection::vec(op(), 1..80),
    ) {
        let mut a = Session::<i16>::new(Format::NARROWBAND_20MS);
        let mut b = a.clone();
        let mut slots: Vec<(PartyId, Kind, bool)> = Vec::new();
        for op in &ops {
            let pick = |i: usize| slots.get(i % slots.len().max(1)).copied();
            match *op {
                Op::Join(kind) => {
                    let slot = slots.len();
                    let join = |s: &mut Session<i16>| s.join(join_of(kind, slot));
                    let (x, y) = (join(&mut a), join(&mut b));
                    prop_assert_eq!(&x, &y);
                    if let Ok(id) = x {
                        slots.push((id, kind, true));
                    }
                }
                Op::Leave(i) => if let Some((id, _, _)) = pick(i) {
                    prop_assert_eq!(a.leave(id), b.leave(id));
                    slots.iter_mut().filter(|s| s.0 == id).for_each(|s| s.2 = false);
                },
                Op::SetMode(i, m) => if let Some((id, _, _)) = pick(i) {
                    let r = a.set_mode(id, m);
                    prop_assert_eq!(&r, &b.set_mode(id, m));
                    if r.is_ok() {
                        slots.iter_mut().filter(|s| s.0 == id).for_each(|s| s.1 = Kind::Supervisor(m));
                    }
                },
                Op::Volume(i, d) => if let Some((id, _, _)) = pick(i) {
                    prop_assert_eq!(format!("{:?}", a.set_volume(id, d)), format!("{:?}", b.set_volume(id, d)));
                },
                Op::Override(l, t, d) => if let (Some(l), Some(t)) = (pick(l), pick(t)) {
                    prop_assert_eq!(format!("{:?}", a.set_route_gain(l.0, t.0, d)), format!("{:?}", b.set_route_gain(l.0, t.0, d)));
                },
                Op::Ramp(ms) => {
                    let d = Duration::from_millis(u64::from(ms));
                    prop_assert_eq!(a.set_ramp(d), b.set_ramp(d));
                }
                Op::Leg(i, r, ms) => if let Some((id, _, _)) = pick(i) {
                    let leg = Format::new(barge::SampleRate::ALL[r].hz(), ms).unwrap();
                    prop_assert_eq!(a.set_leg_format(id, leg), b.set_leg_format(id, leg));
                },
                Op::Tick(mask, seed) => {
                    for (i, &(id, kind, present)) in slots.iter().enumerate() {
                        if !present || !due(&a, id) {
                            continue;
                        }
                        if mask & (1 << (i % 32)) == 0 {
                            // Lost in both calls: concealed from what each
                            // heard before.
                            if lost(seed, i) {
                                lose(&mut a, id).unwrap();
                                lose(&mut b, id).unwrap();
                            }
                            continue;
                        }
                        let f = frame(seed, i, len(&a, id));
                        put(&mut a, id, &f).unwrap();
                        // The other call hears another voice from a
                        // supervisor whenever the customer may not hear it.
                        let secret = matches!(kind, Kind::Supervisor(m)
                            if !may_hear_supervisor(Kind::Customer, m));
                        if secret {
                            let f = frame(seed ^ 0xD1FF, i, len(&b, id));
                            put(&mut b, id, &f).unwrap();
                        } else {
                            put(&mut b, id, &f).unwrap();
                        }
                    }
                    a.mix();
                    b.mix();
                    for &(id, kind, present) in &slots {
                        if present && matches!(kind, Kind::Customer) {
                            prop_assert_eq!(a.output(id).unwrap(), b.output(id).unwrap(),
                                "the customer heard what a supervisor said before it might");
                        }
                    }
                }
                _ => {}
            }
        }
    }

    /// Nobody's output depends on their own input, and a party that sends
    /// nothing is exactly as if it had sent silence.
    #[test]
    fn nobody_hears_themselves_and_missing_is_silence(
        ops in prop::collection::vec(op(), 1..40),
        victim in 0usize..12,
    ) {
        let mut full = Session::<i16>::new(Format::NARROWBAND_20MS);
        let mut shadow = Session::<i16>::new(Format::NARROWBAND_20MS);
        let mut slots: Vec<Slot> = Vec::new();
        for op in &ops {
            let Op::Tick(mask, seed) = *op else {
                control(&mut full, &mut shadow, &mut slots, op);
                continue;
            };
            let live: Vec<(usize, Slot)> =
                slots.iter().copied().enumerate().filter(|(_, s)| s.present).collect();
            let mut loud = full.clone();
            let mut zeros = full.clone();
            for &(i, s) in &live {
                if !due(&full, s.full) {
                    continue;
                }
                if mask & (1 << (i % 32)) != 0 {
                    let f = frame(seed, i, len(&full, s.full));
                    put(&mut full, s.full, &f).unwrap();
                    put(&mut zeros, s.full, &f).unwrap();
                    let other = if i == victim % slots.len() {
                        common::noise(&mut common::Rng::new(seed ^ 0xABCD), len(&full, s.full))
                    } else {
                        f
                    };
                    put(&mut loud, s.full, &other).unwrap();
                } else {
                    put(&mut zeros, s.full, &vec![0; len(&full, s.full)]).unwrap();
                    if i == victim % slots.len() {
                        put(&mut loud, s.full, &vec![i16::MIN; len(&full, s.full)]).unwrap();
                    }
                }
            }
            full.mix();
            // The shadow keeps time with the call (its tones end, its legs' frames
            // come due), so that the control calls mirrored to it stay valid.
            shadow.mix();
            loud.mix();
            zeros.mix();
            for &(i, s) in &live {
                prop_assert_eq!(full.output(s.full), zeros.output(s.full));
                if i == victim % slots.len() {
                    prop_assert_eq!(full.output(s.full), loud.output(s.full));
                }
            }
        }
    }

    /// With every route open at unity and no ramp, each listener hears the
    /// exact sum of everyone else, saturated once.
    #[test]
    fn unity_mixing_is_the_exact_sum_saturated_once(
        frames in prop::collection::vec(
            prop::collection::vec(prop_oneof![any::<i16>(), Just(i16::MAX), Just(i16::MIN)], 80),
            1..8),
    ) {
        let format = Format::new(8000, 10).unwrap();
        let mut s = Session::<i16>::new(format);
        s.set_ramp(Duration::ZERO).unwrap();
        let ids: Vec<PartyId> = frames.iter().map(|_| s.join(Role::Customer).unwrap()).collect();
        s.mix();
        for (id, f) in ids.iter().zip(&frames) {
            s.put_frame(*id, f).unwrap();
        }
        s.mix();
        for (l, id) in ids.iter().enumerate() {
            let out = s.output(*id).unwrap();
            for i in 0..80 {
                let sum: i64 = frames.iter().enumerate()
                    .filter(|(t, _)| *t != l)
                    .map(|(_, f)| f[i] as i64)
                    .sum();
                prop_assert_eq!(out[i] as i64, sum.clamp(-32768, 32767));
            }
        }
    }

    /// A NaN or infinite f32 sample reaches nobody: everyone hears what they
    /// would have heard had that sample been silence.
    #[test]
    fn non_finite_samples_reach_nobody(
        frames in prop::collection::vec(prop::collection::vec(-1.0f32..1.0, 80), 2..5),
        poison in prop::collection::vec((0usize..5, 0usize..80, 0usize..3), 1..20),
        modes in prop::collection::vec(mode(), 0..2),
    ) {
        let format = Format::new(8000, 10).unwrap();
        let mut s = Session::<f32>::new(format);
        let mut ids: Vec<PartyId> = Vec::new();
        for i in 0..frames.len() {
            ids.push(s.join(if i % 2 == 0 { Role::Customer } else { Role::Agent }).unwrap());
        }
        let mut frames = frames;
        for m in &modes {
            ids.push(s.join(Join::supervisor(*m)).unwrap());
            frames.push(vec![0.3; 80]);
        }
        s.mix();
        let mut clean = s.clone();
        let mut dirty = frames.clone();
        for &(p, i, k) in &poison {
            let p = p % dirty.len();
            dirty[p][i] = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY][k];
            frames[p][i] = 0.0;
        }
        for (id, (d, c)) in ids.iter().zip(dirty.iter().zip(&frames)) {
            s.put_frame(*id, d).unwrap();
            clean.put_frame(*id, c).unwrap();
        }
        s.mix();
        clean.mix();
        for id in &ids {
            let out = s.output(*id).unwrap();
            prop_assert!(out.iter().all(|x| x.is_finite() && (-1.0..=1.0).contains(x)));
            prop_assert_eq!(out, clean.output(*id).unwrap());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 100, ..ProptestConfig::default() })]

    /// The call signals change no output bit: a call with them on and the
    /// same call with them off (the same control calls, the same frames)
    /// hand every party the same frames and record the same events, through
    /// any sequence of control calls; turning them on, changing their
    /// settings or off again mid-call changes nothing either.
    #[test]
    fn call_signals_change_no_output_bit(
        ops in prop::collection::vec(op(), 1..80),
        dead_air_s in 1u64..4,
        switch_at in 0usize..80,
    ) {
        let mut off = Session::<i16>::new(Format::NARROWBAND_20MS);
        // A clone: the same call, so that both hand out the same ids.
        let mut on = off.clone();
        let config = barge::SignalConfig::new()
            .alert_dead_air(Duration::from_secs(dead_air_s))
            .alert_monologue(Duration::from_secs(1))
            .alert_interruptions(1);
        on.enable_signals(config).unwrap();
        let (mut shadow_on, mut shadow_off) = (off.clone(), off.clone());
        let (mut slots_on, mut slots_off) = (Vec::new(), Vec::new());
        for (k, op) in ops.iter().enumerate() {
            if k == switch_at {
                on.enable_signals(config.with_backchannel(Duration::from_millis(300))).unwrap();
            }
            if k == switch_at + 40 {
                on.disable_signals();
                on.enable_signals(config).unwrap();
            }
            let Op::Tick(mask, seed) = *op else {
                control(&mut on, &mut shadow_on, &mut slots_on, op);
                control(&mut off, &mut shadow_off, &mut slots_off, op);
                continue;
            };
            for (i, s) in slots_on.iter().enumerate().filter(|(_, s)| s.present) {
                if mask & (1 << (i % 32)) != 0 && due(&on, s.full) {
                    let f = frame(seed, i, len(&on, s.full));
                    put(&mut on, s.full, &f).unwrap();
                    put(&mut off, s.full, &f).unwrap();
                }
            }
            on.mix();
            off.mix();
            shadow_on.mix();
            shadow_off.mix();
            for s in slots_on.iter().filter(|s| s.present) {
                prop_assert_eq!(on.output(s.full), off.output(s.full));
            }
            loop {
                let (a, b) = (on.poll_event(), off.poll_event());
                prop_assert_eq!(&a, &b);
                if a.is_none() {
                    break;
                }
            }
            while on.poll_alert().is_some() {}
            prop_assert!(off.signals().is_none());
        }
    }
}
