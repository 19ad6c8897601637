//! Who heard whom, measured from the output audio alone.
//!
//! For each phase of the call and each listener, the listener's output is
//! fitted by least squares as a weighted sum of the three parties' input
//! signals: `heard ≈ g_c·customer + g_a·agent + g_s·supervisor`. Each weight
//! is the level at which the listener heard that talker, relative to what
//! the talker said: 1.00 heard at unity, 0.00 not heard at all. The first
//! frame of each phase is left out, because routes that open ramp in during
//! it.

use core::ops::Range;

use barge::Format;

use super::call::{should_hear, ROLES};
use super::schedule::Phase;

/// A level at least this high counts as "heard".
pub const HEARD: f64 = 0.5;
/// How far from 1.00 a route that must be heard may measure.
pub const TOLERANCE_HEARD: f64 = 0.05;
/// How far from 0.00 a route that must not be heard may measure (−40 dB).
pub const TOLERANCE_SILENT: f64 = 0.01;

/// The levels measured in one phase: `levels[listener][talker]`, `None`
/// where it cannot be told (the talker was silent, or talkers said the same).
#[derive(Debug, Clone, PartialEq)]
pub struct PhaseLevels {
    /// The phase.
    pub phase: Phase,
    /// Level at which each listener heard each talker.
    pub levels: [[Option<f64>; 3]; 3],
}

/// Measures every phase of a call from what was said and what was heard.
pub fn who_heard_whom(
    format: Format,
    spoken: [&[i16]; 3],
    heard: [&[i16]; 3],
    phases: &[Phase],
) -> Vec<PhaseLevels> {
    let spf = format.samples_per_frame();
    phases
        .iter()
        .map(|&phase| {
            let range = (phase.start as usize + 1) * spf..phase.end as usize * spf;
            let levels = heard.map(|out| fit(out, spoken, range.clone()));
            PhaseLevels { phase, levels }
        })
        .collect()
}

/// Least-squares weights of `talkers` that best explain `output` over
/// `range` (samples past the end of a signal count as silence).
pub fn fit(output: &[i16], talkers: [&[i16]; 3], range: Range<usize>) -> [Option<f64>; 3] {
    let at = |s: &[i16], i: usize| f64::from(s.get(i).copied().unwrap_or(0));
    let n = range.len().max(1) as f64;
    // Only talkers with at least 1 LSB RMS in the window take part.
    let active: Vec<usize> = (0..3)
        .filter(|&t| {
            range
                .clone()
                .map(|i| at(talkers[t], i).powi(2))
                .sum::<f64>()
                / n
                >= 1.0
        })
        .collect();
    let k = active.len();
    let mut result = [None; 3];
    if k == 0 {
        return result;
    }
    // Normal equations: A g = b with A = XᵀX, b = Xᵀy.
    let mut a = vec![vec![0.0f64; k + 1]; k];
    for i in range {
        let y = at(output, i);
        let x: Vec<f64> = active.iter().map(|&t| at(talkers[t], i)).collect();
        for r in 0..k {
            for c in 0..k {
                a[r][c] += x[r] * x[c];
            }
            a[r][k] += x[r] * y;
        }
    }
    let scale = (0..k).map(|i| a[i][i]).fold(0.0, f64::max);
    // Gaussian elimination with partial pivoting.
    for col in 0..k {
        let pivot = (col..k)
            .max_by(|&p, &q| a[p][col].abs().total_cmp(&a[q][col].abs()))
            .unwrap_or(col);
        if a[pivot][col].abs() <= 1e-9 * scale {
            return result; // two talkers said the same thing: cannot tell
        }
        a.swap(col, pivot);
        let pivot_row = a[col].clone();
        for (r, row) in a.iter_mut().enumerate() {
            if r != col {
                let f = row[col] / pivot_row[col];
                for (x, p) in row.iter_mut().zip(&pivot_row).skip(col) {
                    *x -= f * p;
                }
            }
        }
    }
    for (i, &t) in active.iter().enumerate() {
        result[t] = Some(a[i][k] / a[i][i]);
    }
    result
}

/// Every place where the measured levels contradict the mode table, in
/// words; empty when the call behaved as specified.
pub fn contradictions(format: Format, measured: &[PhaseLevels]) -> Vec<String> {
    let mut found = Vec::new();
    for m in measured {
        let (from, to) = m.phase.seconds(format);
        for (l, row) in m.levels.iter().enumerate() {
            for (t, level) in row.iter().enumerate() {
                let must = should_hear(ROLES[l], ROLES[t], m.phase.mode);
                let ok = match level {
                    Some(g) if must => (g - 1.0).abs() <= TOLERANCE_HEARD,
                    Some(g) => g.abs() <= TOLERANCE_SILENT,
                    None => false,
                };
                if !ok {
                    found.push(format!(
                        "{from:.2}-{to:.2} s ({}): the {} heard the {} at {}, expected {}",
                        m.phase.mode,
                        ROLES[l],
                        ROLES[t],
                        level.map_or("an unmeasurable level".into(), |g| format!("{g:.3}")),
                        if must { "1.00" } else { "0.00" }
                    ));
                }
            }
        }
    }
    found
}

/// The measured levels as a table, one row per phase and listener; a `!`
/// marks a cell that contradicts the mode table.
pub fn table(format: Format, measured: &[PhaseLevels]) -> String {
    let mut s = format!(
        "{:<22}{:<12}{:<18}{:<18}{}\n",
        "phase", "listener", "hears customer", "hears agent", "hears supervisor"
    );
    for m in measured {
        let (from, to) = m.phase.seconds(format);
        for (l, row) in m.levels.iter().enumerate() {
            let phase = if l == 0 {
                format!("{from:.2}-{to:.2} s {}", m.phase.mode)
            } else {
                String::new()
            };
            s += &format!("{phase:<22}{:<12}", ROLES[l].to_string());
            for (t, level) in row.iter().enumerate() {
                let must = should_hear(ROLES[l], ROLES[t], m.phase.mode);
                let cell = match *level {
                    None => "n/a".to_string(),
                    Some(g) => {
                        let g = if g.abs() < 0.005 { 0.0 } else { g };
                        let word = if g >= HEARD { "yes" } else { "no" };
                        let wrong = if must {
                            (g - 1.0).abs() > TOLERANCE_HEARD
                        } else {
                            g.abs() > TOLERANCE_SILENT
                        };
                        let own = if l == t { " (self)" } else { "" };
                        format!("{word:<3} {g:.2}{own}{}", if wrong { " !" } else { "" })
                    }
                };
                s += &format!("{cell:<18}");
            }
            s = s.trim_end().to_string();
            s.push('\n');
        }
    }
    s
}
