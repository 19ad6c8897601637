//! The sans-IO state machine for one call.
//!
//! A [`Session`] holds the parties of one call, their roles and modes, the
//! host's route gains and volumes, one input and one output frame per
//! party, an audit trail of [`Event`]s and per-party [`PartyStats`]. The host
//! drives it once per tick:
//!
//! 1. hand in each party's frame with [`Session::put_frame`] (a party that
//!    hands in nothing this tick is silence for everyone);
//! 2. call [`Session::mix`];
//! 3. read what each party hears with [`Session::output`];
//! 4. drain [`Session::poll_event`].
//!
//! Control calls (join, leave, mode, route gains, volumes, ramp) may come at any
//! time between ticks; they take effect at the next [`Session::mix`], and each
//! either succeeds or returns an [`Error`] and changes nothing.

use alloc::collections::VecDeque;
use alloc::vec::Vec;
use core::fmt;
use core::time::Duration;

use smallvec::SmallVec;

use alloc::boxed::Box;
use alloc::sync::Arc;

use crate::dtmf::{Digit, DtmfDetector, DtmfEvent};
use crate::kernel::{RouteGain, Sample};
use crate::keypad::DtmfMap;
use crate::label::Label;
use crate::plan::{NeedsSanitizing, Plan};
use crate::policy::{Identity, Policy, Reason, Refusal};
use crate::resample::Resampler;
use crate::route::{mode_allows, Audience, Mode, Role, Seat};
use crate::tap::{Tap, TapChannel, TapId, TapLayout, MAX_TAPS};
use crate::tone::{ToneGenerator, ToneSpec};
use crate::{Error, Format, Gain};

/// Events a tick may record without a control call before it: the room
/// every control call that succeeds leaves on the audit trail (a refused
/// one leaves the room as it was).
const EVENTS_PER_TICK: usize = 4;

/// The most parties one session holds. The next join is
/// [`Error::TooManyParties`].
pub const MAX_PARTIES: usize = 32;

/// In [`Session::mix_borrowed`]: the party's frame is in its own buffer.
const NOT_BORROWED: u8 = u8::MAX;

/// The gain ramp a new session uses for routes that open or close: 5 ms, or
/// the whole frame when frames are shorter.
pub const DEFAULT_RAMP: Duration = Duration::from_millis(5);

/// The most events the audit trail of a new session keeps before it drops
/// the oldest; see [`Session::set_event_limit`].
pub const DEFAULT_EVENT_LIMIT: usize = 1024;

/// A party's id: bound to the session that issued it and never reused, even
/// after the party leaves.
///
/// Every session has a tag of its own, drawn from a process-wide counter
/// when it is created ([`Session::new`]; a clone keeps its original's tag, as
/// it is a snapshot of the same call). An id carries that tag, so that an id
/// of another session is refused with [`Error::ForeignParty`] whatever its
/// number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PartyId {
    call: u64,
    n: u32,
}

impl PartyId {
    /// The id's number within its session, in order of joining from 0.
    pub const fn get(self) -> u32 {
        self.n
    }
}

impl fmt::Display for PartyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.n)
    }
}

/// A tag no other session of this process has (it would take 2⁶⁴ sessions
/// to come round again; 2³² where the target has no 64-bit atomics).
fn new_call_tag() -> u64 {
    #[cfg(target_has_atomic = "64")]
    {
        use core::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(0);
        NEXT.fetch_add(1, Ordering::Relaxed)
    }
    #[cfg(not(target_has_atomic = "64"))]
    {
        use core::sync::atomic::{AtomicU32, Ordering};
        static NEXT: AtomicU32 = AtomicU32::new(0);
        u64::from(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

/// A change to a supervisor that can set off a cue ([`Session::set_cue`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(rename_all = "snake_case")
)]
pub enum CueOn {
    /// A supervisor joins (in any mode).
    Join,
    /// A supervisor leaves.
    Leave,
    /// A supervisor starts to whisper: [`Mode::Whisper`] or
    /// [`Mode::PrivateWhisper`] from a mode that is neither.
    Whisper,
    /// A supervisor starts to talk to the customer: [`Mode::Barge`] or
    /// [`Mode::CustomerOnly`] from a mode that is neither.
    Barge,
}

impl CueOn {
    /// Every kind of change, in order.
    pub const ALL: [CueOn; 4] = [CueOn::Join, CueOn::Leave, CueOn::Whisper, CueOn::Barge];

    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for CueOn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CueOn::Join => "a supervisor joins",
            CueOn::Leave => "a supervisor leaves",
            CueOn::Whisper => "a supervisor whispers",
            CueOn::Barge => "a supervisor barges",
        })
    }
}

/// Whether anyone may listen to the call yet ([`Session::require_disclosure`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(rename_all = "snake_case")
)]
pub enum Consent {
    /// The call needs no disclosure (the default).
    NotRequired,
    /// The call needs a disclosure, not yet recorded: no supervisor,
    /// recorder or tap hears anything of it.
    Pending(BeforeDisclosure),
    /// The disclosure is recorded: everyone hears what the table says.
    Given,
}

/// What a call that needs a disclosure does with a supervisor who joins
/// before it ([`Session::require_disclosure`]). Recorders and taps are
/// always held silent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(rename_all = "snake_case")
)]
pub enum BeforeDisclosure {
    /// Lets it join, hearing nothing until the disclosure: the supervisor
    /// can be ready the moment the call may be monitored.
    #[default]
    HoldSilent,
    /// Refuses the join ([`Error::Refused`] with [`Reason::ConsentPending`]),
    /// and switching a supervisor already on the call to another mode.
    RefuseJoins,
}

/// Who recorded a call's disclosure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(rename_all = "snake_case")
)]
pub enum ConsentBy {
    /// The host ([`Session::record_consent`]): the customer agreed, or a
    /// prompt the host played ended.
    Host,
    /// The disclosure announcement ([`Session::set_disclosure`]) played its
    /// tone to the customer to its end.
    Disclosure(PartyId),
}

/// One open route, as [`Session::routes`] lists it: who hears whom, at what
/// gain, with the host's keys for both.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct Route {
    /// Who hears.
    pub listener: PartyId,
    /// Its key, if it joined with one.
    pub listener_label: Option<Label>,
    /// Whom.
    pub talker: PartyId,
    /// Its key, if it joined with one.
    pub talker_label: Option<Label>,
    /// At which gain (the talker's volume times the route gain).
    pub gain: Gain,
}

/// A tone and who hears it: what plays when a [`CueOn`] change happens.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Cue {
    /// The tone.
    pub tone: ToneSpec,
    /// Who hears it.
    pub audience: Audience,
}

/// Counters for one party, since it joined.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PartyStats {
    /// Ticks in which the party handed in a frame that was mixed.
    pub frames_mixed: u64,
    /// Ticks in which the party was on the call but handed in no frame (and
    /// was silence for everyone). `frames_mixed + frames_missing` is the
    /// number of ticks the party was present for.
    pub frames_missing: u64,
    /// Samples of what this party heard that were clipped to full scale.
    pub samples_clipped: u64,
    /// Non-finite `f32` samples this party sent, replaced by silence.
    pub samples_non_finite: u64,
}

/// What a party is, as [`Session::party`] reports it.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct PartyInfo {
    /// The party's id.
    pub id: PartyId,
    /// Its role.
    pub role: Role,
    /// Its mode, for a supervisor.
    pub mode: Option<Mode>,
    /// For a recorder: whether it hears whispers.
    pub records_whisper: bool,
    /// The volume at which everyone hears this party.
    pub volume: Gain,
    /// The host's key and groups for it, if it joined with them
    /// ([`Session::join_as`]).
    pub identity: Option<Identity>,
    /// For an announcement: who hears it.
    pub audience: Option<Audience>,
    /// For an announcement: whether it is playing a tone
    /// ([`Session::play`]).
    pub playing: bool,
    /// Its counters.
    pub stats: PartyStats,
}

/// A recording tap, as [`Session::tap`] reports it.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct TapInfo {
    /// The tap's id.
    pub id: TapId,
    /// What it records, and how.
    pub config: Tap,
    /// The format of its channels.
    pub format: Format,
    /// Samples clipped on their way to the tap, since it was added: a
    /// talker's volume above unity can clip its channel, as it can clip
    /// what a listener hears.
    pub samples_clipped: u64,
}

/// An entry of the audit trail. `at` is the frame index (tick) at which the
/// change takes effect: the index of the next [`Session::mix`].
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(tag = "event", rename_all = "snake_case")
)]
pub enum Event {
    /// A party joined.
    Joined {
        /// Who.
        party: PartyId,
        /// As what.
        role: Role,
        /// In which mode, for a supervisor.
        mode: Option<Mode>,
        /// The host's key for it ([`Session::join_as`]), if it has one.
        label: Option<Label>,
        /// First tick it is mixed in.
        at: u64,
    },
    /// A party left; its id is never reused.
    Left {
        /// Who.
        party: PartyId,
        /// As what it had been on the call.
        role: Role,
        /// First tick it is no longer mixed in.
        at: u64,
    },
    /// A supervisor changed mode.
    ModeChanged {
        /// Which supervisor.
        party: PartyId,
        /// The mode it left.
        from: Mode,
        /// The mode it is in now.
        to: Mode,
        /// First tick in the new mode.
        at: u64,
    },
    /// The host set a route gain: `listener` hears `talker` at `gain` times
    /// the talker's volume wherever the modes let it hear `talker` at all
    /// (muted: must not hear).
    RouteGainSet {
        /// Who hears.
        listener: PartyId,
        /// Whom.
        talker: PartyId,
        /// At which gain.
        gain: Gain,
        /// First tick it applies to.
        at: u64,
    },
    /// The host cleared a route gain: the route is at unity again wherever
    /// the modes open it.
    RouteGainCleared {
        /// Who hears.
        listener: PartyId,
        /// Whom.
        talker: PartyId,
        /// First tick it applies to.
        at: u64,
    },
    /// A party's volume changed.
    VolumeChanged {
        /// Whose.
        party: PartyId,
        /// The volume before.
        from: Gain,
        /// The volume now.
        to: Gain,
        /// First tick it applies to.
        at: u64,
    },
    /// A recording tap was added: from tick `at` it records the call.
    TapAdded {
        /// Which tap.
        tap: TapId,
        /// What it records, and how.
        config: Tap,
        /// First tick it records.
        at: u64,
    },
    /// A recording tap was removed; its id is never reused.
    TapRemoved {
        /// Which tap.
        tap: TapId,
        /// First tick it no longer records.
        at: u64,
    },
    /// A supervisor pressed a digit ([`Session::press`], or a tone found
    /// in its audio: [`Session::detect_dtmf`]).
    DigitPressed {
        /// Who.
        party: PartyId,
        /// Which digit.
        digit: Digit,
        /// Whether it was found in the party's audio (else the host said
        /// so).
        in_band: bool,
        /// The mode it switches to in the session's [`DtmfMap`], if any.
        mode: Option<Mode>,
        /// The tick from which its mode change, if any, applies.
        at: u64,
    },
    /// A call was refused by the policy or the consent gate: who, what and
    /// why. Nothing else changed.
    Refused {
        /// The refusal, as [`Error::Refused`] carried it.
        refusal: Refusal,
        /// The tick at which it was refused.
        at: u64,
    },
    /// The host set or cleared the policy ([`Session::set_policy`]).
    PolicySet {
        /// Whether a policy is in force now.
        active: bool,
        /// First tick it applies to.
        at: u64,
    },
    /// The call needs a disclosure before anyone listens
    /// ([`Session::require_disclosure`]).
    DisclosureRequired {
        /// What happens to supervisors who join before it.
        before: BeforeDisclosure,
        /// First tick it applies to.
        at: u64,
    },
    /// The disclosure was recorded: from `at`, supervisors, recorders and
    /// taps hear the call as the table says.
    ConsentGiven {
        /// Who recorded it.
        by: ConsentBy,
        /// First tick anyone may listen.
        at: u64,
    },
    /// An announcement's audience changed ([`Session::set_audience`]; a cue
    /// that starts on the cue player says its audience in
    /// [`Event::CueStarted`]).
    AudienceChanged {
        /// Which announcement.
        party: PartyId,
        /// Who heard it.
        from: Audience,
        /// Who hears it now.
        to: Audience,
        /// First tick it applies to.
        at: u64,
    },
    /// An announcement started playing a tone ([`Session::play`]).
    ToneStarted {
        /// Which announcement.
        party: PartyId,
        /// The tone.
        tone: ToneSpec,
        /// First tick of the tone.
        at: u64,
    },
    /// An announcement's tone ended: played to its end (at the last tick
    /// it sounded), or stopped ([`Session::stop`]).
    ToneEnded {
        /// Which announcement.
        party: PartyId,
        /// Whether it played to its end.
        finished: bool,
        /// The first tick without it.
        at: u64,
    },
    /// A cue ([`Session::set_cue`]) started for a change to a supervisor.
    CueStarted {
        /// The change that set it off.
        on: CueOn,
        /// The supervisor.
        supervisor: PartyId,
        /// The announcement that plays it.
        player: PartyId,
        /// Who hears it.
        audience: Audience,
        /// First tick of the cue: the tick the change takes effect.
        at: u64,
    },
    /// The audit trail was full ([`Session::set_event_limit`]): `count`
    /// events, the oldest not yet drained, were dropped. This marker comes
    /// where they stood, before the events that were kept.
    Dropped {
        /// How many events were dropped.
        count: u64,
        /// The tick of the first of them.
        first_at: u64,
        /// The tick of the last of them.
        at: u64,
    },
}

impl Event {
    /// The frame index (tick) at which the change takes effect.
    pub fn at(&self) -> u64 {
        match *self {
            Event::Joined { at, .. }
            | Event::Left { at, .. }
            | Event::ModeChanged { at, .. }
            | Event::RouteGainSet { at, .. }
            | Event::RouteGainCleared { at, .. }
            | Event::VolumeChanged { at, .. }
            | Event::TapAdded { at, .. }
            | Event::TapRemoved { at, .. }
            | Event::AudienceChanged { at, .. }
            | Event::ToneStarted { at, .. }
            | Event::ToneEnded { at, .. }
            | Event::CueStarted { at, .. }
            | Event::DigitPressed { at, .. }
            | Event::Refused { at, .. }
            | Event::PolicySet { at, .. }
            | Event::DisclosureRequired { at, .. }
            | Event::ConsentGiven { at, .. }
            | Event::Dropped { at, .. } => at,
        }
    }
}

/// The audit trail's queue. A copy keeps the room reserved in it (as the
/// original keeps room for the events a tick may record), so that a copy of
/// a session mixes without allocating, as the session does.
#[derive(Debug, Default, PartialEq)]
struct Trail(VecDeque<Event>);

impl Clone for Trail {
    fn clone(&self) -> Trail {
        let mut events = VecDeque::with_capacity(self.0.capacity());
        events.extend(self.0.iter().cloned());
        Trail(events)
    }
}

impl core::ops::Deref for Trail {
    type Target = VecDeque<Event>;
    fn deref(&self) -> &VecDeque<Event> {
        &self.0
    }
}

impl core::ops::DerefMut for Trail {
    fn deref_mut(&mut self) -> &mut VecDeque<Event> {
        &mut self.0
    }
}

/// One route as the listener's row keeps it.
#[derive(Debug, Clone, Copy)]
struct RouteState {
    /// The gain reached at the end of the last tick.
    current: Gain,
    /// The host's route gain, if any: applies only where the modes open
    /// the route.
    adjusted: Option<Gain>,
    /// While the route is held closed after the change that opens it: the
    /// tick from which it may open (see [`Session::compile_routes`]); 0
    /// when it is not held (a route is held only until a tick after the
    /// one it is worked out for).
    held_until: u64,
    /// What `held_until` becomes once the tick the routes were last worked
    /// out for is mixed ([`Session::commit_routes`]): a cache, as
    /// `tick_gains` is, not compared.
    next_held: u64,
}

impl PartialEq for RouteState {
    fn eq(&self, other: &RouteState) -> bool {
        self.current == other.current
            && self.adjusted == other.adjusted
            && self.held_until == other.held_until
    }
}

impl RouteState {
    const NEW: RouteState = RouteState {
        current: Gain::MUTED,
        adjusted: None,
        held_until: 0,
        next_held: 0,
    };
}

/// One party of the call.
///
/// What a settled tick reads and writes of a party (its id, whether it
/// handed in a frame, whether it is [plain](is_plain), its counters, and
/// its leg, which [`Session::output`] looks at) comes first, in the
/// party's first cache line; the rest, which control calls and ticks that
/// are not settled use, after it.
#[derive(Debug, Clone)]
#[repr(C, align(64))]
struct Party<S> {
    id: PartyId,
    stats: PartyStats,
    /// For a leg at another rate than the call's: its conversions.
    leg: Option<Box<Leg<S>>>,
    seat: Seat,
    has_input: bool,
    /// Whether the party plays no tone, is on no leg and has no digits
    /// detected: kept by [`Party::update_plain`] whenever one of them
    /// changes, so that a settled tick need not look at the three.
    plain: bool,
    volume: Gain,
    /// How this party hears each other party, indexed like `parties`.
    heard: SmallVec<[RouteState; 4]>,
    /// For an announcement playing a tone: the tone, which is its frame
    /// every tick until it ends.
    tone: Option<Box<ToneGenerator>>,
    /// The allocation of the last tone that ended or stopped, kept for the
    /// next one ([`Party::start_tone`]): a tone ends, and a cue starts,
    /// inside a tick, which frees and allocates nothing.
    spare_tone: Option<Box<ToneGenerator>>,
    /// For a supervisor whose digits are detected in its audio.
    dtmf: Option<Box<DtmfDetector>>,
    /// The host's key and groups for the party, given at join.
    identity: Option<Box<Identity>>,
}

impl<S> Party<S> {
    /// Works out [`Party::plain`] again, after a change of its tone, its
    /// leg or its digit detector.
    fn update_plain(&mut self) {
        self.plain = self.tone.is_none() && self.leg.is_none() && self.dtmf.is_none();
    }

    /// Plays `generator` from the next tick, in the allocation of the tone
    /// playing or of the last one where there is one.
    fn start_tone(&mut self, generator: ToneGenerator) {
        if let Some(tone) = self.tone.as_deref_mut() {
            *tone = generator;
            return;
        }
        self.tone = Some(match self.spare_tone.take() {
            Some(mut spare) => {
                *spare = generator;
                spare
            }
            None => Box::new(generator),
        });
        self.update_plain();
    }

    /// Ends the tone playing, if any, keeping its allocation; returns
    /// whether one played.
    fn end_tone(&mut self) -> bool {
        match self.tone.take() {
            Some(tone) => {
                self.spare_tone = Some(tone);
                self.update_plain();
                true
            }
            None => false,
        }
    }

    /// The host's key and groups for the party, if it joined with them.
    fn identity(&self) -> Option<&Identity> {
        self.identity.as_deref()
    }
}

/// A party's leg at another sample rate than the call: what it hands in is
/// resampled to the call's rate before the mix, what it hears after.
#[derive(Debug, Clone)]
struct Leg<S> {
    format: Format,
    /// Ticks per leg frame: the leg's frame duration over the call's.
    ticks: usize,
    /// Which tick of its frame the next tick is, `0..ticks`.
    phase: usize,
    /// Whether the party handed in the frame of the leg frame under way.
    handed: bool,
    into_call: Resampler,
    out_of_call: Resampler,
    /// The frame handed in, at the leg's rate.
    input: Vec<S>,
    /// The leg frame under way at the call's rate, `ticks` call frames: the
    /// input converted, then (`heard`) what the party heard of it.
    call_in: Vec<S>,
    heard: Vec<S>,
    /// What the party heard in the last complete leg frame, at the leg's
    /// rate.
    output: Vec<S>,
}

impl<S: Sample> Leg<S> {
    fn new(format: Format, call: Format) -> Leg<S> {
        let n = format.samples_per_frame();
        let ticks = (format.ptime().ms() / call.ptime().ms()) as usize;
        let m = ticks * call.samples_per_frame();
        Leg {
            format,
            ticks,
            phase: 0,
            handed: false,
            into_call: Resampler::new(format.rate(), call.rate()),
            out_of_call: Resampler::new(call.rate(), format.rate()),
            input: alloc::vec![S::SILENCE; n],
            call_in: alloc::vec![S::SILENCE; m],
            heard: alloc::vec![S::SILENCE; m],
            output: alloc::vec![S::SILENCE; n],
        }
    }
}

/// A recording tap on the call: its channels are listeners of the mix who
/// talk to no one.
#[derive(Debug, Clone, PartialEq)]
struct TapState<S> {
    id: TapId,
    tap: Tap,
    /// The tap's format: its rate, the call's frame duration.
    format: Format,
    /// Per channel, how it hears each party (indexed like `parties`).
    heard: SmallVec<[SmallVec<[RouteState; 4]>; 2]>,
    /// Per channel, what it heard in the last tick at the call's rate.
    mixed: Vec<S>,
    /// At another rate than the call's: per channel, its resampler, and
    /// what it heard at the tap's rate.
    resamplers: Vec<Resampler>,
    rated: Vec<S>,
    /// A stereo tap's frame, interleaved.
    interleaved: Vec<S>,
    /// Samples clipped on the way to the tap (a talker's volume above
    /// unity).
    clipped: u64,
}

impl<S: Sample> TapState<S> {
    fn resampled(&self) -> bool {
        !self.resamplers.is_empty()
    }

    /// Channel `c` at the tap's rate.
    fn channel(&self, c: usize) -> &[S] {
        let (frames, len) = if self.resampled() {
            (&self.rated, self.format.samples_per_frame())
        } else {
            (&self.mixed, self.mixed.len() / self.heard.len().max(1))
        };
        &frames[c * len..(c + 1) * len]
    }

    /// Adds channel room for one more party's stem, silent.
    fn add_channel(&mut self, parties: usize, call: Format) {
        self.heard
            .push(core::iter::repeat(RouteState::NEW).take(parties).collect());
        self.mixed
            .resize(self.mixed.len() + call.samples_per_frame(), S::SILENCE);
        if self.format.rate() != call.rate() {
            self.resamplers
                .push(Resampler::new(call.rate(), self.format.rate()));
            self.rated.resize(
                self.rated.len() + self.format.samples_per_frame(),
                S::SILENCE,
            );
        }
    }

    /// After the mix: the channels at the tap's rate, and a stereo tap's
    /// frame interleaved.
    fn finish(&mut self, spf: usize) {
        if self.resampled() {
            let n = self.format.samples_per_frame();
            let channels = self.mixed.chunks_exact(spf.max(1));
            let rated = self.rated.chunks_exact_mut(n.max(1));
            for ((r, from), to) in self.resamplers.iter_mut().zip(channels).zip(rated) {
                self.clipped += S::resample(r, from, to, true) as u64;
            }
        }
        if self.tap.layout() == TapLayout::Stereo {
            let (l, r) = if self.tap.left() == Some(TapChannel::Customer) {
                (0, 1)
            } else {
                (1, 0)
            };
            let (frames, len) = if self.resampled() {
                (&self.rated, self.format.samples_per_frame())
            } else {
                (&self.mixed, spf)
            };
            interleave(
                &mut self.interleaved,
                &frames[l * len..][..len],
                &frames[r * len..][..len],
            );
        }
    }

    /// Removes channel `c` (frames of `spf` samples at the call's rate).
    fn remove_channel(&mut self, c: usize, spf: usize) {
        self.heard.remove(c);
        self.mixed.drain(c * spf..(c + 1) * spf);
        if self.resampled() {
            self.resamplers.remove(c);
            let n = self.format.samples_per_frame();
            self.rated.drain(c * n..(c + 1) * n);
        }
    }
}

/// One call: its parties, their routes, and one frame per party per tick.
///
/// `S` is the sample type every party of the call uses: `i16` or `f32`.
///
/// ```
/// use barge::{Format, Mode, Role, Session};
/// let mut call = Session::<i16>::new(Format::new(8000, 20)?);
/// let customer = call.join(Role::Customer)?;
/// let agent = call.join(Role::Agent)?;
/// let boss = call.join_supervisor(Mode::Whisper)?;
/// call.set_ramp(std::time::Duration::ZERO)?;
///
/// call.put_frame(customer, &[100; 160])?;
/// call.put_frame(agent, &[20; 160])?;
/// call.put_frame(boss, &[3; 160])?;
/// call.mix();
/// assert_eq!(call.output(customer)?[0], 20);     // the agent, not the whisper
/// assert_eq!(call.output(agent)?[0], 103);       // the customer and the whisper
/// assert_eq!(call.output(boss)?[0], 120);        // both of them
/// # Ok::<(), barge::Error>(())
/// ```
///
/// A `Session` is `Clone` and `PartialEq`: a host can snapshot a call (a
/// copy keeps the room its original reserved, so its ticks allocate
/// nothing either), and two sessions compare equal when their format, ramp,
/// tick, parties, routes, frames handed in for the next tick, outputs,
/// pending events and counters are all the same (caches that only make
/// mixing faster are not compared).
#[derive(Debug, Clone)]
// Laid out in the order of the fields, so that a settled tick reads few
// cache lines (only speed depends on it): the plan, whose second line
// holds what the tick reads of it, and `spf` after it; in the next line
// the rest of what every tick reads (the tag for `index`, the tick, the
// outputs, `settled` and the taps' length, which `SmallVec` keeps first);
// then, after the cold buffers, the parties, each beginning with the line
// a settled tick reads of it (see `Party`). The rest is for control calls
// and for ticks that are not settled.
#[repr(C)]
pub struct Session<S: Sample> {
    /// The route matrix compiled: how each listener's frame is mixed.
    plan: Plan,
    spf: usize,
    /// The tag of this session's ids.
    call: u64,
    tick: u64,
    /// One output frame per party, in the order of `parties`.
    outputs: Vec<S>,
    /// Whether `tick_gains` and `plan` hold for the next tick: true after a
    /// tick, false after any change.
    settled: bool,
    /// Tests compare every fast path with the kernel's general path.
    #[cfg(test)]
    general_only: bool,
    /// Recording taps, in order of adding.
    taps: SmallVec<[TapState<S>; 1]>,
    /// One input frame per party, in the order of `parties`.
    inputs: Vec<S>,
    /// The route matrix: the gain of every route (listener × talker,
    /// row-major; the parties' rows, then the taps' channels) during the
    /// tick being mixed; sized at joins so that `mix` never allocates.
    tick_gains: Vec<RouteGain>,
    parties: SmallVec<[Party<S>; 3]>,
    format: Format,
    ramp: Duration,
    ramp_samples: usize,
    next_id: u32,
    events: Trail,
    event_limit: usize,
    /// Events a tick may still record without allocating: reserved by the
    /// last control call that recorded one. Bookkeeping of the audit trail,
    /// like its capacity, it is not compared: a refused call resets it, and
    /// changes nothing else.
    tick_room: usize,
    /// Events dropped since the last drained [`Event::Dropped`]: how many,
    /// and the ticks of the first and the last.
    dropped: (u64, u64, u64),
    /// What the supervisors' digits do.
    dtmf_map: DtmfMap,
    /// Who may supervise whom, if the host says so.
    policy: Option<Arc<Policy>>,
    /// Whether anyone may listen yet.
    consent: Consent,
    /// The announcement whose tone, played to the customer to its end,
    /// is the disclosure.
    disclosure: Option<PartyId>,
    /// The cue for each [`CueOn`], and the announcement that plays them.
    cues: [Option<Cue>; 4],
    cue_player: Option<PartyId>,
    next_tap: u32,
    /// The gains of a route opening from muted to unity over the ramp
    /// (`ramp_samples` of them), as the kernel applies them: what a ramp
    /// head reads ([`crate::kernel::open_gains`]). Made with the ramp.
    open_ramp: Vec<S::KGain>,
    /// Whether the routes of the next tick were worked out and compiled
    /// (by the control call that changed them, [`Session::prepare`]) but
    /// not yet mixed: the tick runs the plan as it is, then commits the
    /// routes. Never with `settled`.
    compiled: bool,
    /// For `compiled` routes: whether one is held.
    compiled_held: bool,
    /// The routes the last working out found to move when their tick is
    /// mixed, which [`Session::commit_routes`] then moves: a cache, as
    /// `tick_gains` is.
    moving: Moving,
    /// Tests count the ticks that took the steady path: settled, and
    /// [prepared](Session::may_run_prepared).
    #[cfg(test)]
    steady_ticks: u64,
    #[cfg(test)]
    prepared_ticks: u64,
}

impl<S: Sample> PartialEq for Party<S> {
    fn eq(&self, other: &Party<S>) -> bool {
        #[allow(clippy::type_complexity)]
        fn leg<S: Sample>(p: &Party<S>) -> Option<(Format, usize, bool, &[S], &[S], &[S])> {
            p.leg.as_ref().map(|l| {
                let pending: &[S] = if p.has_input { &l.input } else { &[] };
                (
                    l.format,
                    l.phase,
                    l.handed,
                    pending,
                    &l.heard[..],
                    &l.output[..],
                )
            })
        }
        // What the leg will still play: its converted frame and what its
        // resamplers remember.
        #[allow(clippy::type_complexity)]
        fn memory<S: Sample>(p: &Party<S>) -> Option<(&[S], &Resampler, &Resampler)> {
            p.leg
                .as_ref()
                .map(|l| (&l.call_in[..], &l.into_call, &l.out_of_call))
        }
        leg(self) == leg(other)
            && memory(self) == memory(other)
            && self.id == other.id
            && self.seat == other.seat
            && self.volume == other.volume
            // `plain` follows from the tone, the leg and the detector.
            && self.has_input == other.has_input
            && self.stats == other.stats
            && self.heard == other.heard
            // `spare_tone` is an allocation kept for later, not state.
            && self.tone == other.tone
            && self.dtmf == other.dtmf
            && self.identity == other.identity
    }
}

impl<S: Sample> PartialEq for Session<S> {
    fn eq(&self, other: &Session<S>) -> bool {
        // `tick_gains`, `settled`, `compiled`, `compiled_held`, `moving` and
        // `plan` are caches derived from the rest.
        self.format == other.format
            && self.ramp == other.ramp
            && self.ramp_samples == other.ramp_samples
            && self.tick == other.tick
            && self.call == other.call
            && self.next_id == other.next_id
            && self.parties == other.parties
            && self
                .pending_inputs()
                .zip(other.pending_inputs())
                .all(|(a, b)| S::same_bits(a, b))
            && self.pending_inputs().count() == other.pending_inputs().count()
            && self.outputs == other.outputs
            && self.events == other.events
            && self.event_limit == other.event_limit
            && self.dropped == other.dropped
            && self.taps == other.taps
            && self.cues == other.cues
            && self.dtmf_map == other.dtmf_map
            && self.policy == other.policy
            && self.consent == other.consent
            && self.disclosure == other.disclosure
            && self.cue_player == other.cue_player
            && self.next_tap == other.next_tap
    }
}

impl<S: Sample> Session<S> {
    /// The frames handed in for the next tick (a buffer whose frame was
    /// mixed holds nothing that matters).
    fn pending_inputs(&self) -> impl Iterator<Item = &[S]> + '_ {
        self.parties
            .iter()
            .zip(self.inputs.chunks_exact(self.spf.max(1)))
            .filter(|(p, _)| p.has_input)
            .map(|(_, f)| f)
    }

    /// A call with no parties yet, in `format`, with the [`DEFAULT_RAMP`].
    pub fn new(format: Format) -> Session<S> {
        let ramp = DEFAULT_RAMP.min(format.ptime().duration());
        Session {
            format,
            spf: format.samples_per_frame(),
            ramp,
            ramp_samples: format.samples_in(ramp),
            tick: 0,
            call: new_call_tag(),
            next_id: 0,
            parties: SmallVec::new(),
            inputs: Vec::new(),
            outputs: Vec::new(),
            events: Trail::default(),
            event_limit: DEFAULT_EVENT_LIMIT,
            tick_room: 0,
            dropped: (0, 0, 0),
            dtmf_map: DtmfMap::NONE,
            policy: None,
            consent: Consent::NotRequired,
            disclosure: None,
            cues: [None; 4],
            cue_player: None,
            taps: SmallVec::new(),
            next_tap: 0,
            tick_gains: Vec::new(),
            open_ramp: open_ramp::<S>(format.samples_in(ramp)),
            compiled: false,
            compiled_held: false,
            moving: Moving::ALL,
            settled: false,
            plan: Plan::default(),
            #[cfg(test)]
            general_only: false,
            #[cfg(test)]
            steady_ticks: 0,
            #[cfg(test)]
            prepared_ticks: 0,
        }
    }

    /// The session's format.
    pub fn format(&self) -> Format {
        self.format
    }

    /// The index of the next frame [`Session::mix`] will produce; 0 before
    /// the first tick. Multiply by the ptime for the call's media time.
    pub fn tick(&self) -> u64 {
        self.tick
    }

    /// The ramp routes use when they open or close.
    pub fn ramp(&self) -> Duration {
        self.ramp
    }

    /// Sets how long a route takes to open or close (linear gain ramp), from
    /// the next tick on. Zero switches at once; more than one frame is
    /// [`Error::RampTooLong`].
    ///
    /// A route from a supervisor that its new mode closes (barge to whisper:
    /// the customer; to monitor: everyone) always closes at once, so that not
    /// one sample of a whisper or a monitoring supervisor reaches a party the
    /// mode forbids.
    pub fn set_ramp(&mut self, ramp: Duration) -> Result<(), Error> {
        let max = self.format.ptime().duration();
        if ramp > max {
            return Err(Error::RampTooLong { given: ramp, max });
        }
        self.ramp = ramp;
        self.ramp_samples = self.format.samples_in(ramp);
        self.open_ramp = open_ramp::<S>(self.ramp_samples);
        self.rework_routes();
        Ok(())
    }

    /// Adds a party in `role` (a supervisor joins in [`Mode::Monitor`], a
    /// recorder without whispers) and returns its id. Its routes open at the
    /// next tick, with the ramp. More than [`MAX_PARTIES`] is
    /// [`Error::TooManyParties`].
    pub fn join(&mut self, role: Role) -> Result<PartyId, Error> {
        self.add(Seat::new(role), None)
    }

    /// Adds a party in `role` with the host's key and groups for it: the
    /// key names it on the audit trail ([`Event::Joined`]) and in
    /// [`Session::routes`], and a [`Policy`] ([`Session::set_policy`])
    /// decides by its key and groups what a supervisor may do. Errors as
    /// [`Session::join`]; with a policy set, an agent whom a supervisor on
    /// the call may not supervise in its mode is [`Error::Refused`].
    pub fn join_as(&mut self, role: Role, identity: Identity) -> Result<PartyId, Error> {
        self.add(Seat::new(role), Some(identity))
    }

    /// Adds a supervisor in `mode`. With a policy set
    /// ([`Session::set_policy`]), a supervisor without an identity is
    /// refused ([`Error::Refused`]): use [`Session::join_supervisor_as`].
    pub fn join_supervisor(&mut self, mode: Mode) -> Result<PartyId, Error> {
        self.add(
            Seat {
                mode,
                ..Seat::new(Role::Supervisor)
            },
            None,
        )
    }

    /// Adds a supervisor in `mode` with the host's key and groups for it.
    /// With a policy set, a mode the policy does not grant it on every
    /// agent on the call is [`Error::Refused`]: nothing changes, and the
    /// refusal is on the audit trail ([`Event::Refused`]).
    ///
    /// ```
    /// use barge::{Grant, Identity, Label, Mode, Policy, Role, Session, Format, Error};
    /// let team = Label::new("team-a")?;
    /// let policy = Policy::new()
    ///     .grant(Grant::group(Label::new("qa")?).may([Mode::Monitor]).on_every_agent());
    /// let mut call = Session::<i16>::new(Format::NARROWBAND_20MS);
    /// call.set_policy(Some(policy.into()))?;
    /// call.join_as(Role::Agent, Identity::new(Label::new("alex")?).with_group(team)?)?;
    /// let quinn = Identity::new(Label::new("quinn")?).with_group(Label::new("qa")?)?;
    /// let e = call.join_supervisor_as(Mode::Whisper, quinn).unwrap_err();
    /// assert!(matches!(e, Error::Refused { .. }));
    /// assert_eq!(
    ///     e.to_string(),
    ///     "supervisor \"quinn\" may not use whisper on agent \"alex\": granted on that agent: monitor"
    /// );
    /// let q = call.join_supervisor_as(Mode::Monitor, quinn)?;
    /// # let _ = q;
    /// # Ok::<(), barge::Error>(())
    /// ```
    pub fn join_supervisor_as(&mut self, mode: Mode, identity: Identity) -> Result<PartyId, Error> {
        self.add(
            Seat {
                mode,
                ..Seat::new(Role::Supervisor)
            },
            Some(identity),
        )
    }

    /// Adds a recorder: a party that hears the call and is heard by no one.
    /// With `records_whisper` it also hears supervisors who whisper (as the
    /// agent does); without, it hears what the customer would, plus the
    /// customer.
    pub fn join_recorder(&mut self, records_whisper: bool) -> Result<PartyId, Error> {
        self.add(
            Seat {
                records_whisper,
                ..Seat::new(Role::Recorder)
            },
            None,
        )
    }

    fn add(&mut self, seat: Seat, identity: Option<Identity>) -> Result<PartyId, Error> {
        self.check_join(seat, identity.as_ref())?;
        if self.parties.len() >= MAX_PARTIES {
            return Err(Error::TooManyParties { max: MAX_PARTIES });
        }
        let Some(next_id) = self.next_id.checked_add(1) else {
            return Err(Error::PartyIdsExhausted {
                joins: u64::from(self.next_id),
            });
        };
        let id = PartyId {
            call: self.call,
            n: self.next_id,
        };
        let n = self.parties.len();
        // Reserve everything first: after this point nothing can fail, so
        // the join is applied whole or not at all.
        self.inputs.reserve_exact(self.spf);
        self.outputs.reserve_exact(self.spf);
        let rows = n + 1 + self.tap_rows(n + 1);
        self.tick_gains
            .reserve_exact((rows * (n + 1)).saturating_sub(self.tick_gains.len()));
        for p in self.parties.iter_mut() {
            p.heard.reserve_exact(1);
        }
        self.plan.reserve(rows);
        let label = identity.map(|i| i.key());
        let identity = identity.map(Box::new);
        self.next_id = next_id;
        for p in self.parties.iter_mut() {
            p.heard.push(RouteState::NEW);
        }
        for t in self.taps.iter_mut() {
            for row in t.heard.iter_mut() {
                row.push(RouteState::NEW);
            }
            if t.tap.layout() == TapLayout::Stems {
                t.add_channel(n + 1, self.format);
            }
        }
        self.parties.push(Party {
            id,
            seat,
            volume: Gain::UNITY,
            has_input: false,
            plain: true,
            stats: PartyStats::default(),
            heard: core::iter::repeat(RouteState::NEW).take(n + 1).collect(),
            leg: None,
            tone: None,
            spare_tone: None,
            dtmf: None,
            identity,
        });
        self.tick_gains.resize(rows * (n + 1), RouteGain::MUTED);
        self.inputs.resize(self.inputs.len() + self.spf, S::SILENCE);
        self.outputs
            .resize(self.outputs.len() + self.spf, S::SILENCE);
        self.record(Event::Joined {
            party: id,
            role: seat.role,
            mode: (seat.role == Role::Supervisor).then_some(seat.mode),
            label,
            at: self.tick,
        });
        if seat.role == Role::Supervisor {
            self.cue(CueOn::Join, id, false);
        }
        self.prepare();
        Ok(id)
    }

    /// Removes a party. From the next tick nobody hears it, and the others
    /// hear each other as the table says without it: when the agent leaves a
    /// barging supervisor and the customer go on talking; when the supervisor
    /// leaves the call is the two parties again. Its frame, output and
    /// route gains are gone; its id stays unused.
    pub fn leave(&mut self, party: PartyId) -> Result<(), Error> {
        let i = self.index(party)?;
        if self.cue_player == Some(party) {
            self.cue_player = None;
            self.cues = [None; 4];
        }
        let gone = self.parties.remove(i);
        for p in self.parties.iter_mut() {
            p.heard.remove(i);
        }
        let range = i * self.spf..(i + 1) * self.spf;
        self.inputs.drain(range.clone());
        self.outputs.drain(range);
        for t in self.taps.iter_mut() {
            for row in t.heard.iter_mut() {
                row.remove(i);
            }
            if t.tap.layout() == TapLayout::Stems {
                t.remove_channel(i, self.spf);
            }
        }
        let n = self.parties.len();
        self.tick_gains.truncate((n + self.tap_rows(n)) * n);
        self.record(Event::Left {
            party,
            role: gone.seat.role,
            at: self.tick,
        });
        if gone.seat.role == Role::Supervisor {
            self.cue(CueOn::Leave, party, false);
        }
        self.prepare();
        Ok(())
    }

    /// Switches a supervisor to `mode` from the next tick. Setting the mode
    /// it is already in is accepted and records nothing. A party that is not
    /// a supervisor is [`Error::NotASupervisor`].
    pub fn set_mode(&mut self, party: PartyId, mode: Mode) -> Result<(), Error> {
        let i = self.index(party)?;
        let seat = &mut self.parties[i].seat;
        if seat.role != Role::Supervisor {
            return Err(Error::NotASupervisor {
                party,
                role: seat.role,
            });
        }
        if let Err(refusal) = self.check_mode(i, mode) {
            return Err(self.refuse(refusal));
        }
        self.change_mode(i, mode, false);
        self.prepare();
        Ok(())
    }

    /// Switches supervisor `i` to `mode` from the next tick: from a control
    /// call, or (`in_tick`) from a digit found in the tick being mixed.
    fn change_mode(&mut self, i: usize, mode: Mode, in_tick: bool) {
        let (party, from) = (self.parties[i].id, self.parties[i].seat.mode);
        if from == mode {
            return;
        }
        self.parties[i].seat.mode = mode;
        let at = self.tick + u64::from(in_tick);
        self.log(
            Event::ModeChanged {
                party,
                from,
                to: mode,
                at,
            },
            in_tick,
        );
        let whispers = |m: Mode| matches!(m, Mode::Whisper | Mode::PrivateWhisper);
        let barges = |m: Mode| matches!(m, Mode::Barge | Mode::CustomerOnly);
        if whispers(mode) && !whispers(from) {
            self.cue(CueOn::Whisper, party, in_tick);
        } else if barges(mode) && !barges(from) {
            self.cue(CueOn::Barge, party, in_tick);
        }
    }

    /// Records `event` from a control call, or (`in_tick`) from the tick
    /// being mixed.
    fn log(&mut self, event: Event, in_tick: bool) {
        if in_tick {
            self.record_in_tick(event);
        } else {
            self.record(event);
        }
    }

    /// What the supervisors' digits do from now on ([`DtmfMap::NONE`],
    /// nothing, until set).
    pub fn set_dtmf_map(&mut self, map: DtmfMap) {
        self.dtmf_map = map;
    }

    /// What the supervisors' digits do.
    pub fn dtmf_map(&self) -> DtmfMap {
        self.dtmf_map
    }

    /// A supervisor pressed `digit`, as an RFC 4733 telephone event the
    /// host has parsed says (call it at the event's start, once per key
    /// press: the host drops the event's retransmissions and end packets).
    /// The digit goes on the audit trail ([`Event::DigitPressed`]) and, if
    /// the session's [`DtmfMap`] maps it, switches the supervisor's mode
    /// from the next tick as [`Session::set_mode`] would; returns that
    /// mode. A party that is not a supervisor is [`Error::NotASupervisor`].
    ///
    /// ```
    /// use barge::{dtmf::Digit, keypad::DtmfMap, Format, Mode, Session};
    /// let mut call = Session::<i16>::new(Format::NARROWBAND_20MS);
    /// call.set_dtmf_map(DtmfMap::CHANSPY);
    /// let boss = call.join_supervisor(Mode::Monitor)?;
    /// assert_eq!(call.press(boss, Digit::Five)?, Some(Mode::Whisper));
    /// assert_eq!(call.mode(boss)?, Some(Mode::Whisper));
    /// assert_eq!(call.press(boss, Digit::Hash)?, None); // recorded, nothing else
    /// # Ok::<(), barge::Error>(())
    /// ```
    pub fn press(&mut self, party: PartyId, digit: Digit) -> Result<Option<Mode>, Error> {
        let i = self.supervisor(party)?;
        let mode = self.dtmf_map.mode(digit);
        if let Some(m) = mode {
            if let Err(refusal) = self.check_mode(i, m) {
                return Err(self.refuse(refusal));
            }
        }
        self.record(Event::DigitPressed {
            party,
            digit,
            in_band: false,
            mode,
            at: self.tick,
        });
        if let Some(mode) = mode {
            self.change_mode(i, mode, false);
        }
        self.prepare();
        Ok(mode)
    }

    /// Whether the session looks for DTMF digits in a supervisor's own
    /// audio (at the call's rate, after its leg's conversion), for legs
    /// that carry the keypad in band. A digit found switches the mode as
    /// [`Session::press`] does, from the tick after the one in which it is
    /// recognised, and is on the audit trail with `in_band`. The
    /// supervisor's audio is silence for everyone in every tick in which a
    /// digit is held (the one in which it is recognised and the one in which
    /// its tone ends included), so that what reaches anyone of a key press
    /// is the frames before the one that recognises it: less than the 25 to
    /// 30 ms recognition takes (see [`crate::dtmf`]; `tests/keypad.rs`
    /// measures 17 to 20 ms at 8, 16 and 48 kHz for a key pressed in barge),
    /// and in monitor nothing, as always. A party that is not a supervisor
    /// is [`Error::NotASupervisor`].
    pub fn detect_dtmf(&mut self, party: PartyId, detect: bool) -> Result<(), Error> {
        let i = self.supervisor(party)?;
        let rate = self.format.rate();
        let p = &mut self.parties[i];
        match (detect, p.dtmf.is_some()) {
            (true, false) => p.dtmf = Some(Box::new(DtmfDetector::new(rate))),
            (false, true) => p.dtmf = None,
            _ => {}
        }
        p.update_plain();
        Ok(())
    }

    /// Party `party`'s index, if it is a supervisor.
    fn supervisor(&self, party: PartyId) -> Result<usize, Error> {
        let i = self.index(party)?;
        let role = self.parties[i].seat.role;
        if role != Role::Supervisor {
            return Err(Error::NotASupervisor { party, role });
        }
        Ok(i)
    }

    /// Runs the supervisors' digit detectors over this tick's frames:
    /// party `i`'s at the call's rate is `borrowed(i)` where that is some,
    /// else its input buffer (silence where it handed in nothing). Returns
    /// the parties whose audio is silence this tick (bit `i`): those that
    /// hold a digit.
    fn detect_digits<'f>(&mut self, borrowed: impl Fn(usize) -> Option<&'f [S]>, has: u32) -> u32
    where
        S: 'f,
    {
        let mut muted = 0u32;
        let spf = self.spf;
        for i in 0..self.parties.len() {
            let Some(detector) = self.parties[i].dtmf.as_deref_mut() else {
                continue;
            };
            let own = &mut self.inputs[i * spf..(i + 1) * spf];
            let held_before = detector.current().is_some();
            let events = match borrowed(i) {
                Some(frame) => detector.process(frame),
                None => {
                    if has & (1 << i) == 0 {
                        own.fill(S::SILENCE);
                    }
                    detector.process(own)
                }
            };
            // A frame in which a digit was held at any moment: also the one
            // that ends it, which holds its tail.
            if held_before || detector.current().is_some() || !events.is_empty() {
                muted |= 1 << i;
            }
            for event in events {
                if let DtmfEvent::Down { digit, .. } = event {
                    let mut mode = self.dtmf_map.mode(digit);
                    if let Some(refusal) = mode.and_then(|m| self.check_mode(i, m).err()) {
                        self.record_in_tick(Event::Refused {
                            refusal,
                            at: self.tick + 1,
                        });
                        mode = None;
                    }
                    let party = self.parties[i].id;
                    self.record_in_tick(Event::DigitPressed {
                        party,
                        digit,
                        in_band: true,
                        mode,
                        at: self.tick + 1,
                    });
                    if let Some(mode) = mode {
                        self.change_mode(i, mode, true);
                    }
                }
            }
        }
        muted
    }

    /// Sets who may supervise whom (`None`: anyone may do anything, the
    /// default). From then on every join of a supervisor, every mode change
    /// (by [`Session::set_mode`], [`Session::press`] or an in-band digit)
    /// and every join of an agent while supervisors are on the call is
    /// checked: a supervisor needs the grant for its mode on every agent on
    /// the call ([`Policy::allows_on_call`]). A refused call changes nothing
    /// but the audit trail, which records the refusal ([`Event::Refused`]).
    /// A policy that a supervisor already on the call breaks is refused
    /// whole, with the first such refusal. One policy can serve many calls:
    /// it is shared, not copied.
    pub fn set_policy(&mut self, policy: Option<Arc<Policy>>) -> Result<(), Error> {
        if let Some(p) = policy.as_deref() {
            for sup in self
                .parties
                .iter()
                .filter(|p| p.seat.role == Role::Supervisor)
            {
                let agents = self.agents();
                if let Err(refusal) = p.allows_on_call(sup.identity(), agents, sup.seat.mode) {
                    return Err(self.refuse(refusal));
                }
            }
        }
        let active = policy.is_some();
        self.policy = policy;
        self.record(Event::PolicySet {
            active,
            at: self.tick,
        });
        self.prepare();
        Ok(())
    }

    /// The policy in force, if any.
    pub fn policy(&self) -> Option<&Policy> {
        self.policy.as_deref()
    }

    /// Marks the call as needing a disclosure before anyone listens (the
    /// host decides where the law asks for one: all-party-consent
    /// jurisdictions). From the next tick until the disclosure is recorded
    /// ([`Session::record_consent`], or the disclosure announcement of
    /// [`Session::set_disclosure`] playing to the customer to its end), no
    /// supervisor, recorder or tap hears anything of the call; supervisors
    /// who join meanwhile are held silent or refused, as `before` says. The
    /// customer and the agent hear each other throughout, and a supervisor
    /// in barge is still heard by them (its mode says so): the gate keeps
    /// listeners out, not talkers. The moment it lifts is on the audit
    /// trail ([`Event::ConsentGiven`]). A call whose disclosure is already
    /// recorded accepts this and stays as it is.
    ///
    /// The FCC-style alternative (47 CFR 64.501: no consent, but a warning
    /// tone every 15 s that all parties hear while anyone monitors or
    /// records) needs no gate: an announcement to [`Audience::EVERYONE`]
    /// playing [`ToneSpec::RECORDING_WARNING`] while a supervisor or a tap
    /// is on the call.
    pub fn require_disclosure(&mut self, before: BeforeDisclosure) -> Result<(), Error> {
        if self.consent == Consent::Given || self.consent == Consent::Pending(before) {
            return Ok(());
        }
        self.consent = Consent::Pending(before);
        self.record(Event::DisclosureRequired {
            before,
            at: self.tick,
        });
        self.prepare();
        Ok(())
    }

    /// Records the disclosure: the customer agreed, or the host's own
    /// prompt has played to its end. From the next tick supervisors,
    /// recorders and taps hear the call as the table says. Nothing pending
    /// is accepted and records nothing.
    pub fn record_consent(&mut self) {
        if matches!(self.consent, Consent::Pending(_)) {
            self.consent = Consent::Given;
            self.record(Event::ConsentGiven {
                by: ConsentBy::Host,
                at: self.tick,
            });
        }
        self.prepare();
    }

    /// Makes announcement `party` the call's disclosure: when a tone it
    /// plays ([`Session::play`]) ends by itself, not stopped, with a
    /// customer on the call and in its audience, the disclosure is
    /// recorded ([`Event::ConsentGiven`] by [`ConsentBy::Disclosure`]) from
    /// the next tick. A party that is not an announcement is
    /// [`Error::NotAnAnnouncement`].
    pub fn set_disclosure(&mut self, party: PartyId) -> Result<(), Error> {
        self.announcement(party)?;
        self.disclosure = Some(party);
        Ok(())
    }

    /// Whether anyone may listen to the call yet.
    pub fn consent(&self) -> Consent {
        self.consent
    }

    /// Every open route now: who hears whom at what gain, by id and by the
    /// host's keys, for a supervisor's dashboard or a test. A route is
    /// open when the table, the policy's consequences, the consent gate and
    /// the host's gains let the listener hear the talker at some gain; it
    /// is what [`Session::hears`] says of each pair, from the next tick.
    pub fn routes(&self) -> impl Iterator<Item = Route> + '_ {
        self.parties
            .iter()
            .enumerate()
            .flat_map(move |(l, listener)| {
                self.parties
                    .iter()
                    .enumerate()
                    .filter(move |&(t, _)| t != l)
                    .filter_map(move |(t, talker)| {
                        let gain = self.gain_now(l, t);
                        (!gain.is_muted()).then_some(Route {
                            listener: listener.id,
                            listener_label: listener.identity().map(|i| i.key()),
                            talker: talker.id,
                            talker_label: talker.identity().map(|i| i.key()),
                            gain,
                        })
                    })
            })
    }

    /// The media time of tick `at`: `at` frames of the call's duration.
    pub fn media_time(&self, at: u64) -> Duration {
        Duration::from_micros(at.saturating_mul(u64::from(self.format.ptime().ms()) * 1000))
    }

    /// The identities of the agents on the call, in order of joining.
    fn agents(&self) -> impl Iterator<Item = Option<&Identity>> + '_ {
        self.parties
            .iter()
            .filter(|p| p.seat.role == Role::Agent)
            .map(|p| p.identity())
    }

    /// Whether a party in `seat` with `identity` may join: the policy and
    /// the consent gate.
    fn check_join(&mut self, seat: Seat, identity: Option<&Identity>) -> Result<(), Error> {
        let refusal = match seat.role {
            Role::Supervisor => self.check_supervisor(identity, seat.mode).err(),
            Role::Agent => self.policy.as_deref().and_then(|policy| {
                self.parties
                    .iter()
                    .filter(|p| p.seat.role == Role::Supervisor)
                    .find_map(|sup| {
                        policy
                            .allows_on_call(sup.identity(), [identity], sup.seat.mode)
                            .err()
                    })
            }),
            _ => None,
        };
        match refusal {
            Some(refusal) => Err(self.refuse(refusal)),
            None => Ok(()),
        }
    }

    /// Whether a supervisor with `identity` may be in `mode` on this call.
    fn check_supervisor(&self, identity: Option<&Identity>, mode: Mode) -> Result<(), Refusal> {
        if self.consent == Consent::Pending(BeforeDisclosure::RefuseJoins) {
            return Err(Refusal {
                supervisor: identity.map(|i| i.key()),
                agent: None,
                mode,
                reason: Reason::ConsentPending,
            });
        }
        match self.policy.as_deref() {
            Some(policy) => policy.allows_on_call(identity, self.agents(), mode),
            None => Ok(()),
        }
    }

    /// Whether supervisor `i` may switch to `mode`.
    fn check_mode(&self, i: usize, mode: Mode) -> Result<(), Refusal> {
        if self.parties[i].seat.mode == mode {
            return Ok(());
        }
        self.check_supervisor(self.parties[i].identity(), mode)
    }

    /// Records `refusal` and returns its error.
    fn refuse(&mut self, refusal: Refusal) -> Error {
        let (settled, compiled, room) = (self.settled, self.compiled, self.tick_room);
        self.record(Event::Refused {
            refusal,
            at: self.tick,
        });
        // A refusal changes no route, and leaves the room for a tick's
        // events as it was (the trail keeps at least that much reserved).
        self.settled = settled;
        self.compiled = compiled;
        self.tick_room = room.min(self.tick_room);
        Error::Refused { refusal }
    }

    /// Adds an announcement: a party that talks to `audience` and hears
    /// nobody (a prompt, hold music, a tone). Its audio is what the host
    /// hands in, as for any party, or a tone the session plays
    /// ([`Session::play`]). The privacy rules hold for it as for everyone:
    /// it hears nothing, so it carries nothing of a whisper to anyone. A
    /// recording tap records it if `audience` includes
    /// [`Audience::RECORDERS`], on the agent's side.
    ///
    /// ```
    /// use barge::{Audience, Format, Role, Session, ToneSpec};
    /// let mut call = Session::<i16>::new(Format::NARROWBAND_20MS);
    /// let (c, a) = (call.join(Role::Customer)?, call.join(Role::Agent)?);
    /// // A beep that only the agent hears.
    /// let beep = call.join_announcement(Audience::AGENTS)?;
    /// call.play(beep, &ToneSpec::JOIN_BEEP)?;
    /// call.mix();
    /// assert!(call.output(a)?.iter().any(|&x| x != 0));
    /// assert!(call.output(c)?.iter().all(|&x| x == 0));
    /// # Ok::<(), barge::Error>(())
    /// ```
    pub fn join_announcement(&mut self, audience: Audience) -> Result<PartyId, Error> {
        self.add(
            Seat {
                audience,
                ..Seat::new(Role::Announcement)
            },
            None,
        )
    }

    /// Changes who hears an announcement, from the next tick. A party that
    /// is not an announcement is [`Error::NotAnAnnouncement`].
    pub fn set_audience(&mut self, party: PartyId, audience: Audience) -> Result<(), Error> {
        let i = self.announcement(party)?;
        let from = self.parties[i].seat.audience;
        if from != audience {
            self.parties[i].seat.audience = audience;
            self.record(Event::AudienceChanged {
                party,
                from,
                to: audience,
                at: self.tick,
            });
        }
        self.prepare();
        Ok(())
    }

    /// Plays `tone` on an announcement from the next tick: the tone is its
    /// frame every tick until it ends ([`Event::ToneEnded`]) or
    /// [`Session::stop`] stops it; a tone already playing is replaced. Meanwhile
    /// the host hands in no frame for it ([`Error::TonePlaying`]). The tone
    /// is generated at the party's leg rate, sample-accurate (see
    /// [`crate::tone`]). A party that is not an announcement is
    /// [`Error::NotAnAnnouncement`]; a tone that cannot be played at that
    /// rate is the [`ToneGenerator::new`] error; a party that has handed in
    /// its frame for the next tick is [`Error::DuplicateFrame`].
    pub fn play(&mut self, party: PartyId, tone: &ToneSpec) -> Result<(), Error> {
        let i = self.announcement(party)?;
        let rate = self.parties[i]
            .leg
            .as_ref()
            .map_or(self.format, |l| l.format)
            .rate();
        let generator = ToneGenerator::new(tone, rate)?;
        let p = &mut self.parties[i];
        if p.has_input {
            return Err(Error::DuplicateFrame {
                party,
                tick: self.tick,
            });
        }
        p.start_tone(generator);
        self.record(Event::ToneStarted {
            party,
            tone: *tone,
            at: self.tick,
        });
        Ok(())
    }

    /// Stops the tone an announcement plays, from the next tick; nothing
    /// playing is accepted and records nothing.
    pub fn stop(&mut self, party: PartyId) -> Result<(), Error> {
        let i = self.announcement(party)?;
        if self.parties[i].end_tone() {
            self.record(Event::ToneEnded {
                party,
                finished: false,
                at: self.tick,
            });
        }
        Ok(())
    }

    /// Sets the cue that plays when `on` happens to any supervisor (`None`:
    /// none; none is the default, so that a supervisor in monitor is
    /// undetectable unless the host says otherwise). The cue starts at the
    /// tick the change takes effect, on one announcement the session adds
    /// for all cues the first time one is set (it shows in
    /// [`Session::parties`]; if the host makes it leave, every cue is
    /// cleared), and [`Event::CueStarted`] records it. A cue that starts
    /// while another plays replaces it. A tone that cannot be played at the
    /// call's rate is the [`ToneGenerator::new`] error; a call with no room
    /// for the announcement is [`Error::TooManyParties`].
    ///
    /// ```
    /// use barge::{Audience, Cue, CueOn, Format, Mode, Role, Session, ToneSpec};
    /// let mut call = Session::<i16>::new(Format::NARROWBAND_20MS);
    /// let (c, a) = (call.join(Role::Customer)?, call.join(Role::Agent)?);
    /// // Asterisk's beep to the spy, and a tone to both parties on barge.
    /// let beep = Cue { tone: ToneSpec::JOIN_BEEP, audience: Audience::SUPERVISORS };
    /// call.set_cue(CueOn::Join, Some(beep))?;
    /// let barge = Cue { tone: ToneSpec::JOIN_BEEP, audience: Audience::PARTIES };
    /// call.set_cue(CueOn::Barge, Some(barge))?;
    /// let boss = call.join_supervisor(Mode::Monitor)?;
    /// call.mix();
    /// assert!(call.output(boss)?.iter().any(|&x| x != 0), "the supervisor hears the beep");
    /// assert!(call.output(c)?.iter().all(|&x| x == 0), "the customer does not");
    /// # Ok::<(), barge::Error>(())
    /// ```
    pub fn set_cue(&mut self, on: CueOn, cue: Option<Cue>) -> Result<(), Error> {
        let Some(cue) = cue else {
            self.cues[on.index()] = None;
            return Ok(());
        };
        // Checked here, so that the cue can play when its change comes.
        let generator = ToneGenerator::new(&cue.tone, self.format.rate())?;
        if self.cue_player.is_none() {
            // The player's tone is allocated now, so that a cue that a
            // digit sets off in a tick allocates nothing.
            let spare = Box::new(generator);
            let player = self.join_announcement(Audience::NOBODY)?;
            let i = self.parties.len() - 1;
            self.parties[i].spare_tone = Some(spare);
            self.cue_player = Some(player);
        }
        self.cues[on.index()] = Some(cue);
        Ok(())
    }

    /// The cue set for `on`, if any.
    pub fn cue_for(&self, on: CueOn) -> Option<Cue> {
        self.cues[on.index()]
    }

    /// Starts the cue for `on`, set off by `supervisor`, if there is one.
    fn cue(&mut self, on: CueOn, supervisor: PartyId, in_tick: bool) {
        let (Some(cue), Some(player)) = (self.cues[on.index()], self.cue_player) else {
            return;
        };
        let Ok(i) = self.index(player) else { return };
        let p = &mut self.parties[i];
        // At the player's own rate, should the host have put it on a leg of
        // another (a tone it cannot play there is not played).
        let rate = p.leg.as_ref().map_or(self.format, |l| l.format).rate();
        let Ok(generator) = ToneGenerator::new(&cue.tone, rate) else {
            return;
        };
        p.start_tone(generator);
        p.seat.audience = cue.audience;
        let at = self.tick + u64::from(in_tick);
        self.log(
            Event::CueStarted {
                on,
                supervisor,
                player,
                audience: cue.audience,
                at,
            },
            in_tick,
        );
    }

    /// Party `party`'s index, if it is an announcement.
    fn announcement(&self, party: PartyId) -> Result<usize, Error> {
        let i = self.index(party)?;
        let role = self.parties[i].seat.role;
        if role != Role::Announcement {
            return Err(Error::NotAnAnnouncement { party, role });
        }
        Ok(i)
    }

    /// A supervisor's mode; `None` for a party that is not a supervisor.
    pub fn mode(&self, party: PartyId) -> Result<Option<Mode>, Error> {
        let seat = self.parties[self.index(party)?].seat;
        Ok((seat.role == Role::Supervisor).then_some(seat.mode))
    }

    /// Sets the gain of one route: from the next tick `listener` hears
    /// `talker` at `gain_db` (`f32::NEG_INFINITY`: must not hear) times the
    /// talker's volume, wherever the modes let `listener` hear `talker`.
    ///
    /// A route gain can lower, raise (up to [`Gain::MAX_DB`]) or close a
    /// route the modes open; it never opens one they close. It stays set
    /// through mode changes and applies again whenever the modes open the
    /// route: "turn the supervisor down for the customer" made in barge
    /// mutes nothing in whisper (the customer hears no whisper anyway) and
    /// holds again back in barge. To let a supervisor talk to one side only,
    /// use its mode ([`Mode::CustomerOnly`], [`Mode::PrivateWhisper`]).
    ///
    /// Setting the gain a route already has records nothing.
    pub fn set_route_gain(
        &mut self,
        listener: PartyId,
        talker: PartyId,
        gain_db: f32,
    ) -> Result<(), Error> {
        let (l, t) = self.route_index(listener, talker)?;
        let gain = Gain::from_db(gain_db)?;
        let state = &mut self.parties[l].heard[t];
        if state.adjusted == Some(gain) {
            return Ok(());
        }
        state.adjusted = Some(gain);
        self.record(Event::RouteGainSet {
            listener,
            talker,
            gain,
            at: self.tick,
        });
        self.prepare();
        Ok(())
    }

    /// Clears a route gain: from the next tick `listener` hears `talker` at
    /// unity (times the talker's volume) wherever the modes open the route.
    /// Clearing a route with no gain set is accepted and records nothing.
    pub fn clear_route_gain(&mut self, listener: PartyId, talker: PartyId) -> Result<(), Error> {
        let (l, t) = self.route_index(listener, talker)?;
        if self.parties[l].heard[t].adjusted.take().is_some() {
            self.record(Event::RouteGainCleared {
                listener,
                talker,
                at: self.tick,
            });
        }
        self.prepare();
        Ok(())
    }

    /// The host's gain for a route, if one is set.
    pub fn route_gain(&self, listener: PartyId, talker: PartyId) -> Result<Option<Gain>, Error> {
        let (l, t) = self.route_index(listener, talker)?;
        Ok(self.parties[l].heard[t].adjusted)
    }

    /// Whether `listener` hears `talker` from the next tick on, and at what
    /// gain (the route gain times the talker's volume): [`Gain::MUTED`]
    /// where the modes close the route or the host muted it.
    pub fn hears(&self, listener: PartyId, talker: PartyId) -> Result<Gain, Error> {
        let (l, t) = self.route_index(listener, talker)?;
        Ok(self.gain_now(l, t))
    }

    /// The gain at which party `l` hears party `t` once every ramp is over.
    fn gain_now(&self, l: usize, t: usize) -> Gain {
        let seat = self.parties[l].seat;
        let listens = listens(seat, self.gated());
        let talker = &self.parties[t];
        target_gain(
            seat,
            listens,
            talker.seat,
            talker.volume,
            self.parties[l].heard[t],
        )
        .unwrap_or(Gain::MUTED)
    }

    /// Whether the consent gate keeps every listener but the customers and
    /// agents from hearing anything.
    fn gated(&self) -> bool {
        matches!(self.consent, Consent::Pending(_))
    }

    /// Sets the volume at which everyone hears `party`, in dB from muted
    /// (`f32::NEG_INFINITY`) up to [`Gain::MAX_DB`]; default 0 dB. The change
    /// ramps in at the next tick.
    pub fn set_volume(&mut self, party: PartyId, db: f32) -> Result<(), Error> {
        let i = self.index(party)?;
        let to = Gain::from_db(db)?;
        let p = &mut self.parties[i];
        let from = p.volume;
        if from != to {
            p.volume = to;
            self.record(Event::VolumeChanged {
                party,
                from,
                to,
                at: self.tick,
            });
        }
        self.prepare();
        Ok(())
    }

    /// Sets the format of `party`'s leg: the rate at which it hands in its
    /// frames and hears the call, and the duration of those frames. A leg at
    /// another rate than the call's is resampled to the call's rate before
    /// the mix and back after it ([`crate::resample`]); a leg at the call's
    /// rate (the default) is never resampled.
    ///
    /// A leg's frame duration is the call's or a multiple of it
    /// ([`Error::LegFrameDuration`] otherwise): a 20 ms PSTN leg on a call
    /// that ticks every 10 ms for its WebRTC legs. Such a leg takes a frame
    /// every few ticks, when [`Session::frame_due`] says so
    /// ([`Error::FrameNotDue`] between), is mixed over the ticks it spans,
    /// and its [`Session::output`] is the frame it heard over them, new
    /// whenever [`Session::frame_due`] is true after a tick. That costs the
    /// leg nothing but its own packetization: a 20 ms frame is heard from
    /// the tick it is handed in, and what the party heard is handed out at
    /// the end of its 20 ms, as any 20 ms packetizer would. A missing frame
    /// is silence for all its ticks.
    ///
    /// A route from a party on a leg of another format opens only once what
    /// the party hands in after the change that opens it (a mode change, a
    /// join, a volume or route gain from muted) reaches the call: at its
    /// next frame, and a tick later for a leg at another rate, whose
    /// resampler still holds a few ms of the frame before. So nobody hears
    /// what was said before the change unless they could hear it then.
    /// ([`Session::hears`] reports the gain the route opens to.)
    ///
    /// A party that has handed in its frame for the next tick keeps its
    /// format until that tick is mixed ([`Error::DuplicateFrame`]). A new
    /// format starts the leg afresh: its first frame is due at the next
    /// tick, and what it had heard of an unfinished frame is dropped.
    /// Allocates the leg's conversions and frames (a control call, never a
    /// tick); setting the format the leg already has changes nothing.
    ///
    /// ```
    /// use barge::{Format, Role, Session};
    /// // A PSTN call mixed at 8 kHz, with a browser supervisor at 48 kHz.
    /// let mut call = Session::<f32>::new(Format::new(8000, 20)?);
    /// let customer = call.join(Role::Customer)?;
    /// let supervisor = call.join(Role::Supervisor)?;
    /// call.set_leg_format(supervisor, Format::new(48000, 20)?)?;
    /// call.put_frame(customer, &[0.25; 160])?;
    /// call.put_frame(supervisor, &[0.0; 960])?; // 20 ms at 48 kHz
    /// call.mix();
    /// assert_eq!(call.output(supervisor)?.len(), 960);
    /// # Ok::<(), barge::Error>(())
    /// ```
    pub fn set_leg_format(&mut self, party: PartyId, leg: Format) -> Result<(), Error> {
        let i = self.index(party)?;
        let (given_ms, call_ms) = (leg.ptime().ms(), self.format.ptime().ms());
        if given_ms % call_ms != 0 {
            return Err(Error::LegFrameDuration {
                given_ms,
                expected_ms: call_ms,
            });
        }
        let p = &mut self.parties[i];
        let now = p.leg.as_ref().map_or(self.format, |l| l.format);
        if now == leg {
            return Ok(());
        }
        if p.tone.is_some() {
            return Err(Error::TonePlaying { party });
        }
        if p.has_input {
            return Err(Error::DuplicateFrame {
                party,
                tick: self.tick,
            });
        }
        p.leg = (leg != self.format).then(|| Box::new(Leg::new(leg, self.format)));
        p.update_plain();
        self.rework_routes();
        Ok(())
    }

    /// Whether `party`'s leg is at a frame boundary: the next tick takes its
    /// next frame (with [`Session::put_frame`], [`Session::frame_mut`] or
    /// [`Session::mix_frames`]), and [`Session::output`] holds the frame it
    /// completed with the last tick. Always true for a leg of the call's
    /// frame duration; for a longer one, every few ticks
    /// ([`Session::set_leg_format`]).
    pub fn frame_due(&self, party: PartyId) -> Result<bool, Error> {
        let p = &self.parties[self.index(party)?];
        Ok(p.leg.as_ref().map_or(true, |l| l.phase == 0))
    }

    /// [`Error::FrameNotDue`] unless party `i`'s leg takes a frame now.
    fn check_due(&self, i: usize) -> Result<(), Error> {
        if is_plain(&self.parties[i]) {
            return Ok(());
        }
        if self.parties[i].tone.is_some() {
            return Err(Error::TonePlaying {
                party: self.parties[i].id,
            });
        }
        match self.parties[i].leg.as_deref() {
            Some(leg) if leg.phase != 0 => Err(Error::FrameNotDue {
                party: self.parties[i].id,
                next: self.tick + (leg.ticks - leg.phase) as u64,
            }),
            _ => Ok(()),
        }
    }

    /// The format in which `party` hands in and hears frames: its leg's
    /// ([`Session::set_leg_format`]), else the call's.
    pub fn leg_format(&self, party: PartyId) -> Result<Format, Error> {
        let p = &self.parties[self.index(party)?];
        Ok(p.leg.as_ref().map_or(self.format, |l| l.format))
    }

    /// Hands in `party`'s frame for the next tick (copied). It must hold
    /// exactly the [`Format::samples_per_frame`] of the party's leg format
    /// ([`Session::leg_format`]: the call's unless set); a second frame for
    /// the same party in the same tick is [`Error::DuplicateFrame`].
    pub fn put_frame(&mut self, party: PartyId, frame: &[S]) -> Result<(), Error> {
        let (i, p) = self.find(party)?;
        // A frame of the call's length from a plain party (on no leg,
        // playing no tone) with no frame yet passes every check below.
        if frame.len() == self.spf && is_plain(p) && !p.has_input {
            let spf = self.spf;
            if let (Some(p), Some(slot)) = (
                self.parties.get_mut(i),
                self.inputs.get_mut(i * spf..(i + 1) * spf),
            ) {
                p.has_input = true;
                slot.copy_from_slice(frame);
                return Ok(());
            }
        }
        self.check_length(i, frame)?;
        let slot = self.input_slot_at(i, party)?;
        slot.copy_from_slice(frame);
        Ok(())
    }

    /// The buffer for `party`'s frame for the next tick (at its leg's
    /// format), zeroed, for a host that decodes straight into it. The party
    /// counts as having handed in a frame this tick, as with
    /// [`Session::put_frame`].
    pub fn frame_mut(&mut self, party: PartyId) -> Result<&mut [S], Error> {
        let slot = self.input_slot(party)?;
        slot.fill(S::SILENCE);
        Ok(slot)
    }

    /// The buffer of `party`'s next frame, for a source to write into; the
    /// frame counts as handed in only after [`Session::hand_in`].
    pub(crate) fn input_buffer(&mut self, party: PartyId) -> Result<&mut [S], Error> {
        let i = self.index(party)?;
        self.check_due(i)?;
        if self.parties[i].has_input {
            return Err(Error::DuplicateFrame {
                party,
                tick: self.tick,
            });
        }
        Ok(self.input_at(i))
    }

    /// Counts what [`Session::input_buffer`] holds as `party`'s frame.
    pub(crate) fn hand_in(&mut self, party: PartyId) -> Result<(), Error> {
        self.input_slot(party).map(|_| ())
    }

    fn input_slot(&mut self, party: PartyId) -> Result<&mut [S], Error> {
        let i = self.index(party)?;
        self.input_slot_at(i, party)
    }

    /// [`Session::input_slot`] of `party`, at position `i`.
    fn input_slot_at(&mut self, i: usize, party: PartyId) -> Result<&mut [S], Error> {
        self.check_due(i)?;
        if self.parties[i].has_input {
            return Err(Error::DuplicateFrame {
                party,
                tick: self.tick,
            });
        }
        self.parties[i].has_input = true;
        Ok(self.input_at(i))
    }

    /// Whether `frame` has the length of party `i`'s leg's frames.
    fn check_length(&self, i: usize, frame: &[S]) -> Result<(), Error> {
        let leg = self.parties[i].leg.as_deref();
        // The call's frames are `spf` long: no need to look at its format.
        let expected = leg.map_or(self.spf, |l| l.format.samples_per_frame());
        if frame.len() != expected {
            let format = leg.map_or(self.format, |l| l.format);
            return Err(Error::FrameLength {
                given: frame.len(),
                expected: format.samples_per_frame(),
                format,
            });
        }
        Ok(())
    }

    /// Party `i`'s input buffer at its leg's format.
    fn input_at(&mut self, i: usize) -> &mut [S] {
        match self.parties[i].leg.as_deref_mut() {
            Some(leg) => &mut leg.input,
            None => &mut self.inputs[i * self.spf..(i + 1) * self.spf],
        }
    }

    /// Mixes one tick: every party's output frame becomes what it must hear
    /// of the frames handed in since the last tick, which are then
    /// forgotten. Never fails, never allocates, never panics.
    pub fn mix(&mut self) {
        if !self.mix_steady() {
            self.mix_borrowed(&[], &[NOT_BORROWED; MAX_PARTIES]);
        }
    }

    /// Mixes one tick from borrowed frames: each `(party, frame)` of
    /// `frames` is that party's frame for this tick, as if handed to
    /// [`Session::put_frame`], but read where it is, without a copy. Parties
    /// not in `frames` are mixed as [`Session::mix`] would mix them (a frame
    /// handed in with [`Session::put_frame`] or [`Session::frame_mut`], or
    /// silence).
    ///
    /// Everything is checked before anything is mixed: a frame of the wrong
    /// length is [`Error::FrameLength`], a party not on the call is the
    /// error [`Session::put_frame`] gives, and a party twice in `frames`, or
    /// one that already handed in its frame this tick, is
    /// [`Error::DuplicateFrame`]; on an error nothing is mixed and nothing
    /// changes. Allocates nothing. A non-finite `f32` sample in a borrowed
    /// frame reaches nobody, as with [`Session::put_frame`]: that frame is
    /// then copied and cleaned.
    ///
    /// Fastest with a frame for every party, in the parties' order (the
    /// order of joining, as [`Session::parties`] lists them): a settled call
    /// then takes the steady path of the [crate-level design](crate#design).
    /// Any other order mixes the same, bit for bit.
    ///
    /// ```
    /// use barge::{Format, Mode, Role, Session};
    /// let mut call = Session::<i16>::new(Format::NARROWBAND_20MS);
    /// let (c, a) = (call.join(Role::Customer)?, call.join(Role::Agent)?);
    /// let v = call.join_supervisor(Mode::Whisper)?;
    /// let (from_c, from_a, from_v) = ([100i16; 160], [20i16; 160], [3i16; 160]);
    /// call.mix_frames(&[(c, &from_c), (a, &from_a), (v, &from_v)])?;
    /// assert_eq!(call.output(c)?[159], 20); // the whisper is not there
    /// # Ok::<(), barge::Error>(())
    /// ```
    pub fn mix_frames(&mut self, frames: &[(PartyId, &[S])]) -> Result<(), Error> {
        if self.mix_frames_steady(frames) {
            return Ok(());
        }
        self.mix_frames_general(frames)
    }

    /// [`Session::mix_frames`] off the steady path: checks every frame, then
    /// mixes the tick.
    #[inline(never)]
    fn mix_frames_general(&mut self, frames: &[(PartyId, &[S])]) -> Result<(), Error> {
        let mut at = [NOT_BORROWED; MAX_PARTIES];
        for (k, &(party, frame)) in frames.iter().enumerate() {
            let i = self.index(party)?;
            let p = &self.parties[i];
            // A frame of the call's length from a party on no leg and
            // playing no tone passes both checks: skip them.
            if frame.len() != self.spf || p.leg.is_some() || p.tone.is_some() {
                self.check_length(i, frame)?;
                self.check_due(i)?;
            }
            if self.parties[i].has_input || at[i] != NOT_BORROWED {
                return Err(Error::DuplicateFrame {
                    party,
                    tick: self.tick,
                });
            }
            // `k < frames.len() <= MAX_PARTIES`: each party at most once.
            at[i] = k as u8;
        }
        // Borrowed frames that hold a sample nobody may hear are copied into
        // the party's own buffer and cleaned there.
        for (i, k) in at.iter_mut().enumerate().take(self.parties.len()) {
            // A look-up that cannot fail (nor panic), so that for a sample
            // type that never needs cleaning the loop is no code at all.
            let Some(&(_, frame)) = frames.get(usize::from(*k)) else {
                continue;
            };
            if S::needs_sanitizing(frame) {
                self.input_at(i).copy_from_slice(frame);
                self.parties[i].has_input = true;
                *k = NOT_BORROWED;
            }
        }
        self.mix_borrowed(frames, &at);
        Ok(())
    }

    /// One tick: party `i`'s frame is `frames[at[i]]` where `at[i]` is not
    /// [`NOT_BORROWED`] (a frame checked by [`Session::mix_frames`], in need
    /// of no cleaning), else its own input buffer.
    fn mix_borrowed(&mut self, frames: &[(PartyId, &[S])], at: &[u8; MAX_PARTIES]) {
        // What the call uses, in one pass: the loops over tones, legs and
        // detectors run only when some party has one.
        let (mut tones, mut legs, mut detectors) = (false, false, false);
        for p in &self.parties {
            tones |= p.tone.is_some();
            legs |= p.leg.is_some();
            detectors |= p.dtmf.is_some();
        }
        let disclosed = if tones { self.play_tones() } else { None };
        // The routes of this tick: worked out by the control call that
        // changed them, or now.
        let mut held = false;
        debug_assert!(
            !(self.compiled && self.settled),
            "compiled routes are not settled"
        );
        let worked_out = !self.settled || self.general_only();
        if self.compiled && !self.general_only() {
            held = self.compiled_held;
        } else if worked_out {
            held = self.compile_routes();
        }
        // A change the tick itself makes (a digit found in a supervisor's
        // audio) unsettles the routes again.
        self.settled = true;
        self.compiled = false;
        let handed = |p: &Party<S>, k: u8| p.has_input || k != NOT_BORROWED;
        let spf = self.spf;
        let n = self.parties.len();
        // Who handed in a frame (a party on a leg always has one at the
        // call's rate).
        let mut has = 0u32;
        for (i, (p, &k)) in self.parties.iter().zip(at).enumerate() {
            has |= u32::from(handed(p, k) || p.leg.is_some()) << i;
        }
        // Where the plan reads each talker's frame at the call's rate: a
        // converted leg's is in its own buffer, whatever it handed in.
        let mut mixed_at = *at;
        if legs {
            self.legs_into_call(frames, at, &mut mixed_at);
        }
        if detectors {
            let borrowed = |i: usize| match mixed_at.get(i).copied() {
                Some(k) if k != NOT_BORROWED => Some(frames[usize::from(k)].1),
                _ => None,
            };
            has &= !self.detect_digits(borrowed, has);
        }
        let sanitized = !self.plan.sanitizes_itself();
        if sanitized {
            self.sanitize_inputs();
        }
        let mut clips = TapClips::new(n, &self.taps);
        for attempt in [sanitized, true] {
            let inputs: &[S] = &self.inputs;
            let frame = |t: usize| match mixed_at.get(t).copied() {
                Some(k) if k != NOT_BORROWED => frames[usize::from(k)].1,
                _ => &inputs[t * spf..(t + 1) * spf],
            };
            let parties = &mut self.parties[..];
            let clipped = |l: usize, k: usize| clips.count(parties, l, k);
            let taps = self.taps.iter_mut().map(|t| &mut t.mixed[..]);
            let ran = self.plan.run(
                &self.tick_gains,
                &self.open_ramp,
                frame,
                &mut self.outputs,
                taps,
                spf,
                has,
                attempt,
                clipped,
            );
            if ran.is_ok() {
                break;
            }
            // Only a plan given frames it must check fails, and only once:
            // clean the frames and run it again.
            self.sanitize_inputs();
        }
        if legs {
            self.legs_out_of_call();
        }
        clips.finish(&mut self.taps, spf);
        if worked_out {
            self.commit_routes();
        }
        // A route held closed this tick opens at the next: work it out then.
        self.settled &= !held;
        if disclosed.is_some() {
            // The gate lifts: the next tick works out the routes afresh.
            self.consent = Consent::Given;
            self.settled = false;
        }
        for (p, &k) in self.parties.iter_mut().zip(at) {
            let handed = match p.leg.as_deref_mut() {
                Some(leg) => {
                    leg.phase = (leg.phase + 1) % leg.ticks;
                    leg.handed
                }
                None => handed(p, k),
            };
            if handed {
                p.stats.frames_mixed += 1;
            } else {
                p.stats.frames_missing += 1;
            }
            p.has_input = false;
        }
        self.tick = self.tick.wrapping_add(1);
    }

    /// Whether this tick may take the steady path: the call is settled and
    /// its plan [steady](Plan::steady). Each party must also be plain
    /// ([`is_plain`]).
    #[inline(always)]
    fn may_run_steady(&self) -> bool {
        self.settled && !self.general_only() && self.plan.steady()
    }

    /// Whether this tick may take the steady path although its routes
    /// changed: a control call worked them out and compiled the plan
    /// ([`Session::prepare`]), and none is held. Each party must also be
    /// plain, as for [`Session::may_run_steady`]; the plan then runs as
    /// the general path would run it, with nothing else to do but move the
    /// routes on ([`Session::prepared_tick`]).
    #[inline(always)]
    fn may_run_prepared(&self) -> bool {
        self.compiled && !self.compiled_held && !self.general_only()
    }

    /// The steady path of [`Session::mix_frames`]: when the tick
    /// [may run steady](Session::may_run_steady) and `frames` holds one
    /// frame of the call's length, in need of no cleaning, for each party in
    /// the parties' order, every party plain and none with a frame of its
    /// own, the plan runs over the frames where they are, with nothing else
    /// to do. Returns whether it did the tick; when not, nothing was
    /// changed and the general path does it.
    #[inline]
    fn mix_frames_steady(&mut self, frames: &[(PartyId, &[S])]) -> bool {
        if frames.len() != self.parties.len() || !self.may_run_steady() {
            return self.may_run_prepared() && self.mix_frames_prepared(frames);
        }
        if !self.steady_frames(frames) {
            return false;
        }
        let spf = self.spf;
        let frame = |t: usize| frames.get(t).map_or(&[][..], |&(_, f)| f);
        let (plan, parties) = (&self.plan, &mut self.parties[..]);
        let ran = steady_tick(
            plan,
            None,
            parties,
            &mut self.outputs,
            &mut self.taps,
            frame,
            spf,
        );
        if ran {
            self.end_steady_tick();
        }
        ran
    }

    /// The steady path of [`Session::mix`]: as [`Session::mix_frames_steady`]
    /// when every party handed in a frame of its own.
    #[inline]
    fn mix_steady(&mut self) -> bool {
        if !self.may_run_steady() {
            return self.may_run_prepared() && self.mix_prepared();
        }
        if !self.parties.iter().all(|p| is_plain(p) && p.has_input) {
            return false;
        }
        let spf = self.spf;
        if !self.plan.sanitizes_itself() {
            sanitize(&mut self.parties, &mut self.inputs, spf);
        }
        let inputs: &[S] = &self.inputs;
        let frame = |t: usize| inputs.get(t * spf..(t + 1) * spf).unwrap_or(&[]);
        let (plan, parties) = (&self.plan, &mut self.parties[..]);
        let ran = steady_tick(
            plan,
            None,
            parties,
            &mut self.outputs,
            &mut self.taps,
            frame,
            spf,
        );
        if ran {
            self.end_steady_tick();
        }
        ran
    }

    /// Whether `frames` holds one frame of the call's length for each
    /// party, in the parties' order, every party plain and none with a
    /// frame of its own, and every frame clean where the plan does not
    /// look at the frames on its way (a plan that sanitizes itself hands a
    /// tick that needs cleaning back to the general path).
    #[inline(always)]
    fn steady_frames(&self, frames: &[(PartyId, &[S])]) -> bool {
        let (spf, checked) = (self.spf, self.plan.sanitizes_itself());
        for (&(id, frame), p) in frames.iter().zip(self.parties.iter()) {
            if id != p.id || frame.len() != spf || !is_plain(p) || p.has_input {
                return false;
            }
            if !checked && S::needs_sanitizing(frame) {
                return false;
            }
        }
        true
    }

    /// [`Session::mix_frames_steady`] for a
    /// [prepared](Session::may_run_prepared) tick.
    #[inline(never)]
    fn mix_frames_prepared(&mut self, frames: &[(PartyId, &[S])]) -> bool {
        frames.len() == self.parties.len()
            && self.steady_frames(frames)
            && self.prepared_tick(Some(frames))
    }

    /// [`Session::mix_steady`] for a [prepared](Session::may_run_prepared)
    /// tick.
    #[inline(never)]
    fn mix_prepared(&mut self) -> bool {
        if !self.parties.iter().all(|p| is_plain(p) && p.has_input) {
            return false;
        }
        if !self.plan.sanitizes_itself() {
            sanitize(&mut self.parties, &mut self.inputs, self.spf);
        }
        self.prepared_tick(None)
    }

    /// The steady path of a [prepared](Session::may_run_prepared) tick,
    /// every party's frame being in `frames` (borrowed, in the parties'
    /// order) or, without, in its own buffer: the plan runs over the route
    /// matrix as the general path runs it, then the routes move on.
    #[inline(always)]
    fn prepared_tick(&mut self, frames: Option<&[(PartyId, &[S])]>) -> bool {
        let spf = self.spf;
        let inputs: &[S] = &self.inputs;
        let frame = |t: usize| match frames {
            Some(frames) => frames.get(t).map_or(&[][..], |&(_, f)| f),
            None => inputs.get(t * spf..(t + 1) * spf).unwrap_or(&[]),
        };
        let gains = Some((&self.tick_gains[..], &self.open_ramp[..]));
        let (plan, parties) = (&self.plan, &mut self.parties[..]);
        let ran = steady_tick(
            plan,
            gains,
            parties,
            &mut self.outputs,
            &mut self.taps,
            frame,
            spf,
        );
        if ran {
            #[cfg(test)]
            {
                self.prepared_ticks += 1;
            }
            self.commit_routes();
            self.compiled = false;
            self.settled = true;
            self.tick = self.tick.wrapping_add(1);
        }
        ran
    }

    /// After a tick on the steady path: the next tick is due.
    fn end_steady_tick(&mut self) {
        self.tick = self.tick.wrapping_add(1);
        #[cfg(test)]
        {
            self.steady_ticks += 1;
        }
    }

    /// Before the mix: every leg at another rate resampled into the call's
    /// rate, into its input buffer there, which `mixed_at` then points the
    /// plan to. Its missing frame goes through the filter as silence,
    /// exactly as a silent frame would, so that missing and silent stay the
    /// same.
    fn legs_into_call(
        &mut self,
        frames: &[(PartyId, &[S])],
        at: &[u8; MAX_PARTIES],
        mixed_at: &mut [u8; MAX_PARTIES],
    ) {
        let spf = self.spf;
        for (i, (p, &k)) in self.parties.iter_mut().zip(at).enumerate() {
            let handed_now = p.has_input || k != NOT_BORROWED;
            let Some(leg) = p.leg.as_deref_mut() else {
                continue;
            };
            mixed_at[i] = NOT_BORROWED;
            let into = &mut self.inputs[i * spf..(i + 1) * spf];
            if leg.phase == 0 {
                leg.handed = handed_now;
                let from: &[S] = if k != NOT_BORROWED {
                    frames[usize::from(k)].1
                } else {
                    if p.has_input {
                        p.stats.samples_non_finite += S::sanitize(&mut leg.input) as u64;
                    } else {
                        leg.input.fill(S::SILENCE);
                    }
                    &leg.input
                };
                if leg.ticks == 1 {
                    S::resample(&mut leg.into_call, from, into, false);
                } else {
                    S::resample(&mut leg.into_call, from, &mut leg.call_in, false);
                }
            }
            if leg.ticks > 1 {
                into.copy_from_slice(&leg.call_in[leg.phase * spf..(leg.phase + 1) * spf]);
            }
        }
    }

    /// After the mix: what every party on a leg at another rate heard,
    /// resampled to its rate once its leg frame is complete.
    fn legs_out_of_call(&mut self) {
        let spf = self.spf;
        for (i, p) in self.parties.iter_mut().enumerate() {
            if let Some(leg) = p.leg.as_deref_mut() {
                let heard = &self.outputs[i * spf..(i + 1) * spf];
                let clipped = if leg.ticks == 1 {
                    S::resample(&mut leg.out_of_call, heard, &mut leg.output, true)
                } else {
                    leg.heard[leg.phase * spf..(leg.phase + 1) * spf].copy_from_slice(heard);
                    if leg.phase + 1 == leg.ticks {
                        S::resample(&mut leg.out_of_call, &leg.heard, &mut leg.output, true)
                    } else {
                        0
                    }
                };
                p.stats.samples_clipped += clipped as u64;
            }
        }
    }

    /// The frames of the announcements that play a tone; a tone that has
    /// ended is recorded. Returns the disclosure announcement if its tone
    /// played to the customer to its end in this tick.
    fn play_tones(&mut self) -> Option<PartyId> {
        let mut disclosed = None;
        for i in 0..self.parties.len() {
            let Some(mut tone) = self.parties[i].tone.take() else {
                continue;
            };
            if self.parties[i].leg.as_ref().is_some_and(|l| l.phase != 0) {
                // A leg frame that spans several ticks is under way.
                self.parties[i].tone = Some(tone);
                continue;
            }
            tone.fill(self.input_at(i));
            let p = &mut self.parties[i];
            p.has_input = true;
            if tone.is_finished() {
                // Kept for the next tone: a tick frees nothing.
                p.spare_tone = Some(tone);
                p.update_plain();
                let (party, audience) = (p.id, p.seat.audience);
                self.record_in_tick(Event::ToneEnded {
                    party,
                    finished: true,
                    at: self.tick + 1,
                });
                let customer_heard = audience.includes(Role::Customer)
                    && self.parties.iter().any(|p| p.seat.role == Role::Customer);
                if self.disclosure == Some(party) && self.gated() && customer_heard {
                    // The gate lifts after this tick, its last of the
                    // disclosure: nobody listens to it or to what comes
                    // with it. On the audit trail, right after the tone's
                    // end.
                    disclosed = Some(party);
                    self.record_in_tick(Event::ConsentGiven {
                        by: ConsentBy::Disclosure(party),
                        at: self.tick + 1,
                    });
                }
            } else {
                p.tone = Some(tone);
            }
        }
        disclosed
    }

    /// After a control call that changed the routes: works them out and
    /// compiles the plan now, so that the tick after it runs the plan it
    /// finds. Another change before the tick works them out again.
    fn prepare(&mut self) {
        if !self.settled && !self.compiled && !self.general_only() {
            self.compiled_held = self.compile_routes();
            self.compiled = true;
        }
    }

    /// A change the routes of the next tick depend on that records no
    /// event (the ramp, a leg): routes already worked out for that tick are
    /// worked out again.
    fn rework_routes(&mut self) {
        if self.compiled {
            self.compiled = false;
            self.prepare();
        }
    }

    /// After a tick mixed from routes worked out for it: every route is
    /// where that tick left it (its gain at the end of the tick, and
    /// whether it is still held). Where routes ramped, every ramp ended
    /// within the tick: the ticks after it hear every route steadily at its
    /// target, and the plan settles. Only the routes that
    /// [move](Session::moving) are touched: every other one already is
    /// where the tick leaves it, at a gain that ramps nowhere.
    fn commit_routes(&mut self) {
        let n = self.parties.len();
        let ramps = self.plan.ramps();
        let gains = &mut self.tick_gains[..];
        if let Some(moving) = self.moving.routes() {
            for &(l, t) in moving {
                let (l, t) = (usize::from(l), usize::from(t));
                let state = self.parties.get_mut(l).and_then(|p| p.heard.get_mut(t));
                let route = (state, gains.get_mut(l * n + t));
                debug_assert!(route.0.is_some() && route.1.is_some(), "route {l} <- {t}");
                if let (Some(state), Some(g)) = route {
                    commit_route(state, g, ramps);
                }
            }
        } else {
            self.commit_all_routes(ramps);
        }
        if ramps {
            self.plan.settle();
        }
        // The tests check every committed route, and every settled plan
        // against a fresh compile.
        #[cfg(test)]
        self.check_commit(ramps);
    }

    /// [`Session::commit_routes`] when many routes move: one pass over the
    /// matrix.
    #[cold]
    fn commit_all_routes(&mut self, ramps: bool) {
        let n = self.parties.len();
        // Rows by index, not by `chunks_exact_mut`: no division.
        let gains = &mut self.tick_gains[..];
        for (l, p) in self.parties.iter_mut().enumerate() {
            let row = gains.get_mut(l * n..(l + 1) * n).unwrap_or_default();
            // The diagonal too: its gain is muted, and its state, which no
            // call can adjust, is `RouteState::NEW` and stays so.
            for (state, g) in p.heard.iter_mut().zip(row) {
                commit_route(state, g, ramps);
            }
        }
        let mut l = n;
        for tap in self.taps.iter_mut() {
            for heard in tap.heard.iter_mut() {
                let row = gains.get_mut(l * n..(l + 1) * n).unwrap_or_default();
                for (state, g) in heard.iter_mut().zip(row) {
                    commit_route(state, g, ramps);
                }
                l += 1;
            }
        }
    }

    /// For tests, after a commit: every route is where the tick left it
    /// (none moves any more, and none ramps), and a plan that settled is
    /// the plan of the steady matrix.
    #[cfg(test)]
    fn check_commit(&self, settled: bool) {
        let n = self.parties.len();
        let rows = self.parties.iter().map(|p| &p.heard[..]);
        let taps = self
            .taps
            .iter()
            .flat_map(|t| t.heard.iter().map(|h| &h[..]));
        for (l, heard) in rows.chain(taps).enumerate() {
            for (t, state) in heard.iter().enumerate() {
                let g = self.tick_gains[l * n + t];
                let at = state.current.linear().to_bits() == g.to.linear().to_bits();
                assert!(at, "route {l} <- {t} at its gain");
                assert_eq!(state.held_until, state.next_held, "route {l} <- {t} held");
                assert!(g.from == g.to || g.ramp == 0, "route {l} <- {t} ramps on");
            }
        }
        if settled {
            let rows = n + self.tap_rows(n);
            let mut compiled = Plan::default();
            compiled.compile::<S>(
                &self.tick_gains[..rows * n],
                n,
                rows,
                self.spf,
                self.general_only(),
            );
            assert_eq!(
                compiled, self.plan,
                "a settled plan is the plan of the steady matrix"
            );
            let diagonal = self.parties.iter().enumerate().all(|(l, p)| {
                let d = p.heard[l];
                d == RouteState::NEW && d.next_held == 0
            });
            assert!(diagonal, "no route from a party to itself");
        }
    }

    /// Replaces what no one may hear in the frames handed in this tick.
    fn sanitize_inputs(&mut self) {
        sanitize(&mut self.parties, &mut self.inputs, self.spf);
    }

    /// After a change: works out the route matrix of the next tick (every
    /// route's gain, ramping from the gain in force to its target), and
    /// compiles it into the plan. Every route ends the tick at its target,
    /// which [`Session::commit_routes`] records once the tick is mixed; until
    /// then the routes may be worked out again (another change before the
    /// tick), from the same state.
    ///
    /// A route from a talker on a leg of another format than the call's
    /// opens only once what the talker hands in after the change reaches
    /// the call: at the talker's next frame (a leg frame that spans several
    /// ticks was handed in before the change), and, for a leg at another
    /// rate, one tick later still (the first few ms of a frame, its
    /// resampler's delay, under the shortest frame, carry the frame before).
    /// So a supervisor on a browser leg who switches from whisper to barge
    /// is heard by the customer a tick or two after the switch, and never
    /// with a trace of the whisper. Returns whether a route is held, so
    /// that the next tick works out the routes again.
    fn compile_routes(&mut self) -> bool {
        let (n, ramp) = (self.parties.len(), self.ramp_samples);
        let general_only = self.general_only();
        let (call_rate, tick) = (self.format.rate(), self.tick);
        let gated = self.gated();
        // What every route from a talker needs, looked up once per talker.
        let mut talkers = [TalkerNow::NOBODY; MAX_PARTIES];
        for (now, p) in talkers.iter_mut().zip(&self.parties) {
            *now = TalkerNow::of(p, tick, call_rate);
        }
        let talkers = &talkers[..n.min(MAX_PARTIES)];
        let mut held_any = false;
        let mut moving = Moving::NONE;
        let mut rows = self.tick_gains.chunks_exact_mut(n.max(1));
        for (l, (listener, row)) in self.parties.iter_mut().zip(rows.by_ref()).enumerate() {
            // What is the same for all the listener's routes, once.
            let seat = listener.seat;
            let listens = listens(seat, gated);
            let routes = listener.heard.iter_mut().zip(row.iter_mut()).zip(talkers);
            for (t, ((state, gain), talker)) in routes.enumerate() {
                if t == l {
                    *gain = RouteGain::MUTED;
                    continue;
                }
                let target = target_gain(seat, listens, talker.seat, talker.volume, *state);
                *gain = next_route(state, target, talker.opens_at, ramp, tick);
                held_any |= state.next_held != 0;
                if moves(state, gain) {
                    moving.add(l, t);
                }
            }
        }
        for tap in self.taps.iter_mut() {
            let config = tap.tap;
            let channels = tap.heard.iter_mut().enumerate();
            for ((c, heard), row) in channels.zip(rows.by_ref()) {
                let routes = heard.iter_mut().zip(row.iter_mut()).zip(talkers);
                for (t, ((state, gain), talker)) in routes.enumerate() {
                    let target =
                        (!gated && tap_hears(config, c, t, talker.seat)).then_some(talker.volume);
                    *gain = next_route(state, target, talker.opens_at, ramp, tick);
                    held_any |= state.next_held != 0;
                    if moves(state, gain) {
                        // A tap's routes move seldom: all are moved then.
                        moving = Moving::ALL;
                    }
                }
            }
        }
        self.moving = moving;
        let rows = n + self.tap_rows(n);
        self.plan.compile::<S>(
            &self.tick_gains[..rows * n],
            n,
            rows,
            self.spf,
            general_only,
        );
        held_any
    }

    /// How many channels the taps have on a call of `parties` parties: the
    /// rows of the route matrix after the parties'.
    fn tap_rows(&self, parties: usize) -> usize {
        self.taps.iter().map(|t| t.tap.rows(parties)).sum()
    }

    /// Adds a recording tap: from the next tick it records the call as
    /// `config` says (see [`crate::tap`] for who is recorded on which
    /// channel). It changes nothing anybody hears. The tap's channels open
    /// with the session's ramp, as routes do; a tap added to a call under
    /// way starts with a few ms of fade-in. After [`MAX_TAPS`] taps the next
    /// is [`Error::TooManyTaps`].
    ///
    /// ```
    /// use barge::{Format, Mode, Role, Session, Tap, TapChannel};
    /// let mut call = Session::<i16>::new(Format::NARROWBAND_20MS);
    /// call.set_ramp(std::time::Duration::ZERO)?;
    /// let (c, a) = (call.join(Role::Customer)?, call.join(Role::Agent)?);
    /// let boss = call.join_supervisor(Mode::Whisper)?;
    /// let tap = call.add_tap(Tap::stereo())?; // whispers not recorded
    /// call.mix_frames(&[(c, &[100; 160]), (a, &[20; 160]), (boss, &[3; 160])])?;
    /// assert_eq!(call.tap_channel(tap, TapChannel::Customer)?[0], 100);
    /// assert_eq!(call.tap_channel(tap, TapChannel::Agent)?[0], 20);
    /// assert_eq!(&call.tap_frame(tap)?[..4], &[100, 20, 100, 20]); // left, right
    /// # Ok::<(), barge::Error>(())
    /// ```
    pub fn add_tap(&mut self, config: Tap) -> Result<TapId, Error> {
        if self.taps.len() >= MAX_TAPS {
            return Err(Error::TooManyTaps { max: MAX_TAPS });
        }
        let Some(next_tap) = self.next_tap.checked_add(1) else {
            return Err(Error::TapIdsExhausted {
                taps: u64::from(self.next_tap),
            });
        };
        let rate = config.rate().unwrap_or(self.format.rate());
        let format = Format::from_parts(rate, self.format.ptime());
        let id = TapId {
            call: self.call,
            n: self.next_tap,
        };
        let n = self.parties.len();
        let rows = config.rows(n);
        let mut tap = TapState {
            id,
            tap: config,
            format,
            heard: SmallVec::new(),
            mixed: Vec::new(),
            resamplers: Vec::new(),
            rated: Vec::new(),
            interleaved: Vec::new(),
            clipped: 0,
        };
        for _ in 0..rows {
            tap.add_channel(n, self.format);
        }
        if config.layout() == TapLayout::Stereo {
            tap.interleaved = alloc::vec![S::SILENCE; 2 * format.samples_per_frame()];
        }
        let all_rows = n + self.tap_rows(n) + rows;
        self.tick_gains.resize(all_rows * n, RouteGain::MUTED);
        self.plan.reserve(all_rows);
        self.next_tap = next_tap;
        self.taps.push(tap);
        self.record(Event::TapAdded {
            tap: id,
            config,
            at: self.tick,
        });
        self.prepare();
        Ok(id)
    }

    /// Removes a tap: from the next tick it records nothing, and its
    /// frames are gone. Its id is never reused.
    pub fn remove_tap(&mut self, tap: TapId) -> Result<(), Error> {
        let k = self.tap_index(tap)?;
        self.taps.remove(k);
        let n = self.parties.len();
        self.tick_gains.truncate((n + self.tap_rows(n)) * n);
        self.record(Event::TapRemoved { tap, at: self.tick });
        self.prepare();
        Ok(())
    }

    /// What `tap` recorded in the last tick, at its format ([`Session::tap_format`]):
    /// for a stereo tap both channels interleaved (left first: see
    /// [`Tap::left`]), for stems every party's stem one after the other, in
    /// the order of [`Session::parties`]. Silence before the tap's first
    /// tick.
    pub fn tap_frame(&self, tap: TapId) -> Result<&[S], Error> {
        let t = &self.taps[self.tap_index(tap)?];
        Ok(match t.tap.layout() {
            TapLayout::Stereo => &t.interleaved,
            TapLayout::Stems if t.resampled() => &t.rated,
            TapLayout::Stems => &t.mixed,
        })
    }

    /// One channel of a stereo tap, as it recorded it in the last tick. A
    /// tap of stems is [`Error::NotStereo`].
    pub fn tap_channel(&self, tap: TapId, channel: TapChannel) -> Result<&[S], Error> {
        let t = &self.taps[self.tap_index(tap)?];
        if t.tap.layout() != TapLayout::Stereo {
            return Err(Error::NotStereo { tap });
        }
        Ok(t.channel(match channel {
            TapChannel::Customer => 0,
            TapChannel::Agent => 1,
        }))
    }

    /// What `tap` recorded of `party` in the last tick: what the party said,
    /// after its volume, or silence where it said nothing or the tap does
    /// not record it. A stereo tap is [`Error::NotStems`].
    pub fn tap_stem(&self, tap: TapId, party: PartyId) -> Result<&[S], Error> {
        let t = &self.taps[self.tap_index(tap)?];
        let i = self.index(party)?;
        if t.tap.layout() != TapLayout::Stems {
            return Err(Error::NotStems { tap });
        }
        Ok(t.channel(i))
    }

    /// The format of `tap`'s channels: the rate it was added at, the call's
    /// frame duration.
    pub fn tap_format(&self, tap: TapId) -> Result<Format, Error> {
        Ok(self.taps[self.tap_index(tap)?].format)
    }

    /// What `tap` records, and how.
    pub fn tap(&self, tap: TapId) -> Result<TapInfo, Error> {
        Ok(tap_info(&self.taps[self.tap_index(tap)?]))
    }

    /// Every tap on the call, in order of adding.
    pub fn taps(&self) -> impl Iterator<Item = TapInfo> + '_ {
        self.taps.iter().map(tap_info)
    }

    fn tap_index(&self, tap: TapId) -> Result<usize, Error> {
        if tap.call != self.call {
            return Err(Error::ForeignTap { tap });
        }
        self.taps
            .iter()
            .position(|t| t.id == tap)
            .ok_or(Error::UnknownTap { tap })
    }

    /// What `party` heard in the last tick, at its leg's format: silence
    /// before its first tick.
    pub fn output(&self, party: PartyId) -> Result<&[S], Error> {
        let (i, p) = self.find(party)?;
        Ok(match p.leg.as_deref() {
            Some(leg) => &leg.output,
            None => &self.outputs[i * self.spf..(i + 1) * self.spf],
        })
    }

    /// What every party heard in the last tick, in the parties' order (as
    /// [`Session::parties`] lists them), each with its id: what
    /// [`Session::output`] gives for each, without a look-up per party.
    ///
    /// ```
    /// use barge::{Format, Role, Session};
    /// let mut call = Session::<i16>::new(Format::NARROWBAND_20MS);
    /// call.set_ramp(std::time::Duration::ZERO)?;
    /// let (c, a) = (call.join(Role::Customer)?, call.join(Role::Agent)?);
    /// call.mix_frames(&[(c, &[100; 160]), (a, &[20; 160])])?;
    /// let heard: Vec<_> = call.outputs().map(|(id, frame)| (id, frame[0])).collect();
    /// assert_eq!(heard, [(c, 20), (a, 100)]);
    /// # Ok::<(), barge::Error>(())
    /// ```
    pub fn outputs(&self) -> impl ExactSizeIterator<Item = (PartyId, &[S])> + '_ {
        let (spf, mut rest) = (self.spf, &self.outputs[..]);
        // One frame after another, not by `chunks_exact`: no division.
        self.parties.iter().map(move |p| {
            let (frame, after) = rest.split_at(spf.min(rest.len()));
            rest = after;
            let frame = match p.leg.as_deref() {
                Some(leg) => &leg.output[..],
                None => frame,
            };
            (p.id, frame)
        })
    }

    /// The next entry of the audit trail, oldest first; `None` when there
    /// is nothing more. Drain it after control calls or after each tick;
    /// entries wait until drained, up to [`Session::event_limit`] of them.
    /// Where older entries had to be dropped, an [`Event::Dropped`] comes
    /// first and says how many.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        let (count, first_at, at) = self.dropped;
        if count != 0 {
            self.dropped = (0, 0, 0);
            return Some(Event::Dropped {
                count,
                first_at,
                at,
            });
        }
        self.events.pop_front()
    }

    /// The most events the audit trail holds undrained; [`DEFAULT_EVENT_LIMIT`]
    /// for a new session.
    pub fn event_limit(&self) -> usize {
        self.event_limit
    }

    /// Sets how many undrained events the audit trail holds. When an event
    /// is recorded with the trail full, the oldest undrained one is dropped
    /// and counted, and [`Session::poll_event`] reports the count in an
    /// [`Event::Dropped`] before the events that were kept; nothing is
    /// dropped silently. A limit below the number of events waiting drops
    /// the oldest of them at once, counted the same way. Zero keeps none,
    /// only the count.
    ///
    /// The trail's memory grows with the events waiting and never beyond
    /// the limit; it is allocated as they are recorded, so a host that
    /// drains every tick keeps it small.
    pub fn set_event_limit(&mut self, limit: usize) {
        self.event_limit = limit;
        while self.events.len() > limit {
            self.drop_oldest_event();
        }
        if self.events.capacity() > limit.max(8).saturating_mul(2) {
            self.events.shrink_to(limit);
        }
        self.reserve_events();
    }

    /// How many events are waiting to be drained, the [`Event::Dropped`]
    /// marker included.
    pub fn events_pending(&self) -> usize {
        self.events.len() + usize::from(self.dropped.0 != 0)
    }

    fn drop_oldest_event(&mut self) {
        if let Some(e) = self.events.pop_front() {
            self.count_dropped(e.at());
        }
    }

    fn count_dropped(&mut self, at: u64) {
        let (count, first_at, _) = self.dropped;
        let first_at = if count == 0 { at } else { first_at };
        self.dropped = (count.saturating_add(1), first_at, at);
    }

    /// A party's role, mode, volume and counters.
    pub fn party(&self, party: PartyId) -> Result<PartyInfo, Error> {
        Ok(info(&self.parties[self.index(party)?]))
    }

    /// Whether `party` plays a tone: [`PartyInfo::playing`] without the
    /// rest of [`Session::party`] (the errors are its).
    pub(crate) fn playing(&self, party: PartyId) -> Result<bool, Error> {
        Ok(self.parties[self.index(party)?].tone.is_some())
    }

    /// Every party on the call, in order of joining.
    pub fn parties(&self) -> impl Iterator<Item = PartyInfo> + '_ {
        self.parties.iter().map(info)
    }

    /// How many parties are on the call.
    pub fn len(&self) -> usize {
        self.parties.len()
    }

    /// Whether nobody is on the call.
    pub fn is_empty(&self) -> bool {
        self.parties.is_empty()
    }

    #[cfg(test)]
    fn general_only(&self) -> bool {
        self.general_only
    }

    #[cfg(not(test))]
    #[inline(always)]
    fn general_only(&self) -> bool {
        false
    }

    /// Records a change: it goes on the audit trail, and every route is
    /// worked out afresh (by the control call, [`Session::prepare`], or
    /// else by the next tick).
    fn record(&mut self, event: Event) {
        self.settled = false;
        self.compiled = false;
        if self.event_limit == 0 {
            self.count_dropped(event.at());
            return;
        }
        if self.events.len() >= self.event_limit {
            self.drop_oldest_event();
        }
        self.events.push_back(event);
        self.reserve_events();
    }

    /// Leaves room on the audit trail for the events a tick may record
    /// ([`Session::record_in_tick`]), so that recording them allocates
    /// nothing.
    fn reserve_events(&mut self) {
        self.tick_room = EVENTS_PER_TICK.min(self.event_limit);
        self.events.reserve(self.tick_room);
    }

    /// Records an event that a tick (not a control call) sets off: a tone
    /// that ends. Allocates nothing: the last control call that succeeded
    /// left room for [`EVENTS_PER_TICK`] more; where that is used up, the
    /// event counts as dropped ([`Event::Dropped`]).
    fn record_in_tick(&mut self, event: Event) {
        self.settled = false;
        self.compiled = false;
        if self.event_limit == 0 {
            self.count_dropped(event.at());
            return;
        }
        if self.events.len() >= self.event_limit {
            // Full: the oldest makes way, in the room it leaves.
            self.drop_oldest_event();
            self.events.push_back(event);
        } else if self.tick_room > 0 {
            self.tick_room -= 1;
            self.events.push_back(event);
        } else {
            self.count_dropped(event.at());
        }
    }

    /// [`Session::index`] and the party there.
    #[inline]
    fn find(&self, party: PartyId) -> Result<(usize, &Party<S>), Error> {
        let parties: &[Party<S>] = &self.parties;
        let at = party.n as usize;
        match parties.get(at) {
            // The party at its id's position (see `index`).
            Some(p) if p.id == party => Ok((at, p)),
            _ => self.find_moved(party),
        }
    }

    /// [`Session::find`] for a party not at its id's position.
    #[cold]
    #[inline(never)]
    fn find_moved(&self, party: PartyId) -> Result<(usize, &Party<S>), Error> {
        let i = self.index(party)?;
        Ok((i, &self.parties[i]))
    }

    fn index(&self, party: PartyId) -> Result<usize, Error> {
        if party.call != self.call {
            return Err(Error::ForeignParty { party });
        }
        // Parties stay in order of joining and ids count joins, so a party
        // sits at its id's position until someone before it leaves.
        let at = party.n as usize;
        if self.parties.get(at).is_some_and(|p| p.id == party) {
            return Ok(at);
        }
        match self.parties.iter().position(|p| p.id == party) {
            Some(i) => Ok(i),
            None if party.n < self.next_id => Err(Error::PartyLeft { party }),
            // Only a clone of this session that joined more parties since
            // the snapshot hands out such an id.
            None => Err(Error::UnknownParty { party }),
        }
    }

    /// Whether `party`, on the call, has handed in its frame for the next
    /// tick.
    pub(crate) fn has_frame(&self, party: PartyId) -> bool {
        self.index(party).is_ok_and(|i| self.parties[i].has_input)
    }

    fn route_index(&self, listener: PartyId, talker: PartyId) -> Result<(usize, usize), Error> {
        let l = self.index(listener)?;
        let t = self.index(talker)?;
        if l == t {
            return Err(Error::SelfRoute { party: listener });
        }
        Ok((l, t))
    }
}

/// Whether party `p` needs nothing of a tick but the plan: it plays no
/// tone, is on no leg at another format and has no digits detected.
#[inline(always)]
fn is_plain<S>(p: &Party<S>) -> bool {
    debug_assert_eq!(
        p.plain,
        p.tone.is_none() && p.leg.is_none() && p.dtmf.is_none(),
        "plain is kept up to date"
    );
    p.plain
}

/// A tick on the steady path: the plan `plan` runs over `frame(t)` (every
/// party's frame, all handed in, clean unless the plan sanitizes itself)
/// into `outputs` and the taps, with `gains` for a tick whose routes
/// changed ([`run_plan`]), and each party's statistics count it. Returns
/// `false`, having changed nothing the general path does not redo, when a
/// frame needs cleaning after all.
#[inline(always)]
fn steady_tick<'a, S: Sample + 'a>(
    plan: &Plan,
    gains: Option<(&[RouteGain], &[S::KGain])>,
    parties: &mut [Party<S>],
    outputs: &mut [S],
    taps: &mut [TapState<S>],
    frame: impl Fn(usize) -> &'a [S],
    spf: usize,
) -> bool {
    let sanitized = !plan.sanitizes_itself();
    if taps.is_empty() {
        // No tap: every row is a party's.
        let clipped = |l: usize, k: usize| {
            if let Some(p) = parties.get_mut(l) {
                p.stats.samples_clipped += k as u64;
            }
        };
        let none = core::iter::empty();
        if run_plan(plan, gains, frame, outputs, none, spf, sanitized, clipped).is_err() {
            return false;
        }
    } else {
        let mut clips = TapClips::new(parties.len(), taps);
        let clipped = |l: usize, k: usize| clips.count(parties, l, k);
        let frames = taps.iter_mut().map(|t| &mut t.mixed[..]);
        if run_plan(plan, gains, frame, outputs, frames, spf, sanitized, clipped).is_err() {
            return false;
        }
        clips.finish(taps, spf);
    }
    // By index: no division for the trip count.
    for i in 0..parties.len() {
        if let Some(p) = parties.get_mut(i) {
            p.stats.frames_mixed += 1;
            p.has_input = false;
        }
    }
    true
}

/// Runs `plan` on the steady path: its steady run, or with `gains`, the
/// route matrix of a tick whose routes changed and the session's opening
/// ramp, as the general path runs it with every party's frame handed in.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn run_plan<'a, 'o, S: Sample + 'a + 'o>(
    plan: &Plan,
    gains: Option<(&[RouteGain], &[S::KGain])>,
    frame: impl Fn(usize) -> &'a [S],
    outputs: &'o mut [S],
    taps: impl Iterator<Item = &'o mut [S]>,
    len: usize,
    sanitized: bool,
    clipped: impl FnMut(usize, usize),
) -> Result<(), NeedsSanitizing> {
    match gains {
        None => plan.run_steady(frame, outputs, taps, len, sanitized, clipped),
        Some((gains, open)) => {
            let all = u32::MAX;
            plan.run(
                gains, open, frame, outputs, taps, len, all, sanitized, clipped,
            )
        }
    }
}

/// The samples a tick clipped, counted as the plan reports them by row:
/// a party's on its statistics, a tap channel's on its tap.
struct TapClips {
    /// Where each tap's rows end (the rows after the parties', in order).
    ends: [usize; MAX_TAPS],
    clips: [u64; MAX_TAPS],
}

impl TapClips {
    #[inline(always)]
    fn new<S>(parties: usize, taps: &[TapState<S>]) -> TapClips {
        let mut ends = [0usize; MAX_TAPS];
        let mut end = parties;
        for (t, e) in taps.iter().zip(&mut ends) {
            end += t.heard.len();
            *e = end;
        }
        TapClips {
            ends,
            clips: [0; MAX_TAPS],
        }
    }

    /// `k` samples of row `l` clipped.
    #[inline(always)]
    fn count<S>(&mut self, parties: &mut [Party<S>], l: usize, k: usize) {
        if let Some(p) = parties.get_mut(l) {
            p.stats.samples_clipped += k as u64;
        } else if let Some(t) = self.ends.iter().position(|&e| l < e) {
            self.clips[t] += k as u64;
        }
    }

    /// After the mix: each tap counts its clips and finishes its frame.
    #[inline(always)]
    fn finish<S: Sample>(self, taps: &mut [TapState<S>], spf: usize) {
        for (t, clips) in taps.iter_mut().zip(self.clips) {
            t.clipped += clips;
            t.finish(spf);
        }
    }
}

/// Replaces what no one may hear in the frames `parties` handed in this
/// tick, counting it in their stats.
fn sanitize<S: Sample>(parties: &mut [Party<S>], inputs: &mut [S], spf: usize) {
    for (i, p) in parties.iter_mut().enumerate() {
        // By index, not by `chunks_exact_mut`: no division.
        match inputs.get_mut(i * spf..(i + 1) * spf) {
            Some(frame) if p.has_input && S::needs_sanitizing(frame) => {
                p.stats.samples_non_finite += S::sanitize(frame) as u64;
            }
            _ => {}
        }
    }
}

fn info<S>(p: &Party<S>) -> PartyInfo {
    PartyInfo {
        id: p.id,
        role: p.seat.role,
        mode: (p.seat.role == Role::Supervisor).then_some(p.seat.mode),
        records_whisper: p.seat.role == Role::Recorder && p.seat.records_whisper,
        volume: p.volume,
        identity: p.identity().copied(),
        audience: (p.seat.role == Role::Announcement).then_some(p.seat.audience),
        playing: p.tone.is_some(),
        stats: p.stats,
    }
}

fn tap_info<S>(t: &TapState<S>) -> TapInfo {
    TapInfo {
        id: t.id,
        config: t.tap,
        format: t.format,
        samples_clipped: t.clipped,
    }
}

/// Writes `left` and `right` into `out` as pairs, left first.
fn interleave<S: Copy>(out: &mut [S], left: &[S], right: &[S]) {
    let n = left.len().min(right.len()).min(out.len() / 2);
    let (out, left, right) = (&mut out[..2 * n], &left[..n], &right[..n]);
    // Fixed-size pairs and equal lengths: the loop runs without bounds
    // checks, and vectorises.
    for (pair, (&a, &b)) in out.chunks_exact_mut(2).zip(left.iter().zip(right)) {
        pair[0] = a;
        pair[1] = b;
    }
}

/// Whether channel `c` of `tap` records the party at `t`, in `seat`.
fn tap_hears(tap: Tap, c: usize, t: usize, seat: Seat) -> bool {
    if !tap.records(seat) {
        return false;
    }
    match tap.layout() {
        TapLayout::Stereo => {
            let side = if c == 0 {
                TapChannel::Customer
            } else {
                TapChannel::Agent
            };
            TapChannel::of(seat.role) == Some(side)
        }
        TapLayout::Stems => c == t,
    }
}

/// What the routes from one talker need to know for a tick.
#[derive(Debug, Clone, Copy)]
struct TalkerNow {
    seat: Seat,
    volume: Gain,
    /// The first tick in which a route from it that opens may be heard
    /// (see [`next_route`]).
    opens_at: u64,
}

impl TalkerNow {
    /// A place holder.
    const NOBODY: TalkerNow = TalkerNow {
        seat: Seat::new(Role::Recorder),
        volume: Gain::MUTED,
        opens_at: 0,
    };

    /// Party `p` as a talker in the tick `tick`, of a call at `call_rate`.
    ///
    /// A route from a talker on a leg of another format than the call's
    /// opens only once what the talker hands in after the change reaches
    /// the call: at the talker's next frame (a leg frame that spans several
    /// ticks was handed in before the change), and, for a leg at another
    /// rate, one tick later still (the first few ms of a frame, its
    /// resampler's delay, under the shortest frame, carry the frame
    /// before).
    #[inline(always)]
    fn of<S>(p: &Party<S>, tick: u64, call_rate: crate::format::SampleRate) -> TalkerNow {
        let opens_at = match p.leg.as_deref() {
            Some(leg) => {
                let fresh = if leg.phase == 0 {
                    0
                } else {
                    leg.ticks - leg.phase
                };
                let memory = u64::from(leg.format.rate() != call_rate);
                tick + fresh as u64 + memory
            }
            None => tick,
        };
        TalkerNow {
            seat: p.seat,
            volume: p.volume,
            opens_at,
        }
    }
}

/// The gain in the tick `tick` of a route in `state`, whose gain once every
/// ramp is over is `target` (`None`: the modes close it), from a talker
/// whose routes that open may be heard from the tick `opens_at`
/// ([`TalkerNow::of`]). `state.next_held` becomes what `state.held_until`
/// is after the tick; the rest of `state` is left as it is, so that the
/// routes of a tick may be worked out again after another change before
/// it is mixed ([`Session::commit_routes`] moves the route on).
///
/// Until the talker can be heard a route that opens is held closed, and
/// `held_until` says from which tick it may open.
#[inline(always)]
fn next_route(
    state: &mut RouteState,
    target: Option<Gain>,
    opens_at: u64,
    ramp: usize,
    tick: u64,
) -> RouteGain {
    let g = match target {
        Some(target) => RouteGain::ramp(state.current, target, ramp),
        // Closed by the mode table: close at once. A ramp down would let the
        // first milliseconds of a whisper reach the customer, or a
        // monitoring supervisor be heard at all.
        None => RouteGain::MUTED,
    };
    let opens = state.current.is_muted() && !g.to.is_muted();
    if !opens && state.held_until == 0 {
        // Held only where it opens: the usual route.
        state.next_held = 0;
        return g;
    }
    let until = match (opens, state.held_until) {
        (true, 0) => opens_at,
        (true, until) => until,
        _ => tick,
    };
    let held = until > tick;
    state.next_held = if held { until } else { 0 };
    if held {
        RouteGain::MUTED
    } else {
        g
    }
}

/// Whether mixing a tick at `gain` moves the route: its gain at the end of
/// the tick, or whether it is held, changes. A route that does not move
/// ramps nowhere: its gain starts where it ends (`next_route` ramps from
/// the gain in force).
#[inline(always)]
fn moves(state: &RouteState, gain: &RouteGain) -> bool {
    let same = |a: Gain, b: Gain| a.linear().to_bits() == b.linear().to_bits();
    !same(state.current, gain.to) || state.held_until != state.next_held
}

/// Moves a route to where the tick mixed at `gain` leaves it; after a tick
/// in which routes ramped (`ramps`), its gain is steady at its target.
#[inline(always)]
fn commit_route(state: &mut RouteState, gain: &mut RouteGain, ramps: bool) {
    state.current = gain.to;
    state.held_until = state.next_held;
    if ramps {
        *gain = RouteGain::steady(gain.to);
    }
}

/// The routes a working out of the route matrix finds to move
/// ([`moves`]) when the tick is mixed: the parties' routes by listener
/// and talker, up to [`Moving::MAX`] of them, or, beyond or where a tap's
/// route moves, all (the commit then passes over the whole matrix). A
/// change moves a route or two: a supervisor's mode, a volume.
#[derive(Debug, Clone, Copy)]
struct Moving {
    routes: [(u8, u8); Moving::MAX],
    /// How many of `routes` move; `u8::MAX` for all.
    len: u8,
}

impl Moving {
    const MAX: usize = 6;
    const NONE: Moving = Moving {
        routes: [(0, 0); Moving::MAX],
        len: 0,
    };
    const ALL: Moving = Moving {
        routes: [(0, 0); Moving::MAX],
        len: u8::MAX,
    };

    /// The route from talker `t` to listener `l` moves.
    #[inline(always)]
    fn add(&mut self, l: usize, t: usize) {
        let len = usize::from(self.len);
        match (self.routes.get_mut(len), u8::try_from(l), u8::try_from(t)) {
            (Some(route), Ok(l), Ok(t)) => {
                *route = (l, t);
                self.len += 1;
            }
            _ => *self = Moving::ALL,
        }
    }

    /// The routes that move, unless all do.
    #[inline(always)]
    fn routes(&self) -> Option<&[(u8, u8)]> {
        self.routes.get(..usize::from(self.len))
    }
}

/// The gains of a route that opens over `samples` samples: the session's
/// [`Session::open_ramp`].
fn open_ramp<S: Sample>(samples: usize) -> Vec<S::KGain> {
    let mut gains = alloc::vec![S::kgain(0.0); samples];
    crate::kernel::open_gains::<S>(&mut gains);
    gains
}

/// Whether a listener in `seat` may hear anyone this tick: before the
/// disclosure only the call's own parties listen.
#[inline(always)]
fn listens(seat: Seat, gated: bool) -> bool {
    !(gated && matches!(seat.role, Role::Supervisor | Role::Recorder))
}

/// The gain at which a listener in `seat` (who [`listens`] or not) hears
/// a talker in `talker` at `volume`, whose route is in `state`, once every
/// ramp is over; `None` where the modes close the route.
#[inline(always)]
fn target_gain(
    seat: Seat,
    listens: bool,
    talker: Seat,
    volume: Gain,
    state: RouteState,
) -> Option<Gain> {
    if !listens || !mode_allows(seat, talker) {
        return None;
    }
    Some(match state.adjusted {
        Some(g) => g.then(volume),
        None => volume,
    })
}

#[cfg(test)]
mod test {
    use super::*;

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
        let d = s.join_announcement(crate::Audience::EVERYONE).unwrap();
        let tone = crate::ToneSpec::single(1000.0, -10.0, crate::tone::Cadence::once(10));
        s.play(d, &tone).unwrap();
        s.require_disclosure(crate::BeforeDisclosure::RefuseJoins)
            .unwrap();
        // The tone ends in this tick: its event takes some of the room.
        s.mix();
        assert!(s.tick_room < EVENTS_PER_TICK);
        while s.poll_event().is_some() {}
        let before = s.clone();
        let refused = s.join_supervisor(Mode::Monitor);
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
        assert!(s.join_supervisor(Mode::Barge).is_err(), "no id is reused");
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
            copied.join_supervisor(Mode::Barge).unwrap(),
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
        let r = s.join_recorder(true).unwrap();
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
            fast.join_supervisor(Mode::Barge).unwrap();
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
                        Op::JoinRecorder(w) if ids.len() < 4 => s.join_recorder(w).map(|_| ()),
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
        fn settled_calls_of_the_common_shapes_take_the_steady_path() {
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
                        s.join_supervisor(m).unwrap();
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
                    s.join_supervisor(m).unwrap();
                }
                calls.push(s);
            }
            for mut s in calls {
                // The ramps of the joins, worked out by the joins: the
                // steady path's entry for a prepared tick.
                tick_borrowed(&mut s, true);
                assert_eq!((s.steady_ticks, s.prepared_ticks), (0, 1));
                tick_borrowed(&mut s, true);
                assert_eq!(s.steady_ticks, 1, "{} parties", s.parties.len());
                let ids: alloc::vec::Vec<PartyId> = s.parties.iter().map(|p| p.id).collect();
                for &id in &ids {
                    s.put_frame(id, &[7; 160]).unwrap();
                }
                s.mix();
                assert_eq!(s.steady_ticks, 2, "mix after put_frame");
                // Out of order, or with a party missing: the general path.
                tick_borrowed(&mut s, false);
                s.mix_frames(&[(ids[0], &[1; 160])]).unwrap();
                s.mix();
                assert_eq!(s.steady_ticks, 2);
                // What the steady path heard is what the plan hears.
                let mut general = s.clone();
                general.general_only = true;
                tick_borrowed(&mut s, true);
                tick_borrowed(&mut general, true);
                assert_eq!(s.steady_ticks, 3);
                assert_eq!(s, general);
                // A change and back: each tick after one is prepared, ramps,
                // and hears what the reference hears; -6 dB is not unity
                // (the general path), 0 dB steady again.
                for (db, ticks) in [(-6.0, (3, 2)), (0.0, (3, 3))] {
                    s.set_volume(ids[0], db).unwrap();
                    general.set_volume(ids[0], db).unwrap();
                    tick_borrowed(&mut s, true);
                    tick_borrowed(&mut general, true);
                    assert_eq!((s.steady_ticks, s.prepared_ticks), ticks);
                    assert_eq!(s, general);
                    tick_borrowed(&mut s, true);
                    tick_borrowed(&mut general, true);
                    assert_eq!(s, general);
                }
                assert_eq!(s.steady_ticks, 4);
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
                    s.join_supervisor(first).unwrap();
                    s.join_supervisor(second).unwrap();
                    tick_borrowed(&mut s, true);
                    tick_borrowed(&mut s, true);
                    assert_eq!(s.steady_ticks, 1);
                    let four = s.plan.four().expect("a four-party pass");
                    assert!(
                        crate::kernel::FOUR_PATTERNS.contains(&four),
                        "{first:?}, {second:?}: {four:#06x}"
                    );
                }
            }
        }

        #[test]
        fn a_tone_a_leg_or_a_detector_takes_the_general_path() {
            let barge = || {
                let (mut s, _, _, v) = call();
                s.set_mode(v, Mode::Barge).unwrap();
                tick_borrowed(&mut s, true);
                tick_borrowed(&mut s, true);
                assert_eq!((s.steady_ticks, s.prepared_ticks), (1, 1));
                (s, v)
            };
            let (mut s, v) = barge();
            s.detect_dtmf(v, true).unwrap();
            tick_borrowed(&mut s, true);
            tick_borrowed(&mut s, true);
            assert_eq!((s.steady_ticks, s.prepared_ticks), (1, 1), "a detector");
            let (mut s, v) = barge();
            s.set_leg_format(v, Format::new(16_000, 20).unwrap())
                .unwrap();
            let ids: alloc::vec::Vec<PartyId> = s.parties.iter().map(|p| p.id).collect();
            for _ in 0..2 {
                s.mix_frames(&[(ids[0], &[1; 160]), (ids[1], &[2; 160]), (v, &[3; 320])])
                    .unwrap();
            }
            assert_eq!((s.steady_ticks, s.prepared_ticks), (1, 1), "a leg");
            let (mut s, _) = barge();
            let tone = s
                .join_announcement(crate::route::Audience::EVERYONE)
                .unwrap();
            s.play(tone, &crate::tone::ToneSpec::JOIN_BEEP).unwrap();
            s.mix();
            s.mix();
            assert_eq!((s.steady_ticks, s.prepared_ticks), (1, 1), "a tone");
        }
    }
}
