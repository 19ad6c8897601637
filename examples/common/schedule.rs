//! The supervisor's schedule: which mode from which time.
//!
//! Written as `TIME:MODE` entries separated by commas, e.g.
//! `0:monitor,2.5:whisper,5:barge,7.5:monitor`. TIME is in seconds (a
//! decimal number, at least 0), MODE one of `monitor`, `whisper`,
//! `private-whisper`, `customer-only`, `barge` (any case). Times must strictly increase. The supervisor joins in
//! monitor, so a schedule that starts after 0 means monitor until its first
//! entry. A mode takes effect from the first frame that starts at or after
//! its time; entries that fall before the same frame leave only the last one
//! in effect.

use barge::{Format, Mode};

/// A parsed schedule: `(seconds, mode)` with strictly increasing times.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    entries: Vec<(f64, Mode)>,
}

/// A stretch of the call during which the supervisor stays in one mode:
/// ticks `start..end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Phase {
    /// First tick.
    pub start: u64,
    /// One past the last tick.
    pub end: u64,
    /// The supervisor's mode.
    pub mode: Mode,
}

impl Phase {
    /// Start and end in seconds.
    pub fn seconds(&self, format: Format) -> (f64, f64) {
        let ms = f64::from(format.ptime().ms());
        (
            self.start as f64 * ms / 1000.0,
            self.end as f64 * ms / 1000.0,
        )
    }
}

impl Schedule {
    /// Parses `text`; the error is one line that names the bad entry.
    pub fn parse(text: &str) -> Result<Schedule, String> {
        if text.trim().is_empty() {
            return Err(
                "schedule is empty: expected TIME:MODE entries such as \"0:monitor,2.5:whisper\""
                    .into(),
            );
        }
        let mut entries: Vec<(f64, Mode)> = Vec::new();
        for (i, raw) in text.split(',').enumerate() {
            let entry = raw.trim();
            let at = |why: String| format!("schedule entry {} {entry:?}: {why}", i + 1);
            let Some((time, mode)) = entry.split_once(':') else {
                return Err(at("expected TIME:MODE, e.g. \"2.5:whisper\"".into()));
            };
            let (time, mode) = (time.trim(), mode.trim());
            let seconds: f64 = time
                .parse()
                .map_err(|_| at(format!("time {time:?} is not a number of seconds")))?;
            if !seconds.is_finite() || seconds < 0.0 {
                return Err(at(format!(
                    "time {time:?}: expected a finite number of seconds, 0 or more"
                )));
            }
            let mode = match mode.to_ascii_lowercase().as_str() {
                "monitor" => Mode::Monitor,
                "whisper" => Mode::Whisper,
                "private-whisper" => Mode::PrivateWhisper,
                "customer-only" => Mode::CustomerOnly,
                "barge" => Mode::Barge,
                _ => {
                    return Err(at(format!(
                        "unknown mode {mode:?}: expected monitor, whisper, private-whisper, \
                         customer-only or barge"
                    )))
                }
            };
            if let Some(&(before, _)) = entries.last() {
                if seconds <= before {
                    return Err(at(format!(
                        "time {seconds} s does not come after the previous entry's {before} s: \
                         times must strictly increase"
                    )));
                }
            }
            entries.push((seconds, mode));
        }
        Ok(Schedule { entries })
    }

    /// The entries, in order.
    pub fn entries(&self) -> &[(f64, Mode)] {
        &self.entries
    }

    /// The phases of a call of `ticks` frames of `format`, in order, none
    /// empty, covering `0..ticks` exactly (for `ticks > 0`).
    pub fn phases(&self, format: Format, ticks: u64) -> Vec<Phase> {
        let rate = f64::from(format.rate().hz());
        let spf = format.samples_per_frame() as u64;
        let mut starts: Vec<(u64, Mode)> = vec![(0, Mode::Monitor)];
        for &(seconds, mode) in &self.entries {
            // `as` saturates: a time past the end of any call is u64::MAX.
            let sample = (seconds * rate).round() as u64;
            let tick = sample / spf + u64::from(sample % spf != 0);
            // A later entry that lands on the same frame replaces the earlier.
            while starts.last().is_some_and(|&(t, _)| t >= tick) {
                starts.pop();
            }
            starts.push((tick, mode));
        }
        let mut phases = Vec::new();
        for (i, &(start, mode)) in starts.iter().enumerate() {
            let end = starts.get(i + 1).map_or(ticks, |&(t, _)| t).min(ticks);
            if start < end {
                phases.push(Phase { start, end, mode });
            }
        }
        phases
    }
}
