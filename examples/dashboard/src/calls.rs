//! The simulated calls: a customer and an agent each, talking from
//! synthesized voices on a script that loops (see `script.rs`), their call
//! signals and what needs attention, and the supervisors (each signed-in
//! browser) on them. Each call's agent has an identity (an extension's
//! agent of the config) and each call the config's policy, so that barge
//! decides what each supervisor may do.

pub use barge_sip::call::Meter;
use std::collections::{HashMap, VecDeque};
use std::fmt::Write as _;
use std::sync::Arc;

use barge::tone::Cadence;
use barge::{
    Alert, Audience, BeforeDisclosure, CallSignals, Consent, Error, Event, Format, Identity, Join,
    Mode, PartyId, Policy, Reason as Why, Refusal, Role, Session, ToneSpec,
};

use super::attention::{Attention, Reason, SIGNALS};
use super::record::Recorder;
use super::script::Scenario;

/// How many calls the dashboard shows.
pub const CALLS: usize = 4;
/// The call's format: narrowband PSTN, 20 ms frames.
pub const CALL_FORMAT: Format = Format::NARROWBAND_20MS;
/// The supervisor's leg: WebRTC's Opus at 48 kHz, 20 ms packets.
pub const SUPERVISOR_FORMAT: Format = match Format::new(48000, 20) {
    Ok(f) => f,
    Err(_) => panic!("48 kHz / 20 ms is a valid format"),
};
/// Samples of one 20 ms frame of the call and of the supervisor's leg.
pub const CALL_SPF: usize = CALL_FORMAT.samples_per_frame();
pub const SUPERVISOR_SPF: usize = SUPERVISOR_FORMAT.samples_per_frame();
/// The simulated callers' numbers, call 1 first: the last is from a
/// state whose law asks for every party's consent (the sample config's
/// `[consent]` prefixes), so its call needs a disclosure.
pub const CALLERS: [&str; CALLS] = [
    "+12025550101",
    "+12025550102",
    "+12025550103",
    "+14155550104",
];
/// The disclosure prompt, as a tone standing in for the recorded "this
/// call may be monitored": 440 Hz for 3 s, to the customer only (the SIP
/// example's).
pub const DISCLOSURE: ToneSpec = ToneSpec::single(440.0, -16.0, Cadence::once(3000));
/// Audit lines kept per call for the page.
const EVENTS_KEPT: usize = 40;
/// Ticks over which a level is averaged for the page (200 ms).
pub const LEVEL_TICKS: u64 = 10;

/// Mean square of a frame, in full scale units.
#[cfg(test)]
fn mean_square(frame: &[i16]) -> f64 {
    let sum: f64 = frame.iter().map(|&s| f64::from(s).powi(2)).sum();
    sum / frame.len().max(1) as f64 / 32768.0f64.powi(2)
}

/// The levels of one party as the page shows them.
#[derive(Debug, Default, Clone, Copy)]
struct Levels {
    said: Meter,
    heard: Meter,
}

/// A supervisor on a call: the media loop's number for it, its user's
/// name, its party and its levels.
struct OnCall {
    sup: u64,
    user: String,
    id: PartyId,
    levels: Levels,
}

/// One simulated call.
pub struct SimCall {
    /// 1-based, as the page numbers them.
    pub n: usize,
    session: Session<i16>,
    customer: PartyId,
    agent: PartyId,
    /// The agent's identity, as the policy names it.
    agent_identity: Identity,
    policy: Option<Arc<Policy>>,
    supervisors: Vec<OnCall>,
    scenario: Scenario,
    /// The customer's and the agent's scripts, looping, and their line
    /// noise alone (what they hand in while the call is silent).
    voices: [Vec<i16>; 2],
    quiet: [Vec<i16>; 2],
    /// Whether the parties have gone silent (`POST /calls/N/silence`).
    silent: bool,
    /// Where in its script this call started, in frames.
    offset: usize,
    attention: Attention,
    /// Customer, agent.
    levels: [Levels; 2],
    events: VecDeque<String>,
}

impl SimCall {
    /// Call `n` (1-based), its agent `agent`, under `policy` (`None`:
    /// every supervisor may do everything). With `disclose`, the call
    /// needs a disclosure: it plays [`DISCLOSURE`] to the customer first,
    /// and supervisors who join before it has played are held silent
    /// (they hear nothing of the call).
    pub fn new(
        n: usize,
        agent: Identity,
        policy: Option<Arc<Policy>>,
        disclose: bool,
    ) -> Result<SimCall, Error> {
        let scenario = Scenario::of_call(n);
        let (voices, quiet) = scenario.voices(CALL_FORMAT.rate().hz());
        let mut session = Session::new(CALL_FORMAT);
        session.set_policy(policy.clone())?;
        if disclose {
            session.require_disclosure(BeforeDisclosure::HoldSilent)?;
        }
        let c = session.join(Role::Customer)?;
        let a = session.join(Join::agent().identity(agent))?;
        if disclose {
            let prompt = session.join(Join::announcement(Audience::CUSTOMERS))?;
            session.play(prompt, &DISCLOSURE)?;
            session.set_disclosure(prompt)?;
        }
        session.enable_signals(SIGNALS)?;
        let frames = voices[0].len() / CALL_SPF;
        // The calls that go well start at other points of their script,
        // so that no two sound alike at any moment; the others at its
        // start, so that what they show comes soon.
        let offset = match scenario {
            Scenario::Conversation { .. } => (n - 1) * 137 % frames.max(1),
            _ => 0,
        };
        let mut call = SimCall {
            n,
            session,
            customer: c,
            agent: a,
            agent_identity: agent,
            policy,
            supervisors: Vec::new(),
            scenario,
            voices,
            quiet,
            silent: false,
            offset,
            attention: Attention::default(),
            levels: Default::default(),
            events: VecDeque::new(),
        };
        call.drain_events(None);
        Ok(call)
    }

    /// Whether anyone may listen yet.
    #[cfg(test)]
    pub fn consent(&self) -> Consent {
        self.session.consent()
    }

    /// Supervisor `sup`'s party here, if it is on this call.
    fn party_of(&self, sup: u64) -> Option<PartyId> {
        self.supervisors.iter().find(|s| s.sup == sup).map(|s| s.id)
    }

    /// Supervisor `sup`'s mode here, if it is on this call.
    pub fn supervisor_mode(&self, sup: u64) -> Option<Mode> {
        let id = self.party_of(sup)?;
        self.session.mode(id).ok().flatten()
    }

    /// What supervisor `sup` (signed in as `identity`) may do here now,
    /// for each of `modes`: for one on the call, barge's
    /// [`Session::modes_for`]; for one who is not, what a join would check
    /// (the consent gate where it refuses joins, then the policy on the
    /// call's agent).
    pub fn may(&self, sup: u64, identity: &Identity, mode: Mode) -> Result<(), Refusal> {
        if let Some(id) = self.party_of(sup) {
            if let Ok(mut modes) = self.session.modes_for(id) {
                if let Some((_, allowed)) = modes.find(|(m, _)| *m == mode) {
                    return allowed;
                }
            }
        }
        if self.session.consent() == Consent::Pending(BeforeDisclosure::RefuseJoins) {
            return Err(Refusal {
                supervisor: Some(identity.key()),
                agent: Some(self.agent_identity.key()),
                mode,
                reason: Why::ConsentPending,
            });
        }
        match &self.policy {
            Some(policy) => {
                policy.allows_on_call(Some(identity), [Some(&self.agent_identity)], mode)
            }
            None => Ok(()),
        }
    }

    /// Makes the customer and the agent go silent (only their line noise),
    /// or take up their script again where it has got to.
    pub fn set_silent(&mut self, silent: bool) {
        self.silent = silent;
    }

    /// The call's signals as of the last tick.
    pub fn signals(&self) -> CallSignals {
        self.session.signals().copied().unwrap_or_default()
    }

    /// Why this call needs attention now, the most urgent first.
    pub fn reasons(&self) -> Vec<Reason> {
        self.attention.reasons(&self.signals())
    }

    /// The tick the next [`SimCall::tick`] mixes.
    pub fn next_tick(&self) -> u64 {
        self.session.tick()
    }

    /// Puts supervisor `sup` (user `user`, barge identity `identity`) on
    /// this call in `mode`: a join, on a 48 kHz leg that the session
    /// resamples, or a mode change. barge's policy decides either: a
    /// refusal is [`Error::Refused`], changes nothing, and is on the
    /// call's audit trail.
    pub fn set_supervisor(
        &mut self,
        sup: u64,
        user: &str,
        identity: Identity,
        mode: Mode,
    ) -> Result<(), Error> {
        match self.party_of(sup) {
            Some(id) => self.session.set_mode(id, mode),
            None => {
                // Checked whole: a join that fails leaves the call as it was.
                let id = self.session.join(
                    Join::supervisor(mode)
                        .identity(identity)
                        .leg(SUPERVISOR_FORMAT),
                )?;
                self.supervisors.push(OnCall {
                    sup,
                    user: user.to_string(),
                    id,
                    levels: Levels::default(),
                });
                Ok(())
            }
        }
    }

    /// Takes supervisor `sup` off this call; `false` if it was not on it.
    pub fn remove_supervisor(&mut self, sup: u64) -> Result<bool, Error> {
        match self.supervisors.iter().position(|s| s.sup == sup) {
            Some(i) => {
                let id = self.supervisors.remove(i).id;
                self.session.leave(id).map(|()| true)
            }
            None => Ok(false),
        }
    }

    /// Mixes one tick. `from` has each supervisor's 48 kHz frame (a
    /// supervisor on this call with none there hands in silence); what
    /// each supervisor on this call hears goes into `to`.
    pub fn tick(
        &mut self,
        from: &HashMap<u64, Vec<i16>>,
        to: &mut HashMap<u64, Vec<i16>>,
        recorder: Option<&mut Recorder>,
    ) -> Result<(), Error> {
        let tick = self.session.tick();
        let frame = |voice: &[i16]| {
            let frames = voice.len() / CALL_SPF;
            let at = (tick as usize + self.offset) % frames * CALL_SPF;
            at..at + CALL_SPF
        };
        let voices = if self.silent {
            &self.quiet
        } else {
            &self.voices
        };
        let (rc, ra) = (frame(&voices[0]), frame(&voices[1]));
        let said_c = &voices[0][rc];
        let said_a = &voices[1][ra];
        let silence = [0i16; SUPERVISOR_SPF];
        let mut frames = vec![(self.customer, said_c), (self.agent, said_a)];
        for s in &self.supervisors {
            let said = from.get(&s.sup).map_or(&silence[..], |f| &f[..]);
            frames.push((s.id, said));
        }
        self.session.mix_frames(&frames)?;
        let heard_c = self.session.output(self.customer)?;
        let heard_a = self.session.output(self.agent)?;
        self.levels[0].said.add(said_c);
        self.levels[0].heard.add(heard_c);
        self.levels[1].said.add(said_a);
        self.levels[1].heard.add(heard_a);
        if let Some(r) = recorder {
            r.call_frame(self.n, said_c, heard_c, said_a, heard_a);
        }
        for s in &mut self.supervisors {
            let heard = self.session.output(s.id)?;
            let said = from.get(&s.sup).map_or(&silence[..], |f| &f[..]);
            s.levels.said.add(said);
            s.levels.heard.add(heard);
            let out = to.entry(s.sup).or_insert_with(|| vec![0; SUPERVISOR_SPF]);
            out.copy_from_slice(heard);
        }
        self.take_alerts();
        Ok(())
    }

    /// Takes the alerts of the tick just mixed into what needs attention
    /// (and the page's list), then follows the signals.
    fn take_alerts(&mut self) {
        let tick = self.session.tick().saturating_sub(1);
        while let Some(alert) = self.session.poll_alert() {
            self.attention.alert(alert);
            let (at, text) = match alert {
                Alert::DeadAir { tick, ms } => {
                    (tick, format!("alert: dead air {:.1} s", ms as f64 / 1e3))
                }
                Alert::Monologue { tick, role, ms } => (
                    tick,
                    format!("alert: {role} monologue {:.1} s", ms as f64 / 1e3),
                ),
                Alert::Interruptions { tick, role, count } => (
                    tick,
                    format!("alert: {role} interrupted {count}× in a minute"),
                ),
                other => (tick, format!("alert: {other:?}")),
            };
            self.log(at, &text);
        }
        if let Some(s) = self.session.signals() {
            self.attention.update(s);
        }
    }

    /// Moves the session's audit events into the page's list (and the
    /// recorder's log).
    pub fn drain_events(&mut self, mut recorder: Option<&mut Recorder>) {
        while let Some(e) = self.session.poll_event() {
            let at = e.at();
            let role = |id: PartyId| {
                self.session
                    .party(id)
                    .map(|p| p.role.to_string())
                    // Only supervisors change modes and volumes here.
                    .unwrap_or_else(|_| "supervisor".into())
            };
            // The person, by the key of its identity, where it has one.
            let named =
                |label: Option<barge::Label>| label.map_or(String::new(), |l| format!("{l} "));
            let text = match e {
                Event::Joined {
                    party,
                    role,
                    mode,
                    label,
                    ..
                } => match mode {
                    Some(m) => format!("{role} {}{party} joined in {m}", named(label)),
                    None => format!("{role} {}{party} joined", named(label)),
                },
                Event::Left {
                    party, role, label, ..
                } => format!("{role} {}{party} left", named(label)),
                Event::ModeChanged {
                    party,
                    label,
                    from,
                    to,
                    ..
                } => {
                    format!("{} {}{party}: {from} → {to}", role(party), named(label))
                }
                Event::VolumeChanged { party, to, .. } => {
                    format!("{} {party}: volume {to:?}", role(party))
                }
                Event::Dropped { count, .. } => format!("{count} events dropped"),
                Event::Refused { .. } => e.to_string(),
                other => other.to_string(),
            };
            if let Some(r) = recorder.as_deref_mut() {
                r.event(self.n, &e);
            }
            self.log(at, &text);
        }
    }

    /// Adds a line to the page's list of this call's events and alerts.
    fn log(&mut self, at: u64, text: &str) {
        let seconds = at as f64 * f64::from(CALL_FORMAT.ptime().ms()) / 1000.0;
        self.events
            .push_back(format!("{seconds:>7.2} s  tick {at:<5} {text}"));
        while self.events.len() > EVENTS_KEPT {
            self.events.pop_front();
        }
    }

    /// This call as JSON for the page.
    pub fn json(&mut self, out: &mut String) {
        let _ = write!(
            out,
            "{{\"n\":{},\"name\":\"Call {}\",\"caller\":\"{}\",\"tick\":{},\"parties\":[",
            self.n,
            self.n,
            CALLERS.get(self.n - 1).copied().unwrap_or_default(),
            self.session.tick()
        );
        let parties: Vec<_> = self.session.parties().collect();
        for (i, p) in parties.iter().enumerate() {
            let (l, user) = match p.role {
                Role::Customer => (&mut self.levels[0], None),
                Role::Agent => (&mut self.levels[1], None),
                _ => match self.supervisors.iter_mut().find(|s| s.id == p.id) {
                    Some(s) => (&mut s.levels, Some(s.user.as_str())),
                    None => continue,
                },
            };
            let who = match user {
                Some(user) => user.to_string(),
                None => p.identity.map_or(String::new(), |i| i.key().to_string()),
            };
            let _ = write!(
                out,
                "{}{{\"id\":\"{}\",\"role\":\"{}\",\"who\":",
                if i > 0 { "," } else { "" },
                p.id,
                p.role,
            );
            json_string(out, &who);
            let _ = write!(
                out,
                ",\"mode\":{},\"said_db\":{:.1},\"heard_db\":{:.1},\"frames_mixed\":{},\"frames_missing\":{}}}",
                p.mode.map_or("null".into(), |m| format!("\"{m}\"")),
                l.said.take_db(),
                l.heard.take_db(),
                p.stats.frames_mixed,
                p.stats.frames_missing,
            );
        }
        out.push_str("],\"events\":[");
        for (i, e) in self.events.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            json_string(out, e);
        }
        let _ = write!(
            out,
            "],\"silent\":{},\"scenario\":\"{}\",",
            self.silent,
            self.scenario.name(),
        );
        signals_json(
            out,
            self.session.consent(),
            &self.signals(),
            &self.reasons(),
        );
    }
}

/// A call's `"consent"`, `"signals"` and `"attention"` members and the
/// closing brace, as the page reads them for simulated and live calls.
pub fn signals_json(out: &mut String, consent: Consent, s: &CallSignals, reasons: &[Reason]) {
    let _ = write!(
        out,
        "\"consent\":\"{}\",\"signals\":{{",
        match consent {
            Consent::NotRequired => "not required",
            Consent::Pending(_) => "pending: a disclosure must play before anyone listens",
            Consent::Given => "given",
        }
    );
    for (name, t) in [("customer", &s.customer), ("agent", &s.agent)] {
        let _ = write!(
            out,
            "\"{name}\":{{\"talking\":{},\"in_turn\":{},\"talk_ms\":{},\"turn_ms\":{},\"longest_turn_ms\":{},\"interruptions\":{},\"backchannels\":{},\"busy_noise\":{}}},",
            t.talking, t.in_turn, t.talk_ms, t.turn_ms, t.longest_turn_ms, t.interruptions, t.backchannels, t.busy_noise
        );
    }
    let role = |r: Option<Role>| r.map_or("null".into(), |r| format!("\"{r}\""));
    let _ = write!(
        out,
        "\"agent_share\":{},\"dead_air_ms\":{},\"longest_monologue\":{},\"overtalk\":{},\"elapsed_ms\":{}}},\"attention\":[",
        s.agent_talk_ratio()
            .map_or("null".into(), |r| format!("{r:.3}")),
        s.dead_air_ms,
        s.longest_monologue()
            .map_or("null".into(), |(r, ms)| format!("{{\"role\":\"{r}\",\"ms\":{ms}}}")),
        role(s.overtalk),
        s.elapsed_ms,
    );
    for (i, r) in reasons.iter().enumerate() {
        let _ = write!(
            out,
            "{}{{\"kind\":\"{}\",\"text\":",
            if i > 0 { "," } else { "" },
            r.kind()
        );
        json_string(out, &r.text());
        out.push('}');
    }
    out.push_str("]}");
}

/// Appends `s` as a JSON string literal.
pub fn json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::attention::{DEAD_AIR, MONOLOGUE};

    fn agent() -> Identity {
        Identity::new(barge::Label::new("alex").unwrap())
    }

    /// Ticks in `seconds` of the call.
    fn ticks(seconds: f64) -> u64 {
        (seconds * 1000.0 / f64::from(CALL_FORMAT.ptime().ms())) as u64
    }

    /// Mixes `call` for up to `seconds`, until `until` holds of it after a
    /// tick; the ticks it took, or `None`.
    fn run_until(
        call: &mut SimCall,
        seconds: f64,
        mut until: impl FnMut(&SimCall) -> bool,
    ) -> Option<u64> {
        let from_sup = HashMap::new();
        let mut to_sup = HashMap::new();
        for t in 1..=ticks(seconds) {
            call.tick(&from_sup, &mut to_sup, None).expect("a tick");
            if until(call) {
                return Some(t);
            }
        }
        None
    }

    #[test]
    fn a_call_that_needs_a_disclosure_holds_its_supervisors_silent_until_it_has_played() {
        let mut call = SimCall::new(2, agent(), None, true).unwrap();
        assert!(matches!(call.consent(), Consent::Pending(_)));
        let quinn = Identity::new(barge::Label::new("quinn").unwrap());
        call.set_supervisor(7, "quinn", quinn, Mode::Monitor)
            .unwrap();
        let from = HashMap::from([(7, vec![0i16; SUPERVISOR_SPF])]);
        let mut to = HashMap::new();
        let mut heard_before = 0.0f64;
        let mut ticks = 0;
        while matches!(call.consent(), Consent::Pending(_)) {
            call.tick(&from, &mut to, None).unwrap();
            heard_before = heard_before.max(mean_square(&to[&7]));
            ticks += 1;
            assert!(ticks < 200, "the disclosure never completed");
        }
        // 3 s of prompt, give or take its first and last ticks.
        assert!((149..=152).contains(&ticks), "{ticks} ticks");
        assert_eq!(
            heard_before, 0.0,
            "the supervisor heard the call before its disclosure"
        );
        let mut heard_after = 0.0f64;
        for _ in 0..100 {
            call.tick(&from, &mut to, None).unwrap();
            heard_after = heard_after.max(mean_square(&to[&7]));
        }
        assert!(
            heard_after > 1e-5,
            "the supervisor hears the call once it has played"
        );
        let mut json = String::new();
        call.json(&mut json);
        assert!(json.contains("\"consent\":\"given\""), "{json}");
    }

    #[test]
    fn a_call_going_well_shows_both_talking_and_needs_no_attention() {
        for n in [1, 2] {
            let mut call = SimCall::new(n, agent(), None, false).unwrap();
            let mut both_heard = [false; 2];
            let flagged = run_until(&mut call, 36.0, |c| {
                let s = c.signals();
                both_heard[0] |= s.customer.in_turn;
                both_heard[1] |= s.agent.in_turn;
                !c.reasons().is_empty()
            });
            let s = call.signals();
            assert_eq!(flagged, None, "call {n}: {:?}", call.reasons());
            assert_eq!(both_heard, [true, true], "call {n}: who talked");
            let share = s.agent_talk_ratio().expect("talk");
            assert!(
                (0.3..=0.7).contains(&share),
                "call {n}: agent share {share}"
            );
            assert!(s.longest_dead_air_ms < 2_000, "call {n}: {s:?}");
            assert!(
                s.customer.turns >= 9 && s.agent.turns >= 9,
                "call {n}: {s:?}"
            );
        }
    }

    #[test]
    fn a_call_that_goes_silent_needs_attention_for_its_dead_air_until_it_talks() {
        let mut call = SimCall::new(1, agent(), None, false).unwrap();
        run_until(&mut call, 10.0, |_| false);
        call.set_silent(true);
        let took = run_until(&mut call, 10.0, |c| !c.reasons().is_empty()).expect("dead air");
        let dead = DEAD_AIR.as_millis() as u64;
        let reasons = call.reasons();
        assert!(
            matches!(reasons[..], [Reason::DeadAir { ms }] if ms >= dead),
            "{reasons:?}"
        );
        // At most the threshold and the last words' fade after the call
        // went silent (less when it was already between turns), and at
        // the tick the threshold is crossed.
        assert!(took * 20 <= dead + 500, "{took} ticks");
        assert!(
            call.signals().dead_air_ms < dead + 40,
            "{:?}",
            call.signals()
        );
        assert_eq!(reasons[0].text(), "dead air 5 s");
        assert!(
            call.events.iter().any(|e| e.contains("alert: dead air")),
            "{:?}",
            call.events
        );
        run_until(&mut call, 5.0, |_| false);
        assert!(call.reasons()[0].text().starts_with("dead air 1"));
        call.set_silent(false);
        run_until(&mut call, 12.0, |c| c.reasons().is_empty()).expect("talk again");
    }

    #[test]
    fn the_monologue_call_flags_its_agent() {
        let mut call = SimCall::new(3, agent(), None, false).unwrap();
        run_until(&mut call, 45.0, |c| !c.reasons().is_empty()).expect("a monologue");
        let reasons = call.reasons();
        let mono = MONOLOGUE.as_millis() as u64;
        assert!(
            matches!(reasons[..], [Reason::Monologue { role: Role::Agent, ms }] if ms >= mono),
            "{reasons:?}"
        );
        // Until the agent's turn ends (at 38 s of the script).
        run_until(&mut call, 15.0, |c| c.reasons().is_empty()).expect("the turn ends");
        let s = call.signals();
        let (role, longest) = s.longest_monologue().expect("turns");
        assert_eq!(role, Role::Agent);
        assert!((36_000..=39_000).contains(&longest), "{longest} ms");
        assert!(s.customer.backchannels >= 3, "{s:?}");
        assert_eq!(s.customer.interruptions, 0, "{s:?}");
    }

    #[test]
    fn the_interrupting_call_flags_its_customer() {
        let mut call = SimCall::new(4, agent(), None, false).unwrap();
        let took = run_until(&mut call, 30.0, |c| !c.reasons().is_empty()).expect("interruptions");
        // At the third, 1 s into the customer's turn from 11.5 s.
        assert!((620..=640).contains(&took), "{took} ticks");
        let reasons = call.reasons();
        assert!(
            matches!(
                reasons[..],
                [Reason::Interruptions {
                    role: Role::Customer,
                    count: 3
                }]
            ),
            "{reasons:?}"
        );
        run_until(&mut call, 60.0 - took as f64 * 0.02, |_| false);
        let s = call.signals();
        assert!(s.customer.interruptions >= 6, "{s:?}");
        assert!(s.agent.interruptions >= 2, "{s:?}");
        assert!(!call.reasons().is_empty(), "six a minute hold it");
    }
}
