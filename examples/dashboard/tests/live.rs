//! The console with the PBX in its own process (`--pbx`), real SIP phones
//! and a real browser: the SIP example's baresip phones (a customer dials
//! extension 1001, the agent's phone answers), headless Chromium driven
//! over WebDriver, in a network namespace of the test's own where nothing
//! but loopback exists (the SIP example's `tests/common`).
//!
//! - A team lead (sam, team A's) signs in and finds the live call listed
//!   with its parties and its call signals; picks it and monitors, barges,
//!   monitors again from the browser, whose fake microphone plays the
//!   supervisor's voice (a chord no phone's voice uses); then hangs up, and
//!   the phones' call goes on without the supervisor.
//! - A QA user (quinn) on the same console, in a second browser, finds
//!   Whisper and Barge disabled on that call, saying why; the same barge
//!   forced past the page is refused with 403.
//! - From the customer's phone's own recording: the supervisor's voice is
//!   there in barge (at least −20 dB of it as the browser sent it) and not
//!   in monitor (below −30 dB, and 20 dB under its level in barge); the
//!   agent's phone hears it in barge too.
//! - When the customer hangs up, the call leaves the list.
//!
//! It takes a screenshot of sam's page in barge
//! (`target/tmp/dashboard-live/screenshot.png`).
//!
//! Needs baresip, chromium and chromedriver, and `unshare`; where one is
//! missing the test says so and passes, unless `CI` is set (as in
//! `.ci/run`, which installs them): then it fails.

#[path = "../../sip/tests/common/mod.rs"]
mod sip;
mod support;

use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use sip::{db, in_own_netns, write_wav, Baresip, Lines, PhoneSetup, Processes, Recording, Voice};
use sip::{AGENT, CUSTOMER, SUPERVISOR};
use support::{chromedriver_ready, wait_for, which, Browser};

/// The live call's number on the page: the PBX's first call.
const CALL: u64 = 101;
/// Packets of 20 ms the browser receives in each phase (4 s).
const PHASE_PACKETS: u64 = 200;
/// The supervisor's voice where a phone must hear it, and where not,
/// relative to its level as the browser's microphone plays it.
const HEARD: f64 = 0.1;
const ABSENT: f64 = 0.0316;

/// What this test asks of the page beyond the shared WebDriver session.
impl Browser {
    /// The live call as the page last received it, if it is listed.
    fn live_call(&self) -> Option<Value> {
        let state = self.state();
        state["calls"]
            .as_array()?
            .iter()
            .find(|c| c["n"] == json!(CALL))
            .cloned()
    }

    /// Waits until the supervisor is on the call in `mode`, then until
    /// its browser has received `packets` more packets of it; returns
    /// when the mode showed.
    fn hold(&self, mode: &str, packets: u64, deadline: Instant) -> Instant {
        let (at, from) = wait_for(deadline, &format!("{mode} on call {CALL}"), || {
            let me = self.state()["supervisor"].clone();
            if me["call"] == json!(CALL) && me["mode"] == json!(mode) && me["webrtc"] == "connected"
            {
                Ok((Instant::now(), me["packets_in"].as_u64().unwrap_or(0)))
            } else {
                Err(me)
            }
        });
        wait_for(deadline, &format!("{packets} packets in {mode}"), || {
            let me = self.state()["supervisor"].clone();
            let now = me["packets_in"].as_u64().unwrap_or(0);
            if me["mode"] != json!(mode) {
                panic!("the mode changed by itself: {me}");
            }
            if now >= from + packets {
                Ok(())
            } else {
                Err(now)
            }
        });
        at
    }
}

fn phone<'a>(name: &'a str, user: &'a str, port: u16, voice: Voice) -> PhoneSetup<'a> {
    PhoneSetup {
        name,
        user,
        sip_port: port,
        ctrl_port: port - 1000,
        codec: "PCMU/8000/1",
        voice,
        seconds: 240.0,
    }
}

#[test]
fn a_team_lead_barges_into_a_live_call_from_the_browser_and_qa_may_only_listen() {
    let test = "a_team_lead_barges_into_a_live_call_from_the_browser_and_qa_may_only_listen";
    if !in_own_netns(test, &["baresip", "chromedriver"]) {
        return;
    }
    let chromium = which("chromium")
        .or_else(|| which("chromium-browser"))
        .expect("chromium (Debian: apt-get install chromium chromium-driver)");
    let deadline = Instant::now() + Duration::from_secs(240);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("dashboard-live");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("the test's directory");
    let mic = dir.join("supervisor-mic.wav");
    write_wav(&mic, 48000, &SUPERVISOR.samples(48000, 20.0));
    let mut p = Processes::default();

    // The console, with the PBX in it, on the sample config.
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sip/pbx.toml");
    let console = p.spawn(
        "dashboard",
        Command::new(env!("CARGO_BIN_EXE_dashboard"))
            .args([
                "--listen",
                "127.0.0.1:0",
                "--pbx",
                "127.0.0.1:5060",
                "--config",
            ])
            .arg(&config)
            .stdout(Stdio::piped()),
    );
    let mut out = Lines::new(console.stdout.take().expect("piped"));
    out.wait_for("the PBX listens for SIP", deadline, "the console");
    let (_, line) = out.wait_for("http://", deadline, "the console");
    let page = line[line.find("http://").expect("a URL")..]
        .split_whitespace()
        .next()
        .expect("a URL")
        .to_string();
    let app: SocketAddr = page
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .expect("the console's address");

    // Two phones in a call through it.
    let mut agent = Baresip::start(&mut p, &dir, &phone("agent", "alex", 5072, AGENT));
    let mut customer = Baresip::start(&mut p, &dir, &phone("customer", "5550100", 5070, CUSTOMER));
    customer.command("dial", "sip:1001@127.0.0.1:5060");
    let (c0, _) = customer.wait_event("CALL_ESTABLISHED", deadline);
    let (a0, _) = agent.wait_event("CALL_ESTABLISHED", deadline);
    out.wait_for("bridged", deadline, "the console's PBX");

    // Two browsers: the team lead's and QA's.
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    p.spawn(
        "chromedriver",
        Command::new(which("chromedriver").expect("chromedriver"))
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    );
    let driver = SocketAddr::from(([127, 0, 0, 1], port));
    chromedriver_ready(driver, deadline);
    let sam = Browser::open(
        driver,
        &chromium,
        &page,
        &dir.join("sam-profile"),
        Some(&mic),
    );
    sam.sign_in("sam", "sam-sample-password", deadline);
    let quinn = Browser::open(
        driver,
        &chromium,
        &page,
        &dir.join("quinn-profile"),
        Some(&mic),
    );
    quinn.sign_in("quinn", "quinn-sample-password", deadline);

    // The live call is listed, with its parties and its signals.
    // (The phones' steady chords are not speech to barge's voice activity
    // detector: the signals count the call's time, and no talk.)
    let listed = wait_for(deadline, "the live call listed with 1 s of signals", || {
        let call = sam.live_call().ok_or_else(|| sam.state())?;
        if call["signals"]["elapsed_ms"].as_u64().unwrap_or(0) >= 1000 {
            Ok(call)
        } else {
            Err(call)
        }
    });
    println!("{test}: listed: {listed}");
    for field in ["customer", "agent", "dead_air_ms", "agent_share"] {
        assert!(
            listed["signals"].get(field).is_some(),
            "no {field} in the signals: {listed}"
        );
    }
    assert_eq!(listed["live"], json!(true), "{listed}");
    assert_eq!(listed["caller"], json!("5550100"), "{listed}");
    let parties: Vec<(String, String)> = listed["parties"]
        .as_array()
        .expect("parties")
        .iter()
        .map(|p| {
            (
                p["role"].as_str().unwrap_or_default().to_string(),
                p["who"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(
        parties,
        [
            ("customer".to_string(), "5550100".to_string()),
            ("agent".to_string(), "alex".to_string())
        ],
        "{listed}"
    );
    assert!(sam.find(&format!("#call-{CALL}")).is_some(), "no card");

    // QA may only listen: Whisper and Barge disabled, saying why, and a
    // forced barge refused.
    quinn.click(&format!("#call-{CALL}"), deadline);
    quinn.assert_may_only_listen(deadline);
    let (status, body) = quinn.forced_post(app, &format!("/calls/{CALL}/barge"));
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("may not use"), "{body}");

    // The team lead monitors, barges, monitors, from the browser.
    sam.click(&format!("#call-{CALL}"), deadline);
    sam.click("#btn-monitor", deadline);
    let mut phases = vec![(sam.hold("monitor", PHASE_PACKETS, deadline), "monitor")];
    sam.click("#btn-barge", deadline);
    phases.push((sam.hold("barge", PHASE_PACKETS, deadline), "barge"));
    sam.screenshot(&dir.join("screenshot.png"));
    sam.click("#btn-monitor", deadline);
    phases.push((sam.hold("monitor", PHASE_PACKETS, deadline), "monitor"));
    let end = Instant::now();

    // Sam hangs up: the phones' call goes on without a supervisor.
    sam.click("#btn-hangup", deadline);
    let after = wait_for(deadline, "sam off the call", || {
        let call = sam.live_call().ok_or("the call is gone")?;
        let roles: Vec<&str> = call["parties"]
            .as_array()
            .map(|ps| ps.iter().filter_map(|p| p["role"].as_str()).collect())
            .unwrap_or_default();
        if roles == ["customer", "agent"] {
            Ok(call)
        } else {
            Err("sam is still on it")
        }
    });
    assert!(
        !customer
            .seen
            .iter()
            .any(|(_, v)| v["type"] == "CALL_CLOSED"),
        "the customer's call closed: {after}"
    );
    let events = after["events"].to_string();
    assert!(events.contains("refused"), "quinn's refusal: {events}");
    // The phones talk on for 3 s of the call's audio.
    let left = Instant::now();
    let elapsed = |c: &Value| c["signals"]["elapsed_ms"].as_u64().unwrap_or(0);
    let since = elapsed(&after);
    wait_for(deadline, "3 s more of the call", || {
        let call = sam.live_call().ok_or("the call is gone")?;
        if elapsed(&call) >= since + 3000 {
            Ok(())
        } else {
            Err("not yet")
        }
    });
    let hung = Instant::now();

    // The customer hangs up: the call leaves the list.
    customer.command("hangup", "");
    agent.wait_event("CALL_CLOSED", deadline);
    wait_for(
        deadline,
        "the ended call gone from the list",
        || match sam.live_call() {
            None if sam.find(&format!("#call-{CALL}")).is_none() => Ok(()),
            other => Err(other),
        },
    );
    for ph in [&mut customer, &mut agent] {
        ph.command("quit", "");
    }
    for name in ["customer", "agent"] {
        p.wait(name, deadline);
    }

    // Who heard the supervisor, from the phones' own recordings.
    let recordings = [
        ("customer", Recording::of(&customer, c0)),
        ("agent", Recording::of(&agent, a0)),
    ];
    let mut levels = Vec::new();
    for (i, (from, mode)) in phases.iter().enumerate() {
        let to = phases.get(i + 1).map_or(end, |p| p.0);
        for (name, r) in &recordings {
            let x = r.window(*from, to);
            assert!(
                x.len() as f64 >= f64::from(r.rate) * 1.5,
                "{name}'s recording is short in phase {i} ({mode})"
            );
            let level = SUPERVISOR.level_in(x, r.rate);
            println!(
                "{test}: phase {i} {mode:>7}: {name:>8} hears the supervisor at {:6.1} dB, \
                 the customer at {:6.1} dB, the agent at {:6.1} dB",
                db(level),
                db(CUSTOMER.level_in(x, r.rate)),
                db(AGENT.level_in(x, r.rate))
            );
            levels.push((i, *mode, *name, level));
        }
    }
    let at = |phase: usize, name: &str| {
        levels
            .iter()
            .find(|l| l.0 == phase && l.2 == name)
            .map(|l| l.3)
            .expect("measured")
    };
    for name in ["customer", "agent"] {
        assert!(
            at(1, name) >= HEARD,
            "the {name} does not hear the supervisor in barge: {:.1} dB",
            db(at(1, name))
        );
        for phase in [0, 2] {
            assert!(
                at(phase, name) <= ABSENT,
                "the {name} hears the supervisor in monitor (phase {phase}): {:.1} dB",
                db(at(phase, name))
            );
            assert!(at(phase, name) * 10.0 <= at(1, name));
        }
    }
    // The call went on after sam left: the customer and the agent hear
    // each other, and nobody else.
    for (name, r) in &recordings {
        let x = r.window(left, hung);
        let other = if *name == "customer" { AGENT } else { CUSTOMER };
        let (heard, sup) = (other.level_in(x, r.rate), SUPERVISOR.level_in(x, r.rate));
        println!(
            "{test}: after the hang-up: {name:>8} hears the other at {:.1} dB, the supervisor at {:.1} dB",
            db(heard),
            db(sup)
        );
        assert!(
            heard >= 0.5,
            "the {name} hears the other at {:.1} dB",
            db(heard)
        );
        assert!(sup <= ABSENT, "the {name} still hears the supervisor");
    }
}
