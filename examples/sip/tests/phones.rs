//! The PBX with real SIP phones: baresip 1.0 and linphonec 5.1, headless,
//! each playing its own voice (a chord no other voice uses) and recording
//! what it hears; each test in a network namespace of its own, where
//! nothing but loopback exists (see `common`).
//!
//! - **Three phones** (`three_phones_*`): a customer dials extension 1001,
//!   the agent's phone answers, a supervisor dials `*2221001` and joins in
//!   monitor, then keys 5 (whisper), 6 (barge), 4 (monitor) and 6 again by
//!   RFC 4733; then the agent hangs up while the supervisor barges, and
//!   the customer and the supervisor go on talking. From the phones' own
//!   recordings, per phase, each voice a phone must hear is there at its
//!   level (at least half of it as sent) and each it must not is not
//!   (below −30 dB); the supervisor's voice in the customer's recording
//!   during the whisper is at most −60 dB relative to its level at the
//!   agent. The delay from each key (sent to the phone) to the switch (the
//!   PBX's line) is printed, not asserted. Once with a PCMU agent, once
//!   with a G.722 agent (the call then mixes at 16 kHz).
//! - **linphonec as the supervisor**, keying 5, 6 and 4 as SIP INFO
//!   (`application/dtmf-relay`): each switches the mode, and the agent
//!   hears the supervisor in whisper and not in monitor.
//! - **A refused supervisor**: one outside its grant (another team's
//!   lead) dials the feature code and gets 403; a QA supervisor (monitor
//!   only) joins, keys 5 and is refused with a tone it hears, and the
//!   agent hears nothing of it; both refusals are on the audit trail.
//! - **A call that needs a disclosure** (a caller from a consent prefix):
//!   the supervisor joins at once, hears nothing of the call before the
//!   prompt has played to the customer, and hears it after.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

const CONFIG: &str = r#"
[[extension]]
number = "1001"
agent = "alex"
groups = ["team-a"]
contact = "sip:alex@127.0.0.1:5072"

[[supervisor]]
user = "sam"
groups = ["team-lead", "team-a"]

[[supervisor]]
user = "lee"
groups = ["team-lead", "team-b"]

[[supervisor]]
user = "quinn"
groups = ["qa"]

[policy]
grants = [
  { to = { group = "team-lead" }, modes = ["monitor", "whisper", "barge"], on = "own_team" },
  { to = { group = "qa" }, modes = ["monitor"], on = "every" },
]

[consent]
prefixes = ["+1415"]
"#;

/// How long each mode is held.
const PHASE: Duration = Duration::from_secs(4);
/// A voice a phone must hear is at least this level (relative to the
/// voice as sent); one it must not hear is below `ABSENT` (−30 dB).
const HEARD: f64 = 0.5;
const ABSENT: f64 = 0.0316;

fn dir(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("sip-{name}"));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("the test's directory");
    d
}

fn secs(s: u64) -> Instant {
    Instant::now() + Duration::from_secs(s)
}

fn pbx_addr() -> std::net::SocketAddr {
    ([127, 0, 0, 1], 5060).into()
}

fn phone<'a>(
    name: &'a str,
    user: &'a str,
    port: u16,
    codec: &'a str,
    voice: Voice,
) -> PhoneSetup<'a> {
    PhoneSetup {
        name,
        user,
        sip_port: port,
        ctrl_port: port - 1000,
        codec,
        voice,
        seconds: 90.0,
    }
}

/// Who hears whom in a phase: listener and talker by index (customer 0,
/// agent 1, supervisor 2).
fn hears(mode: &str, listener: usize, talker: usize) -> bool {
    match (listener, talker) {
        (l, t) if l == t => false,
        (_, 1) if mode == "agent gone" => false,
        (0, 1) | (1, 0) | (2, 0) | (2, 1) => true,
        (0, 2) => mode == "barge" || mode == "agent gone",
        (1, 2) => mode == "whisper" || mode == "barge",
        _ => false,
    }
}

const NAMES: [&str; 3] = ["customer", "agent", "supervisor"];
const VOICES: [Voice; 3] = [CUSTOMER, AGENT, SUPERVISOR];

/// The three-phone scenario with the agent's phone on `agent_codec`.
fn three_phones(test: &str, agent_codec: &str) {
    let d = dir(test);
    let mut p = Processes::default();
    let mut pbx = Pbx::start(&mut p, &d, CONFIG, pbx_addr());
    let mut agent = Baresip::start(
        &mut p,
        &d,
        &phone("agent", "alex", 5072, agent_codec, AGENT),
    );
    let mut customer = Baresip::start(
        &mut p,
        &d,
        &phone("customer", "5550100", 5070, "PCMU/8000/1", CUSTOMER),
    );
    let mut sup = Baresip::start(
        &mut p,
        &d,
        &phone("supervisor", "sam", 5074, "PCMU/8000/1", SUPERVISOR),
    );

    customer.command("dial", "sip:1001@127.0.0.1:5060");
    let (c0, _) = customer.wait_event("CALL_ESTABLISHED", secs(20));
    let (a0, _) = agent.wait_event("CALL_ESTABLISHED", secs(5));
    pbx.out.wait_for("bridged", secs(5), "the PBX");
    sup.command("dial", "sip:*2221001@127.0.0.1:5060");
    let (s0, _) = sup.wait_event("CALL_ESTABLISHED", secs(20));
    let (joined, _) = pbx.out.wait_for(
        "supervisor sam joins as supervisor in monitor",
        secs(5),
        "the PBX",
    );
    let mut phases: Vec<(Instant, String)> = vec![(joined, "monitor".into())];
    let mut delays = Vec::new();
    std::thread::sleep(PHASE);
    for (key, from, to) in [
        ("5", "monitor", "whisper"),
        ("6", "whisper", "barge"),
        ("4", "barge", "monitor"),
        ("6", "monitor", "barge"),
    ] {
        let sent = sup.command("sndcode", key);
        let (at, line) = pbx.out.wait_for(
            &format!("supervisor sam: {from} -> {to}"),
            secs(10),
            "the PBX",
        );
        delays.push((key, at.duration_since(sent), line));
        phases.push((at, to.into()));
        std::thread::sleep(PHASE);
    }
    // The agent hangs up while the supervisor barges: the customer and
    // the supervisor go on talking.
    agent.command("hangup", "");
    let (gone, _) = pbx.out.wait_for("agent alex hangs up", secs(10), "the PBX");
    phases.push((gone, "agent gone".into()));
    std::thread::sleep(PHASE);
    let end = sup.command("hangup", "");
    pbx.out
        .wait_for("call ends: nobody is left", secs(10), "the PBX");
    customer.wait_event("CALL_CLOSED", secs(10));
    pbx.out.wait_for("timeline", secs(5), "the PBX");
    for ph in [&mut customer, &mut agent, &mut sup] {
        ph.command("quit", "");
    }
    for name in ["customer", "agent", "supervisor"] {
        p.wait(name, secs(10));
    }
    pbx.out.drain();
    println!("{test}: the PBX said:\n{}", pbx.out.all());

    let recordings = [
        Recording::of(&customer, c0),
        Recording::of(&agent, a0),
        Recording::of(&sup, s0),
    ];
    println!(
        "{test}: recordings: customer {} Hz {:.1} s, agent {} Hz {:.1} s, supervisor {} Hz {:.1} s",
        recordings[0].rate,
        recordings[0].samples.len() as f64 / f64::from(recordings[0].rate),
        recordings[1].rate,
        recordings[1].samples.len() as f64 / f64::from(recordings[1].rate),
        recordings[2].rate,
        recordings[2].samples.len() as f64 / f64::from(recordings[2].rate),
    );
    let mut failures = Vec::new();
    let mut whisper_at_agent = None;
    let mut whisper_at_customer = None;
    for (i, (from, mode)) in phases.iter().enumerate() {
        let to = phases.get(i + 1).map_or(end, |p| p.0);
        for (l, r) in recordings.iter().enumerate() {
            if l == 1 && mode == "agent gone" {
                continue;
            }
            let x = r.window(*from, to);
            assert!(
                x.len() as f64 >= f64::from(r.rate) * 1.5,
                "{}'s recording is short in phase {mode}",
                NAMES[l]
            );
            let mut row = format!("{test}: {mode:>10}: {:>10} hears", NAMES[l]);
            for t in 0..3 {
                let level = VOICES[t].level_in(x, r.rate);
                row.push_str(&format!("  {} {:6.1} dB", NAMES[t], db(level)));
                let expected = hears(mode, l, t);
                if expected && level < HEARD || !expected && level > ABSENT {
                    failures.push(format!(
                        "phase {mode}: {} hears {} at {:.1} dB, expected {}",
                        NAMES[l],
                        NAMES[t],
                        db(level),
                        if expected { "to hear it" } else { "nothing" }
                    ));
                }
                if mode == "whisper" && t == 2 && l == 1 {
                    whisper_at_agent = Some(level);
                }
                if mode == "whisper" && t == 2 && l == 0 {
                    whisper_at_customer = Some(level);
                }
            }
            println!("{row}");
        }
    }
    let leak =
        db(whisper_at_customer.expect("a whisper phase")
            / whisper_at_agent.expect("a whisper phase"));
    println!(
        "{test}: the whisper in the customer's recording: {leak:.1} dB relative to it at the agent"
    );
    for (key, delay, line) in &delays {
        println!(
            "{test}: key {key}: {:.0} ms from the phone's command to the switch (the PBX: key {})",
            delay.as_secs_f64() * 1000.0,
            line.rsplit_once(" (key ")
                .map_or("", |(_, k)| k)
                .trim_end_matches(')')
        );
    }
    assert!(failures.is_empty(), "{test}:\n{}", failures.join("\n"));
    assert!(
        leak <= -60.0,
        "{test}: the whisper leaked to the customer at {leak:.1} dB"
    );
}

#[test]
fn three_phones_monitor_whisper_barge_and_the_agent_hangs_up() {
    let test = "three_phones_monitor_whisper_barge_and_the_agent_hangs_up";
    if !in_own_netns(test, &["baresip"]) {
        return;
    }
    three_phones("three_phones", "PCMU/8000/1");
}

#[test]
fn three_phones_with_a_g722_agent() {
    let test = "three_phones_with_a_g722_agent";
    if !in_own_netns(test, &["baresip"]) {
        return;
    }
    three_phones("g722_agent", "G722/16000/1");
}

#[test]
fn a_supervisor_outside_its_grant_is_refused() {
    let test = "a_supervisor_outside_its_grant_is_refused";
    if !in_own_netns(test, &["baresip"]) {
        return;
    }
    let d = dir("refused");
    let mut p = Processes::default();
    let mut pbx = Pbx::start(&mut p, &d, CONFIG, pbx_addr());
    let mut agent = Baresip::start(
        &mut p,
        &d,
        &phone("agent", "alex", 5072, "PCMU/8000/1", AGENT),
    );
    let mut customer = Baresip::start(
        &mut p,
        &d,
        &phone("customer", "5550100", 5070, "PCMU/8000/1", CUSTOMER),
    );
    let mut lee = Baresip::start(
        &mut p,
        &d,
        &phone("lee", "lee", 5074, "PCMU/8000/1", SUPERVISOR),
    );
    let mut quinn = Baresip::start(
        &mut p,
        &d,
        &phone("quinn", "quinn", 5076, "PCMU/8000/1", SUPERVISOR),
    );
    customer.command("dial", "sip:1001@127.0.0.1:5060");
    customer.wait_event("CALL_ESTABLISHED", secs(20));
    let (a0, _) = agent.wait_event("CALL_ESTABLISHED", secs(5));

    // Another team's lead: 403 to the feature code, on the audit trail.
    lee.command("dial", "sip:*2221001@127.0.0.1:5060");
    let (_, closed) = lee.wait_event("CALL_CLOSED", secs(20));
    println!("{test}: lee's phone: {closed}");
    assert!(
        closed.to_string().contains("403"),
        "lee was not refused with 403: {closed}"
    );
    pbx.out.wait_for(
        "refused: supervisor \"lee\" may not use monitor",
        secs(5),
        "the PBX",
    );

    // QA may monitor, not whisper: key 5 is refused with a tone.
    quinn.command("dial", "sip:881001@127.0.0.1:5060");
    let (q0, _) = quinn.wait_event("CALL_ESTABLISHED", secs(20));
    let (joined, _) = pbx
        .out
        .wait_for("supervisor quinn joins", secs(5), "the PBX");
    std::thread::sleep(Duration::from_secs(2));
    let pressed = quinn.command("sndcode", "5");
    let (refused, _) = pbx.out.wait_for(
        "refused: supervisor \"quinn\" may not use whisper",
        secs(10),
        "the PBX",
    );
    std::thread::sleep(Duration::from_secs(3));
    let end = Instant::now();
    quinn.command("hangup", "");
    customer.command("hangup", "");
    pbx.out.wait_for("timeline", secs(10), "the PBX");
    for ph in [&mut customer, &mut agent, &mut lee, &mut quinn] {
        ph.command("quit", "");
    }
    for name in ["customer", "agent", "lee", "quinn"] {
        p.wait(name, secs(10));
    }
    pbx.out.drain();
    println!("{test}: the PBX said:\n{}", pbx.out.all());
    assert!(!pbx.out.all().contains("quinn: monitor -> whisper"));

    let (rate, samples) = agent.heard();
    let agent_rec = Recording {
        rate,
        samples,
        start: a0,
    };
    let heard = SUPERVISOR.level_in(agent_rec.window(joined, end), rate);
    println!("{test}: the agent hears quinn at {:.1} dB", db(heard));
    assert!(heard < ABSENT, "the agent heard the refused supervisor");
    // The refusal tone (480 Hz) in what quinn heard, after the key.
    let (rate, samples) = quinn.heard();
    let quinn_rec = Recording {
        rate,
        samples,
        start: q0,
    };
    let around = quinn_rec.window(
        pressed - Duration::from_secs(1),
        refused + Duration::from_millis(1500),
    );
    let tone = amplitude(around, 480.0, rate);
    let before = amplitude(quinn_rec.window(joined, pressed), 480.0, rate);
    println!("{test}: the refusal tone at quinn: {tone:.0} (before the key: {before:.0})");
    assert!(tone > 20.0 * before.max(1.0), "quinn heard no refusal tone");
}

#[test]
fn nobody_listens_before_the_disclosure() {
    let test = "nobody_listens_before_the_disclosure";
    if !in_own_netns(test, &["baresip"]) {
        return;
    }
    let d = dir("disclosure");
    let mut p = Processes::default();
    let mut pbx = Pbx::start(&mut p, &d, CONFIG, pbx_addr());
    let mut agent = Baresip::start(
        &mut p,
        &d,
        &phone("agent", "alex", 5072, "PCMU/8000/1", AGENT),
    );
    let mut customer = Baresip::start(
        &mut p,
        &d,
        &phone("customer", "+14155550100", 5070, "PCMU/8000/1", CUSTOMER),
    );
    let mut sup = Baresip::start(
        &mut p,
        &d,
        &phone("supervisor", "sam", 5074, "PCMU/8000/1", SUPERVISOR),
    );
    customer.command("dial", "sip:1001@127.0.0.1:5060");
    let (c0, _) = customer.wait_event("CALL_ESTABLISHED", secs(20));
    pbx.out.wait_for("needs a disclosure", secs(5), "the PBX");
    // The supervisor dials at once, before the prompt ends.
    sup.command("dial", "sip:*2221001@127.0.0.1:5060");
    let (s0, _) = sup.wait_event("CALL_ESTABLISHED", secs(20));
    pbx.out.wait_for("supervisor sam joins", secs(5), "the PBX");
    let (consent, _) = pbx
        .out
        .wait_for("disclosure played to its end", secs(10), "the PBX");
    std::thread::sleep(Duration::from_secs(3));
    let end = Instant::now();
    sup.command("hangup", "");
    customer.command("hangup", "");
    pbx.out.wait_for("timeline", secs(10), "the PBX");
    for ph in [&mut customer, &mut agent, &mut sup] {
        ph.command("quit", "");
    }
    for name in ["customer", "agent", "supervisor"] {
        p.wait(name, secs(10));
    }
    pbx.out.drain();
    println!("{test}: the PBX said:\n{}", pbx.out.all());
    let (rate, samples) = sup.heard();
    let rec = Recording {
        rate,
        samples,
        start: s0,
    };
    // Before the prompt ended: nothing at all (no margin at the start: from
    // the first sample the supervisor heard).
    let before_end = ((consent.saturating_duration_since(s0).as_secs_f64() - 0.1).max(0.0)
        * f64::from(rate)) as usize;
    let before = &rec.samples[..before_end.min(rec.samples.len())];
    let peak = before.iter().map(|s| s.unsigned_abs()).max().unwrap_or(0);
    let after = rec.window(consent, end);
    let (c, a) = (CUSTOMER.level_in(after, rate), AGENT.level_in(after, rate));
    println!(
        "{test}: the supervisor heard {:.2} s before the prompt ended, peak {peak}; after it: customer {:.1} dB, agent {:.1} dB",
        before.len() as f64 / f64::from(rate),
        db(c),
        db(a)
    );
    assert!(
        before.len() as f64 >= 1.0 * f64::from(rate),
        "the supervisor joined too late to test"
    );
    assert!(
        peak <= 8,
        "the supervisor heard the call before the disclosure (peak {peak})"
    );
    assert!(
        c >= HEARD && a >= HEARD,
        "the supervisor does not hear the call after the disclosure"
    );
    // The customer heard the prompt (440 Hz) before anything else.
    let (rate, samples) = customer.heard();
    let crec = Recording {
        rate,
        samples,
        start: c0,
    };
    let prompt_end =
        (consent.saturating_duration_since(c0).as_secs_f64() * f64::from(rate)) as usize;
    let prompt = amplitude(
        &crec.samples[..prompt_end.min(crec.samples.len())],
        440.0,
        rate,
    );
    println!("{test}: the prompt at the customer: {prompt:.0}");
    assert!(prompt > 300.0, "the customer did not hear the prompt");
}

/// linphonec, driven on its standard input.
struct Linphonec {
    stdin: std::process::ChildStdin,
}

impl Linphonec {
    fn say(&mut self, line: &str) -> Instant {
        use std::io::Write as _;
        let at = Instant::now();
        writeln!(self.stdin, "{line}").expect("linphonec's stdin");
        self.stdin.flush().expect("linphonec's stdin");
        at
    }
}

#[test]
fn a_linphonec_supervisor_keys_over_sip_info() {
    let test = "a_linphonec_supervisor_keys_over_sip_info";
    if !in_own_netns(test, &["baresip", "linphonec"]) {
        return;
    }
    let d = dir("linphonec");
    let mut p = Processes::default();
    let mut pbx = Pbx::start(&mut p, &d, CONFIG, pbx_addr());
    let mut agent = Baresip::start(
        &mut p,
        &d,
        &phone("agent", "alex", 5072, "PCMU/8000/1", AGENT),
    );
    let mut customer = Baresip::start(
        &mut p,
        &d,
        &phone("customer", "5550100", 5070, "PCMU/8000/1", CUSTOMER),
    );
    customer.command("dial", "sip:1001@127.0.0.1:5060");
    customer.wait_event("CALL_ESTABLISHED", secs(20));
    let (a0, _) = agent.wait_event("CALL_ESTABLISHED", secs(5));

    // linphonec as sam, DTMF as SIP INFO, its microphone a file.
    let home = d.join("linphone-home");
    std::fs::create_dir_all(home.join(".local/share/linphone")).expect("linphonec's home");
    let mic = d.join("sam.wav");
    write_wav(&mic, 8000, &SUPERVISOR.samples(8000, 90.0));
    let rc = d.join("linphonerc");
    std::fs::write(
        &rc,
        "[sip]\nsip_port=5074\nuse_info=1\nuse_rfc2833=0\nguess_hostname=0\ncontact=\"sam\" <sip:sam@127.0.0.1:5074>\n\
         [rtp]\naudio_rtp_port=30100\n[sound]\necho_cancellation=0\nagc=0\n\
         [audio_codec_0]\nmime=PCMU\nrate=8000\nenabled=1\n[net]\nipv6=0\n",
    )
    .expect("linphonerc");
    let child = p.spawn(
        "linphonec",
        Command::new("linphonec")
            .arg("-c")
            .arg(&rc)
            .env("HOME", &home)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null()),
    );
    let mut lin = Linphonec {
        stdin: child.stdin.take().expect("piped"),
    };
    let mut lout = Lines::new(child.stdout.take().expect("piped"));
    lin.say("soundcard use files");
    lin.say(&format!("play {}", mic.display()));
    lin.say("call sip:*2221001@127.0.0.1:5060");
    let (joined, _) = pbx
        .out
        .wait_for("supervisor sam joins", secs(30), "the PBX");
    lout.drain();
    let mut phases = vec![(joined, "monitor")];
    std::thread::sleep(PHASE);
    let mut delays = Vec::new();
    for (key, from, to) in [
        ("5", "monitor", "whisper"),
        ("6", "whisper", "barge"),
        ("4", "barge", "monitor"),
    ] {
        let sent = lin.say(key);
        let (at, line) = pbx.out.wait_for(
            &format!("supervisor sam: {from} -> {to}"),
            secs(10),
            "the PBX",
        );
        assert!(
            line.contains("SIP INFO"),
            "the key did not come as SIP INFO: {line}"
        );
        delays.push((key, at.duration_since(sent)));
        phases.push((at, to));
        std::thread::sleep(PHASE);
    }
    let end = Instant::now();
    lin.say("terminate");
    customer.command("hangup", "");
    pbx.out.wait_for("timeline", secs(10), "the PBX");
    lin.say("quit");
    customer.command("quit", "");
    agent.command("quit", "");
    for name in ["customer", "agent", "linphonec"] {
        p.wait(name, secs(10));
    }
    pbx.out.drain();
    println!("{test}: the PBX said:\n{}", pbx.out.all());
    let (rate, samples) = agent.heard();
    let rec = Recording {
        rate,
        samples,
        start: a0,
    };
    for (i, (from, mode)) in phases.iter().enumerate() {
        let to = phases.get(i + 1).map_or(end, |p| p.0);
        let level = SUPERVISOR.level_in(rec.window(*from, to), rate);
        println!(
            "{test}: {mode:>8}: the agent hears the supervisor at {:.1} dB",
            db(level)
        );
        let expected = *mode != "monitor";
        assert!(
            if expected {
                level >= HEARD
            } else {
                level <= ABSENT
            },
            "{mode}: the agent hears the supervisor at {:.1} dB",
            db(level)
        );
    }
    for (key, delay) in delays {
        println!(
            "{test}: key {key} (SIP INFO): {:.0} ms from linphonec's command to the switch",
            delay.as_secs_f64() * 1000.0
        );
    }
}
