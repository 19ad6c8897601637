//! Labels audio with barge's voice activity detector: one byte per 10 ms
//! block, 1 where it hears a voice. The voice-activity check
//! (`tests/vad/score.py`, run by `.ci/run`) scores these labels, beside
//! WebRTC's VAD and Silero's, against the known truth.
//!
//! ```sh
//! cargo run --release --example vad_label -- DIR
//! ```
//!
//! For every row of DIR/manifest.csv (first column: a stem), reads
//! DIR/STEM.s16 (8 kHz mono, 16-bit little-endian), hands it to the
//! detector in frames of 20 ms as a session does, and writes
//! DIR/STEM.barge. Exits with status 1 on a file it cannot read or write,
//! 2 for bad arguments.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use barge::vad::VoiceDetector;
use barge::SampleRate;

fn label(dir: &Path, stem: &str) -> std::io::Result<()> {
    let bytes = std::fs::read(dir.join(format!("{stem}.s16")))?;
    let samples: Vec<i16> = bytes
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect();
    let mut vad = VoiceDetector::new(SampleRate::Hz8000);
    let mut out = Vec::with_capacity(samples.len() / 80 + 1);
    for frame in samples.chunks(160) {
        vad.push(frame, |voice| out.push(u8::from(voice)));
    }
    std::fs::write(dir.join(format!("{stem}.barge")), out)
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
    }
    ExitCode::SUCCESS
}
