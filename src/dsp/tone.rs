//! Tones: beeps, the recording warning tone and DTMF digits, generated
//! sample-exactly at every supported rate.
//!
//! A [`ToneSpec`] says what to play: one or two frequencies, each at a
//! level in dBm0, and a [`Cadence`] of bursts and pauses. A
//! [`ToneGenerator`] plays it at one [`SampleRate`] into frames of any
//! length, continuing where the last frame stopped: the samples do not
//! depend on how the output is cut into frames. It allocates nothing,
//! never panics and works in the `no_std` core.
//!
//! ## Levels: dBm0 on linear PCM
//!
//! 0 dBm0 is a sine of peak [`DBM0_PEAK`] = 32768 × 10^(−3.14 / 20)
//! ≈ 22 827 in `i16` units (RMS ≈ 16 141), as ITU-T G.711 and G.168
//! practice has it for A-law: a full-scale `i16` sine is +3.14 dBm0. An
//! `f32` sample has the same scale divided by 32768, so 0 dBm0 is a sine
//! of peak ≈ 0.6966. A component's level is its own; the components of a
//! dual tone add, and their peaks together may not exceed full scale
//! (32767), or [`ToneGenerator::new`] returns [`Error::ToneLevel`].
//!
//! ## Timing: whole samples, no drift
//!
//! Every supported rate is a whole number of kHz, so every duration in
//! whole milliseconds is a whole number of samples: nothing is rounded.
//! Burst `b` (from 0) of a cadence with on-time `on` and pause `off`
//! starts at sample `b × (on + off)` exactly, and within a burst the
//! tone's phase is computed from the sample's index in the burst, not
//! accumulated from sample to sample: each burst starts at phase 0, and
//! the 15 s cadence of [`ToneSpec::RECORDING_WARNING`] is as exact after
//! an hour (or a year) as it is in its first burst.
//!
//! ## Edges
//!
//! Each burst rises and falls with a raised-cosine edge of
//! [`ToneSpec::edge_ms`] ([`ToneSpec::DEFAULT_EDGE_MS`], 2 ms, unless set
//! with [`ToneSpec::with_edge_ms`]; 0 for none), so that it does not click.
//! Durations are measured between the half-amplitude points: a burst with
//! an on-time of `on` samples and an edge of `e` rises from 0 at its first
//! sample to half amplitude at sample `e / 2` and full amplitude at `e`,
//! starts falling at sample `on` and is at half amplitude again at sample
//! `on + e / 2` and at 0 at `on + e`. The edge must fit: at most the
//! on-time and, if a pause follows, at most the pause.
//!
//! ```
//! use barge::tone::{ToneGenerator, ToneSpec};
//! use barge::SampleRate;
//!
//! // A 200 ms join beep into 20 ms frames at 8 kHz.
//! let mut beep = ToneGenerator::new(&ToneSpec::JOIN_BEEP, SampleRate::Hz8000)?;
//! let mut frame = [0i16; 160];
//! let mut frames = 0;
//! while !beep.is_finished() {
//!     beep.fill(&mut frame); // then hand the frame to the session
//!     frames += 1;
//! }
//! assert_eq!(frames, 11); // 200 ms, and 2 ms of falling edge
//! # Ok::<(), barge::Error>(())
//! ```

use core::f64::consts::PI;

use crate::dsp::digit::Digit;
use crate::dsp::kernel::Sample;
pub use crate::dsp::level::DBM0_PEAK;
use crate::dsp::level::{store, to_i16};
use crate::error::Error;
use crate::format::SampleRate;

/// The level of the low-group (row) tone of [`ToneSpec::dtmf`], in dBm0.
pub const DTMF_LOW_DBM0: f32 = -7.0;

/// The level of the high-group (column) tone of [`ToneSpec::dtmf`], in
/// dBm0: 2 dB above the low group, as senders do to make up for the line's
/// greater loss at higher frequencies.
pub const DTMF_HIGH_DBM0: f32 = -5.0;

/// The longest on-time, pause or edge, in ms: about 49.7 days.
const MAX_MS: u64 = u32::MAX as u64;

/// Samples per exact recomputation of each oscillator's phase; in between,
/// a rotation by the phase step (f64: its error stays below 1e-13).
const ANCHOR: u64 = 64;

/// One frequency of a tone at its level.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Component {
    /// Frequency in Hz: above 0 and below half the sample rate.
    pub freq_hz: f32,
    /// Level in dBm0 (see [Levels](self#levels-dbm0-on-linear-pcm)).
    pub level_dbm0: f32,
}

impl Component {
    /// A frequency at a level.
    pub const fn new(freq_hz: f32, level_dbm0: f32) -> Component {
        Component {
            freq_hz,
            level_dbm0,
        }
    }
}

/// How many bursts a cadence plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(rename_all = "snake_case")
)]
pub enum Repeat {
    /// This many bursts (at least 1), each followed by the pause; the
    /// generator is finished after the last pause (or the last burst's
    /// falling edge, if that is longer).
    Times(u32),
    /// Bursts and pauses until the generator is reset or dropped.
    Forever,
}

/// Bursts of tone and the pauses between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Cadence {
    /// The duration of each burst, in ms, between its half-amplitude points:
    /// at least 1.
    pub on_ms: u32,
    /// The silence after each burst, in ms, between half-amplitude points.
    pub off_ms: u32,
    /// How many bursts.
    pub repeat: Repeat,
}

impl Cadence {
    /// One burst of `on_ms`, and no pause after it.
    pub const fn once(on_ms: u32) -> Cadence {
        Cadence {
            on_ms,
            off_ms: 0,
            repeat: Repeat::Times(1),
        }
    }

    /// Bursts of `on_ms` with pauses of `off_ms`, `repeat` times.
    pub const fn new(on_ms: u32, off_ms: u32, repeat: Repeat) -> Cadence {
        Cadence {
            on_ms,
            off_ms,
            repeat,
        }
    }
}

/// What a [`ToneGenerator`] plays: one or two frequencies with their
/// levels, a cadence and the length of the click-free edges.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ToneSpec {
    components: [Component; 2],
    dual: bool,
    cadence: Cadence,
    edge_ms: u32,
}

impl ToneSpec {
    /// The raised-cosine edge of each burst unless set otherwise, in ms.
    pub const DEFAULT_EDGE_MS: u32 = 2;

    /// A party joined: 1000 Hz at −13 dBm0 for 200 ms, once.
    pub const JOIN_BEEP: ToneSpec = ToneSpec::single(1000.0, -13.0, Cadence::once(200));

    /// A party left: two beeps of 480 Hz at −13 dBm0, 150 ms each, 100 ms
    /// apart (the generator finishes after the second pause).
    pub const LEAVE_BEEP: ToneSpec =
        ToneSpec::single(480.0, -13.0, Cadence::new(150, 100, Repeat::Times(2)));

    /// The recorder warning tone of 47 CFR 64.501: 1400 Hz for 0.5 s,
    /// repeated every 15 s (0.5 s on, 14.5 s off), forever. Its level,
    /// −13 dBm0, is chosen to be clearly audible over speech without being
    /// loud (the rule sets none).
    pub const RECORDING_WARNING: ToneSpec =
        ToneSpec::single(1400.0, -13.0, Cadence::new(500, 14_500, Repeat::Forever));

    /// One frequency at a level, played with a cadence.
    pub const fn single(freq_hz: f32, level_dbm0: f32, cadence: Cadence) -> ToneSpec {
        let c = Component::new(freq_hz, level_dbm0);
        ToneSpec {
            components: [c, c],
            dual: false,
            cadence,
            edge_ms: ToneSpec::DEFAULT_EDGE_MS,
        }
    }

    /// Two frequencies at their levels, added, played with a cadence.
    pub const fn dual(a: Component, b: Component, cadence: Cadence) -> ToneSpec {
        ToneSpec {
            components: [a, b],
            dual: true,
            cadence,
            edge_ms: ToneSpec::DEFAULT_EDGE_MS,
        }
    }

    /// The DTMF tone of `digit` (ITU-T Q.23: its row frequency at
    /// [`DTMF_LOW_DBM0`] and its column frequency at [`DTMF_HIGH_DBM0`]),
    /// one burst of `on_ms` followed by `off_ms` of silence.
    pub const fn dtmf(digit: Digit, on_ms: u32, off_ms: u32) -> ToneSpec {
        ToneSpec::dual(
            Component::new(digit.row_hz(), DTMF_LOW_DBM0),
            Component::new(digit.column_hz(), DTMF_HIGH_DBM0),
            Cadence::new(on_ms, off_ms, Repeat::Times(1)),
        )
    }

    /// The same tone with raised-cosine edges of `edge_ms` (0 for none).
    pub const fn with_edge_ms(mut self, edge_ms: u32) -> ToneSpec {
        self.edge_ms = edge_ms;
        self
    }

    /// The same tone with another cadence.
    pub const fn with_cadence(mut self, cadence: Cadence) -> ToneSpec {
        self.cadence = cadence;
        self
    }

    /// The tone's frequencies and levels: one or two.
    pub fn components(&self) -> &[Component] {
        if self.dual {
            &self.components
        } else {
            &self.components[..1]
        }
    }

    /// The cadence.
    pub const fn cadence(&self) -> Cadence {
        self.cadence
    }

    /// The length of each edge, in ms.
    pub const fn edge_ms(&self) -> u32 {
        self.edge_ms
    }
}

/// One sine of a generator: amplitude, phase step, and its running
/// rotation.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Osc {
    /// Peak in `i16` units.
    amp: f64,
    /// Frequency and rate, for the exact phase at each anchor.
    freq: f64,
    rate: f64,
    /// cos and sin of the phase step.
    step_cos: f64,
    step_sin: f64,
    /// cos and sin of the phase of the next sample.
    cos: f64,
    sin: f64,
}

impl Osc {
    fn new(c: Component, rate: f64) -> Osc {
        let (step_sin, step_cos) = libm::sincos(2.0 * PI * f64::from(c.freq_hz) / rate);
        Osc {
            amp: f64::from(DBM0_PEAK) * libm::pow(10.0, f64::from(c.level_dbm0) / 20.0),
            freq: f64::from(c.freq_hz),
            rate,
            step_cos,
            step_sin,
            cos: 1.0,
            sin: 0.0,
        }
    }

    /// The sample at index `k` of the burst; `k` counts up by one from
    /// call to call within a burst, from 0.
    fn next(&mut self, k: u64) -> f64 {
        if k % ANCHOR == 0 {
            // k × f is exact in f64 for any burst shorter than 2^29 samples
            // (f32 frequencies have 24 significant bits), so the phase is
            // one rounding away from the true one.
            let cycles = k as f64 * self.freq / self.rate;
            let (s, c) = libm::sincos(2.0 * PI * (cycles - libm::floor(cycles)));
            self.sin = s;
            self.cos = c;
        }
        let out = self.sin;
        let s = self.sin * self.step_cos + self.cos * self.step_sin;
        self.cos = self.cos * self.step_cos - self.sin * self.step_sin;
        self.sin = s;
        self.amp * out
    }
}

/// Plays a [`ToneSpec`] at one sample rate, into frames of any length.
///
/// ```
/// use barge::tone::{ToneGenerator, ToneSpec};
/// use barge::dtmf::Digit;
/// use barge::SampleRate;
///
/// let spec = ToneSpec::dtmf(Digit::from_char('5')?, 100, 50);
/// let mut tone = ToneGenerator::new(&spec, SampleRate::Hz16000)?;
/// let mut frame = [0.0f32; 320];
/// tone.fill(&mut frame);
/// assert!(frame.iter().all(|x| x.abs() < 1.0));
/// # Ok::<(), barge::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ToneGenerator {
    osc: [Osc; 2],
    dual: bool,
    /// Samples: on-time, period (on + off), edge.
    on: u64,
    period: u64,
    edge: u64,
    /// Samples of the last period that are played (on + max(off, edge)).
    last_len: u64,
    /// Bursts in all; `None` for ever.
    bursts: Option<u64>,
    /// Index of the current burst, and of the next sample in its period.
    burst: u64,
    k: u64,
}

fn cadence_err(what: &'static str, given: u64, min: u64, max: u64) -> Error {
    Error::ToneCadence {
        what,
        given,
        min,
        max,
    }
}

impl ToneGenerator {
    /// A generator of `spec` at `rate`, at the start of its first burst.
    ///
    /// Errors: [`Error::ToneFrequency`] for a frequency that is not above
    /// 0 Hz and below half the rate; [`Error::ToneLevel`] for a level that
    /// is not finite or whose peak, added to the other component's, exceeds
    /// full scale; [`Error::ToneCadence`] for an on-time of 0 ms, a
    /// [`Repeat::Times`] of 0, or an edge longer than the on-time or (when
    /// another burst follows) than the pause.
    pub fn new(spec: &ToneSpec, rate: SampleRate) -> Result<ToneGenerator, Error> {
        let hz = f64::from(rate.hz());
        let nyquist = rate.hz() as f32 / 2.0;
        for c in spec.components() {
            if !(c.freq_hz > 0.0 && c.freq_hz < nyquist) {
                return Err(Error::ToneFrequency {
                    given_hz: c.freq_hz,
                    nyquist_hz: nyquist,
                });
            }
        }
        let comps = spec.components();
        let peak =
            |c: &Component| f64::from(DBM0_PEAK) * libm::pow(10.0, f64::from(c.level_dbm0) / 20.0);
        let total: f64 = comps.iter().map(peak).sum();
        for (i, c) in comps.iter().enumerate() {
            let others: f64 = comps
                .iter()
                .enumerate()
                .filter(|&(j, _)| j != i)
                .map(|(_, o)| peak(o))
                .sum();
            let room = f64::from(i16::MAX) - others;
            let max_dbm0 = if room > 0.0 {
                (20.0 * libm::log10(room / f64::from(DBM0_PEAK))) as f32
            } else {
                f32::NEG_INFINITY
            };
            if !c.level_dbm0.is_finite() || total > f64::from(i16::MAX) {
                return Err(Error::ToneLevel {
                    given_dbm0: c.level_dbm0,
                    max_dbm0,
                });
            }
        }
        let cad = spec.cadence;
        let per_ms = u64::from(rate.hz() / 1000);
        let (on_ms, off_ms, edge_ms) = (
            u64::from(cad.on_ms),
            u64::from(cad.off_ms),
            u64::from(spec.edge_ms),
        );
        if on_ms == 0 {
            return Err(cadence_err("tone on-time in ms", 0, 1, MAX_MS));
        }
        let bursts = match cad.repeat {
            Repeat::Times(0) => return Err(cadence_err("tone bursts", 0, 1, u32::MAX.into())),
            Repeat::Times(n) => Some(u64::from(n)),
            Repeat::Forever => None,
        };
        if edge_ms > on_ms {
            return Err(cadence_err(
                "tone edge in ms (at most the on-time)",
                edge_ms,
                0,
                on_ms,
            ));
        }
        if bursts != Some(1) && edge_ms > off_ms {
            return Err(cadence_err(
                "tone edge in ms (at most the pause between bursts)",
                edge_ms,
                0,
                off_ms,
            ));
        }
        let (on, off, edge) = (on_ms * per_ms, off_ms * per_ms, edge_ms * per_ms);
        Ok(ToneGenerator {
            osc: [Osc::new(comps[0], hz), Osc::new(spec.components[1], hz)],
            dual: spec.dual,
            on,
            period: on + off,
            edge,
            last_len: on + off.max(edge),
            bursts,
            burst: 0,
            k: 0,
        })
    }

    /// Whether every burst (and the pause after the last) has been played;
    /// never for [`Repeat::Forever`]. A finished generator fills silence.
    pub fn is_finished(&self) -> bool {
        matches!(self.bursts, Some(n) if self.burst >= n)
    }

    /// Whether the tone repeats forever ([`Repeat::Forever`]): it never
    /// finishes.
    pub fn forever(&self) -> bool {
        self.bursts.is_none()
    }

    /// Back to the start of the first burst.
    pub fn reset(&mut self) {
        self.burst = 0;
        self.k = 0;
    }

    /// Samples played since the start (or the last [`reset`](Self::reset)),
    /// up to the end of the tone.
    pub fn position(&self) -> u64 {
        self.burst
            .saturating_mul(self.period)
            .saturating_add(self.k)
    }

    /// Samples in the whole tone, from the first burst to the end of the
    /// last pause (or falling edge); `None` for [`Repeat::Forever`].
    pub fn total_samples(&self) -> Option<u64> {
        self.bursts.map(|n| {
            (n - 1)
                .saturating_mul(self.period)
                .saturating_add(self.last_len)
        })
    }

    /// The envelope at index `k` of a burst.
    fn envelope(&self, k: u64) -> f64 {
        let e = self.edge;
        if k < e {
            0.5 * (1.0 - libm::cos(PI * k as f64 / e as f64))
        } else if k < self.on {
            1.0
        } else if k < self.on + e {
            0.5 * (1.0 + libm::cos(PI * (k - self.on) as f64 / e as f64))
        } else {
            0.0
        }
    }

    /// Writes the next `out.len()` samples, each given to `put` with its
    /// index in `out` as a value in `i16` units.
    fn run(&mut self, len: usize, mut put: impl FnMut(usize, f64)) {
        let mut i = 0;
        while i < len {
            let Some(this_len) = self.current_len() else {
                // Finished: silence.
                while i < len {
                    put(i, 0.0);
                    i += 1;
                }
                return;
            };
            let sounding = self.on + self.edge;
            if self.k < sounding {
                let n = ((sounding - self.k).min((len - i) as u64)) as usize;
                for _ in 0..n {
                    let k = self.k;
                    let mut v = self.osc[0].next(k);
                    if self.dual {
                        v += self.osc[1].next(k);
                    }
                    if k < self.edge || k >= self.on {
                        v *= self.envelope(k);
                    }
                    put(i, v);
                    i += 1;
                    self.k += 1;
                }
            } else {
                let n = ((this_len - self.k).min((len - i) as u64)) as usize;
                for _ in 0..n {
                    put(i, 0.0);
                    i += 1;
                }
                self.k += n as u64;
            }
            if self.k >= this_len {
                self.k = 0;
                self.burst += 1;
            }
        }
    }

    /// Samples in the current burst's period, or `None` when finished.
    fn current_len(&self) -> Option<u64> {
        match self.bursts {
            Some(n) if self.burst >= n => None,
            Some(n) if self.burst + 1 == n => Some(self.last_len),
            _ => Some(self.period),
        }
    }

    /// Writes the next `out.len()` samples of the tone (silence once it is
    /// finished), `i16` or `f32`; the next call continues where this one
    /// stopped.
    pub fn fill<S: Sample>(&mut self, out: &mut [S]) {
        self.run(out.len(), |i, v| {
            if let Some(o) = out.get_mut(i) {
                store(o, v);
            }
        });
    }

    /// [`fill`](Self::fill) for `i16`: each sample rounded to nearest.
    pub fn fill_i16(&mut self, out: &mut [i16]) {
        self.run(out.len(), |i, v| {
            if let Some(o) = out.get_mut(i) {
                *o = to_i16(v);
            }
        });
    }

    /// [`fill`](Self::fill) for `f32`: the `i16` scale divided by 32768.
    pub fn fill_f32(&mut self, out: &mut [f32]) {
        self.run(out.len(), |i, v| {
            if let Some(o) = out.get_mut(i) {
                *o = (v / 32768.0) as f32;
            }
        });
    }
}
