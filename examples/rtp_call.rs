//! A three-party call over RTP: a customer, an agent and a supervisor, each
//! an independent RTP endpoint, mixed by one `barge` session.
//!
//! ```text
//! cargo run --release --example rtp_call -- \
//!     --customer 127.0.0.1:40000=127.0.0.1:41000 \
//!     --agent 127.0.0.1:40002=127.0.0.1:41002 \
//!     --supervisor 127.0.0.1:40004=127.0.0.1:41004 \
//!     --schedule "0:monitor,2.5:whisper,5:barge,7.5:monitor" \
//!     --duration 10 [--codec pcmu|pcma] [--ptime 20] [--jitter 60]
//! ```
//!
//! For each party it receives RTP on LOCAL and sends what that party must
//! hear as RTP to REMOTE (payload type 0 for PCMU, 8 for PCMA), one packet
//! per ptime, each leg with its own SSRC, sequence numbers and timestamps.
//! A small jitter buffer per leg puts packets back in order, drops
//! duplicates and packets that come too late, and plays silence for what
//! is missing; a leg that never sends is silence. The supervisor's mode
//! follows the schedule; every change is printed as it happens, and
//! per-leg packet statistics at the end.
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

use barge::g711::Law;
use barge::media::{Driver, Fill, G711Sink, G711Source, Leg, PayloadSink, PayloadSource};
use barge::{Event, Format, Mode, PartyId, Role, Session};
use rtp_rs::{RtpPacketBuilder, RtpReader, Seq};

const USAGE: &str = "usage: rtp_call --customer LOCAL=REMOTE --agent LOCAL=REMOTE \
--supervisor LOCAL=REMOTE --schedule \"0:monitor,2.5:whisper,5:barge,7.5:monitor\" \
--duration SECONDS [--codec pcmu|pcma] [--ptime MS] [--jitter MS]";

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
    while let Some(flag) = it.next() {
        if flag == "-h" || flag == "--help" {
            return Ok(None);
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
    /// RTP packets of the expected payload type.
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
    /// Times the stream was anchored again (new SSRC, or a run of packets
    /// that fit nowhere: the sender jumped).
    resyncs: u64,
    /// Datagrams that were not RTP.
    not_rtp: u64,
    /// RTP packets of another payload type.
    wrong_payload_type: u64,
    /// Frames played with at least one sample received.
    frames_played: u64,
    /// Frames with nothing received: silence.
    frames_missing: u64,
}

/// How many packets in a row that fit nowhere (late or too early) make
/// the jitter buffer start the stream over.
const STRAYS_BEFORE_RESYNC: u32 = 5;

/// A jitter buffer on the sample timeline of one incoming RTP stream.
///
/// The first packet of a stream (an SSRC) is played `delay` samples after
/// the tick it arrived in; every later packet goes where its RTP timestamp
/// puts it, whatever order it arrives in and whatever its size. A sample
/// that arrives after its turn to play is dropped (late); one that is
/// already there is a duplicate; one more than the buffer's length ahead
/// is dropped (early). A run of packets that fit nowhere means the sender
/// jumped (restarted its timestamps, or its clock drifted a whole buffer
/// away from ours): the stream is anchored again on the newest packet.
struct JitterBuffer {
    law: Law,
    delay: u64,
    samples: Vec<u8>,
    present: Vec<bool>,
    /// Sample position (since the call began) of the next frame to play.
    play: u64,
    /// (ssrc, RTP timestamp, sample position it plays at).
    anchor: Option<(u32, u32, u64)>,
    highest_seq: Option<Seq>,
    /// Packets in a row that fit nowhere.
    strays: u32,
    /// Tick of the first packet, once one has come.
    first_packet_tick: Option<u64>,
    stats: RxStats,
}

impl JitterBuffer {
    fn new(law: Law, delay: u64, capacity: usize) -> JitterBuffer {
        JitterBuffer {
            law,
            delay,
            samples: vec![law.silence(); capacity],
            present: vec![false; capacity],
            play: 0,
            anchor: None,
            highest_seq: None,
            strays: 0,
            first_packet_tick: None,
            stats: RxStats::default(),
        }
    }

    fn capacity(&self) -> u64 {
        self.samples.len() as u64
    }

    /// Takes one datagram received during `tick` (before that tick's frame
    /// is played).
    fn push(&mut self, datagram: &[u8], tick: u64) {
        let Ok(rtp) = RtpReader::new(datagram) else {
            self.stats.not_rtp += 1;
            return;
        };
        if rtp.payload_type() != self.law.payload_type() {
            self.stats.wrong_payload_type += 1;
            return;
        }
        self.stats.packets += 1;
        self.first_packet_tick.get_or_insert(tick);
        let (ssrc, ts, seq, payload) = (
            rtp.ssrc(),
            rtp.timestamp(),
            rtp.sequence_number(),
            rtp.payload(),
        );
        let mut pos = match self.anchor {
            Some((s, ts0, at)) if s == ssrc => {
                // Signed distance on the 32-bit timestamp clock.
                at as i64 + i64::from(ts.wrapping_sub(ts0) as i32)
            }
            _ => self.anchor_at(ssrc, ts),
        };
        let (play, cap, len) = (
            self.play as i64,
            self.capacity() as i64,
            payload.len() as i64,
        );
        let late = pos + len <= play;
        let early = pos >= play + cap;
        if late || early {
            self.strays += 1;
            if self.strays < STRAYS_BEFORE_RESYNC {
                if late {
                    self.stats.late += 1;
                } else {
                    self.stats.early += 1;
                }
                return;
            }
            self.stats.resyncs += 1;
            pos = self.anchor_at(ssrc, ts);
        }
        self.strays = 0;
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

    /// Starts playing stream `ssrc` at RTP timestamp `ts`, `delay` samples
    /// from now; returns the position of `ts`.
    fn anchor_at(&mut self, ssrc: u32, ts: u32) -> i64 {
        self.present.fill(false);
        self.highest_seq = None;
        self.strays = 0;
        let at = self.play + self.delay;
        self.anchor = Some((ssrc, ts, at));
        at as i64
    }
}

impl PayloadSource for JitterBuffer {
    fn fill_payload(&mut self, payload: &mut [u8]) -> Fill {
        let mut any = false;
        for (i, out) in payload.iter_mut().enumerate() {
            let slot = ((self.play + i as u64) % self.capacity()) as usize;
            if self.present[slot] {
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
            Ok(len) => match self.socket.send_to(&self.packet[..len], self.remote) {
                Ok(_) => self.sent += 1,
                Err(_) => self.send_errors += 1,
            },
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
            println!("{USAGE}");
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
    out.flush()?;

    let mut driver = Driver::new(format);
    let mut datagram = [0u8; MAX_DATAGRAM];
    let mut next_change = 0;
    let mut worst_wakeup = std::time::Duration::ZERO;
    let start = Instant::now();
    for tick in 0..ticks {
        // One steady timer: every deadline is computed from the start, so
        // that a late wake-up does not push the ones after it.
        let deadline = start + ptime * tick as u32;
        let now = Instant::now();
        if deadline > now {
            std::thread::sleep(deadline - now);
        }
        worst_wakeup = worst_wakeup.max(Instant::now().saturating_duration_since(deadline));

        while next_change < schedule.len() && schedule[next_change].0 <= tick {
            call.set_mode(supervisor, schedule[next_change].1)?;
            next_change += 1;
        }
        for p in parties.iter_mut() {
            loop {
                match p.socket.recv_from(&mut datagram) {
                    Ok((n, _from)) => {
                        let jb = p.source.inner_mut();
                        let was_first = jb.first_packet_tick.is_none();
                        jb.push(&datagram[..n], tick);
                        if was_first && jb.first_packet_tick.is_some() {
                            writeln!(
                                out,
                                "{:8.3} s  {}: first packet at tick {tick}",
                                tick as f64 * ptime.as_secs_f64(),
                                p.name
                            )?;
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    // ICMP errors from a peer that is not listening yet.
                    Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => continue,
                    Err(e) => return Err(e.into()),
                }
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
                _ => {}
            }
        }
        out.flush()?;
    }
    writeln!(
        out,
        "done: {ticks} ticks of {} ms ({} samples each); the latest tick started {:.1} ms after its deadline",
        format.ptime().ms(),
        spf,
        worst_wakeup.as_secs_f64() * 1000.0
    )?;
    writeln!(
        out,
        "{:<11}{:>8}{:>6}{:>10}{:>6}{:>7}{:>8}{:>5}{:>8}{:>9}{:>6}",
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
        "sent"
    )?;
    for p in &parties {
        let s = p.source.inner().stats;
        let tx = p.sink.inner();
        writeln!(
            out,
            "{:<11}{:>8}{:>6}{:>10}{:>6}{:>7}{:>8}{:>5}{:>8}{:>9}{:>6}",
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
            tx.sent
        )?;
        if tx.send_errors > 0 {
            writeln!(
                out,
                "{:<11}{} packets could not be sent",
                p.name, tx.send_errors
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

    #[test]
    fn packets_in_order_play_after_the_delay() {
        let mut jb = buffer();
        let mut heard = Vec::new();
        for tick in 0..6u16 {
            jb.push(&frame(tick), u64::from(tick));
            heard.push(play(&mut jb));
        }
        assert_eq!(heard, [0, 0, 1, 2, 3, 4]);
        assert_eq!(jb.first_packet_tick, Some(0));
        assert_eq!((jb.stats.frames_played, jb.stats.frames_missing), (4, 2));
    }

    #[test]
    fn reordered_and_duplicated_packets_play_once_in_order() {
        let mut jb = buffer();
        for k in [0, 2, 1, 1, 3, 0] {
            jb.push(&frame(k), 0);
        }
        let heard: Vec<u8> = (0..6).map(|_| play(&mut jb)).collect();
        assert_eq!(heard, [0, 0, 1, 2, 3, 4]);
        assert_eq!((jb.stats.reordered, jb.stats.duplicates), (1, 2));
    }

    #[test]
    fn a_missing_packet_is_a_missing_frame_and_a_late_one_is_dropped() {
        let mut jb = buffer();
        let mut heard = Vec::new();
        for tick in 0..6u16 {
            if tick != 1 {
                jb.push(&frame(tick), u64::from(tick));
            }
            if tick == 4 {
                // Frame 1 played (as silence) at tick 3.
                jb.push(&frame(1), 4);
            }
            heard.push(play(&mut jb));
        }
        assert_eq!(heard, [0, 0, 1, 0, 3, 4]);
        assert_eq!((jb.stats.late, jb.stats.frames_missing), (1, 3));
    }

    #[test]
    fn packets_of_any_size_and_wrapping_timestamps_fill_frames() {
        let mut jb = buffer();
        let ts0 = u32::MAX - 100;
        for k in 0..6u16 {
            let ts = ts0.wrapping_add(u32::from(k) * 80);
            jb.push(&packet(9, k, ts, k as u8 / 2 + 1, 80), 0);
        }
        let heard: Vec<u8> = (0..5).map(|_| play(&mut jb)).collect();
        assert_eq!(heard, [0, 0, 1, 2, 3]);
    }

    #[test]
    fn a_new_stream_or_a_jump_starts_over() {
        let mut jb = buffer();
        jb.push(&frame(0), 0);
        assert_eq!(play(&mut jb), 0);
        // Another SSRC: anchored anew, two frames from now.
        jb.push(&packet(8, 500, 77, 42, SPF), 1);
        let heard: Vec<u8> = (0..3).map(|_| play(&mut jb)).collect();
        assert_eq!(heard, [0, 0, 42]);
        // The same SSRC jumps a minute ahead: the first packets are
        // dropped as early, then the stream starts over.
        for k in 0..STRAYS_BEFORE_RESYNC {
            let ts = 77 + 480_000 + k * SPF as u32;
            jb.push(&packet(8, 501 + k as u16, ts, 50 + k as u8, SPF), 4);
        }
        assert_eq!((jb.stats.early, jb.stats.resyncs), (4, 1));
        let heard: Vec<u8> = (0..3).map(|_| play(&mut jb)).collect();
        assert_eq!(heard, [0, 0, 54]);
    }

    #[test]
    fn what_is_not_rtp_of_the_codec_is_counted_and_ignored() {
        let mut jb = buffer();
        jb.push(b"hello", 0);
        let mut pcma = frame(0);
        pcma[1] = 8;
        jb.push(&pcma, 0);
        assert_eq!((jb.stats.not_rtp, jb.stats.wrong_payload_type), (1, 1));
        assert_eq!(jb.first_packet_tick, None);
        assert_eq!(jb.stats.packets, 0);
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
        ] {
            let e = args(&format!("{ok} {extra}")).err().expect(extra).0;
            assert!(e.contains(says), "{extra}: {e}");
            assert!(!e.contains('\n'));
        }
        let missing = args("--duration 1").err().unwrap().0;
        assert_eq!(missing, "--customer: missing");
    }
}
