//! The mix_files example on real WAV files: who hears whom in what it
//! writes, and one line on stderr with status 2 for every kind of bad input.

#[path = "../examples/common/mod.rs"]
mod common;
#[path = "common/mod.rs"]
mod harness;

use std::path::{Path, PathBuf};
use std::process::Command;

use barge::{Format, Mode, Ptime};
use common::measure::{contradictions, who_heard_whom};
use common::mix_files::{parse_args, run, Args, Command as Cli};
use common::schedule::Schedule;
use common::voice::conversation;
use common::wav::{read_mono16, write_mono16};

/// A fresh directory under the system's temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(test: &str) -> TempDir {
        let dir =
            std::env::temp_dir().join(format!("barge-mix-files-{}-{test}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn write_wav(path: &Path, spec: hound::WavSpec, samples: impl IntoIterator<Item = i32>) {
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for s in samples {
        w.write_sample(s).unwrap();
    }
    w.finalize().unwrap();
}

fn spec(channels: u16, rate: u32, bits: u16) -> hound::WavSpec {
    hound::WavSpec {
        channels,
        sample_rate: rate,
        bits_per_sample: bits,
        sample_format: hound::SampleFormat::Int,
    }
}

/// Writes the three voices of a conversation at `rate` to `dir`; the
/// customer's file is cut `short_by` seconds before the others end.
fn voices(dir: &TempDir, rate: u32, seconds: f64, short_by: f64) -> [PathBuf; 3] {
    let mut spoken = conversation(rate, seconds, seconds / 4.0);
    let keep = ((seconds - short_by) * f64::from(rate)) as usize;
    spoken[0].truncate(keep);
    let names = ["c.wav", "a.wav", "s.wav"];
    let paths = names.map(|n| dir.path(n));
    for (p, s) in paths.iter().zip(&spoken) {
        write_mono16(p, rate, s).unwrap();
    }
    paths
}

fn mix(inputs: [PathBuf; 3], schedule: &str, out: PathBuf, ptime: Ptime) {
    run(&Args {
        inputs,
        schedule: Schedule::parse(schedule).unwrap(),
        out,
        ptime,
    })
    .unwrap();
}

#[test]
fn mixed_files_carry_each_mode_and_whisper_never_reaches_the_customer() {
    let dir = TempDir::new("modes");
    let rate = 16000;
    let inputs = voices(&dir, rate, 4.0, 0.5);
    let out = dir.path("out");
    mix(
        inputs.clone(),
        "0:monitor,1:whisper,2:barge,3:monitor",
        out.clone(),
        Ptime::Ms20,
    );

    let read = |p: &Path| read_mono16(p).unwrap();
    let spoken = inputs.clone().map(|p| read(&p).1);
    let heard = ["customer", "agent", "supervisor"].map(|n| {
        let (r, h) = read(&out.join(format!("{n}.wav")));
        assert_eq!(r, rate);
        h
    });
    // As long as the longest input; the customer's shorter file was padded.
    assert_eq!(spoken[0].len(), 56_000);
    for h in &heard {
        assert_eq!(h.len(), 64_000);
    }

    let format = Format::new(rate, 20).unwrap();
    let phases = Schedule::parse("0:monitor,1:whisper,2:barge,3:monitor")
        .unwrap()
        .phases(format, 200);
    let [c, a, s] = &spoken;
    let [hc, ha, hs] = &heard;
    let measured = who_heard_whom(format, [c, a, s], [hc, ha, hs], &phases);
    assert_eq!(measured.len(), 4);
    assert_eq!(contradictions(format, &measured), Vec::<String>::new());

    // Whisper, 1–2 s: not one sample of the supervisor in customer.wav (it is
    // exactly the agent's voice); the agent hears the supervisor at unity.
    let whisper = 16_000..32_000;
    assert_eq!(measured[1].phase.mode, Mode::Whisper);
    assert_eq!(hc[whisper.clone()], a[whisper.clone()]);
    assert!((measured[1].levels[1][2].unwrap() - 1.0).abs() < 1e-9);
    let with_supervisor = ha[whisper.clone()]
        .iter()
        .zip(&c[whisper.clone()])
        .filter(|(h, c)| h != c)
        .count();
    assert!(with_supervisor > 1000, "agent.wav holds no whisper");
    // Barge, 2–3 s: the customer hears the supervisor too.
    assert!((measured[2].levels[0][2].unwrap() - 1.0).abs() < 1e-9);
}

#[test]
fn any_supported_rate_and_ptime_keeps_the_rate_and_length() {
    let dir = TempDir::new("rates");
    for (rate, ptime) in [
        (8000, Ptime::Ms10),
        (24000, Ptime::Ms30),
        (48000, Ptime::Ms60),
    ] {
        let inputs = voices(&dir, rate, 1.0, 0.25);
        let out = dir.path(&format!("out-{rate}"));
        mix(inputs, "0:whisper", out.clone(), ptime);
        for n in ["customer", "agent", "supervisor"] {
            let (r, h) = read_mono16(&out.join(format!("{n}.wav"))).unwrap();
            assert_eq!((r, h.len()), (rate, rate as usize));
        }
    }
}

#[test]
fn inputs_at_different_rates_are_heard_at_their_own() {
    // A PSTN customer, a wideband agent and a browser supervisor.
    let dir = TempDir::new("mixed");
    // `voices` writes the same three names each time: keep each one apart.
    let keep = |rate: u32, i: usize, name: &str| {
        let from = voices(&dir, rate, 1.0, 0.0)[i].clone();
        let to = dir.path(name);
        std::fs::rename(&from, &to).unwrap();
        to
    };
    let (c8, a16, s48) = (
        keep(8000, 0, "c8.wav"),
        keep(16000, 1, "a16.wav"),
        keep(48000, 2, "s48.wav"),
    );
    let out = dir.path("out");
    let mixed = run(&Args {
        inputs: [c8, a16, s48],
        schedule: Schedule::parse("0:barge").unwrap(),
        out: out.clone(),
        ptime: Ptime::Ms20,
    })
    .unwrap();
    assert_eq!(mixed.format.rate().hz(), 48000, "mixed at the highest rate");
    for (n, rate) in [("customer", 8000), ("agent", 16000), ("supervisor", 48000)] {
        let (r, h) = read_mono16(&out.join(format!("{n}.wav"))).unwrap();
        assert_eq!((r, h.len()), (rate, rate as usize), "{n}.wav");
        let loud = h.iter().filter(|x| x.unsigned_abs() > 1000).count();
        assert!(loud > h.len() / 20, "{n} hears the others in barge");
    }
}

#[test]
fn a_schedule_that_starts_late_begins_in_monitor() {
    let s = Schedule::parse("1:barge").unwrap();
    let phases = s.phases(Format::NARROWBAND_20MS, 100);
    let got: Vec<_> = phases.iter().map(|p| (p.start, p.end, p.mode)).collect();
    assert_eq!(got, [(0, 50, Mode::Monitor), (50, 100, Mode::Barge)]);
}

#[test]
fn a_mode_starts_with_the_first_frame_at_or_after_its_time() {
    let f30 = Format::new(8000, 30).unwrap();
    let s = Schedule::parse("0:whisper, 2.5:BARGE ,2.51:monitor").unwrap();
    let got: Vec<_> = s
        .phases(f30, 200)
        .iter()
        .map(|p| (p.start, p.end, p.mode))
        .collect();
    // 2.5 s / 30 ms = 83.3: frame 84; 2.51 s = 83.67: also frame 84, and the
    // later entry wins.
    assert_eq!(got, [(0, 84, Mode::Whisper), (84, 200, Mode::Monitor)]);
}

#[test]
fn malformed_schedules_are_one_line_errors_naming_the_entry() {
    for (text, needle) in [
        ("", "schedule is empty"),
        ("0:monitor,abc:whisper", "\"abc\" is not a number"),
        ("0:monitor,2.5:wisper", "unknown mode \"wisper\""),
        ("0:monitor,2.5:whisper,2.5:barge", "must strictly increase"),
        ("0:monitor,3:whisper,2:barge", "must strictly increase"),
        ("-1:monitor", "0 or more"),
        ("inf:barge", "finite"),
        ("NaN:barge", "finite"),
        ("0 monitor", "expected TIME:MODE"),
        ("0:monitor,", "entry 2"),
    ] {
        let e = Schedule::parse(text).unwrap_err();
        assert!(e.contains(needle), "{text:?}: {e}");
        assert_eq!(e.lines().count(), 1);
    }
}

#[test]
fn the_command_line_is_parsed_with_defaults_and_both_flag_forms() {
    let args: Vec<String> = [
        "--customer",
        "c.wav",
        "--agent=a.wav",
        "--supervisor",
        "s.wav",
        "--schedule",
        "0:barge",
        "--out",
        "o",
    ]
    .map(String::from)
    .to_vec();
    let Cli::Mix(parsed) = parse_args(&args).unwrap() else {
        panic!("not a mix");
    };
    assert_eq!(parsed.inputs[1], PathBuf::from("a.wav"));
    assert_eq!(parsed.ptime, Ptime::Ms20);
    assert_eq!(parsed.out, PathBuf::from("o"));
    assert_eq!(parse_args(&["--help".to_string()]), Ok(Cli::Help));
}

/// Runs the mix_files program; returns its status and stderr.
fn mix_files(args: &[&str]) -> (Option<i32>, String) {
    let run = Command::new(harness::example_binary("mix_files"))
        .args(args)
        .output()
        .unwrap();
    (run.status.code(), String::from_utf8(run.stderr).unwrap())
}

#[test]
fn the_program_mixes_files_and_exits_0() {
    let dir = TempDir::new("program");
    let [c, a, s] = voices(&dir, 8000, 2.0, 0.0);
    let out = dir.path("out");
    let (status, stderr) = mix_files(&[
        "--customer",
        c.to_str().unwrap(),
        "--agent",
        a.to_str().unwrap(),
        "--supervisor",
        s.to_str().unwrap(),
        "--schedule",
        "0:monitor,1:whisper",
        "--out",
        out.to_str().unwrap(),
        "--ptime",
        "40",
    ]);
    assert_eq!(status, Some(0), "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
    for n in ["customer", "agent", "supervisor"] {
        assert_eq!(
            read_mono16(&out.join(format!("{n}.wav"))).unwrap().1.len(),
            16_000
        );
    }
}

#[test]
fn every_bad_input_is_one_line_on_stderr_and_status_2() {
    let dir = TempDir::new("bad");
    let [c, a, s] = voices(&dir, 8000, 0.5, 0.0);
    let stereo = dir.path("stereo.wav");
    write_wav(&stereo, spec(2, 8000, 16), (0..800).map(|i| i % 100));
    let bits24 = dir.path("24bit.wav");
    write_wav(&bits24, spec(1, 8000, 24), (0..400).map(|i| i * 100));
    let bits8 = dir.path("8bit.wav");
    write_wav(&bits8, spec(1, 8000, 8), (0..400).map(|i| i % 100));
    let float = dir.path("float.wav");
    let mut w = hound::WavWriter::create(
        &float,
        hound::WavSpec {
            sample_format: hound::SampleFormat::Float,
            ..spec(1, 8000, 32)
        },
    )
    .unwrap();
    w.write_sample(0.5f32).unwrap();
    w.finalize().unwrap();
    let cd = [
        dir.path("c44.wav"),
        dir.path("a44.wav"),
        dir.path("s44.wav"),
    ];
    for p in &cd {
        write_wav(p, spec(1, 44100, 16), (0..4410).map(|i| i % 100));
    }
    let text = dir.path("text.wav");
    std::fs::write(&text, "this is not a wav file").unwrap();
    let truncated = dir.path("truncated.wav");
    let bytes = std::fs::read(&c).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 2 + 1]).unwrap();
    let missing = dir.path("missing.wav");
    let out = dir.path("out");

    let p = |p: &Path| p.to_str().unwrap().to_string();
    let good = [p(&c), p(&a), p(&s)];
    let call = |inputs: [String; 3], extra: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = vec![
            "--customer".into(),
            inputs[0].clone(),
            "--agent".into(),
            inputs[1].clone(),
            "--supervisor".into(),
            inputs[2].clone(),
            "--out".into(),
            p(&out),
        ];
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    let sched = ["--schedule", "0:monitor,0.2:whisper"];
    let with = |i: usize, file: &Path| {
        let mut inputs = good.clone();
        inputs[i] = p(file);
        call(inputs, &sched)
    };
    let cases: Vec<(Vec<String>, &str)> = vec![
        (with(0, &missing), "customer input: cannot read"),
        (with(1, &text), "agent input: cannot read"),
        (with(0, &truncated), "customer input: cannot read"),
        (with(2, &stereo), "2 channels: expected mono"),
        (with(0, &bits24), "24-bit integer samples: expected 16-bit"),
        (with(0, &bits8), "8-bit integer samples: expected 16-bit"),
        (with(1, &float), "32-bit float samples: expected 16-bit"),
        (
            call(cd.clone().map(|f| p(&f)), &sched),
            "unsupported sample rate 44100 Hz: expected one of 8000",
        ),
        (
            call(good.clone(), &["--schedule", "0:monitor", "--ptime", "25"]),
            "unsupported frame duration 25 ms: expected 10, 20, 30, 40 or 60 ms",
        ),
        (
            call(
                good.clone(),
                &["--schedule", "0:monitor", "--ptime", "twenty"],
            ),
            "is not a whole number of milliseconds",
        ),
        (
            call(good.clone(), &["--schedule", "0:monitor,x:barge"]),
            "\"x\" is not a number",
        ),
        (
            call(good.clone(), &["--schedule", "0:shout"]),
            "unknown mode \"shout\"",
        ),
        (
            call(good.clone(), &["--schedule", "0:monitor,5:barge,4:whisper"]),
            "strictly increase",
        ),
        (call(good.clone(), &[]), "missing --schedule"),
        (
            call(good.clone(), &["--schedule"]),
            "--schedule needs a value",
        ),
        (
            call(good.clone(), &["--volume", "3"]),
            "unknown argument \"--volume\"",
        ),
        (
            call(good.clone(), &["--schedule", "0:barge", "--out", "x"]),
            "--out is given twice",
        ),
        (vec![], "missing --customer"),
        (
            call(good.clone(), &["--schedule", "0:barge", "--ptime="]),
            "--ptime is empty",
        ),
    ];
    for (args, needle) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (status, stderr) = mix_files(&args);
        assert_eq!(status, Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.starts_with("mix_files: "), "{stderr}");
        assert!(stderr.contains(needle), "expected {needle:?} in {stderr}");
    }
    assert!(!out.exists(), "a failed run wrote outputs");
}
