//! A supervisor's live-call dashboard in the browser, with the supervisor's
//! microphone and speaker on WebRTC.
//!
//! ```sh
//! cargo run --release -p barge-dashboard [-- --listen ADDR] [--record DIR]
//! ```
//!
//! It prints the address of its page (`http://127.0.0.1:8000/` unless
//! `--listen` says otherwise; it listens on loopback only by default). The
//! page lists four simulated calls, each a customer and an agent talking
//! (the quickstart's synthesized voices, 8 kHz, 20 ms, on scripts that loop:
//! two calls going well, an agent who talks on for 38 s, a customer who
//! cuts in on the agent; `script.rs`), with each party's mode and levels,
//! updated five times a second. Pick a call, then Monitor, Whisper or Barge
//! join it (or change mode) and Leave leaves it; the call's audit trail
//! shows each change at the tick it takes effect. The first of these
//! buttons asks for the microphone and connects the browser by WebRTC: the
//! supervisor hears the call in the browser and, in whisper and barge, is
//! heard on it.
//!
//! # When to barge: call signals
//!
//! Every call enables barge's call signals ([`barge::Session::enable_signals`]),
//! and each card shows who is talking now (or pausing within a turn), the
//! agent's share of the talk, the current dead air, the longest monologue
//! and each party's interruptions.
//! The call list puts the calls that need attention first and says why
//! ("dead air 9 s", "agent monologue 34 s", "customer interrupted 6× in a
//! minute"). The rule (`attention.rs`, stated on the page too): a call
//! needs attention from one of barge's alerts ([`barge::Alert`]) until what
//! raised it is over — dead air of 5 s until someone talks, a monologue (one
//! turn) of 30 s until the turn ends, 3 interruptions by one party in a
//! minute until fewer lie in the last minute; dead air comes before a
//! monologue before interruptions, the longest (or most) first within
//! each; then the other calls by number.
//!
//! "Go silent" on the page (`POST /calls/N/silence`) makes the selected
//! call's customer and agent hand in only their line noise, as if both had
//! gone quiet; "Talk again" (`POST /calls/N/talk`) takes up their script
//! where it has got to. After 5 s of dead air the call rises to the top of
//! the list.
//!
//! # Architecture
//!
//! ```text
//!            HTTP (one thread per connection)          media loop (one thread)
//!  browser ── GET /  /state  /events (SSE) ─────────── state snapshot (JSON) ◄──┐
//!          ── POST /calls/N/{monitor,whisper,barge,leave,silence,talk}          │
//!          ── POST /offer (SDP) ───── commands (mpsc) ─►  every 20 ms:           │
//!                                                          4 × Session::mix ─────┘
//!          ◄═ UDP: ICE, DTLS-SRTP, Opus RTP ══════════►  str0m Rtc + opus-rs
//! ```
//!
//! - **One media loop** owns all four [`barge::Session`]s, the UDP socket
//!   and the WebRTC peer. It ticks every 20 ms on a deadline (late ticks are
//!   not made up in a burst: the schedule restarts from now). Between
//!   ticks it waits on the socket for at most the time to the next tick or
//!   to str0m's next timeout, feeds what arrives to str0m
//!   (`Input::Receive`), and drains `poll_output` (datagrams to send,
//!   events, the next timeout): both libraries are sans-IO, and this loop
//!   is their host. At each tick every call mixes one frame with
//!   [`barge::Session::mix_frames`], borrowing the scripted voices where
//!   they lie; the supervisor's call also gets the supervisor's decoded
//!   frame, and what the supervisor heard is Opus-encoded and sent. Each
//!   call then takes its alerts and updates what needs attention.
//! - **HTTP threads** parse one request each (a tiny server on `std::net`)
//!   and send the media loop a command with a reply channel; the loop
//!   applies it between two ticks, so a mode change takes effect at the
//!   next mix, as `barge` specifies. The loop publishes a JSON snapshot every
//!   200 ms; `/state` returns it and `/events` streams it (server-sent
//!   events) to the page.
//! - **The 48 kHz leg**: the call mixes at 8 kHz; the supervisor joins it
//!   with [`barge::Join::supervisor`] on a leg ([`barge::Join::leg`]) at
//!   48 kHz / 20 ms, the format of the
//!   browser's Opus. It hands in 960 samples a tick and hears 960: the
//!   session resamples both ways, and this host writes no resampler. Up to
//!   80 ms of decoded audio may wait for the next tick; a tick with none
//!   hands in silence (the supervisor's leg never misses a frame, so what
//!   it said and what the session did with it can be replayed exactly).
//! - **Opus: opus-rs**, a pure-Rust Opus: it builds from the registry
//!   alone, so `cargo test` needs no system library. Measured against
//!   libopus (Debian's `libopus-dev`, through the `opus` crate) on the
//!   supervisor's voice at 48 kHz, 32 kbit/s: correlation with the original
//!   0.969 against libopus's 0.966, and each decodes the other's packets
//!   identically; it takes 13 s to build in release where the bindings take
//!   one, and needs a system library no newcomer may have.
//! - **WebRTC: str0m 0.24** with its Rust crypto backend, which builds from
//!   the registry with a C compiler (its `aws-lc-sys`, some 50 s of C per
//!   build profile) rather than needing Debian's `libssl-dev`: 0.25 did not
//!   resolve from the registry (its backends, `str0m-openssl` and
//!   `str0m-rust-crypto` 0.7, were not to be had). The SDP answer offers one host candidate, the media loop's
//!   socket (on the address the page is served from); the browser's
//!   address is learnt from its connectivity checks (no trickle, no STUN
//!   server). On a loopback address the loop answers loopback peers only.
//!
//! `--record DIR` (for `tests/browser.rs`) writes what every party
//! said and heard, and a log of requests and audit events; `POST /quit`
//! then completes the files and ends the program (see `dashboard/record.rs`).

/// `println!` that does not panic when stdout is closed early.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let mut out = std::io::stdout();
        let _ = writeln!(out, $($arg)*);
        let _ = out.flush();
    }};
}

mod attention;
mod calls;
#[path = "../../common/mod.rs"]
mod common;
mod http;
mod peer;
mod record;
mod script;

use std::fmt::Write as _;
use std::io::{ErrorKind, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use barge::Mode;
use calls::{json_string, SimCall, CALLS, LEVEL_TICKS, SUPERVISOR_SPF};
use peer::Peer;
use record::Recorder;

const USAGE: &str =
    "usage: dashboard [--listen ADDR] [--record DIR]   (default ADDR: 127.0.0.1:8000)";
const PAGE: &str = include_str!("index.html");
const TICK: Duration = Duration::from_millis(20);

/// The command line.
#[derive(Debug, PartialEq)]
struct Args {
    listen: SocketAddr,
    record: Option<PathBuf>,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Option<Args>, String> {
    let mut listen = None;
    let mut record = None;
    while let Some(arg) = args.next() {
        let (flag, value) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg, None),
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(None),
            "--listen" | "--record" => {
                let value = match value.or_else(|| args.next()) {
                    Some(v) if !v.is_empty() => v,
                    _ => return Err(format!("{flag} needs a value")),
                };
                if flag == "--listen" {
                    let addr = value.parse().map_err(|_| {
                        format!("--listen {value:?} is not an address like 127.0.0.1:8000")
                    })?;
                    if listen.replace(addr).is_some() {
                        return Err("--listen is given twice".into());
                    }
                } else if record.replace(PathBuf::from(value)).is_some() {
                    return Err("--record is given twice".into());
                }
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(Some(Args {
        listen: listen.unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8000))),
        record,
    }))
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(Some(args)) => args,
        Ok(None) => {
            say!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("dashboard: {message} ({USAGE})");
            return ExitCode::from(2);
        }
    };
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("dashboard: {message}");
            ExitCode::from(1)
        }
    }
}

/// What an HTTP thread asks of the media loop; each carries where to send
/// the answer.
enum Command {
    /// Put the supervisor on call `call` (0-based) in `mode`.
    Mode(usize, Mode, Sender<Result<String, String>>),
    /// Take the supervisor off call `call`.
    Leave(usize, Sender<Result<String, String>>),
    /// Make call `call`'s parties go silent (`true`) or talk again.
    Silence(usize, bool, Sender<Result<String, String>>),
    /// A browser's SDP offer; the answer is the SDP answer.
    Offer(String, Sender<Result<String, String>>),
    /// Complete the recording (`--record`) and stop.
    Quit(Sender<Result<String, String>>),
}

/// The latest snapshot, for `/state` and `/events`.
struct Snapshot {
    state: Mutex<(u64, Arc<str>)>,
    changed: Condvar,
}

impl Snapshot {
    fn publish(&self, json: String) {
        if let Ok(mut s) = self.state.lock() {
            *s = (s.0 + 1, json.into());
        }
        self.changed.notify_all();
    }

    fn latest(&self) -> (u64, Arc<str>) {
        match self.state.lock() {
            Ok(s) => s.clone(),
            Err(_) => (0, "{}".into()),
        }
    }

    /// The first snapshot after `version`, or `None` after a second.
    fn after(&self, version: u64) -> Option<(u64, Arc<str>)> {
        let guard = self.state.lock().ok()?;
        let (guard, _) = self
            .changed
            .wait_timeout_while(guard, Duration::from_secs(1), |s| s.0 <= version)
            .ok()?;
        (guard.0 > version).then(|| guard.clone())
    }
}

fn run(args: Args) -> Result<(), String> {
    let listener = TcpListener::bind(args.listen)
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    // The media socket: the one ICE candidate the browser is told of.
    let socket = UdpSocket::bind(SocketAddr::new(addr.ip(), 0))
        .map_err(|e| format!("cannot bind a UDP socket on {}: {e}", addr.ip()))?;
    let recorder = args.record.as_deref().map(Recorder::new).transpose()?;
    let recording = recorder.is_some();
    let calls = (1..=CALLS)
        .map(SimCall::new)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    let snapshot = Arc::new(Snapshot {
        state: Mutex::new((0, "{}".into())),
        changed: Condvar::new(),
    });
    let (commands, inbox) = mpsc::channel();
    let media = MediaLoop {
        calls,
        seat: None,
        peer: None,
        socket,
        recorder,
        snapshot: Arc::clone(&snapshot),
        skipped: 0,
    };
    std::thread::Builder::new()
        .name("media".into())
        .spawn(move || {
            // A page with no media loop behind it would only mislead.
            let result =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| media.run(inbox)));
            match result {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    eprintln!("dashboard: media loop: {e}");
                    std::process::exit(1);
                }
                Err(_) => std::process::exit(101),
            }
        })
        .map_err(|e| format!("cannot start the media loop: {e}"))?;

    say!("dashboard: {CALLS} calls; open http://{addr}/ in a browser (Ctrl-C to stop)");
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let commands = commands.clone();
        let snapshot = Arc::clone(&snapshot);
        let _ = std::thread::Builder::new()
            .name("http".into())
            .spawn(move || serve(&stream, &commands, &snapshot, recording));
    }
    Ok(())
}

/// Sends `command` (made with a reply channel) and waits for the answer.
fn ask(
    commands: &Sender<Command>,
    command: impl FnOnce(Sender<Result<String, String>>) -> Command,
) -> Result<String, String> {
    let (reply, answer) = mpsc::channel();
    commands
        .send(command(reply))
        .map_err(|_| "the media loop has stopped".to_string())?;
    answer
        .recv_timeout(Duration::from_secs(5))
        .map_err(|_| "the media loop did not answer".to_string())?
}

/// Serves one HTTP request.
fn serve(stream: &TcpStream, commands: &Sender<Command>, snapshot: &Snapshot, recording: bool) {
    let request = match http::read_request(stream) {
        Ok(r) => r,
        Err(status) => return http::respond(stream, status, "text/plain", status.as_bytes()),
    };
    let text = "text/plain; charset=utf-8";
    let reply = |result: Result<String, String>, content_type: &str| match result {
        Ok(body) => http::respond(stream, "200 OK", content_type, body.as_bytes()),
        Err(e) => http::respond(stream, "409 Conflict", text, e.as_bytes()),
    };
    let parts: Vec<&str> = request.path.split('/').filter(|p| !p.is_empty()).collect();
    match (request.method.as_str(), parts.as_slice()) {
        ("GET", [] | ["index.html"]) => http::respond(
            stream,
            "200 OK",
            "text/html; charset=utf-8",
            PAGE.as_bytes(),
        ),
        ("GET", ["state"]) => {
            let (_, json) = snapshot.latest();
            http::respond(stream, "200 OK", "application/json", json.as_bytes());
        }
        ("GET", ["events"]) => {
            if http::start_events(stream).is_err() {
                return;
            }
            let (mut version, mut json) = snapshot.latest();
            let mut out = stream;
            loop {
                if out
                    .write_all(format!("data: {json}\n\n").as_bytes())
                    .and_then(|()| out.flush())
                    .is_err()
                {
                    return; // the page went away
                }
                // A comment line every second keeps an idle stream open.
                while snapshot.after(version).is_none() {
                    if out.write_all(b": idle\n\n").is_err() {
                        return;
                    }
                }
                (version, json) = snapshot.latest();
            }
        }
        ("POST", ["calls", n, action]) => {
            let call = match n.parse::<usize>() {
                Ok(n) if (1..=CALLS).contains(&n) => n - 1,
                _ => return http::respond(stream, "404 Not Found", text, b"no such call"),
            };
            let mode = match *action {
                "monitor" => Mode::Monitor,
                "whisper" => Mode::Whisper,
                "barge" => Mode::Barge,
                "leave" => return reply(ask(commands, |r| Command::Leave(call, r)), text),
                "silence" | "talk" => {
                    let silent = *action == "silence";
                    return reply(ask(commands, |r| Command::Silence(call, silent, r)), text);
                }
                _ => return http::respond(stream, "404 Not Found", text, b"no such action"),
            };
            reply(ask(commands, |r| Command::Mode(call, mode, r)), text);
        }
        ("POST", ["offer"]) => {
            let offer = request.body;
            reply(
                ask(commands, |r| Command::Offer(offer, r)),
                "application/sdp",
            );
        }
        ("POST", ["quit"]) if recording => {
            let result = ask(commands, Command::Quit);
            let ok = result.is_ok();
            reply(result, text);
            std::process::exit(if ok { 0 } else { 1 });
        }
        _ => http::respond(stream, "404 Not Found", text, b"not found"),
    }
}

/// The media loop's state: everything that runs on the 20 ms clock.
struct MediaLoop {
    calls: Vec<SimCall>,
    /// The call the supervisor is on (0-based).
    seat: Option<usize>,
    peer: Option<Peer>,
    socket: UdpSocket,
    recorder: Option<Recorder>,
    snapshot: Arc<Snapshot>,
    /// Ticks not mixed because the loop fell far behind.
    skipped: u64,
}

impl MediaLoop {
    fn run(mut self, inbox: Receiver<Command>) -> Result<(), String> {
        let local = self.socket.local_addr().map_err(|e| e.to_string())?;
        let loopback_only = local.ip().is_loopback();
        let mut datagram = vec![0u8; 2048];
        let mut from_supervisor = vec![0i16; SUPERVISOR_SPF];
        let mut to_supervisor = vec![0i16; SUPERVISOR_SPF];
        let silence = vec![0i16; SUPERVISOR_SPF];
        let mut next_tick = Instant::now();
        let mut ticks = 0u64;
        loop {
            // Until the tick is due: commands, datagrams, str0m's timers.
            loop {
                while let Ok(command) = inbox.try_recv() {
                    if self.command(command, local)? {
                        return Ok(());
                    }
                }
                let now = Instant::now();
                let mut wake = next_tick;
                if let Some(p) = self.peer.as_mut() {
                    wake = wake.min(p.poll(now, &self.socket));
                    if p.is_closed() {
                        self.peer_gone()?;
                    }
                }
                if now >= next_tick {
                    break;
                }
                let wait = wake
                    .saturating_duration_since(now)
                    .max(Duration::from_millis(1));
                self.socket
                    .set_read_timeout(Some(wait))
                    .map_err(|e| e.to_string())?;
                match self.socket.recv_from(&mut datagram) {
                    Ok((n, source)) => {
                        if loopback_only && !source.ip().is_loopback() {
                            continue;
                        }
                        if let Some(p) = self.peer.as_mut() {
                            p.receive(Instant::now(), source, local, &datagram[..n]);
                        }
                    }
                    Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                    // A port unreachable from a peer that went away.
                    Err(e) if e.kind() == ErrorKind::ConnectionRefused => {}
                    Err(e) => return Err(format!("the media socket failed: {e}")),
                }
            }

            // The tick: every call mixes one frame.
            match self.peer.as_mut() {
                Some(p) => p.take_frame(&mut from_supervisor),
                None => from_supervisor.fill(0),
            }
            let mut heard = false;
            for call in &mut self.calls {
                heard |= call
                    .tick(&from_supervisor, &mut to_supervisor, self.recorder.as_mut())
                    .map_err(|e| format!("call {}: {e}", call.n))?;
                call.drain_events(self.recorder.as_mut());
            }
            if !heard {
                to_supervisor.fill(0);
            }
            if let Some(r) = self.recorder.as_mut() {
                let said = if heard { &from_supervisor } else { &silence };
                r.supervisor_frame(said, &to_supervisor);
            }
            if let (true, Some(p)) = (heard, self.peer.as_mut()) {
                p.send_frame(&to_supervisor, Instant::now());
            }
            ticks += 1;
            if ticks % LEVEL_TICKS == 0 {
                self.publish(ticks);
            }
            next_tick += TICK;
            let now = Instant::now();
            if now > next_tick + 5 * TICK {
                // Far behind (the machine stalled): no burst of ticks.
                self.skipped += ((now - next_tick).as_millis() / TICK.as_millis()) as u64;
                next_tick = now;
            }
        }
    }

    /// Applies one command between two ticks; `true` to stop.
    fn command(&mut self, command: Command, local: SocketAddr) -> Result<bool, String> {
        let tick = self.calls.first().map_or(0, SimCall::next_tick);
        match command {
            Command::Mode(call, mode, reply) => {
                let result = self.seat_supervisor(call, mode);
                if result.is_ok() {
                    if let Some(r) = self.recorder.as_mut() {
                        r.request(tick, call + 1, &mode.to_string());
                    }
                }
                let _ = reply.send(result.map(|()| format!("call {}: {mode}", call + 1)));
            }
            Command::Leave(call, reply) => {
                let result = if self.seat == Some(call) {
                    self.seat = None;
                    if let Some(r) = self.recorder.as_mut() {
                        r.request(tick, call + 1, "leave");
                    }
                    self.calls[call]
                        .remove_supervisor()
                        .map(|_| format!("call {}: left", call + 1))
                        .map_err(|e| e.to_string())
                } else {
                    Err(format!("the supervisor is not on call {}", call + 1))
                };
                let _ = reply.send(result);
            }
            Command::Silence(call, silent, reply) => {
                self.calls[call].set_silent(silent);
                let _ = reply.send(Ok(format!(
                    "call {}: {}",
                    call + 1,
                    if silent { "silent" } else { "talking" }
                )));
            }
            Command::Offer(sdp, reply) => {
                let result = Peer::accept(&sdp, local, Instant::now()).map(|(peer, answer)| {
                    self.peer = Some(peer);
                    answer
                });
                let _ = reply.send(result);
            }
            Command::Quit(reply) => {
                // What the last tick's changes logged, before the files close.
                for call in &mut self.calls {
                    call.drain_events(self.recorder.as_mut());
                }
                let result = match self.recorder.take() {
                    Some(r) => r.finish().map(|()| "recorded".to_string()),
                    None => Ok("stopped".to_string()),
                };
                let stop = result.is_ok();
                let _ = reply.send(result);
                return Ok(stop);
            }
        }
        Ok(false)
    }

    /// Puts the supervisor on call `call` in `mode`, off any other.
    fn seat_supervisor(&mut self, call: usize, mode: Mode) -> Result<(), String> {
        if let Some(was) = self.seat.filter(|&s| s != call) {
            self.calls[was]
                .remove_supervisor()
                .map_err(|e| e.to_string())?;
            self.seat = None;
        }
        self.calls[call]
            .set_supervisor(mode)
            .map_err(|e| e.to_string())?;
        self.seat = Some(call);
        Ok(())
    }

    /// The browser went away: the supervisor leaves its call.
    fn peer_gone(&mut self) -> Result<(), String> {
        self.peer = None;
        if let Some(call) = self.seat.take() {
            self.calls[call]
                .remove_supervisor()
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    fn publish(&mut self, ticks: u64) {
        let mut json = String::with_capacity(8192);
        let _ = write!(
            json,
            "{{\"tick\":{ticks},\"seconds\":{:.2},\"ticks_skipped\":{},\"supervisor\":{{\"call\":{},\"mode\":",
            ticks as f64 * TICK.as_secs_f64(),
            self.skipped,
            self.seat.map_or("null".into(), |c| (c + 1).to_string()),
        );
        match self.seat.and_then(|c| self.calls[c].supervisor_mode()) {
            Some(m) => json_string(&mut json, &m.to_string()),
            None => json.push_str("null"),
        }
        json.push_str(",\"webrtc\":");
        match &self.peer {
            Some(p) => {
                let s = p.stats;
                let _ = write!(
                    json,
                    "\"{}\",\"packets_in\":{},\"packets_out\":{},\"underruns\":{},\"dropped\":{},\"decode_errors\":{},\"empty\":{}",
                    p.state, s.packets_in, s.packets_out, s.underruns, s.dropped, s.decode_errors, s.empty
                );
            }
            None => json.push_str("\"none\""),
        }
        json.push_str("},\"rule\":");
        json_string(&mut json, &attention::rule());
        let urgent: Vec<_> = self
            .calls
            .iter()
            .map(|c| (c.n, c.reasons().first().copied()))
            .collect();
        let order = attention::order(&urgent);
        let _ = write!(json, ",\"order\":{order:?},\"calls\":[");
        for (i, call) in self.calls.iter_mut().enumerate() {
            if i > 0 {
                json.push(',');
            }
            call.json(&mut json);
        }
        json.push_str("]}");
        self.snapshot.publish(json);
    }
}

#[cfg(test)]
mod test {
    use super::*;

    fn parse(args: &[&str]) -> Result<Option<Args>, String> {
        parse_args(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn listens_on_loopback_unless_told_otherwise() {
        let args = parse(&[]).unwrap().unwrap();
        assert_eq!(args.listen, "127.0.0.1:8000".parse().unwrap());
        assert_eq!(args.record, None);
        let args = parse(&["--listen", "0.0.0.0:9000", "--record=out"])
            .unwrap()
            .unwrap();
        assert_eq!(args.listen, "0.0.0.0:9000".parse().unwrap());
        assert_eq!(args.record, Some(PathBuf::from("out")));
    }

    #[test]
    fn bad_arguments_are_refused() {
        assert!(parse(&["--listen", "nowhere"]).is_err());
        assert!(parse(&["--listen"]).is_err());
        assert!(parse(&["--record", "a", "--record", "b"]).is_err());
        assert!(parse(&["--loud"]).is_err());
        assert_eq!(parse(&["-h"]), Ok(None));
    }
}
