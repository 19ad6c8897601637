//! Mono 16-bit PCM WAV files, through `hound`.

use std::path::Path;

/// Reads a mono 16-bit PCM WAV file: its rate in Hz and its samples. The
/// error is one line naming the file and what is wrong with it.
pub fn read_mono16(path: &Path) -> Result<(u32, Vec<i16>), String> {
    let shown = path.display();
    let reader = hound::WavReader::open(path)
        .map_err(|e| format!("cannot read {shown}: {}", one_line(&e.to_string())))?;
    let spec = reader.spec();
    if spec.channels != 1 {
        return Err(format!(
            "{shown} has {} channels: expected mono (1 channel)",
            spec.channels
        ));
    }
    if spec.sample_format != hound::SampleFormat::Int || spec.bits_per_sample != 16 {
        let kind = match spec.sample_format {
            hound::SampleFormat::Int => "integer",
            hound::SampleFormat::Float => "float",
        };
        return Err(format!(
            "{shown} has {}-bit {kind} samples: expected 16-bit integer PCM",
            spec.bits_per_sample
        ));
    }
    let samples = reader
        .into_samples::<i16>()
        .collect::<Result<Vec<i16>, _>>()
        .map_err(|e| format!("cannot read {shown}: {}", one_line(&e.to_string())))?;
    Ok((spec.sample_rate, samples))
}

/// Writes `samples` as a mono 16-bit PCM WAV file at `rate` Hz.
pub fn write_mono16(path: &Path, rate: u32, samples: &[i16]) -> Result<(), String> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let fail = |e: hound::Error| {
        format!(
            "cannot write {}: {}",
            path.display(),
            one_line(&e.to_string())
        )
    };
    let mut w = hound::WavWriter::create(path, spec).map_err(fail)?;
    for &s in samples {
        w.write_sample(s).map_err(fail)?;
    }
    w.finalize().map_err(fail)
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
