//! `session_ops`: an arbitrary sequence of every control call the API has,
//! frames, event draining and ticks on one [`Session`], checked after every
//! call and every tick against a reference model ([`Model`]), five
//! shadow sessions, a twin and a twin without taps.
//!
//! - Every call returns what the model predicts, error for error: joins in
//!   every role and mode, leaves, all five modes, route gains and volumes on
//!   any pair or party (supervisors and recorders included), ramps, event
//!   limits, frames of wrong lengths and duplicate frames, and ids of
//!   parties that left, of another session (a second session the harness
//!   keeps, whose ids have the same numbers: [`Error::ForeignParty`]) and
//!   of a snapshot's later joins ([`Error::UnknownParty`]). A call that
//!   fails leaves the session exactly as it was (`==`, and its full `Debug`
//!   state for a small session).
//! - The audit trail holds what the model's bounded trail holds: events
//!   only for real changes, the oldest dropped when full, and one
//!   [`Event::Dropped`] (count, ticks of the first and last dropped) before
//!   the events kept; `events_pending` and `event_limit` after every call.
//! - Every output of every tick matches the reference mixer bit for bit,
//!   and so do the per-party statistics; `frames_mixed + frames_missing`
//!   is the number of ticks the party was present for. Route gains apply
//!   only where the modes open a route; a route the modes close closes at
//!   once, routes that open and gains that change ramp.
//! - Privacy, with no exemption: in a shadow session in which some talkers
//!   send no frame or a different one, every listener that the mode table
//!   keeps from all of those talkers (or that is one of them) hears the
//!   same output bit for bit. The shadows hide, each tick: one talker (in
//!   turn); everyone kept from one listener (in turn); every talker kept
//!   from everyone (monitoring supervisors, recorders); every talker kept
//!   from a customer. So a monitoring supervisor or a recorder reaches
//!   nobody, a whisper never reaches a customer, and nobody hears
//!   themselves.
//! - An `f32` output is always finite and within full scale.
//! - Recording taps: `add_tap` in every layout, with and without whispers
//!   and supervisors, swapped or not, at every rate (the call's among
//!   them; an unsupported one is refused by `Tap::at_rate`), up to
//!   [`MAX_TAPS`]; `remove_tap`; `tap_frame`, `tap_channel` (both channels,
//!   [`Error::NotStereo`] on stems), `tap_stem` ([`Error::NotStems`] on
//!   stereo) with parties present, gone or foreign, `tap_format`, `tap`
//!   and `taps`; with ids of taps on the call, removed, of a snapshot's
//!   later adds ([`Error::UnknownTap`]) and of other sessions
//!   ([`Error::ForeignTap`]). Every result and error as the model says, a
//!   failing call changes nothing, and `TapAdded` / `TapRemoved` are on the
//!   trail. After every tick: a tap's frame is 2 × its samples per frame
//!   (stereo, interleaved left first as `swapped` says) or one stem per
//!   party in order, every sample valid; a channel at the call's rate on
//!   which no leg at another rate is heard is the reference mix of the
//!   talkers it records at their volume (ramping in, closing at once), and
//!   so is its clipped count; every tap is as in the twin. Every party
//!   hears what it hears in a twin that never had a tap, bit for bit, with
//!   the same statistics. And every channel that records none of what a
//!   shadow hid this tick (a fifth shadow hides every supervisor) is as in
//!   that shadow: a tap without whispers holds nothing of a supervisor in
//!   whisper or private whisper, one without supervisors nothing of any
//!   supervisor, none anything of a monitoring supervisor or a recorder,
//!   and a stem nothing but its own party. Taps at another rate than the
//!   call's restart the shadows from the twin after each tick, as legs at
//!   other rates do, so that a resampler's memory holds only what was
//!   recorded.
//! - Announcements, cues, the keypad and compliance: `join_announcement`,
//!   `set_audience`, `play`, `stop`, `set_cue`, `set_dtmf_map`, `press`,
//!   `detect_dtmf` (with DTMF tones in a supervisor's frames), `join_as`,
//!   `join_supervisor_as`, `set_policy`, `require_disclosure`,
//!   `record_consent`, `set_disclosure`, `consent`, `routes`,
//!   `media_time`. The model plays tones with its own [`ToneGenerator`]
//!   and listens for digits with its own [`DtmfDetector`], so every
//!   listener of an announcement is predicted bit for bit (exactly its
//!   audience, taps on the agent side iff recorders are in it), a digit is
//!   muted from the frame that recognises it and switches the mode from the
//!   next tick. Refusals follow the grant rule of [`PolicyArg::granted`],
//!   written from the policy docs; a refused call changes nothing but the
//!   trail. After every operation each supervisor on a call with a policy
//!   is in a mode granted on every agent there; while the consent gate is
//!   pending no supervisor, recorder or tap hears anything.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use arbitrary::{Arbitrary, Unstructured};
use barge::dtmf::{Digit, DtmfDetector, DtmfEvent};
use barge::keypad::DtmfMap;
use barge::policy::{AgentKeys, Agents, Supervisors};
use barge::tone::{Cadence, Repeat};
use barge::{
    Audience, BeforeDisclosure, Consent, ConsentBy, Cue, CueOn, Error, Event, Format, Gain,
    Grant, Identity, Label, Mode, ModeSet, PartyId, Policy, Reason, Refusal, Role, Session, Tap,
    TapChannel, TapId, TapLayout, ToneGenerator, ToneSpec, DEFAULT_EVENT_LIMIT, MAX_PARTIES,
    MAX_TAPS,
};

use crate::cycle;
use crate::reference::{audience_bit, table_allows, RefMode, RefRole, RefSample, RefTalker};

/// One fuzz case: a format, a sample type and a sequence of operations.
#[derive(Debug, Clone)]
pub struct Input {
    /// `f32` samples instead of `i16`.
    pub float: bool,
    /// Below 192: 8 kHz; else an index into the supported rates.
    pub rate: u8,
    /// Index into the supported frame durations (10 or 20 ms at 8 kHz).
    pub ptime: u8,
    /// What the host does, in order.
    pub ops: Vec<Op>,
}

/// A party as the fuzzer picks it:
///
/// - `0..=191`: an id this session handed out (on the call or gone), by
///   its position among them;
/// - `192..=223`: an id of the harness's other session with the number of
///   one this session handed out ([`Error::ForeignParty`]);
/// - `224..=239`: an id that a snapshot of this session, taken before any
///   join, hands out after this session's last join
///   ([`Error::UnknownParty`]);
/// - `240..=255` (or any, before the first join): an id of yet another
///   session, with any number up to ~1800 ([`Error::ForeignParty`]).
#[derive(Debug, Clone, Copy)]
pub struct Who(pub u8);

impl Who {
    /// The first byte that picks an id of the other session.
    pub const FOREIGN: u8 = 192;
    /// The first byte that picks an id of a snapshot's later join.
    pub const UNKNOWN: u8 = 224;
    /// The first byte that picks an id of a session with any number.
    pub const STRAY: u8 = 240;
}

/// A role to join as.
#[derive(Debug, Clone, Copy)]
pub enum RoleArg {
    /// `Role::Customer`.
    Customer,
    /// `Role::Agent`.
    Agent,
    /// `Role::Supervisor`.
    Supervisor,
    /// `Role::Recorder`.
    Recorder,
}

/// A supervisor mode.
#[derive(Debug, Clone, Copy)]
pub enum ModeArg {
    /// `Mode::Monitor`.
    Monitor,
    /// `Mode::Whisper`.
    Whisper,
    /// `Mode::PrivateWhisper`.
    PrivateWhisper,
    /// `Mode::CustomerOnly`.
    CustomerOnly,
    /// `Mode::Barge`.
    Barge,
}

/// A gain in dB as a host might pass it, valid or not.
#[derive(Debug, Clone, Copy)]
pub enum DbArg {
    /// 0 dB.
    Zero,
    /// -inf dB.
    Muted,
    /// +12 dB.
    Max,
    /// Tenths of a dB.
    Tenths(i16),
    /// Any `f32`: NaN, +inf, too loud, negative zero...
    Raw(u32),
}

/// A ramp duration, valid or not.
#[derive(Debug, Clone, Copy)]
pub enum RampArg {
    /// Zero.
    Zero,
    /// Microseconds.
    Micros(u16),
    /// Any duration in nanoseconds.
    Nanos(u64),
    /// Exactly one frame.
    Frame,
    /// One nanosecond more than one frame.
    FramePlusOne,
}

/// A limit for the audit trail.
#[derive(Debug, Clone, Copy)]
pub enum LimitArg {
    /// Zero: keep no event, only the count of those dropped.
    Zero,
    /// `0..=15`.
    Small(u8),
    /// Any `u16`.
    Large(u16),
    /// [`DEFAULT_EVENT_LIMIT`].
    Default,
    /// `usize::MAX`.
    Unbounded,
}

/// A frame as the host might hand it in.
#[derive(Debug, Clone)]
pub struct FrameArg {
    /// Its length.
    pub len: LenArg,
    /// How `bits` become samples.
    pub kind: u8,
    /// Cycled over the frame.
    pub bits: Vec<u32>,
}

/// A frame length.
#[derive(Debug, Clone, Copy)]
pub enum LenArg {
    /// Samples per frame, as it must be.
    Exact,
    /// Fewer.
    Short(u16),
    /// More.
    Long(u16),
}

/// One thing the host does.
#[derive(Debug, Clone)]
pub enum Op {
    /// `join`.
    Join(RoleArg),
    /// `join_supervisor`.
    JoinSupervisor(ModeArg),
    /// `join_recorder`.
    JoinRecorder(bool),
    /// `leave`.
    Leave(Who),
    /// `set_mode`.
    SetMode(Who, ModeArg),
    /// `set_route_gain(listener, talker, db)`.
    SetRouteGain(Who, Who, DbArg),
    /// `clear_route_gain(listener, talker)`.
    ClearRouteGain(Who, Who),
    /// `set_volume`.
    SetVolume(Who, DbArg),
    /// `set_ramp`.
    SetRamp(RampArg),
    /// `put_frame`.
    Put(Who, FrameArg),
    /// `frame_mut`, then the frame written into it.
    FrameMut(Who, FrameArg),
    /// `mix`, and every check of a tick.
    Tick,
    /// `output`, `party`, `mode` of the first; `route_gain` and `hears` of
    /// the pair; `parties`, `len`, `tick`, `ramp`.
    Query(Who, Who),
    /// `set_event_limit`.
    SetEventLimit(LimitArg),
    /// `poll_event` up to this many times (255: until it says `None`).
    Poll(u8),
    /// `set_volume` of one party this many times, alternating muted and
    /// 0 dB: a flood for the audit trail (at most [`FLOOD_BUDGET`] calls
    /// per case).
    Flood(Who, u16),
    /// `set_leg_format`.
    SetLegFormat(Who, LegArg),
    /// `mix_frames`, and every check of a tick when it succeeds.
    MixFrames(MixArg),
    /// `add_tap`.
    AddTap(TapArg),
    /// `remove_tap`.
    RemoveTap(TapWho),
    /// `tap_frame`, `tap_channel` (both channels), `tap_stem` of the party,
    /// `tap_format` and `tap` of the tap; `taps`.
    TapQuery(TapWho, Who),
    /// `join_announcement` to an audience (bits, see [`AudArg`]).
    JoinAnnouncement(AudArg),
    /// `set_audience`.
    SetAudience(Who, AudArg),
    /// `play`.
    Play(Who, ToneArg),
    /// `stop`.
    Stop(Who),
    /// `set_cue(on % 4, cue)`: `None` clears it.
    SetCue(u8, Option<(ToneArg, AudArg)>),
    /// `set_dtmf_map` of a preset (`% 4`: none, ChanSpy, eavesdrop,
    /// ChanSpy with 7 private whisper and 8 customer only).
    SetDtmfMap(u8),
    /// `press` of the digit with this RFC 4733 code (`% 16`).
    Press(Who, u8),
    /// `detect_dtmf` (on a leg at another rate: off, which is not
    /// modelled).
    DetectDtmf(Who, bool),
    /// `put_frame` of a frame of the DTMF tone of a digit (code `% 16`),
    /// going on from the party's last such frame while the digit is the
    /// same; the second byte sets its on-time for a new key press.
    PutDtmf(Who, u8, u8),
    /// `join_as`.
    JoinAs(RoleArg, IdArg),
    /// `join_supervisor_as`.
    JoinSupervisorAs(ModeArg, IdArg),
    /// `set_policy`.
    SetPolicy(Option<PolicyArg>),
    /// `require_disclosure` (`true`: refuse joins).
    RequireDisclosure(bool),
    /// `record_consent`.
    RecordConsent,
    /// `set_disclosure`.
    SetDisclosure(Who),
    /// `consent`, `routes`, `media_time`, `cue_for`, `dtmf_map`, `policy`;
    /// `party` of the party.
    Compliance(Who),
}

/// An audience: bit 0 customers, 1 agents, 2 supervisors, 3 recorders.
#[derive(Debug, Clone, Copy)]
pub struct AudArg(pub u8);

impl AudArg {
    fn audience(self) -> Audience {
        let mut a = Audience::NOBODY;
        for (bit, r) in [
            Audience::CUSTOMERS,
            Audience::AGENTS,
            Audience::SUPERVISORS,
            Audience::RECORDERS,
        ]
        .into_iter()
        .enumerate()
        {
            if self.0 >> bit & 1 == 1 {
                a = a | r;
            }
        }
        a
    }
}

/// A tone: `kind % 6` picks the join beep, the leave beep, the recording
/// warning (forever), a DTMF digit (`a`, on-time from `b`), a short single
/// tone of any frequency and level (some refused), a cadence that may be
/// refused (zero on-time, zero bursts, an edge too long).
#[derive(Debug, Clone, Copy)]
pub struct ToneArg {
    /// Which kind.
    pub kind: u8,
    /// Its first parameter.
    pub a: u8,
    /// Its second.
    pub b: u8,
}

impl ToneArg {
    fn spec(self) -> ToneSpec {
        let (a, b) = (self.a as u32, self.b as u32);
        match self.kind % 6 {
            0 => ToneSpec::JOIN_BEEP,
            1 => ToneSpec::LEAVE_BEEP,
            2 => ToneSpec::RECORDING_WARNING,
            3 => ToneSpec::dtmf(Digit::from_event_code((a % 16) as u8).unwrap(), 20 + b % 60, b % 30),
            4 => ToneSpec::single(
                100.0 + a as f32 * 30.0,
                -30.0 + (b % 42) as f32,
                Cadence::once(1 + b % 50),
            ),
            _ => ToneSpec::single(1000.0, -13.0, Cadence::new(b % 3 * 10, a % 5, Repeat::Times(a % 3)))
                .with_edge_ms(b / 3 % 4),
        }
    }
}

/// An identity from small pools, so that grants match sometimes: key
/// `b & 3` of [`KEYS`], groups bits `b >> 2 & 15` of [`GROUPS`], opted out
/// when `b >> 6 == 3`.
#[derive(Debug, Clone, Copy)]
pub struct IdArg(pub u8);

/// The keys of identities.
pub const KEYS: [&str; 4] = ["ann", "bo", "cy", "dee"];
/// The groups of identities.
pub const GROUPS: [&str; 4] = ["lead", "qa", "t1", "t2"];

fn label(text: &str) -> Label {
    Label::new(text).unwrap()
}

/// The harness's own view of an identity.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Ident {
    key: usize,
    groups: u8,
    opt: bool,
}

impl IdArg {
    fn ident(self) -> Ident {
        Ident {
            key: (self.0 & 3) as usize,
            groups: self.0 >> 2 & 15,
            opt: self.0 >> 6 == 3,
        }
    }
}

impl Ident {
    fn key(self) -> Label {
        label(KEYS[self.key])
    }
    fn identity(self) -> Identity {
        let mut id = Identity::new(self.key());
        for (g, name) in GROUPS.iter().enumerate() {
            if self.groups >> g & 1 == 1 {
                id = id.with_group(label(name)).unwrap();
            }
        }
        if self.opt {
            id = id.with_opt_out();
        }
        id
    }
}

/// A policy: grants of three bytes each (whom: `% 3` key, group or any,
/// `>> 2 & 3` which; modes: bits in the order of [`ModeArg`]; on whom:
/// `% 4` team, keys, every agent or own team, `>> 2 & 15` which team or
/// which keys), and agents opted out (key bits of `opt & 15` when
/// `opt >= 0xC0`).
#[derive(Debug, Clone)]
pub struct PolicyArg {
    /// The grants.
    pub grants: Vec<[u8; 3]>,
    /// Opt-outs.
    pub opt: u8,
}

const MODES: [RefMode; 5] = [
    RefMode::Monitor,
    RefMode::Whisper,
    RefMode::PrivateWhisper,
    RefMode::CustomerOnly,
    RefMode::Barge,
];

fn mode_bit(m: RefMode) -> u8 {
    1 << MODES.iter().position(|&x| x == m).unwrap()
}

fn mode_set(bits: u8) -> ModeSet {
    MODES
        .iter()
        .enumerate()
        .filter(|&(i, _)| bits >> i & 1 == 1)
        .map(|(_, m)| m.mode())
        .collect()
}

impl PolicyArg {
    fn opted_out(&self) -> u8 {
        if self.opt >= 0xC0 {
            self.opt & 15
        } else {
            0
        }
    }

    /// The library's policy for it.
    fn policy(&self) -> Policy {
        let mut p = Policy::new();
        for &[to, modes, on] in &self.grants {
            let w = (to >> 2 & 3) as usize;
            let to = match to % 3 {
                0 => Supervisors::Key(label(KEYS[w])),
                1 => Supervisors::Group(label(GROUPS[w])),
                _ => Supervisors::Any,
            };
            let x = on >> 2 & 15;
            let on = match on % 4 {
                0 => Agents::Team(label(GROUPS[(x & 3) as usize])),
                1 => Agents::Keys(
                    AgentKeys::new((0..4).filter(|k| x >> k & 1 == 1).map(|k| label(KEYS[k])))
                        .unwrap(),
                ),
                2 => Agents::Every,
                _ => Agents::OwnTeam,
            };
            p.add_grant(Grant::new(to, mode_set(modes & 31), on));
        }
        for k in 0..4 {
            if self.opted_out() >> k & 1 == 1 {
                p.add_opt_out(label(KEYS[k]));
            }
        }
        p
    }

    /// The modes (bits) it grants `s` on `a`, written from the policy
    /// module's docs: `None` for an agent opted out (here or on its own
    /// identity), else the union of the modes of every grant for that
    /// supervisor (its key, a group of its, any) on that agent (a team of
    /// its, a list naming its key, every agent, a group shared with the
    /// supervisor).
    fn granted(&self, s: Ident, a: Ident) -> Option<u8> {
        if a.opt || self.opted_out() >> a.key & 1 == 1 {
            return None;
        }
        let mut bits = 0;
        for &[to, modes, on] in &self.grants {
            let w = to >> 2 & 3;
            let for_sup = match to % 3 {
                0 => s.key == w as usize,
                1 => s.groups >> w & 1 == 1,
                _ => true,
            };
            let x = on >> 2 & 15;
            let on_agent = match on % 4 {
                0 => a.groups >> (x & 3) & 1 == 1,
                1 => x >> a.key & 1 == 1,
                2 => true,
                _ => s.groups & a.groups != 0,
            };
            if for_sup && on_agent {
                bits |= modes & 31;
            }
        }
        Some(bits)
    }

    /// The refusal, if any, of `s` in `mode` on agent `a`.
    fn allows(&self, s: Option<Ident>, a: Option<Ident>, mode: RefMode) -> Result<(), Refusal> {
        let refusal = |reason| Refusal {
            supervisor: s.map(Ident::key),
            agent: a.map(Ident::key),
            mode: mode.mode(),
            reason,
        };
        let (Some(si), Some(ai)) = (s, a) else {
            return Err(refusal(Reason::NoIdentity));
        };
        match self.granted(si, ai) {
            None => Err(refusal(Reason::OptedOut)),
            Some(bits) if bits & mode_bit(mode) != 0 => Ok(()),
            Some(bits) => Err(refusal(Reason::NotGranted {
                granted: mode_set(bits),
            })),
        }
    }
}

fn dtmf_preset(k: u8) -> (DtmfMap, [Option<RefMode>; 16]) {
    let mut t = [None; 16];
    let with = |t: &mut [Option<RefMode>; 16], c: char, m: RefMode| {
        t[Digit::from_char(c).unwrap().event_code() as usize] = Some(m);
    };
    let map = match k % 4 {
        0 => DtmfMap::NONE,
        1 | 3 => {
            with(&mut t, '4', RefMode::Monitor);
            with(&mut t, '5', RefMode::Whisper);
            with(&mut t, '6', RefMode::Barge);
            if k % 4 == 3 {
                with(&mut t, '7', RefMode::PrivateWhisper);
                with(&mut t, '8', RefMode::CustomerOnly);
                DtmfMap::CHANSPY
                    .with(Digit::from_char('7').unwrap(), Mode::PrivateWhisper)
                    .with(Digit::from_char('8').unwrap(), Mode::CustomerOnly)
            } else {
                DtmfMap::CHANSPY
            }
        }
        _ => {
            with(&mut t, '0', RefMode::Monitor);
            with(&mut t, '1', RefMode::CustomerOnly);
            with(&mut t, '2', RefMode::Whisper);
            with(&mut t, '3', RefMode::Barge);
            DtmfMap::EAVESDROP
        }
    };
    (map, t)
}

/// A tap as [`Op::AddTap`] configures it.
#[derive(Debug, Clone, Copy)]
pub struct TapArg {
    /// Stems instead of stereo.
    pub stems: bool,
    /// `with_whispers`.
    pub whispers: bool,
    /// `with_supervisors`.
    pub supervisors: bool,
    /// `swapped`.
    pub swapped: bool,
    /// `% 7`: 5 is no `at_rate` (the call's), 6 an unsupported rate
    /// ([`Error::UnsupportedSampleRate`]), else `at_rate` of an index into
    /// the supported rates (the call's among them).
    pub rate: u8,
}

/// A tap as the fuzzer picks it:
///
/// - `0..=159`: an id this session handed out (on the call or removed), by
///   its position among them;
/// - `160..=191` (or below, before the first `add_tap`): an id that a
///   snapshot of this session hands out after this session's last
///   `add_tap` ([`Error::UnknownTap`]);
/// - `192..=223`: an id of the harness's other session with the number of
///   one this session handed out ([`Error::ForeignTap`]);
/// - `224..=255`: an id of yet another session ([`Error::ForeignTap`]).
#[derive(Debug, Clone, Copy)]
pub struct TapWho(pub u8);

impl TapWho {
    /// The first byte that picks a snapshot's later tap.
    pub const UNKNOWN: u8 = 160;
    /// The first byte that picks a tap of the other session.
    pub const FOREIGN: u8 = 192;
    /// The first byte that picks a tap of a session of its own.
    pub const STRAY: u8 = 224;
}

/// A leg format as the fuzzer picks it.
#[derive(Debug, Clone, Copy)]
pub struct LegArg {
    /// `% 6`: 5 is the call's rate, else an index into the supported rates.
    pub rate: u8,
    /// Below [`LegArg::OTHER_PTIME`]: the call's frame duration; else an
    /// index into the supported ones: one that is not a multiple of the
    /// call's ([`Error::LegFrameDuration`]), or the call's.
    pub ptime: u8,
}

impl LegArg {
    /// The first `ptime` byte that picks any frame duration.
    pub const OTHER_PTIME: u8 = 224;
}

/// A tick from borrowed frames, as the fuzzer builds it.
#[derive(Debug, Clone)]
pub struct MixArg {
    /// Which parties (by position, bit `i % 32`) hand in a borrowed frame;
    /// those that already handed in one for this tick only with
    /// [`Fault::Pending`].
    pub pick: u32,
    /// Shuffles the list when odd; keeps the parties' order when even.
    pub order: u8,
    /// What is wrong with the list, if anything.
    pub fault: Fault,
    /// The frames, each party's rotated by its position, at its leg's
    /// length (the `len` of this frame is not used).
    pub frame: FrameArg,
}

/// What is wrong with a list of borrowed frames.
#[derive(Debug, Clone, Copy)]
pub enum Fault {
    /// Nothing.
    None,
    /// One more entry for this party (foreign, gone, unknown, or one on the
    /// list already), at a position.
    Extra(Who, u8),
    /// The entry at this position again, at the end.
    Twice(u8),
    /// Parties that already handed in their frame are on the list too.
    Pending,
    /// The entry at this position is this much shorter (even) or longer
    /// (odd).
    Length(u8, u8),
}

/// Operations of one case beyond this many are ignored.
const MAX_OPS: usize = 2048;

/// The most `set_volume` calls all the [`Op::Flood`]s of one case make.
pub const FLOOD_BUDGET: usize = 1 << 16;

/// Ids `0..=MAX_OPS` of a session of their own (ids are not
/// constructible): foreign to every session of a case.
fn any_id(n: usize) -> PartyId {
    static IDS: OnceLock<Vec<PartyId>> = OnceLock::new();
    IDS.get_or_init(|| {
        let mut s = Session::<i16>::new(Format::NARROWBAND_20MS);
        s.set_event_limit(0);
        (0..=MAX_OPS)
            .map(|_| {
                let id = s.join(Role::Agent).unwrap();
                s.leave(id).unwrap();
                id
            })
            .collect()
    })[n]
}

/// Tap ids `0..64` of a session of their own: foreign to every session of
/// a case.
fn any_tap(n: usize) -> TapId {
    static IDS: OnceLock<Vec<TapId>> = OnceLock::new();
    IDS.get_or_init(|| {
        let mut s = Session::<i16>::new(Format::NARROWBAND_20MS);
        s.set_event_limit(0);
        (0..64)
            .map(|_| {
                let id = s.add_tap(Tap::stereo()).unwrap();
                s.remove_tap(id).unwrap();
                id
            })
            .collect()
    })[n % 64]
}

fn role_of(r: RoleArg) -> Role {
    match r {
        RoleArg::Customer => Role::Customer,
        RoleArg::Agent => Role::Agent,
        RoleArg::Supervisor => Role::Supervisor,
        RoleArg::Recorder => Role::Recorder,
    }
}

fn ref_mode(m: ModeArg) -> RefMode {
    match m {
        ModeArg::Monitor => RefMode::Monitor,
        ModeArg::Whisper => RefMode::Whisper,
        ModeArg::PrivateWhisper => RefMode::PrivateWhisper,
        ModeArg::CustomerOnly => RefMode::CustomerOnly,
        ModeArg::Barge => RefMode::Barge,
    }
}

fn db_of(d: DbArg) -> f32 {
    match d {
        DbArg::Zero => 0.0,
        DbArg::Muted => f32::NEG_INFINITY,
        DbArg::Max => Gain::MAX_DB,
        DbArg::Tenths(t) => t as f32 / 10.0,
        DbArg::Raw(bits) => f32::from_bits(bits),
    }
}

fn ramp_of(r: RampArg, frame: Duration) -> Duration {
    match r {
        RampArg::Zero => Duration::ZERO,
        RampArg::Micros(us) => Duration::from_micros(us as u64),
        RampArg::Nanos(ns) => Duration::from_nanos(ns),
        RampArg::Frame => frame,
        RampArg::FramePlusOne => frame + Duration::from_nanos(1),
    }
}

fn limit_of(l: LimitArg) -> usize {
    match l {
        LimitArg::Zero => 0,
        LimitArg::Small(n) => n as usize % 16,
        LimitArg::Large(n) => n as usize,
        LimitArg::Default => DEFAULT_EVENT_LIMIT,
        LimitArg::Unbounded => usize::MAX,
    }
}

/// Errors compared by their `Debug` form, so that a NaN they carry
/// compares equal to itself.
fn same<T: std::fmt::Debug>(got: &Result<T, Error>, want: &Result<T, Error>) -> bool {
    format!("{got:?}") == format!("{want:?}")
}

/// The model's view of one party.
#[derive(Debug, Clone)]
struct RefParty<S> {
    id: PartyId,
    role: RefRole,
    volume: Gain,
    /// Its leg's format: the call's unless set.
    leg: Format,
    frame: Option<Vec<S>>,
    /// What it heard in the last tick, at its leg's format: as the
    /// reference mixes it where `exact`, else as the session gave it.
    output: Vec<S>,
    /// Whether the reference mixer predicts its output (and its clipped
    /// samples) bit for bit this tick: its leg is at the call's rate and
    /// it hears no leg at another rate, not even fading out. Else its
    /// output is checked by its length, its range, the shadows and the
    /// twin only.
    exact: bool,
    /// Its leg went back to the call's rate since the last tick: what
    /// `output` shows until the next tick is only checked by its length.
    stale: bool,
    /// The last tick its leg was at another rate than the call's. A route
    /// from such a leg opens a tick after the change that opens it, which
    /// this model does not follow: its listeners are not predicted bit for
    /// bit until that is over.
    converted_at: Option<u64>,
    present: u64,
    mixed: u64,
    missing: u64,
    clipped: u64,
    non_finite: u64,
    /// An announcement's tone, generated as the session must.
    tone: Option<ToneGenerator>,
    /// A supervisor's in-band digit detector.
    dtmf: Option<DtmfDetector>,
    /// Its frame is silence this tick: it holds a digit.
    muted: bool,
    ident: Option<Ident>,
}

impl<S> RefParty<S> {
    fn public_role(&self) -> Role {
        match self.role {
            RefRole::Customer => Role::Customer,
            RefRole::Agent => Role::Agent,
            RefRole::Supervisor(_) => Role::Supervisor,
            RefRole::Recorder { .. } => Role::Recorder,
            RefRole::Announcement { .. } => Role::Announcement,
        }
    }
    fn audience(&self) -> Option<Audience> {
        match self.role {
            RefRole::Announcement { audience } => Some(AudArg(audience).audience()),
            _ => None,
        }
    }
    fn mode(&self) -> Option<Mode> {
        match self.role {
            RefRole::Supervisor(m) => Some(m.mode()),
            _ => None,
        }
    }
}

/// A tap channel: its tap, and its party (a stem) or its index (stereo).
type TapKey = (TapId, Option<PartyId>, usize);

/// The model's view of one recording tap.
#[derive(Debug, Clone)]
struct RefTap<S> {
    id: TapId,
    /// As handed to `add_tap`.
    config: Tap,
    /// What the harness asked for, kept apart from `config`'s accessors.
    arg: TapArg,
    /// Its rate, the call's frame duration.
    format: Format,
    /// What each channel recorded in the last tick, at the tap's rate:
    /// customer then agent side for stereo, one per party (in order) for
    /// stems. As the reference mixes it where `exact`, else as the
    /// session gave it.
    channels: Vec<Vec<S>>,
    /// Per channel: whether the reference predicted it this tick (the tap
    /// at the call's rate, no leg at another rate recorded on it, not even
    /// fading out).
    exact: Vec<bool>,
    /// Samples clipped on the way to the tap: predicted while every channel
    /// is exact, else as the session counted.
    clipped: u64,
}

impl<S> RefTap<S> {
    /// Whether the tap records a talker in `role` at all: customers and
    /// agents always; a supervisor in barge or customer-only if it records
    /// supervisors, in whisper or private whisper if it also records
    /// whispers, in monitor never; recorders never.
    fn records(&self, role: RefRole) -> bool {
        match role {
            RefRole::Customer | RefRole::Agent => true,
            RefRole::Recorder { .. } => false,
            RefRole::Announcement { audience } => audience & 8 != 0,
            RefRole::Supervisor(m) => {
                self.arg.supervisors
                    && match m {
                        RefMode::Monitor => false,
                        RefMode::Barge | RefMode::CustomerOnly => true,
                        RefMode::Whisper | RefMode::PrivateWhisper => self.arg.whispers,
                    }
            }
        }
    }

    /// Whether channel `c` records the talker at `t`, in `role`: the
    /// customer channel (0) customers, the agent side (1) agents and
    /// supervisors; a stem its own party.
    fn on_channel(&self, c: usize, t: usize, role: RefRole) -> bool {
        self.records(role)
            && if self.arg.stems {
                c == t
            } else {
                (c == 0) == (role == RefRole::Customer)
            }
    }

    /// A channel's key in [`Model::tap_current`].
    fn key(&self, c: usize, parties: &[RefParty<S>]) -> TapKey {
        if self.arg.stems {
            (self.id, Some(parties[c].id), 0)
        } else {
            (self.id, None, c)
        }
    }

    /// The frame `tap_frame` gives: stereo interleaved, left first
    /// (the customer unless swapped), stems one after the other.
    fn frame(&self) -> Vec<S>
    where
        S: Copy,
    {
        if self.arg.stems {
            return self.channels.concat();
        }
        let (l, r) = if self.arg.swapped { (1, 0) } else { (0, 1) };
        self.channels[l]
            .iter()
            .zip(&self.channels[r])
            .flat_map(|(&a, &b)| [a, b])
            .collect()
    }
}

/// The audit trail as the crate docs describe it: at most `limit` events
/// wait; recording one more drops the oldest, counted, and the count comes
/// out first, as one `Dropped` with the ticks of the first and the last
/// dropped.
#[derive(Debug, Clone, PartialEq)]
struct Trail {
    /// How many more events a tick may record (beyond them, a tick's events
    /// count as dropped): [`EVENTS_PER_TICK`] after every control call that
    /// records (a refusal leaves it as it was), or sets the limit, less
    /// those recorded since.
    cap: usize,
    limit: usize,
    /// The events kept, oldest first, with their ticks.
    kept: VecDeque<(u64, Event)>,
    /// Dropped since the last `Dropped` was drained: count, first, last.
    lost: Option<(u64, u64, u64)>,
}

impl Trail {
    fn record(&mut self, at: u64, e: Event) {
        self.kept.push_back((at, e));
        self.trim();
        if self.limit > 0 {
            self.cap = EVENTS_PER_TICK.min(self.limit);
        }
    }

    fn lose(&mut self, at: u64) {
        self.lost = Some(match self.lost {
            None => (1, at, at),
            Some((count, first, _)) => (count + 1, first, at),
        });
    }

    /// An event a tick records, on a trail with room for `room` events:
    /// kept while there is room, else counted as dropped.
    fn record_in_tick(&mut self, e: Event, room: usize) {
        let at = e.at();
        if self.limit == 0 {
            return self.lose(at);
        }
        let _ = room;
        if self.kept.len() >= self.limit {
            let (old, _) = self.kept.pop_front().unwrap();
            self.lose(old);
            self.kept.push_back((at, e));
        } else if self.cap > 0 {
            self.cap -= 1;
            self.kept.push_back((at, e));
        } else {
            self.lose(at);
        }
    }

    fn trim(&mut self) {
        while self.kept.len() > self.limit {
            let (at, _) = self.kept.pop_front().unwrap();
            self.lost = Some(match self.lost {
                None => (1, at, at),
                Some((count, first, _)) => (count + 1, first, at),
            });
        }
    }

    fn set_limit(&mut self, limit: usize) {
        self.limit = limit;
        self.trim();
        // The session leaves room for a tick's events again.
        self.cap = EVENTS_PER_TICK.min(limit);
    }

    /// Drains a copy.
    fn drained(&self) -> Vec<Event> {
        let mut t = self.clone();
        std::iter::from_fn(|| t.poll()).collect()
    }

    fn poll(&mut self) -> Option<Event> {
        if let Some((count, first_at, at)) = self.lost.take() {
            return Some(Event::Dropped {
                count,
                first_at,
                at,
            });
        }
        self.kept.pop_front().map(|(_, e)| e)
    }

    fn pending(&self) -> usize {
        self.kept.len() + self.lost.is_some() as usize
    }
}

/// The reference model of a session: what every call must return, what
/// every tick must output.
#[derive(Debug, Clone)]
pub struct Model<S> {
    format: Format,
    spf: usize,
    ramp: Duration,
    ramp_samples: usize,
    tick: u64,
    /// Every id handed out, in order; ids are never reused.
    issued: Vec<PartyId>,
    /// Ids with this session's tag that a snapshot of it taken before any
    /// join hands out: the `n`th is this session's `n`th id once it is
    /// issued, and unknown to it until then.
    snapshot_ids: Vec<PartyId>,
    parties: Vec<RefParty<S>>,
    /// The host's route gains, by (listener, talker).
    route_gains: BTreeMap<(PartyId, PartyId), Gain>,
    /// Linear gain each route reached at the end of the last tick.
    current: BTreeMap<(PartyId, PartyId), f32>,
    trail: Trail,
    /// The taps on the call, in order of adding.
    taps: Vec<RefTap<S>>,
    /// How many taps the session has added.
    taps_added: usize,
    /// Tap ids with this session's tag that a snapshot of it taken before
    /// any `add_tap` hands out: the `n`th is this session's `n`th.
    snapshot_taps: Vec<TapId>,
    /// Linear gain each tap channel's route from a talker reached at the
    /// end of the last tick, by (tap, stem owner or none, stereo channel,
    /// talker).
    tap_current: BTreeMap<(TapKey, PartyId), f32>,
    /// Events the last tick recorded, in order, for the harness to put on
    /// the trail (whose room it learns from the session).
    tick_events: Vec<Event>,
    consent: Consent,
    disclosure: Option<PartyId>,
    cues: [Option<Cue>; 4],
    cue_player: Option<PartyId>,
    dtmf_map: [Option<RefMode>; 16],
    policy: Option<PolicyArg>,
}

/// Events a tick may record without a control call before it (as
/// documented for `Session::record_in_tick`, 4).
const EVENTS_PER_TICK: usize = 4;

/// Samples in `d` at `hz`, rounded to nearest (as documented for
/// `Format::samples_in`).
fn samples_in(d: Duration, hz: u32) -> usize {
    ((d.as_nanos() * hz as u128 + 500_000_000) / 1_000_000_000) as usize
}

impl<S: RefSample> Model<S> {
    /// A model of `Session::new(format)`.
    pub fn new(format: Format) -> Model<S> {
        let frame = format.ptime().duration();
        let ramp = Duration::from_millis(5).min(frame);
        Model {
            format,
            spf: (format.rate().hz() / 1000 * format.ptime().ms()) as usize,
            ramp,
            ramp_samples: samples_in(ramp, format.rate().hz()),
            tick: 0,
            issued: Vec::new(),
            snapshot_ids: Vec::new(),
            parties: Vec::new(),
            route_gains: BTreeMap::new(),
            current: BTreeMap::new(),
            trail: Trail {
                cap: 0,
                limit: 1024,
                kept: VecDeque::new(),
                lost: None,
            },
            taps: Vec::new(),
            taps_added: 0,
            snapshot_taps: Vec::new(),
            tap_current: BTreeMap::new(),
            tick_events: Vec::new(),
            consent: Consent::NotRequired,
            disclosure: None,
            cues: [None; 4],
            cue_player: None,
            dtmf_map: [None; 16],
            policy: None,
        }
    }

    fn gated(&self) -> bool {
        matches!(self.consent, Consent::Pending(_))
    }

    /// Records an event of a control call, or of the tick being mixed.
    fn log(&mut self, e: Event, in_tick: bool) {
        if in_tick {
            self.tick_events.push(e);
        } else {
            self.record(e);
        }
    }

    fn refuse(&mut self, refusal: Refusal) -> Error {
        // A refusal leaves the room for a tick's events as it was.
        let cap = self.trail.cap;
        self.record(Event::Refused {
            refusal,
            at: self.tick,
        });
        self.trail.cap = cap.min(self.trail.cap);
        Error::Refused { refusal }
    }

    /// The agents' identities, in order of joining.
    fn agents(&self) -> Vec<Option<Ident>> {
        self.parties
            .iter()
            .filter(|p| p.role == RefRole::Agent)
            .map(|p| p.ident)
            .collect()
    }

    /// A supervisor with `ident` in `mode`: the consent gate refusing
    /// joins, then the policy on every agent on the call, in order.
    fn check_supervisor(&self, ident: Option<Ident>, mode: RefMode) -> Result<(), Refusal> {
        if self.consent == Consent::Pending(BeforeDisclosure::RefuseJoins) {
            return Err(Refusal {
                supervisor: ident.map(Ident::key),
                agent: None,
                mode: mode.mode(),
                reason: Reason::ConsentPending,
            });
        }
        match &self.policy {
            Some(p) => self
                .agents()
                .into_iter()
                .try_for_each(|a| p.allows(ident, a, mode)),
            None => Ok(()),
        }
    }

    fn check_mode(&self, i: usize, mode: RefMode) -> Result<(), Refusal> {
        match self.parties[i].role {
            RefRole::Supervisor(m) if m == mode => Ok(()),
            _ => self.check_supervisor(self.parties[i].ident, mode),
        }
    }

    fn check_join(&self, role: RefRole, ident: Option<Ident>) -> Result<(), Refusal> {
        match role {
            RefRole::Supervisor(m) => self.check_supervisor(ident, m),
            RefRole::Agent => match &self.policy {
                Some(p) => self.parties.iter().try_for_each(|s| match s.role {
                    RefRole::Supervisor(m) => p.allows(s.ident, ident, m),
                    _ => Ok(()),
                }),
                None => Ok(()),
            },
            _ => Ok(()),
        }
    }

    fn announcement(&self, id: PartyId) -> Result<usize, Error> {
        let i = self.index(id)?;
        match self.parties[i].role {
            RefRole::Announcement { .. } => Ok(i),
            _ => Err(Error::NotAnAnnouncement {
                party: id,
                role: self.parties[i].public_role(),
            }),
        }
    }

    fn supervisor(&self, id: PartyId) -> Result<usize, Error> {
        let i = self.index(id)?;
        match self.parties[i].role {
            RefRole::Supervisor(_) => Ok(i),
            _ => Err(Error::NotASupervisor {
                party: id,
                role: self.parties[i].public_role(),
            }),
        }
    }

    fn set_audience(&mut self, id: PartyId, a: AudArg) -> Result<(), Error> {
        let i = self.announcement(id)?;
        let from = self.parties[i].audience().unwrap();
        let to = AudArg(a.0 & 15);
        if from != to.audience() {
            self.parties[i].role = RefRole::Announcement { audience: to.0 };
            self.record(Event::AudienceChanged {
                party: id,
                from,
                to: to.audience(),
                at: self.tick,
            });
        }
        Ok(())
    }

    fn play(&mut self, id: PartyId, spec: &ToneSpec) -> Result<(), Error> {
        let i = self.announcement(id)?;
        let g = ToneGenerator::new(spec, self.parties[i].leg.rate())?;
        if self.parties[i].frame.is_some() {
            return Err(Error::DuplicateFrame {
                party: id,
                tick: self.tick,
            });
        }
        self.parties[i].tone = Some(g);
        self.record(Event::ToneStarted {
            party: id,
            tone: *spec,
            at: self.tick,
        });
        Ok(())
    }

    fn stop(&mut self, id: PartyId) -> Result<(), Error> {
        let i = self.announcement(id)?;
        if self.parties[i].tone.take().is_some() {
            self.record(Event::ToneEnded {
                party: id,
                finished: false,
                at: self.tick,
            });
        }
        Ok(())
    }

    /// `set_cue`; `next` is the id a join hands out next. Returns whether
    /// it added the cue player.
    fn set_cue(&mut self, on: CueOn, cue: Option<Cue>, next: PartyId) -> Result<bool, Error> {
        let Some(cue) = cue else {
            self.cues[on as usize] = None;
            return Ok(false);
        };
        ToneGenerator::new(&cue.tone, self.format.rate())?;
        let mut added = false;
        if self.cue_player.is_none() {
            self.join(RefRole::Announcement { audience: 0 }, next, None)?;
            self.cue_player = Some(next);
            added = true;
        }
        self.cues[on as usize] = Some(cue);
        Ok(added)
    }

    /// The cue for `on`, set off by `sup`: the player plays it to its
    /// audience from the tick the change takes effect.
    fn cue(&mut self, on: CueOn, sup: PartyId, in_tick: bool) {
        let (Some(cue), Some(player)) = (self.cues[on as usize], self.cue_player) else {
            return;
        };
        let Ok(i) = self.index(player) else { return };
        let bits = (0..4)
            .filter(|&b| cue.audience.includes([Role::Customer, Role::Agent, Role::Supervisor, Role::Recorder][b]))
            .fold(0u8, |m, b| m | 1 << b);
        let p = &mut self.parties[i];
        // At the player's own rate: a tone it cannot play there is not
        // played.
        let Ok(tone) = ToneGenerator::new(&cue.tone, p.leg.rate()) else {
            return;
        };
        p.tone = Some(tone);
        p.role = RefRole::Announcement { audience: bits };
        let at = self.tick + in_tick as u64;
        self.log(
            Event::CueStarted {
                on,
                supervisor: sup,
                player,
                audience: cue.audience,
                at,
            },
            in_tick,
        );
    }

    fn change_mode(&mut self, i: usize, mode: RefMode, in_tick: bool) {
        let RefRole::Supervisor(from) = self.parties[i].role else {
            unreachable!()
        };
        if from == mode {
            return;
        }
        let id = self.parties[i].id;
        self.parties[i].role = RefRole::Supervisor(mode);
        self.log(
            Event::ModeChanged {
                party: id,
                from: from.mode(),
                to: mode.mode(),
                at: self.tick + in_tick as u64,
            },
            in_tick,
        );
        use RefMode::*;
        let whispers = |m| matches!(m, Whisper | PrivateWhisper);
        let barges = |m| matches!(m, Barge | CustomerOnly);
        if whispers(mode) && !whispers(from) {
            self.cue(CueOn::Whisper, id, in_tick);
        } else if barges(mode) && !barges(from) {
            self.cue(CueOn::Barge, id, in_tick);
        }
    }

    fn press(&mut self, id: PartyId, digit: Digit) -> Result<Option<Mode>, Error> {
        let i = self.supervisor(id)?;
        let mode = self.dtmf_map[digit.event_code() as usize];
        if let Some(m) = mode {
            if let Err(r) = self.check_mode(i, m) {
                return Err(self.refuse(r));
            }
        }
        self.record(Event::DigitPressed {
            party: id,
            digit,
            in_band: false,
            mode: mode.map(RefMode::mode),
            at: self.tick,
        });
        if let Some(m) = mode {
            self.change_mode(i, m, false);
        }
        Ok(mode.map(RefMode::mode))
    }

    fn detect_dtmf(&mut self, id: PartyId, on: bool) -> Result<(), Error> {
        let i = self.supervisor(id)?;
        let rate = self.format.rate();
        let p = &mut self.parties[i];
        match (on, p.dtmf.is_some()) {
            (true, false) => p.dtmf = Some(DtmfDetector::new(rate)),
            (false, true) => p.dtmf = None,
            _ => {}
        }
        Ok(())
    }

    fn set_policy(&mut self, policy: Option<PolicyArg>) -> Result<(), Error> {
        if let Some(p) = &policy {
            for s in &self.parties {
                if let RefRole::Supervisor(m) = s.role {
                    if let Err(r) = self
                        .agents()
                        .into_iter()
                        .try_for_each(|a| p.allows(s.ident, a, m))
                    {
                        return Err(self.refuse(r));
                    }
                }
            }
        }
        let active = policy.is_some();
        self.policy = policy;
        self.record(Event::PolicySet {
            active,
            at: self.tick,
        });
        Ok(())
    }

    fn require_disclosure(&mut self, before: BeforeDisclosure) -> Result<(), Error> {
        if self.consent == Consent::Given || self.consent == Consent::Pending(before) {
            return Ok(());
        }
        self.consent = Consent::Pending(before);
        self.record(Event::DisclosureRequired {
            before,
            at: self.tick,
        });
        Ok(())
    }

    fn record_consent(&mut self) {
        if self.gated() {
            self.consent = Consent::Given;
            self.record(Event::ConsentGiven {
                by: ConsentBy::Host,
                at: self.tick,
            });
        }
    }

    fn set_disclosure(&mut self, id: PartyId) -> Result<(), Error> {
        self.announcement(id)?;
        self.disclosure = Some(id);
        Ok(())
    }

    fn tap_index(&self, id: TapId) -> Result<usize, Error> {
        match self.taps.iter().position(|t| t.id == id) {
            Some(k) => Ok(k),
            None if self.snapshot_taps.contains(&id) => Err(Error::UnknownTap { tap: id }),
            None => Err(Error::ForeignTap { tap: id }),
        }
    }

    /// Samples per frame of a tap at `format`'s rate.
    fn tap_spf(&self, format: Format) -> usize {
        (format.rate().hz() / 1000 * self.format.ptime().ms()) as usize
    }

    /// `add_tap`; `id` is the tap id a snapshot hands out as its next.
    fn add_tap(&mut self, config: Tap, arg: TapArg, hz: u32, id: TapId) -> Result<TapId, Error> {
        if self.taps.len() >= MAX_TAPS {
            return Err(Error::TooManyTaps { max: MAX_TAPS });
        }
        let format = Format::new(hz, self.format.ptime().ms()).unwrap();
        let rows = if arg.stems { self.parties.len() } else { 2 };
        let spf = self.tap_spf(format);
        self.taps.push(RefTap {
            id,
            config,
            arg,
            format,
            channels: vec![vec![S::SILENCE; spf]; rows],
            exact: vec![true; rows],
            clipped: 0,
        });
        self.taps_added += 1;
        self.record(Event::TapAdded {
            tap: id,
            config,
            at: self.tick,
        });
        Ok(id)
    }

    fn remove_tap(&mut self, id: TapId) -> Result<(), Error> {
        let k = self.tap_index(id)?;
        self.taps.remove(k);
        self.tap_current.retain(|&((t, _, _), _), _| t != id);
        self.record(Event::TapRemoved {
            tap: id,
            at: self.tick,
        });
        Ok(())
    }

    /// `tap_stem`: the tap first, then the party, then the layout.
    fn tap_stem(&self, id: TapId, party: PartyId) -> Result<&[S], Error> {
        let k = self.tap_index(id)?;
        let i = self.index(party)?;
        let t = &self.taps[k];
        if !t.arg.stems {
            return Err(Error::NotStems { tap: id });
        }
        Ok(&t.channels[i])
    }

    fn tap_channel(&self, id: TapId, channel: TapChannel) -> Result<&[S], Error> {
        let t = &self.taps[self.tap_index(id)?];
        if t.arg.stems {
            return Err(Error::NotStereo { tap: id });
        }
        Ok(&t.channels[match channel {
            TapChannel::Customer => 0,
            TapChannel::Agent => 1,
        }])
    }

    fn record(&mut self, e: Event) {
        self.trail.record(self.tick, e);
    }

    fn index(&self, id: PartyId) -> Result<usize, Error> {
        match self.parties.iter().position(|p| p.id == id) {
            Some(i) => Ok(i),
            None if self.issued.contains(&id) => Err(Error::PartyLeft { party: id }),
            None if self.snapshot_ids.contains(&id) => Err(Error::UnknownParty { party: id }),
            None => Err(Error::ForeignParty { party: id }),
        }
    }

    fn route(&self, l: PartyId, t: PartyId) -> Result<(usize, usize), Error> {
        let li = self.index(l)?;
        let ti = self.index(t)?;
        if l == t {
            return Err(Error::SelfRoute { party: l });
        }
        Ok((li, ti))
    }

    /// A join; `id` is the id a snapshot taken before any join hands
    /// out as its next.
    fn join(&mut self, role: RefRole, id: PartyId, ident: Option<Ident>) -> Result<PartyId, Error> {
        if let Err(r) = self.check_join(role, ident) {
            return Err(self.refuse(r));
        }
        if self.parties.len() >= MAX_PARTIES {
            return Err(Error::TooManyParties { max: MAX_PARTIES });
        }
        self.issued.push(id);
        let p = RefParty {
            id,
            role,
            volume: Gain::UNITY,
            leg: self.format,
            frame: None,
            output: vec![S::SILENCE; self.spf],
            exact: true,
            stale: false,
            converted_at: None,
            present: 0,
            mixed: 0,
            missing: 0,
            clipped: 0,
            non_finite: 0,
            tone: None,
            dtmf: None,
            muted: false,
            ident,
        };
        self.record(Event::Joined {
            party: id,
            role: p.public_role(),
            mode: p.mode(),
            label: ident.map(Ident::key),
            at: self.tick,
        });
        self.parties.push(p);
        for k in 0..self.taps.len() {
            if self.taps[k].arg.stems {
                let spf = self.tap_spf(self.taps[k].format);
                let t = &mut self.taps[k];
                t.channels.push(vec![S::SILENCE; spf]);
                t.exact.push(true);
            }
        }
        if let RefRole::Supervisor(_) = role {
            self.cue(CueOn::Join, id, false);
        }
        Ok(id)
    }

    fn leave(&mut self, id: PartyId) -> Result<(), Error> {
        let i = self.index(id)?;
        if self.cue_player == Some(id) {
            self.cue_player = None;
            self.cues = [None; 4];
        }
        let p = self.parties.remove(i);
        self.route_gains.retain(|&(l, t), _| l != id && t != id);
        self.current.retain(|&(l, t), _| l != id && t != id);
        self.tap_current
            .retain(|&((_, owner, _), t), _| t != id && owner != Some(id));
        for t in self.taps.iter_mut().filter(|t| t.arg.stems) {
            t.channels.remove(i);
            t.exact.remove(i);
        }
        self.record(Event::Left {
            party: id,
            role: p.public_role(),
            at: self.tick,
        });
        if let RefRole::Supervisor(_) = p.role {
            self.cue(CueOn::Leave, id, false);
        }
        Ok(())
    }

    fn set_mode(&mut self, id: PartyId, mode: RefMode) -> Result<(), Error> {
        let i = self.supervisor(id)?;
        if let Err(r) = self.check_mode(i, mode) {
            return Err(self.refuse(r));
        }
        self.change_mode(i, mode, false);
        Ok(())
    }

    fn set_route_gain(&mut self, l: PartyId, t: PartyId, db: f32) -> Result<(), Error> {
        self.route(l, t)?;
        let gain = Gain::from_db(db)?;
        if self.route_gains.insert((l, t), gain) != Some(gain) {
            self.record(Event::RouteGainSet {
                listener: l,
                talker: t,
                gain,
                at: self.tick,
            });
        }
        Ok(())
    }

    fn clear_route_gain(&mut self, l: PartyId, t: PartyId) -> Result<(), Error> {
        self.route(l, t)?;
        if self.route_gains.remove(&(l, t)).is_some() {
            self.record(Event::RouteGainCleared {
                listener: l,
                talker: t,
                at: self.tick,
            });
        }
        Ok(())
    }

    fn route_gain(&self, l: PartyId, t: PartyId) -> Result<Option<Gain>, Error> {
        self.route(l, t)?;
        Ok(self.route_gains.get(&(l, t)).copied())
    }

    /// The linear gain at which `l` hears `t` from the next tick on.
    fn hears(&self, l: PartyId, t: PartyId) -> Result<f32, Error> {
        let (li, ti) = self.route(l, t)?;
        Ok(self.target(li, ti).unwrap_or(0.0))
    }

    fn set_volume(&mut self, id: PartyId, db: f32) -> Result<(), Error> {
        let i = self.index(id)?;
        let to = Gain::from_db(db)?;
        let from = self.parties[i].volume;
        if from != to {
            self.parties[i].volume = to;
            self.record(Event::VolumeChanged {
                party: id,
                from,
                to,
                at: self.tick,
            });
        }
        Ok(())
    }

    fn set_ramp(&mut self, ramp: Duration) -> Result<(), Error> {
        let max = self.format.ptime().duration();
        if ramp > max {
            return Err(Error::RampTooLong { given: ramp, max });
        }
        self.ramp = ramp;
        self.ramp_samples = samples_in(ramp, self.format.rate().hz());
        Ok(())
    }

    fn slot(&self, id: PartyId) -> Result<usize, Error> {
        let i = self.index(id)?;
        if self.parties[i].tone.is_some() {
            return Err(Error::TonePlaying { party: id });
        }
        if self.parties[i].frame.is_some() {
            return Err(Error::DuplicateFrame {
                party: id,
                tick: self.tick,
            });
        }
        Ok(i)
    }

    /// Samples per frame of `id`'s leg (the call's for an id not on it).
    fn leg_spf(&self, id: PartyId) -> usize {
        self.index(id)
            .map_or(self.spf, |i| self.parties[i].leg.samples_per_frame())
    }

    /// A frame's length for the party at `i`.
    fn check_length(&self, i: usize, frame: &[S]) -> Result<(), Error> {
        let format = self.parties[i].leg;
        if frame.len() != format.samples_per_frame() {
            return Err(Error::FrameLength {
                given: frame.len(),
                expected: format.samples_per_frame(),
                format,
            });
        }
        Ok(())
    }

    fn put(&mut self, id: PartyId, frame: &[S]) -> Result<(), Error> {
        let i = self.index(id)?;
        self.check_length(i, frame)?;
        let i = self.slot(id)?;
        self.parties[i].frame = Some(frame.to_vec());
        Ok(())
    }

    /// `mix_frames` up to the mix: every entry checked in order (the
    /// party, its frame's length, a frame already handed in or listed),
    /// then every frame handed in.
    fn mix_frames(&mut self, frames: &[(PartyId, Vec<S>)]) -> Result<(), Error> {
        let mut listed = Vec::new();
        for (id, frame) in frames {
            let i = self.index(*id)?;
            self.check_length(i, frame)?;
            if self.parties[i].tone.is_some() {
                return Err(Error::TonePlaying { party: *id });
            }
            if self.parties[i].frame.is_some() || listed.contains(&i) {
                return Err(Error::DuplicateFrame {
                    party: *id,
                    tick: self.tick,
                });
            }
            listed.push(i);
        }
        for (&i, (_, frame)) in listed.iter().zip(frames) {
            self.parties[i].frame = Some(frame.clone());
        }
        Ok(())
    }

    fn set_leg_format(&mut self, id: PartyId, leg: Format) -> Result<(), Error> {
        let i = self.index(id)?;
        if leg.ptime().ms() % self.format.ptime().ms() != 0 {
            return Err(Error::LegFrameDuration {
                given_ms: leg.ptime().ms(),
                expected_ms: self.format.ptime().ms(),
            });
        }
        let p = &mut self.parties[i];
        if p.leg == leg {
            return Ok(());
        }
        if p.tone.is_some() {
            return Err(Error::TonePlaying { party: id });
        }
        if p.frame.is_some() {
            return Err(Error::DuplicateFrame {
                party: id,
                tick: self.tick,
            });
        }
        p.leg = leg;
        p.output = vec![S::SILENCE; leg.samples_per_frame()];
        // A new leg at another rate has heard nothing yet; what a leg back
        // at the call's rate shows before its next tick is not specified.
        p.stale = leg.rate() == self.format.rate();
        Ok(())
    }

    fn leg_format(&self, id: PartyId) -> Result<Format, Error> {
        self.index(id).map(|i| self.parties[i].leg)
    }

    /// Whether the party at `i` has a leg at another rate than the call.
    fn converted(&self, i: usize) -> bool {
        self.parties[i].leg.rate() != self.format.rate()
    }

    /// Whether the mode table lets the party at `l` hear the one at `t`.
    fn allows(&self, l: usize, t: usize) -> bool {
        let gated_out = self.gated()
            && matches!(
                self.parties[l].role,
                RefRole::Supervisor(_) | RefRole::Recorder { .. }
            );
        l != t && !gated_out && table_allows(self.parties[l].role, self.parties[t].role)
    }

    /// The linear gain the route from `t` to `l` is heading for: `None`
    /// where the modes close it, whatever the host set; else the route
    /// gain (unity if none) times the talker's volume, capped at +12 dB.
    fn target(&self, l: usize, t: usize) -> Option<f32> {
        if !self.allows(l, t) {
            return None;
        }
        let (lp, tp) = (&self.parties[l], &self.parties[t]);
        let g = self
            .route_gains
            .get(&(lp.id, tp.id))
            .map_or(1.0, |g| g.linear());
        Some((g * tp.volume.linear()).min(Gain::MAX.linear()))
    }

    /// The gains (from, to) at which `l` hears `t` this tick: a route the
    /// modes close is silent from the first sample; any other ramps from
    /// where it stood to its target.
    fn gains(&self, l: usize, t: usize) -> (f32, f32) {
        let (lp, tp) = (&self.parties[l], &self.parties[t]);
        match self.target(l, t) {
            Some(to) => {
                let cur = self.current.get(&(lp.id, tp.id)).copied().unwrap_or(0.0);
                (cur, to)
            }
            None => (0.0, 0.0),
        }
    }

    /// One tick of the reference mixer.
    fn mix(&mut self) {
        // Tones first: each is its announcement's frame, at its leg's rate.
        let mut consent_by = None;
        let customer_on = self.parties.iter().any(|p| p.role == RefRole::Customer);
        for i in 0..self.parties.len() {
            let gated = self.gated();
            let p = &mut self.parties[i];
            let Some(tone) = p.tone.as_mut() else { continue };
            let mut f = vec![S::SILENCE; p.leg.samples_per_frame()];
            tone.fill(&mut f);
            p.frame = Some(f);
            if tone.is_finished() {
                p.tone = None;
                let (id, role) = (p.id, p.role);
                self.tick_events.push(Event::ToneEnded {
                    party: id,
                    finished: true,
                    at: self.tick + 1,
                });
                // Played to its end to a customer: the disclosure, from
                // the next tick.
                let to_customer = audience_bit(RefRole::Customer)
                    & match role {
                        RefRole::Announcement { audience } => audience,
                        _ => 0,
                    }
                    != 0;
                if self.disclosure == Some(id) && gated && customer_on && to_customer {
                    consent_by = Some(id);
                    self.tick_events.push(Event::ConsentGiven {
                        by: ConsentBy::Disclosure(id),
                        at: self.tick + 1,
                    });
                }
            }
        }
        // In-band digits, in what the supervisors hand in as it is: the
        // frame is silence for everyone while a digit is held.
        let mut digits = Vec::new();
        for (i, p) in self.parties.iter_mut().enumerate() {
            let Some(det) = p.dtmf.as_mut() else { continue };
            let silent = vec![S::SILENCE; self.spf];
            let frame = p.frame.as_deref().unwrap_or(&silent);
            let held = det.current().is_some();
            let events = det.process(frame);
            p.muted = held || det.current().is_some() || !events.is_empty();
            for e in events.iter() {
                if let DtmfEvent::Down { digit, .. } = *e {
                    digits.push((i, digit));
                }
            }
        }
        for p in self.parties.iter_mut() {
            if let Some(f) = p.frame.as_mut() {
                for s in f.iter_mut() {
                    if s.is_bad() {
                        p.non_finite += 1;
                        *s = S::SILENCE;
                    }
                }
            }
        }
        let n = self.parties.len();
        for i in 0..n {
            if self.converted(i) {
                self.parties[i].converted_at = Some(self.tick);
            }
        }
        let mut outs = Vec::with_capacity(n);
        let mut next = Vec::new();
        let mut exact = Vec::with_capacity(n);
        for l in 0..n {
            let mut talkers = Vec::new();
            let mut known = !self.converted(l);
            for t in 0..n {
                if t == l {
                    continue;
                }
                let (from, to) = self.gains(l, t);
                next.push(((self.parties[l].id, self.parties[t].id), to));
                let lately = self.parties[t]
                    .converted_at
                    .is_some_and(|at| self.tick - at <= 2);
                if self.converted(t) || lately {
                    // What its resampler gives is not modelled, and it
                    // gives something even for a missing frame (the tail
                    // of the last one): predictable only where unheard.
                    known &= from == 0.0 && to == 0.0;
                } else if let Some(f) = self.parties[t].frame.as_ref().filter(|_| !self.parties[t].muted) {
                    talkers.push(RefTalker {
                        samples: f,
                        from,
                        to,
                        ramp: self.ramp_samples,
                    });
                }
            }
            let mut out = vec![S::SILENCE; self.spf];
            let clipped = S::reference_mix(&mut out, &talkers);
            outs.push((out, clipped));
            exact.push(known);
        }
        self.current.extend(next);
        self.mix_taps();
        for ((p, (out, clipped)), exact) in self.parties.iter_mut().zip(outs).zip(exact) {
            p.exact = exact;
            p.stale = false;
            p.output = out;
            if exact {
                p.clipped += clipped as u64;
            }
            p.present += 1;
            p.muted = false;
            if p.frame.take().is_some() {
                p.mixed += 1;
            } else {
                p.missing += 1;
            }
        }
        if consent_by.is_some() {
            self.consent = Consent::Given;
        }
        // A digit found switches the mode from the next tick, through the
        // policy and the gate as `press` does.
        for (i, digit) in digits {
            let mut mode = self.dtmf_map[digit.event_code() as usize];
            if let Some(refusal) = mode.and_then(|m| self.check_mode(i, m).err()) {
                self.tick_events.push(Event::Refused {
                    refusal,
                    at: self.tick + 1,
                });
                mode = None;
            }
            self.tick_events.push(Event::DigitPressed {
                party: self.parties[i].id,
                digit,
                in_band: true,
                mode: mode.map(RefMode::mode),
                at: self.tick + 1,
            });
            if let Some(m) = mode {
                self.change_mode(i, m, true);
            }
        }
        self.tick += 1;
    }
}

impl<S: RefSample> Model<S> {
    /// The taps' part of a tick: each channel a listener that hears the
    /// talkers it records at their volume (no route gains), ramping in as
    /// a route does and closing at once; predicted where the tap is at the
    /// call's rate and no leg at another rate is heard on the channel.
    fn mix_taps(&mut self) {
        let n = self.parties.len();
        let gated = self.gated();
        let mut next = Vec::new();
        for k in 0..self.taps.len() {
            let tap = &self.taps[k];
            let at_call_rate = tap.format.rate() == self.format.rate();
            let mut clipped_all = 0;
            let mut results = Vec::new();
            for c in 0..tap.channels.len() {
                let key = tap.key(c, &self.parties);
                let mut known = at_call_rate;
                let mut talkers = Vec::new();
                for t in 0..n {
                    let tp = &self.parties[t];
                    // Before the disclosure no tap records anything.
                    let (from, to) = if !gated && tap.on_channel(c, t, tp.role) {
                        let cur = self.tap_current.get(&(key, tp.id)).copied().unwrap_or(0.0);
                        (cur, tp.volume.linear())
                    } else {
                        (0.0, 0.0)
                    };
                    next.push(((key, tp.id), to));
                    let lately = tp.converted_at.is_some_and(|at| self.tick - at <= 2);
                    if self.converted(t) || lately {
                        known &= from == 0.0 && to == 0.0;
                    } else if let Some(f) = tp.frame.as_ref().filter(|_| !tp.muted) {
                        talkers.push(RefTalker {
                            samples: f,
                            from,
                            to,
                            ramp: self.ramp_samples,
                        });
                    }
                }
                let mut out = vec![S::SILENCE; self.spf];
                if known {
                    clipped_all += S::reference_mix(&mut out, &talkers);
                }
                results.push((known, out));
            }
            let tap = &mut self.taps[k];
            for (c, (known, out)) in results.into_iter().enumerate() {
                tap.exact[c] = known;
                if known {
                    tap.channels[c] = out;
                }
            }
            if tap.exact.iter().all(|&e| e) {
                tap.clipped += clipped_all as u64;
            }
        }
        self.tap_current.extend(next);
    }
}

/// The supported sample rates and frame durations.
const RATES: [u32; 5] = [8000, 16000, 24000, 32000, 48000];
const PTIMES: [u32; 5] = [10, 20, 30, 40, 60];

/// Runs one fuzz case, panicking on the first disagreement.
pub fn run(input: &Input) {
    let (rates, ptimes) = (RATES, PTIMES);
    // Three cases in four are narrowband 10 or 20 ms, which already span
    // two kernel blocks and keep the slow reference fast; the rest pick
    // any format.
    let format = if input.rate < 192 {
        Format::new(8000, ptimes[input.ptime as usize % 2]).unwrap()
    } else {
        Format::new(
            rates[input.rate as usize % 5],
            ptimes[input.ptime as usize % 5],
        )
        .unwrap()
    };
    if input.float {
        Harness::<f32>::new(format).run(&input.ops);
    } else {
        Harness::<i16>::new(format).run(&input.ops);
    }
}

/// The shadows, by what they hide each tick (see the module docs).
const ONE_TALKER: usize = 0;
const KEPT_FROM_ONE: usize = 1;
const KEPT_FROM_ALL: usize = 2;
const KEPT_FROM_CUSTOMERS: usize = 3;
const SUPERVISORS: usize = 4;
const SHADOWS: [&str; 5] = [
    "one talker in turn",
    "the talkers kept from one listener",
    "the talkers kept from everyone",
    "the talkers kept from a customer",
    "every supervisor",
];

/// The session under test, its model, its shadows and the sessions whose
/// ids it must refuse.
struct Harness<S: RefSample> {
    s: Session<S>,
    model: Model<S>,
    /// Same control calls (taps included), other frames: see [`SHADOWS`].
    shadows: [Session<S>; 5],
    /// Same control calls, the same frames, always through `put_frame`
    /// and `mix`, and an all-silent frame for each missing one: it must
    /// hear what the session hears, bit for bit (`mix_frames` is
    /// `put_frame` and `mix`; a missing frame is a silent one, at every
    /// leg's rate). After a tick in which some leg is at another rate, the
    /// shadows start again from a copy of it, so that what they hid does
    /// not linger in a resampler's memory.
    twin: Session<S>,
    /// The twin without taps: the same calls but for `add_tap` and
    /// `remove_tap`, the same frames. Every party must hear what it hears
    /// in the session, bit for bit: taps change nothing anyone hears.
    untapped: Session<S>,
    /// Another call, with a party for each of this session's (joins and
    /// leaves mirrored), so that its ids have the same numbers.
    other: Session<S>,
    other_ids: Vec<PartyId>,
    /// The other call's taps, added and removed as this session's are, so
    /// that their ids have the same numbers.
    other_taps: Vec<TapId>,
    /// A snapshot of the session before its first join, whose joins hand
    /// out `Model::snapshot_ids`.
    snapshot: Session<S>,
    flood_left: usize,
    /// The DTMF tone each party's frames of [`Op::PutDtmf`] go on with:
    /// its digit's code and its generator.
    keys: BTreeMap<PartyId, (u8, ToneGenerator)>,
}

/// Checks that a call that failed left the session as it was: `==`, and
/// for a small session its whole `Debug` state, caches included.
///
/// A `Session<f32>` holding a frame with a NaN until the next tick is not
/// `==` to itself (its frames compare as `f32`); what its API shows is
/// compared instead, bit for bit.
#[allow(clippy::eq_op)]
fn check_unchanged<S: RefSample>(before: &Session<S>, after: &Session<S>, what: &str) {
    let fail = |part: &str| panic!("{what} failed but changed the session: {part}");
    if before == after {
    } else if before == before {
        fail("==");
    } else {
        let shown = |s: &Session<S>| {
            (
                s.tick(),
                s.ramp(),
                s.format(),
                s.event_limit(),
                s.events_pending(),
                s.parties().collect::<Vec<_>>(),
                s.taps().collect::<Vec<_>>(),
            )
        };
        if shown(before) != shown(after) {
            fail("tick, ramp, format, trail, parties or taps");
        }
        for t in before.taps() {
            if !same_frame(
                before.tap_frame(t.id).unwrap(),
                after.tap_frame(t.id).unwrap(),
            ) {
                fail("a tap's frame");
            }
        }
        let ids: Vec<PartyId> = before.parties().map(|p| p.id).collect();
        for &l in &ids {
            if !same_frame(before.output(l).unwrap(), after.output(l).unwrap()) {
                fail("an output");
            }
            if before.leg_format(l) != after.leg_format(l) {
                fail("a leg's format");
            }
            for &t in &ids {
                if l != t
                    && (before.route_gain(l, t) != after.route_gain(l, t)
                        || before.hears(l, t) != after.hears(l, t))
                {
                    fail("a route");
                }
            }
        }
    }
    // Formatting costs most of a case's time: only small sessions.
    let call = before.format();
    let size = before
        .parties()
        .map(|p| {
            let leg = before.leg_format(p.id).unwrap();
            let converted = leg.rate() != call.rate();
            call.samples_per_frame() + 4 * leg.samples_per_frame() * converted as usize
        })
        .sum::<usize>()
        + before
            .taps()
            .map(|t| {
                let converted = t.format.rate() != call.rate();
                let rows = before.tap_frame(t.id).unwrap().len() / t.format.samples_per_frame();
                rows * (call.samples_per_frame()
                    + 4 * t.format.samples_per_frame() * converted as usize)
            })
            .sum::<usize>()
        + 32 * before.events_pending();
    if size <= 500 && format!("{before:?}") != format!("{after:?}") {
        fail("its state");
    }
}

/// After a call that failed: nothing changed, and for a refusal nothing
/// but the audit trail (which the model checks): the two compared with
/// their trails drained.
fn check_failed<S: RefSample, T>(
    mut before: Session<S>,
    after: &Session<S>,
    what: &str,
    got: &Result<T, Error>,
) {
    if let Err(Error::Refused { .. }) = got {
        let mut after = after.clone();
        while before.poll_event().is_some() {}
        while after.poll_event().is_some() {}
        check_unchanged(&before, &after, &format!("{what} (refused)"));
    } else {
        check_unchanged(&before, after, what);
    }
}

impl<S: RefSample> Harness<S> {
    fn new(format: Format) -> Self {
        let s = Session::new(format);
        let mut shadow = s.clone();
        // Their trails are not checked; they keep none.
        shadow.set_event_limit(0);
        let mut other = Session::new(format);
        other.set_event_limit(0);
        Harness {
            shadows: std::array::from_fn(|_| shadow.clone()),
            twin: shadow.clone(),
            untapped: shadow.clone(),
            snapshot: shadow,
            other,
            other_ids: Vec::new(),
            other_taps: Vec::new(),
            s,
            model: Model::new(format),
            flood_left: FLOOD_BUDGET,
            keys: BTreeMap::new(),
        }
    }

    fn who(&mut self, w: Who) -> PartyId {
        let n = self.model.issued.len();
        match w.0 {
            _ if n == 0 && w.0 < Who::STRAY => any_id(w.0 as usize * 7),
            0..Who::FOREIGN => self.model.issued[w.0 as usize % n],
            Who::FOREIGN..Who::UNKNOWN => self.other_ids[w.0 as usize % n],
            Who::UNKNOWN..Who::STRAY => self.snapshot_id(n + w.0 as usize % 4),
            _ => any_id(w.0 as usize * 7),
        }
    }

    /// The id that the snapshot hands out as its `n`th.
    fn snapshot_id(&mut self, n: usize) -> PartyId {
        while self.model.snapshot_ids.len() <= n {
            let id = self.snapshot.join(Role::Agent).unwrap();
            self.snapshot.leave(id).unwrap();
            self.model.snapshot_ids.push(id);
        }
        self.model.snapshot_ids[n]
    }

    /// Applies a control call to the session, the model and the shadows;
    /// checks the result, and the unchanged state on failure.
    fn control<T: std::fmt::Debug>(
        &mut self,
        what: &str,
        call: impl Fn(&mut Session<S>) -> Result<T, Error>,
        model: impl FnOnce(&mut Model<S>) -> Result<T, Error>,
    ) -> Result<T, Error> {
        // The model answers first, so that the session is copied only for
        // a call that must fail (one that fails unforeseen fails the
        // comparison anyway).
        let want = model(&mut self.model);
        let before = want.is_err().then(|| self.s.clone());
        let got = call(&mut self.s);
        assert!(same(&got, &want), "{what}: got {got:?}, expected {want:?}");
        if let Some(before) = before {
            check_failed(before, &self.s, what, &got);
        }
        for shadow in self
            .shadows
            .iter_mut()
            .chain([&mut self.twin, &mut self.untapped])
        {
            let r = call(shadow);
            assert!(same(&r, &got), "{what}: shadow got {r:?}, session {got:?}");
        }
        got
    }

    /// A tap's control call: as [`Harness::control`], but not for the
    /// untapped twin.
    fn tap_control<T: std::fmt::Debug>(
        &mut self,
        what: &str,
        call: impl Fn(&mut Session<S>) -> Result<T, Error>,
        model: impl FnOnce(&mut Model<S>) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let want = model(&mut self.model);
        let before = want.is_err().then(|| self.s.clone());
        let got = call(&mut self.s);
        assert!(same(&got, &want), "{what}: got {got:?}, expected {want:?}");
        if let Some(before) = before {
            check_failed(before, &self.s, what, &got);
        }
        for shadow in self.shadows.iter_mut().chain([&mut self.twin]) {
            let r = call(shadow);
            assert!(same(&r, &got), "{what}: shadow got {r:?}, session {got:?}");
        }
        got
    }

    /// The tap id that the snapshot hands out as its `n`th.
    fn snapshot_tap(&mut self, n: usize) -> TapId {
        while self.model.snapshot_taps.len() <= n {
            let id = self.snapshot.add_tap(Tap::stereo()).unwrap();
            self.snapshot.remove_tap(id).unwrap();
            self.model.snapshot_taps.push(id);
        }
        self.model.snapshot_taps[n]
    }

    fn which_tap(&mut self, w: TapWho) -> TapId {
        let n = self.model.taps_added;
        match w.0 {
            0..TapWho::UNKNOWN if n > 0 => self.snapshot_tap(w.0 as usize % n),
            0..TapWho::FOREIGN => self.snapshot_tap(n + w.0 as usize % 4),
            TapWho::FOREIGN..TapWho::STRAY if n > 0 => self.other_taps[w.0 as usize % n],
            _ => any_tap(w.0 as usize),
        }
    }

    /// A join: the session hands out the id that the snapshot hands out
    /// as its next; the other session joins a party in the same role.
    fn join(
        &mut self,
        what: &str,
        role: RefRole,
        ident: Option<Ident>,
        call: impl Fn(&mut Session<S>) -> Result<PartyId, Error>,
    ) {
        let next = self.snapshot_id(self.model.issued.len());
        if let Ok(id) = self.control(what, &call, |m| m.join(role, next, ident)) {
            let mirror = call(&mut self.other).unwrap();
            self.mirrored(id, mirror);
        }
    }

    fn mirrored(&mut self, id: PartyId, mirror: PartyId) {
        assert_eq!(mirror.get(), id.get(), "ids count joins");
        assert_ne!(mirror, id, "ids of two sessions");
        self.other_ids.push(mirror);
    }

    /// A frame for `id`, sized from its leg's samples per frame.
    fn frame(&self, id: PartyId, f: &FrameArg) -> Vec<S> {
        let spf = self.model.leg_spf(id);
        let len = match f.len {
            LenArg::Exact => spf,
            LenArg::Short(d) => spf.saturating_sub(1 + d as usize % spf),
            LenArg::Long(d) => spf + 1 + d as usize % 64,
        };
        let kind = f.kind;
        cycle(&f.bits, len, |b| S::from_fuzz(b, kind), S::SILENCE)
    }

    fn run(mut self, ops: &[Op]) {
        for op in ops.iter().take(MAX_OPS) {
            self.step(op);
            assert_eq!(
                self.s.events_pending(),
                self.model.trail.pending(),
                "events pending after {op:?}"
            );
            assert_eq!(self.s.event_limit(), self.model.trail.limit);
            self.check_policy_holds();
        }
        // Every case ends on a tick so that its last changes are mixed,
        // and with the whole audit trail drained.
        self.step(&Op::Tick);
        self.poll(usize::MAX);
        assert_eq!(self.s.events_pending(), 0);
    }

    fn step(&mut self, op: &Op) {
        match *op {
            Op::Join(r) => {
                let role = match r {
                    RoleArg::Customer => RefRole::Customer,
                    RoleArg::Agent => RefRole::Agent,
                    RoleArg::Supervisor => RefRole::Supervisor(RefMode::Monitor),
                    RoleArg::Recorder => RefRole::Recorder { whisper: false },
                };
                self.join("join", role, None, |s| s.join(role_of(r)));
            }
            Op::JoinSupervisor(mode) => {
                let m = ref_mode(mode);
                self.join("join_supervisor", RefRole::Supervisor(m), None, |s| {
                    s.join_supervisor(m.mode())
                });
            }
            Op::JoinRecorder(whisper) => {
                self.join("join_recorder", RefRole::Recorder { whisper }, None, |s| {
                    s.join_recorder(whisper)
                });
            }
            Op::Leave(w) => {
                let id = self.who(w);
                if self
                    .control("leave", |s| s.leave(id), |m| m.leave(id))
                    .is_ok()
                {
                    let mirror = self.other_ids[id.get() as usize];
                    self.other.leave(mirror).unwrap();
                }
            }
            Op::SetMode(w, mode) => {
                let (id, mode) = (self.who(w), ref_mode(mode));
                let _ = self.control(
                    "set_mode",
                    |s| s.set_mode(id, mode.mode()),
                    |m| m.set_mode(id, mode),
                );
            }
            Op::SetRouteGain(l, t, db) => {
                let (l, t, db) = (self.who(l), self.who(t), db_of(db));
                let _ = self.control(
                    "set_route_gain",
                    |s| s.set_route_gain(l, t, db),
                    |m| m.set_route_gain(l, t, db),
                );
            }
            Op::ClearRouteGain(l, t) => {
                let (l, t) = (self.who(l), self.who(t));
                let _ = self.control(
                    "clear_route_gain",
                    |s| s.clear_route_gain(l, t),
                    |m| m.clear_route_gain(l, t),
                );
            }
            Op::SetVolume(w, db) => {
                let (id, db) = (self.who(w), db_of(db));
                let _ = self.control(
                    "set_volume",
                    |s| s.set_volume(id, db),
                    |m| m.set_volume(id, db),
                );
            }
            Op::SetRamp(r) => {
                let ramp = ramp_of(r, self.model.format.ptime().duration());
                let _ = self.control("set_ramp", |s| s.set_ramp(ramp), |m| m.set_ramp(ramp));
                assert_eq!(self.s.ramp(), self.model.ramp);
            }
            Op::SetEventLimit(l) => {
                let limit = limit_of(l);
                self.s.set_event_limit(limit);
                self.model.trail.set_limit(limit);
            }
            Op::Poll(n) => self.poll(if n == 255 { usize::MAX } else { n as usize }),
            Op::Flood(w, n) => self.flood(w, n),
            Op::Put(w, ref f) => {
                let id = self.who(w);
                let frame = self.frame(id, f);
                self.put(id, &frame);
            }
            Op::PutDtmf(w, d, on) => {
                let id = self.who(w);
                let leg = self.model.leg_format(id).unwrap_or(self.model.format);
                let d = d % 16;
                let key = self.keys.get(&id).filter(|(k, g)| *k == d && !g.is_finished());
                let mut g = match key {
                    Some((_, g)) => g.clone(),
                    None => {
                        let digit = Digit::from_event_code(d).unwrap();
                        let spec = ToneSpec::dtmf(digit, 30 + on as u32 % 90, 40);
                        ToneGenerator::new(&spec, leg.rate()).unwrap()
                    }
                };
                let mut frame = vec![S::SILENCE; leg.samples_per_frame()];
                g.fill(&mut frame);
                self.keys.insert(id, (d, g));
                self.put(id, &frame);
            }
            Op::JoinAnnouncement(a) => {
                let a = AudArg(a.0 & 15);
                self.join(
                    "join_announcement",
                    RefRole::Announcement { audience: a.0 },
                    None,
                    |s| s.join_announcement(a.audience()),
                );
            }
            Op::SetAudience(w, a) => {
                let id = self.who(w);
                let _ = self.control(
                    "set_audience",
                    |s| s.set_audience(id, a.audience()),
                    |m| m.set_audience(id, a),
                );
            }
            Op::Play(w, t) => {
                let (id, spec) = (self.who(w), t.spec());
                // Not through `control`: the shadows hold no frame until
                // the tick (`DuplicateFrame`), so only a tone the session
                // takes is theirs.
                let want = self.model.play(id, &spec);
                let before = want.is_err().then(|| self.s.clone());
                let got = self.s.play(id, &spec);
                assert_eq!(got, want, "play({id}, {spec:?})");
                if let Some(before) = before {
                    check_unchanged(&before, &self.s, "play");
                } else {
                    let all = self.shadows.iter_mut();
                    for shadow in all.chain([&mut self.twin, &mut self.untapped]) {
                        shadow.play(id, &spec).unwrap();
                    }
                }
            }
            Op::Stop(w) => {
                let id = self.who(w);
                let _ = self.control("stop", |s| s.stop(id), |m| m.stop(id));
            }
            Op::SetCue(on, cue) => {
                let on = CueOn::ALL[on as usize % 4];
                let cue = cue.map(|(t, a)| Cue {
                    tone: t.spec(),
                    audience: a.audience(),
                });
                let next = self.snapshot_id(self.model.issued.len());
                let got = self.control(
                    "set_cue",
                    |s| {
                        let before = s.len();
                        s.set_cue(on, cue).map(|()| s.len() > before)
                    },
                    |m| m.set_cue(on, cue, next),
                );
                if got == Ok(true) {
                    let mirror = self.other.join_announcement(Audience::NOBODY).unwrap();
                    self.mirrored(next, mirror);
                }
                assert_eq!(self.s.cue_for(on), self.model.cues[on as usize], "cue_for({on:?})");
            }
            Op::SetDtmfMap(k) => {
                let (map, table) = dtmf_preset(k);
                let all = self.shadows.iter_mut();
                for s in all.chain([&mut self.s, &mut self.twin, &mut self.untapped]) {
                    s.set_dtmf_map(map);
                }
                self.model.dtmf_map = table;
                assert_eq!(self.s.dtmf_map(), map);
            }
            Op::Press(w, d) => {
                let (id, digit) = (self.who(w), Digit::from_event_code(d % 16).unwrap());
                let _ = self.control("press", |s| s.press(id, digit), |m| m.press(id, digit));
            }
            Op::DetectDtmf(w, on) => {
                let id = self.who(w);
                // In-band detection on a leg at another rate hears the
                // converted audio, which this model does not follow.
                let on = on && self.model.leg_format(id).map_or(true, |l| l.rate() == self.model.format.rate());
                let _ = self.control(
                    "detect_dtmf",
                    |s| s.detect_dtmf(id, on),
                    |m| m.detect_dtmf(id, on),
                );
            }
            Op::JoinAs(r, i) => {
                let role = match r {
                    RoleArg::Customer => RefRole::Customer,
                    RoleArg::Agent => RefRole::Agent,
                    RoleArg::Supervisor => RefRole::Supervisor(RefMode::Monitor),
                    RoleArg::Recorder => RefRole::Recorder { whisper: false },
                };
                let ident = i.ident();
                self.join("join_as", role, Some(ident), |s| {
                    s.join_as(role_of(r), ident.identity())
                });
            }
            Op::JoinSupervisorAs(mode, i) => {
                let (m, ident) = (ref_mode(mode), i.ident());
                self.join("join_supervisor_as", RefRole::Supervisor(m), Some(ident), |s| {
                    s.join_supervisor_as(m.mode(), ident.identity())
                });
            }
            Op::SetPolicy(ref p) => {
                let policy = p.as_ref().map(|p| Arc::new(p.policy()));
                let arg = p.clone();
                let _ = self.control(
                    "set_policy",
                    |s| s.set_policy(policy.clone()),
                    |m| m.set_policy(arg),
                );
                let want = self.model.policy.as_ref().map(|p| p.policy());
                assert_eq!(self.s.policy(), want.as_ref(), "policy()");
            }
            Op::RequireDisclosure(refuse) => {
                let before = if refuse {
                    BeforeDisclosure::RefuseJoins
                } else {
                    BeforeDisclosure::HoldSilent
                };
                let _ = self.control(
                    "require_disclosure",
                    |s| s.require_disclosure(before),
                    |m| m.require_disclosure(before),
                );
                assert_eq!(self.s.consent(), self.model.consent);
            }
            Op::RecordConsent => {
                let _ = self.control(
                    "record_consent",
                    |s| {
                        s.record_consent();
                        Ok(())
                    },
                    |m| {
                        m.record_consent();
                        Ok(())
                    },
                );
                assert_eq!(self.s.consent(), self.model.consent);
            }
            Op::SetDisclosure(w) => {
                let id = self.who(w);
                let _ = self.control(
                    "set_disclosure",
                    |s| s.set_disclosure(id),
                    |m| m.set_disclosure(id),
                );
            }
            Op::Compliance(w) => {
                let id = self.who(w);
                self.compliance(id);
            }
            Op::FrameMut(w, ref f) => {
                let id = self.who(w);
                let mut frame = self.frame(id, f);
                frame.resize(self.model.leg_spf(id), S::SILENCE);
                let want = self.model.slot(id).map(|i| {
                    self.model.parties[i].frame = Some(frame.clone());
                });
                let before = want.is_err().then(|| self.s.clone());
                let got = self.s.frame_mut(id).map(|buf| {
                    assert_eq!(buf.len(), frame.len(), "frame_mut at the leg's length");
                    assert!(
                        buf.iter().all(|&x| x.same(S::SILENCE)),
                        "frame_mut not zeroed"
                    );
                    buf.copy_from_slice(&frame);
                });
                assert!(
                    same(&got, &want),
                    "frame_mut: got {got:?}, expected {want:?}"
                );
                if let Some(before) = before {
                    check_unchanged(&before, &self.s, "frame_mut");
                }
            }
            Op::Query(a, b) => {
                let (a, b) = (self.who(a), self.who(b));
                self.query(a, b);
            }
            Op::Tick => self.tick(None),
            Op::SetLegFormat(w, l) => {
                let id = self.who(w);
                let call = self.model.format;
                let rate = match l.rate % 6 {
                    5 => call.rate().hz(),
                    r => RATES[r as usize],
                };
                let call_ms = call.ptime().ms();
                let ptime = match PTIMES[l.ptime as usize % 5] {
                    _ if l.ptime < LegArg::OTHER_PTIME => call_ms,
                    // A leg whose frames span several ticks is not modelled
                    // here (tests/properties.rs and tests/call_behaviour.rs
                    // cover it): only durations the session refuses.
                    ms if ms % call_ms == 0 => call_ms,
                    ms => ms,
                };
                let leg = Format::new(rate, ptime).unwrap();
                let detecting = self
                    .model
                    .index(id)
                    .is_ok_and(|i| self.model.parties[i].dtmf.is_some());
                if detecting && rate != call.rate().hz() {
                    // Detection on converted audio is not modelled.
                    let _ = self.control(
                        "detect_dtmf",
                        |s| s.detect_dtmf(id, false),
                        |m| m.detect_dtmf(id, false),
                    );
                }
                // Not through `control`: the shadows hold no frame until
                // the tick, so only a format the session takes is theirs.
                let want = self.model.set_leg_format(id, leg);
                let before = want.is_err().then(|| self.s.clone());
                let got = self.s.set_leg_format(id, leg);
                assert_eq!(got, want, "set_leg_format({id}, {leg:?})");
                if let Some(before) = before {
                    check_unchanged(&before, &self.s, "set_leg_format");
                } else {
                    let all = self.shadows.iter_mut();
                    for shadow in all.chain([&mut self.twin, &mut self.untapped]) {
                        shadow.set_leg_format(id, leg).unwrap();
                    }
                }
                assert_eq!(self.s.leg_format(id), self.model.leg_format(id));
            }
            Op::MixFrames(ref a) => self.mix_frames(a),
            Op::AddTap(a) => self.add_tap(a),
            Op::RemoveTap(w) => {
                let id = self.which_tap(w);
                if self
                    .tap_control("remove_tap", |s| s.remove_tap(id), |m| m.remove_tap(id))
                    .is_ok()
                {
                    let mirror = self.other_taps[id.get() as usize];
                    self.other.remove_tap(mirror).unwrap();
                }
            }
            Op::TapQuery(t, p) => {
                let (t, p) = (self.which_tap(t), self.who(p));
                self.tap_query(t, p);
            }
        }
    }

    /// `put_frame`, as the model says.
    fn put(&mut self, id: PartyId, frame: &[S]) {
        {
            {
                let want = self.model.put(id, frame);
                let before = want.is_err().then(|| self.s.clone());
                let got = self.s.put_frame(id, frame);
                assert!(
                    same(&got, &want),
                    "put_frame: got {got:?}, expected {want:?}"
                );
                if let Some(before) = before {
                    check_unchanged(&before, &self.s, "put_frame");
                }
            }
        }
    }

    /// `add_tap` of the tap `a` describes, built with the `Tap` builder.
    fn add_tap(&mut self, a: TapArg) {
        let call = self.model.format.rate().hz();
        let hz = match a.rate % 7 {
            5 => None,
            6 => Some(11025),
            r => Some(RATES[r as usize]),
        };
        let mut config = if a.stems { Tap::stems() } else { Tap::stereo() }
            .with_whispers(a.whispers)
            .with_supervisors(a.supervisors);
        if a.swapped {
            config = config.swapped();
        }
        if let Some(hz) = hz {
            match config.at_rate(hz) {
                Ok(c) => config = c,
                Err(e) => {
                    assert_eq!(
                        e,
                        Error::UnsupportedSampleRate { given: hz },
                        "at_rate({hz})"
                    );
                    assert!(!RATES.contains(&hz), "at_rate({hz}) refused");
                    return;
                }
            }
        }
        // The builder's view of what it was told.
        assert_eq!(
            config.layout(),
            if a.stems {
                TapLayout::Stems
            } else {
                TapLayout::Stereo
            }
        );
        assert_eq!(config.records_supervisors(), a.supervisors);
        assert_eq!(config.records_whispers(), a.supervisors && a.whispers);
        let left = match (a.stems, a.swapped) {
            (true, _) => None,
            (false, false) => Some(TapChannel::Customer),
            (false, true) => Some(TapChannel::Agent),
        };
        assert_eq!(config.left(), left, "left channel of {a:?}");
        assert_eq!(config.rate().map(|r| r.hz()), hz);
        let next = self.snapshot_tap(self.model.taps_added);
        let rate = hz.unwrap_or(call);
        let got = self.tap_control(
            "add_tap",
            |s| s.add_tap(config),
            |m| m.add_tap(config, a, rate, next),
        );
        if let Ok(id) = got {
            assert_eq!(
                id.get() as usize,
                self.model.taps_added - 1,
                "tap ids count adds"
            );
            let mirror = self.other.add_tap(config).unwrap();
            assert_eq!(mirror.get(), id.get(), "tap ids count adds");
            assert_ne!(mirror, id, "tap ids of two sessions");
            self.other_taps.push(mirror);
        }
    }

    /// Every query of a tap, each as the model answers it (error for
    /// error); they take `&self`, so a failing one changes nothing.
    fn tap_query(&self, id: TapId, party: PartyId) {
        let m = &self.model;
        let k = m.tap_index(id);
        let frame = k.clone().map(|k| m.taps[k].frame());
        match (self.s.tap_frame(id), &frame) {
            (Ok(got), Ok(want)) => assert!(same_frame(got, want), "tap_frame({id}) between ticks"),
            (got, want) => assert_eq!(got.err(), want.as_ref().err().cloned(), "tap_frame({id})"),
        }
        for ch in [TapChannel::Customer, TapChannel::Agent] {
            match (self.s.tap_channel(id, ch), m.tap_channel(id, ch)) {
                (Ok(got), Ok(want)) => {
                    assert!(
                        same_frame(got, want),
                        "tap_channel({id}, {ch:?}) between ticks"
                    )
                }
                (got, want) => assert_eq!(got.err(), want.err(), "tap_channel({id}, {ch:?})"),
            }
        }
        match (self.s.tap_stem(id, party), m.tap_stem(id, party)) {
            (Ok(got), Ok(want)) => {
                assert!(
                    same_frame(got, want),
                    "tap_stem({id}, {party}) between ticks"
                )
            }
            (got, want) => assert_eq!(got.err(), want.err(), "tap_stem({id}, {party})"),
        }
        let format = k.clone().map(|k| m.taps[k].format);
        assert_eq!(self.s.tap_format(id), format, "tap_format({id})");
        match (self.s.tap(id), &k) {
            (Ok(info), Ok(k)) => {
                let t = &m.taps[*k];
                assert_eq!(
                    (info.id, info.config, info.format, info.samples_clipped),
                    (t.id, t.config, t.format, t.clipped),
                    "tap({id})"
                );
            }
            (got, want) => assert_eq!(got.err(), want.clone().err(), "tap({id})"),
        }
        self.check_taps_listed();
    }

    /// `taps()`: every tap on the call, in order of adding, as added.
    fn check_taps_listed(&self) {
        let listed: Vec<_> = self
            .s
            .taps()
            .map(|t| (t.id, t.config, t.format, t.samples_clipped))
            .collect();
        let modelled: Vec<_> = self
            .model
            .taps
            .iter()
            .map(|t| (t.id, t.config, t.format, t.clipped))
            .collect();
        assert_eq!(listed, modelled, "taps()");
    }

    /// Drains up to `n` events, each as the model's trail gives it.
    fn poll(&mut self, n: usize) {
        for _ in 0..n {
            let want = self.model.trail.poll();
            let got = self.s.poll_event();
            assert_eq!(got, want, "audit trail");
            if want.is_none() {
                break;
            }
        }
    }

    /// Alternates one party's volume between muted and 0 dB: one event per
    /// real change, on a trail of any limit.
    fn flood(&mut self, w: Who, n: u16) {
        let id = self.who(w);
        let calls = (n as usize).min(self.flood_left);
        self.flood_left -= calls;
        let mut last = None;
        for k in 0..calls {
            let db = if k % 2 == 0 { f32::NEG_INFINITY } else { 0.0 };
            if k == 0 {
                // The first call with every check; an id that fails
                // fails every time.
                if self
                    .control(
                        "set_volume",
                        |s| s.set_volume(id, db),
                        |m| m.set_volume(id, db),
                    )
                    .is_err()
                {
                    return;
                }
                continue;
            }
            let got = self.s.set_volume(id, db);
            let want = self.model.set_volume(id, db);
            assert_eq!(got, want, "set_volume in a flood");
            last = Some(db);
        }
        if let Some(db) = last {
            let all = self.shadows.iter_mut();
            for shadow in all.chain([&mut self.twin, &mut self.untapped]) {
                shadow.set_volume(id, db).unwrap();
            }
        }
    }

    fn query(&self, a: PartyId, b: PartyId) {
        let m = &self.model;
        let want = m.index(a).map(|i| &m.parties[i]);
        match (self.s.output(a), &want) {
            (Ok(out), Ok(p)) if p.stale => assert_eq!(
                out.len(),
                p.leg.samples_per_frame(),
                "output of {a} at its leg's length"
            ),
            (Ok(out), Ok(p)) => assert!(same_frame(out, &p.output), "output of {a} between ticks"),
            (got, want) => assert_eq!(got.err(), want.as_ref().err().cloned(), "output({a})"),
        }
        match (self.s.party(a), &want) {
            (Ok(info), Ok(p)) => {
                assert_eq!(info.id, a);
                assert_eq!(info.role, p.public_role());
                assert_eq!(info.mode, p.mode());
                assert_eq!(
                    info.records_whisper,
                    matches!(p.role, RefRole::Recorder { whisper: true })
                );
                assert_eq!(info.volume, p.volume);
                assert_eq!(info.stats.frames_mixed, p.mixed);
                assert_eq!(info.stats.frames_missing, p.missing);
                assert_eq!(info.identity, p.ident.map(Ident::identity), "identity of {a}");
                assert_eq!(info.audience, p.audience(), "audience of {a}");
                assert_eq!(info.playing, p.tone.is_some(), "{a} playing");
            }
            (got, want) => assert_eq!(got.err(), want.as_ref().err().cloned(), "party({a})"),
        }
        let mode = want.as_ref().map(|p| p.mode()).map_err(Clone::clone);
        assert_eq!(self.s.mode(a), mode, "mode({a})");
        let leg = want.as_ref().map(|p| p.leg).map_err(Clone::clone);
        assert_eq!(self.s.leg_format(a), leg, "leg_format({a})");
        assert_eq!(
            self.s.route_gain(a, b),
            m.route_gain(a, b),
            "route_gain({a}, {b})"
        );
        assert_eq!(
            self.s.hears(a, b).map(|g| g.linear().to_bits()),
            m.hears(a, b).map(f32::to_bits),
            "hears({a}, {b})"
        );
        let listed: Vec<_> = self
            .s
            .parties()
            .map(|p| (p.id, p.role, p.mode, p.volume, p.identity, p.audience, p.playing))
            .collect();
        let modelled: Vec<_> = m
            .parties
            .iter()
            .map(|p| {
                let id = p.ident.map(Ident::identity);
                let playing = p.tone.is_some();
                (p.id, p.public_role(), p.mode(), p.volume, id, p.audience(), playing)
            })
            .collect();
        assert_eq!(listed, modelled, "parties()");
        assert_eq!(self.s.len(), m.parties.len());
        assert_eq!(self.s.is_empty(), m.parties.is_empty());
        assert_eq!(self.s.tick(), m.tick);
        assert_eq!(self.s.ramp(), m.ramp);
    }

    /// The compliance queries: `consent`, `routes` (every pair the model
    /// says is heard, at its gain, with both keys), `media_time`, the cues,
    /// the keypad map's presence, the policy's; `party(id)` as `query`.
    fn compliance(&self, id: PartyId) {
        let m = &self.model;
        assert_eq!(self.s.consent(), m.consent, "consent()");
        let routes: Vec<_> = self
            .s
            .routes()
            .map(|r| {
                let g = r.gain.linear().to_bits();
                (r.listener, r.listener_label, r.talker, r.talker_label, g)
            })
            .collect();
        let mut modelled = Vec::new();
        for (l, lp) in m.parties.iter().enumerate() {
            for (t, tp) in m.parties.iter().enumerate() {
                if let Some(g) = m.target(l, t).filter(|&g| g != 0.0) {
                    let (ll, tl) = (lp.ident.map(Ident::key), tp.ident.map(Ident::key));
                    modelled.push((lp.id, ll, tp.id, tl, g.to_bits()));
                }
            }
        }
        assert_eq!(routes, modelled, "routes()");
        let ms = m.format.ptime().ms() as u64;
        for at in [0, 1, m.tick, 12_345, u64::MAX / 3, u64::MAX] {
            let want = Duration::from_micros(at.saturating_mul(ms * 1000));
            assert_eq!(self.s.media_time(at), want, "media_time({at})");
        }
        for on in CueOn::ALL {
            assert_eq!(self.s.cue_for(on), m.cues[on as usize], "cue_for({on:?})");
        }
        assert_eq!(
            self.s.policy(),
            m.policy.as_ref().map(|p| p.policy()).as_ref(),
            "policy()"
        );
        self.query(id, id);
    }

    /// Every supervisor on a call with a policy is in a mode the policy
    /// grants it on every agent on the call (the grant rule written out in
    /// [`PolicyArg::granted`]), both with an identity.
    fn check_policy_holds(&self) {
        let Some(policy) = &self.model.policy else {
            return;
        };
        let m = &self.model;
        let ident = |id: PartyId| {
            let p = &m.parties[m.index(id).unwrap()];
            p.ident
        };
        let parties: Vec<_> = self.s.parties().collect();
        for s in parties.iter().filter(|p| p.role == Role::Supervisor) {
            let mode = MODES
                .into_iter()
                .find(|x| Some(x.mode()) == s.mode)
                .unwrap();
            for a in parties.iter().filter(|p| p.role == Role::Agent) {
                let (si, ai) = (ident(s.id), ident(a.id));
                assert_eq!(s.identity, si.map(Ident::identity));
                assert_eq!(a.identity, ai.map(Ident::identity));
                let granted = si.zip(ai).and_then(|(si, ai)| policy.granted(si, ai));
                assert!(
                    granted.is_some_and(|g| g & mode_bit(mode) != 0),
                    "supervisor {} ({si:?}) in {mode:?} on agent {} ({ai:?}) under {policy:?}",
                    s.id,
                    a.id
                );
            }
        }
    }

    /// Puts the events of the last tick on the model's trail. The session
    /// keeps them while its trail has room and counts the rest as dropped;
    /// the room is at least what the control calls reserved (the model's
    /// `cap`) but may be more: where that matters, the session's trail
    /// (drained from a copy) must be one of the outcomes, for some room.
    fn settle_trail(&mut self) {
        let events = std::mem::take(&mut self.model.tick_events);
        if events.is_empty() {
            return;
        }
        let base = self.model.trail.clone();
        let outcome = |room: usize| {
            let mut t = base.clone();
            for e in &events {
                t.record_in_tick(*e, room);
            }
            t
        };
        let least = outcome(base.cap);
        let most = outcome(usize::MAX);
        if least == most {
            self.model.trail = least;
            return;
        }
        let mut copy = self.s.clone();
        let theirs: Vec<Event> = std::iter::from_fn(|| copy.poll_event()).collect();
        for room in base.cap..=base.cap + events.len() {
            let t = outcome(room);
            if t.drained() == theirs {
                self.model.trail = t;
                return;
            }
        }
        panic!(
            "tick {}: the audit trail holds {theirs:?}, expected {:?} with room for {} events              or more (this tick's: {events:?})",
            self.model.tick - 1,
            least.drained(),
            base.cap
        );
    }

    /// Builds a list of borrowed frames as `a` says and ticks with it, or
    /// checks that it fails as the model says and changes nothing.
    fn mix_frames(&mut self, a: &MixArg) {
        let m = &self.model;
        let mut entries: Vec<(u32, PartyId, Vec<S>)> = Vec::new();
        for (i, p) in m.parties.iter().enumerate() {
            let pending = p.frame.is_some() || p.tone.is_some();
            if a.pick >> (i % 32) & 1 == 0 || (pending && !matches!(a.fault, Fault::Pending)) {
                continue;
            }
            let mut bits = a.frame.bits.clone();
            if !bits.is_empty() {
                let by = i % bits.len();
                bits.rotate_left(by);
            }
            let kind = a.frame.kind.wrapping_add(i as u8);
            let spf = p.leg.samples_per_frame();
            let frame = cycle(&bits, spf, |b| S::from_fuzz(b, kind), S::SILENCE);
            let key = (i as u32 ^ a.order as u32).wrapping_mul(0x9E37_79B1);
            entries.push((key, p.id, frame));
        }
        // An even `order` keeps the parties' order, the one the steady
        // path takes; an odd one shuffles.
        if a.order & 1 == 1 {
            entries.sort_by_key(|e| e.0);
        }
        let mut list: Vec<(PartyId, Vec<S>)> =
            entries.into_iter().map(|(_, id, f)| (id, f)).collect();
        match a.fault {
            Fault::None | Fault::Pending => {}
            Fault::Extra(w, at) => {
                let id = self.who(w);
                let frame = vec![S::SILENCE; self.model.leg_spf(id)];
                list.insert(at as usize % (list.len() + 1), (id, frame));
            }
            Fault::Twice(at) if !list.is_empty() => {
                let e = list[at as usize % list.len()].clone();
                list.push(e);
            }
            Fault::Length(at, d) if !list.is_empty() => {
                let k = at as usize % list.len();
                let frame = &mut list[k].1;
                let by = 1 + (d >> 1) as usize;
                if d & 1 == 0 {
                    frame.truncate(frame.len().saturating_sub(by));
                } else {
                    frame.resize(frame.len() + by, S::SILENCE);
                }
            }
            Fault::Twice(_) | Fault::Length(..) => {}
        }
        let want = self.model.mix_frames(&list);
        let borrowed: Vec<(PartyId, &[S])> = list.iter().map(|(id, f)| (*id, &f[..])).collect();
        if want.is_ok() {
            self.tick(Some(&borrowed));
            return;
        }
        let before = self.s.clone();
        let got = self.s.mix_frames(&borrowed);
        assert!(
            same(&got, &want),
            "mix_frames: got {got:?}, expected {want:?}"
        );
        check_unchanged(&before, &self.s, "mix_frames");
    }

    /// A tick: `mix`, or `mix_frames` of `borrowed` (already handed to
    /// the model), and every check of it.
    fn tick(&mut self, borrowed: Option<&[(PartyId, &[S])]>) {
        let m = &self.model;
        let tick = m.tick;
        let n = m.parties.len();
        let everyone = 0..n;
        // A resampler remembers what a shadow hid: a leg's or a tap's.
        let converted = (0..n).any(|i| m.converted(i))
            || m.taps.iter().any(|t| t.format.rate() != m.format.rate());
        // What each shadow hides this tick, by index into the parties.
        let mut hidden: [Vec<usize>; 5] = Default::default();
        let mut probe = [false; 5];
        let gated = m.gated();
        if n > 0 {
            let x = tick as usize % n;
            hidden[ONE_TALKER] = vec![x];
            probe[ONE_TALKER] = tick % 2 == 1 || m.parties[x].frame.is_none();
            let l = (tick as usize / n + tick as usize * 2 + 1) % n;
            hidden[KEPT_FROM_ONE] = everyone.clone().filter(|&t| !m.allows(l, t)).collect();
        }
        hidden[KEPT_FROM_ALL] = everyone
            .clone()
            .filter(|&t| (0..n).all(|l| !m.allows(l, t)))
            .collect();
        probe[KEPT_FROM_ALL] = true;
        hidden[KEPT_FROM_CUSTOMERS] = everyone
            .clone()
            .filter(|&t| !table_allows(RefRole::Customer, m.parties[t].role))
            .collect();
        probe[KEPT_FROM_CUSTOMERS] = tick.is_multiple_of(3);
        hidden[SUPERVISORS] = everyone
            .clone()
            .filter(|&t| matches!(m.parties[t].role, RefRole::Supervisor(_)))
            .collect();
        probe[SUPERVISORS] = tick.is_multiple_of(2);
        // A tone is the same in every shadow (each plays its own), and so
        // must a detecting supervisor's audio be, lest its detector take
        // another turn there: neither is hidden.
        for h in hidden.iter_mut() {
            h.retain(|&t| m.parties[t].tone.is_none() && m.parties[t].dtmf.is_none());
        }
        // Each party's probe and silent frames, at its leg's length.
        let probes: Vec<Vec<S>> = m
            .parties
            .iter()
            .map(|p| (0..p.leg.samples_per_frame()).map(S::probe).collect())
            .collect();
        for (k, shadow) in self.shadows.iter_mut().enumerate() {
            for (t, p) in m.parties.iter().enumerate() {
                let frame = if hidden[k].contains(&t) {
                    probe[k].then_some(&probes[t])
                } else {
                    p.frame.as_ref()
                };
                // A frame handed in before a cue started on its player is
                // the shadow's already, and the tone replaces it.
                if let Some(f) = frame.filter(|_| p.tone.is_none()) {
                    shadow.put_frame(p.id, f).unwrap();
                }
            }
        }
        for p in m.parties.iter().filter(|p| p.tone.is_none()) {
            let silent;
            let frame = match &p.frame {
                Some(f) => f,
                None => {
                    silent = vec![S::SILENCE; p.leg.samples_per_frame()];
                    &silent
                }
            };
            self.twin.put_frame(p.id, frame).unwrap();
            self.untapped.put_frame(p.id, frame).unwrap();
        }
        // Who must hear the same in each shadow: every listener kept from
        // all that it hides (itself included).
        let checked: [Vec<usize>; 5] = std::array::from_fn(|k| {
            everyone
                .clone()
                .filter(|&l| hidden[k].iter().all(|&t| !m.allows(l, t)))
                .collect()
        });

        match borrowed {
            Some(frames) => {
                let r = self.s.mix_frames(frames);
                assert!(r.is_ok(), "mix_frames: got {r:?}, expected Ok");
            }
            None => self.s.mix(),
        }
        for shadow in self.shadows.iter_mut().chain([&mut self.twin]) {
            shadow.mix();
        }
        self.untapped.mix();
        self.model.mix();
        self.settle_trail();

        let m = &self.model;
        let spf = m.spf;
        let via = if borrowed.is_some() {
            "mix_frames"
        } else {
            "mix"
        };
        assert_eq!(self.s.tick(), m.tick);
        // `outputs` lists every party in order with what `output` gives it.
        assert_eq!(self.s.outputs().len(), m.parties.len(), "tick {tick}");
        for ((id, all), p) in self.s.outputs().zip(&m.parties) {
            assert_eq!(id, p.id, "tick {tick}: outputs in the parties' order");
            let one = self.s.output(p.id).unwrap();
            assert!(core::ptr::eq(all, one), "tick {tick}: outputs of {id}");
        }
        // What the reference cannot predict, as the session gave it.
        let mut observed = Vec::new();
        for (l, p) in m.parties.iter().enumerate() {
            let out = self.s.output(p.id).unwrap();
            let leg_spf = p.leg.samples_per_frame();
            assert_eq!(
                out.len(),
                leg_spf,
                "tick {tick}: output of {} at {:?}",
                p.id,
                p.leg
            );
            for x in out {
                assert!(
                    x.valid_output(),
                    "tick {tick}: {} hears invalid {x:?}",
                    p.id
                );
            }
            if p.exact {
                for (i, (x, y)) in out.iter().zip(&p.output).enumerate() {
                    assert!(
                        x.same(*y),
                        "tick {tick} ({via}): {} hears {x:?} at sample {i}, reference {y:?}",
                        p.id
                    );
                }
            }
            assert!(
                same_frame(out, self.twin.output(p.id).unwrap()),
                "tick {tick}: {} ({:?}, leg {:?}) hears otherwise after {via} than after \
                 put_frame (a silent frame for each missing one) and mix",
                p.id,
                p.role,
                p.leg
            );
            for (k, shadow) in self.shadows.iter().enumerate() {
                if checked[k].contains(&l) {
                    assert!(
                        same_frame(out, shadow.output(p.id).unwrap()),
                        "tick {tick}: {} ({:?}) heard {} (of {:?}), which the table keeps from it",
                        p.id,
                        p.role,
                        SHADOWS[k],
                        hidden[k]
                            .iter()
                            .map(|&t| m.parties[t].id)
                            .collect::<Vec<_>>()
                    );
                }
            }
            assert!(
                same_frame(out, self.untapped.output(p.id).unwrap()),
                "tick {tick}: {} ({:?}) hears otherwise with taps ({}) than without",
                p.id,
                p.role,
                m.taps.len()
            );
            let st = self.s.party(p.id).unwrap().stats;
            let twin = self.twin.party(p.id).unwrap().stats;
            assert_eq!(
                twin,
                self.untapped.party(p.id).unwrap().stats,
                "tick {tick}: stats of {} with taps and without",
                p.id
            );
            assert_eq!(
                (st.samples_clipped, st.samples_non_finite),
                (twin.samples_clipped, twin.samples_non_finite),
                "tick {tick}: clipped and non-finite samples of {} after {via} and in the twin",
                p.id
            );
            assert_eq!(
                st.frames_mixed + st.frames_missing,
                p.present,
                "ticks present"
            );
            let clipped = if p.exact {
                p.clipped
            } else {
                // At most every sample of the mix, and of the leg's
                // conversion back to its rate.
                let most = spf + leg_spf * m.converted(l) as usize;
                let new = st.samples_clipped.checked_sub(p.clipped);
                assert!(
                    new.is_some_and(|k| k <= most as u64),
                    "tick {tick}: {} clipped {} after {}",
                    p.id,
                    st.samples_clipped,
                    p.clipped
                );
                observed.push((l, out.to_vec(), st.samples_clipped));
                st.samples_clipped
            };
            assert_eq!(
                (
                    st.frames_mixed,
                    st.frames_missing,
                    st.samples_clipped,
                    st.samples_non_finite
                ),
                (p.mixed, p.missing, clipped, p.non_finite),
                "tick {tick}: stats of {}",
                p.id
            );
        }
        if gated {
            // The consent gate: no supervisor or recorder hears anything.
            for p in m.parties.iter() {
                if matches!(p.role, RefRole::Supervisor(_) | RefRole::Recorder { .. })
                    && !m.converted(m.index(p.id).unwrap())
                    && p.exact
                {
                    let out = self.s.output(p.id).unwrap();
                    assert!(
                        out.iter().all(|x| x.same(S::SILENCE)),
                        "tick {tick}: {} ({:?}) heard something before the disclosure",
                        p.id,
                        p.role
                    );
                }
            }
        }
        for (l, out, clipped) in observed {
            let p = &mut self.model.parties[l];
            p.output = out;
            p.clipped = clipped;
        }
        self.check_taps(tick, &hidden);
        if gated {
            for t in self.model.taps.iter().filter(|t| t.exact.iter().all(|&e| e)) {
                let frame = self.s.tap_frame(t.id).unwrap();
                assert!(
                    frame.iter().all(|x| x.same(S::SILENCE)),
                    "tick {tick}: {} recorded something before the disclosure",
                    t.id
                );
            }
        }
        if converted {
            for shadow in &mut self.shadows {
                shadow.clone_from(&self.twin);
            }
        }
    }
}

impl<S: RefSample> Harness<S> {
    /// After a tick: every tap's frame, channels and stems at their
    /// lengths, valid, as the reference mixes them where it can, as in the
    /// twin, and, on every channel that records none of what a shadow hid
    /// this tick, as in that shadow.
    fn check_taps(&mut self, tick: u64, hidden: &[Vec<usize>; 5]) {
        self.check_taps_listed_but_clipped();
        let m = &self.model;
        let n = m.parties.len();
        let mut observed = Vec::new();
        for (k, t) in m.taps.iter().enumerate() {
            let id = t.id;
            let spf = m.tap_spf(t.format);
            let rows = if t.arg.stems { n } else { 2 };
            assert_eq!(t.channels.len(), rows);
            assert_eq!(self.s.tap_format(id), Ok(t.format), "tap_format({id})");
            let frame = self.s.tap_frame(id).unwrap();
            assert_eq!(
                frame.len(),
                rows * spf,
                "tick {tick}: tap_frame({id}) of {:?} with {n} parties",
                t.arg
            );
            for x in frame {
                assert!(x.valid_output(), "tick {tick}: {id} records invalid {x:?}");
            }
            let twin = self.twin.tap_frame(id).unwrap();
            assert!(
                same_frame(frame, twin),
                "tick {tick}: {id} records otherwise than in the twin"
            );
            let channels: Vec<&[S]> = if t.arg.stems {
                assert_eq!(
                    self.s.tap_channel(id, TapChannel::Customer),
                    Err(Error::NotStereo { tap: id })
                );
                m.parties
                    .iter()
                    .map(|p| self.s.tap_stem(id, p.id).unwrap())
                    .collect()
            } else {
                if let Some(p) = m.parties.first() {
                    assert_eq!(self.s.tap_stem(id, p.id), Err(Error::NotStems { tap: id }));
                }
                [TapChannel::Customer, TapChannel::Agent]
                    .map(|c| self.s.tap_channel(id, c).unwrap())
                    .to_vec()
            };
            let mut rebuilt = RefTap {
                channels: channels.iter().map(|c| c.to_vec()).collect(),
                ..t.clone()
            };
            for (c, ch) in channels.iter().enumerate() {
                assert_eq!(ch.len(), spf, "tick {tick}: channel {c} of {id}");
                if t.exact[c] {
                    for (i, (x, y)) in ch.iter().zip(&t.channels[c]).enumerate() {
                        assert!(
                            x.same(*y),
                            "tick {tick}: channel {c} of {id} ({:?}) holds {x:?} at sample {i}, \
                             reference {y:?}",
                            t.arg
                        );
                    }
                }
                for (j, shadow) in self.shadows.iter().enumerate() {
                    let kept = hidden[j]
                        .iter()
                        .all(|&h| !t.on_channel(c, h, m.parties[h].role));
                    if !kept {
                        continue;
                    }
                    let theirs = if t.arg.stems {
                        shadow.tap_stem(id, m.parties[c].id)
                    } else {
                        shadow.tap_channel(id, [TapChannel::Customer, TapChannel::Agent][c])
                    };
                    assert!(
                        same_frame(ch, theirs.unwrap()),
                        "tick {tick}: channel {c} of {id} ({:?}) recorded {} (of {:?}), which \
                         it does not record",
                        t.arg,
                        SHADOWS[j],
                        hidden[j]
                            .iter()
                            .map(|&h| (m.parties[h].id, m.parties[h].role))
                            .collect::<Vec<_>>()
                    );
                }
            }
            // The frame is the channels, interleaved or one after the other.
            let whole = rebuilt.frame();
            assert!(
                same_frame(frame, &whole),
                "tick {tick}: tap_frame({id}) is not its channels laid out as {:?}",
                t.arg
            );
            let info = self.s.tap(id).unwrap();
            assert_eq!(
                info.samples_clipped,
                self.twin.tap(id).unwrap().samples_clipped,
                "tick {tick}: clipped samples of {id} in the twin"
            );
            if t.exact.iter().all(|&e| e) {
                assert_eq!(
                    info.samples_clipped, t.clipped,
                    "tick {tick}: clipped by {id}"
                );
            } else {
                // At most every sample of the mix, and of the conversion.
                let most = (rows * (m.spf + spf)) as u64;
                let new = info.samples_clipped.checked_sub(t.clipped);
                assert!(
                    new.is_some_and(|x| x <= most),
                    "tick {tick}: {id} clipped {} after {}",
                    info.samples_clipped,
                    t.clipped
                );
                rebuilt.clipped = info.samples_clipped;
            }
            observed.push((k, rebuilt));
        }
        for (k, t) in observed {
            self.model.taps[k] = t;
        }
        self.check_taps_listed();
    }

    /// `taps()` before the tick's counts are taken from the session.
    fn check_taps_listed_but_clipped(&self) {
        let listed: Vec<_> = self.s.taps().map(|t| (t.id, t.config, t.format)).collect();
        let modelled: Vec<_> = self
            .model
            .taps
            .iter()
            .map(|t| (t.id, t.config, t.format))
            .collect();
        assert_eq!(listed, modelled, "taps()");
    }
}

fn same_frame<S: RefSample>(a: &[S], b: &[S]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same(*y))
}

// The byte format of a case. Hand-written rather than derived so that one
// byte picks an operation (mutations stay meaningful) and so that seeds can
// be written from Rust with `Input::encode` (see `tests/scenarios.rs`).
//
//   case  := flags rate ptime op*            flags bit 0: f32 samples
//   op    := tag(u8 % 37) args               in the order of `Op`'s variants
//   who   := u8        db := tag(u8 % 5) [i16 | u32]
//   ramp  := tag(u8 % 5) [u16 | u64]
//   mode  := u8 % 5    limit := tag(u8 % 5) [u8 | u16]
//   poll  := u8        flood := who u16
//   frame := len(u8 % 4: exact, exact, short u16, long u16) kind(u8)
//            count(u8 % 17) u32 × count
//   leg   := rate(u8) ptime(u8)
//   mix   := pick(u32) order(u8) fault frame
//   fault := tag(u8 % 8: none × 4, extra who u8, twice u8, pending,
//            length u8 u8)
//   tap   := flags(u8: bit 0 stems, 1 whispers, 2 supervisors, 3 swapped)
//            rate(u8)
//   tapwho := u8       tapquery := tapwho who
//   aud   := u8 (bits)  tone := kind(u8) a(u8) b(u8)
//   cue   := on(u8) flag(u8 % 4: 0 none) [tone aud]
//   press := who digit(u8)  dtmf := who digit(u8) on(u8)
//   id    := u8          joinas := role id   joinsupas := mode id
//   policy := n(u8 % 5: 4 none) [grant(u8 u8 u8) × n, opt(u8)]
// Missing bytes at the end read as zeros. Integers are little-endian.

type R<T> = arbitrary::Result<T>;

fn byte(u: &mut Unstructured<'_>) -> R<u8> {
    u8::arbitrary(u)
}

impl<'a> Arbitrary<'a> for Input {
    fn arbitrary(u: &mut Unstructured<'a>) -> R<Input> {
        let float = byte(u)? & 1 == 1;
        let (rate, ptime) = (byte(u)?, byte(u)?);
        let mut ops = Vec::new();
        while !u.is_empty() && ops.len() < MAX_OPS {
            ops.push(Op::arbitrary(u)?);
        }
        Ok(Input {
            float,
            rate,
            ptime,
            ops,
        })
    }
}

impl<'a> Arbitrary<'a> for Who {
    fn arbitrary(u: &mut Unstructured<'a>) -> R<Who> {
        Ok(Who(byte(u)?))
    }
}

impl<'a> Arbitrary<'a> for RoleArg {
    fn arbitrary(u: &mut Unstructured<'a>) -> R<RoleArg> {
        use RoleArg::*;
        Ok([Customer, Agent, Supervisor, Recorder][byte(u)? as usize % 4])
    }
}

impl<'a> Arbitrary<'a> for ModeArg {
    fn arbitrary(u: &mut Unstructured<'a>) -> R<ModeArg> {
        use ModeArg::*;
        Ok([Monitor, Whisper, PrivateWhisper, CustomerOnly, Barge][byte(u)? as usize % 5])
    }
}

impl<'a> Arbitrary<'a> for DbArg {
    fn arbitrary(u: &mut Unstructured<'a>) -> R<DbArg> {
        Ok(match byte(u)? % 5 {
            0 => DbArg::Zero,
            1 => DbArg::Muted,
            2 => DbArg::Max,
            3 => DbArg::Tenths(i16::arbitrary(u)?),
            _ => DbArg::Raw(u32::arbitrary(u)?),
        })
    }
}

impl<'a> Arbitrary<'a> for RampArg {
    fn arbitrary(u: &mut Unstructured<'a>) -> R<RampArg> {
        Ok(match byte(u)? % 5 {
            0 => RampArg::Zero,
            1 => RampArg::Micros(u16::arbitrary(u)?),
            2 => RampArg::Nanos(u64::arbitrary(u)?),
            3 => RampArg::Frame,
            _ => RampArg::FramePlusOne,
        })
    }
}

impl<'a> Arbitrary<'a> for LimitArg {
    fn arbitrary(u: &mut Unstructured<'a>) -> R<LimitArg> {
        Ok(match byte(u)? % 5 {
            0 => LimitArg::Zero,
            1 => LimitArg::Small(byte(u)?),
            2 => LimitArg::Large(u16::arbitrary(u)?),
            3 => LimitArg::Default,
            _ => LimitArg::Unbounded,
        })
    }
}

impl<'a> Arbitrary<'a> for FrameArg {
    fn arbitrary(u: &mut Unstructured<'a>) -> R<FrameArg> {
        let len = match byte(u)? % 4 {
            0 | 1 => LenArg::Exact,
            2 => LenArg::Short(u16::arbitrary(u)?),
            _ => LenArg::Long(u16::arbitrary(u)?),
        };
        let kind = byte(u)?;
        let count = byte(u)? % 17;
        let bits = (0..count)
            .map(|_| u32::arbitrary(u))
            .collect::<R<Vec<u32>>>()?;
        Ok(FrameArg { len, kind, bits })
    }
}

impl<'a> Arbitrary<'a> for Op {
    fn arbitrary(u: &mut Unstructured<'a>) -> R<Op> {
        let w = |u: &mut Unstructured<'a>| Who::arbitrary(u);
        Ok(match byte(u)? % 37 {
            0 => Op::Join(RoleArg::arbitrary(u)?),
            1 => Op::JoinSupervisor(ModeArg::arbitrary(u)?),
            2 => Op::JoinRecorder(byte(u)? & 1 == 1),
            3 => Op::Leave(w(u)?),
            4 => Op::SetMode(w(u)?, ModeArg::arbitrary(u)?),
            5 => Op::SetRouteGain(w(u)?, w(u)?, DbArg::arbitrary(u)?),
            6 => Op::ClearRouteGain(w(u)?, w(u)?),
            7 => Op::SetVolume(w(u)?, DbArg::arbitrary(u)?),
            8 => Op::SetRamp(RampArg::arbitrary(u)?),
            9 => Op::Put(w(u)?, FrameArg::arbitrary(u)?),
            10 => Op::FrameMut(w(u)?, FrameArg::arbitrary(u)?),
            11 => Op::Tick,
            12 => Op::Query(w(u)?, w(u)?),
            13 => Op::SetEventLimit(LimitArg::arbitrary(u)?),
            14 => Op::Poll(byte(u)?),
            15 => Op::Flood(w(u)?, u16::arbitrary(u)?),
            16 => Op::SetLegFormat(
                w(u)?,
                LegArg {
                    rate: byte(u)?,
                    ptime: byte(u)?,
                },
            ),
            17 => Op::MixFrames(MixArg::arbitrary(u)?),
            18 => {
                let flags = byte(u)?;
                Op::AddTap(TapArg {
                    stems: flags & 1 != 0,
                    whispers: flags & 2 != 0,
                    supervisors: flags & 4 != 0,
                    swapped: flags & 8 != 0,
                    rate: byte(u)?,
                })
            }
            19 => Op::RemoveTap(TapWho(byte(u)?)),
            20 => Op::TapQuery(TapWho(byte(u)?), w(u)?),
            21 => Op::JoinAnnouncement(AudArg(byte(u)?)),
            22 => Op::SetAudience(w(u)?, AudArg(byte(u)?)),
            23 => Op::Play(w(u)?, tone_arg(u)?),
            24 => Op::Stop(w(u)?),
            25 => {
                let on = byte(u)?;
                Op::SetCue(
                    on,
                    if byte(u)? % 4 == 0 {
                        None
                    } else {
                        Some((tone_arg(u)?, AudArg(byte(u)?)))
                    },
                )
            }
            26 => Op::SetDtmfMap(byte(u)?),
            27 => Op::Press(w(u)?, byte(u)?),
            28 => Op::DetectDtmf(w(u)?, byte(u)? & 1 == 1),
            29 => Op::PutDtmf(w(u)?, byte(u)?, byte(u)?),
            30 => Op::JoinAs(RoleArg::arbitrary(u)?, IdArg(byte(u)?)),
            31 => Op::JoinSupervisorAs(ModeArg::arbitrary(u)?, IdArg(byte(u)?)),
            32 => {
                let n = byte(u)? % 5;
                if n == 4 {
                    Op::SetPolicy(None)
                } else {
                    let grants = (0..n)
                        .map(|_| Ok([byte(u)?, byte(u)?, byte(u)?]))
                        .collect::<R<Vec<_>>>()?;
                    Op::SetPolicy(Some(PolicyArg {
                        grants,
                        opt: byte(u)?,
                    }))
                }
            }
            33 => Op::RequireDisclosure(byte(u)? & 1 == 1),
            34 => Op::RecordConsent,
            35 => Op::SetDisclosure(w(u)?),
            _ => Op::Compliance(w(u)?),
        })
    }
}

fn tone_arg(u: &mut Unstructured<'_>) -> R<ToneArg> {
    Ok(ToneArg {
        kind: byte(u)?,
        a: byte(u)?,
        b: byte(u)?,
    })
}

impl<'a> Arbitrary<'a> for MixArg {
    fn arbitrary(u: &mut Unstructured<'a>) -> R<MixArg> {
        let pick = u32::arbitrary(u)?;
        let order = byte(u)?;
        let fault = match byte(u)? % 8 {
            0..=3 => Fault::None,
            4 => Fault::Extra(Who::arbitrary(u)?, byte(u)?),
            5 => Fault::Twice(byte(u)?),
            6 => Fault::Pending,
            _ => Fault::Length(byte(u)?, byte(u)?),
        };
        Ok(MixArg {
            pick,
            order,
            fault,
            frame: FrameArg::arbitrary(u)?,
        })
    }
}

impl Input {
    /// The bytes that decode to this case: for writing seeds.
    pub fn encode(&self) -> Vec<u8> {
        let mut b = vec![self.float as u8, self.rate, self.ptime];
        for op in &self.ops {
            op.encode(&mut b);
        }
        b
    }
}

impl DbArg {
    fn encode(self, b: &mut Vec<u8>) {
        match self {
            DbArg::Zero => b.push(0),
            DbArg::Muted => b.push(1),
            DbArg::Max => b.push(2),
            DbArg::Tenths(t) => {
                b.push(3);
                b.extend(t.to_le_bytes());
            }
            DbArg::Raw(x) => {
                b.push(4);
                b.extend(x.to_le_bytes());
            }
        }
    }
}

impl RampArg {
    fn encode(self, b: &mut Vec<u8>) {
        match self {
            RampArg::Zero => b.push(0),
            RampArg::Micros(us) => {
                b.push(1);
                b.extend(us.to_le_bytes());
            }
            RampArg::Nanos(ns) => {
                b.push(2);
                b.extend(ns.to_le_bytes());
            }
            RampArg::Frame => b.push(3),
            RampArg::FramePlusOne => b.push(4),
        }
    }
}

impl LimitArg {
    fn encode(self, b: &mut Vec<u8>) {
        match self {
            LimitArg::Zero => b.push(0),
            LimitArg::Small(n) => b.extend([1, n]),
            LimitArg::Large(n) => {
                b.push(2);
                b.extend(n.to_le_bytes());
            }
            LimitArg::Default => b.push(3),
            LimitArg::Unbounded => b.push(4),
        }
    }
}

impl FrameArg {
    fn encode(&self, b: &mut Vec<u8>) {
        match self.len {
            LenArg::Exact => b.push(0),
            LenArg::Short(d) => {
                b.push(2);
                b.extend(d.to_le_bytes());
            }
            LenArg::Long(d) => {
                b.push(3);
                b.extend(d.to_le_bytes());
            }
        }
        b.push(self.kind);
        let bits = &self.bits[..self.bits.len().min(16)];
        b.push(bits.len() as u8);
        for x in bits {
            b.extend(x.to_le_bytes());
        }
    }
}

impl Op {
    fn encode(&self, b: &mut Vec<u8>) {
        match self {
            Op::Join(r) => b.extend([0, *r as u8]),
            Op::JoinSupervisor(m) => b.extend([1, *m as u8]),
            Op::JoinRecorder(w) => b.extend([2, *w as u8]),
            Op::Leave(w) => b.extend([3, w.0]),
            Op::SetMode(w, m) => b.extend([4, w.0, *m as u8]),
            Op::SetRouteGain(l, t, db) => {
                b.extend([5, l.0, t.0]);
                db.encode(b);
            }
            Op::ClearRouteGain(l, t) => b.extend([6, l.0, t.0]),
            Op::SetVolume(w, db) => {
                b.extend([7, w.0]);
                db.encode(b);
            }
            Op::SetRamp(r) => {
                b.push(8);
                r.encode(b);
            }
            Op::Put(w, f) => {
                b.extend([9, w.0]);
                f.encode(b);
            }
            Op::FrameMut(w, f) => {
                b.extend([10, w.0]);
                f.encode(b);
            }
            Op::Tick => b.push(11),
            Op::Query(a, c) => b.extend([12, a.0, c.0]),
            Op::SetEventLimit(l) => {
                b.push(13);
                l.encode(b);
            }
            Op::Poll(n) => b.extend([14, *n]),
            Op::Flood(w, n) => {
                b.extend([15, w.0]);
                b.extend(n.to_le_bytes());
            }
            Op::SetLegFormat(w, l) => b.extend([16, w.0, l.rate, l.ptime]),
            Op::MixFrames(m) => {
                b.push(17);
                b.extend(m.pick.to_le_bytes());
                b.push(m.order);
                match m.fault {
                    Fault::None => b.push(0),
                    Fault::Extra(w, at) => b.extend([4, w.0, at]),
                    Fault::Twice(at) => b.extend([5, at]),
                    Fault::Pending => b.push(6),
                    Fault::Length(at, d) => b.extend([7, at, d]),
                }
                m.frame.encode(b);
            }
            Op::AddTap(t) => {
                let flags = t.stems as u8
                    | (t.whispers as u8) << 1
                    | (t.supervisors as u8) << 2
                    | (t.swapped as u8) << 3;
                b.extend([18, flags, t.rate]);
            }
            Op::RemoveTap(w) => b.extend([19, w.0]),
            Op::TapQuery(t, p) => b.extend([20, t.0, p.0]),
            Op::JoinAnnouncement(a) => b.extend([21, a.0]),
            Op::SetAudience(w, a) => b.extend([22, w.0, a.0]),
            Op::Play(w, t) => b.extend([23, w.0, t.kind, t.a, t.b]),
            Op::Stop(w) => b.extend([24, w.0]),
            Op::SetCue(on, None) => b.extend([25, *on, 0]),
            Op::SetCue(on, Some((t, a))) => b.extend([25, *on, 1, t.kind, t.a, t.b, a.0]),
            Op::SetDtmfMap(k) => b.extend([26, *k]),
            Op::Press(w, d) => b.extend([27, w.0, *d]),
            Op::DetectDtmf(w, on) => b.extend([28, w.0, *on as u8]),
            Op::PutDtmf(w, d, on) => b.extend([29, w.0, *d, *on]),
            Op::JoinAs(r, i) => b.extend([30, *r as u8, i.0]),
            Op::JoinSupervisorAs(m, i) => b.extend([31, *m as u8, i.0]),
            Op::SetPolicy(None) => b.extend([32, 4]),
            Op::SetPolicy(Some(p)) => {
                let n = p.grants.len().min(3);
                b.extend([32, n as u8]);
                for g in &p.grants[..n] {
                    b.extend(g);
                }
                b.push(p.opt);
            }
            Op::RequireDisclosure(r) => b.extend([33, *r as u8]),
            Op::RecordConsent => b.push(34),
            Op::SetDisclosure(w) => b.extend([35, w.0]),
            Op::Compliance(w) => b.extend([36, w.0]),
        }
    }
}
