//! The media loop: one thread that owns every call, the UDP socket and the
//! supervisors' WebRTC peers, and mixes every 20 ms. The web server asks it
//! things with [`Command`]s (each with a channel for the answer), which it
//! applies between two ticks; it publishes what the page shows every 200 ms
//! ([`Published`]).
//!
//! With `--pbx` it also lists the PBX's live calls (see `live.rs`): a
//! supervisor on one of those has its leg in the call's own task, and the
//! loop hands it the browser's frames and takes what it hears through
//! bounded channels, never waiting; joins, mode changes and leaves go to
//! the call as commands, answered on the async runtime.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::io::ErrorKind;
use std::net::{SocketAddr, UdpSocket};
use std::sync::mpsc::{sync_channel, Receiver, Sender, SyncSender, TryRecvError, TrySendError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use barge::{Error, Identity, Mode, PartyId, Policy};
use barge_sip::console::{ConsoleCommand, ConsoleLeg, LiveCall, LEG_FRAMES};
use barge_sip::Pbx;
use tokio::sync::{oneshot, watch};

use crate::attention::{self, Attention};
use crate::calls::{json_string, SimCall, LEVEL_TICKS, SUPERVISOR_FORMAT, SUPERVISOR_SPF};
use crate::live;
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
    /// Put the supervisor on call `call` (the page's number) in `mode`, as
    /// its identity: a join (off any other call) or a mode change.
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
    /// A live call answered the supervisor's join (sent by the loop to
    /// itself): `party` on call `number`, or `None` if it refused.
    Joined {
        /// Who.
        sup: u64,
        /// The PBX's call.
        number: u64,
        /// Its party there, if it joined.
        party: Option<PartyId>,
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
    /// The simulated call it is on (0-based).
    seat: Option<usize>,
    /// The live call it is on.
    live: Option<LiveSeat>,
    /// The live call it is joining.
    joining: Option<LiveSeat>,
}

/// A supervisor's leg on a live call: the PBX's number for the call, its
/// party there, and its frames' channels.
struct LiveSeat {
    number: u64,
    party: Option<PartyId>,
    said: SyncSender<Vec<i16>>,
    heard: Receiver<Vec<i16>>,
}

/// The PBX this console runs (`--pbx`), and what the loop needs to talk
/// to its calls.
pub struct Live {
    /// The PBX.
    pub pbx: Arc<Pbx>,
    /// The runtime the calls' answers are awaited on.
    pub runtime: tokio::runtime::Handle,
    /// The loop's own inbox (for [`Command::Joined`]).
    pub inbox: Sender<Command>,
    /// The config's policy, for what a join would check.
    pub policy: Option<Arc<Policy>>,
}

/// A call by the page's number.
enum Target {
    /// A simulated call.
    Sim,
    /// The PBX's call (boxed: its view is large).
    Live(Box<LiveCall>),
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
    /// The PBX's calls, with `--pbx`.
    live: Option<Live>,
    /// Each live call's reasons for attention, by the PBX's number,
    /// followed from the signals it publishes.
    live_attention: HashMap<u64, Attention>,
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
        live: Option<Live>,
    ) -> MediaLoop {
        MediaLoop {
            calls,
            supervisors: BTreeMap::new(),
            socket,
            recorder,
            recorded: None,
            published,
            skipped: 0,
            live,
            live_attention: HashMap::new(),
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
                if s.seat.is_some() || s.live.is_some() {
                    let mut frame = vec![0i16; SUPERVISOR_SPF];
                    if let Some(p) = s.peer.as_mut() {
                        p.take_frame(&mut frame);
                    }
                    from.insert(sup, frame);
                }
            }
            // The live calls' supervisors: their frame to their call, what
            // they heard from it (silence when none has come).
            let mut ended = Vec::new();
            for (&sup, s) in &mut self.supervisors {
                let Some(seat) = s.live.as_mut() else {
                    continue;
                };
                if let Some(frame) = from.get(&sup) {
                    if let Err(TrySendError::Disconnected(_)) = seat.said.try_send(frame.clone()) {
                        ended.push(sup);
                    }
                }
                match seat.heard.try_recv() {
                    Ok(frame) if frame.len() == SUPERVISOR_SPF => {
                        to.insert(sup, frame);
                    }
                    Ok(_) | Err(TryRecvError::Empty) => {
                        to.insert(sup, silence.clone());
                    }
                    Err(TryRecvError::Disconnected) => ended.push(sup),
                }
            }
            for sup in ended {
                // The call ended: the supervisor is on no call.
                if let Some(s) = self.supervisors.get_mut(&sup) {
                    s.live = None;
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
        // A live call's commands are answered on the runtime.
        let command = match self.live_command(command) {
            Some(command) => command,
            None => return Ok(false),
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
                        live: None,
                        joining: None,
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
                let call = call.wrapping_sub(1);
                let result = known(&self.calls, call).and_then(|()| self.seat(sup, call, mode));
                if result.is_ok() {
                    if let Some(r) = self.recorder.as_mut() {
                        r.request(tick, call + 1, &mode.to_string());
                    }
                }
                let _ = reply.send(result.map(|()| format!("call {}: {mode}", call + 1)));
            }
            Command::Leave { sup, call, reply } => {
                let call = call.wrapping_sub(1);
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
                let call = call.wrapping_sub(1);
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
            Command::Joined { sup, number, party } => {
                let Some(s) = self.supervisors.get_mut(&sup) else {
                    return Ok(false);
                };
                let Some(mut seat) = s.joining.take().filter(|j| j.number == number) else {
                    return Ok(false);
                };
                if party.is_some() {
                    // On the new call: off the one it was on.
                    seat.party = party;
                    let old = s.live.replace(seat);
                    let sim = s.seat.take();
                    if let Some(old) = old {
                        self.leave_live(old);
                    }
                    if let Some(call) = sim {
                        self.calls[call]
                            .remove_supervisor(sup)
                            .map_err(|e| e.to_string())?;
                    }
                }
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
        s.joining = None;
        let live = s.live.take();
        if let Some(call) = s.seat.take() {
            self.calls[call]
                .remove_supervisor(sup)
                .map_err(|e| e.to_string())?;
        }
        if let Some(seat) = live {
            self.leave_live(seat);
        }
        Ok(())
    }

    /// The call the page numbers `n`.
    fn target(&self, n: usize) -> Result<Target, Failure> {
        if let Some(number) = live::pbx_number(n) {
            if let Some(call) = self.live.as_ref().and_then(|l| l.pbx.live_call(number)) {
                return Ok(Target::Live(Box::new(call)));
            }
        } else if (1..=self.calls.len()).contains(&n) {
            return Ok(Target::Sim);
        }
        Err(Failure::NotFound(format!("no call {n}")))
    }

    /// Takes a live call's leg off it (the call goes on). Its answer is
    /// not awaited: the leg's channels close with it, which the call takes
    /// as the leg's end if the command does not come through.
    fn leave_live(&self, seat: LiveSeat) {
        let (Some(live), Some(party)) = (self.live.as_ref(), seat.party) else {
            return;
        };
        if let Some(call) = live.pbx.live_call(seat.number) {
            let (reply, _) = oneshot::channel();
            let _ = call
                .commands
                .try_send(ConsoleCommand::Leave { party, reply });
        }
    }

    /// Applies a command on a live call (a join, a mode change, a leave);
    /// hands back any other command.
    fn live_command(&mut self, command: Command) -> Option<Command> {
        let (sup, n) = match &command {
            Command::Mode { sup, call, .. } | Command::Leave { sup, call, .. } => (*sup, *call),
            Command::Silence { call, .. } if live::pbx_number(*call).is_some() => {
                if let Command::Silence { reply, .. } = command {
                    let _ = reply.send(Err(Failure::Conflict(
                        "a live call's parties are people: they talk as they will".into(),
                    )));
                }
                return None;
            }
            _ => return Some(command),
        };
        let call = match self.target(n) {
            Ok(Target::Live(call)) => call,
            Ok(Target::Sim) => return Some(command),
            Err(e) => {
                match command {
                    Command::Mode { reply, .. } | Command::Leave { reply, .. } => {
                        let _ = reply.send(Err(e));
                    }
                    _ => {}
                }
                return None;
            }
        };
        let number = call.view.number;
        let Some(live) = self.live.as_ref() else {
            return Some(command);
        };
        let runtime = live.runtime.clone();
        let inbox = live.inbox.clone();
        let Some(s) = self.supervisors.get_mut(&sup) else {
            if let Command::Mode { reply, .. } | Command::Leave { reply, .. } = command {
                let _ = reply.send(Err(Failure::Conflict("not signed in".into())));
            }
            return None;
        };
        let here = s
            .live
            .as_ref()
            .filter(|seat| seat.number == number)
            .and_then(|seat| seat.party);
        match command {
            Command::Mode { mode, reply, .. } => {
                if let Some(party) = here {
                    let (tx, rx) = oneshot::channel();
                    if call
                        .commands
                        .try_send(ConsoleCommand::SetMode {
                            party,
                            mode,
                            reply: tx,
                        })
                        .is_err()
                    {
                        let _ = reply.send(Err(Failure::Conflict("the call is busy".into())));
                        return None;
                    }
                    runtime.spawn(async move {
                        let answer = match rx.await {
                            Ok(Ok(())) => Ok(format!("call {n}: {mode}")),
                            Ok(Err(e)) => Err(failure(e)),
                            Err(_) => Err(Failure::NotFound(format!("call {n} has ended"))),
                        };
                        let _ = reply.send(answer);
                    });
                    return None;
                }
                if s.joining.is_some() {
                    let _ = reply.send(Err(Failure::Conflict("still joining a call".into())));
                    return None;
                }
                let (said_tx, said_rx) = sync_channel(LEG_FRAMES);
                let (heard_tx, heard_rx) = sync_channel(LEG_FRAMES);
                let (tx, rx) = oneshot::channel();
                let join = ConsoleCommand::Join {
                    identity: Box::new(s.identity),
                    name: s.user.clone(),
                    mode,
                    leg: ConsoleLeg {
                        said: said_rx,
                        heard: heard_tx,
                        format: SUPERVISOR_FORMAT,
                    },
                    reply: tx,
                };
                if call.commands.try_send(join).is_err() {
                    let _ = reply.send(Err(Failure::Conflict("the call is busy".into())));
                    return None;
                }
                s.joining = Some(LiveSeat {
                    number,
                    party: None,
                    said: said_tx,
                    heard: heard_rx,
                });
                runtime.spawn(async move {
                    let joined = rx.await;
                    let party = match &joined {
                        Ok(Ok(party)) => Some(*party),
                        _ => None,
                    };
                    // The loop takes its seat before the page hears of it.
                    let _ = inbox.send(Command::Joined { sup, number, party });
                    let answer = match joined {
                        Ok(Ok(_)) => Ok(format!("call {n}: {mode}")),
                        Ok(Err(e)) => Err(failure(e)),
                        Err(_) => Err(Failure::NotFound(format!("call {n} has ended"))),
                    };
                    let _ = reply.send(answer);
                });
            }
            Command::Leave { reply, .. } => match here {
                Some(_) => {
                    if let Some(seat) = s.live.take() {
                        self.leave_live(seat);
                    }
                    let _ = reply.send(Ok(format!("call {n}: left")));
                }
                None => {
                    let _ = reply.send(Err(Failure::Conflict(format!("you are not on call {n}"))));
                }
            },
            _ => {}
        }
        None
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
        let live_calls = self
            .live
            .as_ref()
            .map_or_else(Vec::new, |l| l.pbx.live_calls());
        self.live_attention
            .retain(|number, _| live_calls.iter().any(|c| c.view.number == *number));
        let live_reasons: Vec<_> = live_calls
            .iter()
            .map(|c| {
                let a = self.live_attention.entry(c.view.number).or_default();
                a.follow(&c.view.signals);
                a.reasons(&c.view.signals)
            })
            .collect();
        let urgent: Vec<_> = self
            .calls
            .iter()
            .map(|c| (c.n, c.reasons().first().copied()))
            .chain(
                live_calls
                    .iter()
                    .zip(&live_reasons)
                    .map(|(c, r)| (live::page_number(c.view.number), r.first().copied())),
            )
            .collect();
        let order = attention::order(&urgent);
        let _ = write!(json, ",\"order\":{order:?},\"calls\":[");
        for (i, call) in self.calls.iter_mut().enumerate() {
            if i > 0 {
                json.push(',');
            }
            call.json(&mut json);
        }
        for (i, (call, reasons)) in live_calls.iter().zip(&live_reasons).enumerate() {
            if i > 0 || !self.calls.is_empty() {
                json.push(',');
            }
            live::json(&call.view, reasons, &mut json);
        }
        json.push(']');
        let policy = self.live.as_ref().and_then(|l| l.policy.as_ref());
        let mut mine = HashMap::new();
        for (&sup, s) in &self.supervisors {
            let mut m = String::with_capacity(1024);
            m.push_str("\"supervisor\":{\"user\":");
            json_string(&mut m, &s.user);
            // On a live call: its number and its mode there, as the call's
            // last view says.
            let on_live = s.live.as_ref().map(|seat| {
                let mode = live_calls
                    .iter()
                    .find(|c| c.view.number == seat.number)
                    .and_then(|c| c.view.parties.iter().find(|p| Some(p.id) == seat.party))
                    .and_then(|p| p.mode);
                (live::page_number(seat.number), mode)
            });
            let (call, mode) = match on_live {
                Some((n, mode)) => (Some(n), mode),
                None => (
                    s.seat.map(|c| c + 1),
                    s.seat.and_then(|c| self.calls[c].supervisor_mode(sup)),
                ),
            };
            let _ = write!(
                m,
                ",\"call\":{},\"mode\":",
                call.map_or("null".into(), |c| c.to_string())
            );
            match mode {
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
            for (i, call) in live_calls.iter().enumerate() {
                let n = live::page_number(call.view.number);
                let comma = if i > 0 || !self.calls.is_empty() {
                    ","
                } else {
                    ""
                };
                let _ = write!(m, "{comma}\"{n}\":{{");
                let party = s
                    .live
                    .as_ref()
                    .filter(|seat| seat.number == call.view.number)
                    .and_then(|seat| seat.party);
                for (j, mode) in BUTTONS.into_iter().enumerate() {
                    let _ = write!(m, "{}\"{mode}\":", if j > 0 { "," } else { "" });
                    match live::may(&call.view, party, &s.identity, policy, mode) {
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
