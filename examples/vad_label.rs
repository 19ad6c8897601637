//! Labels audio with barge's voice activity detector: one byte per 10 ms
//! block, 1 where it hears a voice; and runs each call through a session
//! with its call signals on, to list the alerts they raise. The
//! voice-activity check (`tests/vad/score.py`, run by `.ci/run`) scores
//! these labels, beside WebRTC's VAD and Silero's, and these alerts
//! against the known truth.
//!
//! ```sh
//! cargo run --release --example vad_label -- DIR
//! ```
//!
//! For every row of DIR/manifest.csv (first column: a stem), reads
//! DIR/STEM.s16 (8 kHz mono, 16-bit little-endian), hands it to the
//! detector in frames of 20 ms as a session does, and writes
//! DIR/STEM.barge (bit 0: voice; bit 1: the detector called the noise
//! [busy](VoiceDetector::busy) before the frame). For every pair of stems `CALL-COND-CODEC-customer` and
//! `CALL-COND-CODEC-agent`, runs the two legs through an 8 kHz, 20 ms
//! session (signals on: dead air after 3 s, a monologue of 10 s, one
//! interruption a minute) and writes DIR/CALL-COND-CODEC.alerts, one line
//! per alert: `dead_air - TICK`, `monologue ROLE TICK` or
//! `interruptions ROLE TICK` (ROLE `customer` or `agent`). Exits with
//! status 1 on a file it cannot read or write, 2 for bad arguments.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use barge::vad::VoiceDetector;
use barge::{Alert, Format, Role, SampleRate, Session, SignalConfig};

fn read(dir: &Path, stem: &str) -> std::io::Result<Vec<i16>> {
    let bytes = std::fs::read(dir.join(format!("{stem}.s16")))?;
    Ok(bytes
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect())
}

fn label(dir: &Path, stem: &str) -> std::io::Result<()> {
    let samples = read(dir, stem)?;
    let mut vad = VoiceDetector::new(SampleRate::Hz8000);
    let mut out = Vec::with_capacity(samples.len() / 80 + 1);
    for frame in samples.chunks(160) {
        let busy = vad.busy();
        vad.push(frame, |voice| {
            out.push(u8::from(voice) | u8::from(busy) << 1)
        });
    }
    std::fs::write(dir.join(format!("{stem}.barge")), out)
}

/// The alerts of the call `base` (its customer's and agent's legs).
fn alerts(dir: &Path, base: &str) -> std::io::Result<()> {
    let legs = [
        read(dir, &format!("{base}-customer"))?,
        read(dir, &format!("{base}-agent"))?,
    ];
    let bad = |e: barge::Error| std::io::Error::other(e.to_string());
    let mut call = Session::<i16>::new(Format::NARROWBAND_20MS);
    let ids = [
        call.join(Role::Customer).map_err(bad)?,
        call.join(Role::Agent).map_err(bad)?,
    ];
    let config = SignalConfig::new()
        .alert_dead_air(Duration::from_secs(3))
        .alert_monologue(Duration::from_secs(10))
        .alert_interruptions(1);
    call.enable_signals(config).map_err(bad)?;
    let ticks = legs[0].len().min(legs[1].len()) / 160;
    let role = |r: Role| {
        if r == Role::Agent {
            "agent"
        } else {
            "customer"
        }
    };
    let mut out = String::new();
    for t in 0..ticks {
        for (id, leg) in ids.iter().zip(&legs) {
            call.put_frame(*id, &leg[t * 160..(t + 1) * 160])
                .map_err(bad)?;
        }
        call.mix();
        while let Some(alert) = call.poll_alert() {
            let line = match alert {
                Alert::DeadAir { tick, .. } => format!("dead_air - {tick}\n"),
                Alert::Monologue { tick, role: r, .. } => {
                    format!("monologue {} {tick}\n", role(r))
                }
                Alert::Interruptions { tick, role: r, .. } => {
                    format!("interruptions {} {tick}\n", role(r))
                }
                _ => continue,
            };
            out.push_str(&line);
        }
    }
    std::fs::write(dir.join(format!("{base}.alerts")), out)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir] = &args[..] else {
        eprintln!("usage: vad_label DIR (DIR/manifest.csv lists the stems)");
        return ExitCode::from(2);
    };
    let dir = PathBuf::from(dir);
    let manifest = match std::fs::read_to_string(dir.join("manifest.csv")) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("{}: {e}", dir.join("manifest.csv").display());
            return ExitCode::from(1);
        }
    };
    for line in manifest.lines().skip(1) {
        let stem = line.split(',').next().unwrap_or_default();
        if let Err(e) = label(&dir, stem) {
            eprintln!("{stem}: {e}");
            return ExitCode::from(1);
        }
        if let Some(base) = stem.strip_suffix("-customer") {
            if let Err(e) = alerts(&dir, base) {
                eprintln!("{base}: {e}");
                return ExitCode::from(1);
            }
        }
    }
    ExitCode::SUCCESS
}
