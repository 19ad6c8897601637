//! Voice activity: whether a party is speaking, from its own audio alone,
//! every 10 ms.
//!
//! [`VoiceDetector`] follows one leg. It adapts to the leg's own noise
//! floor and level, so that a quiet headset and a loud desk phone both
//! work: there is no threshold in dBFS, only margins over the floor that
//! the detector measures. What it looks at, per block of 10 ms:
//!
//! - the energy of the block (the mean of its samples squared), and its
//!   energy band-passed by `x[n] − x[n − k]` (`k` = two samples at 8 kHz,
//!   the same 2 kHz peak at every rate; the mean over the differences
//!   within the block from its 9th sample on, its 17th at 48 kHz, or
//!   within each piece of a block that arrives in pieces): mains
//!   hum and its first harmonics lose 10–22 dB, the telephone band is
//!   kept. Both come from one pass of integer arithmetic over an `i16`
//!   block (the samples shifted right only as far as a loud block needs
//!   for its sums to fit 32 bits);
//! - the noise floor: it follows the quietest blocks at once and rises
//!   slowly (fast through noise-like blocks, slowly through voice-like
//!   ones), so that it settles on stationary noise (a hiss, a hum, G.711's
//!   idle noise, comfort noise) and not on the speech over it; it never
//!   goes below [`MIN_FLOOR_DBFS`], where digital silence would make every
//!   quantisation step a voice;
//! - the margin: how far a block must rise over the floor to be voice:
//!   4 dB (3.4 dB on a line whose voice rises 6 dB or less over the
//!   floor in the energy it rises more in, back to 4 dB at 9 dB), widened
//!   by 1.5 dB for each dB that the noise itself strays from its floor on
//!   average beyond 1 dB (babble), up to 14 dB. A block
//!   is voice-like when either energy rises over its floor by the margin,
//!   unless its energy is more than 28 dB under the voice's level (once ten
//!   blocks of voice have set it): the faint tail of a word on a clean
//!   line is not voice;
//! - onset: a voice begins at two voice-like blocks in a row (or one 6 dB
//!   over the margin) of which the second rises at least 2.5 dB over the
//!   floor in the band-passed energy, as a voice's formants do where the
//!   bursts of pink noise, low in frequency, do not; and only such a
//!   block (that rise aside, within a voice) renews a voice's hangover
//!   and carry (below): a lone voice-like block is voice itself but does
//!   not prolong it, for the blocks of a 50 Hz hum, whose half periods
//!   differ, can be voice-like one in two;
//! - busy noise: out of a voice, the detector follows the share of blocks
//!   more than 6 dB over the floor and the median of their rise over it.
//!   Where more than a fifth of them are and their median is 3 dB or
//!   more (other voices in the room, whose troughs the floor follows; a
//!   steady hiss or hum stays under 5 %), a voice begins only 9 dB over
//!   that median, and
//!   [`busy`](VoiceDetector::busy) says so: energy alone cannot tell the
//!   party's voice from the others', and its talk is over-counted;
//! - hangover: a voice stays for [`HANGOVER_MS`] after its last
//!   voice-like block on a line where the voice rises less than 8 dB over
//!   the floor (in the energy it rises more in), down to 40 ms where it
//!   rises 14 dB or more, in a straight line between: long enough to
//!   bridge the dips between syllables, not so long that it counts the
//!   silence after a clean utterance; and none at all for a block more
//!   than 28 dB under the voice's level in either energy (in the
//!   band-passed one, under the clearer of the two levels): on a clear
//!   line that is the end of a word, not a dip inside it. Where the voice
//!   is under 18 dB over the floor, a voice also carries on while the
//!   energy smoothed over about 20 ms stays within 2 dB under the margin
//!   and the block itself within 4 dB under it: for up to 300 ms under
//!   8 dB, none at 18 dB. The pauses between sentences of one turn are
//!   bridged a level up, by the call signals' turns.
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
use crate::format::SampleRate;
use private::BATCH;

/// The block the detector decides on, in milliseconds.
pub const BLOCK_MS: u32 = 10;

/// How long a voice lasts after its last voice-like block, in
/// milliseconds, on a noisy line (on a clear one, down to 40 ms: see the
/// [module docs](self)).
pub const HANGOVER_MS: u32 = 70;

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
/// How long, and how far under the margin, the smoothed energy carries a
/// voice on after its last voice-like block.
const CARRY_BLOCKS: u8 = 30;
const CARRY_DB: f32 = 2.0;
/// How far under the voice's level a block is too faint to be voice.
const REL_DB: f32 = 28.0;
/// How far a block must rise over the band-passed floor to begin a voice.
const ONSET_BAND: f32 = 2.5;
/// How much narrower the margin is where the voice rises only a little
/// over the floor: none where it rises [`NARROW_UNDER`] dB or more, all
/// of it [`NARROW_SPAN`] dB under that.
const NARROW: f32 = 0.6;
const NARROW_UNDER: f32 = 9.0;
const NARROW_SPAN: f32 = 3.0;
const HANG_BLOCKS: u8 = (HANGOVER_MS / BLOCK_MS) as u8;
/// Busy noise (other voices): out of a voice, the share of blocks that
/// rise more than [`BUSY_DB`] over the floor, smoothed by [`BUSY_RATE`] a
/// block; over [`BUSY`], a voice begins only [`BUSY_ONSET`] dB over the
/// noise's typical rise, which follows those blocks by [`NOISE_STEP`] dB a
/// block (up or down: their median).
const BUSY_DB: f32 = 6.0;
const BUSY_RATE: f32 = 0.02;
const BUSY: f32 = 0.2;
const BUSY_ONSET: f32 = 9.0;
const NOISE_STEP: f32 = 0.1;
const BUSY_NOISE: f32 = 3.0;

/// The noise floor of one band, in dB of `i16` units squared.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Floor {
    floor: f32,
    /// The mean distance from the floor of blocks that are not voice-like.
    spread: f32,
    /// The band's energy smoothed over about 20 ms (linear): half of it
    /// is the last block's.
    smooth: f32,
}

impl Floor {
    const NEW: Floor = Floor {
        floor: MIN_FLOOR,
        spread: 1.0,
        smooth: 0.0,
    };

    fn margin(&self, less: f32) -> f32 {
        (MIN_MARGIN - less + 1.5 * (self.spread - 1.0).max(0.0)).min(MAX_MARGIN)
    }

    /// How far the block's energy (in dB) and the smoothed energy rise
    /// over the margin.
    #[inline]
    fn over(&mut self, e: f32, less: f32) -> (f32, f32, f32) {
        self.smooth += 0.5 * (e - self.smooth);
        let (db, smooth) = (db10(e + 1.0), db10(self.smooth + 1.0));
        let margin = self.margin(less);
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
    /// The block under way: its energy so far (whole, and band-passed
    /// with the number of differences in it) and how many samples.
    partial: [f32; 3],
    filled: u16,
    /// The largest sample (after a shift) whose square, summed over a
    /// block, fits an `i32`: `√((2³¹ − 1) / block)`.
    limit: u16,
    /// Blocks seen; the first sets the floors.
    blocks: u64,
    /// The floors of the whole signal and of the band-passed one.
    bands: [Floor; 2],
    /// The voice's level over the floor, smoothed over voice blocks, and
    /// how many voice blocks (up to 100) it has seen.
    level: f32,
    voiced: u8,
    /// The same from whichever band the voice rises more over (the
    /// band-passed one over hum): how clear the voice is.
    clear: f32,
    /// Whether the last block was voice-like (for the onset), and the
    /// blocks of hangover left.
    primed: bool,
    hang: u8,
    /// Blocks since the last voice-like one.
    since: u8,
    /// Out of a voice: the share of blocks far over the floor (busy
    /// noise), and the median of the noise's rise over the floor.
    busy: f32,
    noise: f32,
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
            partial: [0.0; 3],
            filled: 0,
            limit: limit(hz / 100),
            blocks: 0,
            bands: [Floor::NEW; 2],
            level: 0.0,
            voiced: 0,
            clear: 0.0,
            primed: false,
            hang: 0,
            since: u8::MAX,
            busy: 0.0,
            noise: 0.0,
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
        let lag = usize::from(self.lag);
        let mut rest = samples;
        while !rest.is_empty() {
            if self.filled == 0 && rest.len() >= block {
                // Whole blocks (a session's every block), a few at a time.
                let n = (rest.len() / block).min(BATCH);
                let (now, later) = rest.split_at(n * block);
                let mut sums = [[0.0; 3]; BATCH];
                self.clipped += u64::from(S::energies(now, block, lag, self.limit, &mut sums));
                for &s in &sums[..n] {
                    each(self.decide(s));
                }
                rest = later;
                continue;
            }
            // A piece of a block.
            let take = (block - usize::from(self.filled)).min(rest.len());
            let (now, later) = rest.split_at(take);
            let mut sums = [[0.0; 3]; BATCH];
            self.clipped += u64::from(S::energies(now, take, lag, self.limit, &mut sums));
            for (p, s) in self.partial.iter_mut().zip(sums[0]) {
                *p += s;
            }
            self.filled += take as u16;
            rest = later;
            if usize::from(self.filled) == block {
                let sums = self.partial;
                (self.partial, self.filled) = ([0.0; 3], 0);
                each(self.decide(sums));
            }
        }
    }

    /// A block in which the leg handed in nothing: no voice, and nothing
    /// learnt of the floor. A block under way is dropped.
    pub fn missing(&mut self) {
        (self.partial, self.filled) = ([0.0; 3], 0);
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

    /// Whether the noise out of the voice is busy: more than a fifth of
    /// its blocks of 10 ms (smoothed over about two seconds) rise more
    /// than 6 dB over the floor, as other voices in the room do (babble)
    /// and a steady hiss or hum does not. A voice then begins only 9 dB
    /// over the noise's median, but the other voices still pass for the
    /// party's at times: its talk is over-counted (by 35 to 60 % at 20
    /// and 10 dB SNR on the test sets of `tests/vad/`, where it is within
    /// 10 % in steady noise at 10 dB and over). A long monologue in
    /// steady noise can make it true for a while: white noise at 10 dB SNR
    /// did on one of their eight parties, for 17 % of its blocks.
    pub fn busy(&self) -> bool {
        self.busy > BUSY && self.noise > BUSY_NOISE
    }

    /// Samples at full scale (`i16::MIN` or `i16::MAX`, or an `f32` of
    /// magnitude 1 or more) since the detector began.
    pub fn clipped(&self) -> u64 {
        self.clipped
    }

    /// The hangover, in blocks: the full [`HANGOVER_MS`] on a line whose
    /// voice is less than 8 dB over its floor, down to 40 ms on one
    /// where it is 14 dB over or more.
    #[inline]
    fn hang_blocks(&self) -> u8 {
        let over = ((self.clear - 8.0) / 6.0).clamp(0.0, 1.0);
        HANG_BLOCKS - (over * f32::from(HANG_BLOCKS - 4)) as u8
    }

    /// How long the smoothed energy carries a voice on: [`CARRY_BLOCKS`]
    /// under 8 dB over the floor, none from 18 dB.
    #[inline]
    fn carry_blocks(&self) -> u8 {
        let over = ((self.clear - 8.0) / 10.0).clamp(0.0, 1.0);
        CARRY_BLOCKS - (over * f32::from(CARRY_BLOCKS)) as u8
    }

    /// The decision for one block of energy sums `sums` (whole, and
    /// band-passed with the number of its differences). A block is voice-like when either band rises over its
    /// margin: the whole signal hears voice over white and pink noise
    /// best, the band-passed one over hum.
    #[inline]
    fn decide(&mut self, sums: [f32; 3]) -> bool {
        let e = [
            sums[0] / f32::from(self.block),
            if sums[2] > 0.0 {
                sums[1] / sums[2]
            } else {
                0.0
            },
        ];
        self.blocks += 1;
        if self.blocks == 1 {
            // The first block is the floor's first guess.
            for (band, e) in self.bands.iter_mut().zip(e) {
                band.floor = db10(e + 1.0).max(MIN_FLOOR);
                band.smooth = e;
            }
        }
        // Where the voice is hardly over the noise, a narrower margin
        // hears more of it (once ten blocks of voice have said so).
        let less = if self.voiced >= 10 {
            NARROW * ((NARROW_UNDER - self.clear) / NARROW_SPAN).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let (o0, s0, db0) = self.bands[0].over(e[0], less);
        let (o1, s1, db1) = self.bands[1].over(e[1], less);
        let over = o0.max(o1);
        // Far under the voice's own level, a block is its echo or tail.
        let faint = self.voiced >= 10 && db0 - self.bands[0].floor < self.level - REL_DB;
        // So far under in either band, the voice has ended: no hangover.
        let gone = faint || self.voiced >= 10 && db1 - self.bands[1].floor < self.clear - REL_DB;
        let like = over > 0.0 && !faint;
        // Out of a voice, how the noise moves: the share of its blocks
        // far over the floor, and their median rise.
        let rise = db0 - self.bands[0].floor;
        if !self.voice {
            self.busy += BUSY_RATE * (f32::from(u8::from(rise > BUSY_DB)) - self.busy);
            self.noise += if rise > self.noise {
                NOISE_STEP
            } else {
                -NOISE_STEP
            };
        }
        // Only a voice-like block beside another, or far over the margin,
        // begins a voice or renews it: a lone one keeps a voice on for
        // itself alone. A hum of 50 Hz, whose half periods differ, can
        // make every other block voice-like.
        // A voice begins only where the band-passed energy rises too, and
        // in busy noise (other voices), whose troughs the floor follows,
        // only well over the noise's typical rise.
        let cue = self.voice
            || (db1 - self.bands[1].floor > ONSET_BAND
                && (!self.busy() || rise >= self.noise + BUSY_ONSET));
        let sure = like && cue && (self.primed || over > STRONG);
        self.since = if sure {
            0
        } else {
            self.since.saturating_add(1)
        };
        // In a voice, the smoothed energy near the margin keeps it, for
        // a while after the last such block, while the block itself is
        // near the margin (a voice's end on a quiet line drops at once).
        let carries = self.voice
            && self.since <= self.carry_blocks()
            && s0.max(s1) > -CARRY_DB
            && o0.max(o1) > -MIN_MARGIN;
        if sure || carries {
            self.hang = self.hang_blocks();
            self.voice = true;
            // A running mean over the first second of voice, then a
            // smoothing over about a second.
            let level = db0 - self.bands[0].floor;
            self.voiced = self.voiced.saturating_add(1).min(100);
            self.level += (level - self.level) / f32::from(self.voiced);
            let clear = level.max(db1 - self.bands[1].floor);
            self.clear += (clear - self.clear) / f32::from(self.voiced);
        } else if (self.hang > 0 && !gone) || (like && self.voice) {
            self.hang = self.hang.saturating_sub(1);
            self.voice = true;
        } else {
            self.hang = 0;
            self.voice = false;
        }
        self.bands[0].learn(db0, like);
        self.bands[1].learn(db1, like);
        self.primed = like;
        self.voice
    }
}

pub(crate) mod private {
    /// Blocks summed in one call at most (60 ms).
    pub const BATCH: usize = 6;

    /// The detector's loop per sample type. Not part of the public API.
    pub trait Energy: Sized {
        /// The energy sums of each `block` samples of `x` (whole blocks, at
        /// most [`BATCH`]), into `sums` in order, in `i16` units squared:
        /// of its samples, and of the differences `x[n] − x[n − lag]`
        /// within it for `n` from `lag` rounded up to a multiple of 8 (so
        /// that the loop runs over whole lanes), with the number of those
        /// differences. Returns how many samples are at full scale.
        fn energies(
            x: &[Self],
            block: usize,
            lag: usize,
            limit: u16,
            sums: &mut [[f32; 3]; BATCH],
        ) -> u32;
    }

    /// Where the differences begin: `lag` rounded up to whole lanes.
    #[inline]
    fn skip(lag: usize, len: usize) -> usize {
        ((lag.max(1) + 7) & !7).min(len)
    }

    impl Energy for i16 {
        #[inline]
        fn energies(
            x: &[i16],
            block: usize,
            lag: usize,
            limit: u16,
            sums: &mut [[f32; 3]; BATCH],
        ) -> u32 {
            sums_i16(x, block, lag, limit, sums)
        }
    }

    /// Integer sums, exact in an `i32`. For each block: its highest and
    /// lowest sample; the shift `k`, the least by which a sample (at most
    /// `peak / 2^k + 1`) and a difference (twice that) keep `block`
    /// squares within an `i32` (`limit`); the sum of the samples squared
    /// and of the differences squared, each sample shifted right by `k`
    /// first. `k` is 0 unless the peak is over about −22 dBFS (10 ms at
    /// 8 kHz); a louder block loses its lowest bits, far under its
    /// energy.
    #[multiversion::multiversion(targets("x86_64+avx2"))]
    fn sums_i16(
        x: &[i16],
        block: usize,
        lag: usize,
        limit: u16,
        sums: &mut [[f32; 3]; BATCH],
    ) -> u32 {
        let skip = skip(lag, block);
        let lag = lag.min(skip);
        let mut clipped = 0;
        for (x, sums) in x.chunks_exact(block.max(1)).zip(sums.iter_mut()) {
            let (mut hi, mut lo) = (0i16, 0i16);
            for &a in x {
                hi = hi.max(a);
                lo = lo.min(a);
            }
            let peak = u32::from(hi.unsigned_abs().max(lo.unsigned_abs()));
            let mut k = 0;
            while k < 14 && 2 * (((peak + (1 << k) - 1) >> k) + 1) > u32::from(limit) {
                k += 1;
            }
            let (mut xx, mut dd) = (0i32, 0i32);
            for &a in x {
                let v = i32::from(a >> k);
                xx = xx.wrapping_add(v * v);
            }
            let (now, back) = (&x[skip..], &x[skip - lag..x.len() - lag]);
            for (&a, &b) in now.iter().zip(back) {
                let d = i32::from((a >> k) - (b >> k));
                dd = dd.wrapping_add(d * d);
            }
            if hi == i16::MAX || lo == i16::MIN {
                clipped += x
                    .iter()
                    .filter(|&&v| v == i16::MAX || v == i16::MIN)
                    .count() as u32;
            }
            *sums = [
                xx as f32 * (1u32 << (2 * k)) as f32,
                dd as f32 * (1u32 << (2 * k)) as f32,
                (x.len() - skip) as f32,
            ];
        }
        clipped
    }

    impl Energy for f32 {
        #[inline]
        fn energies(
            x: &[f32],
            block: usize,
            lag: usize,
            _: u16,
            sums: &mut [[f32; 3]; BATCH],
        ) -> u32 {
            // In `i16` units; a non-finite sample is silence.
            let unit = |v: f32| {
                if v.is_finite() {
                    v.clamp(-1.0, 1.0) * 32768.0
                } else {
                    0.0
                }
            };
            let skip = skip(lag, block);
            let lag = lag.min(skip);
            let mut clipped = 0;
            for (x, sums) in x.chunks_exact(block.max(1)).zip(sums.iter_mut()) {
                clipped += x.iter().filter(|&&v| unit(v).abs() >= 32767.0).count() as u32;
                // In lanes, so that the sums vectorise.
                let mut lanes = [[0.0f32; 8]; 2];
                let mut a = x.chunks_exact(8);
                for a in &mut a {
                    for j in 0..8 {
                        lanes[0][j] += unit(a[j]) * unit(a[j]);
                    }
                }
                let (now, back) = (&x[skip..], &x[skip - lag..x.len() - lag]);
                let (mut b, mut c) = (now.chunks_exact(8), back.chunks_exact(8));
                for (b, c) in (&mut b).zip(&mut c) {
                    for j in 0..8 {
                        let d = unit(b[j]) - unit(c[j]);
                        lanes[1][j] += d * d;
                    }
                }
                let mut whole = a
                    .remainder()
                    .iter()
                    .map(|&v| unit(v) * unit(v))
                    .sum::<f32>();
                let mut band = 0.0;
                for (&b, &c) in b.remainder().iter().zip(c.remainder()) {
                    let d = unit(b) - unit(c);
                    band += d * d;
                }
                whole += lanes[0].iter().sum::<f32>();
                band += lanes[1].iter().sum::<f32>();
                *sums = [whole, band, (x.len() - skip) as f32];
            }
            clipped
        }
    }
}

/// The largest `m` with `block · m² ≤ 2³¹ − 1`: a block of samples of at
/// most `m` has a sum of squares that fits an `i32`.
fn limit(block: u32) -> u16 {
    let bound = i32::MAX as u32 / block.max(1);
    let mut m = libm::sqrt(f64::from(bound)) as u32;
    while m * m > bound {
        m -= 1;
    }
    m.min(u32::from(u16::MAX)) as u16
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
    use alloc::vec::Vec;

    /// The block sums against their definitions in `f64`, from digital
    /// silence to full scale, at every rate and for both sample types:
    /// within 0.1 % (a loud `i16` block loses its lowest bits).
    #[test]
    fn block_sums_follow_their_definitions() {
        use private::Energy;
        let mut seed = 7u32;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed
        };
        for rate in SampleRate::ALL {
            let vad = VoiceDetector::new(rate);
            let (block, lag) = (usize::from(vad.block), usize::from(vad.lag));
            let skip = ((lag + 7) & !7).min(block);
            for amp in [0i32, 1, 7, 100, 3000, 5200, 20_000, 32_768] {
                let x: Vec<i16> = (0..block)
                    .map(|_| {
                        ((i64::from(next() as i32) * i64::from(amp)) >> 31).clamp(-32768, 32767)
                            as i16
                    })
                    .collect();
                let whole: f64 = x.iter().map(|&v| f64::from(v).powi(2)).sum();
                let band: f64 = (skip..block)
                    .map(|n| (f64::from(x[n]) - f64::from(x[n - lag])).powi(2))
                    .sum();
                let close =
                    |got: f32, want: f64| (f64::from(got) - want).abs() <= want * 1e-3 + 1.0;
                let mut sums = [[0.0; 3]; BATCH];
                i16::energies(&x, block, lag, vad.limit, &mut sums);
                assert!(
                    close(sums[0][0], whole),
                    "{rate:?} {amp}: {} vs {whole}",
                    sums[0][0]
                );
                assert!(
                    close(sums[0][1], band),
                    "{rate:?} {amp}: {} vs {band}",
                    sums[0][1]
                );
                assert_eq!(sums[0][2], (block - skip) as f32);
                let y: Vec<f32> = x.iter().map(|&v| f32::from(v) / 32768.0).collect();
                f32::energies(&y, block, lag, vad.limit, &mut sums);
                assert!(
                    close(sums[0][0], whole),
                    "{rate:?} {amp} f32: {} vs {whole}",
                    sums[0][0]
                );
                assert!(
                    close(sums[0][1], band),
                    "{rate:?} {amp} f32: {} vs {band}",
                    sums[0][1]
                );
            }
        }
    }

    #[test]
    fn db10_is_close_to_log10() {
        let mut x = 1.0f32;
        while x < 1e12 {
            let want = 10.0 * libm::log10f(x);
            assert!((db10(x) - want).abs() < 0.02, "{x}: {} vs {want}", db10(x));
            x *= 1.37;
        }
    }

    /// One detector's decisions, per block, over `x` handed in 20 ms at a
    /// time at 8 kHz.
    fn decisions(x: &[f32]) -> Vec<bool> {
        let mut vad = VoiceDetector::new(SampleRate::Hz8000);
        let mut out = Vec::new();
        for frame in x.chunks(160) {
            let frame: Vec<i16> = frame.iter().map(|&v| v as i16).collect();
            vad.push(&frame, |v| out.push(v));
        }
        out
    }

    /// `ms` of syllables at `dbfs`: bursts of three tones, 180 ms on, 40 ms
    /// down 20 dB, as in the call signals' scripted calls.
    fn syllables(ms: usize, dbfs: f32) -> impl Iterator<Item = f32> {
        let a = 32768.0 * libm::powf(10.0, dbfs / 20.0) * libm::sqrtf(2.0 / 3.0);
        (0..ms * 8).map(move |i| {
            let t = i as f32 / 8000.0;
            let syl = if (i / 8) % 220 < 180 { 1.0 } else { 0.1 };
            let tone = |f: f32| libm::sinf(2.0 * core::f32::consts::PI * f * t);
            syl * a * (tone(220.0) + tone(700.0) + tone(1500.0))
        })
    }

    /// Mains hum: 50 Hz with harmonics at 250 and 300 Hz, at `dbfs`
    /// (RMS), from sample `start`: its blocks of 10 ms (half periods)
    /// differ by about 7 dB in the band-passed energy, one in two.
    fn hum(n: usize, start: usize, dbfs: f32) -> impl Iterator<Item = f32> {
        let a = 32768.0 * libm::powf(10.0, dbfs / 20.0) * libm::sqrtf(2.0 / 1.18);
        (start..start + n).map(move |i| {
            let w = 2.0 * core::f32::consts::PI * 50.0 * i as f32 / 8000.0;
            a * (libm::sinf(w) + 0.3 * libm::sinf(5.0 * w) + 0.3 * libm::sinf(6.0 * w + 1.0))
        })
    }

    #[test]
    fn a_hum_whose_half_periods_differ_does_not_hold_a_voice_on() {
        // Hum at -40 dBFS throughout, and a voice 20 dB over it from 2 s
        // to 3 s.
        let mut x: Vec<f32> = hum(16_000, 0, -40.0).collect();
        let voice: Vec<f32> = syllables(1000, -20.0).collect();
        x.extend(hum(8000, 16_000, -40.0).zip(voice).map(|(h, v)| h + v));
        x.extend(hum(24_000, 24_000, -40.0));
        let d = decisions(&x);
        assert!(d[..200].iter().all(|&v| !v), "voice in the hum before");
        assert!(d[202..300].iter().filter(|&&v| v).count() > 80);
        // The voice ends within its hangover (and the last dip's).
        let last = d.iter().rposition(|&v| v).unwrap();
        assert!(last < 300 + 12, "voice until block {last}");
    }

    #[test]
    fn a_voice_ends_with_its_last_word_on_a_clear_line() {
        // Faint noise at about -70 dBFS, a voice at -20 dBFS for a second.
        let mut seed = 3u32;
        let mut noise = move || {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            f32::from((seed >> 16) as u16 as i16) / 32768.0 * 18.0
        };
        let mut x: Vec<f32> = (0..8000).map(|_| noise()).collect();
        // The last syllable ends at 980 ms (its dip is cut off).
        x.extend(syllables(980, -20.0).map(|v| v + noise()));
        x.extend((0..8000).map(|_| noise()));
        let d = decisions(&x);
        assert!(d[..100].iter().all(|&v| !v));
        let last = d.iter().rposition(|&v| v).unwrap();
        // No hangover after the last block of the word.
        assert_eq!(last, 100 + 97, "{:?}", &d[190..]);
    }

    /// White noise at `dbfs` (RMS).
    fn hiss(n: usize, dbfs: f32, seed: u32) -> Vec<f32> {
        let mut s = seed;
        let a = 32768.0 * libm::powf(10.0, dbfs / 20.0) * libm::sqrtf(3.0);
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                a * ((s as f32 / u32::MAX as f32) * 2.0 - 1.0)
            })
            .collect()
    }

    #[test]
    fn steady_noise_and_a_voice_over_it_are_not_busy() {
        // White noise at -40 dBFS for 12 s, with a voice at -20 dBFS from
        // 2 s to 9 s: neither the hiss nor the dips between syllables are
        // busy noise. (Other voices in the room are: `tests/vad/score.py`
        // checks that on espeak-ng's babble.)
        let mut x = hiss(96_000, -40.0, 5);
        for (x, v) in x[16_000..72_000].iter_mut().zip(syllables(7000, -20.0)) {
            *x += v;
        }
        let mut vad = VoiceDetector::new(SampleRate::Hz8000);
        for frame in x.chunks(160) {
            let frame: Vec<i16> = frame.iter().map(|&v| v as i16).collect();
            vad.push(&frame, |_| ());
            assert!(!vad.busy());
        }
    }
}
