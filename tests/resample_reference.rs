//! barge's resampler against an independent reference: SciPy's
//! `resample_poly` with a filter SciPy designs itself
//! (`tests/resample_reference.py` says what is compared and how).
//!
//! This test writes tones and barge's conversions of them, as `f32` and as
//! `i16`, for every pair of rates into a temporary folder and runs the
//! script on them. Without
//! `python3` with NumPy and SciPy it is skipped with a note, unless `CI` is
//! set (then it fails: CI installs them).

use std::f64::consts::PI;
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use barge::resample::Resampler;
use barge::SampleRate;

fn scipy_available() -> bool {
    Command::new("python3")
        .args(["-c", "import numpy, scipy.signal"])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn write_f32(path: &Path, x: &[f32]) {
    let bytes: Vec<u8> = x.iter().flat_map(|v| v.to_le_bytes()).collect();
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn barge_agrees_with_scipy_resample_poly_for_every_pair() {
    if !scipy_available() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have python3 with numpy and scipy (see .ci/run)"
        );
        eprintln!("skipped: python3 with numpy and scipy not found");
        return;
    }
    let dir = std::env::temp_dir().join(format!("barge-resample-ref-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut manifest = String::from("from,to,hz,kind,samples,delay,stem\n");
    for from in SampleRate::ALL {
        for to in SampleRate::ALL {
            if from == to {
                continue;
            }
            let (fin, fout) = (f64::from(from.hz()), f64::from(to.hz()));
            let low = fin.min(fout);
            let mut tones: Vec<(f64, &str)> = (0..=6)
                .map(|k| {
                    (
                        300.0 + (0.85 * low / 2.0 - 300.0) * f64::from(k) / 6.0,
                        "pass",
                    )
                })
                .collect();
            if fin > fout {
                // From 1.15 × the lower Nyquist frequency up.
                let stop = 1.15 * low / 2.0;
                tones.extend((0..=6).map(|k| {
                    (
                        stop + (0.99 * fin / 2.0 - stop) * f64::from(k) / 6.0,
                        "stop",
                    )
                }));
            }
            for (n, (f, kind)) in tones.into_iter().enumerate() {
                let len = from.hz() as usize * 3 / 10; // 300 ms
                let x: Vec<f32> = (0..len)
                    .map(|k| (0.5 * (2.0 * PI * f * k as f64 / fin).sin()) as f32)
                    .collect();
                let (step_in, step_out) = (from.hz() as usize / 50, to.hz() as usize / 50);
                let out_len = len / step_in * step_out;
                // f32, and i16 (the input rounded, the output scaled back).
                let mut r = Resampler::new(from, to);
                let mut y = vec![0.0f32; out_len];
                for (i, o) in x.chunks_exact(step_in).zip(y.chunks_exact_mut(step_out)) {
                    r.process(i, o).unwrap();
                }
                let pcm: Vec<i16> = x.iter().map(|&v| (v * 32768.0).round() as i16).collect();
                let mut r = Resampler::new(from, to);
                let mut y16 = vec![0i16; out_len];
                for (i, o) in pcm
                    .chunks_exact(step_in)
                    .zip(y16.chunks_exact_mut(step_out))
                {
                    r.process_i16(i, o).unwrap();
                }
                let pcm_in: Vec<f32> = pcm.iter().map(|&v| f32::from(v) / 32768.0).collect();
                let pcm_out: Vec<f32> = y16.iter().map(|&v| f32::from(v) / 32768.0).collect();
                for (samples, input, output) in [("f32", &x, &y), ("i16", &pcm_in, &pcm_out)] {
                    let stem = format!("{}-{}-{n}-{samples}", from.hz(), to.hz());
                    write_f32(&dir.join(format!("{stem}.in.f32")), input);
                    write_f32(&dir.join(format!("{stem}.out.f32")), output);
                    writeln!(
                        manifest,
                        "{},{},{f},{kind},{samples},{},{stem}",
                        from.hz(),
                        to.hz(),
                        r.delay_samples()
                    )
                    .unwrap();
                }
            }
        }
    }
    std::fs::write(dir.join("tones.csv"), manifest).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/resample_reference.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(&dir)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let report = String::from_utf8_lossy(&out.stdout);
    eprintln!("{report}{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "barge and SciPy disagree:\n{report}");
}
