//! The jitter buffer: one incoming RTP stream on its sample timeline.

use std::io;
use std::net::{SocketAddr, UdpSocket};

use barge::media::{Fill, PayloadSource};
use rtp_rs::{RtpReader, Seq};

use crate::events::Keypad;

/// Per-leg receive counters.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RxStats {
    /// RTP packets of the expected payload type from the leg's source
    /// (before it is latched: from anyone).
    pub packets: u64,
    /// Packets whose every sample was already there.
    pub duplicates: u64,
    /// Packets that came after a later one (by sequence number) and were
    /// still in time.
    pub reordered: u64,
    /// Packets that came after their turn to play, and were dropped.
    pub late: u64,
    /// Packets too far ahead of the playout point to keep, and dropped.
    pub early: u64,
    /// Times the stream was anchored again after the first time: a new
    /// SSRC that passed probation, or a run of packets that fit nowhere
    /// (the sender jumped).
    pub resyncs: u64,
    /// Packets of an SSRC other than the playing one, held on probation
    /// (they play only if their stream passes it and replaces the old).
    pub probation: u64,
    /// Datagrams from an address other than the latched source, dropped.
    pub foreign: u64,
    /// Datagrams that were not RTP.
    pub not_rtp: u64,
    /// RTP packets of another payload type.
    pub wrong_payload_type: u64,
    /// Frames played with at least one sample received.
    pub frames_played: u64,
    /// Frames with nothing received and nothing after them: silence (the
    /// phone paused, or has not begun).
    pub frames_missing: u64,
    /// Frames with nothing received though later audio arrived: lost in
    /// transit, concealed by the session for a party that conceals loss.
    pub frames_lost: u64,
    /// The most datagrams read from the leg's socket in one tick (at most
    /// `MAX_READS_PER_TICK`).
    pub most_read_in_a_tick: u64,
    /// Ticks that read `MAX_READS_PER_TICK` datagrams and left the rest in
    /// the kernel's buffer.
    pub ticks_at_read_bound: u64,
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
pub const MAX_READS_PER_TICK: u64 = 64;

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
pub struct JitterBuffer {
    /// The payload type of the stream's media.
    payload_type: u8,
    /// The byte that plays as silence (G.711's code for 0).
    silence: u8,
    delay: u64,
    samples: Vec<u8>,
    present: Vec<bool>,
    /// Sample position (since the call began) of the next frame to play.
    pub play: u64,
    /// The source address media is taken from, once latched.
    pub source: Option<SocketAddr>,
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
    pub first_packet_tick: Option<u64>,
    /// What came, counted.
    pub stats: RxStats,
    /// The position after the last sample received: a frame that nothing
    /// arrived for before it is a gap in the stream, lost.
    received_until: u64,
    /// The leg's RFC 4733 events, if it has them.
    pub keypad: Option<Keypad>,
}

impl JitterBuffer {
    /// A buffer for media of `payload_type` whose silence is the byte
    /// `silence`, playing a stream's first packet `delay` samples after
    /// the tick it came in, holding `capacity` samples (at least `delay`
    /// and a frame more).
    pub fn new(payload_type: u8, silence: u8, delay: u64, capacity: usize) -> JitterBuffer {
        JitterBuffer {
            payload_type,
            silence,
            delay,
            samples: vec![silence; capacity],
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
            received_until: 0,
            keypad: None,
        }
    }

    /// How many samples the buffer holds.
    pub fn capacity(&self) -> u64 {
        self.samples.len() as u64
    }

    /// Takes one datagram from `from`, received during `tick` (before that
    /// tick's frame is played).
    pub fn push(&mut self, from: SocketAddr, datagram: &[u8], tick: u64) {
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
        if rtp.payload_type() != self.payload_type {
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
                self.received_until = self.received_until.max(p as u64 + 1);
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
pub fn receive(
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
                *out = self.silence;
            } else if self.present[slot] {
                *out = self.samples[slot];
                self.present[slot] = false;
                any = true;
            } else {
                *out = self.silence;
            }
        }
        self.play += payload.len() as u64;
        if any {
            self.stats.frames_played += 1;
            Fill::Frame
        } else if self.received_until > self.play {
            // Later audio arrived: this frame's packet was lost or late.
            self.stats.frames_lost += 1;
            Fill::Lost
        } else {
            self.stats.frames_missing += 1;
            Fill::Missing
        }
    }
}
