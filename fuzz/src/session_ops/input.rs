//! One case: its format and operations, the arguments as the fuzzer picks
//! them, what they stand for, and the byte format they are decoded from
//! (and encoded to, for seeds).

use std::time::Duration;

use arbitrary::{Arbitrary, Unstructured};
use barge::dtmf::Digit;
use barge::tone::{Cadence, Repeat};
use barge::{Audience, Gain, Role, ToneSpec, DEFAULT_EVENT_LIMIT, MAX_PARTIES};

#[cfg(doc)]
use super::{
    consent::{GROUPS, KEYS},
    events::{FLOOD_BUDGET, FLOOD_WORK},
};
use crate::reference::RefMode;
#[cfg(doc)]
use barge::Error;

/// One fuzz case: a format, a sample type and a sequence of operations.
#[derive(Debug, Clone)]
pub struct Input {
    /// `f32` samples instead of `i16`.
    pub float: bool,
    /// The most parties the case lets on the call, by index into
    /// [`PARTY_CAPS`]: at that many, a join is not made (at the last, one
    /// over the session's own limit, so that its refusal is reached).
    /// Three cases in four make calls of the sizes the crate is for (a
    /// three-party call with its supervisors, recorders and
    /// announcements), which tick several times faster than calls of 20
    /// or 30; every fourth may grow to the limit.
    pub cap: u8,
    /// Below 192: 8 kHz; else an index into the supported rates.
    pub rate: u8,
    /// Index into the supported frame durations (10 or 20 ms at 8 kHz).
    pub ptime: u8,
    /// What the host does, in order.
    pub ops: Vec<Op>,
}

/// The most parties on a case's call ([`Input::cap`]).
pub const PARTY_CAPS: [usize; 4] = [4, 8, 12, MAX_PARTIES + 1];

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
    /// per case, of which it makes as many as [`FLOOD_WORK`] allows, in
    /// the same parity).
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
    /// `prompt_ended`.
    PromptEnded(Who),
    /// `skip_frame`.
    SkipFrame(Who),
    /// `join` of a [`Join`](barge::Join) on a leg of its own format
    /// ([`Join::leg`](barge::Join::leg)), concealing loss
    /// ([`Join::conceal_loss`](barge::Join::conceal_loss)) or not.
    JoinOnLeg(RoleArg, LegArg, bool),
    /// `lose_frame`.
    LoseFrame(Who),
}

/// An audience: bit 0 customers, 1 agents, 2 supervisors, 3 recorders.
#[derive(Debug, Clone, Copy)]
pub struct AudArg(pub u8);

impl AudArg {
    pub(super) fn audience(self) -> Audience {
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
    pub(super) fn spec(self) -> ToneSpec {
        let (a, b) = (self.a as u32, self.b as u32);
        match self.kind % 6 {
            0 => ToneSpec::JOIN_BEEP,
            1 => ToneSpec::LEAVE_BEEP,
            2 => ToneSpec::RECORDING_WARNING,
            3 => ToneSpec::dtmf(
                Digit::from_event_code((a % 16) as u8).unwrap(),
                20 + b % 60,
                b % 30,
            ),
            4 => ToneSpec::single(
                100.0 + a as f32 * 30.0,
                -30.0 + (b % 42) as f32,
                Cadence::once(1 + b % 50),
            ),
            _ => ToneSpec::single(
                1000.0,
                -13.0,
                Cadence::new(b % 3 * 10, a % 5, Repeat::Times(a % 3)),
            )
            .with_edge_ms(b / 3 % 4),
        }
    }
}

/// An identity from small pools, so that grants match sometimes: key
/// `b & 3` of [`KEYS`], groups bits `b >> 2 & 15` of [`GROUPS`], opted out
/// when `b >> 6 == 3`.
#[derive(Debug, Clone, Copy)]
pub struct IdArg(pub u8);

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
pub(super) const MAX_OPS: usize = 2048;

pub(super) fn role_of(r: RoleArg) -> Role {
    match r {
        RoleArg::Customer => Role::Customer,
        RoleArg::Agent => Role::Agent,
        RoleArg::Supervisor => Role::Supervisor,
        RoleArg::Recorder => Role::Recorder,
    }
}

pub(super) fn ref_mode(m: ModeArg) -> RefMode {
    match m {
        ModeArg::Monitor => RefMode::Monitor,
        ModeArg::Whisper => RefMode::Whisper,
        ModeArg::PrivateWhisper => RefMode::PrivateWhisper,
        ModeArg::CustomerOnly => RefMode::CustomerOnly,
        ModeArg::Barge => RefMode::Barge,
    }
}

pub(super) fn db_of(d: DbArg) -> f32 {
    match d {
        DbArg::Zero => 0.0,
        DbArg::Muted => f32::NEG_INFINITY,
        DbArg::Max => Gain::MAX_DB,
        DbArg::Tenths(t) => t as f32 / 10.0,
        DbArg::Raw(bits) => f32::from_bits(bits),
    }
}

pub(super) fn ramp_of(r: RampArg, frame: Duration) -> Duration {
    match r {
        RampArg::Zero => Duration::ZERO,
        RampArg::Micros(us) => Duration::from_micros(us as u64),
        RampArg::Nanos(ns) => Duration::from_nanos(ns),
        RampArg::Frame => frame,
        RampArg::FramePlusOne => frame + Duration::from_nanos(1),
    }
}

pub(super) fn limit_of(l: LimitArg) -> usize {
    match l {
        LimitArg::Zero => 0,
        LimitArg::Small(n) => n as usize % 16,
        LimitArg::Large(n) => n as usize,
        LimitArg::Default => DEFAULT_EVENT_LIMIT,
        LimitArg::Unbounded => usize::MAX,
    }
}

/// The supported sample rates and frame durations.
pub(super) const RATES: [u32; 5] = [8000, 16000, 24000, 32000, 48000];

pub(super) const PTIMES: [u32; 5] = [10, 20, 30, 40, 60];

// The byte format of a case. Hand-written rather than derived so that one
// byte picks an operation (mutations stay meaningful) and so that seeds can
// be written from Rust with `Input::encode` (see `tests/scenarios.rs`).
//
//   case  := flags rate ptime op*            flags bit 0: f32 samples,
//                                            bits 1-7 % 4: the party cap
//   op    := tag(u8 % 41) args               in the order of `Op`'s variants
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
//   joinonleg := role leg conceal(u8 & 1)
// Missing bytes at the end read as zeros. Integers are little-endian.

type R<T> = arbitrary::Result<T>;

fn byte(u: &mut Unstructured<'_>) -> R<u8> {
    u8::arbitrary(u)
}

impl<'a> Arbitrary<'a> for Input {
    fn arbitrary(u: &mut Unstructured<'a>) -> R<Input> {
        let first = byte(u)?;
        let (float, cap) = (first & 1 == 1, (first >> 1) % PARTY_CAPS.len() as u8);
        let (rate, ptime) = (byte(u)?, byte(u)?);
        let mut ops = Vec::new();
        while !u.is_empty() && ops.len() < MAX_OPS {
            ops.push(Op::arbitrary(u)?);
        }
        Ok(Input {
            float,
            cap,
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
        Ok(match byte(u)? % 41 {
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
            36 => Op::Compliance(w(u)?),
            37 => Op::PromptEnded(w(u)?),
            38 => Op::SkipFrame(w(u)?),
            39 => Op::JoinOnLeg(
                RoleArg::arbitrary(u)?,
                LegArg {
                    rate: byte(u)?,
                    ptime: byte(u)?,
                },
                byte(u)? & 1 == 1,
            ),
            _ => Op::LoseFrame(w(u)?),
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
        let mut b = vec![self.float as u8 | self.cap << 1, self.rate, self.ptime];
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
    /// Whether the operation puts a party on the call.
    pub fn joins(&self) -> bool {
        matches!(
            self,
            Op::Join(_)
                | Op::JoinSupervisor(_)
                | Op::JoinRecorder(_)
                | Op::JoinAnnouncement(_)
                | Op::JoinAs(..)
                | Op::JoinSupervisorAs(..)
                | Op::JoinOnLeg(..)
        )
    }

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
            Op::PromptEnded(w) => b.extend([37, w.0]),
            Op::SkipFrame(w) => b.extend([38, w.0]),
            Op::JoinOnLeg(r, l, c) => b.extend([39, *r as u8, l.rate, l.ptime, *c as u8]),
            Op::LoseFrame(w) => b.extend([40, w.0]),
        }
    }
}
