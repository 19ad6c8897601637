//! The quickstart example: its voices, its scripted call, and the check that
//! makes its run in CI a real test of the mode table.

#[path = "../examples/common/mod.rs"]
mod common;
#[path = "common/mod.rs"]
mod harness;

use std::process::Command;

use barge::{Format, Mode};
use common::call::{play, Played};
use common::measure::{contradictions, fit, who_heard_whom, PhaseLevels};
use common::schedule::{Phase, Schedule};
use common::voice::conversation;

const RATE: u32 = 8000;
const SCRIPT: &str = "0:monitor,2.5:whisper,5:barge,7.5:monitor";

fn scripted_call() -> ([Vec<i16>; 3], Played) {
    let spoken = conversation(RATE, 10.0, 2.5);
    let schedule = Schedule::parse(SCRIPT).unwrap();
    let [c, a, s] = &spoken;
    let played = play(Format::NARROWBAND_20MS, [c, a, s], &schedule).unwrap();
    (spoken, played)
}

fn measure(spoken: &[Vec<i16>; 3], heard: &[Vec<i16>; 3], phases: &[Phase]) -> Vec<PhaseLevels> {
    let [c, a, s] = spoken;
    let [hc, ha, hs] = heard;
    who_heard_whom(Format::NARROWBAND_20MS, [c, a, s], [hc, ha, hs], phases)
}

/// The median fundamental frequency of the voiced 40 ms windows of `x`:
/// in each, the shortest lag (60 to 400 Hz) whose normalized
/// autocorrelation comes within 10% of the best, so that a multiple of the
/// period is not taken for it.
fn pitch(x: &[i16], rate: u32) -> f64 {
    let win = rate as usize / 25;
    let lags = rate as usize / 400..=rate as usize / 60;
    let mut found = Vec::new();
    for start in (0..x.len() - win - lags.end()).step_by(win) {
        let w: Vec<f64> = x[start..start + win + lags.end()]
            .iter()
            .map(|&v| f64::from(v))
            .collect();
        let energy = |from: usize| w[from..from + win].iter().map(|v| v * v).sum::<f64>();
        if energy(0) / (win as f64) < 1000.0f64.powi(2) {
            continue; // not loud enough to be voiced
        }
        let r: Vec<(usize, f64)> = lags
            .clone()
            .map(|l| {
                let dot = (0..win).map(|i| w[i] * w[i + l]).sum::<f64>();
                (l, dot / (energy(0) * energy(l)).sqrt())
            })
            .collect();
        let best = r.iter().map(|&(_, v)| v).fold(f64::MIN, f64::max);
        let (lag, _) = r.iter().find(|&&(_, v)| v >= 0.9 * best).unwrap();
        found.push(f64::from(rate) / *lag as f64);
    }
    assert!(found.len() > 20, "too few voiced windows");
    found.sort_by(f64::total_cmp);
    found[found.len() / 2]
}

#[test]
fn the_three_voices_differ_in_pitch_as_announced() {
    let spoken = conversation(RATE, 10.0, 2.5);
    let expected = [110.0, 210.0, 160.0];
    for (voice, f0) in spoken.iter().zip(expected) {
        let got = pitch(voice, RATE);
        assert!(
            (got / f0 - 1.0).abs() < 0.15,
            "pitch {got:.0} Hz, expected about {f0} Hz"
        );
    }
}

#[test]
fn every_voice_speaks_and_pauses_in_every_phase() {
    let spoken = conversation(RATE, 10.0, 2.5);
    let phase = 2500 * RATE as usize / 1000;
    for voice in &spoken {
        assert_eq!(voice.len(), 10 * RATE as usize);
        for part in voice.chunks(phase) {
            let loud = part.iter().filter(|v| v.abs() > 1000).count();
            let silent = part.iter().filter(|&&v| v == 0).count();
            assert!(loud > part.len() / 20, "a voice barely speaks in a phase");
            assert!(silent > part.len() / 4, "a voice never pauses in a phase");
        }
    }
}

#[test]
fn the_voices_are_the_same_on_every_run() {
    assert_eq!(conversation(RATE, 3.0, 2.5), conversation(RATE, 3.0, 2.5));
}

#[test]
fn three_voices_at_full_level_never_clip_together() {
    let [c, a, s] = conversation(RATE, 10.0, 2.5);
    for i in 0..c.len() {
        let sum = i32::from(c[i].unsigned_abs())
            + i32::from(a[i].unsigned_abs())
            + i32::from(s[i].unsigned_abs());
        assert!(sum <= i32::from(i16::MAX));
    }
}

#[test]
fn the_scripted_call_has_the_four_phases_and_events_of_the_script() {
    let (_, played) = scripted_call();
    let phases: Vec<(u64, u64, Mode)> = played
        .phases
        .iter()
        .map(|p| (p.start, p.end, p.mode))
        .collect();
    assert_eq!(
        phases,
        [
            (0, 125, Mode::Monitor),
            (125, 250, Mode::Whisper),
            (250, 375, Mode::Barge),
            (375, 500, Mode::Monitor)
        ]
    );
    let switches: Vec<(u64, &str)> = played
        .timeline
        .iter()
        .filter(|m| m.what.contains("switches"))
        .map(|m| (m.tick, m.what.as_str()))
        .collect();
    assert_eq!(switches.len(), 3, "{switches:?}");
    assert_eq!(switches[0].0, 125);
    assert!(switches[0].1.contains("monitor -> whisper"));
    assert_eq!(switches[1].0, 250);
    assert!(switches[1].1.contains("whisper -> barge"));
    assert_eq!(switches[2].0, 375);
    assert!(switches[2].1.contains("barge -> monitor"));
    assert_eq!(
        played
            .timeline
            .iter()
            .filter(|m| m.tick == 0 && m.what.contains(" joins"))
            .count(),
        3
    );
}

#[test]
fn the_scripted_call_measures_exactly_as_the_mode_table_says() {
    let (spoken, played) = scripted_call();
    let measured = measure(&spoken, &played.heard, &played.phases);
    assert_eq!(measured.len(), 4);
    assert_eq!(
        contradictions(Format::NARROWBAND_20MS, &measured),
        Vec::<String>::new()
    );
    let whisper = &measured[1];
    let [customer, agent, _] = whisper.levels;
    assert!(
        customer[2].unwrap().abs() < 1e-9,
        "customer hears the whisper"
    );
    assert!(
        (agent[2].unwrap() - 1.0).abs() < 1e-9,
        "agent misses the whisper"
    );
}

#[test]
fn during_whisper_the_customer_hears_exactly_the_agent() {
    let (spoken, played) = scripted_call();
    let whisper = 125 * 160..250 * 160;
    assert_eq!(played.heard[0][whisper.clone()], spoken[1][whisper]);
}

#[test]
fn the_check_catches_a_whisper_that_leaks_to_the_customer() {
    let (spoken, played) = scripted_call();
    let mut heard = played.heard.clone();
    // A mixer that leaked the whisper at -30 dB into the customer's output.
    for i in 125 * 160..250 * 160 {
        heard[0][i] = heard[0][i].saturating_add(spoken[2][i] / 32);
    }
    let wrong = contradictions(
        Format::NARROWBAND_20MS,
        &measure(&spoken, &heard, &played.phases),
    );
    assert_eq!(wrong.len(), 1, "{wrong:?}");
    assert!(
        wrong[0].contains("(whisper): the customer heard the supervisor"),
        "{}",
        wrong[0]
    );
}

#[test]
fn the_check_catches_a_whisper_the_agent_never_gets() {
    let (spoken, played) = scripted_call();
    let mut heard = played.heard.clone();
    // A mixer that only let the customer through to the agent, as if the
    // whisper were not mixed in.
    heard[1][125 * 160..250 * 160].copy_from_slice(&spoken[0][125 * 160..250 * 160]);
    let wrong = contradictions(
        Format::NARROWBAND_20MS,
        &measure(&spoken, &heard, &played.phases),
    );
    assert_eq!(wrong.len(), 1, "{wrong:?}");
    assert!(
        wrong[0].contains("(whisper): the agent heard the supervisor at 0.000"),
        "{}",
        wrong[0]
    );
}

#[test]
fn the_check_catches_a_monitoring_supervisor_heard_by_the_agent() {
    let (spoken, played) = scripted_call();
    let mut heard = played.heard.clone();
    for i in 0..125 * 160 {
        heard[1][i] = heard[1][i].saturating_add(spoken[2][i]);
    }
    let wrong = contradictions(
        Format::NARROWBAND_20MS,
        &measure(&spoken, &heard, &played.phases),
    );
    assert_eq!(wrong.len(), 1, "{wrong:?}");
    assert!(
        wrong[0].contains("(monitor): the agent heard the supervisor at 1.000"),
        "{}",
        wrong[0]
    );
}

#[test]
fn a_talker_who_is_silent_cannot_be_measured_and_the_check_says_so() {
    let out = vec![0i16; 800];
    let voice = conversation(RATE, 0.1, 0.1);
    let [c, _, _] = &voice;
    let silent = vec![0i16; 800];
    let levels = fit(&out, [c, &silent, &silent], 0..800);
    assert_eq!(levels[1], None);
    assert_eq!(levels[2], None);
    assert!(levels[0].unwrap().abs() < 1e-9);
}

#[test]
fn the_quickstart_program_writes_three_wavs_and_exits_0() {
    let dir = std::env::temp_dir().join(format!("barge-quickstart-{}", std::process::id()));
    let run = Command::new(harness::example_binary("quickstart"))
        .arg("--out")
        .arg(&dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert_eq!(
        run.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(stdout.contains("Every measured level agrees with the mode table."));
    assert!(
        stdout.contains("tick  125   2.50 s  supervisor #2 switches monitor -> whisper"),
        "{stdout}"
    );
    for name in ["customer", "agent", "supervisor"] {
        let r = hound::WavReader::open(dir.join(format!("{name}.wav"))).unwrap();
        let spec = r.spec();
        assert_eq!(
            (spec.channels, spec.sample_rate, spec.bits_per_sample),
            (1, 8000, 16)
        );
        assert_eq!(r.len(), 80_000);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_quickstart_program_rejects_a_bad_flag_with_one_line_and_status_2() {
    for args in [&["--bogus"][..], &["--out"], &["--out", "a", "--out", "b"]] {
        let run = Command::new(harness::example_binary("quickstart"))
            .args(args)
            .output()
            .unwrap();
        assert_eq!(run.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8(run.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.starts_with("quickstart: "), "{stderr}");
        assert!(run.stdout.is_empty());
    }
}
