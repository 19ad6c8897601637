//! The record example, checked from the WAV files it writes: each channel of
//! the stereo file and each stem holds whom the recording rule says, as
//! measured by least squares against the synthesized voices, and the
//! supervisor's stem is exactly silent wherever the supervisor is not
//! recorded.

#[path = "../examples/common/mod.rs"]
mod common;
#[path = "common/mod.rs"]
mod harness;

use std::process::Command;

use barge::resample::Resampler;
use barge::{Mode, SampleRate};
use common::measure::{fit, TOLERANCE_HEARD, TOLERANCE_SILENT};
use common::voice::conversation;

/// The call's rate and frame: 8 kHz, 20 ms.
const CALL_RATE: u32 = 8000;
const CALL_SPF: usize = 160;
/// The example's script (0:monitor, 2.5:whisper, 5:barge, 7.5:monitor) in
/// ticks of 20 ms, written out here rather than taken from the example.
const PHASES: [(usize, usize, Mode); 4] = [
    (0, 125, Mode::Monitor),
    (125, 250, Mode::Whisper),
    (250, 375, Mode::Barge),
    (375, 500, Mode::Monitor),
];
const NAMES: [&str; 3] = ["customer", "agent", "supervisor"];
const CUSTOMER: usize = 0;
const AGENT: usize = 1;
const SUPERVISOR: usize = 2;

/// What one run of the example wrote, read back with hound.
struct Files {
    rate: u32,
    /// The stereo file's channels, as laid out in the file.
    left: Vec<i16>,
    right: Vec<i16>,
    /// stem-customer.wav, stem-agent.wav, stem-supervisor.wav.
    stems: [Vec<i16>; 3],
    stdout: String,
}

impl Files {
    /// The stereo channel that should hold the customer, and the one that
    /// should hold the agent's side.
    fn sides(&self, swapped: bool) -> [(&'static str, &[i16]); 2] {
        let (l, r) = (&self.left[..], &self.right[..]);
        if swapped {
            [("stereo right", r), ("stereo left", l)]
        } else {
            [("stereo left", l), ("stereo right", r)]
        }
    }
}

/// Runs the example with `args`, checks that it exits 0 and that each file's
/// header is what was asked for, and reads the files back.
fn record(tag: &str, args: &[&str], rate: u32) -> Files {
    let dir = std::env::temp_dir().join(format!("barge-record-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let run = Command::new(harness::example_binary("record"))
        .arg("--out")
        .arg(&dir)
        .args(args)
        .output()
        .expect("run the example");
    let stdout = String::from_utf8_lossy(&run.stdout).into_owned();
    assert_eq!(
        run.status.code(),
        Some(0),
        "{args:?}\n{stdout}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let samples = 10 * rate as usize;
    let read = |name: &str, channels: u16| -> Vec<i16> {
        let reader = hound::WavReader::open(dir.join(name)).expect(name);
        let spec = reader.spec();
        assert_eq!(
            (
                spec.channels,
                spec.sample_rate,
                spec.bits_per_sample,
                spec.sample_format
            ),
            (channels, rate, 16, hound::SampleFormat::Int),
            "{name}"
        );
        assert_eq!(reader.duration() as usize, samples, "{name} is 10 s long");
        reader
            .into_samples::<i16>()
            .collect::<Result<_, _>>()
            .expect(name)
    };
    let stereo = read("stereo.wav", 2);
    let files = Files {
        rate,
        left: stereo.iter().step_by(2).copied().collect(),
        right: stereo.iter().skip(1).step_by(2).copied().collect(),
        stems: NAMES.map(|n| read(&format!("stem-{n}.wav"), 1)),
        stdout,
    };
    let _ = std::fs::remove_dir_all(&dir);
    files
}

/// The three voices the example synthesizes, as a tap at `rate` holds
/// them: through a resampler from the call's rate, frame by frame, when
/// `rate` is not the call's.
fn voices(rate: u32) -> [Vec<i16>; 3] {
    let spoken = conversation(CALL_RATE, 10.0, 2.5);
    if rate == CALL_RATE {
        return spoken;
    }
    let to = SampleRate::from_hz(rate).unwrap();
    let out_spf = CALL_SPF * rate as usize / CALL_RATE as usize;
    spoken.map(|v| {
        let mut r = Resampler::new(SampleRate::Hz8000, to);
        let mut out = vec![0i16; v.len() / CALL_SPF * out_spf];
        for (i, o) in v.chunks_exact(CALL_SPF).zip(out.chunks_exact_mut(out_spf)) {
            r.process_i16(i, o).unwrap();
        }
        out
    })
}

/// Whether the rule records the supervisor in `mode`: in barge always, in
/// whisper only with `--whispers`, in monitor never.
fn supervisor_recorded(mode: Mode, whispers: bool) -> bool {
    match mode {
        Mode::Barge => true,
        Mode::Whisper => whispers,
        Mode::Monitor => false,
        other => unreachable!("the script has no {other}"),
    }
}

/// Every place where the files contradict the recording rule, in words;
/// empty when they agree. `swapped`: the agent's side should be on the left.
fn violations(files: &Files, whispers: bool, swapped: bool) -> Vec<String> {
    let voices = voices(files.rate);
    let [c, a, s] = &voices;
    let spf = CALL_SPF * files.rate as usize / CALL_RATE as usize;
    let [(customer_name, customer), (agent_name, agent)] = files.sides(swapped);
    let mut found = Vec::new();
    for &(start, end, mode) in &PHASES {
        let sup = supervisor_recorded(mode, whispers);
        // Which talkers each track must hold: [customer, agent, supervisor].
        let tracks: [(&str, &[i16], [bool; 3]); 5] = [
            (customer_name, customer, [true, false, false]),
            (agent_name, agent, [false, true, sup]),
            (
                "stem-customer",
                &files.stems[CUSTOMER],
                [true, false, false],
            ),
            ("stem-agent", &files.stems[AGENT], [false, true, false]),
            (
                "stem-supervisor",
                &files.stems[SUPERVISOR],
                [false, false, sup],
            ),
        ];
        // Leave out each phase's first frame, in which channels that open
        // ramp in (and a resampler's delay carries the phase before).
        let window = (start + 1) * spf..end * spf;
        for (name, track, must) in tracks {
            let levels = fit(track, [c, a, s], window.clone());
            for (t, level) in levels.iter().enumerate() {
                // Every voice speaks in every phase: each level can be told.
                let g = level.expect("every voice speaks in every phase");
                let ok = if must[t] {
                    (g - 1.0).abs() <= TOLERANCE_HEARD
                } else {
                    g.abs() <= TOLERANCE_SILENT
                };
                if !ok {
                    found.push(format!(
                        "{mode} at tick {start}: {name} holds the {} at {g:.3}, expected {}",
                        NAMES[t],
                        if must[t] { "1.00" } else { "0.00" }
                    ));
                }
            }
        }
        if !sup {
            // Not recorded is silence, sample for sample. At the call's
            // rate from the phase's first sample; at another, from its
            // second frame, past the few ms of the resampler's tail.
            let first = if files.rate == CALL_RATE {
                start
            } else {
                start + 1
            };
            let part = &files.stems[SUPERVISOR][first * spf..end * spf];
            let loud = part.iter().filter(|&&x| x != 0).count();
            if loud != 0 {
                found.push(format!(
                    "{mode} at tick {start}: stem-supervisor has {loud} samples not zero"
                ));
            }
        }
    }
    found
}

/// The level of `voice` in `track` over the phase that starts at `start`.
fn level_in(files: &Files, track: &[i16], voice: usize, start: usize) -> f64 {
    let voices = voices(files.rate);
    let [c, a, s] = &voices;
    let spf = CALL_SPF * files.rate as usize / CALL_RATE as usize;
    let &(_, end, _) = PHASES.iter().find(|p| p.0 == start).unwrap();
    fit(track, [c, a, s], (start + 1) * spf..end * spf)[voice].unwrap()
}

#[test]
fn without_whispers_the_supervisor_is_recorded_only_in_barge_on_the_agent_side() {
    let files = record("plain", &[], 8000);
    assert_eq!(violations(&files, false, false), Vec::<String>::new());
    // The whisper is not on the agent's channel, nor on the supervisor's stem.
    assert!(level_in(&files, &files.right, SUPERVISOR, 125).abs() < 1e-3);
    assert!(files.stems[SUPERVISOR][125 * 160..250 * 160]
        .iter()
        .all(|&x| x == 0));
    // The barge is, at unity.
    assert!((level_in(&files, &files.right, SUPERVISOR, 250) - 1.0).abs() < 1e-3);
    assert!(files
        .stdout
        .contains("Every channel holds whom the recording rule says"));
}

#[test]
fn with_whispers_the_agent_side_and_the_stem_hold_the_whisper_too() {
    let files = record("whispers", &["--whispers"], 8000);
    assert_eq!(violations(&files, true, false), Vec::<String>::new());
    assert!((level_in(&files, &files.right, SUPERVISOR, 125) - 1.0).abs() < 1e-3);
    let stem = &files.stems[SUPERVISOR];
    assert!((level_in(&files, stem, SUPERVISOR, 125) - 1.0).abs() < 1e-3);
    // Still never on the customer's channel.
    assert!(level_in(&files, &files.left, SUPERVISOR, 125).abs() < 1e-3);
    assert!(level_in(&files, &files.left, SUPERVISOR, 250).abs() < 1e-3);
    // And the rule without whispers does not fit these files.
    assert!(!violations(&files, false, false).is_empty());
}

#[test]
fn at_16_khz_swapped_the_agent_side_is_on_the_left_at_the_tap_rate() {
    // `record` checks that every file says 16000 Hz and holds 10 s of it.
    let files = record("swap16", &["--rate", "16000", "--swap"], 16000);
    assert_eq!(violations(&files, false, true), Vec::<String>::new());
    // The agent on the left, the customer on the right.
    assert!((level_in(&files, &files.left, AGENT, 0) - 1.0).abs() < 0.01);
    assert!(level_in(&files, &files.left, CUSTOMER, 0).abs() < 0.01);
    assert!((level_in(&files, &files.right, CUSTOMER, 0) - 1.0).abs() < 0.01);
    assert!(level_in(&files, &files.right, AGENT, 0).abs() < 0.01);
    // The unswapped reading of the same files is wrong.
    assert!(!violations(&files, false, false).is_empty());
}

#[test]
fn the_check_catches_a_supervisor_on_the_customer_channel() {
    let mut files = record("leak", &[], 8000);
    let [_, _, s] = voices(8000);
    // A recorder that let the barge into the customer's channel at -30 dB.
    let barge = 250 * 160..375 * 160;
    for (x, v) in files.left[barge.clone()].iter_mut().zip(&s[barge]) {
        *x = x.saturating_add(v / 32);
    }
    let found = violations(&files, false, false);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("barge at tick 250: stereo left holds the supervisor at 0.031"),
        "{}",
        found[0]
    );
}

#[test]
fn the_check_catches_a_supervisor_stem_that_is_not_silent_in_monitor() {
    let mut files = record("hiss", &[], 8000);
    // One sample of one LSB, in the first frame of the last monitor phase:
    // too small for the least squares, not for the silence check.
    files.stems[SUPERVISOR][375 * 160 + 3] = 1;
    let found = violations(&files, false, false);
    assert_eq!(
        found,
        ["monitor at tick 375: stem-supervisor has 1 samples not zero"]
    );
}

#[test]
fn a_bad_flag_is_one_line_on_stderr_and_status_2() {
    for args in [&["--rate", "44100"][..], &["--rate"], &["--loud"]] {
        let run = Command::new(harness::example_binary("record"))
            .args(args)
            .output()
            .unwrap();
        assert_eq!(run.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8(run.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.starts_with("record: "), "{stderr}");
    }
}
