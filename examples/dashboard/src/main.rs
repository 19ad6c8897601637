//! The supervisor console: supervisors sign in, and monitor, whisper to or
//! barge into live calls from the browser, with their microphone and
//! speaker on WebRTC, as their grants allow.
//!
//! ```sh
//! cargo run --release -p barge-dashboard -- --config examples/sip/pbx.toml [--listen ADDR] [--record DIR]
//! cargo run --release -p barge-dashboard -- --config examples/sip/pbx.toml --pbx 127.0.0.1:5060
//! echo 'a new password' | cargo run --release -p barge-dashboard -- hash-password
//! ```
//!
//! It prints the address of its page (`http://127.0.0.1:8000/` unless
//! `--listen` or the config's `[console] listen` says otherwise). The page
//! asks for a user and a password first: the supervisors of the config
//! (the SIP example's file, `examples/sip/pbx.toml`, whose sample
//! passwords are `sam-sample-password`, `lee-sample-password` and
//! `quinn-sample-password`). It lists four simulated calls, each a customer
//! and an agent talking (the quickstart's synthesized voices, 8 kHz, 20 ms,
//! on scripts that loop: two calls going well, an agent who talks on for
//! 38 s, a customer who cuts in on the agent; `script.rs`), with each
//! party's mode and levels, updated five times a second. Each call's agent
//! is one of the config's extensions' agents (calls 1 and 2 team A's,
//! 3 and 4 team B's in the sample), and call 4's caller is from a state
//! whose law asks for a disclosure (the config's `[consent]` prefixes): it
//! plays one first, and shows "consent pending" until it has. Pick a call,
//! then Monitor, Whisper or Barge join it (or change mode), Leave leaves it
//! and Hang up ends the browser's connection; the call's audit trail shows
//! each change at the tick it takes effect. The first of these buttons asks
//! for the microphone and connects the browser by WebRTC: the supervisor
//! hears the call in the browser and, in whisper and barge, is heard on it.
//!
//! # Who may do what
//!
//! Every join and mode change is made as the signed-in supervisor's barge
//! identity (its key and groups from the config), on calls that carry the
//! config's policy: barge decides, and the audit trail names the person.
//! The page disables the buttons the supervisor may not use on the
//! selected call and says why: for a supervisor on the call, barge's
//! [`barge::Session::modes_for`]; for one who is not, what a join would
//! check (the consent gate, then [`barge::Policy::allows_on_call`]). In the
//! sample a team lead may monitor, whisper and barge on their own team's
//! calls and QA may only monitor. A request forced past the page is refused
//! by barge ([`barge::Error::Refused`]): 403, nothing changes, and the
//! refusal is on the call's audit trail ([`barge::Event::Refused`]).
//!
//! Sign-in (`auth.rs`, `web.rs`): argon2 password hashes; a random session
//! token in a cookie that is `HttpOnly`, `SameSite=Strict`, and `Secure`
//! with the `__Host-` prefix over TLS; every `POST` must carry the
//! sign-in's CSRF token (`X-CSRF-Token`) and come from the console's own
//! origin (`Origin`, `Sec-Fetch-Site`); requests must name the console's
//! host; failed sign-ins are slowed down per user (after 3 in a row: 1 s,
//! then 2, 4, … up to 5 minutes) and per address (after 10), and the right
//! password still signs in once the wait is over. Sign-ins last
//! `[console] session_seconds` (8 hours by default).
//!
//! Plain HTTP only on loopback (`tls.rs`): on any other address the
//! console serves HTTPS only, with the config's `tls_cert` and `tls_key`
//! or a certificate it makes when it starts (`self_signed = true`; it
//! prints the SHA-256 fingerprint to compare with the browser's), and
//! refuses to start otherwise, in one line.
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
//!            axum on tokio (web.rs)                     media loop (one thread, media.rs)
//!  browser ── POST /login, GET /me ── sign-ins, throttle
//!          ── GET /  /state  /events (SSE) ◄─────────── published every 200 ms (watch) ◄──┐
//!          ── POST /calls/N/{monitor,whisper,barge,leave,silence,talk}                   │
//!          ── POST /offer (SDP), /hangup ─ commands (mpsc) ─►  every 20 ms:               │
//!                                                              4 × Session::mix_frames ───┘
//!          ◄═ UDP: ICE, DTLS-SRTP, Opus RTP ══════════════►  one str0m Rtc + opus-rs per browser
//! ```
//!
//! - **One media loop** owns all four [`barge::Session`]s, the UDP socket
//!   and every signed-in browser's WebRTC peer. It ticks every 20 ms on a
//!   deadline (late ticks are not made up in a burst: the schedule
//!   restarts from now). Between ticks it waits on the socket for at most
//!   the time to the next tick or to str0m's next timeout, hands what
//!   arrives to the peer that accepts it (`Rtc::accepts`), and drains
//!   `poll_output` (datagrams to send, events, the next timeout): both
//!   libraries are sans-IO, and this loop is their host. At each tick every
//!   call mixes one frame with [`barge::Session::mix_frames`], borrowing the
//!   scripted voices where they lie, with the decoded frame of each
//!   supervisor on it; what each supervisor heard is Opus-encoded and sent
//!   to its browser. Each call then takes its alerts and updates what needs
//!   attention. Several supervisors may be on one call or on different
//!   calls; one who hangs up (or whose browser goes away, or whose sign-in
//!   ends) leaves its call, which goes on.
//! - **The web server** (axum on tokio, with rustls through axum-server
//!   where it serves TLS) checks the sign-in of each request and sends the
//!   media loop a command with a reply channel; the loop applies it between
//!   two ticks, so a mode change takes effect at the next mix, as `barge`
//!   specifies. The loop publishes the calls, and for each supervisor
//!   where it is and what it may do, every 200 ms; `/state` returns the
//!   signed-in supervisor's view and `/events` streams it (server-sent
//!   events) to the page.
//! - **The 48 kHz leg**: the call mixes at 8 kHz; each supervisor joins it
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
//! # Live calls: `--pbx`
//!
//! With `--pbx IP:PORT` the console runs the SIP example's PBX in its own
//! process, on the same config, listening for SIP there
//! ([`barge_sip::start`], on the console's tokio runtime), and lists the
//! PBX's live calls instead of the simulated ones: each bridged call with
//! its extension, caller, parties (the phones' and the console's
//! supervisors), their modes and levels, its call signals, its consent
//! state and the last lines of its timeline. The calls ARE the PBX's
//! sessions: each call's own task publishes its view five times a second
//! and takes the console's joins, mode changes and leaves between two of
//! its ticks, as the supervisor's identity under the config's policy
//! (`live.rs`). A supervisor on a live call has its 48 kHz leg in that
//! call's session; the media loop hands the call the browser's frames and
//! takes what the supervisor hears through bounded channels, never
//! waiting on the call (nor the call on it). Leaving or hanging up takes
//! the supervisor off; the phones' call goes on. A live call is numbered
//! 100 + the PBX's number for it on the page and in `/calls/N/…`.
//!
//! `--record DIR` (for `tests/browser.rs`) writes what every party
//! said and heard, and a log of requests and audit events; `POST /quit`
//! (signed in) then completes the files and ends the program (see
//! `record.rs`).

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
mod auth;
mod calls;
#[path = "../../common/mod.rs"]
mod common;
mod live;
mod media;
mod peer;
mod record;
mod script;
mod tls;
mod web;

use std::io::BufRead as _;
use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use barge::{Identity, Label};
use barge_sip::config::Config;
use calls::{SimCall, CALLS};
use media::{Live, MediaLoop, Published};
use record::Recorder;

const USAGE: &str =
    "usage: dashboard --config FILE [--listen ADDR] [--record DIR] [--pbx IP:PORT]   \
     (ADDR: the config's [console] listen, else 127.0.0.1:8000; --pbx: run the SIP example's PBX \
     there and list its live calls)\n       \
     dashboard hash-password   (reads a password on stdin, prints its argon2 hash)";
const TICK: Duration = Duration::from_millis(20);
/// How long a sign-in lasts unless the config says otherwise: 8 hours.
const SIGN_IN_LASTS: Duration = Duration::from_secs(8 * 3600);

/// The command line.
#[derive(Debug, PartialEq)]
enum Args {
    /// Serve the console.
    Serve {
        config: PathBuf,
        listen: Option<SocketAddr>,
        record: Option<PathBuf>,
        /// Run the PBX, listening for SIP here.
        pbx: Option<SocketAddr>,
    },
    /// Print the hash of the password on stdin.
    HashPassword,
    /// Print the usage.
    Help,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut config = None;
    let mut listen = None;
    let mut record = None;
    let mut pbx = None;
    let mut first = true;
    while let Some(arg) = args.next() {
        if first && arg == "hash-password" {
            return match args.next() {
                None => Ok(Args::HashPassword),
                Some(other) => Err(format!("hash-password takes no argument, got {other:?}")),
            };
        }
        first = false;
        let (flag, value) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg, None),
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(Args::Help),
            "--listen" | "--record" | "--config" | "--pbx" => {
                let value = match value.or_else(|| args.next()) {
                    Some(v) if !v.is_empty() => v,
                    _ => return Err(format!("{flag} needs a value")),
                };
                let twice = match flag.as_str() {
                    "--listen" => {
                        let addr = value.parse().map_err(|_| {
                            format!("--listen {value:?} is not an address like 127.0.0.1:8000")
                        })?;
                        listen.replace(addr).is_some()
                    }
                    "--pbx" => {
                        let addr: SocketAddr = value.parse().map_err(|_| {
                            format!("--pbx {value:?} is not an address like 127.0.0.1:5060")
                        })?;
                        if addr.ip().is_unspecified() {
                            return Err(format!(
                                "--pbx {value:?}: expected an address of this host (the SIP stack \
                                 advertises the address it listens on)"
                            ));
                        }
                        pbx.replace(addr).is_some()
                    }
                    "--config" => config.replace(PathBuf::from(value)).is_some(),
                    _ => record.replace(PathBuf::from(value)).is_some(),
                };
                if twice {
                    return Err(format!("{flag} is given twice"));
                }
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    let config = config.ok_or(
        "expected --config FILE: the deployment's config, with the supervisors who may sign in \
         (examples/sip/pbx.toml is a sample)",
    )?;
    Ok(Args::Serve {
        config,
        listen,
        record,
        pbx,
    })
}

fn main() -> ExitCode {
    let (config, listen, record, pbx) = match parse_args(std::env::args().skip(1)) {
        Ok(Args::Serve {
            config,
            listen,
            record,
            pbx,
        }) => (config, listen, record, pbx),
        Ok(Args::Help) => {
            say!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Ok(Args::HashPassword) => return hash_password(),
        Err(message) => {
            eprintln!("dashboard: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let config = match std::fs::read_to_string(&config)
        .map_err(|e| format!("cannot read {}: {e}", config.display()))
        .and_then(|text| Config::parse(&text).map_err(|e| format!("{}: {e}", config.display())))
    {
        Ok(c) => c,
        Err(message) => {
            eprintln!("dashboard: {message}");
            return ExitCode::from(2);
        }
    };
    let listen = listen
        .or(config.console.listen)
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8000)));
    // Before anything listens: plain HTTP on loopback only.
    if let Some(why) = tls::refusal(listen, &config.console) {
        eprintln!("dashboard: {why}");
        return ExitCode::from(2);
    }
    match run(config, listen, record, pbx) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("dashboard: {message}");
            ExitCode::from(1)
        }
    }
}

/// `dashboard hash-password`: the argon2id hash (PHC string) of the first
/// line of stdin, for a supervisor's `password_hash`.
fn hash_password() -> ExitCode {
    let mut line = String::new();
    if std::io::stdin().lock().read_line(&mut line).is_err() {
        eprintln!("dashboard: cannot read a password from stdin");
        return ExitCode::from(1);
    }
    let password = line.trim_end_matches(['\r', '\n']);
    if password.is_empty() {
        eprintln!("dashboard: expected a password on stdin, got an empty line");
        return ExitCode::from(2);
    }
    match auth::hash_password(password) {
        Ok(hash) => {
            say!("{hash}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("dashboard: {e}");
            ExitCode::from(1)
        }
    }
}

/// The simulated calls' agents: the config's extensions' agents in turn
/// (call 1 the first extension's, …), or demo agents on team `team-a`
/// where the config has no extension.
fn agents(config: &Config) -> Result<Vec<Identity>, String> {
    let from_config: Vec<Identity> = config.extensions.values().map(|e| e.agent).collect();
    (0..CALLS)
        .map(|i| match from_config.get(i % from_config.len().max(1)) {
            Some(agent) => Ok(*agent),
            None => {
                let key = Label::new(&format!("agent-{}", i + 1)).map_err(|e| e.to_string())?;
                let team = Label::new("team-a").map_err(|e| e.to_string())?;
                Identity::new(key)
                    .with_group(team)
                    .map_err(|e| e.to_string())
            }
        })
        .collect()
}

fn run(
    config: Config,
    listen: SocketAddr,
    record: Option<PathBuf>,
    pbx: Option<SocketAddr>,
) -> Result<(), String> {
    let users = auth::Users::new(&config)?;
    if users.len() == 0 {
        return Err(
            "no supervisor in the config has a password_hash: nobody could sign in \
             (make one with `dashboard hash-password`)"
                .into(),
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let serving = runtime.block_on(tls::serving(listen, &config.console))?;
    let listener =
        TcpListener::bind(listen).map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    // The media socket: the one ICE candidate every browser is told of.
    let socket = UdpSocket::bind(SocketAddr::new(addr.ip(), 0))
        .map_err(|e| format!("cannot bind a UDP socket on {}: {e}", addr.ip()))?;
    let recorder = record.as_deref().map(Recorder::new).transpose()?;
    let recording = recorder.is_some();
    // With a PBX, its live calls; else the simulated ones.
    let simulated = if pbx.is_some() { 0 } else { CALLS };
    let calls = agents(&config)?
        .into_iter()
        .take(simulated)
        .enumerate()
        .map(|(i, agent)| {
            let disclose = config.needs_disclosure(calls::CALLERS[i]);
            SimCall::new(i + 1, agent, config.policy.clone(), disclose)
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    let (published, snapshot) = tokio::sync::watch::channel(Arc::new(Published::default()));
    let (commands, inbox) = mpsc::channel();
    // The PBX runs as long as the console (its tasks on the runtime).
    let (live, _pbx) = match pbx {
        Some(sip) => {
            let running = runtime.block_on(barge_sip::start(config.clone(), sip))?;
            say!(
                "dashboard: the PBX listens for SIP on udp {sip}: {} extensions; \
                 its live calls are listed",
                config.extensions.len()
            );
            let live = Live {
                pbx: running.pbx.clone(),
                runtime: runtime.handle().clone(),
                inbox: commands.clone(),
                policy: config.policy.clone(),
            };
            (Some(live), Some(running))
        }
        None => (None, None),
    };
    let media = MediaLoop::new(calls, socket, recorder, published, live);
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

    let tls = matches!(serving, tls::Serving::Tls { .. });
    let app = Arc::new(web::App {
        users,
        sign_ins: Mutex::default(),
        throttle: Mutex::default(),
        checks: tokio::sync::Semaphore::new(web::CHECKS),
        tls,
        hostnames: config.console.hostnames.clone(),
        sign_in_lasts: config
            .console
            .session_seconds
            .map_or(SIGN_IN_LASTS, Duration::from_secs),
        commands,
        snapshot,
        recording,
        stop: axum_server::Handle::new(),
    });
    let scheme = if tls { "https" } else { "http" };
    if let tls::Serving::Tls { about, .. } = &serving {
        say!("dashboard: HTTPS with {about}");
    }
    say!(
        "dashboard: {}, {} supervisors may sign in; open {scheme}://{addr}/ in a browser (Ctrl-C to stop)",
        if pbx.is_some() {
            "the PBX's live calls".to_string()
        } else {
            format!("{CALLS} simulated calls")
        },
        app.users.len()
    );
    runtime.block_on(web::serve(app, listener, serving))
}
#[cfg(test)]
mod test {
    use super::*;

    fn parse(args: &[&str]) -> Result<Args, String> {
        parse_args(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn a_config_is_needed_and_the_rest_is_optional() {
        let args = parse(&["--config", "pbx.toml"]).unwrap();
        assert_eq!(
            args,
            Args::Serve {
                config: PathBuf::from("pbx.toml"),
                listen: None,
                record: None,
                pbx: None
            }
        );
        let args = parse(&[
            "--listen",
            "192.0.2.1:9000",
            "--record=out",
            "--config=c.toml",
        ])
        .unwrap();
        assert_eq!(
            args,
            Args::Serve {
                config: PathBuf::from("c.toml"),
                listen: Some("192.0.2.1:9000".parse().unwrap()),
                record: Some(PathBuf::from("out")),
                pbx: None
            }
        );
        assert_eq!(parse(&["hash-password"]), Ok(Args::HashPassword));
    }

    #[test]
    fn bad_arguments_are_refused() {
        assert!(parse(&[]).unwrap_err().contains("expected --config FILE"));
        assert!(parse(&["--config", "c", "--listen", "nowhere"]).is_err());
        assert!(parse(&["--config", "c", "--listen"]).is_err());
        assert!(parse(&["--config", "c", "--record", "a", "--record", "b"]).is_err());
        assert!(parse(&["--config", "c", "--loud"]).is_err());
        assert!(parse(&["hash-password", "x"]).is_err());
        assert!(parse(&["--config", "c", "--pbx", "0.0.0.0:5060"])
            .unwrap_err()
            .contains("an address of this host"));
        assert!(matches!(
            parse(&["--config", "c", "--pbx", "127.0.0.1:5060"]),
            Ok(Args::Serve { pbx: Some(_), .. })
        ));
        assert_eq!(parse(&["-h"]), Ok(Args::Help));
    }

    #[test]
    fn simulated_calls_take_the_configs_agents_in_turn() {
        let config = Config::parse(include_str!("../../sip/pbx.toml")).unwrap();
        let keys: Vec<String> = agents(&config)
            .unwrap()
            .iter()
            .map(|a| a.key().to_string())
            .collect();
        assert_eq!(keys, ["alex", "blake", "casey", "drew"]);
        let none = agents(&Config::parse("").unwrap()).unwrap();
        assert_eq!(none[3].key().as_str(), "agent-4");
    }
}
