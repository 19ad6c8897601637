//! The mixed-rate example: a call whose legs are at 8, 16 and 48 kHz, whose
//! exit status says whether the audio it wrote agrees with the mode table.

#[path = "common/mod.rs"]
mod harness;

use std::process::Command;

#[test]
fn the_mixed_rate_call_writes_each_leg_at_its_rate_and_agrees_with_the_table() {
    let out = std::env::temp_dir().join(format!("barge-mixed-rates-{}", std::process::id()));
    let run = Command::new(harness::example_binary("mixed_rates"))
        .args(["--out", out.to_str().unwrap()])
        .output()
        .expect("run the example");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "exit {:?}\n{stdout}\n{}",
        run.status,
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(stdout.contains("differs from the agent's converted voice in 0 samples"));
    for (name, rate) in [("customer", 8000), ("agent", 16000), ("supervisor", 48000)] {
        let wav = hound::WavReader::open(out.join(format!("{name}.wav"))).unwrap();
        let spec = wav.spec();
        assert_eq!((spec.sample_rate, spec.channels), (rate, 1), "{name}.wav");
        assert_eq!(wav.duration(), rate * 10, "{name}.wav is 10 s long");
    }
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn a_bad_flag_is_exit_status_2() {
    let run = Command::new(harness::example_binary("mixed_rates"))
        .arg("--louder")
        .output()
        .expect("run the example");
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("unknown argument \"--louder\""));
}
