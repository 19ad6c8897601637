//! The media loop: one thread that owns every call, the UDP socket and the
//! supervisors' WebRTC peers, and mixes every 20 ms. The web server asks it
//! things with [`Command`]s (each with a channel for the answer), which it
//! applies between two ticks; it publishes what the page shows every 200 ms
//! ([`Published`]).

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::io::ErrorKind;
use std::net::{SocketAddr, UdpSocket};
use std::sync::mpsc::Receiver;
use std::sync::Arc;
use std::time::{Duration, Instant};

use barge::{Error, Identity, Mode};
use tokio::sync::{oneshot, watch};

use crate::attention;
use crate::calls::{json_string, SimCall, LEVEL_TICKS, SUPERVISOR_SPF};
use crate::peer::Peer;
use crate::record::Recorder;
use crate::TICK;

/// Why the media loop did not do what it was asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// barge's policy or consent gate refused it (it is on the call's audit
    /// trail, and changed nothing).
    Refused(String),
    /// No such call.
    NotFound(String),
    /// It does not fit what is (not on that call, a bad offer…).
    Conflict(String),
}

/// An answer of the media loop.
pub type Answer = oneshot::Sender<Result<String, Failure>>;

/// What the web server asks of the media loop. `sup` is a sign-in's
/// supervisor ([`crate::auth::SignIn::sup`]).
pub enum Command {
    /// A supervisor signed in: it is listed, and the page shows what it may do.
    Hello {
        /// Its number.
        sup: u64,
        /// Its user (the config's supervisor).
        user: String,
        /// Its barge identity: key and groups.
        identity: Identity,
    },
    /// A sign-in ended: its supervisor leaves its call and hangs up.
    Bye {
        /// Its number.
        sup: u64,
    },
    /// Put the supervisor on call `call` (0-based) in `mode`, as its
    /// identity: a join (off any other call) or a mode change.
    Mode {
        /// Who.
        sup: u64,
        /// Which call.
        call: usize,
        /// In which mode.
        mode: Mode,
        /// The answer.
        reply: Answer,
    },
    /// Take the supervisor off call `call`.
    Leave {
        /// Who.
        sup: u64,
        /// Which call.
        call: usize,
        /// The answer.
        reply: Answer,
    },
    /// Make call `call`'s parties go silent (`true`) or talk again.
    Silence {
        /// Which call.
        call: usize,
        /// Silent or not.
        silent: bool,
        /// The answer.
        reply: Answer,
    },
    /// The supervisor hangs up: it leaves its call (which goes on) and its
    /// browser's connection ends; it stays signed in.
    HangUp {
        /// Who.
        sup: u64,
        /// The answer.
        reply: Answer,
    },
    /// A supervisor's browser's SDP offer; the answer is the SDP answer.
    Offer {
        /// Whose.
        sup: u64,
        /// The offer.
        sdp: String,
        /// The answer.
        reply: Answer,
    },
    /// Complete the recording (`--record`) and stop.
    Quit {
        /// The answer.
        reply: Answer,
    },
}

/// What the loop last published: the calls (the same for everyone) and,
/// for each signed-in supervisor, where it is and what it may do.
#[derive(Debug, Default)]
pub struct Published {
    /// A JSON object without its closing brace: tick, calls, order, rule.
    pub common: String,
    /// For each supervisor, JSON members to add: `"supervisor":{…}` (its
    /// call, mode and WebRTC leg) and `"actions":{…}` (for each call, each
    /// mode: allowed, or the reason why not).
    pub mine: HashMap<u64, String>,
}

/// A signed-in supervisor, as the loop knows it.
struct Supervisor {
    user: String,
    identity: Identity,
    /// Its browser, once it has connected.
    peer: Option<Peer>,
    /// The call it is on (0-based).
    seat: Option<usize>,
}

/// The media loop's state: everything that runs on the 20 ms clock.
pub struct MediaLoop {
    calls: Vec<SimCall>,
    supervisors: BTreeMap<u64, Supervisor>,
    socket: UdpSocket,
    recorder: Option<Recorder>,
    /// The supervisor whose leg `--record` writes: the first to connect.
    recorded: Option<u64>,
    published: watch::Sender<Arc<Published>>,
    /// Ticks not mixed because the loop fell far behind.
    skipped: u64,
}

/// The buttons the page shows, in order.
const BUTTONS: [Mode; 3] = [Mode::Monitor, Mode::Whisper, Mode::Barge];

fn failure(e: Error) -> Failure {
    match e {
        Error::Refused { refusal } => Failure::Refused(refusal.to_string()),
        other => Failure::Conflict(other.to_string()),
    }
}

impl MediaLoop {
    /// A loop over `calls`, with WebRTC on `socket`, recording to `recorder`,
    /// publishing to `published`.
    pub fn new(
        calls: Vec<SimCall>,
        socket: UdpSocket,
        recorder: Option<Recorder>,
        published: watch::Sender<Arc<Published>>,
    ) -> MediaLoop {
        MediaLoop {
            calls,
            supervisors: BTreeMap::new(),
            socket,
            recorder,
            recorded: None,
            published,
            skipped: 0,
        }
    }

    /// Runs until [`Command::Quit`] (or every sender is gone).
    pub fn run(mut self, inbox: Receiver<Command>) -> Result<(), String> {
        let local = self.socket.local_addr().map_err(|e| e.to_string())?;
        let loopback_only = local.ip().is_loopback();
        let mut datagram = vec![0u8; 2048];
        let mut from: HashMap<u64, Vec<i16>> = HashMap::new();
        let mut to: HashMap<u64, Vec<i16>> = HashMap::new();
        let silence = vec![0i16; SUPERVISOR_SPF];
        let mut next_tick = Instant::now();
        let mut ticks = 0u64;
        loop {
            // Until the tick is due: commands, datagrams, str0m's timers.
            loop {
                loop {
                    match inbox.try_recv() {
                        Ok(command) => {
                            if self.command(command, local)? {
                                return Ok(());
                            }
                        }
                        Err(std::sync::mpsc::TryRecvError::Empty) => break,
                        Err(std::sync::mpsc::TryRecvError::Disconnected) => return Ok(()),
                    }
                }
                let now = Instant::now();
                let mut wake = next_tick;
                let mut gone = Vec::new();
                for (&sup, s) in &mut self.supervisors {
                    if let Some(p) = s.peer.as_mut() {
                        wake = wake.min(p.poll(now, &self.socket));
                        if p.is_closed() {
                            gone.push(sup);
                        }
                    }
                }
                for sup in gone {
                    self.hang_up(sup)?;
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
                        let now = Instant::now();
                        for s in self.supervisors.values_mut() {
                            if let Some(p) = s.peer.as_mut() {
                                if p.receive(now, source, local, &datagram[..n]) {
                                    break;
                                }
                            }
                        }
                    }
                    Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                    // A port unreachable from a peer that went away.
                    Err(e) if e.kind() == ErrorKind::ConnectionRefused => {}
                    Err(e) => return Err(format!("the media socket failed: {e}")),
                }
            }

            // The tick: every supervisor's frame, then every call mixes one.
            from.clear();
            to.clear();
            for (&sup, s) in &mut self.supervisors {
                if s.seat.is_some() {
                    let mut frame = vec![0i16; SUPERVISOR_SPF];
                    if let Some(p) = s.peer.as_mut() {
                        p.take_frame(&mut frame);
                    }
                    from.insert(sup, frame);
                }
            }
            for call in &mut self.calls {
                call.tick(&from, &mut to, self.recorder.as_mut())
                    .map_err(|e| format!("call {}: {e}", call.n))?;
                call.drain_events(self.recorder.as_mut());
            }
            if let Some(r) = self.recorder.as_mut() {
                match self
                    .recorded
                    .and_then(|sup| Some((from.get(&sup)?, to.get(&sup)?)))
                {
                    Some((said, heard)) => r.supervisor_frame(said, heard),
                    None => r.supervisor_frame(&silence, &silence),
                }
            }
            let now = Instant::now();
            for (sup, heard) in &to {
                if let Some(p) = self.supervisors.get_mut(sup).and_then(|s| s.peer.as_mut()) {
                    p.send_frame(heard, now);
                }
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
        let known = |calls: &[SimCall], call: usize| {
            if call < calls.len() {
                Ok(())
            } else {
                Err(Failure::NotFound(format!("no call {}", call + 1)))
            }
        };
        match command {
            Command::Hello {
                sup,
                user,
                identity,
            } => {
                self.supervisors.insert(
                    sup,
                    Supervisor {
                        user,
                        identity,
                        peer: None,
                        seat: None,
                    },
                );
            }
            Command::Bye { sup } => {
                self.hang_up(sup)?;
                self.supervisors.remove(&sup);
            }
            Command::Mode {
                sup,
                call,
                mode,
                reply,
            } => {
                let result = known(&self.calls, call).and_then(|()| self.seat(sup, call, mode));
                if result.is_ok() {
                    if let Some(r) = self.recorder.as_mut() {
                        r.request(tick, call + 1, &mode.to_string());
                    }
                }
                let _ = reply.send(result.map(|()| format!("call {}: {mode}", call + 1)));
            }
            Command::Leave { sup, call, reply } => {
                let result = known(&self.calls, call).and_then(|()| {
                    let s = self
                        .supervisors
                        .get_mut(&sup)
                        .filter(|s| s.seat == Some(call))
                        .ok_or_else(|| {
                            Failure::Conflict(format!("you are not on call {}", call + 1))
                        })?;
                    s.seat = None;
                    if let Some(r) = self.recorder.as_mut() {
                        r.request(tick, call + 1, "leave");
                    }
                    self.calls[call]
                        .remove_supervisor(sup)
                        .map(|_| format!("call {}: left", call + 1))
                        .map_err(failure)
                });
                let _ = reply.send(result);
            }
            Command::Silence {
                call,
                silent,
                reply,
            } => {
                let result = known(&self.calls, call).map(|()| {
                    self.calls[call].set_silent(silent);
                    format!(
                        "call {}: {}",
                        call + 1,
                        if silent { "silent" } else { "talking" }
                    )
                });
                let _ = reply.send(result);
            }
            Command::HangUp { sup, reply } => {
                if let Some(call) = self.supervisors.get(&sup).and_then(|s| s.seat) {
                    if let Some(r) = self.recorder.as_mut() {
                        r.request(tick, call + 1, "hang-up");
                    }
                }
                self.hang_up(sup)?;
                let _ = reply.send(Ok("hung up".into()));
            }
            Command::Offer { sup, sdp, reply } => {
                let result = match self.supervisors.get_mut(&sup) {
                    None => Err(Failure::Conflict("not signed in".into())),
                    Some(s) => Peer::accept(&sdp, local, Instant::now())
                        .map(|(peer, answer)| {
                            if let Some(mut old) = s.peer.replace(peer) {
                                old.close();
                            }
                            answer
                        })
                        .map_err(Failure::Conflict),
                };
                if result.is_ok() && self.recorded.is_none() {
                    self.recorded = Some(sup);
                }
                let _ = reply.send(result);
            }
            Command::Quit { reply } => {
                // What the last tick's changes logged, before the files close.
                for call in &mut self.calls {
                    call.drain_events(self.recorder.as_mut());
                }
                let result = match self.recorder.take() {
                    Some(r) => r.finish().map(|()| "recorded".to_string()),
                    None => Ok("stopped".to_string()),
                };
                let stop = result.is_ok();
                let _ = reply.send(result.map_err(Failure::Conflict));
                return Ok(stop);
            }
        }
        Ok(false)
    }

    /// Puts supervisor `sup` on call `call` in `mode`, off any other. A
    /// refused join leaves it where it was.
    fn seat(&mut self, sup: u64, call: usize, mode: Mode) -> Result<(), Failure> {
        let s = self
            .supervisors
            .get(&sup)
            .ok_or_else(|| Failure::Conflict("not signed in".into()))?;
        let (user, identity, was) = (s.user.clone(), s.identity, s.seat);
        self.calls[call]
            .set_supervisor(sup, &user, identity, mode)
            .map_err(failure)?;
        if let Some(was) = was.filter(|&w| w != call) {
            self.calls[was].remove_supervisor(sup).map_err(failure)?;
        }
        if let Some(s) = self.supervisors.get_mut(&sup) {
            s.seat = Some(call);
        }
        Ok(())
    }

    /// Supervisor `sup`'s browser went away or hung up: it leaves its call,
    /// which goes on.
    fn hang_up(&mut self, sup: u64) -> Result<(), String> {
        let Some(s) = self.supervisors.get_mut(&sup) else {
            return Ok(());
        };
        if let Some(mut p) = s.peer.take() {
            p.close();
        }
        if let Some(call) = s.seat.take() {
            self.calls[call]
                .remove_supervisor(sup)
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    fn publish(&mut self, ticks: u64) {
        let mut json = String::with_capacity(8192);
        let _ = write!(
            json,
            "{{\"tick\":{ticks},\"seconds\":{:.2},\"ticks_skipped\":{},\"rule\":",
            ticks as f64 * TICK.as_secs_f64(),
            self.skipped,
        );
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
        json.push(']');
        let mut mine = HashMap::new();
        for (&sup, s) in &self.supervisors {
            let mut m = String::with_capacity(1024);
            m.push_str("\"supervisor\":{\"user\":");
            json_string(&mut m, &s.user);
            let _ = write!(
                m,
                ",\"call\":{},\"mode\":",
                s.seat.map_or("null".into(), |c| (c + 1).to_string())
            );
            match s.seat.and_then(|c| self.calls[c].supervisor_mode(sup)) {
                Some(mode) => json_string(&mut m, &mode.to_string()),
                None => m.push_str("null"),
            }
            m.push_str(",\"webrtc\":");
            match &s.peer {
                Some(p) => {
                    let st = p.stats;
                    let _ = write!(
                        m,
                        "\"{}\",\"packets_in\":{},\"packets_out\":{},\"underruns\":{},\"dropped\":{},\"decode_errors\":{},\"empty\":{}",
                        p.state, st.packets_in, st.packets_out, st.underruns, st.dropped, st.decode_errors, st.empty
                    );
                }
                None => m.push_str("\"none\""),
            }
            m.push_str("},\"actions\":{");
            for (i, call) in self.calls.iter().enumerate() {
                let _ = write!(m, "{}\"{}\":{{", if i > 0 { "," } else { "" }, call.n);
                for (j, mode) in BUTTONS.into_iter().enumerate() {
                    let _ = write!(m, "{}\"{mode}\":", if j > 0 { "," } else { "" });
                    match call.may(sup, &s.identity, mode) {
                        Ok(()) => m.push_str("null"),
                        Err(refusal) => json_string(&mut m, &refusal.to_string()),
                    }
                }
                m.push('}');
            }
            m.push('}');
            mine.insert(sup, m);
        }
        self.published
            .send_replace(Arc::new(Published { common: json, mine }));
    }
}
