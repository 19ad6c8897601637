//! DTMF digits, and a detector of DTMF tones in a party's audio.
//!
//! A [`Digit`] is one of the 16 keys of ITU-T Q.23 (0–9, `*`, `#`,
//! A–D), with its two frequencies and its RFC 4733 telephone-event code.
//! A [`DtmfDetector`] listens to one stream at one [`SampleRate`], fed
//! frames of any length, and reports each digit once when it is
//! recognised ([`DtmfEvent::Down`]) and once when it ends
//! ([`DtmfEvent::Up`]). It allocates nothing, never panics, holds a fixed
//! amount of state and works in the `no_std` core.
//!
//! ```
//! use barge::dtmf::{Digit, DtmfDetector, DtmfEvent};
//! use barge::tone::{ToneGenerator, ToneSpec};
//! use barge::SampleRate;
//!
//! let mut detector = DtmfDetector::new(SampleRate::Hz8000);
//! let digit = Digit::from_char('#')?;
//! let mut key = ToneGenerator::new(&ToneSpec::dtmf(digit, 60, 60), SampleRate::Hz8000)?;
//! let mut frame = [0i16; 160];
//! let mut heard = Vec::new();
//! for _ in 0..6 {
//!     key.fill(&mut frame);
//!     heard.extend(detector.process(&frame));
//! }
//! assert!(matches!(heard[..], [DtmfEvent::Down { digit: d, .. }, DtmfEvent::Up { .. }] if d == digit));
//! # Ok::<(), barge::Error>(())
//! ```
//!
//! ## How
//!
//! The detector cuts its input into sub-blocks of 5 ms (40 samples at
//! 8 kHz, 240 at 48 kHz: the same duration at every rate) and runs a
//! Goertzel filter (in `f32`) at each of the 8 DTMF frequencies over
//! each. Every 5 ms it looks at the last 5 sub-blocks, a 25 ms window, and
//! accepts a digit in it when all of these hold:
//!
//! 1. **One row and one column.** Combined coherently over the window (a
//!    25 ms DFT, 40 Hz wide bins), the strongest row frequency is at least
//!    6 dB above every other row frequency, and the same for the columns.
//! 2. **Level.** Both tones are at least [`DtmfDetector::MIN_LEVEL_DBM0`]
//!    (−34 dBm0), measured over 10 ms pairs of sub-blocks (100 Hz bins,
//!    which lose under 1 dB on a tone 1.5 % off).
//! 3. **Twist.** The column (high-group) tone is from
//!    [`DtmfDetector::MAX_REVERSE_TWIST_DB`] (9 dB) below to
//!    [`DtmfDetector::MAX_FORWARD_TWIST_DB`] (5 dB) above the row tone.
//! 4. **Purity.** The two tones hold at least 75 % of the window's energy:
//!    speech and music, whose energy is spread over harmonics and noise,
//!    fail this, and so does a tone with a strong second harmonic.
//! 5. **Steadiness, which is the duration check.** The energy of every
//!    10 ms of the window is within 70 % of its strongest 10 ms, the first
//!    and last 5 ms each hold at least 65 % of the mean of the middle
//!    three, and each tone's 10 ms power varies by less than a factor of
//!    3: the tone filled the whole window (a burst of 20 ms cannot), and
//!    speech, whose level moves from one 5 ms to the next, rarely holds
//!    still for 25 ms.
//! 6. **Frequency.** Each tone is coherent over the whole window (a tone
//!    more than about 35 Hz off is not), and its frequency, measured from
//!    how its phase advances over 10 ms, is within 2.5 % of the nominal
//!    one: a tone within Q.24's ±1.5 % passes and one beyond ±3.5 % fails,
//!    which a 25 ms filter alone could not tell apart.
//!
//! A digit is reported ([`DtmfEvent::Down`]) at the first window that
//! accepts it, and ends ([`DtmfEvent::Up`]) after 3 sub-blocks (15 ms) in
//! which its two tones are absent (below half the level threshold, or less
//! than half of the sub-block's energy). So an interruption of up to 10 ms
//! does not cut a digit in two, a pause of 40 ms always does, and the same
//! digit is reported again only after such a gap.
//!
//! An `f32` sample is clamped to full scale, and NaN is taken as 0.
//!
//! ## Measured
//!
//! `tests/dtmf.rs` measures each of these at every rate, from tones made
//! by [`ToneGenerator`](crate::tone::ToneGenerator) at Q.23's levels
//! (−7 dBm0 row, −5 dBm0 column) unless said otherwise:
//!
//! - **Frequency.** Every digit is accepted with both tones shifted by up
//!   to ±1.5 % (tested at ±1.5 % and ±1.0 %) and rejected with either tone
//!   shifted by 3.5 % or more (tested at ±3.5 % and ±4 %).
//! - **Duration.** Every digit is accepted in bursts of 40 ms, at every
//!   start offset, and never reported for bursts of 20 ms or less (nor in
//!   a search over 200 offsets per digit with and without noise; bursts
//!   of 21 ms are accepted now and then, 22 ms about a quarter of the
//!   time).
//! - **Pauses.** Two digits, the same one or two different ones, 40 ms
//!   apart (40 ms bursts) are both reported; a 10 ms interruption of a
//!   digit is not a pause.
//! - **Twist.** Accepted with the column tone 8 dB below or 4 dB above the
//!   row tone; rejected at 12 dB below or 8 dB above.
//! - **Level.** Accepted at −25 dBm0 per tone; nothing is reported at
//!   −40 dBm0 per tone.
//! - **Noise.** Every digit is accepted in white noise at 15 dB
//!   signal-to-noise ratio (the tone's power over the noise's, over the
//!   whole band of the rate), 40 ms bursts included.
//! - **Talk-off.** No digit in 2.9 minutes of espeak-ng speech (12 voices:
//!   English, American, British, German, French, Spanish and Italian, male
//!   and female variants, 150–200 words per minute, peak −1 dBFS), in 2
//!   minutes of the crate's synthetic voices at two levels, nor in 32 s of
//!   music-like signals (chords of harmonic tones, a melody over three
//!   octaves, sine sweeps, dual tones between the DTMF frequencies, white
//!   and pink noise), each at every rate and in both sample types.
//! - **Latency.** From the first sample of a tone to the sample at which
//!   it is reported: 24.5 to 29 ms at every rate (the 25 ms window and up
//!   to one sub-block of alignment). A host feeding frames learns of it
//!   at the end of that frame: at most 34 ms after the tone began with
//!   10 ms frames, 44 ms with 20 ms frames. That much of a digit reaches
//!   whoever hears the party before it is known to be one.

pub use crate::dsp::digit::{Digit, COLUMN_HZ, ROW_HZ};
use crate::dsp::kernel::Sample;
use crate::dsp::level::{load, DBM0_PEAK};
use crate::format::SampleRate;

/// What a [`DtmfDetector`] heard. Sample indices count the samples the
/// detector has been given since it was made or reset, from 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DtmfEvent {
    /// A digit was recognised (key-down), once per key press.
    Down {
        /// The digit.
        digit: Digit,
        /// Where its tone began, to within one sub-block (5 ms).
        start: u64,
        /// The sample at which it was recognised: the end of the window
        /// that accepted it.
        at: u64,
    },
    /// The digit ended (key-up).
    Up {
        /// The digit.
        digit: Digit,
        /// Where its tone began (as in [`DtmfEvent::Down`]).
        start: u64,
        /// Where its tone ended, to within one sub-block (5 ms).
        end: u64,
    },
}

impl DtmfEvent {
    /// The digit.
    pub const fn digit(&self) -> Digit {
        match *self {
            DtmfEvent::Down { digit, .. } | DtmfEvent::Up { digit, .. } => digit,
        }
    }
}

/// The events of one [`DtmfDetector::process`] call, in order.
///
/// It holds up to [`DtmfEvents::CAPACITY`] events, more than any frame of
/// up to 200 ms can produce (a digit takes at least 25 ms to be recognised
/// and 15 ms to end). Of a longer frame's events, the first are kept and
/// [`DtmfEvents::dropped`] counts the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DtmfEvents {
    events: [DtmfEvent; DtmfEvents::CAPACITY],
    len: usize,
    dropped: usize,
}

impl DtmfEvents {
    /// The most events one call returns.
    pub const CAPACITY: usize = 16;

    const fn new() -> DtmfEvents {
        DtmfEvents {
            events: [DtmfEvent::Down {
                digit: Digit::Zero,
                start: 0,
                at: 0,
            }; DtmfEvents::CAPACITY],
            len: 0,
            dropped: 0,
        }
    }

    fn push(&mut self, e: DtmfEvent) {
        if let Some(slot) = self.events.get_mut(self.len) {
            *slot = e;
            self.len += 1;
        } else {
            self.dropped += 1;
        }
    }

    /// The events, in order.
    pub fn as_slice(&self) -> &[DtmfEvent] {
        &self.events[..self.len]
    }

    /// The events, in order.
    pub fn iter(&self) -> core::slice::Iter<'_, DtmfEvent> {
        self.as_slice().iter()
    }

    /// How many events there are.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Events that did not fit (only frames longer than 200 ms can have
    /// any).
    pub fn dropped(&self) -> usize {
        self.dropped
    }

    /// The digits recognised (key-downs), in order.
    pub fn digits(&self) -> impl Iterator<Item = Digit> + '_ {
        self.iter().filter_map(|e| match *e {
            DtmfEvent::Down { digit, .. } => Some(digit),
            DtmfEvent::Up { .. } => None,
        })
    }
}

impl IntoIterator for DtmfEvents {
    type Item = DtmfEvent;
    type IntoIter = core::iter::Take<core::array::IntoIter<DtmfEvent, { DtmfEvents::CAPACITY }>>;
    fn into_iter(self) -> Self::IntoIter {
        self.events.into_iter().take(self.len)
    }
}

impl<'a> IntoIterator for &'a DtmfEvents {
    type Item = &'a DtmfEvent;
    type IntoIter = core::slice::Iter<'a, DtmfEvent>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// Sub-blocks per window.
const K: usize = 5;
/// Sub-blocks of absence that end a digit.
const GAP: u32 = 3;
/// The 8 frequencies: rows, then columns.
const FREQS: [f32; 8] = [
    ROW_HZ[0],
    ROW_HZ[1],
    ROW_HZ[2],
    ROW_HZ[3],
    COLUMN_HZ[0],
    COLUMN_HZ[1],
    COLUMN_HZ[2],
    COLUMN_HZ[3],
];
/// Power ratio by which a group's strongest tone leads the others (6 dB).
const DOMINANCE: f32 = 3.981;
/// Share of the window's energy the two tones must hold.
const PURITY: f32 = 0.75;
/// Energy ratio of the window's weakest 10 ms to its strongest.
const STEADY: f32 = 0.7;
/// Energy ratio of the window's first and last sub-blocks (5 ms) to the
/// mean of the others.
const SUB_STEADY: f32 = 0.65;
/// Power ratio of a tone's weakest 10 ms to its strongest.
const TONE_STEADY: f32 = 0.35;
/// Coherent power over the window as a share of K × the sum of the
/// sub-blocks' powers (1 for a tone on its frequency, 0 for one 40 Hz off).
const COHERENCE: f32 = 0.12;
/// Largest relative frequency deviation accepted.
const MAX_DEVIATION: f32 = 0.025;
/// Share of a sub-block's energy in a digit's tones for it to be present.
const PRESENT: f32 = 0.5;

/// One sub-block's Goertzel results and energy.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
struct Sub {
    re: [f32; 8],
    im: [f32; 8],
    /// |X|² per frequency.
    power: [f32; 8],
    /// Σ x².
    energy: f32,
    /// Index of its first sample.
    start: u64,
}

/// Finds DTMF digits in one stream of audio. See the [module
/// documentation](self) for what it accepts and how well.
#[derive(Debug, Clone, PartialEq)]
pub struct DtmfDetector {
    rate: SampleRate,
    /// Samples per sub-block (5 ms).
    m: usize,
    /// 2 cos ω, cos ω, sin ω per frequency.
    coef: [f32; 8],
    cos: [f32; 8],
    sin: [f32; 8],
    /// e^{−iωmj} for j < K, per frequency: re, im.
    rot_re: [[f32; 8]; K],
    rot_im: [[f32; 8]; K],
    /// Goertzel state of the sub-block being filled.
    s1: [f32; 8],
    s2: [f32; 8],
    energy: f32,
    filled: usize,
    /// The last K sub-blocks, a ring; `subs` counts all since reset.
    ring: [Sub; K],
    subs: u64,
    /// Samples seen since reset.
    samples: u64,
    /// |X|² of a tone at the level threshold, per sub-block; and of half
    /// that level.
    min_power: f32,
    present_power: f32,
    /// The digit being held, its start, the end of its last present
    /// sub-block and the sub-blocks since it was last present.
    current: Option<Digit>,
    start: u64,
    end: u64,
    missing: u32,
}

impl DtmfDetector {
    /// The weakest tone accepted, per tone, in dBm0.
    pub const MIN_LEVEL_DBM0: f32 = -34.0;
    /// How far the column (high-group) tone may be below the row tone,
    /// in dB.
    pub const MAX_REVERSE_TWIST_DB: f32 = 9.0;
    /// How far the column (high-group) tone may be above the row tone,
    /// in dB.
    pub const MAX_FORWARD_TWIST_DB: f32 = 5.0;

    /// A detector for a stream at `rate`, having heard nothing.
    pub fn new(rate: SampleRate) -> DtmfDetector {
        let hz = rate.hz() as f32;
        let m = rate.hz() as usize / 200;
        let mut coef = [0.0; 8];
        let mut cos = [0.0; 8];
        let mut sin = [0.0; 8];
        let mut rot_re = [[0.0; 8]; K];
        let mut rot_im = [[0.0; 8]; K];
        for (k, &f) in FREQS.iter().enumerate() {
            let w = 2.0 * core::f64::consts::PI * f64::from(f) / f64::from(hz);
            let (s, c) = libm::sincos(w);
            coef[k] = (2.0 * c) as f32;
            cos[k] = c as f32;
            sin[k] = s as f32;
            for j in 0..K {
                let (s, c) = libm::sincos(-w * (m * j) as f64);
                rot_re[j][k] = c as f32;
                rot_im[j][k] = s as f32;
            }
        }
        // A tone of peak A gives |X| = A m / 2 over a sub-block.
        let amp = tone_peak(DtmfDetector::MIN_LEVEL_DBM0);
        let x = amp * m as f32 / 2.0;
        DtmfDetector {
            rate,
            m,
            coef,
            cos,
            sin,
            rot_re,
            rot_im,
            s1: [0.0; 8],
            s2: [0.0; 8],
            energy: 0.0,
            filled: 0,
            ring: [Sub::default(); K],
            subs: 0,
            samples: 0,
            min_power: x * x,
            present_power: x * x / 4.0,
            current: None,
            start: 0,
            end: 0,
            missing: 0,
        }
    }

    /// The rate the detector listens at.
    pub const fn rate(&self) -> SampleRate {
        self.rate
    }

    /// Samples given since the detector was made or reset.
    pub const fn samples(&self) -> u64 {
        self.samples
    }

    /// The digit being held down now, if any.
    pub const fn current(&self) -> Option<Digit> {
        self.current
    }

    /// Forgets everything heard, as if new (a digit being held is dropped
    /// without a [`DtmfEvent::Up`]).
    pub fn reset(&mut self) {
        *self = DtmfDetector::new(self.rate);
    }

    /// Listens to the next `frame` (`i16` or `f32`, any length) and
    /// returns what it recognised, in order.
    #[must_use = "the events are the digits heard"]
    pub fn process<S: Sample>(&mut self, frame: &[S]) -> DtmfEvents {
        let mut events = DtmfEvents::new();
        let mut rest = frame;
        while !rest.is_empty() {
            let n = (self.m - self.filled).min(rest.len());
            let (now, later) = rest.split_at(n);
            rest = later;
            let (mut s1, mut s2, mut energy) = (self.s1, self.s2, self.energy);
            for x in now {
                let x = load(x);
                energy += x * x;
                for k in 0..8 {
                    let s = x + self.coef[k] * s1[k] - s2[k];
                    s2[k] = s1[k];
                    s1[k] = s;
                }
            }
            (self.s1, self.s2, self.energy) = (s1, s2, energy);
            self.filled += n;
            self.samples += n as u64;
            if self.filled == self.m {
                self.end_sub_block(&mut events);
            }
        }
        events
    }

    /// [`process`](Self::process) for `i16`.
    #[must_use = "the events are the digits heard"]
    pub fn process_i16(&mut self, frame: &[i16]) -> DtmfEvents {
        self.process(frame)
    }

    /// [`process`](Self::process) for `f32`.
    #[must_use = "the events are the digits heard"]
    pub fn process_f32(&mut self, frame: &[f32]) -> DtmfEvents {
        self.process(frame)
    }

    fn end_sub_block(&mut self, events: &mut DtmfEvents) {
        let mut sub = Sub {
            energy: self.energy,
            start: self.samples - self.m as u64,
            ..Sub::default()
        };
        for k in 0..8 {
            sub.re[k] = self.s1[k] - self.cos[k] * self.s2[k];
            sub.im[k] = self.sin[k] * self.s2[k];
            sub.power[k] = sub.re[k] * sub.re[k] + sub.im[k] * sub.im[k];
        }
        self.s1 = [0.0; 8];
        self.s2 = [0.0; 8];
        self.energy = 0.0;
        self.filled = 0;
        self.ring[(self.subs % K as u64) as usize] = sub;
        self.subs += 1;

        if let Some(d) = self.current {
            if self.present(d) {
                self.missing = 0;
                self.end = self.samples;
            } else {
                self.missing += 1;
                if self.missing >= GAP {
                    events.push(DtmfEvent::Up {
                        digit: d,
                        start: self.start,
                        end: self.end,
                    });
                    self.current = None;
                }
            }
        }
        if self.current.is_none() && self.subs >= K as u64 {
            if let Some((digit, start)) = self.window() {
                events.push(DtmfEvent::Down {
                    digit,
                    start,
                    at: self.samples,
                });
                self.current = Some(digit);
                self.start = start;
                self.end = self.samples;
                self.missing = 0;
            }
        }
    }

    /// Whether both tones of `d` are in the last 10 ms (the last two
    /// sub-blocks).
    fn present(&self, d: Digit) -> bool {
        let last = ((self.subs + K as u64 - 1) % K as u64) as usize;
        let before = ((self.subs + K as u64 - 2) % K as u64) as usize;
        let (a, b) = (&self.ring[before], &self.ring[last]);
        let power = |k: usize| {
            let (c, s) = (self.rot_re[1][k], self.rot_im[1][k]);
            let re = a.re[k] + b.re[k] * c - b.im[k] * s;
            let im = a.im[k] + b.re[k] * s + b.im[k] * c;
            re * re + im * im
        };
        let (r, c) = (power(d.row()), power(4 + d.column()));
        let tone = (r + c) / self.m as f32;
        r >= 4.0 * self.present_power
            && c >= 4.0 * self.present_power
            && tone >= PRESENT * (a.energy + b.energy)
    }

    /// The digit the last K sub-blocks hold, if they pass every check,
    /// with the window's first sample.
    // Each check is written as "not (what passes)", so that a NaN fails it.
    #[allow(clippy::neg_cmp_op_on_partial_ord)]
    fn window(&self) -> Option<(Digit, u64)> {
        // Oldest first.
        let first = (self.subs % K as u64) as usize;
        let sub = |j: usize| &self.ring[(first + j) % K];
        let mut coherent = [0.0f32; 8];
        for (k, c) in coherent.iter_mut().enumerate() {
            let (mut re, mut im) = (0.0f32, 0.0f32);
            for j in 0..K {
                let s = sub(j);
                let (a, b) = (self.rot_re[j][k], self.rot_im[j][k]);
                re += s.re[k] * a - s.im[k] * b;
                im += s.re[k] * b + s.im[k] * a;
            }
            *c = re * re + im * im;
        }
        let best = |lo: usize| {
            let mut b = lo;
            for k in lo..lo + 4 {
                if coherent[k] > coherent[b] {
                    b = k;
                }
            }
            b
        };
        let (row, col) = (best(0), best(4));
        // 1. Dominance within each group.
        for k in 0..8 {
            let lead = if k < 4 { row } else { col };
            if k != lead && !(coherent[lead] >= DOMINANCE * coherent[k]) {
                return None;
            }
        }
        // 2.–5. Level, twist, purity and steadiness, from the 10 ms pairs
        // of sub-blocks (100 Hz bins: narrow enough that the other
        // group's tone leaks little into them, wide enough that a tone
        // 1.5 % off loses under 1 dB).
        let pair = |j: usize, k: usize| {
            let (a, b) = (sub(j), sub(j + 1));
            let (c, s) = (self.rot_re[1][k], self.rot_im[1][k]);
            (
                a.re[k] + b.re[k] * c - b.im[k] * s,
                a.im[k] + b.re[k] * s + b.im[k] * c,
            )
        };
        let power = |(re, im): (f32, f32)| re * re + im * im;
        let (mut pr, mut pc) = (0.0f32, 0.0f32);
        let (mut rmin, mut rmax, mut cmin, mut cmax) = (f32::MAX, 0.0f32, f32::MAX, 0.0f32);
        for j in 0..K - 1 {
            let (r, c) = (power(pair(j, row)), power(pair(j, col)));
            pr += r;
            pc += c;
            rmin = rmin.min(r);
            rmax = rmax.max(r);
            cmin = cmin.min(c);
            cmax = cmax.max(c);
        }
        // Mean |X|² of a pair, and as over one sub-block (a pair is twice
        // as long: |X|² four times).
        let (pr, pc) = (pr / (K - 1) as f32, pc / (K - 1) as f32);
        if !(pr >= 4.0 * self.min_power && pc >= 4.0 * self.min_power) {
            return None;
        }
        let twist = pc / pr;
        if !(twist >= db_power(-DtmfDetector::MAX_REVERSE_TWIST_DB)
            && twist <= db_power(DtmfDetector::MAX_FORWARD_TWIST_DB))
        {
            return None;
        }
        // A tone of peak A has |X|² = A² m² over a pair (2m samples) and
        // holds A² / 2 per sample: K m samples hold K |X|² / (2m).
        let energy: f32 = (0..K).map(|j| sub(j).energy).sum();
        let tone = (pr + pc) * K as f32 / (2.0 * self.m as f32);
        if !(tone >= PURITY * energy) {
            return None;
        }
        // The window's energy is steady from one 5 ms to the next (a dual
        // tone's own beat moves it by 20 % at most), and so is each tone's
        // power over 10 ms, more loosely (the other group's tone leaks into
        // its bins and beats with it).
        let middle = (1..K - 1).map(|j| sub(j).energy).sum::<f32>() / (K - 2) as f32;
        let ends = sub(0).energy.min(sub(K - 1).energy);
        let (pmin, pmax) = (0..K - 1).fold((f32::MAX, 0.0f32), |(lo, hi), j| {
            let e = sub(j).energy + sub(j + 1).energy;
            (lo.min(e), hi.max(e))
        });
        if !(ends >= SUB_STEADY * middle
            && pmin >= STEADY * pmax
            && rmin >= TONE_STEADY * rmax
            && cmin >= TONE_STEADY * cmax)
        {
            return None;
        }
        // 6. Frequency: how coherent each tone is over the whole window
        // (a tone more than about 35 Hz off is not), then how far its phase
        // advances over 10 ms (which tells ±50 Hz apart).
        for k in [row, col] {
            let incoherent: f32 = (0..K).map(|j| sub(j).power[k]).sum();
            if !(coherent[k] >= COHERENCE * K as f32 * incoherent) {
                return None;
            }
            let (mut re, mut im) = (0.0f32, 0.0f32);
            for j in 0..K - 3 {
                let (a, b) = (pair(j, k), pair(j + 2, k));
                // b × conj(a)
                re += b.0 * a.0 + b.1 * a.1;
                im += b.1 * a.0 - b.0 * a.1;
            }
            // × e^{−iω 2m}: what is left is the deviation's advance.
            let (c, s) = (self.rot_re[2][k], self.rot_im[2][k]);
            let (re, im) = (re * c - im * s, re * s + im * c);
            let advance = libm::atan2f(im, re);
            let deviation = advance * self.rate.hz() as f32
                / (2.0 * core::f32::consts::PI * 2.0 * self.m as f32);
            if !(deviation.abs() <= MAX_DEVIATION * FREQS[k]) {
                return None;
            }
        }
        Some((Digit::at(row, col - 4), sub(0).start))
    }
}

/// The peak, in `i16` units, of a sine at `dbm0`.
fn tone_peak(dbm0: f32) -> f32 {
    DBM0_PEAK * libm::powf(10.0, dbm0 / 20.0)
}

/// A power ratio from dB.
fn db_power(db: f32) -> f32 {
    libm::powf(10.0, db / 10.0)
}
