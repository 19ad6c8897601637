//! `kernel`: random frames, gains, ramps and matrices through
//! `barge::kernel::mix` and `mix_matrix`, against the reference mixer.
//!
//! - Shapes that do not fit are `Error::MatrixShape`, naming what was
//!   miscounted, given and expected, and nothing is written.
//! - Otherwise every output sample equals the reference bit for bit (`i16`,
//!   and `f32` with finite inputs), and so does the clipped count.
//! - With non-finite `f32` inputs (the session replaces them before mixing;
//!   the kernel does not promise what they sound like) every output sample
//!   is still finite and within full scale.

use arbitrary::Arbitrary;
use barge::kernel::{mix, mix_matrix, RouteGain, Talker};
use barge::{Error, Gain};

use crate::cycle;
use crate::reference::{RefSample, RefTalker};

/// One fuzz case.
#[derive(Arbitrary, Debug, Clone)]
pub struct Input {
    /// `f32` samples instead of `i16`.
    pub float: bool,
    /// Samples per output frame (modulo 3000 unless bit 7 of `kind` is set).
    pub len: u16,
    /// How sample bits become samples.
    pub kind: u8,
    /// The talkers.
    pub talkers: Vec<TalkerArg>,
    /// A second check through `mix_matrix`.
    pub matrix: Option<MatrixArg>,
}

/// One talker of `mix`.
#[derive(Arbitrary, Debug, Clone)]
pub struct TalkerArg {
    /// Cycled over the frame.
    pub bits: Vec<u32>,
    /// Whether the frame is as long as the output.
    pub len: LenArg,
    /// Gain at the end of the previous frame.
    pub from: GainArg,
    /// Gain reached at the end of the ramp.
    pub to: GainArg,
    /// Ramp length in samples.
    pub ramp: u16,
}

/// A frame length relative to the output.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum LenArg {
    /// As long as the output.
    Exact,
    /// Shorter (if it can be).
    Short(u16),
    /// Longer.
    Long(u8),
}

/// A gain, built through the public constructors.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum GainArg {
    /// Unity.
    Unity,
    /// Muted.
    Muted,
    /// +12 dB.
    Max,
    /// Tenths of a dB.
    Db(i16),
    /// Any linear `f32` (out-of-range values are muted).
    Linear(u32),
}

/// A listener × talker matrix, possibly the wrong shape.
#[derive(Arbitrary, Debug, Clone)]
pub struct MatrixArg {
    /// Listeners (modulo 6).
    pub listeners: u8,
    /// The gains, row-major, cycled to the right count unless `gains_off`.
    pub gains: Vec<GainArg>,
    /// Gains to add to (or remove from) the right count.
    pub gains_off: i8,
    /// A listener whose frame has the wrong length, if any.
    pub bad_listener: Option<(u8, LenArg)>,
}

fn gain(g: GainArg) -> Gain {
    match g {
        GainArg::Unity => Gain::UNITY,
        GainArg::Muted => Gain::MUTED,
        GainArg::Max => Gain::MAX,
        GainArg::Db(t) => Gain::from_db(t as f32 / 10.0).unwrap_or(Gain::MUTED),
        GainArg::Linear(bits) => {
            let x = f32::from_bits(bits);
            match Gain::from_linear(x) {
                Ok(g) => {
                    assert_eq!(g.linear().to_bits(), x.to_bits());
                    g
                }
                Err(e) => {
                    assert!(!(0.0..=Gain::MAX.linear()).contains(&x), "{x} refused: {e}");
                    let want = Error::LinearGainOutOfRange {
                        given: x,
                        max: Gain::MAX.linear(),
                    };
                    assert_eq!(format!("{e:?}"), format!("{want:?}"));
                    Gain::MUTED
                }
            }
        }
    }
}

fn length(l: LenArg, len: usize) -> usize {
    match l {
        LenArg::Exact => len,
        LenArg::Short(d) if len > 0 => len - 1 - d as usize % len,
        LenArg::Short(_) => len + 1,
        LenArg::Long(d) => len + 1 + d as usize,
    }
}

/// Runs one fuzz case, panicking on the first disagreement.
pub fn run(input: &Input) {
    if input.float {
        check::<f32>(input);
    } else {
        check::<i16>(input);
    }
}

fn check<S: RefSample>(input: &Input) {
    // Mostly frames a session could have; with bit 7 of `kind`, up to
    // 65,535 samples (the kernel takes any length).
    let len = if input.kind & 0x80 == 0 {
        input.len as usize % 3000
    } else {
        input.len as usize
    };
    let talkers: Vec<&TalkerArg> = input.talkers.iter().take(40).collect();
    let frames: Vec<Vec<S>> = talkers
        .iter()
        .map(|t| {
            let kind = input.kind;
            cycle(
                &t.bits,
                length(t.len, len),
                |b| S::from_fuzz(b, kind),
                S::SILENCE,
            )
        })
        .collect();
    let finite = frames.iter().flatten().all(|s| !s.is_bad());
    let sentinel = S::from_fuzz(0x1234_5678, 0);

    // `mix`
    let gains: Vec<RouteGain> = talkers
        .iter()
        .map(|t| RouteGain::ramp(gain(t.from), gain(t.to), t.ramp as usize))
        .collect();
    let ts: Vec<Talker<'_, S>> = frames
        .iter()
        .zip(&gains)
        .map(|(f, &g)| Talker::new(f, g))
        .collect();
    let mut out = vec![sentinel; len];
    let got = mix(&mut out, &ts);
    let bad = frames.iter().find(|f| f.len() != len);
    if let Some(f) = bad {
        let want = Error::MatrixShape {
            what: "samples in a talker's frame",
            given: f.len(),
            expected: len,
        };
        assert_eq!(got, Err(want.clone()));
        let msg = want.to_string();
        assert!(msg.contains(&f.len().to_string()) && msg.contains(&len.to_string()));
        assert!(out.iter().all(|x| x.same(sentinel)), "mix wrote on error");
    } else {
        let rt: Vec<RefTalker<'_, S>> = frames
            .iter()
            .zip(&gains)
            .map(|(f, g)| RefTalker {
                samples: f,
                from: g.from.linear(),
                to: g.to.linear(),
                ramp: g.ramp,
            })
            .collect();
        let mut want = vec![S::SILENCE; len];
        let clipped = S::reference_mix(&mut want, &rt);
        assert!(
            out.iter().all(|x| x.valid_output()),
            "invalid output {out:?}"
        );
        if finite {
            for (i, (x, y)) in out.iter().zip(&want).enumerate() {
                assert!(x.same(*y), "sample {i}: mix gave {x:?}, reference {y:?}");
            }
            assert_eq!(got, Ok(clipped), "clipped samples");
        } else {
            assert!(got.is_ok());
        }
    }

    // `mix_matrix`
    let Some(m) = &input.matrix else { return };
    let listeners = m.listeners as usize % 6;
    let n = frames.len();
    let right = listeners * n;
    let count = (right as isize + m.gains_off as isize).max(0) as usize;
    let count = if m.gains_off.unsigned_abs() % 4 == 0 {
        right
    } else {
        count
    };
    let matrix: Vec<Gain> = (0..count)
        .map(|i| {
            if m.gains.is_empty() {
                Gain::UNITY
            } else {
                gain(m.gains[i % m.gains.len()])
            }
        })
        .collect();
    let mut outs: Vec<Vec<S>> = (0..listeners)
        .map(|l| match m.bad_listener {
            Some((b, lk)) if b as usize % 6 == l => vec![sentinel; length(lk, len)],
            _ => vec![sentinel; len],
        })
        .collect();
    let inputs: Vec<&[S]> = frames.iter().map(|f| &f[..]).collect();
    let mut refs: Vec<&mut [S]> = outs.iter_mut().map(|o| &mut o[..]).collect();
    let got = mix_matrix(&inputs, &matrix, &mut refs);
    let first = outs.first().map_or(0, |o| o.len());
    let talker_err = frames
        .iter()
        .find(|f| f.len() != first && listeners > 0)
        .map(|f| ("samples in a talker's frame", f.len(), first));
    let want_err = if count != right {
        Some(("gains in the listener × talker matrix", count, right))
    } else if let Some(o) = outs.iter().find(|o| o.len() != first) {
        Some(("samples in a listener's frame", o.len(), first))
    } else {
        talker_err
    };
    if let Some((what, given, expected)) = want_err {
        assert_eq!(
            got,
            Err(Error::MatrixShape {
                what,
                given,
                expected
            })
        );
        assert!(
            outs.iter().flatten().all(|x| x.same(sentinel)),
            "mix_matrix wrote on error"
        );
        return;
    }
    let mut total = 0;
    for (l, o) in outs.iter().enumerate() {
        let rt: Vec<RefTalker<'_, S>> = frames
            .iter()
            .enumerate()
            .map(|(t, f)| RefTalker {
                samples: f,
                from: matrix[l * n + t].linear(),
                to: matrix[l * n + t].linear(),
                ramp: 0,
            })
            .collect();
        let mut want = vec![S::SILENCE; o.len()];
        total += S::reference_mix(&mut want, &rt);
        assert!(o.iter().all(|x| x.valid_output()), "invalid output");
        if finite {
            for (i, (x, y)) in o.iter().zip(&want).enumerate() {
                assert!(
                    x.same(*y),
                    "listener {l} sample {i}: mix_matrix gave {x:?}, reference {y:?}"
                );
            }
        }
    }
    if finite {
        assert_eq!(got, Ok(total), "clipped samples");
    }
}
