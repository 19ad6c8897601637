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
//! The jitter buffer, the keypad and the packetizer are the package
//! `barge-rtp` (`examples/rtp/`), which the SIP example shares.
//!
//! The library owns no socket and reads no clock: this example does both.
//! It paces itself with one steady timer (`Instant` deadlines computed from
//! the start, so that it does not drift) on one thread, and hands `barge`
//! one frame per leg per tick through `G711Source` and `G711Sink`.
//!
//! Exit status: 0 after the call, 2 for bad arguments, 1 if a socket cannot
//! be opened.

use std::fmt;
use std::io::{self, Write};
use std::net::{SocketAddr, UdpSocket};
use std::process::ExitCode;
use std::time::Instant;

use barge::g711::Law;
use barge::keypad::DtmfMap;
use barge::media::{Driver, G711Sink, G711Source, Leg};
use barge::{Event, Format, Join, Mode, PartyId, Role, Session};
use barge_rtp::{receive, JitterBuffer, Keypad, RtpSender, MAX_DATAGRAM};

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
        let jitter =
            JitterBuffer::new(args.law.payload_type(), args.law.silence(), delay, capacity);
        parties.push(Party {
            name: PARTIES[i],
            // A packet the jitter buffer gave up on is concealed.
            id: call.join(Join::from(role).conceal_loss())?,
            source: G711Source::new(args.law, format, jitter)?,
            sink: G711Sink::new(
                args.law,
                format,
                RtpSender::new(socket.try_clone()?, remote, args.law.payload_type()),
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
                    ..
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
                    ..
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
