//! RFC 4733 telephone events: key presses on a leg.

use barge::dtmf::Digit;

/// One RFC 4733 telephone event (section 2.3): the first 4 bytes of the
/// payload. (Further events in one payload, as RFC 2198 redundancy would
/// carry, are not read.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TelephoneEvent {
    /// The event code: 0 to 15 are the DTMF keys.
    pub code: u8,
    /// The E bit: the event has ended (sent three times).
    pub end: bool,
    /// The tone's power level, 0 to 63 (−dBm0).
    pub volume: u8,
    /// How long the event has lasted so far, in samples from its start
    /// (the packet's RTP timestamp).
    pub duration: u16,
}

/// The event in an RFC 4733 payload, or `None` if it is shorter than one.
pub fn parse_telephone_event(payload: &[u8]) -> Option<TelephoneEvent> {
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
pub struct EventStats {
    /// Packets of the telephone-event payload type from the leg's source.
    pub packets: u64,
    /// New events (a new start timestamp) with a key's code.
    pub presses: u64,
    /// New events with a code above 15: ignored.
    pub unknown: u64,
    /// Packets of an event already taken: updates, retransmissions, end
    /// packets.
    pub repeats: u64,
    /// Packets of the playing stream with the end bit (of any kind
    /// above).
    pub ends: u64,
    /// Packets of an event older than the last one taken (reordered), or
    /// too far from the playout point to place.
    pub stale: u64,
    /// Payloads shorter than an event.
    pub short: u64,
    /// Packets of an SSRC that is not playing, or before any stream played.
    pub not_playing: u64,
    /// The range of the key presses' volumes (−dBm0), if any came.
    pub volumes: Option<(u8, u8)>,
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
pub struct Keypad {
    /// The payload type of the events.
    pub payload_type: u8,
    /// The playing stream's anchor when the last event was taken: a new
    /// stream, or the same one anchored again, starts the timestamps over.
    anchor: Option<(u32, u32, u64)>,
    /// The start timestamp of the newest event taken.
    last_start: Option<u32>,
    /// Key presses and where their event starts to play.
    pending: std::collections::VecDeque<(u64, Digit)>,
    muted: Vec<MutedSpan>,
    /// What came, counted.
    pub stats: EventStats,
}

impl Keypad {
    /// A keypad for events of payload type `payload_type`.
    pub fn new(payload_type: u8) -> Keypad {
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
    pub(crate) fn take(
        &mut self,
        anchor: (u32, u32, u64),
        ts: u32,
        payload: &[u8],
        play: u64,
        capacity: u64,
    ) {
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
    pub fn due(&mut self, before: u64) -> Option<Digit> {
        match self.pending.front() {
            Some(&(at, digit)) if at < before => {
                self.pending.pop_front();
                Some(digit)
            }
            _ => None,
        }
    }

    /// Whether sample position `p` is within an event's span.
    pub fn mutes(&self, p: u64) -> bool {
        let p = p as i64;
        self.muted.iter().any(|m| p >= m.from && p < m.until())
    }
}
