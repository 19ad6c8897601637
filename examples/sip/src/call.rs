//! One bridged call: a barge session, its RTP legs, its SIP dialogs, and
//! the audit timeline printed when it ends.
//!
//! Each call runs as one task. It owns everything of the call: no lock is
//! taken on the media path. The task ticks every 20 ms on a steady timer
//! (missed ticks run back to back), takes commands from the signalling
//! (a supervisor who dialled the feature code) and the state of its
//! dialogs (BYE, INFO, re-INVITE), and ends when the customer hangs up, or
//! when nobody is left to talk to the customer. A console in the same
//! process puts supervisors on it on legs of their own (see `console`),
//! whose frames it takes and hands over through bounded channels without
//! waiting, and it publishes what the console shows of it five times a
//! second.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::mpsc::{TryRecvError, TrySendError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use barge::dtmf::Digit;
use barge::keypad::DtmfMap;
use barge::tone::Cadence;
use barge::{
    Audience, BeforeDisclosure, Error, Event, Format, Identity, Join, Label, Mode, PartyId, Role,
    Session, SignalConfig, ToneSpec,
};
use rsipstack::dialog::dialog::{DialogState, DialogStateReceiver, TransactionHandle};
use rsipstack::dialog::invitation::InviteOption;
use rsipstack::dialog::invite_dialog::InviteDialog;
use rsipstack::sip::{Header, StatusCode};
use tokio::sync::mpsc;

use crate::config::Extension;
use crate::console::{CallView, ConsoleCommand, ConsoleLeg, PartyView};
use crate::dtmf_relay;
use crate::media::{LegSetup, RtpLeg, PAYLOAD};
use crate::pbx::Pbx;
use crate::sdp::{self, Codec};

/// The disclosure prompt, as a tone standing in for the recorded "this
/// call may be monitored": 440 Hz for 3 s, to the customer only.
pub const DISCLOSURE: ToneSpec = ToneSpec::single(440.0, -16.0, Cadence::once(3000));

/// How long the agent's phone may ring.
const RING_TIMEOUT: Duration = Duration::from_secs(30);

/// Commands a call takes from the signalling, at most this many waiting.
pub const COMMANDS: usize = 16;

/// The most lines a call's timeline keeps (the oldest go first).
const TIMELINE: usize = 2000;

/// Every this many ticks (200 ms) the call publishes its view for a
/// console.
pub const VIEW_TICKS: u64 = 10;

/// The timeline lines a call's view carries.
const VIEW_LINES: usize = 40;

/// The most console legs on a call.
pub const MAX_CONSOLE_LEGS: usize = 8;

/// A level meter: the mean square of the frames since it was last read
/// (the PBX's call view and the console's).
#[derive(Debug, Default, Clone, Copy)]
pub struct Meter {
    sum: f64,
    frames: u32,
    last_db: f64,
}

impl Meter {
    /// Adds a frame.
    pub fn add(&mut self, frame: &[i16]) {
        let sum: f64 = frame.iter().map(|&s| f64::from(s).powi(2)).sum();
        self.sum += sum / frame.len().max(1) as f64 / 32768.0f64.powi(2);
        self.frames += 1;
    }

    /// The level in dBFS since the last call (−90 for silence).
    pub fn take_db(&mut self) -> f64 {
        if self.frames > 0 {
            let ms = self.sum / f64::from(self.frames);
            self.last_db = if ms > 1e-9 { 10.0 * ms.log10() } else { -90.0 };
            self.sum = 0.0;
            self.frames = 0;
        }
        self.last_db.max(-90.0)
    }
}

/// What a party said and heard since the last view.
#[derive(Debug, Default, Clone, Copy)]
struct Levels {
    said: Meter,
    heard: Meter,
}

/// A supervisor on a console's leg.
struct Hosted {
    id: PartyId,
    name: String,
    leg: ConsoleLeg,
    frame: Vec<i16>,
    levels: Levels,
}

/// The keys a supervisor presses: Asterisk ChanSpy's 4 5 6 and FreeSWITCH
/// eavesdrop's 0 1 2 3 (they do not overlap).
pub const KEYS: DtmfMap = DtmfMap::CHANSPY
    .with(Digit::Zero, Mode::Monitor)
    .with(Digit::One, Mode::CustomerOnly)
    .with(Digit::Two, Mode::Whisper)
    .with(Digit::Three, Mode::Barge);

/// What the signalling hands a call.
pub enum Command {
    /// A supervisor dialled the feature code for this call's extension:
    /// join it in monitor and answer, or refuse with 403.
    Supervise {
        /// Its SIP user.
        user: String,
        /// Its identity, for the policy.
        identity: Identity,
        /// Its leg.
        setup: LegSetup,
        /// Its dialog, not answered yet.
        dialog: InviteDialog,
    },
}

/// Whom a party of the call is.
#[derive(Debug, Clone)]
enum Who {
    Customer(Identity),
    Agent(Identity),
    Supervisor(Identity),
    Announcement(Audience),
}

/// Joins `who` to `session`, on a leg in `leg` (the call's format where
/// `None`): checked whole, so that a join that fails leaves nothing behind.
fn join(session: &mut Session<i16>, who: &Who, leg: Option<Format>) -> Result<PartyId, Error> {
    let join = match who {
        Who::Customer(id) => Join::customer().identity(*id),
        Who::Agent(id) => Join::agent().identity(*id),
        Who::Supervisor(id) => Join::supervisor(Mode::Monitor).identity(*id),
        Who::Announcement(audience) => Join::announcement(*audience),
    };
    session.join(match leg {
        Some(leg) => join.leg(leg),
        None => join,
    })
}

/// A party with a phone: its leg and its dialog.
struct Party {
    id: PartyId,
    name: String,
    role: Role,
    leg: RtpLeg,
    dialog: InviteDialog,
    /// Our SDP for it (answered again to a re-INVITE).
    sdp: Vec<u8>,
    /// Its frame this tick, at its leg's rate.
    frame: Vec<i16>,
    /// When its RFC 4733 key presses came, oldest first, until they play
    /// out (at most `KEYS_PENDING`).
    key_arrivals: VecDeque<Instant>,
    /// What it said and heard, for the console.
    levels: Levels,
}

/// Parties that left whose names the timeline keeps (the oldest go
/// first; after that an id names them).
const GONE: usize = 64;

/// Key presses whose arrival is remembered, per supervisor.
const KEYS_PENDING: usize = 16;

/// A key and when it came, for the switch delay.
struct Key {
    party: PartyId,
    digit: Digit,
    how: &'static str,
    came: Instant,
}

/// The call once the agent answered.
struct Call {
    pbx: Arc<Pbx>,
    number: u64,
    ext: String,
    session: Session<i16>,
    parties: Vec<Party>,
    /// Parties that left, by id, and their names (for the timeline).
    gone: Vec<(PartyId, String)>,
    disclosure: Option<PartyId>,
    timeline: VecDeque<String>,
    /// Keys taken whose mode change has not shown yet.
    keys: VecDeque<Key>,
    start: Instant,
    ended: Option<&'static str>,
    /// Who called, and the extension's agent (for the console's view).
    caller: String,
    agent: Identity,
    /// Supervisors on a console's legs.
    hosted: Vec<Hosted>,
    /// Where a console's commands come in.
    console_tx: mpsc::Sender<ConsoleCommand>,
}

/// A key for barge's audit trail from a SIP user or number: the text if
/// it is a valid label, else `fallback`.
pub fn label_or(text: &str, fallback: &'static str) -> Label {
    Label::new(text).unwrap_or(Label::from_static(fallback))
}

/// Runs a call from the customer's INVITE (answered with 180 already) to
/// its end: rings the agent, bridges, mixes, and prints the timeline.
#[allow(clippy::too_many_arguments)]
pub async fn run(
    pbx: Arc<Pbx>,
    number: u64,
    ext_number: String,
    ext: Extension,
    caller: String,
    customer: InviteDialog,
    customer_setup: LegSetup,
    mut states: DialogStateReceiver,
    states_tx: rsipstack::dialog::dialog::DialogStateSender,
    commands: mpsc::Receiver<Command>,
    commands_tx: mpsc::Sender<Command>,
) {
    let say = |line: String| {
        let _ = writeln!(
            std::io::stdout(),
            "call {number} (ext {ext_number}): {line}"
        );
    };
    // Ring the agent's phone with every codec we speak.
    let agent_socket = match LegSetup::bind(pbx.ip) {
        Ok(s) => s,
        Err(e) => {
            say(format!("cannot open an RTP socket: {e}"));
            reject(&pbx, &customer, StatusCode::ServiceUnavailable);
            pbx.release(&ext_number);
            return;
        }
    };
    let agent_rtp = agent_socket.local_addr().ok();
    let offer_codecs: Vec<(Codec, u8)> =
        Codec::ALL.iter().map(|&c| (c, c.payload_type())).collect();
    let offer = agent_rtp
        .map(|a| sdp::write(a, number, &offer_codecs, Some(101)))
        .unwrap_or_default();
    let caller_uri = format!("sip:{caller}@{}", pbx.sip_addr);
    let option = InviteOption {
        caller: caller_uri
            .as_str()
            .try_into()
            .unwrap_or_else(|_| pbx.contact.clone()),
        callee: match ext.contact.as_str().try_into() {
            Ok(uri) => uri,
            Err(_) => {
                reject(&pbx, &customer, StatusCode::TemporarilyUnavailable);
                pbx.release(&ext_number);
                return;
            }
        },
        content_type: Some("application/sdp".into()),
        offer: Some(offer),
        contact: pbx.contact.clone(),
        ..Default::default()
    };
    say(format!(
        "{caller} calls {ext_number}: ringing agent {} at {}",
        ext.agent.key(),
        ext.contact
    ));
    let customer_id = customer.id();
    let invite = pbx.dialogs.do_invite(option, states_tx.clone());
    tokio::pin!(invite);
    let deadline = tokio::time::sleep(RING_TIMEOUT);
    tokio::pin!(deadline);
    let answered = loop {
        tokio::select! {
            r = &mut invite => break r,
            _ = &mut deadline => {
                say("the agent's phone did not answer".into());
                reject(&pbx, &customer, StatusCode::TemporarilyUnavailable);
                pbx.release(&ext_number);
                return;
            }
            s = states.recv() => match s {
                Some(DialogState::Terminated(id, reason)) if id.call_id == customer_id.call_id => {
                    say(format!("the customer hung up while ringing ({reason:?})"));
                    pbx.release(&ext_number);
                    return;
                }
                Some(_) => {}
                None => {
                    pbx.release(&ext_number);
                    return;
                }
            }
        }
    };
    let (agent_dialog, answer) = match answered {
        Ok((d, Some(resp)))
            if resp.status_code.kind() == rsipstack::sip::StatusCodeKind::Successful =>
        {
            (d, resp)
        }
        Ok((_, resp)) => {
            let code = resp.map(|r| r.status_code);
            say(format!("the agent's phone refused: {code:?}"));
            reject(&pbx, &customer, StatusCode::TemporarilyUnavailable);
            pbx.release(&ext_number);
            return;
        }
        Err(e) => {
            say(format!("the agent's phone cannot be called: {e}"));
            reject(&pbx, &customer, StatusCode::TemporarilyUnavailable);
            pbx.release(&ext_number);
            return;
        }
    };
    let agent_audio = match sdp::parse(answer.body()) {
        Ok(a) => a,
        Err(e) => {
            say(format!("the agent's answer: {e}"));
            let _ = agent_dialog.hangup().await;
            let code = match e {
                sdp::SdpError::NoCodec => StatusCode::NotAcceptableHere,
                sdp::SdpError::Malformed(_) => StatusCode::TemporarilyUnavailable,
            };
            reject(&pbx, &customer, code);
            pbx.release(&ext_number);
            return;
        }
    };
    let agent_setup = LegSetup {
        socket: agent_socket,
        remote: agent_audio.addr,
        codec: agent_audio.codecs[0],
        telephone_event: agent_audio.telephone_event,
    };

    // Bridge: the call mixes at 16 kHz if either phone is wideband.
    let wide = agent_setup.codec.0 == Codec::G722 || customer_setup.codec.0 == Codec::G722;
    let rate = if wide { 16000 } else { 8000 };
    let format = match Format::new(rate, 20) {
        Ok(f) => f,
        Err(_) => return,
    };
    let (console_tx, console) = mpsc::channel(COMMANDS);
    let mut call = Call {
        pbx: pbx.clone(),
        number,
        ext: ext_number.clone(),
        session: Session::new(format),
        parties: Vec::new(),
        gone: Vec::new(),
        disclosure: None,
        timeline: VecDeque::new(),
        keys: VecDeque::new(),
        start: Instant::now(),
        ended: None,
        caller: caller.clone(),
        agent: ext.agent,
        hosted: Vec::new(),
        console_tx,
    };
    call.session.set_dtmf_map(KEYS);
    // The call signals, for a console (barge's defaults, no alerts).
    let _ = call.session.enable_signals(SignalConfig::new());
    if let Some(policy) = &pbx.config.policy {
        let _ = call.session.set_policy(Some(policy.clone()));
    }
    let customer_sdp = sdp::write(
        customer_setup.socket.local_addr().unwrap_or(pbx.sip_addr),
        number,
        &[customer_setup.codec],
        customer_setup.telephone_event,
    );
    let customer_identity = Identity::new(label_or(&caller, "customer"));
    let joined = call
        .add(
            Who::Customer(customer_identity),
            format!("customer {caller}"),
            customer_setup,
            customer.clone(),
            customer_sdp.clone(),
        )
        .and_then(|_| {
            call.add(
                Who::Agent(ext.agent),
                format!("agent {}", ext.agent.key()),
                agent_setup,
                agent_dialog.clone(),
                Vec::new(),
            )
        });
    if let Err(e) = joined {
        say(format!("cannot bridge: {e}"));
        let _ = agent_dialog.hangup().await;
        reject(&pbx, &customer, StatusCode::ServerInternalError);
        pbx.release(&ext_number);
        return;
    }
    if pbx.config.needs_disclosure(&caller) {
        call.disclose();
    }
    let _ = customer.accept(Some(vec![content_type()]), Some(customer_sdp));
    pbx.bridged(&ext_number, commands_tx, states_tx);
    call.note(format!(
        "bridged: customer {caller} ({}) and agent {} ({}), mixed at {} Hz",
        call.parties[0].leg.format().rate(),
        ext.agent.key(),
        call.parties[1].leg.format().rate(),
        rate
    ));
    call.run(states, commands, console).await;
}

/// `Content-Type: application/sdp`.
fn content_type() -> Header {
    Header::ContentType("application/sdp".into())
}

impl Call {
    /// Joins a party with a phone.
    fn add(
        &mut self,
        who: Who,
        name: String,
        setup: LegSetup,
        dialog: InviteDialog,
        sdp: Vec<u8>,
    ) -> Result<PartyId, String> {
        let leg = RtpLeg::new(setup)?;
        let id = join(&mut self.session, &who, Some(leg.format())).map_err(|e| e.to_string())?;
        let role = match who {
            Who::Customer(_) => Role::Customer,
            Who::Agent(_) => Role::Agent,
            _ => Role::Supervisor,
        };
        self.parties.push(Party {
            id,
            name,
            role,
            frame: vec![0; leg.format().samples_per_frame()],
            leg,
            dialog,
            sdp,
            key_arrivals: VecDeque::new(),
            levels: Levels::default(),
        });
        Ok(id)
    }

    /// The call needs a disclosure: supervisors who join are held silent
    /// until the prompt has played to the customer to its end.
    fn disclose(&mut self) {
        let ok = self
            .session
            .require_disclosure(BeforeDisclosure::HoldSilent)
            .and_then(|_| {
                join(
                    &mut self.session,
                    &Who::Announcement(Audience::CUSTOMERS),
                    None,
                )
            })
            .and_then(|a| {
                self.session.play(a, &DISCLOSURE)?;
                self.session.set_disclosure(a)?;
                Ok(a)
            });
        match ok {
            Ok(a) => {
                self.disclosure = Some(a);
                self.note("the caller's number needs a disclosure: prompt playing".into());
            }
            Err(e) => self.note(format!("cannot play the disclosure: {e}")),
        }
    }

    /// Prints `line` now and keeps it for the timeline.
    fn note(&mut self, line: String) {
        let t = self.start.elapsed().as_secs_f64();
        let line = format!("{t:8.3} s  {line}");
        let _ = writeln!(
            std::io::stdout(),
            "call {} (ext {}): {line}",
            self.number,
            self.ext
        );
        if self.timeline.len() == TIMELINE {
            self.timeline.pop_front();
        }
        self.timeline.push_back(line);
    }

    fn name(&self, id: PartyId) -> String {
        if Some(id) == self.disclosure {
            return "the disclosure prompt".into();
        }
        self.parties
            .iter()
            .map(|p| (p.id, &p.name))
            .chain(self.hosted.iter().map(|h| (h.id, &h.name)))
            .chain(self.gone.iter().map(|(id, n)| (*id, n)))
            .find(|(p, _)| *p == id)
            .map_or_else(|| id.to_string(), |(_, n)| n.clone())
    }

    async fn run(
        mut self,
        mut states: DialogStateReceiver,
        mut commands: mpsc::Receiver<Command>,
        mut console: mpsc::Receiver<ConsoleCommand>,
    ) {
        self.publish();
        let ptime = self.session.format().ptime().duration();
        // Tick 0 runs now: the call's media time starts here.
        self.start = Instant::now();
        let mut ticker = tokio::time::interval(ptime);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
        while self.ended.is_none() {
            tokio::select! {
                biased;
                _ = ticker.tick() => self.tick(),
                Some(state) = states.recv() => self.dialog_state(state).await,
                Some(command) = commands.recv() => self.command(command),
                Some(command) = console.recv() => self.console_command(command),
            }
        }
        self.end().await;
    }

    /// One tick of media: read every leg, take the keys that are due, mix,
    /// send every leg its frame.
    fn tick(&mut self) {
        let tick = self.session.tick();
        let now = Instant::now();
        for p in &mut self.parties {
            let presses = |p: &Party| p.leg.jitter.keypad.as_ref().map_or(0, |k| k.stats.presses);
            let before = presses(p);
            p.leg.receive(tick);
            for _ in before..presses(p) {
                if p.key_arrivals.len() == KEYS_PENDING {
                    p.key_arrivals.pop_front();
                }
                p.key_arrivals.push_back(now);
            }
        }
        // RFC 4733 key presses whose start plays out in this frame.
        let mut pressed = Vec::new();
        for p in &mut self.parties {
            if p.role != Role::Supervisor {
                continue;
            }
            let jb = &mut p.leg.jitter;
            // The buffer's timeline is the RTP clock's: 8000 Hz, for G.722 too.
            let before = jb.play + PAYLOAD as u64;
            while let Some(d) = jb.keypad.as_mut().and_then(|k| k.due(before)) {
                let came = p.key_arrivals.pop_front().unwrap_or(now);
                pressed.push((p.id, d, came));
            }
        }
        for (id, digit, came) in pressed {
            self.press(id, digit, "RFC 4733", came);
        }
        for p in &mut self.parties {
            use barge::media::Source as _;
            p.frame.fill(0);
            if p.leg.fill(&mut p.frame) == barge::media::Fill::Frame {
                let _ = self.session.put_frame(p.id, &p.frame);
            } else {
                p.frame.fill(0);
            }
            p.levels.said.add(&p.frame);
        }
        // The console's legs: the frame waiting, if any; never a wait.
        let mut ended = Vec::new();
        for h in &mut self.hosted {
            h.frame.fill(0);
            match h.leg.said.try_recv() {
                Ok(frame) if frame.len() == h.frame.len() => {
                    h.frame.copy_from_slice(&frame);
                    let _ = self.session.put_frame(h.id, &frame);
                }
                Ok(_) | Err(TryRecvError::Empty) => {}
                Err(TryRecvError::Disconnected) => ended.push(h.id),
            }
            h.levels.said.add(&h.frame);
        }
        self.session.mix();
        for p in &mut self.parties {
            use barge::media::Sink as _;
            if let Ok(out) = self.session.output(p.id) {
                p.levels.heard.add(out);
                p.leg.take(out);
            }
        }
        for h in &mut self.hosted {
            if let Ok(out) = self.session.output(h.id) {
                h.levels.heard.add(out);
                // Dropped when the console has not taken the last ones.
                if let Err(TrySendError::Disconnected(_)) = h.leg.heard.try_send(out.to_vec()) {
                    ended.push(h.id);
                }
            }
        }
        self.events();
        if !ended.is_empty() {
            ended.dedup();
            for id in ended {
                if let Some(i) = self.hosted.iter().position(|h| h.id == id) {
                    let h = self.hosted.remove(i);
                    let _ = self.session.leave(h.id);
                    self.note(format!("{} (console) hangs up: its leg ended", h.name));
                    self.forget(h.id, h.name);
                }
            }
            self.events();
            self.check_alone();
        }
        if self.session.tick() % VIEW_TICKS == 0 {
            self.publish();
        }
    }

    /// Keeps the name of a party that left, for the timeline.
    fn forget(&mut self, id: PartyId, name: String) {
        if self.gone.len() == GONE {
            self.gone.remove(0);
        }
        self.gone.push((id, name));
    }

    /// Publishes the call as a console shows it.
    fn publish(&mut self) {
        let view = self.view();
        self.pbx.publish(view, &self.console_tx);
    }

    fn view(&mut self) -> CallView {
        let mut parties = Vec::new();
        let infos: Vec<_> = self.session.parties().collect();
        for info in infos {
            let (name, levels, console) = if Some(info.id) == self.disclosure {
                continue;
            } else if let Some(p) = self.parties.iter_mut().find(|p| p.id == info.id) {
                (p.name.clone(), &mut p.levels, false)
            } else if let Some(h) = self.hosted.iter_mut().find(|h| h.id == info.id) {
                (format!("supervisor {}", h.name), &mut h.levels, true)
            } else {
                continue;
            };
            let modes = match self.session.modes_for(info.id) {
                Ok(modes) => modes.collect(),
                Err(_) => Vec::new(),
            };
            parties.push(PartyView {
                id: info.id,
                role: info.role,
                name,
                mode: info.mode,
                said_db: levels.said.take_db(),
                heard_db: levels.heard.take_db(),
                console,
                modes,
            });
        }
        let tick = self.session.tick();
        CallView {
            number: self.number,
            ext: self.ext.clone(),
            caller: self.caller.clone(),
            agent: self.agent,
            tick,
            seconds: self.session.media_time(tick).as_secs_f64(),
            consent: self.session.consent(),
            signals: self.session.signals().copied().unwrap_or_default(),
            parties,
            timeline: self
                .timeline
                .iter()
                .skip(self.timeline.len().saturating_sub(VIEW_LINES))
                .cloned()
                .collect(),
        }
    }

    /// A console's request: a supervisor on a leg of the console's own.
    fn console_command(&mut self, command: ConsoleCommand) {
        let on_call = |hosted: &[Hosted], party: PartyId| {
            if hosted.iter().any(|h| h.id == party) {
                Ok(())
            } else {
                Err(Error::PartyLeft { party })
            }
        };
        match command {
            ConsoleCommand::Join {
                identity,
                name,
                mode,
                leg,
                reply,
            } => {
                let joined = if self.hosted.len() >= MAX_CONSOLE_LEGS {
                    Err(Error::TooManyParties {
                        max: MAX_CONSOLE_LEGS,
                    })
                } else {
                    // Checked whole: a refused join leaves the call as it
                    // was and puts the refusal on its audit trail.
                    self.session
                        .join(Join::supervisor(mode).identity(*identity).leg(leg.format))
                };
                if let Ok(id) = joined {
                    let samples = leg.format.samples_per_frame();
                    self.hosted.push(Hosted {
                        id,
                        name: name.clone(),
                        leg,
                        frame: vec![0; samples],
                        levels: Levels::default(),
                    });
                    self.note(format!("supervisor {name} joins from the console"));
                }
                let _ = reply.send(joined);
            }
            ConsoleCommand::SetMode { party, mode, reply } => {
                let result =
                    on_call(&self.hosted, party).and_then(|()| self.session.set_mode(party, mode));
                let _ = reply.send(result);
            }
            ConsoleCommand::Leave { party, reply } => {
                let result = on_call(&self.hosted, party).and_then(|()| {
                    if let Some(i) = self.hosted.iter().position(|h| h.id == party) {
                        let h = self.hosted.remove(i);
                        self.forget(h.id, h.name);
                    }
                    self.session.leave(party)
                });
                let _ = reply.send(result);
            }
        }
        self.events();
        self.check_alone();
        // The console sees the change at once.
        self.publish();
    }

    /// A key from a supervisor: switches its mode if the keypad map and the
    /// policy say so; a refusal plays a short tone to it.
    fn press(&mut self, id: PartyId, digit: Digit, how: &'static str, came: Instant) {
        match self.session.press(id, digit) {
            Ok(Some(_)) => {
                if self.keys.len() == KEYS_PENDING {
                    self.keys.pop_front();
                }
                self.keys.push_back(Key {
                    party: id,
                    digit,
                    how,
                    came,
                });
            }
            Ok(None) => {}
            Err(Error::Refused { .. }) => {
                if let Some(p) = self.parties.iter_mut().find(|p| p.id == id) {
                    p.leg.refuse_tone();
                }
            }
            Err(e) => {
                let name = self.name(id);
                self.note(format!("{name}: key {digit} ({how}) not taken: {e}"));
            }
        }
    }

    /// Drains barge's audit trail onto the timeline.
    fn events(&mut self) {
        while let Some(event) = self.session.poll_event() {
            let at = event.at();
            let t = self.session.media_time(at).as_secs_f64();
            let text = match event {
                Event::Joined {
                    party, role, mode, ..
                } => match mode {
                    Some(m) => format!("{} joins as {role} in {m}", self.name(party)),
                    None => format!("{} joins as {role}", self.name(party)),
                },
                Event::Left { party, .. } => format!("{} leaves", self.name(party)),
                Event::ModeChanged {
                    party, from, to, ..
                } => {
                    let mut s = format!("{}: {from} -> {to}", self.name(party));
                    if let Some(i) = self.keys.iter().position(|k| k.party == party) {
                        if let Some(k) = self.keys.remove(i) {
                            // The tick it takes effect in runs on the
                            // call's steady timer.
                            let effect = self.start + self.session.media_time(at);
                            let _ = write!(
                                s,
                                " (key {} by {}: in effect {:.0} ms after it came)",
                                k.digit,
                                k.how,
                                effect.saturating_duration_since(k.came).as_secs_f64() * 1000.0
                            );
                        }
                    }
                    s
                }
                Event::DigitPressed {
                    party, digit, mode, ..
                } => format!(
                    "{} presses {digit}{}",
                    self.name(party),
                    mode.map_or(String::new(), |m| format!(" ({m})"))
                ),
                Event::Refused { refusal, .. } => format!("refused: {refusal}"),
                Event::DisclosureRequired { .. } => {
                    "disclosure required: nobody listens before it".into()
                }
                Event::ConsentGiven { .. } => {
                    "disclosure played to its end: supervisors may listen".into()
                }
                Event::PolicySet { active, .. } => {
                    format!("policy {}", if active { "in force" } else { "cleared" })
                }
                other => format!("{other:?}"),
            };
            self.note(format!("[tick {at}, {t:.2} s] {text}"));
        }
    }

    fn command(&mut self, command: Command) {
        match command {
            Command::Supervise {
                user,
                identity,
                setup,
                dialog,
            } => {
                let sdp = sdp::write(
                    setup.socket.local_addr().unwrap_or(self.pbx.sip_addr),
                    self.number,
                    &[setup.codec],
                    setup.telephone_event,
                );
                let name = format!("supervisor {user}");
                match self.add(
                    Who::Supervisor(identity),
                    name,
                    setup,
                    dialog.clone(),
                    sdp.clone(),
                ) {
                    Ok(_) => {
                        let _ = dialog.accept(Some(vec![content_type()]), Some(sdp));
                    }
                    Err(e) => {
                        reject(&self.pbx, &dialog, StatusCode::Forbidden);
                        self.note(format!("supervisor {user} refused with 403: {e}"));
                    }
                }
                self.events();
            }
        }
    }

    async fn dialog_state(&mut self, state: DialogState) {
        match state {
            DialogState::Terminated(id, reason) => {
                let Some(i) = self
                    .parties
                    .iter()
                    .position(|p| p.dialog.id().call_id == id.call_id)
                else {
                    return;
                };
                let p = self.parties.remove(i);
                self.pbx.dialogs.remove_dialog(&p.dialog.id());
                let _ = self.session.leave(p.id);
                self.note(format!("{} hangs up ({reason:?})", p.name));
                self.forget(p.id, p.name);
                self.events();
                match p.role {
                    Role::Customer => self.ended = Some("the customer hung up"),
                    _ => self.check_alone(),
                }
            }
            DialogState::Info(id, request, handle) => {
                let party = self
                    .parties
                    .iter()
                    .find(|p| p.dialog.id().call_id == id.call_id)
                    .map(|p| (p.id, p.role));
                let came = Instant::now();
                let (code, digit) = match dtmf_relay::parse(&request) {
                    Ok(d) => (StatusCode::OK, Some(d)),
                    Err(dtmf_relay::InfoError::Malformed(why)) => {
                        self.note(format!("INFO refused with 400: {why}"));
                        (StatusCode::BadRequest, None)
                    }
                    Err(dtmf_relay::InfoError::Unsupported(t)) => {
                        self.note(format!("INFO of type {t:?} refused with 415"));
                        (StatusCode::UnsupportedMediaType, None)
                    }
                };
                reply(&handle, code).await;
                if let (Some(d), Some((pid, Role::Supervisor))) = (digit, party) {
                    self.press(pid, d, "SIP INFO", came);
                    self.events();
                    self.check_alone();
                }
            }
            DialogState::Updated(id, _, handle) => {
                // A re-INVITE (a session refresh): the same media as before.
                let sdp = self
                    .parties
                    .iter()
                    .find(|p| p.dialog.id().call_id == id.call_id)
                    .map(|p| p.sdp.clone())
                    .filter(|s| !s.is_empty());
                let _ = match sdp {
                    Some(sdp) => {
                        handle
                            .respond(StatusCode::OK, Some(vec![content_type()]), Some(sdp))
                            .await
                    }
                    None => handle.reply(StatusCode::OK).await,
                };
            }
            DialogState::Options(_, _, handle) => reply(&handle, StatusCode::OK).await,
            DialogState::Notify(_, _, handle)
            | DialogState::Refer(_, _, handle)
            | DialogState::Message(_, _, handle)
            | DialogState::Publish(_, _, handle) => {
                reply(&handle, StatusCode::NotImplemented).await
            }
            _ => {}
        }
    }

    /// Ends the call when nobody can talk to the customer any more: the
    /// agent has gone and no supervisor is in barge (or customer only).
    fn check_alone(&mut self) {
        let agent = self.parties.iter().any(|p| p.role == Role::Agent);
        let phones = self
            .parties
            .iter()
            .filter(|p| p.role == Role::Supervisor)
            .map(|p| p.id);
        let console = self.hosted.iter().map(|h| h.id);
        let talking = phones.chain(console).any(|id| {
            matches!(
                self.session.mode(id),
                Ok(Some(Mode::Barge | Mode::CustomerOnly))
            )
        });
        if !agent && !talking {
            self.ended = Some("nobody is left to talk to the customer");
        }
    }

    async fn end(mut self) {
        let why = self.ended.unwrap_or("ended");
        self.note(format!("call ends: {why}"));
        for p in std::mem::take(&mut self.parties) {
            // BYE to a confirmed dialog (a supervisor's still unanswered
            // INVITE is left to end by itself).
            let _ = p.dialog.hangup().await;
            self.pbx.dialogs.remove_dialog(&p.dialog.id());
            let s = p.leg.jitter.stats;
            self.note(format!(
                "{}: {} packets in, {} frames played, {} missing, {} late, {} packets out",
                p.name, s.packets, s.frames_played, s.frames_missing, s.late, p.leg.sender.sent
            ));
        }
        self.hosted.clear();
        self.pbx.release(&self.ext);
        self.pbx.unpublish(self.number);
        let mut out = format!(
            "call {} (ext {}) timeline, {} lines:\n",
            self.number,
            self.ext,
            self.timeline.len()
        );
        for line in &self.timeline {
            out.push_str("  ");
            out.push_str(line);
            out.push('\n');
        }
        let _ = std::io::stdout().write_all(out.as_bytes());
        let _ = std::io::stdout().flush();
    }
}

/// Refuses a dialog not answered yet, and forgets it.
fn reject(pbx: &Pbx, dialog: &InviteDialog, code: StatusCode) {
    let _ = dialog.reject(Some(code), None);
    pbx.dialogs.remove_dialog(&dialog.id());
}

async fn reply(handle: &TransactionHandle, code: StatusCode) {
    let _ = handle.reply(code).await;
}
