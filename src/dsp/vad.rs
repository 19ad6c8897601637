//! Voice activity: whether a party is speaking, from its own audio alone,
//! every 10 ms.
//!
//! [`VoiceDetector`] follows one leg. It adapts to the leg's own noise
//! floor and level, so that a quiet headset and a loud desk phone both
//! work: there is no threshold in dBFS, only margins over the floor that
//! the detector measures. What it looks at, per block of 10 ms:
//!
//! - the energy of the block, band-passed by `x[n] − x[n − k]` (`k` = two
//!   samples at 8 kHz, the same 2 kHz peak at every rate): mains hum and
//!   its first harmonics lose 10–22 dB, the telephone band is kept;
//! - the noise floor: it follows the quietest blocks at once and rises
//!   slowly (fast through noise-like blocks, slowly through voice-like
//!   ones), so that it settles on stationary noise (a hiss, a hum, G.711's
//!   idle noise, comfort noise) and not on the speech over it; it never
//!   goes below [`MIN_FLOOR_DBFS`], where digital silence would make every
//!   quantisation step a voice;
//! - the margin: how far a block must rise over the floor to be voice,
//!   from 5 dB up, widened where the noise itself fluctuates (babble);
//! - onset and hangover: a voice begins at two voice-like blocks in a row
//!   (or one well over the margin), and stays for [`HANGOVER_MS`] after
//!   the last, which bridges the gaps between syllables. The pauses
//!   between sentences of one turn are bridged a level up, by the call
//!   signals' turns.
//!
//! The detector allocates nothing and cannot panic; every rate of
//! [`SampleRate`] and both sample types work, and frames of any length
//! (a partial block is carried to the next frame).
//!
//! ```
//! use barge::vad::VoiceDetector;
//! use barge::SampleRate;
//! let mut vad = VoiceDetector::new(SampleRate::Hz8000);
//! // Half a second of quiet noise, then a loud tone: voice after 20 ms.
//! let mut seed = 1u32;
//! let mut noise = || {
//!     seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
//!     (seed >> 16) as i16 / 512
//! };
//! let quiet: Vec<i16> = (0..4000).map(|_| noise()).collect();
//! let mut blocks = 0;
//! vad.push(&quiet, |voice| blocks += usize::from(voice));
//! assert_eq!(blocks, 0);
//! let loud: Vec<i16> = (0..800)
//!     .map(|n| noise() + (8000.0 * (n as f32 * 0.6).sin()) as i16)
//!     .collect();
//! vad.push(&loud, |voice| blocks += usize::from(voice));
//! assert!(blocks >= 8 && vad.is_voice());
//! assert!(vad.level_db() > 20.0);
//! # Ok::<(), barge::Error>(())
//! ```

use crate::dsp::kernel::Sample;
use crate::dsp::level::load;
use crate::format::SampleRate;

/// The block the detector decides on, in milliseconds.
pub const BLOCK_MS: u32 = 10;

/// How long a voice lasts after its last voice-like block, in
/// milliseconds.
pub const HANGOVER_MS: u32 = 80;

/// The lowest noise floor the detector assumes, in dBFS (0 dBFS: the RMS
/// of a full-scale square wave): about one μ-law step of idle noise.
pub const MIN_FLOOR_DBFS: f32 = -74.0;

/// 0 dBFS in the detector's units: 10·log10(32768²).
const FULL_SCALE_DB: f32 = 90.309;
/// [`MIN_FLOOR_DBFS`] in the detector's units.
const MIN_FLOOR: f32 = FULL_SCALE_DB + MIN_FLOOR_DBFS;
/// The smallest margin over the floor that is voice, in dB, and the
/// largest that the noise's own spread widens it to.
const MIN_MARGIN: f32 = 4.0;
const MAX_MARGIN: f32 = 14.0;
/// A block this far over the margin begins a voice on its own.
const STRONG: f32 = 6.0;
/// How fast the floor rises, in dB a block, through noise-like and
/// voice-like blocks; how far it falls towards a quieter block.
const RISE_NOISE: f32 = 0.08;
const RISE_VOICE: f32 = 0.012;
const FALL: f32 = 0.5;
/// The longest lag of the band-pass (48 kHz).
const MAX_LAG: usize = 12;
/// How long, and how far under the margin, the smoothed energy carries a
/// voice on after its last voice-like block.
const CARRY_BLOCKS: u8 = 30;
const CARRY_DB: f32 = 2.0;
const HANG_BLOCKS: u8 = (HANGOVER_MS / BLOCK_MS) as u8;

/// The noise floor of one band, in dB of `i16` units squared.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Floor {
    floor: f32,
    /// The mean distance from the floor of blocks that are not voice-like.
    spread: f32,
    /// The band's energy smoothed over about 30 ms (linear).
    smooth: f32,
}

impl Floor {
    const NEW: Floor = Floor {
        floor: MIN_FLOOR,
        spread: 1.0,
        smooth: 0.0,
    };

    fn margin(&self) -> f32 {
        (MIN_MARGIN + 1.5 * (self.spread - 1.0).max(0.0)).min(MAX_MARGIN)
    }

    /// How far the block's energy (in dB) and the smoothed energy rise
    /// over the margin.
    #[inline]
    fn over(&mut self, e: f32) -> (f32, f32, f32) {
        self.smooth += 0.5 * (e - self.smooth);
        let (db, smooth) = (db10(e + 1.0), db10(self.smooth + 1.0));
        let margin = self.margin();
        (db - self.floor - margin, smooth - self.floor - margin, db)
    }

    /// Moves the floor on after a block of `db`.
    #[inline]
    fn learn(&mut self, db: f32, like: bool) {
        let over = db - self.floor;
        if over < 0.0 {
            self.floor += FALL * over;
        } else {
            self.floor += if like { RISE_VOICE } else { RISE_NOISE }.min(over);
        }
        self.floor = self.floor.max(MIN_FLOOR);
        // How much the noise itself moves, from blocks out of voice;
        // blocks at the lowest floor say nothing of it.
        if !like && db > MIN_FLOOR + 1.0 {
            self.spread += 0.02 * (over.abs() - self.spread);
        }
    }
}

/// Voice activity of one leg: see the [module docs](self).
#[derive(Debug, Clone, PartialEq)]
pub struct VoiceDetector {
    /// Samples in a block, and the band-pass's lag.
    block: u16,
    lag: u8,
    /// The last `lag` samples, oldest first, in `i16` units.
    history: [f32; MAX_LAG],
    /// The block under way: its energy so far (whole and band-passed) and
    /// how many samples.
    partial: [f32; 2],
    filled: u16,
    /// Blocks seen; the first sets the floors.
    blocks: u64,
    /// The floors of the whole signal and of the band-passed one.
    bands: [Floor; 2],
    /// The voice's level over the floor, smoothed over voice blocks, and
    /// how many voice blocks (up to 100) it has seen.
    level: f32,
    voiced: u8,
    /// Whether the last block was voice-like (for the onset), and the
    /// blocks of hangover left.
    primed: bool,
    hang: u8,
    /// Blocks since the last voice-like one.
    since: u8,
    voice: bool,
    clipped: u64,
}

impl VoiceDetector {
    /// A detector for a leg at `rate`, with no history.
    pub fn new(rate: SampleRate) -> VoiceDetector {
        let hz = rate.hz();
        VoiceDetector {
            block: (hz / 100) as u16,
            lag: (hz / 4000) as u8,
            history: [0.0; MAX_LAG],
            partial: [0.0; 2],
            filled: 0,
            blocks: 0,
            bands: [Floor::NEW; 2],
            level: 0.0,
            voiced: 0,
            primed: false,
            hang: 0,
            since: u8::MAX,
            voice: false,
            clipped: 0,
        }
    }

    /// Takes the next samples of the leg and calls `each` once per block
    /// of 10 ms that they complete, in order, with whether it is voice.
    /// Non-finite `f32` samples count as silence.
    #[inline]
    pub fn push<S: Sample>(&mut self, samples: &[S], mut each: impl FnMut(bool)) {
        let block = usize::from(self.block);
        let mut rest = samples;
        while !rest.is_empty() {
            let take = (block - usize::from(self.filled)).min(rest.len());
            let (now, later) = rest.split_at(take);
            let [whole, band] = self.energy(now);
            self.partial[0] += whole;
            self.partial[1] += band;
            self.filled += take as u16;
            rest = later;
            if usize::from(self.filled) == block {
                let n = block as f32;
                let e = [self.partial[0] / n, self.partial[1] / n];
                (self.partial, self.filled) = ([0.0; 2], 0);
                each(self.decide(e));
            }
        }
    }

    /// A block in which the leg handed in nothing: no voice, and nothing
    /// learnt of the floor. The band-pass's history is forgotten.
    pub fn missing(&mut self) {
        self.history = [0.0; MAX_LAG];
        (self.partial, self.filled) = ([0.0; 2], 0);
        self.primed = false;
        self.hang = 0;
        self.voice = false;
    }

    /// Whether the last block was voice.
    pub fn is_voice(&self) -> bool {
        self.voice
    }

    /// The noise floor, in dBFS.
    pub fn floor_dbfs(&self) -> f32 {
        self.bands[0].floor - FULL_SCALE_DB
    }

    /// The voice's level over the noise floor, in dB: the energy of its
    /// voice blocks over the floor, a mean over its first second of voice,
    /// then smoothed over about a second; 0 before the first.
    pub fn level_db(&self) -> f32 {
        self.level
    }

    /// Samples at full scale (`i16::MIN` or `i16::MAX`, or an `f32` of
    /// magnitude 1 or more) since the detector began.
    pub fn clipped(&self) -> u64 {
        self.clipped
    }

    /// The energy of `x`, summed, whole and band-passed; the history moves
    /// on.
    #[inline]
    fn energy<S: Sample>(&mut self, x: &[S]) -> [f32; 2] {
        let lag = usize::from(self.lag).clamp(1, MAX_LAG);
        let hist = &self.history[MAX_LAG - lag..];
        let (mut whole, mut band) = (0.0, 0.0);
        let mut clipped = 0u32;
        // The first `lag` samples reach back into the history.
        let head = lag.min(x.len());
        for (i, v) in x[..head].iter().enumerate() {
            let v = load(v);
            clipped += u32::from(v.abs() >= 32767.0);
            // `i < head <= lag`: the sample `lag` before it.
            let back = hist.get(i).copied().unwrap_or(0.0);
            whole += v * v;
            band += (v - back) * (v - back);
        }
        // The rest, in lanes so that the sums vectorise.
        let (now, back) = (&x[head..], &x[..x.len() - head]);
        let ([w, b], c) = S::energies(now, back);
        whole += w;
        band += b;
        clipped += c;
        self.clipped += u64::from(clipped);
        // The new history: the last `lag` samples of history and `x`.
        let mut next = [0.0f32; MAX_LAG];
        let keep = lag - head;
        next[MAX_LAG - lag..MAX_LAG - lag + keep].copy_from_slice(&hist[head..]);
        for (slot, v) in next[MAX_LAG - head..].iter_mut().zip(&x[x.len() - head..]) {
            *slot = load(v);
        }
        self.history = next;
        [whole, band]
    }

    /// The decision for one block of mean energies `e` (whole and
    /// band-passed). A block is voice-like when either band rises over its
    /// margin: the whole signal hears voice over white and pink noise
    /// best, the band-passed one over hum.
    #[inline]
    fn decide(&mut self, e: [f32; 2]) -> bool {
        self.blocks += 1;
        if self.blocks == 1 {
            // The first block is the floor's first guess.
            for (band, e) in self.bands.iter_mut().zip(e) {
                band.floor = db10(e + 1.0).max(MIN_FLOOR);
                band.smooth = e;
            }
        }
        let (o0, s0, db0) = self.bands[0].over(e[0]);
        let (o1, s1, db1) = self.bands[1].over(e[1]);
        let over = o0.max(o1);
        let like = over > 0.0;
        // In a voice, the smoothed energy halfway to the margin keeps it.
        // In a voice, the smoothed energy near the margin keeps it, for
        // a while after the last voice-like block, while the block itself
        // is over the floor (a voice's end on a quiet line drops at once).
        self.since = if like {
            0
        } else {
            self.since.saturating_add(1)
        };
        let carries = self.voice
            && self.since <= CARRY_BLOCKS
            && s0.max(s1) > -CARRY_DB
            && o0.max(o1) > -MIN_MARGIN;
        let onset = like && (self.primed || over > STRONG);
        if (like || carries) && (self.voice || onset) {
            self.hang = HANG_BLOCKS;
            self.voice = true;
            // A running mean over the first second of voice, then a
            // smoothing over about a second.
            let level = db0 - self.bands[0].floor;
            self.voiced = self.voiced.saturating_add(1).min(100);
            self.level += (level - self.level) / f32::from(self.voiced);
        } else if self.hang > 0 {
            self.hang -= 1;
            self.voice = self.hang > 0;
        } else {
            self.voice = false;
        }
        self.bands[0].learn(db0, like);
        self.bands[1].learn(db1, like);
        self.primed = like;
        self.voice
    }
}

pub(crate) mod private {
    /// The detector's loop per sample type. Not part of the public API.
    pub trait Energy: Sized {
        /// The energy of `x` and of `x − back`, in `i16` units squared,
        /// and how many samples of `x` are at full scale (`back` is as
        /// long as `x`).
        fn energies(x: &[Self], back: &[Self]) -> ([f32; 2], u32);
    }

    impl Energy for i16 {
        #[inline]
        fn energies(x: &[i16], back: &[i16]) -> ([f32; 2], u32) {
            let mut lanes = [[0.0f32; 8]; 2];
            let mut clips = [0u16; 8];
            let (mut a, mut b) = (x.chunks_exact(8), back.chunks_exact(8));
            for (a, b) in (&mut a).zip(&mut b) {
                for j in 0..8 {
                    let (v, w) = (f32::from(a[j]), f32::from(b[j]));
                    clips[j] += u16::from(a[j] == i16::MAX || a[j] == i16::MIN);
                    lanes[0][j] += v * v;
                    lanes[1][j] += (v - w) * (v - w);
                }
            }
            let (mut whole, mut band, mut clipped) = (0.0, 0.0, 0u32);
            for (&a, &b) in a.remainder().iter().zip(b.remainder()) {
                let (v, w) = (f32::from(a), f32::from(b));
                clipped += u32::from(a == i16::MAX || a == i16::MIN);
                whole += v * v;
                band += (v - w) * (v - w);
            }
            whole += lanes[0].iter().sum::<f32>();
            band += lanes[1].iter().sum::<f32>();
            clipped += clips.iter().map(|&c| u32::from(c)).sum::<u32>();
            ([whole, band], clipped)
        }
    }

    impl Energy for f32 {
        #[inline]
        fn energies(x: &[f32], back: &[f32]) -> ([f32; 2], u32) {
            // In `i16` units; a non-finite sample is silence.
            let unit = |v: f32| {
                if v.is_finite() {
                    v.clamp(-1.0, 1.0) * 32768.0
                } else {
                    0.0
                }
            };
            let mut lanes = [[0.0f32; 8]; 2];
            let mut clips = [0u32; 8];
            let (mut a, mut b) = (x.chunks_exact(8), back.chunks_exact(8));
            for (a, b) in (&mut a).zip(&mut b) {
                for j in 0..8 {
                    let (v, w) = (unit(a[j]), unit(b[j]));
                    clips[j] += u32::from(v.abs() >= 32767.0);
                    lanes[0][j] += v * v;
                    lanes[1][j] += (v - w) * (v - w);
                }
            }
            let (mut whole, mut band, mut clipped) = (0.0, 0.0, 0u32);
            for (&a, &b) in a.remainder().iter().zip(b.remainder()) {
                let (v, w) = (unit(a), unit(b));
                clipped += u32::from(v.abs() >= 32767.0);
                whole += v * v;
                band += (v - w) * (v - w);
            }
            whole += lanes[0].iter().sum::<f32>();
            band += lanes[1].iter().sum::<f32>();
            clipped += clips.iter().sum::<u32>();
            ([whole, band], clipped)
        }
    }
}

/// 10·log10(x) for x ≥ 1, within 0.01 dB: the exponent of the float and a
/// polynomial for the mantissa, the same on every target.
#[inline]
fn db10(x: f32) -> f32 {
    let bits = x.to_bits();
    let exp = ((bits >> 23) & 0xff) as i32 - 127;
    let m = f32::from_bits((bits & 0x007f_ffff) | 0x3f80_0000); // [1, 2)
                                                                // log2(1 + t) for t in [0, 1): a fit of degree 5 (error < 5e-5).
    let t = m - 1.0;
    let log2m = t
        * (1.441_270_8
            + t * (-0.705_719_5 + t * (0.408_749_7 + t * (-0.187_744 + t * 0.043_434_34))));
    (exp as f32 + log2m) * 3.010_3
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn db10_is_close_to_log10() {
        let mut x = 1.0f32;
        while x < 1e12 {
            let want = 10.0 * libm::log10f(x);
            assert!((db10(x) - want).abs() < 0.02, "{x}: {} vs {want}", db10(x));
            x *= 1.37;
        }
    }
}
