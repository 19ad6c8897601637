//! barge's loss concealment against independent references: spandsp's
//! concealment (Asterisk's `genericplc`), silence and a repeat of the last
//! frame, on the same speech and the same losses, scored with PESQ
//! (`tests/plc/score.py` says what is compared and how, and checks the
//! targets of issue 27).
//!
//! This test has espeak-ng speak eight utterances (five languages, low and
//! high voices) through the script, sends them through G.711 μ-law at
//! 8 kHz and as they are at 16 kHz, draws the loss patterns (random loss of
//! 1, 3, 5, 10 and 20 % of the 20 ms frames, and bursty loss from a
//! Gilbert–Elliott model), conceals them with barge, checks that a leg
//! without loss comes out bit for bit as it went in, and runs the script
//! on it all. Without `python3` (with NumPy, SciPy and `pesq`), `espeak-ng`
//! or libspandsp it is skipped with a note, unless `CI` is set (then it
//! fails: CI installs them). `BARGE_PLC_DIR=folder` keeps the audio there.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use barge::g711::Law;
use barge::plc::Concealer;
use barge::SampleRate;

const FRAME_MS: usize = 20;
/// Loss patterns per utterance and lossy condition.
const TAKES: usize = 3;

/// The conditions: name, and how a take's frames are lost.
#[derive(Clone, Copy)]
enum Loss {
    None,
    /// This share of the frames, chosen at random.
    Random(f64),
    /// Gilbert–Elliott: from the good state into the bad with probability
    /// `p`, out with `r` (mean burst `1 / r` frames), every frame lost in
    /// the bad state and none in the good.
    Bursty {
        p: f64,
        r: f64,
    },
}

const CONDITIONS: [(&str, Loss); 7] = [
    ("clean", Loss::None),
    ("random-1", Loss::Random(0.01)),
    ("random-3", Loss::Random(0.03)),
    ("random-5", Loss::Random(0.05)),
    ("random-10", Loss::Random(0.10)),
    ("random-20", Loss::Random(0.20)),
    // 10 % lost in bursts of 2.5 frames on average: p / (p + r) = 0.1.
    (
        "bursty-10",
        Loss::Bursty {
            p: 0.4 / 9.0,
            r: 0.4,
        },
    ),
];

/// SplitMix64: the same patterns on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0.0..1.0`.
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn pattern(loss: Loss, frames: usize, rng: &mut Rng) -> Vec<bool> {
    let mut lost = vec![false; frames];
    match loss {
        Loss::None => {}
        Loss::Random(share) => {
            // Exactly this share, so that every method and take loses as
            // much: a partial Fisher–Yates shuffle of the frame indices.
            let mut order: Vec<usize> = (0..frames).collect();
            let count = (share * frames as f64).round() as usize;
            for i in 0..count {
                let j = i + (rng.next() % (frames - i) as u64) as usize;
                order.swap(i, j);
                lost[order[i]] = true;
            }
        }
        Loss::Bursty { p, r } => {
            let mut bad = rng.unit() < p / (p + r);
            for l in &mut lost {
                *l = bad;
                bad = if bad { rng.unit() >= r } else { rng.unit() < p };
            }
        }
    }
    lost
}

fn read_i16(path: &Path) -> Vec<i16> {
    std::fs::read(path)
        .unwrap()
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect()
}

fn write_i16(path: &Path, x: &[i16]) {
    let bytes: Vec<u8> = x.iter().flat_map(|v| v.to_le_bytes()).collect();
    std::fs::write(path, bytes).unwrap();
}

/// What a receiver that conceals with barge plays for `rx` when the
/// frames marked in `lost` do not arrive.
fn conceal(rate: SampleRate, rx: &[i16], lost: &[bool]) -> Vec<i16> {
    let n = rate.hz() as usize * FRAME_MS / 1000;
    let mut plc = Concealer::<i16>::new(rate);
    let mut out = rx.to_vec();
    for (frame, &gone) in out.chunks_exact_mut(n).zip(lost) {
        if gone {
            plc.lost(frame);
        } else {
            plc.good(frame);
        }
    }
    assert_eq!(
        plc.concealed_frames(),
        lost.iter().filter(|&&l| l).count() as u64
    );
    out
}

fn python(script: &Path, args: &[&str]) -> std::process::Output {
    Command::new("python3")
        .arg(script)
        .args(args)
        .output()
        .unwrap()
}

#[test]
#[ignore = "about two minutes of PESQ; run by .ci/run"]
fn barge_conceals_lost_frames_at_least_as_well_as_spandsp_by_pesq() {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/plc/score.py");
    let check = Command::new("python3").arg(&script).arg("check").output();
    if !check.as_ref().is_ok_and(|o| o.status.success()) {
        let why = check.map_or_else(
            |e| format!("python3: {e}"),
            |o| String::from_utf8_lossy(&o.stdout).into_owned(),
        );
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have python3 with numpy, scipy and pesq, espeak-ng and libspandsp \
             (see .ci/run):\n{why}"
        );
        eprintln!("skipped:\n{why}");
        return;
    }
    let keep = std::env::var_os("BARGE_PLC_DIR").map(PathBuf::from);
    let dir = keep.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("barge-plc-ref-{}", std::process::id()))
    });
    let dir_s = dir.to_str().unwrap();
    std::fs::create_dir_all(dir.join("rx")).unwrap();

    let out = python(&script, &["speech", dir_s]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let utterances: Vec<String> = std::fs::read_to_string(dir.join("speech.csv"))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().to_owned())
        .collect();
    assert_eq!(utterances.len(), 8);

    let rates = [SampleRate::Hz8000, SampleRate::Hz16000];
    // What arrives: μ-law at 8 kHz, linear at 16 kHz; whole frames, as
    // many at both rates.
    let mut rx = Vec::new();
    for utt in &utterances {
        let speech =
            |rate: SampleRate| read_i16(&dir.join(format!("speech/{utt}.{}.pcm", rate.hz())));
        let frames = rates
            .iter()
            .map(|&rate| speech(rate).len() / (rate.hz() as usize * FRAME_MS / 1000))
            .min()
            .unwrap();
        let per_rate: Vec<Vec<i16>> = rates
            .iter()
            .map(|&rate| {
                let mut x = speech(rate);
                x.truncate(frames * rate.hz() as usize * FRAME_MS / 1000);
                if rate == SampleRate::Hz8000 {
                    for s in &mut x {
                        *s = Law::Ulaw.decode_sample(Law::Ulaw.encode_sample(*s));
                    }
                }
                write_i16(&dir.join(format!("rx/{utt}.{}.pcm", rate.hz())), &x);
                x
            })
            .collect();
        rx.push(per_rate);
    }

    let mut manifest = String::new();
    let mut rng = Rng(27);
    for (cond, loss) in CONDITIONS {
        std::fs::create_dir_all(dir.join("barge").join(cond)).unwrap();
        let takes = if matches!(loss, Loss::None) { 1 } else { TAKES };
        for (utt, rx) in utterances.iter().zip(&rx) {
            // The same frames are lost at both rates.
            let frames = rx[0].len() / (8 * FRAME_MS);
            for take in 0..takes {
                let lost = pattern(loss, frames, &mut rng);
                let bits: String = lost.iter().map(|&l| if l { '1' } else { '0' }).collect();
                writeln!(manifest, "{cond},{utt},{take},{bits}").unwrap();
                for (&rate, rx) in rates.iter().zip(rx) {
                    let y = conceal(rate, rx, &lost);
                    if matches!(loss, Loss::None) {
                        assert!(y == *rx, "{utt} at {rate}: a clean leg changed");
                    }
                    let path = dir.join(format!("barge/{cond}/{utt}.{take}.{}.pcm", rate.hz()));
                    write_i16(&path, &y);
                }
            }
        }
    }
    std::fs::write(dir.join("loss.csv"), manifest).unwrap();

    let out = python(&script, &["score", dir_s]);
    if keep.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    let report = String::from_utf8_lossy(&out.stdout);
    eprintln!("{report}{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        out.status.success(),
        "barge falls below a floor beside spandsp:\n{report}"
    );
}
