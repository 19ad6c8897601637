//! Packet loss concealment: a lost frame filled from the leg's own earlier
//! audio, so that a lost packet is not heard as a chop and a click.
//!
//! A [`Concealer`] belongs to one leg, at that leg's [`SampleRate`]. The
//! host hands it every frame that arrived ([`Concealer::good`]) and asks it
//! for every frame that was lost ([`Concealer::lost`]). It adds no delay:
//! a good frame passes through unchanged (only the first good frame after
//! a loss has its head blended with the concealment, see below), so a leg
//! that loses nothing sounds exactly, bit for bit, as it would without a
//! concealer. It allocates only in [`Concealer::new`], never panics, and is
//! deterministic: the same frames and losses give the same output.
//!
//! ```
//! use barge::plc::Concealer;
//! use barge::SampleRate;
//!
//! let mut plc = Concealer::<i16>::new(SampleRate::Hz8000);
//! let mut frame = [0i16; 160];
//! for (n, s) in frame.iter_mut().enumerate() {
//!     // 200 Hz, 20 periods in the frame
//!     *s = if n % 40 < 20 { 8000 } else { -8000 };
//! }
//! let sent = frame;
//! plc.good(&mut frame); // arrived: unchanged
//! assert_eq!(frame, sent);
//!
//! let mut concealed = [0i16; 160];
//! plc.lost(&mut concealed); // lost: the waveform goes on for 10 ms,
//! assert_eq!(concealed[..80], sent[..80]);
//! assert!(concealed[81..].iter().all(|s| s.abs() < 8000)); // then fades
//! assert_eq!(plc.concealed_frames(), 1);
//! ```
//!
//! ## How
//!
//! Pitch-based waveform substitution with overlap-add, in the manner of
//! ITU-T G.711 Appendix I, without its 3.75 ms of delay, and with every
//! parameter set in time, so that it behaves the same at every rate:
//!
//! - **History.** The concealer keeps the last 60 ms the leg played
//!   (received or concealed). Recording a good frame is a copy into a
//!   ring; nothing else is computed while nothing is lost.
//! - **Pitch.** At the first lost sample, the pitch period is the lag, from
//!   2.5 ms to 16.7 ms (400 Hz down to 60 Hz), at which the last 10 ms
//!   of history best match the 10 ms that many samples before them
//!   (normalised cross-correlation), searched on the history decimated to
//!   8 kHz and refined at the leg's rate.
//! - **Substitution.** The loss is filled with the last pitch period,
//!   repeated; the period's last eighth is overlap-added with the eighth
//!   period before it so that each repetition runs into the next without a
//!   step, and the first concealed samples are shifted to start where the
//!   last played sample ended, the shift fading out over an eighth period.
//!   After 20 ms of loss the repetition takes the last two periods, after
//!   40 ms the last three (each change cross-faded over an eighth
//!   period), so that a long loss does not buzz.
//! - **Noise.** From 20 ms of loss, noise with the spectrum of the last
//!   20 ms of history (an all-pole filter from linear prediction, excited
//!   at the level of its residual) takes over from the repetition, by
//!   power, linearly: wholly at 50 ms.
//! - **Fade.** The concealment plays at full level for
//!   [`Concealer::FADE_AFTER`] (10 ms) of loss, then fades linearly to
//!   half level at 20 ms, stays there until 50 ms and fades linearly to
//!   silence, which it reaches at [`Concealer::SILENT_AFTER`] (60 ms) of
//!   loss: from then on a lost frame is exact silence. It never exceeds
//!   the peak of the history it was made from.
//! - **Return.** The first good frame after a loss begins with a 2 ms
//!   overlap-add from the concealment (which goes on under it) into the
//!   frame. [`Concealer::good`] rewrites that head of the frame in place;
//!   the rest passes unchanged.
//!
//! `tests/plc_reference.rs` measures the result with PESQ (ITU-T P.862)
//! on speech in several voices and languages at 8 kHz through μ-law and at
//! 16 kHz, beside spandsp's concealment (Asterisk's `genericplc`),
//! silence and a repeat of the last frame; `benches/README.md` has the
//! figures.
//!
//! ## Samples
//!
//! Both sample types are concealed alike (`f32` full scale is 1.0): a
//! non-finite `f32` sample in the history counts as silence (NaN) or full
//! scale (±∞), and the concealment is always finite.

use alloc::vec;
use alloc::vec::Vec;
use core::fmt;
use core::time::Duration;

use crate::dsp::kernel::Sample;
use crate::dsp::level::{load, store};
use crate::format::SampleRate;

/// The history kept, in ms: three of the longest pitch periods and the
/// eighth period blended into the last, or the correlation window and
/// the longest lag.
const HISTORY_MS: u32 = 60;
/// The pitch range searched, in Hz.
const LOWEST_PITCH_HZ: u32 = 60;
const HIGHEST_PITCH_HZ: u32 = 400;
/// The window whose match with earlier history gives the pitch, in ms.
const WINDOW_MS: u32 = 10;
/// The rate of the coarse pitch search.
const COARSE_HZ: u32 = 8000;
/// One more pitch period is repeated after each of these, in ms.
const PERIODS_EVERY_MS: u32 = 20;
/// The most pitch periods repeated.
const MAX_PERIODS: usize = 3;
/// Full level for this long, then down to `LOW` by `LOW_FROM_MS`, which
/// holds until `LOW_UNTIL_MS`, then down to silence by `SILENT_AFTER_MS`,
/// in ms.
const FADE_AFTER_MS: u32 = 10;
const LOW_FROM_MS: u32 = 20;
const LOW: f32 = 0.5;
const LOW_UNTIL_MS: u32 = 50;
const SILENT_AFTER_MS: u32 = 60;
/// Noise takes over from the repetition from this far into a loss, and
/// wholly by this far, in ms.
const NOISE_FROM_MS: u32 = 20;
const NOISE_FULL_MS: u32 = 50;
/// The history whose spectrum the noise has, in ms.
const NOISE_WINDOW_MS: u32 = 20;
/// The most coefficients of the noise's filter (one per kHz of the rate,
/// and two).
const MAX_ORDER: usize = 20;
/// The overlap-add into the first good frame, in ms.
const RETURN_MS: u32 = 2;

/// Samples in `ms` milliseconds at `rate` (exact for every supported rate).
const fn samples(rate: SampleRate, ms: u32) -> usize {
    (rate.hz() / 1000 * ms) as usize
}

/// One read position through the repeated periods of the history.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Stream {
    /// Periods repeated.
    periods: usize,
    /// The next sample read, in `len - periods * period .. len`.
    at: usize,
}

/// The packet loss concealer of one leg, for samples of type `S` (`i16`
/// or `f32`). See the [module documentation](self) for what it does.
pub struct Concealer<S> {
    rate: SampleRate,
    /// The last `HISTORY_MS` played, oldest at `head`.
    ring: Vec<S>,
    head: usize,
    /// The history when the loss began, oldest first, in `i16` units, its
    /// last eighth period blended with the eighth period before it.
    hist: Vec<f32>,
    /// The history decimated to `COARSE_HZ`.
    coarse: Vec<f32>,
    /// Whether the last frame was lost.
    in_loss: bool,
    /// Samples concealed in this loss.
    t: usize,
    period: usize,
    overlap: usize,
    cur: Stream,
    /// The stream fading out while `fade` samples remain.
    old: Stream,
    fade: usize,
    /// The last sample played less the one before the repeated period.
    join: f32,
    /// The history's largest magnitude.
    peak: f32,
    /// The noise's filter (prediction coefficients, `order` of them), its
    /// last outputs (newest first), its excitation's level and its
    /// generator's state.
    lpc: [f32; MAX_ORDER],
    order: usize,
    mem: [f32; MAX_ORDER],
    excite: f32,
    seed: u32,
    concealed: u64,
}

clone_by_fields!(impl[S: Clone] Concealer<S> {
    rate, ring, head, hist, coarse, in_loss, t, period, overlap, cur, old, fade, join, peak,
    lpc, order, mem, excite, seed, concealed,
});

impl<S> fmt::Debug for Concealer<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Concealer")
            .field("rate", &self.rate)
            .field("in_loss", &self.in_loss)
            .field("period", &self.period)
            .field("concealed_frames", &self.concealed)
            .finish_non_exhaustive()
    }
}

impl<S: Sample> Concealer<S> {
    /// How long a loss plays at full level before it fades.
    pub const FADE_AFTER: Duration = Duration::from_millis(FADE_AFTER_MS as u64);
    /// How long into a loss the concealment is silence, exactly.
    pub const SILENT_AFTER: Duration = Duration::from_millis(SILENT_AFTER_MS as u64);

    /// A concealer for a leg at `rate`, with an empty (silent) history.
    /// Its buffers (about 60 ms of audio) are allocated here, once; frames
    /// of any length may follow.
    pub fn new(rate: SampleRate) -> Self {
        let len = samples(rate, HISTORY_MS);
        Concealer {
            rate,
            ring: vec![S::SILENCE; len],
            head: 0,
            hist: vec![0.0; len],
            coarse: vec![0.0; samples(SampleRate::Hz8000, HISTORY_MS)],
            in_loss: false,
            t: 0,
            period: 0,
            overlap: 1,
            cur: Stream { periods: 1, at: 0 },
            old: Stream { periods: 1, at: 0 },
            fade: 0,
            join: 0.0,
            peak: 0.0,
            lpc: [0.0; MAX_ORDER],
            order: 0,
            mem: [0.0; MAX_ORDER],
            excite: 0.0,
            seed: 0,
            concealed: 0,
        }
    }

    /// The leg's rate.
    pub const fn rate(&self) -> SampleRate {
        self.rate
    }

    /// Frames concealed since the concealer was made or reset: the calls
    /// to [`lost`](Self::lost).
    pub const fn concealed_frames(&self) -> u64 {
        self.concealed
    }

    /// Whether the last frame was lost: the next good frame's head will be
    /// blended with the concealment.
    pub const fn in_loss(&self) -> bool {
        self.in_loss
    }

    /// Forgets everything heard and the count of concealed frames, as if
    /// new.
    pub fn reset(&mut self) {
        self.ring.fill(S::SILENCE);
        self.head = 0;
        self.in_loss = false;
        self.t = 0;
        self.fade = 0;
        self.concealed = 0;
    }

    /// A frame that arrived (any length). It is recorded in the history and
    /// left as it is, except after a loss: then its first 2 ms (or the
    /// whole frame if it is shorter) are rewritten in place, as an
    /// overlap-add from the
    /// concealment into the frame, and the frame as rewritten is recorded.
    /// On a leg that loses nothing, every frame passes unchanged.
    pub fn good(&mut self, frame: &mut [S]) {
        if self.in_loss {
            self.in_loss = false;
            let len = samples(self.rate, RETURN_MS).min(frame.len());
            let scale = 1.0 / (len + 1) as f32;
            for (i, x) in frame.iter_mut().take(len).enumerate() {
                let w = (i + 1) as f32 * scale;
                let v = self.next() * (1.0 - w) + load(x) * w;
                store(x, f64::from(v));
            }
        }
        self.record(frame);
    }

    /// A frame absent on purpose (on hold, muted, discontinuous
    /// transmission), `len` samples of silence: it is played as exact
    /// silence, never blended with a concealment, and the history hears
    /// silence, so that a loss after it conceals nothing of what came
    /// before it.
    pub fn absent(&mut self, len: usize) {
        self.in_loss = false;
        let cap = self.ring.len();
        for _ in 0..len.min(cap) {
            self.ring[self.head] = S::SILENCE;
            self.head = (self.head + 1) % cap;
        }
    }

    /// Writes the concealment of a lost frame (any length) into `out`, and
    /// records it in the history.
    pub fn lost(&mut self, out: &mut [S]) {
        if !self.in_loss {
            self.start();
        }
        for o in out.iter_mut() {
            let v = self.next();
            store(o, f64::from(v));
        }
        self.record(out);
        self.concealed = self.concealed.saturating_add(1);
    }

    /// Appends `frame` to the history ring.
    fn record(&mut self, frame: &[S]) {
        let cap = self.ring.len();
        let src = &frame[frame.len().saturating_sub(cap)..];
        let first = (cap - self.head).min(src.len());
        let (now, wrapped) = src.split_at(first);
        self.ring[self.head..self.head + first].copy_from_slice(now);
        self.ring[..wrapped.len()].copy_from_slice(wrapped);
        self.head = (self.head + src.len()) % cap;
    }

    /// The first lost sample: takes the history, finds its pitch and sets
    /// up the repetition.
    fn start(&mut self) {
        self.in_loss = true;
        self.t = 0;
        self.fade = 0;
        let (older, newer) = self.ring.split_at(self.head);
        let mut peak = 0.0f32;
        for (h, x) in self.hist.iter_mut().zip(newer.iter().chain(older)) {
            *h = load(x);
            peak = peak.max(h.abs());
        }
        self.peak = peak;
        let len = self.hist.len();
        self.noise_model();
        let p = self.pitch();
        self.period = p;
        self.overlap = (p / 8).max(1);
        self.join = self.hist[len - 1] - self.hist[len - p - 1];
        // The period's last eighth runs into the eighth period before it,
        // so that the repetition wraps without a step.
        let q = self.overlap;
        let scale = 1.0 / (q + 1) as f32;
        for i in 0..q {
            let w = (i + 1) as f32 * scale;
            let at = len - q + i;
            self.hist[at] = self.hist[at] * (1.0 - w) + self.hist[at - p] * w;
        }
        self.cur = Stream {
            periods: 1,
            at: len - p,
        };
    }

    /// The noise's filter: linear prediction (autocorrelation with a lag
    /// window, Levinson–Durbin, bandwidth expansion) of the last
    /// `NOISE_WINDOW_MS` of history, its excitation at the level of the
    /// prediction's residual, its memory the history's last samples.
    fn noise_model(&mut self) {
        let len = self.hist.len();
        let order = ((self.rate.hz() / 1000 + 2) as usize).min(MAX_ORDER);
        let w = samples(self.rate, NOISE_WINDOW_MS);
        let x = &self.hist[len - w..];
        let mut r = [0.0f64; MAX_ORDER + 1];
        for (k, rk) in r.iter_mut().enumerate().take(order + 1) {
            let sum: f64 = x[k..]
                .iter()
                .zip(x)
                .map(|(&a, &b)| f64::from(a) * f64::from(b))
                .sum();
            *rk = sum * (1.0 - 0.0001 * (k * k) as f64);
        }
        r[0] *= 1.0001;
        self.order = 0;
        self.excite = 0.0;
        self.seed = 0x2545_f491;
        let mut err = r[0];
        if err <= 1e-3 {
            return;
        }
        let mut a = [0.0f64; MAX_ORDER + 1];
        for i in 1..=order {
            let acc = r[i] - (1..i).map(|j| a[j] * r[i - j]).sum::<f64>();
            let k = acc / err;
            if k.is_nan() || k.abs() >= 1.0 {
                break;
            }
            let prev = a;
            a[i] = k;
            for j in 1..i {
                a[j] = prev[j] - k * prev[i - j];
            }
            err *= 1.0 - k * k;
            self.order = i;
        }
        let mut bw = 1.0f64;
        for (c, &ak) in self.lpc.iter_mut().zip(&a[1..=self.order]) {
            bw *= 0.98;
            *c = (ak * bw) as f32;
        }
        self.excite = libm::sqrt(err / w as f64) as f32;
        for (m, &h) in self.mem.iter_mut().zip(self.hist.iter().rev()) {
            *m = h;
        }
    }

    /// The next sample of the noise, in `i16` units.
    fn noise(&mut self) -> f32 {
        self.seed = self
            .seed
            .wrapping_mul(1_664_525)
            .wrapping_add(1_013_904_223);
        // Uniform in -1..1 (variance 1/3), scaled to variance 1.
        let e = ((self.seed >> 8) as f32 / (1u32 << 23) as f32 - 1.0) * 1.732_050_8;
        let n = self.order;
        let y = e * self.excite + dot(&self.lpc[..n], &self.mem[..n]);
        if n > 0 {
            self.mem.copy_within(..n - 1, 1);
            self.mem[0] = y;
        }
        y
    }

    /// The pitch period of the history, in samples at the leg's rate.
    fn pitch(&mut self) -> usize {
        let hz = self.rate.hz();
        let d = (hz / COARSE_HZ) as usize;
        for (c, block) in self.coarse.iter_mut().zip(self.hist.chunks_exact(d)) {
            *c = block.iter().sum::<f32>() / d as f32;
        }
        let lo = (COARSE_HZ / HIGHEST_PITCH_HZ) as usize;
        let hi = COARSE_HZ.div_ceil(LOWEST_PITCH_HZ) as usize;
        let w = samples(SampleRate::Hz8000, WINDOW_MS);
        let coarse = best_lag(&self.coarse, w, lo, hi) * d;
        if d == 1 {
            return coarse;
        }
        let lo = ((hz / HIGHEST_PITCH_HZ) as usize).max(coarse + 1 - d);
        let hi = (hz.div_ceil(LOWEST_PITCH_HZ) as usize).min(coarse + d - 1);
        best_lag(&self.hist, samples(self.rate, WINDOW_MS), lo, hi)
    }

    /// The next sample of the concealment, in `i16` units.
    fn next(&mut self) -> f32 {
        let t = self.t;
        self.t = t.saturating_add(1);
        let silent = samples(self.rate, SILENT_AFTER_MS);
        if t >= silent {
            return 0.0;
        }
        let len = self.hist.len();
        let step = samples(self.rate, PERIODS_EVERY_MS);
        if t > 0
            && t % step == 0
            && self.cur.periods < MAX_PERIODS
            && (self.cur.periods + 1) * self.period <= len
        {
            self.old = self.cur;
            self.cur = Stream {
                periods: self.cur.periods + 1,
                at: self.cur.at - self.period,
            };
            self.fade = self.overlap;
        }
        let mut v = self.read(false);
        if self.fade > 0 {
            let w = self.fade as f32 / (self.overlap + 1) as f32;
            v = v * (1.0 - w) + self.read(true) * w;
            self.fade -= 1;
        }
        let from = samples(self.rate, NOISE_FROM_MS);
        if t >= from {
            let whole = samples(self.rate, NOISE_FULL_MS);
            let m = ((t - from) as f32 / (whole - from) as f32).min(1.0);
            let n = self.noise();
            v = v * libm::sqrtf(1.0 - m) + n * libm::sqrtf(m);
        }
        if t < self.overlap {
            v += self.join * (self.overlap - t) as f32 / (self.overlap + 1) as f32;
        }
        let full = samples(self.rate, FADE_AFTER_MS);
        let low = samples(self.rate, LOW_FROM_MS);
        let until = samples(self.rate, LOW_UNTIL_MS);
        if t >= until {
            v *= LOW * (silent - t) as f32 / (silent - until) as f32;
        } else if t >= low {
            v *= LOW;
        } else if t >= full {
            v *= 1.0 - (1.0 - LOW) * (t - full) as f32 / (low - full) as f32;
        }
        v.clamp(-self.peak, self.peak)
    }

    /// The next sample of the current stream, or of the old one.
    fn read(&mut self, old: bool) -> f32 {
        let len = self.hist.len();
        let p = self.period;
        let s = if old { &mut self.old } else { &mut self.cur };
        let v = self.hist.get(s.at).copied().unwrap_or(0.0);
        s.at += 1;
        if s.at >= len {
            s.at = len - s.periods * p;
        }
        v
    }
}

/// The lag in `lo..=hi` at which the last `w` samples of `x` best match
/// the `w` samples that many before them (normalised cross-correlation);
/// `hi` when none correlates positively.
fn best_lag(x: &[f32], w: usize, lo: usize, hi: usize) -> usize {
    let n = x.len();
    let hi = hi.min(n.saturating_sub(w));
    let lo = lo.min(hi);
    let target = &x[n - w..];
    let mut best = (hi, 0.0f64);
    // Energy of the lagged window, slid one sample at a time.
    let window = |lag: usize| &x[n - w - lag..n - lag];
    let mut energy: f64 = window(lo)
        .iter()
        .map(|&v| f64::from(v) * f64::from(v))
        .sum();
    for lag in lo..=hi {
        if lag > lo {
            let (enter, leave) = (x[n - w - lag], x[n - lag]);
            energy += f64::from(enter) * f64::from(enter) - f64::from(leave) * f64::from(leave);
        }
        let c = f64::from(dot(target, window(lag)));
        if c > 0.0 && energy > 0.0 {
            let score = c * c / energy;
            if score > best.1 {
                best = (lag, score);
            }
        }
    }
    best.0
}

/// The dot product of two slices of the same length, in eight lanes (so
/// that it vectorizes).
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0.0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ca.zip(cb) {
        for k in 0..8 {
            lanes[k] += x[k] * y[k];
        }
    }
    lanes.iter().sum::<f32>() + tail
}

#[cfg(test)]
mod test {
    use super::*;

    /// A 16 ms period (62.5 Hz) square-ish wave at `rate`, one frame of
    /// `ms` starting at sample `from`.
    fn wave(rate: SampleRate, from: usize, ms: u32) -> Vec<i16> {
        let period = samples(rate, 5); // 200 Hz
        (from..from + samples(rate, ms))
            .map(|n| {
                let x = (n % period) as f32 / period as f32;
                (libm::sinf(x * 2.0 * core::f32::consts::PI) * 10_000.0) as i16
            })
            .collect()
    }

    #[test]
    fn a_leg_that_loses_nothing_passes_bit_for_bit() {
        for rate in [SampleRate::Hz8000, SampleRate::Hz48000] {
            let mut plc = Concealer::<i16>::new(rate);
            for k in 0..20 {
                let sent = wave(rate, k * samples(rate, 20), 20);
                let mut frame = sent.clone();
                plc.good(&mut frame);
                assert_eq!(frame, sent);
            }
            assert_eq!(plc.concealed_frames(), 0);
        }
    }

    #[test]
    fn a_lost_frame_continues_the_pitch_period() {
        for rate in [SampleRate::Hz8000, SampleRate::Hz16000, SampleRate::Hz48000] {
            let mut plc = Concealer::<i16>::new(rate);
            let n = samples(rate, 10);
            for k in 0..6 {
                plc.good(&mut wave(rate, k * n, 10));
            }
            let mut out = vec![0i16; n];
            plc.lost(&mut out);
            // The first 10 ms play at full level: the wave as it would
            // have gone on, within a few percent.
            let truth = wave(rate, 6 * n, 10);
            let err: f64 = out
                .iter()
                .zip(&truth)
                .map(|(&a, &b)| (f64::from(a) - f64::from(b)).powi(2))
                .sum();
            let energy: f64 = truth.iter().map(|&b| f64::from(b).powi(2)).sum();
            assert!(err < energy * 0.01, "{rate:?}: error {err} of {energy}");
        }
    }

    #[test]
    fn a_long_loss_fades_to_exact_silence_by_60_ms() {
        let rate = SampleRate::Hz16000;
        let mut plc = Concealer::<f32>::new(rate);
        let n = samples(rate, 20);
        for k in 0..3 {
            let mut frame: Vec<f32> = wave(rate, k * n, 20)
                .iter()
                .map(|&v| f32::from(v) / 32768.0)
                .collect();
            plc.good(&mut frame);
        }
        let mut lost = vec![vec![0f32; n]; 4];
        for frame in &mut lost {
            plc.lost(frame);
        }
        let peak = |x: &[f32]| x.iter().fold(0f32, |m, v| m.max(v.abs()));
        let fade = samples(rate, 10);
        assert!(peak(&lost[0][..fade]) > 0.25, "full level for 10 ms");
        assert!(peak(&lost[1]) < peak(&lost[0][..fade]), "then fading");
        assert!(peak(&lost[2][n - 16..]) < 0.01, "all but silent by 60 ms");
        assert!(lost[3].iter().all(|&v| v == 0.0));
        assert_eq!(plc.concealed_frames(), 4);
    }

    #[test]
    fn the_return_is_smooth_and_the_rest_of_the_frame_is_as_sent() {
        let rate = SampleRate::Hz8000;
        let mut plc = Concealer::<i16>::new(rate);
        let n = samples(rate, 20);
        for k in 0..3 {
            plc.good(&mut wave(rate, k * n, 20));
        }
        let mut lost = vec![0i16; n];
        plc.lost(&mut lost);
        let sent = vec![-12_000i16; n];
        let mut back = sent.clone();
        plc.good(&mut back);
        let blend = samples(rate, RETURN_MS);
        assert_eq!(back[blend..], sent[blend..]);
        // No step at the join: the first sample is near the concealment's
        // next, not at the frame's.
        assert!((i32::from(back[0]) - i32::from(sent[0])).abs() > 1000);
        assert!(!plc.in_loss());
    }

    #[test]
    fn an_absent_frame_is_silence_and_ends_the_loss_without_a_blend() {
        let rate = SampleRate::Hz8000;
        let mut plc = Concealer::<i16>::new(rate);
        let n = samples(rate, 20);
        for k in 0..3 {
            plc.good(&mut wave(rate, k * n, 20));
        }
        plc.lost(&mut vec![0i16; n]);
        plc.absent(n);
        let sent = wave(rate, 0, 20);
        let mut frame = sent.clone();
        plc.good(&mut frame);
        assert_eq!(frame, sent, "no blend after an absent frame");
        // After 60 ms of absence, a loss conceals silence.
        for _ in 0..3 {
            plc.absent(n);
        }
        let mut lost = vec![1i16; n];
        plc.lost(&mut lost);
        assert!(lost.iter().all(|&v| v == 0));
    }

    #[test]
    fn a_long_loss_turns_to_noise_the_same_every_time() {
        let rate = SampleRate::Hz8000;
        let n = samples(rate, 10);
        let run = || {
            let mut plc = Concealer::<i16>::new(rate);
            for k in 0..6 {
                plc.good(&mut wave(rate, k * n, 10));
            }
            let mut out = vec![0i16; 6 * n];
            for frame in out.chunks_exact_mut(n) {
                plc.lost(frame);
            }
            out
        };
        let out = run();
        assert_eq!(out, run(), "deterministic");
        // From 20 ms on, noise takes over: 40 to 50 ms no longer repeats
        // the 5 ms period, though it keeps some of the level.
        let late = &out[4 * n..5 * n];
        let p = samples(rate, 5);
        let diff: f64 = late[p..]
            .iter()
            .zip(late)
            .map(|(&a, &b)| (f64::from(a) - f64::from(b)).powi(2))
            .sum();
        let energy: f64 = late[p..].iter().map(|&a| f64::from(a).powi(2)).sum();
        assert!(energy > 0.0 && diff > energy * 0.5, "{diff} of {energy}");
    }

    #[test]
    fn non_finite_history_conceals_finite_audio() {
        let mut plc = Concealer::<f32>::new(SampleRate::Hz8000);
        let mut bad = vec![f32::NAN; 160];
        bad[3] = f32::INFINITY;
        bad[7] = f32::NEG_INFINITY;
        plc.good(&mut bad);
        let mut out = vec![0f32; 160];
        plc.lost(&mut out);
        assert!(out.iter().all(|v| v.is_finite() && v.abs() <= 1.0));
    }
}
