//! A three-party call over RTP: a customer, an agent and a supervisor, each
//! an independent RTP endpoint, mixed by one `barge` session.
//!
//! ```text
//! cargo run --release --example rtp_call -- \
//!     --customer 127.0.0.1:40000=127.0.0.1:41000 \
//!     --agent 127.0.0.1:40002=127.0.0.1:41002 \
//!     --supervisor 127.0.0.1:40004=127.0.0.1:41004 \
//!     --schedule "0:monitor,2.5:whisper,5:barge,7.5:monitor" \
//!     --duration 10 [--codec pcmu|pcma] [--ptime 20] [--jitter 60] \
//!     [--dtmf chanspy|eavesdrop] [--telephone-event 101] [--inband]
//! ```
//!
//! For each party it receives RTP on LOCAL and sends what that party must
//! hear as RTP to REMOTE (payload type 0 for PCMU, 8 for PCMA), one packet
//! per ptime, each leg with its own SSRC, sequence numbers and timestamps.
//! A small jitter buffer per leg puts packets back in order, drops
//! duplicates and packets that come too late, and plays silence for what
//! is missing; a leg that never sends is silence. The supervisor's mode
//! follows the schedule, and the supervisor's keypad (below); every change
//! is printed as it happens, and per-leg packet statistics at the end.
//!
//! # The supervisor's keypad
//!
//! With `--dtmf chanspy` (4 monitor, 5 whisper, 6 barge) or `--dtmf
//! eavesdrop` (0 monitor, 1 customer only, 2 whisper, 3 barge) the
//! supervisor's keys switch its mode; without it a key is printed and
//! changes nothing. Keys come two ways:
//!
//! - **RFC 4733 telephone events** (`--telephone-event PT`, the dynamic
//!   payload type the supervisor's phone uses for them). Packets of that
//!   payload type on the supervisor's leg are events, never audio: an event
//!   is taken only from the latched source and the playing stream's SSRC,
//!   on that stream's timeline. A new event start (RTP timestamp) is a new
//!   key press; the same timestamp again (the updates every 50 ms or so,
//!   retransmissions, and the three end packets) is the same press, and an
//!   older one than the last press (a packet that came late) is dropped.
//!   Event codes 0 to 15 are keys; others (flash and the like) are ignored.
//!   The press reaches the session when the event's start plays out (after
//!   the jitter buffer, with the audio around it), and the supervisor's
//!   audio over the event's span is silence, whatever the phone sent with
//!   it.
//! - **In-band tones** (`--inband`): the session's detector listens to the
//!   supervisor's audio, switches the mode itself and mutes the supervisor
//!   while the key is held: what anyone hears of a key press is the tone's
//!   first 20 ms or so, before it is recognised.
//!
//! # Whose packets are played
//!
//! - **Source latching.** A leg plays media from one source address: the
//!   first one whose stream passes probation (below), which need not be
//!   REMOTE (many senders, ffmpeg among them, send from another port than
//!   the one they receive on). From then on, for the whole call, datagrams
//!   from any other address are dropped unread as RTP and counted
//!   (`foreign`). When that source is REMOTE itself (symmetric RTP, as SIP
//!   phones send), the leg's socket is also connected to it, so that the
//!   kernel drops everyone else's datagrams before they take room in the
//!   socket's buffer. A sender that changes address mid-call (a NAT
//!   rebinding) is not followed.
//! - **Probation of a new SSRC** (RFC 3550, Appendix A.1). A packet with an
//!   SSRC other than the one playing is held, not played:
//!   `MIN_SEQUENTIAL` (2) packets of that SSRC in sequence must come before
//!   the first stream plays; to replace a playing stream they must also
//!   span `QUIET_BEFORE_SWITCH` (100 ms) with no packet of the playing
//!   stream in between (a sender that restarted with a new SSRC). The held
//!   packets then play, at the delay of the first one, so a jitter buffer
//!   of 100 ms or more loses nothing of a new stream. A stray packet with
//!   a new SSRC, a run of junk, or a second stream interleaved with the
//!   playing one changes nothing that is heard.
//! - **Bounded reads.** Each tick reads at most `MAX_READS_PER_TICK` (64)
//!   datagrams per socket; the rest wait in the kernel's receive buffer
//!   (which drops what does not fit) for the next tick, so that a flood on
//!   one leg cannot delay the ticks of the call. The statistics say the
//!   most datagrams read in one tick and how many ticks reached the bound.
//! - **Late packets are dropped, never re-anchored on.** After a sender's
//!   stall, its catch-up burst is partly too late to play: those packets
//!   are dropped and the rest plays at the original delay, so a stall
//!   leaves no lasting delay. Only a run of packets that fit nowhere for
//!   at least `STRAY_RUN_SAMPLES` (100 ms) of playout (a sender that jumped)
//!   starts the stream over.
//!
//! None of this authenticates anyone: a stranger who can send from the
//! latched address with the playing stream's SSRC is heard. That needs
//! SRTP, which this example does not do.
//!
//! The library owns no socket and reads no clock: this example does both.
//! It paces itself with one steady timer (`Instant` deadlines computed from
//! the start, so that it does not drift) on one thread, and hands `barge`
//! one frame per leg per tick through `G711Source` and `G711Sink`.
//!
//! Exit status: 0 after the call, 2 for bad arguments, 1 if a socket cannot
//! be opened.

use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::io::{self, Write};
use std::net::{SocketAddr, UdpSocket};
use std::process::ExitCode;
use std::time::Instant;

use barge::dtmf::Digit;
use barge::g711::Law;
use barge::keypad::DtmfMap;
use barge::media::{Driver, Fill, G711Sink, G711Source, Leg, PayloadSink, PayloadSource};
use barge::{Event, Format, Mode, PartyId, Role, Session};
use rtp_rs::{RtpPacketBuilder, RtpReader, Seq};

const USAGE: &str = "usage: rtp_call --customer LOCAL=REMOTE --agent LOCAL=REMOTE \
--supervisor LOCAL=REMOTE --schedule \"0:monitor,2.5:whisper,5:barge,7.5:monitor\" \
--duration SECONDS [--codec pcmu|pcma] [--ptime MS] [--jitter MS] \
[--dtmf chanspy|eavesdrop] [--telephone-event PT] [--inband]";

/// What `--help` prints after the usage line.
const HELP: &str = "
Each party's leg receives RTP on LOCAL and sends what that party hears to REMOTE.
A leg plays media from one source address: the first whose stream passes
probation (2 packets in sequence), which need not be REMOTE. Datagrams from any
other address are dropped for the rest of the call (counted as 'foreign'); if
the source is REMOTE, the socket is connected to it and the kernel drops them.
A new SSRC from that address replaces the playing stream only after 2 packets
in sequence spanning 100 ms with nothing from the playing stream in between.
Each tick reads at most 64 datagrams per leg; the rest wait in the kernel's
buffer. Packets too late to play are dropped, so that a sender's stall leaves
no lasting delay.

  --codec pcmu|pcma   payload type 0 or 8 (default pcmu)
  --ptime MS          10, 20, 30, 40 or 60 (default 20)
  --jitter MS         playout delay of the jitter buffer, 0 to 1000 (default 60)
  --dtmf chanspy|eavesdrop
                      the supervisor's keys switch its mode: chanspy 4 monitor,
                      5 whisper, 6 barge; eavesdrop 0 monitor, 1 customer only,
                      2 whisper, 3 barge (default: keys are printed, nothing else)
  --telephone-event PT
                      RFC 4733 events on the supervisor's leg, payload type PT
                      (96 to 127): one key press per event start, taken when it
                      plays out; retransmissions and end packets are the same
                      press; the supervisor is silent over the event
  --inband            look for DTMF tones in the supervisor's audio; the key
                      switches the mode and the supervisor is muted while it is
                      held";

/// The largest UDP datagram read.
const MAX_DATAGRAM: usize = 2048;

/// Everything the command line says.
struct Args {
    legs: [(SocketAddr, SocketAddr); 3],
    schedule: Vec<(f64, Mode)>,
    duration: f64,
    law: Law,
    format: Format,
    jitter_ms: u32,
    /// What the supervisor's keys do, and the preset's name.
    dtmf: Option<(&'static str, DtmfMap)>,
    /// The payload type of RFC 4733 events on the supervisor's leg.
    telephone_event: Option<u8>,
    /// Whether to look for DTMF tones in the supervisor's audio.
    inband: bool,
}

/// A bad argument: one line for stderr.
struct Usage(String);

impl fmt::Display for Usage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn bad(msg: impl Into<String>) -> Usage {
    Usage(msg.into())
}

const PARTIES: [&str; 3] = ["customer", "agent", "supervisor"];

fn parse_args(mut it: impl Iterator<Item = String>) -> Result<Option<Args>, Usage> {
    let mut legs: [Option<(SocketAddr, SocketAddr)>; 3] = [None; 3];
    let mut schedule = None;
    let mut duration = None;
    let mut law = Law::Ulaw;
    let mut ptime = 20;
    let mut jitter_ms = 60;
    let mut dtmf = None;
    let mut telephone_event = None;
    let mut inband = false;
    while let Some(flag) = it.next() {
        if flag == "-h" || flag == "--help" {
            return Ok(None);
        }
        if flag == "--inband" {
            inband = true;
            continue;
        }
        let value = it
            .next()
            .ok_or_else(|| bad(format!("{flag}: expected a value after it")))?;
        match flag.as_str() {
            "--customer" | "--agent" | "--supervisor" => {
                let i = PARTIES.iter().position(|p| flag[2..] == **p).unwrap_or(0);
                legs[i] = Some(parse_leg(&flag, &value)?);
            }
            "--schedule" => schedule = Some(parse_schedule(&value)?),
            "--duration" => {
                let d: f64 = value
                    .parse()
                    .map_err(|_| bad(format!("--duration: expected seconds, got '{value}'")))?;
                if !(d > 0.0 && d <= 86_400.0) {
                    return Err(bad(format!(
                        "--duration: expected more than 0 and at most 86400 seconds, got {value}"
                    )));
                }
                duration = Some(d);
            }
            "--codec" => {
                law = match value.to_ascii_lowercase().as_str() {
                    "pcmu" => Law::Ulaw,
                    "pcma" => Law::Alaw,
                    _ => {
                        return Err(bad(format!(
                            "--codec: expected pcmu or pcma, got '{value}'"
                        )))
                    }
                }
            }
            "--ptime" => {
                ptime = value
                    .parse()
                    .map_err(|_| bad(format!("--ptime: expected milliseconds, got '{value}'")))?
            }
            "--jitter" => {
                jitter_ms = value.parse().ok().filter(|&j| j <= 1000).ok_or_else(|| {
                    bad(format!(
                        "--jitter: expected a playout delay of 0 to 1000 ms, got '{value}'"
                    ))
                })?
            }
            "--dtmf" => {
                dtmf = Some(match value.to_ascii_lowercase().as_str() {
                    "chanspy" => ("chanspy", DtmfMap::CHANSPY),
                    "eavesdrop" => ("eavesdrop", DtmfMap::EAVESDROP),
                    _ => {
                        return Err(bad(format!(
                            "--dtmf: expected chanspy or eavesdrop, got '{value}'"
                        )))
                    }
                })
            }
            "--telephone-event" => {
                let pt = value.parse().ok().filter(|pt| (96..=127).contains(pt));
                telephone_event = Some(pt.ok_or_else(|| {
                    bad(format!(
                        "--telephone-event: expected a dynamic payload type, 96 to 127, got '{value}'"
                    ))
                })?)
            }
            _ => return Err(bad(format!("unknown argument '{flag}'"))),
        }
    }
    let format = Format::new(8000, ptime).map_err(|e| bad(format!("--ptime: {e}")))?;
    let mut have = [(unspecified(), unspecified()); 3];
    for (i, leg) in legs.iter().enumerate() {
        have[i] = leg.ok_or_else(|| bad(format!("--{}: missing", PARTIES[i])))?;
    }
    let schedule = schedule.ok_or_else(|| bad("--schedule: missing"))?;
    let duration = duration.ok_or_else(|| bad("--duration: missing"))?;
    if let Some(&(t, _)) = schedule.iter().find(|(t, _)| *t >= duration) {
        return Err(bad(format!(
            "--schedule: a change at {t} s is not within the call's {duration} s"
        )));
    }
    for i in 0..3 {
        for j in 0..i {
            if have[i].0 == have[j].0 {
                return Err(bad(format!(
                    "--{} and --{}: both receive on {}",
                    PARTIES[j], PARTIES[i], have[i].0
                )));
            }
        }
    }
    Ok(Some(Args {
        legs: have,
        schedule,
        duration,
        law,
        format,
        jitter_ms,
        dtmf,
        telephone_event,
        inband,
    }))
}

fn unspecified() -> SocketAddr {
    SocketAddr::from(([0, 0, 0, 0], 0))
}

fn parse_leg(flag: &str, value: &str) -> Result<(SocketAddr, SocketAddr), Usage> {
    let expected = || {
        bad(format!(
            "{flag}: expected LOCAL=REMOTE, each ip:port (e.g. 127.0.0.1:40000=127.0.0.1:41000), got '{value}'"
        ))
    };
    let (local, remote) = value.split_once('=').ok_or_else(expected)?;
    let local: SocketAddr = local.trim().parse().map_err(|_| expected())?;
    let remote: SocketAddr = remote.trim().parse().map_err(|_| expected())?;
    if remote.port() == 0 {
        return Err(bad(format!(
            "{flag}: REMOTE needs a port other than 0, got '{value}'"
        )));
    }
    Ok((local, remote))
}

fn parse_schedule(value: &str) -> Result<Vec<(f64, Mode)>, Usage> {
    let mut out: Vec<(f64, Mode)> = Vec::new();
    for item in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let expected = || {
            bad(format!(
                "--schedule: expected SECONDS:MODE with MODE monitor, whisper or barge, got '{item}'"
            ))
        };
        let (t, mode) = item.split_once(':').ok_or_else(expected)?;
        let t: f64 = t.trim().parse().map_err(|_| expected())?;
        let mode = match mode.trim().to_ascii_lowercase().as_str() {
            "monitor" => Mode::Monitor,
            "whisper" => Mode::Whisper,
            "barge" => Mode::Barge,
            _ => return Err(expected()),
        };
        if !(t >= 0.0 && t.is_finite()) {
            return Err(bad(format!(
                "--schedule: expected a time of 0 s or later, got '{item}'"
            )));
        }
        if let Some(&(last, _)) = out.last() {
            if t < last {
                return Err(bad(format!(
                    "--schedule: expected times in order, got {t} s after {last} s"
                )));
            }
        }
        out.push((t, mode));
    }
    if out.is_empty() {
        return Err(bad("--schedule: expected at least one SECONDS:MODE"));
    }
    Ok(out)
}

/// A random 64-bit number from the standard library's hasher keys.
fn random() -> u64 {
    RandomState::new().build_hasher().finish()
}

/// Per-leg receive counters.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct RxStats {
    /// RTP packets of the expected payload type from the leg's source
    /// (before it is latched: from anyone).
    packets: u64,
    /// Packets whose every sample was already there.
    duplicates: u64,
    /// Packets that came after a later one (by sequence number) and were
    /// still in time.
    reordered: u64,
    /// Packets that came after their turn to play, and were dropped.
    late: u64,
    /// Packets too far ahead of the playout point to keep, and dropped.
    early: u64,
    /// Times the stream was anchored again after the first time: a new
    /// SSRC that passed probation, or a run of packets that fit nowhere
    /// (the sender jumped).
    resyncs: u64,
    /// Packets of an SSRC other than the playing one, held on probation
    /// (they play only if their stream passes it and replaces the old).
    probation: u64,
    /// Datagrams from an address other than the latched source, dropped.
    foreign: u64,
    /// Datagrams that were not RTP.
    not_rtp: u64,
    /// RTP packets of another payload type.
    wrong_payload_type: u64,
    /// Frames played with at least one sample received.
    frames_played: u64,
    /// Frames with nothing received: silence.
    frames_missing: u64,
    /// The most datagrams read from the leg's socket in one tick (at most
    /// `MAX_READS_PER_TICK`).
    most_read_in_a_tick: u64,
    /// Ticks that read `MAX_READS_PER_TICK` datagrams and left the rest in
    /// the kernel's buffer.
    ticks_at_read_bound: u64,
}

/// How many packets in a row that fit nowhere (late or too early) make
/// the jitter buffer start the stream over, if they also span
/// `STRAY_RUN_SAMPLES` of playout.
const STRAYS_BEFORE_RESYNC: u32 = 5;

/// How long (in samples of playout, 100 ms) a run of packets that fit
/// nowhere must last before the stream starts over. A sender's catch-up
/// burst after a stall comes within a tick or two, and its late packets
/// are followed by ones in time: they are dropped, never anchored on. A
/// sender that jumped keeps missing the buffer tick after tick.
const STRAY_RUN_SAMPLES: u64 = 800;

/// Packets in sequence with a new SSRC before it replaces the playing
/// stream (RFC 3550, Appendix A.1).
const MIN_SEQUENTIAL: u32 = 2;

/// How long (in samples of playout, 100 ms) the playing stream must have
/// sent nothing before a new SSRC replaces it: a stranger's stream
/// interleaved with a live one never does.
const QUIET_BEFORE_SWITCH: u64 = 800;

/// New SSRCs on probation at once: junk with ever-new SSRCs evicts the
/// least recently heard one, not a real stream that keeps sending.
const CANDIDATES: usize = 4;

/// The most datagrams read from one leg's socket in one tick. At 20 ms
/// ptime that is 64 times a sender's rate: a catch-up burst after a stall
/// of 1.2 s is read in one tick, and a flood costs each tick at most this
/// many reads per leg.
const MAX_READS_PER_TICK: u64 = 64;

/// A stream on probation: packets with an SSRC that is not the playing
/// stream's.
#[derive(Default)]
struct Candidate {
    /// Whether this slot holds a candidate.
    active: bool,
    from: Option<SocketAddr>,
    ssrc: u32,
    /// The sequence number that continues it.
    next_seq: Option<Seq>,
    /// Packets in sequence so far.
    count: u32,
    /// The first packet's RTP timestamp and where it would have played
    /// had it been anchored then (`delay` after it came).
    first_ts: u32,
    at: u64,
    first_tick: u64,
    /// The playout position when its first packet came.
    since: u64,
    /// When it was last heard (a counter), for eviction.
    heard: u64,
    /// The held packets: (RTP timestamp, sequence number, payload length),
    /// their payloads one after another in `bytes`.
    held: Vec<(u32, Seq, usize)>,
    bytes: Vec<u8>,
}

/// One RFC 4733 telephone event (section 2.3): the first 4 bytes of the
/// payload. (Further events in one payload, as RFC 2198 redundancy would
/// carry, are not read.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct TelephoneEvent {
    /// The event code: 0 to 15 are the DTMF keys.
    code: u8,
    /// The E bit: the event has ended (sent three times).
    end: bool,
    /// The tone's power level, 0 to 63 (−dBm0).
    volume: u8,
    /// How long the event has lasted so far, in samples from its start
    /// (the packet's RTP timestamp).
    duration: u16,
}

/// The event in an RFC 4733 payload, or `None` if it is shorter than one.
fn parse_telephone_event(payload: &[u8]) -> Option<TelephoneEvent> {
    let [code, flags, d0, d1, ..] = *payload else {
        return None;
    };
    Some(TelephoneEvent {
        code,
        end: flags & 0x80 != 0,
        volume: flags & 0x3f,
        duration: u16::from_be_bytes([d0, d1]),
    })
}

/// How far past an event's reported duration the supervisor is muted while
/// the event has not ended (RFC 4733's updates come every 50 ms or so), in
/// samples: 100 ms.
const EVENT_LOOKAHEAD: i64 = 800;

/// Events whose spans are kept at once; the oldest goes first.
const MUTED_SPANS: usize = 8;

/// Key presses waiting for their start to play out.
const PENDING_PRESSES: usize = 16;

/// Counters of the telephone-event packets on a leg. Each packet is one
/// of: a key press, an unknown event, a repeat, stale, short, or not of
/// the playing stream.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct EventStats {
    /// Packets of the telephone-event payload type from the leg's source.
    packets: u64,
    /// New events (a new start timestamp) with a key's code.
    presses: u64,
    /// New events with a code above 15: ignored.
    unknown: u64,
    /// Packets of an event already taken: updates, retransmissions, end
    /// packets.
    repeats: u64,
    /// Packets of the playing stream with the end bit (of any kind
    /// above).
    ends: u64,
    /// Packets of an event older than the last one taken (reordered), or
    /// too far from the playout point to place.
    stale: u64,
    /// Payloads shorter than an event.
    short: u64,
    /// Packets of an SSRC that is not playing, or before any stream played.
    not_playing: u64,
    /// The range of the key presses' volumes (−dBm0), if any came.
    volumes: Option<(u8, u8)>,
}

/// An event's span on the playout timeline, over which the leg is silence.
#[derive(Debug, Clone, Copy)]
struct MutedSpan {
    /// The event's start (RTP timestamp), and where it plays.
    ts: u32,
    from: i64,
    /// The longest duration reported, and whether an end packet came.
    duration: i64,
    ended: bool,
}

impl MutedSpan {
    fn until(&self) -> i64 {
        self.from + self.duration + if self.ended { 0 } else { EVENT_LOOKAHEAD }
    }
}

/// The RFC 4733 events of one leg: key presses, deduplicated, due when
/// their start plays out, and the spans of audio they silence.
struct Keypad {
    payload_type: u8,
    /// The playing stream's anchor when the last event was taken: a new
    /// stream, or the same one anchored again, starts the timestamps over.
    anchor: Option<(u32, u32, u64)>,
    /// The start timestamp of the newest event taken.
    last_start: Option<u32>,
    /// Key presses and where their event starts to play.
    pending: std::collections::VecDeque<(u64, Digit)>,
    muted: Vec<MutedSpan>,
    stats: EventStats,
}

impl Keypad {
    fn new(payload_type: u8) -> Keypad {
        Keypad {
            payload_type,
            anchor: None,
            last_start: None,
            pending: Default::default(),
            muted: Vec::new(),
            stats: EventStats::default(),
        }
    }

    /// Takes a telephone-event packet of the playing stream, whose
    /// timeline is `anchor` (ssrc, RTP timestamp, sample position), with
    /// `play` the next sample to play and `capacity` the buffer's length.
    fn take(&mut self, anchor: (u32, u32, u64), ts: u32, payload: &[u8], play: u64, capacity: u64) {
        let Some(event) = parse_telephone_event(payload) else {
            self.stats.short += 1;
            return;
        };
        if self.anchor != Some(anchor) {
            self.anchor = Some(anchor);
            self.last_start = None;
        }
        if event.end {
            self.stats.ends += 1;
        }
        let (_, ts0, at) = anchor;
        let from = at as i64 + i64::from(ts.wrapping_sub(ts0) as i32);
        let duration = i64::from(event.duration);
        let (play, cap) = (play as i64, capacity as i64);
        if from >= play + cap || from + duration + cap < play {
            self.stats.stale += 1;
            return;
        }
        // Its span, new or grown.
        self.muted.retain(|m| m.until() > play);
        match self.muted.iter_mut().find(|m| m.ts == ts) {
            Some(m) => {
                m.duration = m.duration.max(duration);
                m.ended |= event.end;
            }
            None => {
                if self.muted.len() == MUTED_SPANS {
                    self.muted.remove(0);
                }
                self.muted.push(MutedSpan {
                    ts,
                    from,
                    duration,
                    ended: event.end,
                });
            }
        }
        match self.last_start {
            Some(last) if last == ts => {
                self.stats.repeats += 1;
                return;
            }
            Some(last) if (ts.wrapping_sub(last) as i32) < 0 => {
                self.stats.stale += 1;
                return;
            }
            _ => {}
        }
        self.last_start = Some(ts);
        match Digit::from_event_code(event.code) {
            Ok(digit) => {
                self.stats.presses += 1;
                let v = event.volume;
                let (lo, hi) = self.stats.volumes.unwrap_or((v, v));
                self.stats.volumes = Some((lo.min(v), hi.max(v)));
                if self.pending.len() == PENDING_PRESSES {
                    self.pending.pop_front();
                }
                self.pending.push_back((from.max(play) as u64, digit));
            }
            Err(_) => self.stats.unknown += 1,
        }
    }

    /// The next key press whose event starts before sample `before`.
    fn due(&mut self, before: u64) -> Option<Digit> {
        match self.pending.front() {
            Some(&(at, digit)) if at < before => {
                self.pending.pop_front();
                Some(digit)
            }
            _ => None,
        }
    }

    /// Whether sample position `p` is within an event's span.
    fn mutes(&self, p: u64) -> bool {
        let p = p as i64;
        self.muted.iter().any(|m| p >= m.from && p < m.until())
    }
}

/// A jitter buffer on the sample timeline of one incoming RTP stream.
///
/// A stream (an SSRC) is played once `MIN_SEQUENTIAL` of its packets came
/// in sequence (and, to replace a playing stream, once that stream was
/// quiet for `QUIET_BEFORE_SWITCH`), its first packet `delay` samples
/// after the tick it arrived in; every later packet goes where its RTP timestamp puts it, whatever
/// order it arrives in and whatever its size. A sample that arrives after
/// its turn to play is dropped (late); one that is already there is a
/// duplicate; one more than the buffer's length ahead is dropped (early).
/// A run of packets that fit nowhere for `STRAY_RUN_SAMPLES` means the
/// sender jumped (restarted its timestamps, or its clock drifted a whole
/// buffer away from ours): the stream is anchored again on the newest
/// packet. The first stream to play latches the source address; packets
/// from any other are dropped. With a [`Keypad`], packets of its payload
/// type are RFC 4733 events, not audio.
struct JitterBuffer {
    law: Law,
    delay: u64,
    samples: Vec<u8>,
    present: Vec<bool>,
    /// Sample position (since the call began) of the next frame to play.
    play: u64,
    /// The source address media is taken from, once latched.
    source: Option<SocketAddr>,
    /// (ssrc, RTP timestamp, sample position it plays at).
    anchor: Option<(u32, u32, u64)>,
    highest_seq: Option<Seq>,
    /// Packets in a row that fit nowhere, and the playout position when
    /// the run began.
    strays: u32,
    strays_since: u64,
    candidates: [Candidate; CANDIDATES],
    /// Counts packets on probation, to find the least recently heard.
    heard: u64,
    /// Tick of the first packet of the first stream, once one played.
    first_packet_tick: Option<u64>,
    stats: RxStats,
    /// The leg's RFC 4733 events, if it has them.
    keypad: Option<Keypad>,
}

impl JitterBuffer {
    fn new(law: Law, delay: u64, capacity: usize) -> JitterBuffer {
        JitterBuffer {
            law,
            delay,
            samples: vec![law.silence(); capacity],
            present: vec![false; capacity],
            play: 0,
            source: None,
            anchor: None,
            highest_seq: None,
            strays: 0,
            strays_since: 0,
            candidates: Default::default(),
            heard: 0,
            first_packet_tick: None,
            stats: RxStats::default(),
            keypad: None,
        }
    }

    fn capacity(&self) -> u64 {
        self.samples.len() as u64
    }

    /// Takes one datagram from `from`, received during `tick` (before that
    /// tick's frame is played).
    fn push(&mut self, from: SocketAddr, datagram: &[u8], tick: u64) {
        if self.source.is_some_and(|s| s != from) {
            self.stats.foreign += 1;
            return;
        }
        let Ok(rtp) = RtpReader::new(datagram) else {
            self.stats.not_rtp += 1;
            return;
        };
        if let Some(keypad) = self
            .keypad
            .as_mut()
            .filter(|k| k.payload_type == rtp.payload_type())
        {
            keypad.stats.packets += 1;
            match self.anchor.filter(|a| a.0 == rtp.ssrc()) {
                Some(anchor) => keypad.take(
                    anchor,
                    rtp.timestamp(),
                    rtp.payload(),
                    self.play,
                    self.samples.len() as u64,
                ),
                None => keypad.stats.not_playing += 1,
            }
            return;
        }
        if rtp.payload_type() != self.law.payload_type() {
            self.stats.wrong_payload_type += 1;
            return;
        }
        self.stats.packets += 1;
        let (ssrc, ts, seq, payload) = (
            rtp.ssrc(),
            rtp.timestamp(),
            rtp.sequence_number(),
            rtp.payload(),
        );
        let Some((s, ts0, at)) = self.anchor.filter(|a| a.0 == ssrc) else {
            self.stats.probation += 1;
            self.probation(from, ssrc, ts, seq, payload, tick);
            return;
        };
        // A packet of the playing stream: whatever was on probation was
        // interleaved with it, and starts over.
        for c in &mut self.candidates {
            c.active = false;
        }
        // Signed distance on the 32-bit timestamp clock.
        let mut pos = at as i64 + i64::from(ts.wrapping_sub(ts0) as i32);
        let (play, cap, len) = (
            self.play as i64,
            self.capacity() as i64,
            payload.len() as i64,
        );
        let late = pos + len <= play;
        let early = pos >= play + cap;
        if late || early {
            if self.strays == 0 {
                self.strays_since = self.play;
            }
            self.strays += 1;
            if self.strays < STRAYS_BEFORE_RESYNC
                || self.play - self.strays_since < STRAY_RUN_SAMPLES
            {
                if late {
                    self.stats.late += 1;
                } else {
                    self.stats.early += 1;
                }
                return;
            }
            self.stats.resyncs += 1;
            self.present.fill(false);
            pos = self.anchor_at(s, ts, self.play + self.delay);
        }
        self.strays = 0;
        self.place(pos, seq, payload);
    }

    /// Takes a packet of an SSRC that is not playing: holds it, and plays
    /// its stream once `MIN_SEQUENTIAL` packets of it came in sequence.
    fn probation(
        &mut self,
        from: SocketAddr,
        ssrc: u32,
        ts: u32,
        seq: Seq,
        payload: &[u8],
        tick: u64,
    ) {
        self.heard += 1;
        let (play, delay, heard) = (self.play, self.delay, self.heard);
        let same = |c: &Candidate| c.active && c.ssrc == ssrc && c.from == Some(from);
        let i = match self.candidates.iter().position(same) {
            Some(i) if self.candidates[i].next_seq == Some(seq) => i,
            found => {
                // A new candidate (or one out of sequence, which starts
                // over): in a free slot, else the least recently heard.
                let i = found.unwrap_or_else(|| {
                    (0..CANDIDATES)
                        .min_by_key(|&i| {
                            let c = &self.candidates[i];
                            if c.active {
                                c.heard
                            } else {
                                0
                            }
                        })
                        .unwrap_or(0)
                });
                let c = &mut self.candidates[i];
                c.active = true;
                c.from = Some(from);
                c.ssrc = ssrc;
                c.count = 0;
                c.first_ts = ts;
                c.at = play + delay;
                c.first_tick = tick;
                c.since = play;
                c.held.clear();
                c.bytes.clear();
                i
            }
        };
        let c = &mut self.candidates[i];
        c.heard = heard;
        c.count += 1;
        c.next_seq = Some(seq.next());
        // With a stream playing, a new one must also have been alone (the
        // playing stream's packets clear all candidates) for a while.
        let alone = self.anchor.is_none() || play - c.since >= QUIET_BEFORE_SWITCH;
        if c.count < MIN_SEQUENTIAL || !alone {
            if c.bytes.len() + payload.len() <= self.samples.len() {
                c.held.push((ts, seq, payload.len()));
                c.bytes.extend_from_slice(payload);
            }
            return;
        }
        // It passed: it replaces the playing stream, from where its first
        // packet would have played.
        c.active = false;
        let (first_ts, at, first_tick) = (c.first_ts, c.at, c.first_tick);
        let held = std::mem::take(&mut c.held);
        let bytes = std::mem::take(&mut c.bytes);
        if self.anchor.is_some() {
            self.stats.resyncs += 1;
        }
        self.source = Some(from);
        self.first_packet_tick.get_or_insert(first_tick);
        // The old stream's tail before `at` still plays; what it left from
        // `at` on is the new stream's.
        for p in at.max(play)..play + self.capacity() {
            let slot = (p % self.capacity()) as usize;
            self.present[slot] = false;
        }
        let pos0 = self.anchor_at(ssrc, first_ts, at);
        self.strays = 0;
        let mut offset = 0;
        for &(t, s, n) in &held {
            let pos = pos0 + i64::from(t.wrapping_sub(first_ts) as i32);
            self.place(pos, s, &bytes[offset..offset + n]);
            offset += n;
        }
        self.place(
            pos0 + i64::from(ts.wrapping_sub(first_ts) as i32),
            seq,
            payload,
        );
        // Give the buffers back for the next candidate in this slot.
        let c = &mut self.candidates[i];
        c.held = held;
        c.bytes = bytes;
        for c in &mut self.candidates {
            c.active = false;
        }
    }

    /// Puts `payload` at sample position `pos` of the playing stream,
    /// keeping what is in time and not there yet.
    fn place(&mut self, pos: i64, seq: Seq, payload: &[u8]) {
        let (play, cap) = (self.play as i64, self.capacity() as i64);
        if pos + payload.len() as i64 <= play {
            self.stats.late += 1;
            return;
        }
        let older = matches!(self.highest_seq, Some(h) if seq - h < 0);
        if !older {
            self.highest_seq = Some(seq);
        }
        let mut fresh = 0;
        for (i, &b) in payload.iter().enumerate() {
            let p = pos + i as i64;
            if p >= play && p < play + cap {
                let slot = (p as u64 % self.capacity()) as usize;
                if !self.present[slot] {
                    self.present[slot] = true;
                    self.samples[slot] = b;
                    fresh += 1;
                }
            }
        }
        if fresh == 0 {
            self.stats.duplicates += 1;
        } else if older {
            self.stats.reordered += 1;
        }
    }

    /// Plays stream `ssrc` with RTP timestamp `ts` at sample position
    /// `at`; returns that position.
    fn anchor_at(&mut self, ssrc: u32, ts: u32, at: u64) -> i64 {
        self.highest_seq = None;
        self.strays = 0;
        self.anchor = Some((ssrc, ts, at));
        at as i64
    }
}

/// Reads what waits on `socket` into `jitter` during `tick`: at most
/// `MAX_READS_PER_TICK` datagrams, the rest left in the kernel's buffer
/// for the next tick. Returns how many were read.
fn receive(
    socket: &UdpSocket,
    jitter: &mut JitterBuffer,
    datagram: &mut [u8],
    tick: u64,
) -> io::Result<u64> {
    let mut reads = 0;
    while reads < MAX_READS_PER_TICK {
        match socket.recv_from(datagram) {
            Ok((n, from)) => {
                reads += 1;
                jitter.push(from, &datagram[..n], tick);
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            // ICMP errors from a peer that is not listening yet.
            Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => reads += 1,
            Err(e) => return Err(e),
        }
    }
    let stats = &mut jitter.stats;
    stats.most_read_in_a_tick = stats.most_read_in_a_tick.max(reads);
    if reads == MAX_READS_PER_TICK {
        stats.ticks_at_read_bound += 1;
    }
    Ok(reads)
}

impl PayloadSource for JitterBuffer {
    fn fill_payload(&mut self, payload: &mut [u8]) -> Fill {
        let mut any = false;
        for (i, out) in payload.iter_mut().enumerate() {
            let p = self.play + i as u64;
            let slot = (p % self.capacity()) as usize;
            if self.keypad.as_ref().is_some_and(|k| k.mutes(p)) {
                // What the phone sent with a telephone event is not heard.
                self.present[slot] = false;
                *out = self.law.silence();
            } else if self.present[slot] {
                *out = self.samples[slot];
                self.present[slot] = false;
                any = true;
            } else {
                *out = self.law.silence();
            }
        }
        self.play += payload.len() as u64;
        if any {
            self.stats.frames_played += 1;
            Fill::Frame
        } else {
            self.stats.frames_missing += 1;
            Fill::Missing
        }
    }
}

/// Sends one RTP packet per frame to the leg's REMOTE, with the leg's own
/// SSRC, sequence numbers and timestamps.
struct RtpSender {
    socket: UdpSocket,
    remote: SocketAddr,
    payload_type: u8,
    ssrc: u32,
    seq: Seq,
    timestamp: u32,
    first: bool,
    packet: Vec<u8>,
    /// Whether the socket is connected to `remote` (then it must `send`:
    /// some systems refuse `send_to` on a connected socket).
    connected: bool,
    sent: u64,
    send_errors: u64,
}

impl RtpSender {
    fn new(socket: UdpSocket, remote: SocketAddr, law: Law) -> RtpSender {
        let r = random();
        RtpSender {
            socket,
            remote,
            payload_type: law.payload_type(),
            ssrc: r as u32,
            seq: Seq::from((r >> 32) as u16),
            timestamp: random() as u32,
            first: true,
            packet: vec![0; MAX_DATAGRAM],
            connected: false,
            sent: 0,
            send_errors: 0,
        }
    }
}

impl PayloadSink for RtpSender {
    fn take_payload(&mut self, payload: &[u8]) {
        let built = RtpPacketBuilder::new()
            .payload_type(self.payload_type)
            .ssrc(self.ssrc)
            .sequence(self.seq)
            .timestamp(self.timestamp)
            .marked(self.first)
            .payload(payload)
            .build_into(&mut self.packet);
        match built {
            Ok(len) => {
                let packet = &self.packet[..len];
                let sent = if self.connected {
                    self.socket.send(packet)
                } else {
                    self.socket.send_to(packet, self.remote)
                };
                match sent {
                    Ok(_) => self.sent += 1,
                    Err(_) => self.send_errors += 1,
                }
            }
            Err(_) => self.send_errors += 1,
        }
        self.first = false;
        self.seq = self.seq.next();
        self.timestamp = self.timestamp.wrapping_add(payload.len() as u32);
    }
}

/// One party: its socket, what it sends us and what we send it.
struct Party {
    name: &'static str,
    id: PartyId,
    socket: UdpSocket,
    source: G711Source<JitterBuffer>,
    sink: G711Sink<RtpSender>,
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(Some(args)) => args,
        Ok(None) => {
            println!("{USAGE}\n{HELP}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("rtp_call: {e} (see --help)");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rtp_call: {e}");
            ExitCode::from(1)
        }
    }
}

fn run(args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    let format = args.format;
    let spf = format.samples_per_frame();
    let ptime = format.ptime().duration();
    let ticks = (args.duration / ptime.as_secs_f64()).round() as u64;
    let delay = u64::from(args.jitter_ms) * 8;
    let capacity = 16_000; // two seconds of samples

    let mut call = Session::<i16>::new(format);
    let mut parties = Vec::new();
    for (i, &(local, remote)) in args.legs.iter().enumerate() {
        let role = [Role::Customer, Role::Agent, Role::Supervisor][i];
        let socket = UdpSocket::bind(local).map_err(|e| format!("bind {local}: {e}"))?;
        socket.set_nonblocking(true)?;
        let jitter = JitterBuffer::new(args.law, delay, capacity);
        parties.push(Party {
            name: PARTIES[i],
            id: call.join(role)?,
            source: G711Source::new(args.law, format, jitter)?,
            sink: G711Sink::new(
                args.law,
                format,
                RtpSender::new(socket.try_clone()?, remote, args.law),
            )?,
            socket,
        });
    }
    let supervisor = parties[2].id;
    if let Some((_, map)) = args.dtmf {
        call.set_dtmf_map(map);
    }
    if args.inband {
        call.detect_dtmf(supervisor, true)?;
    }
    if let Some(pt) = args.telephone_event {
        parties[2].source.inner_mut().keypad = Some(Keypad::new(pt));
    }
    let schedule: Vec<(u64, Mode)> = args
        .schedule
        .iter()
        .map(|&(t, m)| ((t / ptime.as_secs_f64()).round() as u64, m))
        .collect();

    let mut out = io::stdout().lock();
    writeln!(
        out,
        "ready: {} {} ms, {} ticks, jitter buffer {} ms; {}",
        args.law,
        format.ptime().ms(),
        ticks,
        args.jitter_ms,
        parties
            .iter()
            .zip(&args.legs)
            .map(|(p, (l, r))| format!("{} {l} -> {r}", p.name))
            .collect::<Vec<_>>()
            .join(", ")
    )?;
    if args.dtmf.is_some() || args.telephone_event.is_some() || args.inband {
        let from: Vec<String> = args
            .telephone_event
            .map(|pt| format!("RFC 4733 events of payload type {pt}"))
            .into_iter()
            .chain(args.inband.then(|| "in-band tones".to_string()))
            .collect();
        writeln!(
            out,
            "keypad: {}; supervisor's keys from {}",
            args.dtmf
                .map_or("no map (keys change nothing)", |(name, _)| name),
            if from.is_empty() {
                "nowhere".to_string()
            } else {
                from.join(" and ")
            }
        )?;
    }
    out.flush()?;

    let mut driver = Driver::new(format);
    let mut datagram = [0u8; MAX_DATAGRAM];
    let mut next_change = 0;
    let mut worst_wakeup = std::time::Duration::ZERO;
    let mut late_ticks = 0u64;
    let start = Instant::now();
    for tick in 0..ticks {
        // One steady timer: every deadline is computed from the start, so
        // that a late wake-up does not push the ones after it.
        let deadline = start + ptime * tick as u32;
        let now = Instant::now();
        if deadline > now {
            std::thread::sleep(deadline - now);
        }
        let lag = Instant::now().saturating_duration_since(deadline);
        worst_wakeup = worst_wakeup.max(lag);
        if lag > ptime {
            late_ticks += 1;
        }

        while next_change < schedule.len() && schedule[next_change].0 <= tick {
            call.set_mode(supervisor, schedule[next_change].1)?;
            next_change += 1;
        }
        for p in parties.iter_mut() {
            let jb = p.source.inner_mut();
            let was_first = jb.first_packet_tick.is_none();
            receive(&p.socket, jb, &mut datagram, tick)?;
            if let (true, Some(first), Some(from)) = (was_first, jb.first_packet_tick, jb.source) {
                // A symmetric peer (it sends from where it receives): with
                // the socket connected, the kernel drops everyone else's
                // datagrams before they take room in its buffer.
                let sender = p.sink.inner_mut();
                let connected = from == sender.remote && p.socket.connect(from).is_ok();
                sender.connected = connected;
                writeln!(
                    out,
                    "{:8.3} s  {}: first packet at tick {first}; media from {from} only{}",
                    tick as f64 * ptime.as_secs_f64(),
                    p.name,
                    if connected { " (socket connected)" } else { "" }
                )?;
            }
        }

        // Key presses whose event starts in the frame about to play.
        let jb = parties[2].source.inner_mut();
        let before = jb.play + spf as u64;
        while let Some(digit) = jb.keypad.as_mut().and_then(|k| k.due(before)) {
            if let Err(e) = call.press(supervisor, digit) {
                writeln!(
                    out,
                    "{:8.3} s  supervisor: key {digit} (RFC 4733) refused: {e}",
                    tick as f64 * ptime.as_secs_f64()
                )?;
            }
        }

        let [c, a, s] = &mut parties[..] else {
            unreachable!("three parties joined above");
        };
        driver.tick(
            &mut call,
            &mut [
                Leg::new(c.id, &mut c.source, &mut c.sink),
                Leg::new(a.id, &mut a.source, &mut a.sink),
                Leg::new(s.id, &mut s.source, &mut s.sink),
            ],
        )?;

        while let Some(event) = call.poll_event() {
            let name = |id: PartyId| {
                parties
                    .iter()
                    .find(|p| p.id == id)
                    .map_or("someone", |p| p.name)
            };
            let at = |t: u64| t as f64 * ptime.as_secs_f64();
            match event {
                Event::ModeChanged {
                    party,
                    from,
                    to,
                    at: t,
                } => writeln!(
                    out,
                    "{:8.3} s  {}: {from} -> {to} (tick {t})",
                    at(t),
                    name(party)
                )?,
                Event::Joined {
                    party,
                    mode: Some(m),
                    at: t,
                    ..
                } => writeln!(out, "{:8.3} s  {}: joins in {m}", at(t), name(party))?,
                Event::DigitPressed {
                    party,
                    digit,
                    in_band,
                    mode,
                    at: t,
                } => writeln!(
                    out,
                    "{:8.3} s  {}: key {digit} ({}): {} (tick {t})",
                    at(t),
                    name(party),
                    if in_band { "in band" } else { "RFC 4733" },
                    mode.map_or("no mode".to_string(), |m| format!("{m} from here"))
                )?,
                _ => {}
            }
        }
        out.flush()?;
    }
    writeln!(
        out,
        "done: {ticks} ticks of {} ms ({} samples each); the latest tick started {:.1} ms after its deadline; {late_ticks} ticks started more than a ptime late",
        format.ptime().ms(),
        spf,
        worst_wakeup.as_secs_f64() * 1000.0
    )?;
    writeln!(
        out,
        "{:<11}{:>8}{:>6}{:>10}{:>6}{:>7}{:>8}{:>5}{:>8}{:>9}{:>6}{:>10}{:>8}{:>9}{:>11}",
        "leg",
        "packets",
        "dup",
        "reordered",
        "late",
        "early",
        "resync",
        "bad",
        "played",
        "missing",
        "sent",
        "probation",
        "foreign",
        "max-read",
        "read-bound"
    )?;
    for p in &parties {
        let s = p.source.inner().stats;
        let tx = p.sink.inner();
        writeln!(
            out,
            "{:<11}{:>8}{:>6}{:>10}{:>6}{:>7}{:>8}{:>5}{:>8}{:>9}{:>6}{:>10}{:>8}{:>9}{:>11}",
            p.name,
            s.packets,
            s.duplicates,
            s.reordered,
            s.late,
            s.early,
            s.resyncs,
            s.not_rtp + s.wrong_payload_type,
            s.frames_played,
            s.frames_missing,
            tx.sent,
            s.probation,
            s.foreign,
            s.most_read_in_a_tick,
            s.ticks_at_read_bound
        )?;
        if tx.send_errors > 0 {
            writeln!(
                out,
                "{:<11}{} packets could not be sent",
                p.name, tx.send_errors
            )?;
        }
        if let Some(k) = &p.source.inner().keypad {
            let e = k.stats;
            writeln!(
                out,
                "{} telephone events: {} packets: {} key presses{}, {} unknown events, {} repeats ({} with the end bit), {} stale, {} short, {} not of the playing stream",
                p.name,
                e.packets,
                e.presses,
                e.volumes
                    .map_or(String::new(), |(lo, hi)| format!(" at -{lo} to -{hi} dBm0")),
                e.unknown,
                e.repeats,
                e.ends,
                e.stale,
                e.short,
                e.not_playing
            )?;
        }
    }
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod test {
    use super::*;

    const SPF: usize = 160;
    /// Two frames of playout delay.
    const DELAY: u64 = 2 * SPF as u64;

    /// The customer's phone, and a stranger.
    fn peer() -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], 5004))
    }
    fn stranger() -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], 6666))
    }

    fn buffer() -> JitterBuffer {
        JitterBuffer::new(Law::Ulaw, DELAY, 16_000)
    }

    fn packet(ssrc: u32, seq: u16, ts: u32, byte: u8, len: usize) -> Vec<u8> {
        RtpPacketBuilder::new()
            .payload_type(0)
            .ssrc(ssrc)
            .sequence(Seq::from(seq))
            .timestamp(ts)
            .payload(&vec![byte; len])
            .build()
            .unwrap()
    }

    /// Frame `k` of stream 7: sequence `k`, payload all `k + 1`.
    fn frame(k: u16) -> Vec<u8> {
        packet(7, k, 1000 + u32::from(k) * SPF as u32, k as u8 + 1, SPF)
    }

    /// Frame `k` of stream 8 (another sender): payload all `200 + k % 50`.
    fn other(k: u16) -> Vec<u8> {
        packet(
            8,
            900 + k,
            55 + u32::from(k) * SPF as u32,
            200 + (k % 50) as u8,
            SPF,
        )
    }

    /// Plays one tick; returns what the frame held (0 for silence).
    fn play(jb: &mut JitterBuffer) -> u8 {
        let mut p = [0u8; SPF];
        match jb.fill_payload(&mut p) {
            Fill::Frame => {
                assert!(p.iter().all(|&b| b == p[0]), "one packet per frame");
                p[0]
            }
            _ => {
                assert!(p.iter().all(|&b| b == Law::Ulaw.silence()));
                0
            }
        }
    }

    /// Runs `ticks` ticks: before each one's frame plays, `send(tick)`
    /// says which packets came (from the customer's phone); returns what
    /// was heard.
    fn call(jb: &mut JitterBuffer, ticks: u16, send: impl Fn(u16) -> Vec<Vec<u8>>) -> Vec<u8> {
        (0..ticks)
            .map(|tick| {
                for p in send(tick) {
                    jb.push(peer(), &p, u64::from(tick));
                }
                play(jb)
            })
            .collect()
    }

    /// What a stream of `frame`s one a tick from tick 0 sounds like with
    /// the buffer's delay of `delay` frames, for `ticks` ticks.
    fn heard_on_time(delay: usize, ticks: usize) -> Vec<u8> {
        (0..ticks)
            .map(|t| if t < delay { 0 } else { (t - delay) as u8 + 1 })
            .collect()
    }

    #[test]
    fn packets_in_order_play_after_the_delay() {
        let mut jb = buffer();
        let heard = call(&mut jb, 6, |t| vec![frame(t)]);
        assert_eq!(heard, [0, 0, 1, 2, 3, 4]);
        assert_eq!(jb.first_packet_tick, Some(0));
        assert_eq!(jb.source, Some(peer()));
        assert_eq!((jb.stats.frames_played, jb.stats.frames_missing), (4, 2));
        assert_eq!((jb.stats.resyncs, jb.stats.probation), (0, 2));
    }

    #[test]
    fn reordered_and_duplicated_packets_play_once_in_order() {
        let mut jb = buffer();
        for k in [0, 1, 3, 2, 2, 4, 1] {
            jb.push(peer(), &frame(k), 0);
        }
        let heard: Vec<u8> = (0..7).map(|_| play(&mut jb)).collect();
        assert_eq!(heard, [0, 0, 1, 2, 3, 4, 5]);
        assert_eq!((jb.stats.reordered, jb.stats.duplicates), (1, 2));
    }

    #[test]
    fn a_missing_packet_is_a_missing_frame_and_a_late_one_is_dropped() {
        let mut jb = buffer();
        let heard = call(&mut jb, 8, |t| match t {
            3 => vec![],
            // Frame 3 played (as silence) at tick 5.
            6 => vec![frame(3), frame(6)],
            t => vec![frame(t)],
        });
        assert_eq!(heard, [0, 0, 1, 2, 3, 0, 5, 6]);
        assert_eq!((jb.stats.late, jb.stats.frames_missing), (1, 3));
    }

    #[test]
    fn packets_of_any_size_and_wrapping_timestamps_fill_frames() {
        let mut jb = buffer();
        let ts0 = u32::MAX - 100;
        for k in 0..6u16 {
            let ts = ts0.wrapping_add(u32::from(k) * 80);
            jb.push(peer(), &packet(9, k, ts, k as u8 / 2 + 1, 80), 0);
        }
        let heard: Vec<u8> = (0..5).map(|_| play(&mut jb)).collect();
        assert_eq!(heard, [0, 0, 1, 2, 3]);
    }

    #[test]
    fn a_stray_packet_with_a_new_ssrc_changes_nothing() {
        let mut jb = buffer();
        let heard = call(&mut jb, 10, |t| match t {
            4 => vec![packet(99, 7, 123_456, 99, SPF), frame(4)],
            6 => vec![frame(6), packet(98, 1, 0, 98, SPF)],
            t => vec![frame(t)],
        });
        assert_eq!(heard, heard_on_time(2, 10));
        assert_eq!((jb.stats.resyncs, jb.stats.probation), (0, 4));
    }

    #[test]
    fn a_stream_interleaved_with_the_playing_one_never_replaces_it() {
        let mut jb = buffer();
        // Another sender's stream in sequence, at times two packets between
        // two of the playing stream's, and junk with a new SSRC each packet.
        let heard = call(&mut jb, 40, |t| {
            let mut p = vec![frame(t)];
            if t >= 3 {
                p.insert(usize::from(t % 3 == 0), other(2 * t));
                p.push(other(2 * t + 1));
                p.push(packet(
                    1000 + u32::from(t),
                    t * 7,
                    u32::from(t) * 999,
                    77,
                    SPF,
                ));
            }
            p
        });
        assert_eq!(heard, heard_on_time(2, 40));
        assert_eq!(jb.stats.resyncs, 0);
    }

    #[test]
    fn a_new_stream_replaces_a_quiet_one_and_loses_nothing() {
        // 120 ms of delay: more than the quiet a new stream waits for.
        let mut jb = JitterBuffer::new(Law::Ulaw, 6 * SPF as u64, 16_000);
        let heard = call(&mut jb, 24, |t| {
            if t < 5 {
                vec![frame(t)]
            } else {
                // The sender restarted with a new SSRC at tick 5.
                vec![other(t - 5)]
            }
        });
        let mut expected = heard_on_time(6, 11);
        expected.extend((0..13).map(|k| 200 + k));
        assert_eq!(heard, expected);
        assert_eq!(jb.stats.resyncs, 1);
    }

    #[test]
    fn a_catch_up_burst_after_a_stall_plays_on_time_and_drops_the_late() {
        // The sender stalls for 0.3 s, then for 0.4 s, sending what it
        // missed in a burst each time; 100 ms (5 frames) of delay.
        let mut jb = JitterBuffer::new(Law::Ulaw, 5 * SPF as u64, 16_000);
        let heard = call(&mut jb, 80, |t| match t {
            10..25 | 40..60 => vec![],
            25 => (10..=25).map(frame).collect(),
            60 => (40..=60).map(frame).collect(),
            t => vec![frame(t)],
        });
        // Frame k plays at tick k + 5 whenever it came in time: frames
        // 10..20 were due before the burst at 25 and are silence, as are
        // 40..55 before the burst at 60; every frame after plays on time.
        let expected: Vec<u8> = (0..80)
            .map(|t: usize| match t {
                0..5 => 0,
                15..25 | 45..60 => 0,
                t => (t - 5) as u8 + 1,
            })
            .collect();
        assert_eq!(heard, expected);
        assert_eq!((jb.stats.late, jb.stats.resyncs), (10 + 15, 0));
    }

    #[test]
    fn a_sender_that_jumped_is_followed_after_a_run_of_strays() {
        let mut jb = buffer();
        // At tick 5 the sender jumps a minute ahead, one packet a tick.
        let jumped = |t: u16| {
            let ts = 1000 + 480_000 + u32::from(t) * SPF as u32;
            packet(7, t, ts, 100 + t as u8, SPF)
        };
        let heard = call(&mut jb, 16, |t| {
            vec![if t < 5 { frame(t) } else { jumped(t) }]
        });
        // Dropped as early for 100 ms (ticks 5 to 9), anchored again at
        // tick 10, heard two frames later.
        assert_eq!((jb.stats.early, jb.stats.resyncs), (5, 1));
        assert_eq!(&heard[..7], &heard_on_time(2, 7)[..]);
        assert_eq!(&heard[7..12], [0; 5]);
        assert_eq!(&heard[12..], [110, 111, 112, 113]);
    }

    #[test]
    fn only_the_latched_source_is_heard() {
        let mut jb = buffer();
        let mut heard = Vec::new();
        for t in 0..10u16 {
            // A stranger's stream starts one packet before the customer's,
            // and goes on alongside it.
            jb.push(stranger(), &other(t), u64::from(t));
            if t >= 1 {
                jb.push(peer(), &frame(t - 1), u64::from(t));
            }
            heard.push(play(&mut jb));
        }
        // The stranger's stream passed probation first (tick 1) and was
        // latched: the customer's phone is the foreigner here.
        assert_eq!(jb.source, Some(stranger()));
        assert_eq!(jb.stats.foreign, 9);
        assert!(heard.iter().all(|&b| b == 0 || b >= 200));

        // Latched on the customer, nothing of the stranger's is heard.
        let mut jb = buffer();
        let heard = call(&mut jb, 10, |t| vec![frame(t)]);
        for t in 10..20u16 {
            jb.push(stranger(), &other(t), u64::from(t));
            jb.push(stranger(), &frame(t), u64::from(t));
            jb.push(peer(), &frame(t), u64::from(t));
        }
        let after: Vec<u8> = (0..10).map(|_| play(&mut jb)).collect();
        assert_eq!(heard, heard_on_time(2, 10));
        assert_eq!(after, (9..19).collect::<Vec<u8>>());
        assert_eq!(jb.stats.foreign, 20);
    }

    #[test]
    fn a_tick_reads_at_most_the_bound_and_leaves_the_rest() {
        let rx = UdpSocket::bind("127.0.0.1:0").unwrap();
        rx.set_nonblocking(true).unwrap();
        let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
        let n = MAX_READS_PER_TICK + 36;
        for k in 0..n {
            tx.send_to(&frame(k as u16), rx.local_addr().unwrap())
                .unwrap();
        }
        let mut jb = buffer();
        let mut buf = [0u8; MAX_DATAGRAM];
        // Loopback delivers a datagram before send_to returns.
        assert_eq!(
            receive(&rx, &mut jb, &mut buf, 0).unwrap(),
            MAX_READS_PER_TICK
        );
        assert_eq!(receive(&rx, &mut jb, &mut buf, 1).unwrap(), 36);
        assert_eq!(receive(&rx, &mut jb, &mut buf, 2).unwrap(), 0);
        assert_eq!(jb.stats.packets, n);
        assert_eq!(
            (jb.stats.most_read_in_a_tick, jb.stats.ticks_at_read_bound),
            (MAX_READS_PER_TICK, 1)
        );
    }

    #[test]
    fn what_is_not_rtp_of_the_codec_is_counted_and_ignored() {
        let mut jb = buffer();
        jb.push(peer(), b"hello", 0);
        let mut pcma = frame(0);
        pcma[1] = 8;
        jb.push(peer(), &pcma, 0);
        assert_eq!((jb.stats.not_rtp, jb.stats.wrong_payload_type), (1, 1));
        assert_eq!((jb.first_packet_tick, jb.source), (None, None));
        assert_eq!(jb.stats.packets, 0);
    }

    /// An RFC 4733 event packet of stream `ssrc`, payload type 101.
    fn event(ssrc: u32, seq: u16, ts: u32, code: u8, end: bool, duration: u16) -> Vec<u8> {
        let [d0, d1] = duration.to_be_bytes();
        let flags = if end { 0x80 } else { 0 } | 10;
        RtpPacketBuilder::new()
            .payload_type(101)
            .ssrc(ssrc)
            .sequence(Seq::from(seq))
            .timestamp(ts)
            .payload(&[code, flags, d0, d1])
            .build()
            .unwrap()
    }

    /// The RTP timestamp of frame `k` of stream 7.
    fn ts_of(k: u16) -> u32 {
        1000 + u32::from(k) * SPF as u32
    }

    /// A supervisor's buffer with telephone events of payload type 101.
    fn keypad_buffer() -> JitterBuffer {
        let mut jb = buffer();
        jb.keypad = Some(Keypad::new(101));
        jb
    }

    /// Like `call`, also taking the key presses due before each tick's
    /// frame plays: (tick, digit).
    fn keyed_call(
        jb: &mut JitterBuffer,
        ticks: u16,
        send: impl Fn(u16) -> Vec<(SocketAddr, Vec<u8>)>,
    ) -> (Vec<u8>, Vec<(u16, char)>) {
        let mut pressed = Vec::new();
        let heard = (0..ticks)
            .map(|tick| {
                for (from, p) in send(tick) {
                    jb.push(from, &p, u64::from(tick));
                }
                let before = jb.play + SPF as u64;
                while let Some(d) = jb.keypad.as_mut().unwrap().due(before) {
                    pressed.push((tick, d.as_char()));
                }
                play(jb)
            })
            .collect();
        (heard, pressed)
    }

    fn stats(jb: &JitterBuffer) -> EventStats {
        jb.keypad.as_ref().unwrap().stats
    }

    #[test]
    fn a_telephone_event_payload_is_parsed_and_a_short_one_refused() {
        for n in 0..4 {
            assert_eq!(
                parse_telephone_event(&[5, 0x8a, 2, 0][..n]),
                None,
                "{n} bytes"
            );
        }
        assert_eq!(
            parse_telephone_event(&[5, 0x8a, 0x0a, 0x00]),
            Some(TelephoneEvent {
                code: 5,
                end: true,
                volume: 10,
                duration: 2560
            })
        );
        // The reserved bit is not the volume; bytes past the event are not
        // read; any code parses (the caller ignores those above 15).
        assert_eq!(
            parse_telephone_event(&[200, 0x7f, 0x01, 0x40, 9, 9, 9]),
            Some(TelephoneEvent {
                code: 200,
                end: false,
                volume: 63,
                duration: 320
            })
        );
        assert!(Digit::from_event_code(16).is_err());
    }

    #[test]
    fn one_key_press_per_event_due_at_its_start_and_its_span_is_silence() {
        let mut jb = keypad_buffer();
        // The phone keeps sending audio while key 5 is held from frame 5's
        // start for 4 frames: the start packet three times, updates, and
        // three end packets, all with frame 5's timestamp.
        let (heard, pressed) = keyed_call(&mut jb, 20, |t| {
            let mut p = vec![frame(t)];
            let e = |seq, end, d| event(7, seq, ts_of(5), 5, end, d);
            match t {
                5 => p.extend([e(100, false, 160), e(101, false, 160), e(102, false, 160)]),
                6 => p.push(e(103, false, 320)),
                7 => p.push(e(104, false, 480)),
                8 => p.extend([e(105, true, 640), e(106, true, 640), e(107, true, 640)]),
                _ => {}
            }
            p.into_iter().map(|p| (peer(), p)).collect()
        });
        // Frame 5 plays at tick 7 (two frames of delay): the press is due
        // then, not when its packet came, and frames 5 to 8 are silence.
        assert_eq!(pressed, [(7, '5')]);
        let mut expected = heard_on_time(2, 20);
        expected[7..11].fill(0);
        assert_eq!(heard, expected);
        let e = stats(&jb);
        assert_eq!((e.packets, e.presses, e.repeats, e.ends), (8, 1, 7, 3));
        assert_eq!((e.stale, e.unknown, e.volumes), (0, 0, Some((10, 10))));
        // Events are not audio, nor bad packets.
        assert_eq!((jb.stats.packets, jb.stats.wrong_payload_type), (20, 0));
    }

    #[test]
    fn an_event_still_held_silences_past_its_reported_duration() {
        let mut jb = keypad_buffer();
        // Key 1 from frame 4; its end packets are lost.
        let (heard, pressed) = keyed_call(&mut jb, 16, |t| {
            let mut p = vec![frame(t)];
            if t == 4 {
                p.push(event(7, 50, ts_of(4), 1, false, 160));
            }
            p.into_iter().map(|p| (peer(), p)).collect()
        });
        // 160 samples reported and 800 more while held: frames 4 to 9.
        assert_eq!(pressed, [(6, '1')]);
        let mut expected = heard_on_time(2, 16);
        expected[6..12].fill(0);
        assert_eq!(heard, expected);
    }

    #[test]
    fn reordered_lost_unknown_and_foreign_events_press_nothing_twice() {
        let mut jb = keypad_buffer();
        let (_, pressed) = keyed_call(&mut jb, 30, |t| {
            let mut p = vec![(peer(), frame(t))];
            let ev = |ts, code, end, d| (peer(), event(7, 200 + t, ts, code, end, d));
            match t {
                // Before any stream plays: not taken.
                0 => p.push(ev(ts_of(0), 9, true, 160)),
                // Key 1, then key 2 whose start overtakes key 1's end.
                3 => p.push(ev(ts_of(3), 1, false, 160)),
                6 => {
                    p.push(ev(ts_of(6), 2, false, 160));
                    p.push(ev(ts_of(3), 1, true, 480));
                }
                7 => p.push(ev(ts_of(6), 2, true, 320)),
                // Key 3's start and updates are lost: its end packets press it.
                12 => {
                    for _ in 0..3 {
                        p.push(ev(ts_of(10), 3, true, 320));
                    }
                }
                // Flash (16) and an unassigned code: ignored, once each.
                15 => {
                    p.push(ev(ts_of(15), 16, false, 160));
                    p.push(ev(ts_of(15), 16, true, 320));
                    p.push(ev(ts_of(16), 255, true, 160));
                }
                // Too short, a minute ahead, another SSRC, a stranger.
                18 => {
                    p.push((peer(), {
                        let mut e = event(7, 1, ts_of(18), 4, false, 160);
                        e.truncate(12 + 3);
                        e
                    }));
                    p.push(ev(ts_of(18) + 480_000, 4, false, 160));
                    p.push((peer(), event(8, 1, ts_of(19), 4, false, 160)));
                    p.push((stranger(), event(7, 1, ts_of(20), 4, false, 160)));
                }
                _ => {}
            }
            p
        });
        assert_eq!(pressed, [(5, '1'), (8, '2'), (12, '3')]);
        let e = stats(&jb);
        assert_eq!((e.presses, e.unknown, e.short), (3, 2, 1));
        // Key 1's late end packet, and the event a minute ahead.
        assert_eq!((e.stale, e.not_playing), (2, 2));
        assert_eq!((e.repeats, e.ends), (4, 7));
        assert_eq!(jb.stats.foreign, 1);
    }

    #[test]
    fn a_new_stream_starts_the_events_timestamps_over() {
        // 120 ms of delay; the phone restarts at tick 5 with a new SSRC
        // (stream 8) whose timestamps are behind stream 7's.
        let mut jb = JitterBuffer::new(Law::Ulaw, 6 * SPF as u64, 16_000);
        jb.keypad = Some(Keypad::new(101));
        let (_, pressed) = keyed_call(&mut jb, 30, |t| {
            let mut p = vec![if t < 5 { frame(t) } else { other(t - 5) }];
            if t == 2 {
                p.push(event(7, 1, ts_of(2), 4, true, 160));
            }
            if t == 20 {
                p.push(event(8, 1, 55 + 15 * SPF as u32, 6, true, 160));
            }
            p.into_iter().map(|p| (peer(), p)).collect()
        });
        assert_eq!(pressed.iter().map(|p| p.1).collect::<String>(), "46");
        assert_eq!(stats(&jb).stale, 0);
    }

    #[test]
    fn bad_arguments_are_one_line_each() {
        let args = |s: &str| parse_args(s.split_whitespace().map(String::from));
        let ok = "--customer 127.0.0.1:1=127.0.0.1:2 --agent 127.0.0.1:3=127.0.0.1:4 \
                  --supervisor 127.0.0.1:5=127.0.0.1:6 --schedule 0:monitor,1:barge --duration 2";
        let a = args(ok).ok().flatten().expect("valid arguments");
        assert_eq!(a.schedule.len(), 2);
        assert_eq!((a.law, a.format.samples_per_frame()), (Law::Ulaw, 160));
        for (extra, says) in [
            ("--codec g729", "--codec: expected pcmu or pcma, got 'g729'"),
            ("--ptime 25", "--ptime: unsupported frame duration"),
            ("--duration 0", "--duration: expected more than 0"),
            (
                "--schedule 3:barge",
                "a change at 3 s is not within the call's 2 s",
            ),
            ("--schedule 1:shout", "expected SECONDS:MODE"),
            ("--schedule 1:barge,0:monitor", "expected times in order"),
            ("--agent 127.0.0.1:3", "--agent: expected LOCAL=REMOTE"),
            (
                "--agent 127.0.0.1:1=127.0.0.1:4",
                "both receive on 127.0.0.1:1",
            ),
            ("--bogus 1", "unknown argument '--bogus'"),
            ("--jitter", "--jitter: expected a value after it"),
            (
                "--dtmf asterisk",
                "--dtmf: expected chanspy or eavesdrop, got 'asterisk'",
            ),
            (
                "--telephone-event 95",
                "--telephone-event: expected a dynamic payload type, 96 to 127, got '95'",
            ),
            ("--telephone-event 128", "96 to 127, got '128'"),
            ("--telephone-event x", "96 to 127, got 'x'"),
            ("--inband --dtmf", "--dtmf: expected a value after it"),
        ] {
            let e = args(&format!("{ok} {extra}")).err().expect(extra).0;
            assert!(e.contains(says), "{extra}: {e}");
            assert!(!e.contains('\n'));
        }
        assert_eq!((a.dtmf, a.telephone_event, a.inband), (None, None, false));
        let keyed = args(&format!(
            "{ok} --dtmf EAVESDROP --inband --telephone-event 101 --jitter 40"
        ))
        .ok()
        .flatten()
        .expect("valid arguments");
        assert_eq!(keyed.dtmf, Some(("eavesdrop", DtmfMap::EAVESDROP)));
        assert_eq!((keyed.telephone_event, keyed.inband), (Some(101), true));
        assert_eq!(keyed.jitter_ms, 40);
        let missing = args("--duration 1").err().unwrap().0;
        assert_eq!(missing, "--customer: missing");
    }
}
