//! The dashboard example in a real browser: headless Chromium, driven over
//! WebDriver as a supervisor would use the page, with a fake microphone that
//! plays a known voice.
//!
//! The test writes the supervisor's synthesized voice (48 kHz) to a WAV
//! file that Chromium plays as its microphone, starts the example with
//! `--record`, loads the page, picks call 2 and clicks Whisper (which
//! connects the microphone and speaker by WebRTC), then Barge, then
//! Monitor, each for a few seconds of the supervisor's audio, and takes a
//! screenshot (`target/tmp/dashboard/screenshot.png`). Then it proves from what
//! the example recorded of call 2:
//!
//! - exactly, sample for sample: while no mode lets a party hear the
//!   supervisor, that party hears what the other party said and nothing
//!   else: the customer before the supervisor joins (after the first
//!   tick, in which the call's own routes ramp open), in whisper and in
//!   monitor; the agent before the join and in monitor;
//! - against the known file: in whisper what the agent heard beyond the
//!   customer is the supervisor's voice (found by cross-correlation: the
//!   browser, Opus and the jitter queue delay it), in barge both parties'
//!   is, in monitor neither's is;
//! - with the quickstart's least-squares fit, against what the
//!   supervisor's leg handed to the session (the browser's decoded Opus)
//!   resampled as the session resamples it: each party hears the supervisor
//!   at 1.00 where the mode lets it and 0.00 where not;
//! - and the browser receives the call: the level the page measures with
//!   an AnalyserNode on the received track.
//!
//! A second test lists the calls as the page does, has the last one that
//! needs no attention go silent (its "Go silent" button), and waits until
//! the page lists it first, saying "dead air"; then "Talk again", and the
//! reason goes.
//!
//! Needs Debian's `chromium` and `chromium-driver`. Where they are missing
//! the test says so and passes, unless `CI` is set (as in `.ci/run`, which
//! installs them): then it fails. Every wait has a deadline; every process
//! it starts (the example, chromedriver and the browser it starts, in one
//! process group) is stopped on every way out.

#[path = "../../common/mod.rs"]
mod common;
mod support;

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Mutex};
use std::time::{Duration, Instant};

use barge::resample::Resampler;
use barge::SampleRate;
use common::measure::fit;
use common::voice::Voice;
use common::wav::{read_mono16, write_mono16};
use serde_json::{json, Value};
use support::{chromedriver_ready, http, sample_config, wait_for, which, Browser};
use wait_timeout::ChildExt;

/// The call the test supervises (1-based, as on the page).
const CALL: usize = 2;
/// The supervisor's audio, in packets of 20 ms, each mode lasts at least.
const PHASE_PACKETS: u64 = 250;
/// The supervisor's script (loops in the fake microphone), seconds.
const MIC_SECONDS: f64 = 8.0;
const MIC_RATE: u32 = 48000;
/// 8 kHz samples per 20 ms tick.
const SPF: usize = 160;
/// A voice is "there" when its normalized correlation with the known file
/// reaches this (Opus-coded, resampled to 8 kHz: about 0.9 measured).
const CORRELATED: f64 = 0.6;
/// A level at least this high in the browser means it hears the call.
const HEARD_DBFS: f64 = -40.0;

/// Stops every process started when dropped: the WebDriver session first
/// (so that chromedriver closes the browser), then each child's process
/// group (chromedriver's holds the browser).
#[derive(Default)]
struct Processes {
    children: Vec<(String, Child)>,
    webdriver_sessions: Vec<(SocketAddr, String)>,
}

impl Processes {
    fn spawn(&mut self, name: &str, cmd: &mut Command) -> &mut Child {
        cmd.process_group(0);
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        self.children.push((name.to_string(), child));
        &mut self.children.last_mut().expect("just pushed").1
    }
}

impl Drop for Processes {
    fn drop(&mut self) {
        for (driver, session) in self.webdriver_sessions.drain(..) {
            let _ = http(
                driver,
                "DELETE",
                &format!("/session/{session}"),
                &[],
                "",
                10,
            );
        }
        for (_, child) in self.children.iter_mut().rev() {
            if let Ok(None) = child.try_wait() {
                // The whole group: chromedriver's browser is in it.
                let _ = Command::new("kill")
                    .args(["-KILL", "--", &format!("-{}", child.id())])
                    .stderr(Stdio::null())
                    .status();
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }
}

/// A free loopback TCP port (for chromedriver).
fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    l.local_addr().expect("its address").port()
}

/// The supervisor's voice: long utterances with short pauses, so that
/// every phase of a few seconds has much of it.
fn supervisor_voice() -> Vec<i16> {
    let plan = [(0.2, 1.7), (2.2, 1.3), (3.8, 1.9), (6.0, 1.6)];
    Voice::Supervisor.speak(MIC_RATE, MIC_SECONDS, &plan)
}

/// `target/tmp/NAME`, emptied for one test's run (the example's
/// recording, the browsers' profiles, the screenshot).
fn fresh_dir(name: &str) -> PathBuf {
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).unwrap_or_else(|e| panic!("create {}: {e}", out.display()));
    out
}

/// Writes the supervisor's voice to `dir/supervisor-mic.wav`, the file
/// Chromium's fake microphone plays; its path.
fn supervisor_mic(dir: &Path) -> PathBuf {
    let mic = dir.join("supervisor-mic.wav");
    write_mono16(&mic, MIC_RATE, &supervisor_voice()).expect("write the microphone's file");
    mic
}

/// `x` at 48 kHz, as the session's 48 kHz leg carries it into the 8 kHz
/// call: 20 ms frames through a fresh resampler.
fn to_call_rate(x: &[i16]) -> Vec<i16> {
    let mut r = Resampler::new(SampleRate::Hz48000, SampleRate::Hz8000);
    let mut out = vec![0i16; x.len() / 960 * SPF];
    for (i, o) in x.chunks_exact(960).zip(out.chunks_exact_mut(SPF)) {
        r.process_i16(i, o).expect("20 ms frames");
    }
    out
}

/// The supervisor's mode changes on call `CALL` from the recorder's log:
/// (tick, mode) from the join on, and the tick it left (or the end).
fn phases(log: &str, end: u64) -> Vec<(u64, u64, String)> {
    let mut starts = Vec::new();
    let mut left = None;
    for line in log.lines() {
        let w: Vec<&str> = line.split_whitespace().collect();
        if w.len() < 3 || w[1] != CALL.to_string() {
            continue;
        }
        let tick: u64 = w[0].parse().expect("a tick");
        match &w[2..] {
            ["joined", "supervisor", mode] => starts.push((tick, mode.to_string())),
            ["mode", _, to] => starts.push((tick, to.to_string())),
            ["left", "supervisor"] => left = Some(tick),
            _ => {}
        }
    }
    let stop = left.unwrap_or(end);
    (0..starts.len())
        .map(|i| {
            let to = starts.get(i + 1).map_or(stop, |s| s.0);
            (starts[i].0, to, starts[i].1.clone())
        })
        .collect()
}

/// `heard - said`, sample by sample, over ticks `from..to`: what a party
/// heard beyond the one other party.
fn residual(heard: &[i16], said: &[i16], from: u64, to: u64) -> Vec<i32> {
    let r = from as usize * SPF..(to as usize * SPF).min(heard.len()).min(said.len());
    heard[r.clone()]
        .iter()
        .zip(&said[r])
        .map(|(&h, &s)| i32::from(h) - i32::from(s))
        .collect()
}

fn rms<T: Copy + Into<f64>>(x: &[T]) -> f64 {
    (x.iter().map(|&v| v.into().powi(2)).sum::<f64>() / x.len().max(1) as f64).sqrt()
}

/// Where the looping `voice` (8 kHz) starts in `x`, found coarsely on 10 ms
/// energy envelopes: the lag into `voice` that best explains `x[0]`.
fn coarse_lag(x: &[i32], voice: &[i16]) -> usize {
    let block = 80;
    let env = |v: &mut dyn Iterator<Item = f64>, n: usize| -> Vec<f64> {
        let all: Vec<f64> = v.take(n).collect();
        all.chunks(block)
            .map(|c| (c.iter().map(|s| s * s).sum::<f64>() / block as f64).sqrt())
            .collect()
    };
    let ex = env(&mut x.iter().map(|&s| f64::from(s)), x.len());
    let ev = env(&mut voice.iter().map(|&s| f64::from(s)), voice.len());
    let norm = |v: &[f64]| {
        let m = v.iter().sum::<f64>() / v.len() as f64;
        v.iter().map(|x| x - m).collect::<Vec<_>>()
    };
    let (ex, ev) = (norm(&ex), norm(&ev));
    (0..ev.len())
        .map(|lag| {
            let c: f64 = ex
                .iter()
                .enumerate()
                .map(|(i, x)| x * ev[(lag + i) % ev.len()])
                .sum();
            (lag, c)
        })
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map_or(0, |(lag, _)| lag * block)
}

/// The normalized correlation of `x` with the looping `voice`, measured
/// in 1 s windows in which the voice speaks, as the browser's capture, Opus
/// and the example's jitter queue delay the voice (and a stalled tick may
/// drop some of it): in each window the best lag within ±25 ms of where
/// the envelopes put the voice, over all of `x` or over the 2 s from the
/// window. The median over the windows.
fn correlation(x: &[i32], voice: &[i16]) -> f64 {
    let n = voice.len();
    let win = 8000;
    let overall = coarse_lag(x, voice);
    let mut found = Vec::new();
    for w in 0..x.len() / win {
        let xs = &x[w * win..(w + 1) * win];
        let xx: f64 = xs.iter().map(|&s| f64::from(s).powi(2)).sum();
        let here = coarse_lag(&x[w * win..((w + 2) * win).min(x.len())], voice);
        let mut best = f64::MIN;
        for around in [(overall + w * win) % n, here] {
            for d in 0..=400 {
                let lag = (around + n + d - 200) % n;
                let (mut xy, mut vv) = (0.0, 0.0);
                for (i, &s) in xs.iter().enumerate() {
                    let v = f64::from(voice[(lag + i) % n]);
                    xy += f64::from(s) * v;
                    vv += v * v;
                }
                if vv / win as f64 >= 300.0f64.powi(2) {
                    let c = if xx > 0.0 { xy / (xx * vv).sqrt() } else { 0.0 };
                    best = best.max(c);
                }
            }
        }
        if best > f64::MIN {
            found.push(best);
        }
    }
    assert!(
        !found.is_empty(),
        "the supervisor's voice never spoke in the window"
    );
    found.sort_by(f64::total_cmp);
    found[found.len() / 2]
}

/// The example and a headless Chromium on its page.
struct Dashboard {
    /// The example first, then chromedriver.
    processes: Processes,
    browser: Browser,
    /// The example's HTTP address.
    app: SocketAddr,
}

impl Dashboard {
    /// Starts the example with `args` (beside `--listen` and the sample
    /// config), chromedriver and a headless Chromium (profile in
    /// `profile`, microphone playing `mic`) on its page, signed in as
    /// `user`, each by `deadline`.
    fn open(
        chromium: &Path,
        chromedriver: &Path,
        args: &[&str],
        profile: &Path,
        mic: Option<&Path>,
        user: &str,
        deadline: Instant,
    ) -> Dashboard {
        let (mut processes, app, page) = start_example(args, deadline);
        let browser = open_browser(
            &mut processes,
            chromium,
            chromedriver,
            &page,
            profile,
            mic,
            deadline,
        );
        browser.sign_in(user, &format!("{user}-sample-password"), deadline);
        Dashboard {
            processes,
            browser,
            app,
        }
    }
}

/// Starts the example with `args` beside `--listen` and the sample
/// config: its processes, its address and its page's URL.
fn start_example(args: &[&str], deadline: Instant) -> (Processes, SocketAddr, String) {
    let mut processes = Processes::default();
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_dashboard"));
    let dashboard = processes.spawn(
        "dashboard",
        Command::new(exe)
            .args(["--listen", "127.0.0.1:0", "--config"])
            .arg(sample_config())
            .args(args)
            .stdout(Stdio::piped()),
    );
    let stdout = dashboard.stdout.take().expect("piped stdout");
    let (lines, said) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    let page = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = said
            .recv_timeout(left.min(Duration::from_secs(30)))
            .expect("the dashboard printed no address");
        if let Some(at) = line.find("http://") {
            let url = line[at..].split_whitespace().next().unwrap().to_string();
            break url;
        }
    };
    let app: SocketAddr = page
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .expect("a socket address");
    (processes, app, page)
}

/// Starts chromedriver and a headless Chromium (profile in `profile`,
/// microphone playing `mic`) on `page`, by `deadline`.
fn open_browser(
    processes: &mut Processes,
    chromium: &Path,
    chromedriver: &Path,
    page: &str,
    profile: &Path,
    mic: Option<&Path>,
    deadline: Instant,
) -> Browser {
    let port = free_port();
    processes.spawn(
        "chromedriver",
        Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    );
    let driver_at = SocketAddr::from(([127, 0, 0, 1], port));
    chromedriver_ready(driver_at, deadline);
    let browser = Browser::open(driver_at, chromium, page, profile, mic);
    processes
        .webdriver_sessions
        .push((driver_at, browser.session.clone()));
    browser
}

/// Chromium and chromedriver, or `None` (said) where they are missing and
/// `CI` is not set.
fn browser_tools(test: &str) -> Option<(PathBuf, PathBuf)> {
    match (
        which("chromium").or_else(|| which("chromium-browser")),
        which("chromedriver"),
    ) {
        (Some(chromium), Some(chromedriver)) => Some((chromium, chromedriver)),
        _ => {
            let message = "chromium and chromedriver are not installed (Debian: apt-get install chromium chromium-driver)";
            if std::env::var_os("CI").is_some() {
                panic!("{message}");
            }
            eprintln!("{test}: skipped: {message}");
            None
        }
    }
}

/// One browser test at a time: each runs the example and a Chromium, and
/// its ticks should not wait for the other's.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

#[test]
fn a_supervisor_in_the_browser_whispers_barges_and_monitors() {
    let Some((chromium, chromedriver)) = browser_tools("dashboard_browser") else {
        return;
    };
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let start = Instant::now();
    let deadline = start + Duration::from_secs(120);
    let out = fresh_dir("dashboard");
    let record = out.join("record");
    let profile = out.join("chromium-profile");
    let mic = supervisor_mic(&out);
    let voice = supervisor_voice();

    let Dashboard {
        mut processes,
        browser,
        app,
    } = Dashboard::open(
        &chromium,
        &chromedriver,
        &["--record", &record.to_string_lossy()],
        &profile,
        Some(&mic),
        // A team lead of team A, on a call of team A.
        "sam",
        deadline,
    );

    let state = || browser.state();
    // Waits until the supervisor is on the call in `mode` and its browser
    // has sent PHASE_PACKETS packets since.
    let hold = |mode: &str| {
        let deadline = deadline.min(Instant::now() + Duration::from_secs(30));
        let mut since = None;
        loop {
            let s = &state()["supervisor"];
            if s["call"] == json!(CALL) && s["mode"] == json!(mode) && s["webrtc"] == "connected" {
                let packets = s["packets_in"].as_u64().unwrap_or(0);
                let first = *since.get_or_insert(packets);
                if packets >= first + PHASE_PACKETS {
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "the supervisor was not in {mode} on call {CALL} with audio in time: {s}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    browser.click(&format!("#call-{CALL}"), deadline);
    browser.click("#btn-whisper", deadline);
    hold("whisper");
    browser.click("#btn-barge", deadline);
    hold("barge");
    browser.click("#btn-monitor", deadline);
    browser.script("window.dashboard.receivedPeakDb = -90;");
    hold("monitor");
    let received = browser
        .script("return window.dashboard.receivedPeakDb;")
        .as_f64()
        .expect("a level");
    let shown = browser.script(&format!(
        "return document.querySelector('#call-{CALL}').innerText;"
    ));
    let audit = browser.script("return document.querySelector('#audit').innerText;");
    browser.screenshot(&out.join("screenshot.png"));
    browser.click("#btn-leave", deadline);
    let end_state = state();

    // Stop the example: it completes its recording and exits.
    let (status, body) = browser.forced_post(app, "/quit");
    assert!(status == 200 || status == 0, "POST /quit: {status} {body}");
    let left = deadline.saturating_duration_since(Instant::now());
    let exit = processes.children[0]
        .1
        .wait_timeout(left)
        .expect("wait for the dashboard")
        .expect("the dashboard did not stop in time");
    assert!(exit.success(), "the dashboard exited with {exit}");
    drop(processes);
    let _ = std::fs::remove_dir_all(&profile);

    // What the page showed.
    let shown = shown.as_str().unwrap_or_default().to_string();
    assert!(
        shown.contains("supervisor") && shown.contains("monitor"),
        "call {CALL}'s card does not show the monitoring supervisor: {shown:?}"
    );
    // The audit trail names the person.
    let audit = audit.as_str().unwrap_or_default().to_string();
    for change in [
        "supervisor sam #",
        "joined in whisper",
        "whisper → barge",
        "barge → monitor",
    ] {
        assert!(
            audit.contains(change),
            "the trail lacks {change:?}: {audit}"
        );
    }
    assert!(
        received > HEARD_DBFS,
        "the browser received the call at {received:.1} dBFS at most while monitoring"
    );

    // What the parties heard.
    let read = |name: &str| {
        read_mono16(&record.join(format!("{name}.wav")))
            .expect(name)
            .1
    };
    let c = format!("call{CALL}");
    let customer_said = read(&format!("{c}-customer-said"));
    let customer_heard = read(&format!("{c}-customer-heard"));
    let agent_said = read(&format!("{c}-agent-said"));
    let agent_heard = read(&format!("{c}-agent-heard"));
    let supervisor_said = read("supervisor-said");
    let log = std::fs::read_to_string(record.join("log.txt")).expect("log.txt");
    let ticks = (customer_heard.len() / SPF) as u64;
    let phases = phases(&log, ticks);
    let modes: Vec<&str> = phases.iter().map(|p| p.2.as_str()).collect();
    assert_eq!(modes, ["whisper", "barge", "monitor"], "log:\n{log}");
    let joined = phases[0].0;

    // Exact: nobody hears anything but the other party while no mode
    // lets it hear the supervisor.
    let exact = |heard: &[i16], said: &[i16], from: u64, to: u64| {
        residual(heard, said, from, to)
            .iter()
            .filter(|&&d| d != 0)
            .count()
    };
    // From tick 1: at tick 0 the routes between the customer and the
    // agent open, with barge's ramp, over their line noise.
    assert_eq!(
        exact(&customer_heard, &agent_said, 1, joined),
        0,
        "customer before the join"
    );
    assert_eq!(
        exact(&agent_heard, &customer_said, 1, joined),
        0,
        "agent before the join"
    );
    for (from, to, mode) in &phases {
        if mode != "barge" {
            assert_eq!(
                exact(&customer_heard, &agent_said, *from, *to),
                0,
                "the customer heard something but the agent in {mode} (ticks {from}..{to})"
            );
        }
        if mode == "monitor" {
            assert_eq!(
                exact(&agent_heard, &customer_said, *from, *to),
                0,
                "the agent heard something but the customer in monitor (ticks {from}..{to})"
            );
        }
    }

    // Against the known file: the supervisor's voice, wherever a mode lets
    // a party hear it.
    let voice8k = to_call_rate(&voice);
    let mut report = Vec::new();
    for (from, to, mode) in &phases {
        for (who, heard, said, must) in [
            ("customer", &customer_heard, &agent_said, mode == "barge"),
            ("agent", &agent_heard, &customer_said, mode != "monitor"),
        ] {
            // A route from a resampled leg opens a tick late, then ramps.
            let r = residual(heard, said, *from + 3, *to);
            let corr = if rms(&r) > 0.0 {
                correlation(&r, &voice8k)
            } else {
                0.0
            };
            report.push(format!(
                "{mode:<8} {who:<9} beyond the other party: {:7.1} RMS, correlation with the known voice {corr:.3}",
                rms(&r)
            ));
            if must {
                assert!(
                    corr >= CORRELATED,
                    "in {mode} the {who} did not hear the supervisor's voice (correlation {corr:.3})"
                );
            } else {
                assert_eq!(
                    rms(&r),
                    0.0,
                    "in {mode} the {who} heard more than the other party"
                );
            }
        }
    }

    // The least-squares fit against what the supervisor's leg handed in.
    let from_join = &supervisor_said[joined as usize * 960..];
    let mut supervisor_in_call = vec![0i16; joined as usize * SPF];
    supervisor_in_call.extend(to_call_rate(from_join));
    for (from, to, mode) in &phases {
        // A route from a resampled leg opens a tick late, then ramps.
        let range = (*from as usize + 3) * SPF..*to as usize * SPF;
        let talkers = [&customer_said[..], &agent_said[..], &supervisor_in_call[..]];
        for (who, heard, must) in [
            ("customer", &customer_heard, mode == "barge"),
            ("agent", &agent_heard, mode != "monitor"),
        ] {
            let levels = fit(heard, talkers, range.clone());
            let g = levels[2].expect("the supervisor spoke in every phase");
            report.push(format!(
                "{mode:<8} {who:<9} fit: customer {:.3}, agent {:.3}, supervisor {g:.3}",
                levels[0].unwrap_or(f64::NAN),
                levels[1].unwrap_or(f64::NAN)
            ));
            let expected = if must { 1.0 } else { 0.0 };
            assert!(
                (g - expected).abs() <= 0.05,
                "in {mode} the {who} heard the supervisor at {g:.3}, expected {expected:.2}"
            );
        }
    }

    // Figures for the record (not assertions).
    // How soon a change is heard: the first tick of barge in which the
    // customer hears the supervisor, the last before monitor.
    let beyond = |t: u64| exact(&customer_heard, &agent_said, t, t + 1) != 0;
    for (from, to, mode) in &phases {
        match mode.as_str() {
            "barge" => {
                let first = (*from..*to).find(|&t| beyond(t));
                report.push(format!(
                    "barge applied at tick {from}; the customer first hears the supervisor at {}",
                    first.map_or("no tick".into(), |t| format!(
                        "tick {t} (+{} ms)",
                        (t - from) * 20
                    ))
                ));
            }
            "monitor" => {
                let last = (0..*from).rev().find(|&t| beyond(t));
                report.push(format!(
                    "monitor applied at tick {from}; the customer last heard the supervisor at {}",
                    last.map_or("no tick".into(), |t| format!("tick {t}"))
                ));
            }
            _ => {}
        }
    }
    println!(
        "dashboard_browser: log:\n  {}",
        log.lines().collect::<Vec<_>>().join("\n  ")
    );
    println!("dashboard_browser: {}", report.join("\n  "));
    println!(
        "dashboard_browser: the browser heard the call at up to {received:.1} dBFS in monitor; \
         at the end: {} (ticks skipped {}); {:.1} s in all; screenshot {}",
        end_state["supervisor"],
        end_state["ticks_skipped"],
        start.elapsed().as_secs_f64(),
        out.join("screenshot.png").display()
    );
}

/// The calls as the page lists them, top first: each card's id and the
/// reasons it shows for attention.
fn listed(browser: &Browser) -> Vec<(String, String)> {
    let list = browser.script(
        "return Array.from(document.querySelectorAll('#calls > .call'), \
         (c) => [c.id, c.querySelector('.reasons') ? c.querySelector('.reasons').innerText : '']);",
    );
    list.as_array()
        .map(|cards| {
            cards
                .iter()
                .map(|c| {
                    let text = |i: usize| c[i].as_str().unwrap_or_default().to_string();
                    (text(0), text(1))
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_call_that_goes_silent_rises_to_the_top_of_the_list() {
    let Some((chromium, chromedriver)) = browser_tools("dashboard_attention") else {
        return;
    };
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let start = Instant::now();
    let deadline = start + Duration::from_secs(90);
    let out = fresh_dir("dashboard-attention");
    let profile = out.join("chromium-profile");
    let Dashboard {
        processes,
        browser,
        app: _,
    } = Dashboard::open(
        &chromium,
        &chromedriver,
        &[],
        &profile,
        None,
        "sam",
        deadline,
    );

    // The last call listed that needs no attention goes silent.
    let before = wait_for(deadline, "the page listed every call", || {
        let list = listed(&browser);
        if list.len() == 4 {
            Ok(list)
        } else {
            Err(list)
        }
    });
    let (quiet, _) = before
        .iter()
        .rev()
        .find(|(_, reasons)| reasons.is_empty())
        .expect("a call that needs no attention")
        .clone();
    assert_ne!(
        before[0].0, quiet,
        "the call to go silent is not first already"
    );
    browser.click(&format!("#{quiet}"), deadline);
    browser.click("#btn-silence", deadline);
    let silenced = Instant::now();

    // It rises to the top, saying why: its dead air (5 s, barge's alert).
    let wait = deadline.min(silenced + Duration::from_secs(30));
    let top = wait_for(wait, "the silent call rose to the top", || {
        let list = listed(&browser);
        match list.first() {
            Some((id, reasons)) if *id == quiet && reasons.contains("dead air") => Ok(list),
            _ => Err(list),
        }
    });
    let risen = silenced.elapsed();
    let n: usize = quiet
        .trim_start_matches("call-")
        .parse()
        .expect("a call's number");
    let state = browser.state();
    let card = &state["calls"][n - 1];
    assert_eq!(card["silent"], json!(true), "{card}");
    assert!(
        card["signals"]["dead_air_ms"].as_u64().unwrap_or(0) >= 5_000,
        "{card}"
    );
    browser.screenshot(&out.join("screenshot.png"));

    // When its parties talk again, the reason goes.
    browser.click("#btn-talk", deadline);
    wait_for(
        deadline,
        "the talking call no longer showed dead air",
        || {
            let list = listed(&browser);
            match list.iter().find(|(id, _)| *id == quiet) {
                Some((_, reasons)) if !reasons.contains("dead air") => Ok(()),
                _ => Err(list),
            }
        },
    );
    drop(processes);
    let _ = std::fs::remove_dir_all(&profile);
    println!(
        "dashboard_attention: before {before:?}; {quiet} went silent and was at the top \
         {:.1} s later: {top:?}; {:.1} s in all; screenshot {}",
        risen.as_secs_f64(),
        start.elapsed().as_secs_f64(),
        out.join("screenshot.png").display()
    );
}

/// Waits until `browser`'s supervisor is on call `call` in `mode`, its
/// WebRTC leg connected, and its browser has sent `packets` packets since.
fn hold_on(browser: &Browser, call: usize, mode: &str, packets: u64, deadline: Instant) -> Value {
    let mut since = None;
    wait_for(
        deadline,
        &format!("{mode} on call {call} with audio"),
        || {
            let state = browser.state();
            let s = &state["supervisor"];
            if s["call"] == json!(call) && s["mode"] == json!(mode) && s["webrtc"] == "connected" {
                let n = s["packets_in"].as_u64().unwrap_or(0);
                if n >= *since.get_or_insert(n) + packets {
                    return Ok(state);
                }
            }
            Err(s.clone())
        },
    )
}

/// The ticks of call `call` in the recording at which the other party's
/// voice is not exactly what `heard` holds, from `from` on: none while a
/// party hears only the other party.
fn beyond_the_other(record: &Path, call: usize, from: u64) -> [usize; 2] {
    let read = |name: &str| {
        read_mono16(&record.join(format!("call{call}-{name}.wav")))
            .expect(name)
            .1
    };
    let (cs, ch) = (read("customer-said"), read("customer-heard"));
    let (as_, ah) = (read("agent-said"), read("agent-heard"));
    let ticks = (ch.len() / SPF) as u64;
    let count = |heard: &[i16], said: &[i16]| {
        residual(heard, said, from, ticks)
            .iter()
            .filter(|&&d| d != 0)
            .count()
    };
    [count(&ch, &as_), count(&ah, &cs)]
}

/// Stops the example (it completes its recording) through `browser`'s
/// sign-in, and waits for it to exit.
fn quit(processes: &mut Processes, browser: &Browser, app: SocketAddr, deadline: Instant) {
    let (status, body) = browser.forced_post(app, "/quit");
    assert_eq!(status, 200, "POST /quit: {body}");
    let left = deadline.saturating_duration_since(Instant::now());
    let exit = processes.children[0]
        .1
        .wait_timeout(left)
        .expect("wait for the dashboard")
        .expect("the dashboard did not stop in time");
    assert!(exit.success(), "the dashboard exited with {exit}");
}

#[test]
fn a_qa_supervisor_may_only_listen_and_a_forced_whisper_changes_nothing() {
    let Some((chromium, chromedriver)) = browser_tools("dashboard_qa") else {
        return;
    };
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let start = Instant::now();
    let deadline = start + Duration::from_secs(120);
    let out = fresh_dir("dashboard-qa");
    let record = out.join("record");
    let profile = out.join("chromium-profile");
    let mic = supervisor_mic(&out);
    let Dashboard {
        mut processes,
        browser,
        app,
    } = Dashboard::open(
        &chromium,
        &chromedriver,
        &["--record", &record.to_string_lossy()],
        &profile,
        Some(&mic),
        "quinn",
        deadline,
    );

    // Whisper and Barge are disabled, saying why; Monitor is not.
    browser.click(&format!("#call-{CALL}"), deadline);
    browser.assert_may_only_listen(deadline);
    let shown = browser.script("return document.querySelector('#why').innerText;");
    assert!(
        shown
            .as_str()
            .unwrap_or_default()
            .contains("Whisper: supervisor \"quinn\" may not use whisper"),
        "{shown}"
    );

    // Quinn monitors; the same requests forced past the page are refused.
    browser.click("#btn-monitor", deadline);
    hold_on(&browser, CALL, "monitor", 100, deadline);
    let mut refused = Vec::new();
    for mode in ["whisper", "barge"] {
        refused.push(browser.forced_post(app, &format!("/calls/{CALL}/{mode}")));
    }
    let state = hold_on(&browser, CALL, "monitor", 100, deadline);
    let events = state["calls"][CALL - 1]["events"].to_string();
    quit(&mut processes, &browser, app, deadline);
    drop(processes);
    let _ = std::fs::remove_dir_all(&profile);

    for (status, body) in &refused {
        assert_eq!(*status, 403, "{body}");
        assert!(body.contains("may not use"), "{body}");
    }
    assert_eq!(events.matches("REFUSED").count(), 2, "{events}");
    // Who hears whom, from the legs: quinn only ever monitored, and the
    // customer and the agent heard only each other, sample for sample.
    let log = std::fs::read_to_string(record.join("log.txt")).expect("log.txt");
    let ticks = read_mono16(&record.join(format!("call{CALL}-customer-heard.wav")))
        .expect("customer-heard")
        .1
        .len() as u64
        / SPF as u64;
    let modes: Vec<String> = phases(&log, ticks).into_iter().map(|p| p.2).collect();
    assert_eq!(modes, ["monitor"], "log:\n{log}");
    assert_eq!(log.matches(" refused ").count(), 2, "log:\n{log}");
    assert_eq!(beyond_the_other(&record, CALL, 1), [0, 0], "log:\n{log}");
    let heard = read_mono16(&record.join("supervisor-heard.wav"))
        .expect("supervisor-heard")
        .1;
    assert!(rms(&heard) > 100.0, "quinn heard nothing of the call");
    println!(
        "dashboard_qa: refused {refused:?}; log:\n  {}\n{:.1} s in all",
        log.lines().collect::<Vec<_>>().join("\n  "),
        start.elapsed().as_secs_f64()
    );
}

#[test]
fn two_supervisors_on_two_calls_and_one_hangs_up() {
    let Some((chromium, chromedriver)) = browser_tools("dashboard_two") else {
        return;
    };
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let start = Instant::now();
    let deadline = start + Duration::from_secs(150);
    let out = fresh_dir("dashboard-two");
    let record = out.join("record");
    let mic = supervisor_mic(&out);
    let (mut processes, app, page) =
        start_example(&["--record", &record.to_string_lossy()], deadline);
    // Sam (team A's lead) whispers on call 2; lee (team B's) barges on call 3.
    let mut browsers = Vec::new();
    for (user, call, mode) in [("sam", 2, "whisper"), ("lee", 3, "barge")] {
        let profile = out.join(format!("chromium-profile-{user}"));
        let b = open_browser(
            &mut processes,
            &chromium,
            &chromedriver,
            &page,
            &profile,
            Some(&mic),
            deadline,
        );
        b.sign_in(user, &format!("{user}-sample-password"), deadline);
        b.click(&format!("#call-{call}"), deadline);
        b.click(&format!("#btn-{mode}"), deadline);
        browsers.push((b, call, mode, profile));
    }
    for (b, call, mode, _) in &browsers {
        hold_on(b, *call, mode, 100, deadline);
    }
    let (sam, lee) = (&browsers[0].0, &browsers[1].0);
    // Each page shows the other supervisor on the other call.
    let seen = lee.state();
    let on = |state: &Value, n: usize| -> Vec<String> {
        state["calls"][n - 1]["parties"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["role"] == "supervisor")
            .map(|p| format!("{} {}", p["who"], p["mode"]))
            .collect()
    };
    assert_eq!(on(&seen, 2), ["\"sam\" \"whisper\""], "{seen}");
    assert_eq!(on(&seen, 3), ["\"lee\" \"barge\""], "{seen}");

    // Sam hangs up: call 2 goes on without a supervisor, lee stays on call 3.
    sam.click("#btn-hangup", deadline);
    let after = wait_for(deadline, "call 2 without sam", || {
        let s = lee.state();
        if on(&s, 2).is_empty() {
            Ok(s)
        } else {
            Err(on(&s, 2))
        }
    });
    let tick_then = after["calls"][1]["tick"].as_u64().expect("a tick");
    let later = hold_on(lee, 3, "barge", 150, deadline);
    assert!(later["calls"][1]["tick"].as_u64().unwrap_or(0) > tick_then + 100);
    assert_eq!(on(&later, 3), ["\"lee\" \"barge\""], "{later}");
    assert_eq!(sam.state()["supervisor"]["webrtc"], json!("none"));
    quit(&mut processes, lee, app, deadline);
    drop(processes);
    for (_, _, _, profile) in &browsers {
        let _ = std::fs::remove_dir_all(profile);
    }

    // From the legs: after sam left, call 2's customer and agent heard each
    // other and nothing else, to the end; call 3's customer heard lee.
    let log = std::fs::read_to_string(record.join("log.txt")).expect("log.txt");
    let left = log
        .lines()
        .filter_map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            (w.len() >= 4 && w[1] == "2" && w[2] == "left" && w[3] == "supervisor")
                .then(|| w[0].parse::<u64>().expect("a tick"))
        })
        .next()
        .unwrap_or_else(|| panic!("sam never left call 2; log:\n{log}"));
    let ticks2 = read_mono16(&record.join("call2-customer-heard.wav"))
        .expect("call 2")
        .1
        .len()
        / SPF;
    assert!(ticks2 as u64 > left + 100, "call 2 went on after sam left");
    // From the tick after the leave: barge's routes ramp closed within it.
    assert_eq!(
        beyond_the_other(&record, 2, left + 1),
        [0, 0],
        "log:\n{log}"
    );
    let [c3, a3] = beyond_the_other(&record, 3, left + 1);
    assert!(c3 > 0 && a3 > 0, "call 3's parties no longer heard lee");
    println!(
        "dashboard_two: sam left call 2 at tick {left}; call 2 went on to tick {ticks2}; {:.1} s in all",
        start.elapsed().as_secs_f64()
    );
}
