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

use barge::audit::Timeline;
use barge::tone::Cadence;
use barge::{
    Audience, BeforeDisclosure, Error, Event, Format, Grant, Identity, Join, Label, Mode, PartyId,
    Policy, Role, Session, ToneSpec,
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
            print_timeline(&call.events);
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
    Ok(Played { title, events })
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

/// The call's audit trail and its compliance report, from the events
/// alone, as `barge::audit::Timeline` folds them.
fn print_timeline(events: &[Event]) {
    let mut timeline = Timeline::new(FORMAT);
    say!("Audit trail (tick = {} ms frame):", FORMAT.ptime().ms());
    for e in events {
        say!("  {}", timeline.push(e));
    }
    say!("\n{}", timeline.report());
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
