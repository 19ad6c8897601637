//! Who may listen to whom, and the audit trail that proves it.
//!
//! ```sh
//! cargo run --example compliance
//! cargo run -p barge-examples --features serde --example compliance -- --json   # the raw events
//! ```
//!
//! A contact centre states its rules once, as a [`Policy`]:
//!
//! - team leads may monitor, whisper and barge on their own team;
//! - QA may only monitor, on every agent;
//! - agent "jordan" opted out of being monitored;
//!
//! and, for calls from California (an all-party-consent state), nobody
//! listens before the customer has heard the disclosure
//! ([`Session::require_disclosure`]).
//!
//! The example plays two calls with the quickstart's synthetic voices.
//!
//! **Call 1** (customer "caller-1", agent "alex" of team a) holds
//! supervisors who join before the disclosure silent
//! ([`BeforeDisclosure::HoldSilent`]). The disclosure is an announcement
//! that plays a tone (standing in for the recorded prompt "this call may be
//! monitored") to the customer; [`Session::set_disclosure`] makes its end
//! the moment the call may be listened to. Then:
//!
//! 1. QA ("quinn") joins in monitor before the disclosure: accepted, and
//!    held silent until it;
//! 2. QA tries to whisper: refused (QA may only monitor);
//! 3. the lead of team a ("sam") whispers to the agent, then barges:
//!    accepted;
//! 4. the lead of team b ("lee") tries to monitor: refused (not their
//!    team).
//!
//! **Call 2** (agent "jordan", who opted out) refuses supervisors outright
//! until the disclosure ([`BeforeDisclosure::RefuseJoins`]), and the host
//! records it itself ([`Session::record_consent`]: the customer said yes to
//! the host's own prompt). QA tries to monitor before it (refused: no
//! disclosure yet) and after it (refused: the agent opted out), and so
//! does the lead of team a.
//!
//! After each call the example prints its **compliance timeline**, worked
//! out from the session's events alone (what a host would write to its
//! audit log): every event with its tick and media time
//! ([`Session::media_time`]), then who listened to whom, in which mode,
//! from when to when and after which disclosure, and every refusal with who
//! asked for what and why. With `--json` it prints the raw events instead,
//! one JSON object per line with the call's number added (this needs the
//! crate's `serde` feature).

/// `println!` that does not panic when stdout is closed early (e.g. piped
/// into `head`).
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

#[path = "common/mod.rs"]
mod common;

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::Arc;

use barge::tone::Cadence;
use barge::{
    Audience, BeforeDisclosure, ConsentBy, Error, Event, Format, Grant, Identity, Join, Label,
    Mode, PartyId, Policy, Reason, Role, Session, ToneSpec,
};
use common::voice::conversation;

const USAGE: &str = "usage: compliance [--json]   (--json needs `--features serde`)";

/// The call's format: 8 kHz, 20 ms ticks.
const FORMAT: Format = Format::NARROWBAND_20MS;

/// The disclosure prompt, as a tone: 440 Hz for 1.5 s, to the customer.
const DISCLOSURE: ToneSpec = ToneSpec::single(440.0, -16.0, Cadence::once(1500));

const LEAD: Label = Label::from_static("team-lead");
const QA: Label = Label::from_static("qa");
const TEAM_A: Label = Label::from_static("team-a");
const TEAM_B: Label = Label::from_static("team-b");

fn main() -> ExitCode {
    let mut json = false;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--json" => json = true,
            "-h" | "--help" => {
                say!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            other => {
                eprintln!("compliance: unknown argument {other:?} ({USAGE})");
                return ExitCode::from(2);
            }
        }
    }
    if json && !cfg!(feature = "serde") {
        eprintln!(
            "compliance: --json prints the events as JSON, which needs the crate's `serde` \
             feature: cargo run -p barge-examples --features serde --example compliance -- --json"
        );
        return ExitCode::from(2);
    }
    let policy = Arc::new(centre_policy());
    let calls = match (first_call(&policy), second_call(&policy)) {
        (Ok(a), Ok(b)) => [a, b],
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("compliance: {e}");
            return ExitCode::from(1);
        }
    };
    if !json {
        say!("Policy: team leads may monitor, whisper and barge on their own team; QA may only");
        say!("monitor, on every agent; agent \"jordan\" opted out.\n");
    }
    for (n, call) in calls.iter().enumerate() {
        if json {
            print_json(n + 1, &call.events);
        } else {
            if n > 0 {
                say!();
            }
            say!("=== Call {}: {}", n + 1, call.title);
            print_timeline(&call.events, &call.session);
        }
    }
    ExitCode::SUCCESS
}

/// Team leads may monitor, whisper and barge on their own team; QA may
/// only monitor, on every agent; "jordan" opted out.
fn centre_policy() -> Policy {
    Policy::new()
        .grant(
            Grant::group(LEAD)
                .may([Mode::Monitor, Mode::Whisper, Mode::Barge])
                .on_own_team(),
        )
        .grant(Grant::group(QA).may(Mode::Monitor).on_every_agent())
        .opt_out(Label::from_static("jordan"))
}

fn person(key: &'static str, groups: &[Label]) -> Result<Identity, Error> {
    groups
        .iter()
        .try_fold(Identity::new(Label::from_static(key)), |id, &g| {
            id.with_group(g)
        })
}

/// What the host does at a tick of a scripted call.
enum Step {
    /// A supervisor asks to join in a mode.
    Join(&'static str, &'static [Label], Mode),
    /// A supervisor on the call asks for another mode.
    Switch(&'static str, Mode),
    Leave(&'static str),
    /// The host records the disclosure itself.
    Consent,
}

/// A call played to its end: its session and every event it recorded.
struct Played {
    title: &'static str,
    session: Session<i16>,
    events: Vec<Event>,
}

/// Plays `ticks` ticks of a call of a customer and `agent`, running the
/// host's `script`; refusals are expected and left on the audit trail.
fn play(
    title: &'static str,
    policy: &Arc<Policy>,
    before: BeforeDisclosure,
    agent: Identity,
    announce: bool,
    ticks: u64,
    script: &[(u64, Step)],
) -> Result<Played, Error> {
    let mut call = Session::<i16>::new(FORMAT);
    let mut events = Vec::new();
    call.set_policy(Some(Arc::clone(policy)))?;
    call.require_disclosure(before)?;
    let customer = call.join(Join::from(Role::Customer).identity(person("caller-1", &[])?))?;
    let agent = call.join(Join::from(Role::Agent).identity(agent))?;
    let mut host: Vec<PartyId> = vec![customer, agent];
    if announce {
        // The disclosure prompt, heard by the customer only.
        let prompt = call.join(Join::announcement(Audience::CUSTOMERS))?;
        call.set_disclosure(prompt)?;
        call.play(prompt, &DISCLOSURE)?;
        host.push(prompt);
    }
    let seconds = ticks as f64 * f64::from(FORMAT.ptime().ms()) / 1000.0;
    let [said_c, said_a, said_s] = conversation(FORMAT.rate().hz(), seconds, 1.5);
    let mut supervisors: BTreeMap<&str, PartyId> = BTreeMap::new();
    let spf = FORMAT.samples_per_frame();
    for tick in 0..ticks {
        for (_, step) in script.iter().filter(|(at, _)| *at == tick) {
            // A refusal is an answer, not a failure: it is on the trail.
            let result = match *step {
                Step::Join(key, groups, mode) => call
                    .join(Join::supervisor(mode).identity(person(key, groups)?))
                    .map(|id| {
                        supervisors.insert(key, id);
                    }),
                Step::Switch(key, mode) => call.set_mode(supervisors[key], mode),
                Step::Leave(key) => match supervisors.remove(key) {
                    Some(id) => call.leave(id),
                    None => Ok(()),
                },
                Step::Consent => {
                    call.record_consent();
                    Ok(())
                }
            };
            match result {
                Ok(()) | Err(Error::Refused { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        let at = tick as usize * spf..(tick as usize + 1) * spf;
        call.put_frame(customer, &said_c[at.clone()])?;
        call.put_frame(agent, &said_a[at.clone()])?;
        for &s in supervisors.values() {
            call.put_frame(s, &said_s[at.clone()])?;
        }
        call.mix();
        events.extend(std::iter::from_fn(|| call.poll_event()));
    }
    // The call ends: everyone hangs up.
    for id in supervisors.into_values().chain(host) {
        call.leave(id)?;
    }
    events.extend(std::iter::from_fn(|| call.poll_event()));
    Ok(Played {
        title,
        session: call,
        events,
    })
}

fn first_call(policy: &Arc<Policy>) -> Result<Played, Error> {
    play(
        "California, supervisors held silent until the disclosure prompt has played",
        policy,
        BeforeDisclosure::HoldSilent,
        person("alex", &[TEAM_A])?,
        true,
        300,
        &[
            (10, Step::Join("quinn", &[QA], Mode::Monitor)),
            (25, Step::Switch("quinn", Mode::Whisper)),
            (100, Step::Join("sam", &[LEAD, TEAM_A], Mode::Whisper)),
            (125, Step::Join("lee", &[LEAD, TEAM_B], Mode::Monitor)),
            (175, Step::Switch("sam", Mode::Barge)),
            (250, Step::Leave("sam")),
            (275, Step::Leave("quinn")),
        ],
    )
}

fn second_call(policy: &Arc<Policy>) -> Result<Played, Error> {
    play(
        "California, supervisors refused until the host records the disclosure; \
         the agent opted out",
        policy,
        BeforeDisclosure::RefuseJoins,
        person("jordan", &[TEAM_A])?,
        false,
        100,
        &[
            (10, Step::Join("quinn", &[QA], Mode::Monitor)),
            (50, Step::Consent),
            (60, Step::Join("quinn", &[QA], Mode::Monitor)),
            (70, Step::Join("sam", &[LEAD, TEAM_A], Mode::Monitor)),
        ],
    )
}

// --- The timeline, from the events alone --------------------------------------

/// A party as the events name it.
#[derive(Clone, Copy)]
struct Seen {
    role: Role,
    label: Option<Label>,
    mode: Option<Mode>,
}

fn name(parties: &BTreeMap<PartyId, Seen>, p: PartyId) -> String {
    match parties.get(&p) {
        Some(Seen {
            role,
            label: Some(l),
            ..
        }) => format!("{role} {:?}", l.as_str()),
        Some(Seen { role, .. }) => format!("{role} {p}"),
        None => format!("party {p}"),
    }
}

/// "tick 76 (1.52 s)".
fn when(session: &Session<i16>, at: u64) -> String {
    format!("tick {at} ({:.2} s)", session.media_time(at).as_secs_f64())
}

/// Who asked for what, and why it was refused.
fn refusal_text(r: &barge::Refusal) -> String {
    let who = match r.supervisor {
        Some(k) => format!("supervisor {:?}", k.as_str()),
        None => "a supervisor without a key".to_string(),
    };
    let on = match (r.agent, r.reason) {
        (_, Reason::ConsentPending) => String::new(),
        (Some(a), _) => format!(" on agent {:?}", a.as_str()),
        (None, _) => " on an agent without a key".to_string(),
    };
    format!("{who} asked for {}{on}; refused: {}", r.mode, r.reason)
}

/// What a supervisor does at some moment, as the events say.
#[derive(Clone, PartialEq)]
enum Doing {
    /// On the call before the disclosure: hears nothing.
    HeldSilent(Mode),
    /// Hears `heard`, is heard by `heard_by`.
    Listening {
        mode: Mode,
        heard: Vec<PartyId>,
        heard_by: Vec<PartyId>,
    },
    /// In a mode that hears nobody (private whisper).
    Deaf(Mode),
}

/// A disclosure: the tick from which it holds, and who recorded it.
type Disclosed = (u64, ConsentBy);

struct Interval {
    supervisor: PartyId,
    doing: Doing,
    from: u64,
    to: u64,
    /// The disclosure in force when it started: (tick, who recorded it).
    after: Option<Disclosed>,
}

/// What each supervisor on the call is doing, given who is on it and
/// whether the disclosure is pending.
fn doings(parties: &BTreeMap<PartyId, Seen>, pending: bool) -> BTreeMap<PartyId, Doing> {
    let call: Vec<PartyId> = parties
        .iter()
        .filter(|(_, s)| matches!(s.role, Role::Customer | Role::Agent))
        .map(|(&p, _)| p)
        .collect();
    parties
        .iter()
        .filter_map(|(&p, s)| Some((p, s.mode?)))
        .map(|(p, mode)| {
            let doing = if pending {
                Doing::HeldSilent(mode)
            } else if !mode.hears() {
                Doing::Deaf(mode)
            } else {
                let heard_by = call
                    .iter()
                    .copied()
                    .filter(|q| mode.heard_by(parties[q].role, false))
                    .collect();
                Doing::Listening {
                    mode,
                    heard: call.clone(),
                    heard_by,
                }
            };
            (p, doing)
        })
        .collect()
}

fn print_timeline(events: &[Event], session: &Session<i16>) {
    let mut parties: BTreeMap<PartyId, Seen> = BTreeMap::new();
    let mut named: BTreeMap<PartyId, Seen> = BTreeMap::new();
    let mut pending = false;
    let mut disclosure: Option<Disclosed> = None;
    // Per supervisor: what it does since when, after which disclosure.
    let mut open: BTreeMap<PartyId, (Doing, u64, Option<Disclosed>)> = BTreeMap::new();
    let mut intervals: Vec<Interval> = Vec::new();
    let mut refusals: Vec<(u64, String)> = Vec::new();
    say!("Audit trail (tick = 20 ms frame):");
    for e in events {
        let at = e.at();
        let line = match *e {
            Event::Joined {
                party,
                role,
                mode,
                label,
                ..
            } => {
                let seen = Seen { role, label, mode };
                parties.insert(party, seen);
                named.insert(party, seen);
                match mode {
                    Some(m) => format!("{} joined in {m}", name(&named, party)),
                    None => format!("{} joined", name(&named, party)),
                }
            }
            Event::Left { party, .. } => {
                parties.remove(&party);
                format!("{} left", name(&named, party))
            }
            Event::ModeChanged {
                party, from, to, ..
            } => {
                if let Some(s) = parties.get_mut(&party) {
                    s.mode = Some(to);
                }
                format!("{}: {from} -> {to}", name(&named, party))
            }
            Event::PolicySet { active: true, .. } => "policy set".to_string(),
            Event::PolicySet { active: false, .. } => "policy cleared".to_string(),
            Event::DisclosureRequired { before, .. } => {
                pending = true;
                let meanwhile = match before {
                    BeforeDisclosure::HoldSilent => "held silent",
                    BeforeDisclosure::RefuseJoins => "refused",
                };
                format!(
                    "disclosure required before anyone listens \
                     (supervisors who join meanwhile are {meanwhile})"
                )
            }
            Event::ConsentGiven { by, .. } => {
                pending = false;
                disclosure = Some((at, by));
                let how = match by {
                    ConsentBy::Host => "by the host (the customer agreed)".to_string(),
                    ConsentBy::Disclosure(p) => format!(
                        "by {}, which played to the customer to its end",
                        name(&named, p)
                    ),
                };
                format!("DISCLOSURE recorded {how}: supervisors may listen from here")
            }
            Event::Refused { refusal, .. } => {
                let text = refusal_text(&refusal);
                refusals.push((at, text.clone()));
                format!("REFUSED: {text}")
            }
            Event::ToneStarted { party, tone, .. } => format!(
                "{} plays a tone of {} ms",
                name(&named, party),
                tone.cadence().on_ms
            ),
            Event::ToneEnded {
                party, finished, ..
            } => format!(
                "{}'s tone {}",
                name(&named, party),
                if finished { "ended" } else { "was stopped" }
            ),
            ref other => format!("{other:?}"),
        };
        say!("  {:<18} {line}", when(session, at));
        // Close what changed, open what started.
        let now = doings(&parties, pending);
        let was: Vec<PartyId> = open.keys().copied().collect();
        for p in was {
            if now.get(&p) != open.get(&p).map(|(d, _, _)| d) {
                let (doing, from, after) = open.remove(&p).expect("open");
                if at > from {
                    intervals.push(Interval {
                        supervisor: p,
                        doing,
                        from,
                        to: at,
                        after,
                    });
                }
            }
        }
        for (p, doing) in now {
            open.entry(p).or_insert((doing, at, disclosure));
        }
    }

    intervals.sort_by_key(|i| (i.from, i.supervisor));
    say!("\nDisclosure:");
    match disclosure {
        Some((at, _)) => {
            let early = intervals
                .iter()
                .filter(|i| matches!(i.doing, Doing::Listening { .. }) && i.from < at)
                .count();
            say!(
                "  recorded at {}; listening intervals that start before it: {early}",
                when(session, at)
            );
        }
        None if pending => say!("  required, never recorded: nobody listened"),
        None => say!("  none required"),
    }
    say!("\nWho listened to whom:");
    if intervals.is_empty() {
        say!("  nobody");
    }
    for i in &intervals {
        let sup = name(&named, i.supervisor);
        let span = format!("from {} to {}", when(session, i.from), when(session, i.to));
        let list = |ps: &[PartyId]| {
            if ps.is_empty() {
                "nobody".to_string()
            } else {
                ps.iter()
                    .map(|&p| name(&named, p))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        match &i.doing {
            Doing::HeldSilent(mode) => {
                say!("  {sup} held silent in {mode} {span}: heard nothing, the disclosure was pending")
            }
            Doing::Deaf(mode) => say!("  {sup} in {mode} {span}: heard nobody"),
            Doing::Listening {
                mode,
                heard,
                heard_by,
            } => {
                let after = match i.after {
                    Some((at, _)) => format!("after the disclosure at {}", when(session, at)),
                    None => "no disclosure required".to_string(),
                };
                say!(
                    "  {sup} listened in {mode} {span} to {}; heard by {}; {after}",
                    list(heard),
                    list(heard_by)
                );
            }
        }
    }

    say!("\nRefusals:");
    if refusals.is_empty() {
        say!("  none");
    }
    for (at, text) in &refusals {
        say!("  {:<18} {text}", when(session, *at));
    }
}

#[cfg(feature = "serde")]
fn print_json(call: usize, events: &[Event]) {
    for e in events {
        let mut value = match serde_json::to_value(e) {
            Ok(v) => v,
            Err(err) => {
                eprintln!("compliance: an event did not serialize: {err}");
                continue;
            }
        };
        if let Some(fields) = value.as_object_mut() {
            fields.insert("call".to_string(), call.into());
        }
        say!("{value}");
    }
}

#[cfg(not(feature = "serde"))]
fn print_json(_call: usize, _events: &[Event]) {
    // `main` refuses `--json` without the feature before getting here.
}
