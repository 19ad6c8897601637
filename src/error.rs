//! The one error type of the crate.

use core::time::Duration;

use crate::format::Format;
use crate::id::{PartyId, TapId};
use crate::label::Label;
use crate::policy::refusal::Refusal;
use crate::route::{Audience, Role};

/// Everything that can go wrong in a call to `barge`.
///
/// Each variant carries the value that was given and says what was expected,
/// so that its message alone is enough to find the mistake. A control call that
/// returns an error has left the session exactly as it was.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The sample rate is not one of 8000, 16000, 24000, 32000 or 48000 Hz.
    #[error(
        "unsupported sample rate {given} Hz: expected one of 8000, 16000, 24000, 32000 or 48000 Hz"
    )]
    UnsupportedSampleRate {
        /// The rate that was given, in Hz.
        given: u32,
    },

    /// The frame duration (ptime) is not one of 10, 20, 30, 40 or 60 ms.
    #[error("unsupported frame duration {}: expected 10, 20, 30, 40 or 60 ms", Micros(*given_us))]
    UnsupportedPtime {
        /// The duration that was given, in microseconds.
        given_us: u64,
    },

    /// A frame handed to the session or the kernel has the wrong number of
    /// samples for the session's format.
    #[error("frame of {given} samples: expected {expected} samples ({format})")]
    FrameLength {
        /// Samples in the frame that was given.
        given: usize,
        /// Samples per frame of the format.
        expected: usize,
        /// The format the frame was checked against.
        format: Format,
    },

    /// The id was handed out by a snapshot (a clone) of this session after
    /// it was taken, not by this session.
    #[error("unknown party {party}: it never joined this session")]
    UnknownParty {
        /// The id that was given.
        party: PartyId,
    },

    /// The id belongs to another session (another call): ids act only on
    /// the session that issued them.
    #[error("party {party} belongs to another session: expected an id this session handed out")]
    ForeignParty {
        /// The id that was given.
        party: PartyId,
    },

    /// A leg's frames neither last a whole number of the call's ticks nor
    /// divide one: a 30 ms leg on a 20 ms call. The message lists the
    /// durations that fit.
    #[error(
        "leg frames of {given_ms} ms on a call that ticks every {expected_ms} ms: expected {}, \
         or a call that ticks every {} ms",
        FittingPtimes(*expected_ms),
        Gcd(*given_ms, *expected_ms)
    )]
    LegFrameDuration {
        /// The leg's frame duration, in ms.
        given_ms: u32,
        /// The call's, in ms.
        expected_ms: u32,
    },

    /// A frame was handed in for a leg between its frames: a leg whose
    /// frames span several ticks takes one when [`Session::frame_due`]
    /// says so.
    ///
    /// [`Session::frame_due`]: crate::Session::frame_due
    #[error("party {party}'s leg takes no frame now: its next frame is due at tick {next}")]
    FrameNotDue {
        /// The party.
        party: PartyId,
        /// The tick its next frame is due for.
        next: u64,
    },

    /// The session has handed out every party id it can (2³² − 1 joins);
    /// ids are never reused, so it takes no more joins.
    #[error("no party id left: this session has handed out {joins} ids, the most it can")]
    PartyIdsExhausted {
        /// How many ids the session has handed out.
        joins: u64,
    },

    /// The party has left the session; its id is not reused.
    #[error("party {party} has left this session: expected a party that is still on the call")]
    PartyLeft {
        /// The id that was given.
        party: PartyId,
    },

    /// A supervisor mode was set on a party that is not a supervisor.
    #[error("party {party} is a {role}: only a supervisor has a monitor, whisper or barge mode")]
    NotASupervisor {
        /// The party that was given.
        party: PartyId,
        /// Its role.
        role: Role,
    },

    /// A route from a party to itself was given: nobody hears themselves.
    #[error(
        "route from party {party} to itself: a listener and a talker must be two different parties"
    )]
    SelfRoute {
        /// The party given as both listener and talker.
        party: PartyId,
    },

    /// The session already holds its maximum number of parties.
    #[error("session is full: {max} parties at most, all {max} places taken")]
    TooManyParties {
        /// The maximum number of parties per session.
        max: usize,
    },

    /// An announcement's call was made on a party that is not one.
    #[error("party {party} is a {role}: expected an announcement")]
    NotAnAnnouncement {
        /// The party that was given.
        party: PartyId,
        /// Its role.
        role: Role,
    },

    /// A frame, another leg format or the end of the host's prompt was
    /// given for an announcement that plays a tone.
    #[error("party {party} is playing a tone: expected nothing from the host (no frame, leg format or prompt's end) until the tone ends or is stopped")]
    TonePlaying {
        /// The announcement.
        party: PartyId,
    },

    /// The session already holds its maximum number of recording taps.
    #[error("too many taps: {max} taps at most on one call, all {max} taken")]
    TooManyTaps {
        /// The maximum number of taps per session.
        max: usize,
    },

    /// The session has handed out every tap id it can (2³² − 1).
    #[error("no tap id left: this session has handed out {taps} tap ids, the most it can")]
    TapIdsExhausted {
        /// How many tap ids the session has handed out.
        taps: u64,
    },

    /// A tap id of another session was given.
    #[error("{tap} belongs to another session: expected a tap of this call")]
    ForeignTap {
        /// The id that was given.
        tap: TapId,
    },

    /// A tap that was removed (or added to a later snapshot of this
    /// session) was given.
    #[error("{tap} is not on this call (removed, or added after this snapshot): expected a tap of this call")]
    UnknownTap {
        /// The id that was given.
        tap: TapId,
    },

    /// A stereo channel was asked of a tap of stems.
    #[error("{tap} records stems: expected a stereo tap for a stereo channel")]
    NotStereo {
        /// The tap that was given.
        tap: TapId,
    },

    /// A party's stem was asked of a stereo tap.
    #[error("{tap} records stereo: expected a tap of stems for a party's stem")]
    NotStems {
        /// The tap that was given.
        tap: TapId,
    },

    /// A gain (volume or route gain) in dB is out of range or not a number.
    #[error("gain of {given_db} dB: expected muted (-inf) or a finite value up to +{max_db} dB")]
    GainOutOfRange {
        /// The gain that was given, in dB.
        given_db: f32,
        /// The largest accepted gain, in dB.
        max_db: f32,
    },

    /// A linear gain factor is negative, not a number, or louder than
    /// +12 dB.
    #[error("linear gain of {given}: expected 0.0 (muted) up to {max} (+12 dB)")]
    LinearGainOutOfRange {
        /// The factor that was given.
        given: f32,
        /// The largest accepted factor ([`Gain::MAX`](crate::Gain::MAX)).
        max: f32,
    },

    /// The gain ramp is longer than one frame.
    #[error("gain ramp of {given:?}: expected at most one frame ({max:?})")]
    RampTooLong {
        /// The ramp duration that was given.
        given: Duration,
        /// The frame duration of the session.
        max: Duration,
    },

    /// A frame was handed in twice for the same party in the same tick (for
    /// a leg of frames shorter than the call's: one more than the tick
    /// holds).
    #[error("party {party} already handed in its frame for tick {tick}: expected one frame per party per tick (for a leg of frames shorter than the call's, as many as fill the tick)")]
    DuplicateFrame {
        /// The party.
        party: PartyId,
        /// The tick (frame index) the frame was meant for.
        tick: u64,
    },

    /// The kernel was given a number of outputs or gains that does not match
    /// its inputs.
    #[error("{what}: got {given}, expected {expected}")]
    MatrixShape {
        /// What was miscounted.
        what: &'static str,
        /// How many were given.
        given: usize,
        /// How many were expected.
        expected: usize,
    },

    /// Two slices that must be of the same length are not (e.g. samples
    /// and G.711 code bytes).
    #[error("{what}: got {given}, expected {expected}")]
    LengthMismatch {
        /// What was miscounted.
        what: &'static str,
        /// How many were given.
        given: usize,
        /// How many were expected.
        expected: usize,
    },

    /// A driver was built for another format than the session it runs.
    #[error("a session in format {given} run by a driver built for another: expected {expected}")]
    FormatMismatch {
        /// The format that was given.
        given: Format,
        /// The format that was expected.
        expected: Format,
    },

    /// A leg's source or sink was built for another format than its
    /// party's leg ([`Session::leg_format`](crate::Session::leg_format)): a
    /// [`G711Source`](crate::media::G711Source) is 8 kHz, a
    /// [`Converted`](crate::media::Converted) leg has the format it was
    /// given.
    #[error("party {party}'s {end} is built for {given}: expected its leg's format, {expected}")]
    LegFormat {
        /// The party whose leg it is.
        party: PartyId,
        /// Which end of the leg is wrong.
        end: LegEnd,
        /// The format the end was built for.
        given: Format,
        /// The format of the party's leg.
        expected: Format,
    },

    /// An announcement would be the call's disclosure
    /// ([`Session::set_disclosure`](crate::Session::set_disclosure)) while
    /// playing a tone that repeats forever: it would never play to its end.
    #[error("announcement {party} plays a tone that repeats forever: a disclosure must end (a tone that ends, or the host's own prompt)")]
    DisclosureNeverEnds {
        /// The announcement.
        party: PartyId,
    },

    /// The call's disclosure would not be heard by the customer: its
    /// announcement's audience leaves customers out.
    #[error(
        "announcement {party} is heard by {audience}: expected a disclosure the customer hears"
    )]
    DisclosureUnheard {
        /// The announcement.
        party: PartyId,
        /// Its audience, without customers.
        audience: Audience,
    },

    /// A codec was asked for a sample rate it does not carry (G.711 is
    /// 8000 Hz only).
    #[error("{codec} at {given} Hz: expected {expected} Hz")]
    CodecRate {
        /// The codec.
        codec: &'static str,
        /// The sample rate that was given, in Hz.
        given: u32,
        /// The sample rate the codec carries, in Hz.
        expected: u32,
    },

    // Tones and DTMF.
    /// A tone's frequency is not a number, not above 0 Hz, or not below the
    /// Nyquist frequency (half the sample rate) it is generated at.
    #[error("tone frequency of {given_hz} Hz: expected above 0 Hz and below {nyquist_hz} Hz (half the sample rate)")]
    ToneFrequency {
        /// The frequency that was given, in Hz.
        given_hz: f32,
        /// Half the sample rate, in Hz: the frequency must be below it.
        nyquist_hz: f32,
    },

    /// A tone's level is not a number, or so loud that the peaks of its
    /// components add up beyond full scale.
    #[error("tone level of {given_dbm0} dBm0: expected a finite level of at most {max_dbm0} dBm0 (full scale)")]
    ToneLevel {
        /// The level of the component that was given, in dBm0.
        given_dbm0: f32,
        /// The loudest level that component can have beside the other
        /// (if any), in dBm0.
        max_dbm0: f32,
    },

    /// A tone's cadence is out of range: an on-time of 0 ms, a repeat count
    /// of 0, a click-free edge longer than the on-time or than the pause
    /// between bursts.
    #[error("{what}: got {given}, expected {min} to {max}")]
    ToneCadence {
        /// What was out of range, with its unit.
        what: &'static str,
        /// The value that was given.
        given: u64,
        /// The smallest accepted value.
        min: u64,
        /// The largest accepted value.
        max: u64,
    },

    /// An RFC 4733 telephone-event code that is not a DTMF digit.
    #[error("telephone-event code {given}: expected a DTMF digit, 0 to 15")]
    DtmfEventCode {
        /// The code that was given.
        given: u8,
    },

    /// A character that is not a DTMF digit.
    #[error("DTMF digit {given:?}: expected one of 0-9, *, #, A-D")]
    DtmfChar {
        /// The character that was given.
        given: char,
    },

    // Labels and policy.
    /// A [`Label`] of no text.
    #[error("empty label: expected 1 to {max} bytes of UTF-8")]
    EmptyLabel {
        /// The longest label, in bytes ([`Label::MAX_LEN`]).
        max: usize,
    },

    /// A [`Label`] longer than [`Label::MAX_LEN`] bytes of UTF-8.
    #[error("label of {given} bytes: expected 1 to {max} bytes of UTF-8")]
    LabelTooLong {
        /// Bytes of the text that was given.
        given: usize,
        /// The longest label, in bytes ([`Label::MAX_LEN`]).
        max: usize,
    },

    /// A [`Label`] holding a control character (a line break, a tab, NUL,
    /// DEL, a C1 control) or a Unicode line or paragraph separator.
    #[error("label with {character:?} at byte {at}: expected no control character or line separator, so that an audit line stays one line")]
    LabelCharacter {
        /// The character refused.
        character: char,
        /// Its byte offset in the text that was given.
        at: usize,
    },

    /// A group for an [`Identity`](crate::policy::Identity) that has [`Identity::MAX_GROUPS`](crate::policy::Identity::MAX_GROUPS)
    /// already.
    #[error(
        "group {group:?} for {key:?}: expected at most {max} groups, and {key:?} has {max} already"
    )]
    TooManyGroups {
        /// The identity's key.
        key: Label,
        /// The group that was given.
        group: Label,
        /// The most groups an identity has ([`Identity::MAX_GROUPS`](crate::policy::Identity::MAX_GROUPS)).
        max: usize,
    },

    /// A [`Grant`](crate::policy::Grant) on an explicit list of more than
    /// [`AgentKeys::MAX`](crate::policy::AgentKeys::MAX) agents.
    #[error("grant on a list of {given} agents: expected at most {max}")]
    TooManyAgents {
        /// Agents in the list that was given (after duplicates were
        /// removed).
        given: usize,
        /// The longest list ([`AgentKeys::MAX`](crate::policy::AgentKeys::MAX)).
        max: usize,
    },

    /// The policy does not let this supervisor use this mode on this agent:
    /// the [`Refusal`] says who, what and why.
    #[error("{refusal}")]
    Refused {
        /// Who was refused what, and why.
        refusal: Refusal,
    },

    /// A setting of the call signals
    /// ([`SignalConfig`](crate::SignalConfig)) out of its range.
    #[error("call signal setting {setting} of {given}: expected {min} to {max} {unit}")]
    SignalSetting {
        /// The setting, as its method on `SignalConfig` is named.
        setting: &'static str,
        /// The value that was given, in `unit`.
        given: u64,
        /// The smallest value it takes.
        min: u64,
        /// The largest value it takes.
        max: u64,
        /// What the values count: `"ms"` or `"a minute"`.
        unit: &'static str,
    },
}

/// Shows a duration in microseconds as whole milliseconds when it is one.
/// The leg frame durations that fit a call of frames of this many ms: those
/// it divides and those that divide it.
struct FittingPtimes(u32);

impl core::fmt::Display for FittingPtimes {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let call = self.0;
        let mut first = true;
        for p in crate::format::Ptime::ALL {
            let ms = p.ms();
            if call != 0 && (ms % call == 0 || call % ms == 0) {
                let sep = if first { "" } else { ", " };
                write!(f, "{sep}{ms}")?;
                first = false;
            }
        }
        f.write_str(" ms")
    }
}

/// The longest frame duration that both divide: the tick at which a call
/// takes legs of both.
struct Gcd(u32, u32);

impl core::fmt::Display for Gcd {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let (mut a, mut b) = (self.0, self.1);
        while b != 0 {
            (a, b) = (b, a % b);
        }
        write!(f, "{a}")
    }
}

struct Micros(u64);

impl core::fmt::Display for Micros {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        if self.0 % 1000 == 0 {
            write!(f, "{} ms", self.0 / 1000)
        } else {
            write!(f, "{} µs", self.0)
        }
    }
}

/// One end of a party's leg ([`Error::LegFormat`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LegEnd {
    /// Where the party's audio comes from
    /// ([`Source`](crate::media::Source)).
    Source,
    /// Where what the party hears goes ([`Sink`](crate::media::Sink)).
    Sink,
}

impl core::fmt::Display for LegEnd {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            LegEnd::Source => "source",
            LegEnd::Sink => "sink",
        })
    }
}
