//! The compliance rules, as properties of every sequence of control calls:
//! joins of every role with and without identities, mode changes from the
//! API and from the keypad, leaves, policies set and cleared, disclosures
//! required and recorded, announcements and taps, and ticks with frames.
//!
//! - The audit trail alone reconstructs the routes: a fold over the events
//!   predicts who hears whom (the mode table and the consent gate written
//!   out here, not taken from the crate), and the prediction is exactly
//!   `Session::routes()` and `Session::hears()` after every call, and
//!   exactly what every party hears at every tick.
//! - No supervisor outside its grant is on the call: whenever a policy is
//!   in force, every supervisor has the grant for its mode on every agent
//!   present, by a brute-force model of the grant rules; and a call is
//!   refused exactly when that model (or the consent gate) says so.
//! - While the disclosure is pending, supervisors, recorders and taps hear
//!   nothing: every sample they get is zero.
//! - A refused call changes nothing but the audit trail, which gains the
//!   one `Event::Refused` that the error carries; any other error changes
//!   nothing at all.
//!
//! Route gains and volumes are left out of the generator (they only lower
//! or close a route, and `tests/properties.rs` covers them); ramps are off
//! so that what a party hears is the plain sum of whom it hears.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use barge::dtmf::Digit;
use barge::keypad::DtmfMap;
use barge::tone::Cadence;
use barge::{
    Audience, BeforeDisclosure, Consent, Error, Event, Format, Join, Label, Mode, PartyId, Role,
    Session, Tap, TapId, ToneGenerator, ToneSpec,
};
use proptest::prelude::*;

const FORMAT: Format = Format::NARROWBAND_20MS;
const SPF: usize = 160;

/// The disclosure tone of the generated calls: 30 ms, two ticks.
const SHORT_TONE: ToneSpec = ToneSpec::single(1000.0, -13.0, Cadence::once(30));

// --- Identities and policies, as plain data ----------------------------------

#[allow(dead_code)]
#[path = "support/grants.rs"]
mod grants;
use grants::{On, Person, PlainGrant, PlainPolicy, Who, GROUPS, KEYS};

impl PlainPolicy {
    /// The grant rules (`support/grants.rs`) for parties that may have no
    /// identity: a party without one is granted nothing.
    fn allows(&self, sup: Option<&Person>, agent: Option<&Person>, mode: Mode) -> bool {
        match (sup, agent) {
            (Some(sup), Some(agent)) => self.granted(sup, agent).contains(&mode),
            _ => false,
        }
    }
}

// --- The control calls --------------------------------------------------------

#[derive(Debug, Clone)]
enum Op {
    /// A customer or an agent, with an identity or without one.
    Join(Role, Option<Person>),
    /// A supervisor in its first mode, with an identity or without one.
    JoinSupervisor(Mode, Option<Person>),
    JoinRecorder(bool),
    JoinAnnouncement(Audience),
    /// Parties are picked by position among every id the call ever issued
    /// (left ones included).
    Leave(usize),
    SetMode(usize, Mode),
    SetDtmfMap(usize),
    Press(usize, Digit),
    SetPolicy(Option<PlainPolicy>),
    RequireDisclosure(BeforeDisclosure),
    RecordConsent,
    SetDisclosure(usize),
    Play(usize),
    Stop(usize),
    SetAudience(usize, Audience),
    AddTap(usize),
    /// A tick; bit `i` of the mask: the `i`-th party hands in no frame.
    Tick(u64, u32),
}

const MAPS: [DtmfMap; 3] = [DtmfMap::NONE, DtmfMap::CHANSPY, DtmfMap::EAVESDROP];
const TAPS: [Tap; 4] = [
    Tap::stereo(),
    Tap::stereo().with_whispers(true),
    Tap::stems(),
    Tap::stems().with_whispers(true),
];

fn mode() -> impl Strategy<Value = Mode> {
    proptest::sample::select(Mode::ALL.to_vec())
}

fn person() -> impl Strategy<Value = Person> {
    (
        proptest::sample::select(KEYS.to_vec()),
        proptest::sample::subsequence(GROUPS.to_vec(), 0..=3),
        proptest::bool::weighted(0.15),
    )
        .prop_map(|(key, groups, opted_out)| Person {
            key,
            groups,
            opted_out,
        })
}

fn audience() -> impl Strategy<Value = Audience> {
    (0u8..16).prop_map(|bits| {
        [
            Audience::CUSTOMERS,
            Audience::AGENTS,
            Audience::SUPERVISORS,
            Audience::RECORDERS,
        ]
        .iter()
        .enumerate()
        .filter(|(i, _)| bits & (1 << i) != 0)
        .fold(Audience::NOBODY, |a, (_, &b)| a | b)
    })
}

fn plain_policy() -> impl Strategy<Value = PlainPolicy> {
    let who = prop_oneof![
        proptest::sample::select(KEYS.to_vec()).prop_map(Who::Key),
        proptest::sample::select(GROUPS.to_vec()).prop_map(Who::Group),
        Just(Who::Anyone),
    ];
    let on = prop_oneof![
        proptest::sample::select(GROUPS.to_vec()).prop_map(On::Team),
        proptest::collection::vec(proptest::sample::select(KEYS.to_vec()), 0..3).prop_map(On::Keys),
        Just(On::Every),
        Just(On::OwnTeam),
    ];
    let grant = (who, proptest::collection::vec(mode(), 0..4), on)
        .prop_map(|(who, modes, on)| PlainGrant { who, modes, on });
    (
        proptest::collection::vec(grant, 0..5),
        proptest::sample::subsequence(KEYS.to_vec(), 0..=1),
    )
        .prop_map(|(grants, opted_out)| PlainPolicy { grants, opted_out })
}

fn op() -> impl Strategy<Value = Op> {
    let anyone = any::<usize>();
    prop_oneof![
        3 => (
            proptest::sample::select(vec![Role::Customer, Role::Agent]),
            proptest::option::weighted(0.8, person()),
        )
            .prop_map(|(r, p)| Op::Join(r, p)),
        3 => (mode(), proptest::option::weighted(0.8, person()))
            .prop_map(|(m, p)| Op::JoinSupervisor(m, p)),
        1 => any::<bool>().prop_map(Op::JoinRecorder),
        1 => audience().prop_map(Op::JoinAnnouncement),
        2 => anyone.prop_map(Op::Leave),
        3 => (anyone, mode()).prop_map(|(p, m)| Op::SetMode(p, m)),
        1 => (0..MAPS.len()).prop_map(Op::SetDtmfMap),
        2 => (anyone, proptest::sample::select(Digit::ALL.to_vec()))
            .prop_map(|(p, d)| Op::Press(p, d)),
        2 => proptest::option::weighted(0.8, plain_policy()).prop_map(Op::SetPolicy),
        2 => prop_oneof![
            Just(BeforeDisclosure::HoldSilent),
            Just(BeforeDisclosure::RefuseJoins)
        ]
        .prop_map(Op::RequireDisclosure),
        1 => Just(Op::RecordConsent),
        1 => anyone.prop_map(Op::SetDisclosure),
        2 => anyone.prop_map(Op::Play),
        1 => anyone.prop_map(Op::Stop),
        1 => (anyone, audience()).prop_map(|(p, a)| Op::SetAudience(p, a)),
        1 => (0..TAPS.len()).prop_map(Op::AddTap),
        8 => (any::<u64>(), any::<u32>()).prop_map(|(s, m)| Op::Tick(s, m & m.rotate_left(7))),
    ]
}

// --- The timeline: a fold over the events alone -------------------------------

/// A party as the audit trail describes it.
#[derive(Debug, Clone)]
struct Seen {
    role: Role,
    mode: Option<Mode>,
    label: Option<Label>,
    /// What `Event::Joined` does not carry: whether a recorder records
    /// whispers, and an announcement's audience until it first changes.
    /// The driver supplies these from the call that joined the party.
    records_whisper: bool,
    audience: Audience,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Gate {
    NotRequired,
    Pending(BeforeDisclosure),
    Given,
}

#[derive(Debug, Default)]
struct Timeline {
    present: BTreeMap<PartyId, Seen>,
    gate: Option<Gate>,
    policy_active: bool,
}

impl Timeline {
    fn gate(&self) -> Gate {
        self.gate.unwrap_or(Gate::NotRequired)
    }

    fn pending(&self) -> bool {
        matches!(self.gate(), Gate::Pending(_))
    }

    /// Applies one event, drained when the session's next tick was `next`.
    fn apply(&mut self, e: &Event, next: u64, joined: &BTreeMap<PartyId, (bool, Audience)>) {
        assert_eq!(
            e.at(),
            next,
            "every change applies from the next tick: {e:?}"
        );
        match *e {
            Event::Joined {
                party,
                role,
                mode,
                label,
                ..
            } => {
                assert_eq!(mode.is_some(), role == Role::Supervisor, "{e:?}");
                let (records_whisper, audience) = joined[&party];
                let seen = Seen {
                    role,
                    mode,
                    label,
                    records_whisper,
                    audience,
                };
                assert!(self.present.insert(party, seen).is_none(), "{e:?}");
            }
            Event::Left { party, role, .. } => {
                let seen = self.present.remove(&party).expect("left without joining");
                assert_eq!(seen.role, role);
            }
            Event::ModeChanged {
                party, from, to, ..
            } => {
                let seen = self.present.get_mut(&party).expect("a party on the call");
                assert_eq!(seen.mode, Some(from), "{e:?}");
                assert_ne!(from, to, "{e:?}");
                seen.mode = Some(to);
            }
            Event::AudienceChanged {
                party, from, to, ..
            } => {
                let seen = self.present.get_mut(&party).expect("a party on the call");
                assert_eq!(seen.audience, from, "{e:?}");
                seen.audience = to;
            }
            Event::DisclosureRequired { before, .. } => {
                assert_ne!(self.gate(), Gate::Given, "{e:?}");
                self.gate = Some(Gate::Pending(before));
            }
            Event::ConsentGiven { .. } => {
                assert!(self.pending(), "{e:?}");
                self.gate = Some(Gate::Given);
            }
            Event::PolicySet { active, .. } => self.policy_active = active,
            // The audit trail's record of what was tried and played.
            Event::Refused { .. }
            | Event::DigitPressed { .. }
            | Event::ToneStarted { .. }
            | Event::ToneEnded { .. }
            | Event::TapAdded { .. } => {}
            ref other => panic!("an event the generator cannot cause: {other:?}"),
        }
    }

    /// Whether `listener` hears `talker` (two parties on the call).
    fn hears(&self, listener: &Seen, talker: &Seen) -> bool {
        match listener.role {
            Role::Announcement => return false,
            Role::Supervisor if listener.mode == Some(Mode::PrivateWhisper) => return false,
            // Before the disclosure only the call's own parties listen.
            Role::Supervisor | Role::Recorder if self.pending() => return false,
            _ => {}
        }
        match talker.role {
            Role::Customer | Role::Agent => true,
            Role::Recorder => false,
            Role::Announcement => talker.audience.includes(listener.role),
            Role::Supervisor => {
                // Heard by: customer, agent, supervisor, recorder, recorder
                // of whispers.
                let row = match talker.mode.expect("a supervisor has a mode") {
                    Mode::Monitor => [false, false, false, false, false],
                    Mode::Whisper | Mode::PrivateWhisper => [false, true, true, false, true],
                    Mode::CustomerOnly => [true, false, true, true, true],
                    Mode::Barge => [true, true, true, true, true],
                    other => panic!("a mode the model does not know: {other:?}"),
                };
                match listener.role {
                    Role::Customer => row[0],
                    Role::Agent => row[1],
                    Role::Supervisor => row[2],
                    Role::Recorder => row[3 + usize::from(listener.records_whisper)],
                    _ => false,
                }
            }
            other => panic!("a role the model does not know: {other:?}"),
        }
    }

    /// Every (listener, talker) pair that hears.
    fn routes(&self) -> BTreeSet<(PartyId, PartyId)> {
        let mut open = BTreeSet::new();
        for (&l, listener) in &self.present {
            for (&t, talker) in &self.present {
                if l != t && self.hears(listener, talker) {
                    open.insert((l, t));
                }
            }
        }
        open
    }

    fn of_role(&self, role: Role) -> impl Iterator<Item = (PartyId, &Seen)> + '_ {
        self.present
            .iter()
            .filter(move |(_, s)| s.role == role)
            .map(|(&p, s)| (p, s))
    }
}

// --- The driver ---------------------------------------------------------------

struct Run {
    s: Session<i16>,
    timeline: Timeline,
    /// Every id the call issued, in order.
    ids: Vec<PartyId>,
    taps: Vec<TapId>,
    /// Who each party is, as the host knows it.
    people: BTreeMap<PartyId, Option<Person>>,
    /// What the Joined events do not say (see [`Seen`]).
    joined: BTreeMap<PartyId, (bool, Audience)>,
    /// The policy in force, as the last accepted `set_policy` set it.
    policy: Option<PlainPolicy>,
    map: DtmfMap,
    /// The tones playing, generated alongside the session's.
    tones: BTreeMap<PartyId, ToneGenerator>,
    /// The crate's own reading of the same events.
    audit: barge::audit::Timeline,
}

impl Run {
    fn new() -> Run {
        let mut s = Session::new(FORMAT);
        s.set_ramp(Duration::ZERO).unwrap();
        Run {
            s,
            timeline: Timeline::default(),
            ids: Vec::new(),
            taps: Vec::new(),
            people: BTreeMap::new(),
            joined: BTreeMap::new(),
            policy: None,
            map: DtmfMap::NONE,
            tones: BTreeMap::new(),
            audit: barge::audit::Timeline::new(FORMAT),
        }
    }

    fn pick(&self, i: usize) -> Option<PartyId> {
        (!self.ids.is_empty()).then(|| self.ids[i % self.ids.len()])
    }

    /// Mostly a party of `role` on the call, when there is one, so that
    /// calls for supervisors and announcements reach them; else any id.
    fn pick_role(&self, i: usize, role: Role) -> Option<PartyId> {
        let on: Vec<PartyId> = self.timeline.of_role(role).map(|(p, _)| p).collect();
        if i % 5 == 0 || on.is_empty() {
            return self.pick(i / 5);
        }
        Some(on[i / 5 % on.len()])
    }

    fn person(&self, p: PartyId) -> Option<&Person> {
        self.people.get(&p).and_then(Option::as_ref)
    }

    /// Whether the model lets supervisor `who` (an identity or none) be in
    /// `mode` with `agents` on the call.
    fn may(&self, who: Option<&Person>, agents: &[Option<&Person>], mode: Mode) -> bool {
        if self.timeline.gate() == Gate::Pending(BeforeDisclosure::RefuseJoins) {
            return false;
        }
        match &self.policy {
            None => true,
            Some(policy) => agents.iter().all(|&a| policy.allows(who, a, mode)),
        }
    }

    fn agents(&self) -> Vec<Option<&Person>> {
        self.timeline
            .of_role(Role::Agent)
            .map(|(p, _)| self.person(p))
            .collect()
    }

    /// Whether a supervisor on the call may switch to `mode`.
    fn may_switch(&self, sup: PartyId, mode: Mode) -> bool {
        let seen = &self.timeline.present[&sup];
        seen.mode == Some(mode) || self.may(self.person(sup), &self.agents(), mode)
    }

    /// Runs one control call, checks that it is refused exactly where the
    /// model says (where the model makes a claim), checks what a refusal or
    /// an error left, and folds the events it recorded.
    fn control(&mut self, op: &Op) {
        let before = self.s.clone();
        let mut expect_refused: Option<bool> = None;
        let sup = |run: &Run, p: Option<PartyId>| {
            p.filter(|p| {
                run.timeline
                    .present
                    .get(p)
                    .is_some_and(|s| s.role == Role::Supervisor)
            })
        };
        let result: Result<(), Error> = match op {
            Op::Join(role, who) => {
                if *role == Role::Agent {
                    let sups: Vec<(Option<&Person>, Mode)> = self
                        .timeline
                        .of_role(Role::Supervisor)
                        .map(|(p, s)| (self.person(p), s.mode.unwrap()))
                        .collect();
                    let refused = match &self.policy {
                        Some(policy) => sups
                            .iter()
                            .any(|&(s, m)| !policy.allows(s, who.as_ref(), m)),
                        None => false,
                    };
                    expect_refused = Some(refused);
                } else {
                    expect_refused = Some(false);
                }
                let joined = match who {
                    Some(p) => self.s.join(Join::from(*role).identity(p.identity())),
                    None => self.s.join(*role),
                };
                joined.map(|id| self.joined_as(id, who.clone(), false, Audience::NOBODY))
            }
            Op::JoinSupervisor(mode, who) => {
                expect_refused = Some(!self.may(who.as_ref(), &self.agents(), *mode));
                let joined = match who {
                    Some(p) => self.s.join(Join::supervisor(*mode).identity(p.identity())),
                    None => self.s.join(Join::supervisor(*mode)),
                };
                joined.map(|id| self.joined_as(id, who.clone(), false, Audience::NOBODY))
            }
            Op::JoinRecorder(whispers) => {
                expect_refused = Some(false);
                self.s
                    .join(Join::recorder(*whispers))
                    .map(|id| self.joined_as(id, None, *whispers, Audience::NOBODY))
            }
            Op::JoinAnnouncement(audience) => {
                expect_refused = Some(false);
                self.s
                    .join(Join::announcement(*audience))
                    .map(|id| self.joined_as(id, None, false, *audience))
            }
            Op::Leave(i) => match self.pick(*i) {
                Some(p) => {
                    expect_refused = Some(false);
                    self.s.leave(p).map(|()| {
                        self.tones.remove(&p);
                    })
                }
                None => Ok(()),
            },
            Op::SetMode(i, mode) => {
                let target = self.pick_role(*i, Role::Supervisor);
                if let Some(p) = sup(self, target) {
                    expect_refused = Some(!self.may_switch(p, *mode));
                }
                match target {
                    Some(p) => self.s.set_mode(p, *mode),
                    None => Ok(()),
                }
            }
            Op::SetDtmfMap(k) => {
                self.map = MAPS[*k];
                self.s.set_dtmf_map(MAPS[*k]);
                Ok(())
            }
            Op::Press(i, digit) => {
                let target = self.pick_role(*i, Role::Supervisor);
                if let Some(p) = sup(self, target) {
                    expect_refused = Some(match self.map.mode(*digit) {
                        Some(m) => !self.may_switch(p, m),
                        None => false,
                    });
                }
                match target {
                    Some(p) => self.s.press(p, *digit).map(|_| ()),
                    None => Ok(()),
                }
            }
            Op::SetPolicy(plain) => {
                expect_refused = Some(match plain {
                    Some(policy) => self.timeline.of_role(Role::Supervisor).any(|(p, s)| {
                        let who = self.person(p);
                        self.agents()
                            .iter()
                            .any(|&a| !policy.allows(who, a, s.mode.unwrap()))
                    }),
                    None => false,
                });
                let policy = plain.as_ref().map(|p| Arc::new(p.policy()));
                let set = self.s.set_policy(policy);
                if set.is_ok() {
                    self.policy = plain.clone();
                }
                set
            }
            Op::RequireDisclosure(before) => {
                expect_refused = Some(false);
                self.s.require_disclosure(*before)
            }
            Op::RecordConsent => {
                self.s.record_consent();
                Ok(())
            }
            Op::SetDisclosure(i) => match self.pick_role(*i, Role::Announcement) {
                Some(p) => self.s.set_disclosure(p),
                None => Ok(()),
            },
            Op::Play(i) => match self.pick_role(*i, Role::Announcement) {
                Some(p) => self.s.play(p, &SHORT_TONE).map(|()| {
                    let tone = ToneGenerator::new(&SHORT_TONE, FORMAT.rate()).unwrap();
                    self.tones.insert(p, tone);
                }),
                None => Ok(()),
            },
            Op::Stop(i) => match self.pick_role(*i, Role::Announcement) {
                Some(p) => self.s.stop(p).map(|()| {
                    self.tones.remove(&p);
                }),
                None => Ok(()),
            },
            Op::SetAudience(i, audience) => match self.pick_role(*i, Role::Announcement) {
                Some(p) => self.s.set_audience(p, *audience),
                None => Ok(()),
            },
            Op::AddTap(k) => self.s.add_tap(TAPS[*k]).map(|t| self.taps.push(t)),
            Op::Tick(..) => unreachable!("ticks are not control calls"),
        };
        match (&result, expect_refused) {
            (Err(Error::Refused { .. }), Some(false)) => {
                panic!("{op:?} refused where the model allows it: {result:?}")
            }
            (Ok(()), Some(true)) => panic!("{op:?} accepted where the model refuses it"),
            (Err(e), Some(true)) if !matches!(e, Error::Refused { .. }) => {
                // Another error came first (e.g. a party no longer on the
                // call): the call is not a refusal.
            }
            _ => {}
        }
        match result {
            Err(Error::Refused { refusal }) => {
                let (mut was, mut now) = (before, self.s.clone());
                let mut expected = drain(&mut was);
                expected.push(Event::Refused {
                    refusal,
                    at: was.tick(),
                });
                assert_eq!(drain(&mut now), expected, "{op:?}: the refusal is recorded");
                assert!(now == was, "{op:?}: a refusal changes nothing else");
            }
            Err(e) => assert!(self.s == before, "{op:?}: {e} changed the session"),
            Ok(()) => {}
        }
        self.fold();
    }

    fn joined_as(&mut self, id: PartyId, who: Option<Person>, whispers: bool, audience: Audience) {
        self.ids.push(id);
        self.people.insert(id, who);
        self.joined.insert(id, (whispers, audience));
    }

    fn fold(&mut self) {
        let next = self.s.tick();
        for e in drain(&mut self.s) {
            self.timeline.apply(&e, next, &self.joined);
            let line = self.audit.push(&e).to_string();
            assert!(line.starts_with(&format!("tick {} (", e.at())), "{line}");
        }
    }

    /// One tick: every party hands in a frame of noise (or, by `missing`,
    /// nothing), and what each hears must be the sum of those the timeline
    /// says it hears.
    fn tick(&mut self, seed: u64, missing: u32) {
        let mut frames: BTreeMap<PartyId, Vec<i16>> = BTreeMap::new();
        let mut rng = seed | 1;
        for (k, (&p, _)) in self.timeline.present.iter().enumerate() {
            let mut frame = vec![0i16; SPF];
            if let Some(tone) = self.tones.get_mut(&p) {
                tone.fill_i16(&mut frame);
            } else if missing & (1 << (k % 32)) == 0 {
                for x in frame.iter_mut() {
                    rng ^= rng << 13;
                    rng ^= rng >> 7;
                    rng ^= rng << 17;
                    *x = (rng % 1601) as i16 - 800;
                }
                self.s.put_frame(p, &frame).unwrap();
            }
            frames.insert(p, frame);
        }
        self.tones.retain(|_, t| !t.is_finished());
        let open = self.timeline.routes();
        let pending = self.timeline.pending();
        let at = self.s.tick();
        self.s.mix();
        for (&l, seen) in &self.timeline.present {
            let sum: i32 = open
                .iter()
                .filter(|&&(listener, _)| listener == l)
                .map(|(_, t)| &frames[t])
                .fold(vec![0i32; SPF], |mut acc, f| {
                    acc.iter_mut().zip(f).for_each(|(a, &x)| *a += i32::from(x));
                    acc
                })
                .iter()
                .zip(self.s.output(l).unwrap())
                .map(|(&want, &got)| {
                    let want = want.clamp(i32::from(i16::MIN), i32::from(i16::MAX));
                    assert_eq!(
                        i32::from(got),
                        want,
                        "what {l} ({seen:?}) heard at tick {at}"
                    );
                    want.abs()
                })
                .sum();
            if pending && matches!(seen.role, Role::Supervisor | Role::Recorder) {
                assert_eq!(
                    sum, 0,
                    "{l} ({seen:?}) heard the call before the disclosure"
                );
            }
        }
        if pending {
            for &t in &self.taps {
                let frame = self.s.tap_frame(t).unwrap();
                assert!(
                    frame.iter().all(|&x| x == 0),
                    "tap {t:?} recorded the call before the disclosure, tick {at}"
                );
            }
        }
        self.fold();
    }

    /// After every call: the timeline's routes are the session's, and the
    /// policy in force allows every supervisor on every agent.
    fn check(&self) {
        let routes: BTreeSet<(PartyId, PartyId)> =
            self.s.routes().map(|r| (r.listener, r.talker)).collect();
        assert_eq!(
            routes,
            self.timeline.routes(),
            "routes at tick {}",
            self.s.tick()
        );
        // What each supervisor may do now is what a mode change would do.
        for (sup, _) in self.timeline.of_role(Role::Supervisor) {
            for (mode, allowed) in self.s.modes_for(sup).unwrap() {
                let mut tried = self.s.clone();
                match (allowed, tried.set_mode(sup, mode)) {
                    (Ok(()), Ok(())) => {}
                    (Err(refusal), Err(Error::Refused { refusal: r })) => assert_eq!(refusal, r),
                    (a, b) => panic!("modes_for says {a:?} for {mode}, set_mode {b:?}"),
                }
            }
        }
        // The crate's timeline, from the same events: the session's routes,
        // gains and keys, exactly.
        let audit: Vec<barge::Route> = self.audit.routes().collect();
        let session: Vec<barge::Route> = self.s.routes().collect();
        let key = |r: &barge::Route| (r.listener, r.talker);
        let (mut audit, mut session) = (audit, session);
        audit.sort_by_key(key);
        session.sort_by_key(key);
        assert_eq!(
            audit,
            session,
            "the timeline's routes at tick {}",
            self.s.tick()
        );
        // Its segments: nobody listens before the disclosure, and what a
        // supervisor listening now hears is what the session says.
        let pending = self.timeline.pending();
        for seg in self.audit.segments().iter().filter(|s| s.to.is_none()) {
            match &seg.doing {
                barge::audit::Doing::HeldSilent => assert!(pending, "{seg:?}"),
                barge::audit::Doing::Listening { heard, .. } => {
                    assert!(!pending, "{seg:?}");
                    for &p in heard {
                        assert!(routes.contains(&(seg.supervisor, p)), "{seg:?}");
                    }
                }
                _ => {}
            }
        }
        for r in self.s.routes() {
            assert_eq!(r.listener_label, self.timeline.present[&r.listener].label);
            assert_eq!(r.talker_label, self.timeline.present[&r.talker].label);
        }
        let open = self.timeline.routes();
        for &l in self.timeline.present.keys() {
            for &t in self.timeline.present.keys() {
                if l != t {
                    let heard = !self.s.hears(l, t).unwrap().is_muted();
                    assert_eq!(heard, open.contains(&(l, t)), "{l} hears {t}");
                }
            }
        }
        let consent = match self.s.consent() {
            Consent::NotRequired => Gate::NotRequired,
            Consent::Pending(b) => Gate::Pending(b),
            Consent::Given => Gate::Given,
        };
        assert_eq!(consent, self.timeline.gate());
        assert_eq!(self.timeline.policy_active, self.policy.is_some());
        if let Some(policy) = &self.policy {
            for (sup, seen) in self.timeline.of_role(Role::Supervisor) {
                let mode = seen.mode.unwrap();
                for (agent, _) in self.timeline.of_role(Role::Agent) {
                    assert!(
                        policy.allows(self.person(sup), self.person(agent), mode),
                        "supervisor {:?} in {mode} on agent {:?} under {policy:?}",
                        self.person(sup),
                        self.person(agent),
                    );
                }
            }
        }
    }
}

fn drain(s: &mut Session<i16>) -> Vec<Event> {
    std::iter::from_fn(|| s.poll_event()).collect()
}

fn run(ops: &[Op]) {
    let mut run = Run::new();
    for op in ops {
        match *op {
            Op::Tick(seed, missing) => run.tick(seed, missing),
            ref control => run.control(control),
        }
        run.check();
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn the_audit_trail_is_the_routes_and_nobody_outside_the_rules_listens(
        ops in proptest::collection::vec(op(), 1..60),
    ) {
        run(&ops);
    }
}

// --- The cases of the issue, spelled out --------------------------------------

fn centre() -> PlainPolicy {
    PlainPolicy {
        grants: vec![
            PlainGrant {
                who: Who::Group("lead"),
                modes: vec![Mode::Monitor, Mode::Whisper, Mode::Barge],
                on: On::OwnTeam,
            },
            PlainGrant {
                who: Who::Group("qa"),
                modes: vec![Mode::Monitor],
                on: On::Every,
            },
        ],
        opted_out: vec!["kim"],
    }
}

fn who(key: &'static str, groups: &[&'static str]) -> Option<Person> {
    Some(Person {
        key,
        groups: groups.to_vec(),
        opted_out: false,
    })
}

#[test]
fn the_issues_call_holds_its_rules() {
    let customer = Op::Join(Role::Customer, None);
    let alex = Op::Join(Role::Agent, who("alex", &["team-a"]));
    let qa = Op::JoinSupervisor(Mode::Monitor, who("quinn", &["qa"]));
    let lead_a = Op::JoinSupervisor(Mode::Whisper, who("sam", &["lead", "team-a"]));
    let lead_b = Op::JoinSupervisor(Mode::Whisper, who("lee", &["lead", "team-b"]));
    let tick = Op::Tick(7, 0);
    let ops = [
        Op::SetPolicy(Some(centre())),
        Op::RequireDisclosure(BeforeDisclosure::HoldSilent),
        customer,
        alex,
        qa,
        tick.clone(),
        // QA may not whisper (party 2: bo), the lead of team b may not join.
        Op::SetMode(2, Mode::Whisper),
        lead_b,
        lead_a,
        tick.clone(),
        Op::RecordConsent,
        tick.clone(),
        Op::SetMode(3, Mode::Barge),
        tick.clone(),
        // An agent who opted out may not join while supervisors listen.
        Op::Join(Role::Agent, who("kim", &["team-a"])),
        Op::Leave(2),
        Op::Leave(3),
        tick.clone(),
    ];
    run(&ops);
}

#[test]
fn refuse_joins_refuses_every_supervisor_until_the_disclosure() {
    let ops = [
        Op::Join(Role::Customer, None),
        Op::Join(Role::Agent, None),
        Op::RequireDisclosure(BeforeDisclosure::RefuseJoins),
        Op::JoinSupervisor(Mode::Monitor, None),
        Op::JoinRecorder(true),
        Op::Tick(3, 0),
        Op::RecordConsent,
        Op::JoinSupervisor(Mode::Barge, None),
        Op::Tick(4, 0),
    ];
    let mut r = Run::new();
    for op in &ops {
        match *op {
            Op::Tick(seed, missing) => r.tick(seed, missing),
            ref control => r.control(control),
        }
        r.check();
    }
    let roles: Vec<Role> = r.timeline.present.values().map(|s| s.role).collect();
    assert_eq!(
        roles,
        [
            Role::Customer,
            Role::Agent,
            Role::Recorder,
            Role::Supervisor
        ]
    );
}
