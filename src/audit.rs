//! Reading the audit trail: the events of a call as lines a reviewer can
//! read, and what they add up to — who listened to whom, in which mode,
//! from when to when, after which disclosure, and every refusal.
//!
//! Every [`Event`] displays as one line that names its parties by the
//! host's keys where the host gave them (`tick 125: "sam" (#3): whisper ->
//! barge`). A [`Timeline`] folds a call's events, in order, as the host
//! drains them: it knows the call's frame duration, so its lines give the
//! media time, and it names each party by its role too (`supervisor
//! "sam"`); it tracks who hears whom ([`Timeline::routes`], what
//! [`Session::routes`](crate::Session::routes) says, from the events
//! alone), each supervisor's [`Segment`]s and the [refusals](Timeline::refusals),
//! and its [`report`](Timeline::report) prints all of it.
//!
//! ```
//! use barge::audit::Timeline;
//! use barge::{BeforeDisclosure, Format, Join, Label, Identity, Mode, Role, Session};
//! let mut call = Session::<i16>::new(Format::NARROWBAND_20MS);
//! call.require_disclosure(BeforeDisclosure::HoldSilent)?;
//! call.join(Join::customer().identity(Identity::new(Label::new("caller-1")?)))?;
//! call.join(Join::agent().identity(Identity::new(Label::new("alex")?)))?;
//! let sam = call.join(Join::supervisor(Mode::Monitor).identity(Identity::new(Label::new("sam")?)))?;
//! let mut timeline = Timeline::new(call.format());
//! for tick in 0..100 {
//!     if tick == 50 {
//!         call.record_consent(); // the customer agreed
//!     }
//!     if tick == 80 {
//!         call.set_mode(sam, Mode::Whisper)?;
//!     }
//!     call.mix();
//!     while let Some(event) = call.poll_event() {
//!         let line = timeline.push(&event).to_string();
//!         assert!(line.starts_with("tick "), "{line}");
//!     }
//! }
//! let report = timeline.report().to_string();
//! assert!(report.contains(
//!     "supervisor \"sam\" held silent in monitor from tick 0 (0.00 s) to tick 50 (1.00 s)"
//! ));
//! assert!(report.contains(
//!     "supervisor \"sam\" listened in monitor from tick 50 (1.00 s) to tick 80 (1.60 s) \
//!      to customer \"caller-1\", agent \"alex\"; heard by nobody; \
//!      after the disclosure at tick 50 (1.00 s)"
//! ));
//! # Ok::<(), barge::Error>(())
//! ```

use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use core::fmt;

use crate::format::Format;
use crate::gain::Gain;
use crate::id::PartyId;
use crate::label::Label;
use crate::policy::consent::{BeforeDisclosure, ConsentBy};
use crate::policy::Reason;
use crate::policy::Refusal;
use crate::route::{mode_allows, Audience, Mode, Role, Seat};
use crate::session::events::Event;
use crate::session::routes::Route;
use crate::tap::TapLayout;

/// A party as an event names it: the host's key where it has one, else its
/// number (`"sam" (#3)`, `#3`); with its role where that is known
/// (`supervisor "sam"`, `announcement #2`).
#[derive(Debug, Clone, Copy)]
struct Name {
    party: PartyId,
    label: Option<Label>,
    role: Option<Role>,
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.role, self.label) {
            (Some(role), Some(label)) => write!(f, "{role} {:?}", label.as_str()),
            (Some(role), None) => write!(f, "{role} {}", self.party),
            (None, Some(label)) => write!(f, "{:?} ({})", label.as_str(), self.party),
            (None, None) => write!(f, "{}", self.party),
        }
    }
}

/// How [`describe`] names a party.
trait Namer {
    fn name(&self, party: PartyId, label: Option<Label>) -> Name;
}

/// Names by the event's own label.
struct ByLabel;

impl Namer for ByLabel {
    fn name(&self, party: PartyId, label: Option<Label>) -> Name {
        Name {
            party,
            label,
            role: None,
        }
    }
}

/// What `e` says, its parties named by `names`.
fn describe(e: &Event, names: &impl Namer, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let n = |p: PartyId, l: Option<Label>| names.name(p, l);
    match *e {
        Event::Joined {
            party, mode, label, ..
        } => match mode {
            Some(mode) => write!(f, "{} joined in {mode}", n(party, label)),
            None => write!(f, "{} joined", n(party, label)),
        },
        Event::Left { party, label, .. } => write!(f, "{} left", n(party, label)),
        Event::ModeChanged {
            party,
            label,
            from,
            to,
            ..
        } => write!(f, "{}: {from} -> {to}", n(party, label)),
        Event::RouteGainSet {
            listener,
            listener_label,
            talker,
            talker_label,
            gain,
            ..
        } => write!(
            f,
            "{} hears {} at {gain} (route gain)",
            n(listener, listener_label),
            n(talker, talker_label)
        ),
        Event::RouteGainCleared {
            listener,
            listener_label,
            talker,
            talker_label,
            ..
        } => write!(
            f,
            "route gain of {} hearing {} cleared",
            n(listener, listener_label),
            n(talker, talker_label)
        ),
        Event::VolumeChanged {
            party,
            label,
            from,
            to,
            ..
        } => write!(f, "{}'s volume: {from} -> {to}", n(party, label)),
        Event::TapAdded { tap, config, .. } => {
            let layout = match config.layout() {
                TapLayout::Stereo => "stereo",
                TapLayout::Stems => "one stem per party",
            };
            write!(f, "{tap} added: {layout}")?;
            if let Some(rate) = config.rate() {
                write!(f, " at {rate}")?;
            }
            match (config.records_supervisors(), config.records_whispers()) {
                (false, _) => f.write_str(", no supervisor"),
                (true, false) => f.write_str(", no whisper"),
                (true, true) => f.write_str(", whispers too"),
            }
        }
        Event::TapRemoved { tap, .. } => write!(f, "{tap} removed"),
        Event::DigitPressed {
            party,
            label,
            digit,
            in_band,
            mode,
            ..
        } => {
            let how = if in_band {
                "in its audio"
            } else {
                "by the host"
            };
            write!(f, "{} pressed {digit} ({how})", n(party, label))?;
            match mode {
                Some(mode) => write!(f, ": {mode}"),
                None => Ok(()),
            }
        }
        Event::Refused { refusal, .. } => write!(f, "REFUSED: {}", Asked(&refusal)),
        Event::PolicySet { active: true, .. } => f.write_str("policy set"),
        Event::PolicySet { active: false, .. } => f.write_str("policy cleared"),
        Event::DisclosureRequired { before, .. } => {
            let meanwhile = match before {
                BeforeDisclosure::HoldSilent => "held silent",
                BeforeDisclosure::RefuseJoins => "refused",
            };
            write!(
                f,
                "disclosure required before anyone listens \
                 (supervisors who join meanwhile are {meanwhile})"
            )
        }
        Event::ConsentGiven { by, .. } => {
            f.write_str("DISCLOSURE recorded ")?;
            match by {
                ConsentBy::Host => f.write_str("by the host (the customer agreed)")?,
                ConsentBy::Disclosure(p) => write!(
                    f,
                    "by {}, which played to the customer to its end",
                    n(p, None)
                )?,
            }
            f.write_str(": supervisors may listen from here")
        }
        Event::AudienceChanged {
            party,
            label,
            from,
            to,
            ..
        } => write!(f, "{} is heard by {to} (was {from})", n(party, label)),
        Event::ToneStarted {
            party, label, tone, ..
        } => write!(
            f,
            "{} plays a tone of {} ms",
            n(party, label),
            tone.cadence().on_ms
        ),
        Event::ToneEnded {
            party,
            label,
            finished,
            ..
        } => write!(
            f,
            "{}'s tone {}",
            n(party, label),
            if finished { "ended" } else { "was stopped" }
        ),
        Event::CueStarted {
            on,
            supervisor,
            supervisor_label,
            player,
            audience,
            ..
        } => write!(
            f,
            "cue for when {on} ({}): {} plays it to {audience}",
            n(supervisor, supervisor_label),
            n(player, None)
        ),
        Event::Dropped {
            count, first_at, ..
        } => write!(
            f,
            "{count} events dropped, from tick {first_at} on: the trail was full"
        ),
    }
}

/// `tick 125: "sam" (#3): whisper -> barge`: the tick from which the change
/// applies, and the change, its parties named by the host's keys where it
/// gave them. A [`Timeline`] gives the media time and the parties' roles
/// too.
impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "tick {}: ", self.at())?;
        describe(self, &ByLabel, f)
    }
}

/// A refusal as a reviewer reads it: who asked for what, and why it was
/// refused.
struct Asked<'a>(&'a Refusal);

impl fmt::Display for Asked<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = self.0;
        match r.supervisor {
            Some(k) => write!(f, "supervisor {:?}", k.as_str())?,
            None => f.write_str("a supervisor without a key")?,
        }
        write!(f, " asked for {}", r.mode)?;
        match (r.agent, r.reason) {
            (_, Reason::ConsentPending) => {}
            (Some(a), _) => write!(f, " on agent {:?}", a.as_str())?,
            (None, _) => f.write_str(" on an agent without a key")?,
        }
        write!(f, "; refused: {}", r.reason)
    }
}

/// A party on the call, as the events say.
#[derive(Debug, Clone)]
struct Seen {
    seat: Seat,
    label: Option<Label>,
    volume: Gain,
    /// The host's route gains of the routes to it, by talker.
    gains: BTreeMap<PartyId, Gain>,
}

/// What a supervisor did in a [`Segment`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Doing {
    /// On the call before the disclosure: heard nothing.
    HeldSilent,
    /// In a mode that hears nobody (private whisper).
    Deaf,
    /// Heard the call's customers and agents in `heard`, and was heard by
    /// those in `heard_by`.
    Listening {
        /// The customers and agents it heard.
        heard: Vec<PartyId>,
        /// The customers and agents who heard it.
        heard_by: Vec<PartyId>,
    },
}

/// One stretch of a supervisor's time on a call in which it did one thing
/// ([`Doing`]) in one mode: from the tick it began to the tick it ended
/// (`None` while it goes on).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// The supervisor.
    pub supervisor: PartyId,
    /// Its mode.
    pub mode: Mode,
    /// What it did.
    pub doing: Doing,
    /// The first tick of the stretch.
    pub from: u64,
    /// The first tick after it, once it has ended.
    pub to: Option<u64>,
    /// The disclosure in force when it began: the tick from which it held,
    /// and who recorded it; `None` where none was required.
    pub after: Option<(u64, ConsentBy)>,
}

/// A call's audit trail, folded: see [the module](self).
#[derive(Debug, Clone)]
pub struct Timeline {
    format: Format,
    /// Who is on the call now.
    present: BTreeMap<PartyId, Seen>,
    /// Every party that was, by key and role.
    named: BTreeMap<PartyId, (Role, Option<Label>)>,
    /// Whether the consent gate is pending, and the disclosure recorded.
    pending: bool,
    disclosure: Option<(u64, ConsentBy)>,
    required: bool,
    segments: Vec<Segment>,
    refusals: Vec<(u64, Refusal)>,
}

impl Timeline {
    /// An empty timeline of a call in `format` (for media times).
    pub fn new(format: Format) -> Timeline {
        Timeline {
            format,
            present: BTreeMap::new(),
            named: BTreeMap::new(),
            pending: false,
            disclosure: None,
            required: false,
            segments: Vec::new(),
            refusals: Vec::new(),
        }
    }

    /// Folds `event`, the next of the call's events in the order the
    /// session recorded them, and returns its line: `tick 76 (1.52 s)
    /// DISCLOSURE recorded by the host…`.
    pub fn push(&mut self, event: &Event) -> Entry<'_> {
        let at = event.at();
        match *event {
            Event::Joined {
                party,
                role,
                mode,
                records_whisper,
                audience,
                label,
                ..
            } => {
                let seat = Seat {
                    role,
                    mode: mode.unwrap_or(Mode::Monitor),
                    records_whisper,
                    audience: audience.unwrap_or(Audience::NOBODY),
                };
                self.named.insert(party, (role, label));
                self.present.insert(
                    party,
                    Seen {
                        seat,
                        label,
                        volume: Gain::UNITY,
                        gains: BTreeMap::new(),
                    },
                );
            }
            Event::Left { party, .. } => {
                self.present.remove(&party);
                for seen in self.present.values_mut() {
                    seen.gains.remove(&party);
                }
            }
            Event::ModeChanged { party, to, .. } => {
                if let Some(seen) = self.present.get_mut(&party) {
                    seen.seat.mode = to;
                }
            }
            Event::RouteGainSet {
                listener,
                talker,
                gain,
                ..
            } => {
                if let Some(seen) = self.present.get_mut(&listener) {
                    seen.gains.insert(talker, gain);
                }
            }
            Event::RouteGainCleared {
                listener, talker, ..
            } => {
                if let Some(seen) = self.present.get_mut(&listener) {
                    seen.gains.remove(&talker);
                }
            }
            Event::VolumeChanged { party, to, .. } => {
                if let Some(seen) = self.present.get_mut(&party) {
                    seen.volume = to;
                }
            }
            Event::AudienceChanged { party, to, .. } => {
                if let Some(seen) = self.present.get_mut(&party) {
                    seen.seat.audience = to;
                }
            }
            Event::CueStarted {
                player, audience, ..
            } => {
                if let Some(seen) = self.present.get_mut(&player) {
                    seen.seat.audience = audience;
                }
            }
            Event::DisclosureRequired { .. } => {
                self.pending = true;
                self.required = true;
            }
            Event::ConsentGiven { by, .. } => {
                self.pending = false;
                self.disclosure = Some((at, by));
            }
            Event::Refused { refusal, .. } => self.refusals.push((at, refusal)),
            _ => {}
        }
        self.update_segments(at);
        Entry {
            timeline: self,
            event: *event,
        }
    }

    /// Every open route now: who hears whom at what gain, as
    /// [`Session::routes`](crate::Session::routes) says it from the next
    /// tick, worked out from the events alone (the mode table, the consent
    /// gate, the host's route gains and volumes).
    pub fn routes(&self) -> impl Iterator<Item = Route> + '_ {
        self.present.iter().flat_map(move |(&l, listener)| {
            self.present
                .iter()
                .filter(move |&(&t, _)| t != l)
                .filter_map(move |(&t, talker)| {
                    let gain = self.gain(listener, t, talker)?;
                    Some(Route {
                        listener: l,
                        listener_label: listener.label,
                        talker: t,
                        talker_label: talker.label,
                        gain,
                    })
                })
        })
    }

    /// The gain at which `listener` hears talker `t`, if at all.
    fn gain(&self, listener: &Seen, t: PartyId, talker: &Seen) -> Option<Gain> {
        let gated = self.pending && matches!(listener.seat.role, Role::Supervisor | Role::Recorder);
        if gated || !mode_allows(listener.seat, talker.seat) {
            return None;
        }
        let gain = match listener.gains.get(&t) {
            Some(&g) => g.then(talker.volume),
            None => talker.volume,
        };
        (!gain.is_muted()).then_some(gain)
    }

    /// Each supervisor's stretches so far, in the order they began; the
    /// last of a supervisor still on the call goes on (`to` is `None`).
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// Every refusal so far, with the tick at which it was refused.
    pub fn refusals(&self) -> &[(u64, Refusal)] {
        &self.refusals
    }

    /// The media time of tick `at`, in the call's format.
    pub fn media_time(&self, at: u64) -> core::time::Duration {
        core::time::Duration::from_micros(
            at.saturating_mul(u64::from(self.format.ptime().ms()) * 1000),
        )
    }

    /// The compliance report: the disclosure, who listened to whom (each
    /// [`Segment`]), and every refusal.
    pub fn report(&self) -> Report<'_> {
        Report(self)
    }

    /// What supervisor `p` does now.
    fn doing(&self, p: PartyId, seen: &Seen) -> Doing {
        if self.pending {
            return Doing::HeldSilent;
        }
        if !seen.seat.mode.hears() {
            return Doing::Deaf;
        }
        let call = self
            .present
            .iter()
            .filter(|(_, s)| matches!(s.seat.role, Role::Customer | Role::Agent));
        let (mut heard, mut heard_by) = (Vec::new(), Vec::new());
        for (&q, other) in call {
            if self.gain(seen, q, other).is_some() {
                heard.push(q);
            }
            if self.gain(other, p, seen).is_some() {
                heard_by.push(q);
            }
        }
        Doing::Listening { heard, heard_by }
    }

    /// After an event that takes effect at `at`: ends the segments of
    /// supervisors that left or changed what they do, and begins new ones.
    fn update_segments(&mut self, at: u64) {
        let now: Vec<(PartyId, Mode, Doing)> = self
            .present
            .iter()
            .filter(|(_, s)| s.seat.role == Role::Supervisor)
            .map(|(&p, s)| (p, s.seat.mode, self.doing(p, s)))
            .collect();
        for segment in self.segments.iter_mut().filter(|s| s.to.is_none()) {
            let same = now.iter().any(|(p, mode, doing)| {
                *p == segment.supervisor && *mode == segment.mode && *doing == segment.doing
            });
            if !same {
                segment.to = Some(at);
            }
        }
        // A stretch that ended where it began did not happen.
        self.segments.retain(|s| s.to != Some(s.from));
        for (p, mode, doing) in now {
            let open = self
                .segments
                .iter()
                .any(|s| s.supervisor == p && s.to.is_none());
            if !open {
                let after = if self.required { self.disclosure } else { None };
                self.segments.push(Segment {
                    supervisor: p,
                    mode,
                    doing,
                    from: at,
                    to: None,
                    after,
                });
            }
        }
    }

    /// A party named as the timeline knows it: role and key.
    fn name(&self, party: PartyId, label: Option<Label>) -> Name {
        let (role, known) = match self.named.get(&party) {
            Some(&(role, known)) => (Some(role), known),
            None => (None, None),
        };
        Name {
            party,
            label: known.or(label),
            role,
        }
    }

    /// `tick 76 (1.52 s)`.
    fn when(&self, at: u64) -> When {
        When(at, self.media_time(at))
    }
}

impl Namer for Timeline {
    fn name(&self, party: PartyId, label: Option<Label>) -> Name {
        Timeline::name(self, party, label)
    }
}

/// `tick 76 (1.52 s)`.
struct When(u64, core::time::Duration);

impl fmt::Display for When {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.1.as_millis();
        let text = alloc::format!("tick {} ({}.{:02} s)", self.0, ms / 1000, ms % 1000 / 10);
        f.pad(&text)
    }
}

/// One event's line in a [`Timeline`]: when (tick and media time), and
/// what, its parties named by role and key.
pub struct Entry<'a> {
    timeline: &'a Timeline,
    event: Event,
}

impl fmt::Display for Entry<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:<18} ", self.timeline.when(self.event.at()))?;
        describe(&self.event, self.timeline, f)
    }
}

/// The compliance report of a [`Timeline`].
pub struct Report<'a>(&'a Timeline);

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.0;
        let list = |f: &mut fmt::Formatter<'_>, ps: &[PartyId]| -> fmt::Result {
            if ps.is_empty() {
                return f.write_str("nobody");
            }
            for (k, &p) in ps.iter().enumerate() {
                let sep = if k == 0 { "" } else { ", " };
                write!(f, "{sep}{}", t.name(p, None))?;
            }
            Ok(())
        };
        writeln!(f, "Disclosure:")?;
        match t.disclosure {
            Some((at, _)) => {
                let early = t
                    .segments
                    .iter()
                    .filter(|s| matches!(s.doing, Doing::Listening { .. }) && s.from < at)
                    .count();
                writeln!(
                    f,
                    "  recorded at {}; listening intervals that start before it: {early}",
                    t.when(at)
                )?;
            }
            None if t.required => writeln!(f, "  required, never recorded: nobody listened")?,
            None => writeln!(f, "  none required")?,
        }
        writeln!(f, "\nWho listened to whom:")?;
        if t.segments.is_empty() {
            writeln!(f, "  nobody")?;
        }
        for s in &t.segments {
            let sup = t.name(s.supervisor, None);
            write!(f, "  {sup} ")?;
            let span = |f: &mut fmt::Formatter<'_>| -> fmt::Result {
                write!(f, "from {}", t.when(s.from))?;
                match s.to {
                    Some(to) => write!(f, " to {}", t.when(to)),
                    None => f.write_str(" on"),
                }
            };
            match &s.doing {
                Doing::HeldSilent => {
                    write!(f, "held silent in {} ", s.mode)?;
                    span(f)?;
                    writeln!(f, ": heard nothing, the disclosure was pending")?;
                }
                Doing::Deaf => {
                    write!(f, "in {} ", s.mode)?;
                    span(f)?;
                    writeln!(f, ": heard nobody")?;
                }
                Doing::Listening { heard, heard_by } => {
                    write!(f, "listened in {} ", s.mode)?;
                    span(f)?;
                    f.write_str(" to ")?;
                    list(f, heard)?;
                    f.write_str("; heard by ")?;
                    list(f, heard_by)?;
                    match s.after {
                        Some((at, _)) => writeln!(f, "; after the disclosure at {}", t.when(at))?,
                        None => writeln!(f, "; no disclosure required")?,
                    }
                }
            }
        }
        writeln!(f, "\nRefusals:")?;
        if t.refusals.is_empty() {
            writeln!(f, "  none")?;
        }
        for (at, refusal) in &t.refusals {
            writeln!(f, "  {:<18} {}", t.when(*at), Asked(refusal))?;
        }
        Ok(())
    }
}
