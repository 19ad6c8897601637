//! The compliance example, checked from what it prints: each refusal names
//! who asked for what and why, the disclosure comes when the prompt has
//! played (or the host recorded it), and no one listens before it. The
//! example's script is written out here, not taken from the example.

use std::process::{Command, Output};

/// The example, built first in this test's profile and with this test's
/// features (so that `--json` is there when the test has `serde`).
fn run(args: &[&str]) -> Output {
    let mut build = Command::new(env!("CARGO"));
    build
        .args([
            "build",
            "--quiet",
            "-p",
            "barge-examples",
            "--example",
            "compliance",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    if cfg!(debug_assertions) {
        build.args(["--profile", "test"]);
    } else {
        build.arg("--release");
    }
    if cfg!(feature = "serde") {
        build.args(["--features", "serde"]);
    }
    assert!(build.status().expect("run cargo build").success());
    let exe = std::env::current_exe().expect("the test's path");
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("the target directory");
    let bin = dir
        .join("examples")
        .join(format!("compliance{}", std::env::consts::EXE_SUFFIX));
    Command::new(bin)
        .args(args)
        .output()
        .expect("run the example")
}

/// The text of each call's timeline.
fn calls() -> Vec<String> {
    let out = run(&[]);
    let stdout = String::from_utf8(out.stdout).expect("UTF-8");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let calls: Vec<String> = stdout
        .split("=== Call ")
        .skip(1)
        .map(str::to_string)
        .collect();
    assert_eq!(calls.len(), 2, "{stdout}");
    calls
}

/// The lines of a section ("Refusals:", …) of one call, trimmed.
fn section<'a>(call: &'a str, title: &str) -> Vec<&'a str> {
    let start = call
        .find(&format!("\n{title}\n"))
        .unwrap_or_else(|| panic!("no {title} in\n{call}"));
    call[start + title.len() + 2..]
        .lines()
        .take_while(|l| !l.is_empty())
        .map(str::trim)
        .collect()
}

/// The number after `word` in `line`, e.g. `tick` in "from tick 76 (…)".
fn after(line: &str, word: &str) -> u64 {
    let rest = &line[line
        .find(word)
        .unwrap_or_else(|| panic!("{word} in {line}"))
        + word.len()..];
    rest.split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("a number after {word:?} in {line}"))
}

/// When the disclosure was recorded, by the call's Disclosure section.
fn disclosure(call: &str) -> u64 {
    let lines = section(call, "Disclosure:");
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].ends_with("listening intervals that start before it: 0"),
        "{lines:?}"
    );
    after(lines[0], "recorded at tick")
}

/// (supervisor, mode, from, to) of each "listened" line.
fn listened(call: &str) -> Vec<(String, String, u64, u64)> {
    section(call, "Who listened to whom:")
        .into_iter()
        .filter(|l| l.contains(" listened in "))
        .map(|l| {
            let who = l.split('"').nth(1).expect("a supervisor's key").to_string();
            let mode = l
                .split(" listened in ")
                .nth(1)
                .and_then(|r| r.split(" from ").next())
                .expect("a mode")
                .to_string();
            (who, mode, after(l, "from tick"), after(l, "to tick"))
        })
        .collect()
}

#[test]
fn every_refusal_says_who_asked_for_what_and_why() {
    let calls = calls();
    let first = section(&calls[0], "Refusals:");
    let expected_first = [
        "tick 25 (0.50 s)   supervisor \"quinn\" asked for whisper on agent \"alex\"; \
         refused: granted on that agent: monitor",
        "tick 125 (2.50 s)  supervisor \"lee\" asked for monitor on agent \"alex\"; \
         refused: no mode is granted on that agent",
    ];
    assert_eq!(first, expected_first);
    let second = section(&calls[1], "Refusals:");
    assert_eq!(second.len(), 3, "{second:?}");
    assert!(second[0].starts_with("tick 10 (0.20 s)"), "{second:?}");
    assert!(
        second[0].contains(
            "supervisor \"quinn\" asked for monitor; refused: the call requires a disclosure"
        ),
        "{second:?}"
    );
    for (line, (tick, who)) in second[1..].iter().zip([("60", "quinn"), ("70", "sam")]) {
        assert!(line.starts_with(&format!("tick {tick} ")), "{line}");
        assert!(
            line.ends_with(&format!(
                "supervisor \"{who}\" asked for monitor on agent \"jordan\"; \
                 refused: the agent has opted out of being monitored"
            )),
            "{line}"
        );
    }
    // Each refusal is on the audit trail too, where it happened.
    for (call, n) in calls.iter().zip([2, 3]) {
        assert_eq!(call.matches("  REFUSED: ").count(), n, "{call}");
    }
}

#[test]
fn the_prompt_is_the_disclosure_and_nobody_listens_before_it() {
    let calls = calls();
    // The prompt plays 1.5 s (75 ticks of 20 ms) from tick 0, with its
    // edges: the disclosure holds from the tick after its last frame.
    let at = disclosure(&calls[0]);
    assert!((75..=77).contains(&at), "disclosure at tick {at}");
    assert!(
        calls[0].contains(
            "DISCLOSURE recorded by announcement #2, which played to the customer to its end"
        ),
        "{}",
        calls[0]
    );
    let listened = listened(&calls[0]);
    for (who, mode, from, _) in &listened {
        assert!(
            *from >= at,
            "{who} listened in {mode} from tick {from}, before {at}"
        );
    }
    let s = |x: &str| x.to_string();
    assert_eq!(
        listened,
        [
            (s("quinn"), s("monitor"), at, 275),
            (s("sam"), s("whisper"), 100, 175),
            (s("sam"), s("barge"), 175, 250),
        ]
    );
    let held: Vec<&str> = section(&calls[0], "Who listened to whom:")
        .into_iter()
        .filter(|l| l.contains("held silent"))
        .collect();
    assert_eq!(held.len(), 1, "{held:?}");
    assert!(held[0].starts_with("supervisor \"quinn\" held silent in monitor from tick 10 "));
    assert_eq!(after(held[0], "to tick"), at);
    assert!(!calls[0].contains("\"lee\" listened"));
}

#[test]
fn the_host_records_the_disclosure_and_the_opted_out_agent_is_never_monitored() {
    let calls = calls();
    assert_eq!(disclosure(&calls[1]), 50);
    assert!(calls[1].contains("DISCLOSURE recorded by the host"));
    assert!(listened(&calls[1]).is_empty());
    assert_eq!(section(&calls[1], "Who listened to whom:"), ["nobody"]);
}

#[cfg(not(feature = "serde"))]
#[test]
fn json_without_the_feature_says_how_to_get_it() {
    let out = run(&["--json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--features serde"), "{stderr}");
}

#[cfg(feature = "serde")]
#[test]
fn json_lines_are_the_raw_events() {
    let out = run(&["--json"]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8(out.stdout).expect("UTF-8");
    let events: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let of = |call: u64, kind: &str| -> Vec<&serde_json::Value> {
        events
            .iter()
            .filter(|e| e["call"] == call && e["event"] == kind)
            .collect()
    };
    let refused = of(1, "refused");
    assert_eq!(refused.len(), 2);
    assert_eq!(refused[0]["at"], 25);
    assert_eq!(refused[0]["refusal"]["supervisor"], "quinn");
    assert_eq!(refused[0]["refusal"]["agent"], "alex");
    assert_eq!(refused[0]["refusal"]["mode"], "whisper");
    assert_eq!(
        refused[0]["refusal"]["reason"]["not_granted"]["granted"],
        serde_json::json!(["monitor"])
    );
    let reasons: Vec<&serde_json::Value> = of(2, "refused")
        .iter()
        .map(|e| &e["refusal"]["reason"])
        .collect();
    assert_eq!(reasons, ["consent_pending", "opted_out", "opted_out"]);
    let consent = of(1, "consent_given");
    assert_eq!(consent.len(), 1);
    assert!((75..=77).contains(&consent[0]["at"].as_u64().unwrap()));
    assert_eq!(of(2, "consent_given")[0]["by"], "host");
}
