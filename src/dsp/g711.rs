//! G.711: μ-law (PCMU) and A-law (PCMA), as ITU-T Recommendation G.711
//! defines them.
//!
//! Nearly every dialer and PBX carries G.711 at 8 kHz: one byte per sample,
//! RTP payload type 0 (μ-law) or 8 (A-law). This module turns those bytes
//! into the 16-bit linear samples a [`Session`](crate::Session) mixes and
//! back. Encoding and decoding are bit-exact with ITU-T G.191 `g711.c`
//! (`ulaw_compress`, `alaw_compress`, `ulaw_expand`, `alaw_expand`, the
//! reference implementation of G.711) for every input: all 65,536 16-bit
//! samples and all 256 codes of both laws, through the per-sample and the
//! slice functions (the `f32` ones once they have rounded to 16 bits).
//! Every function allocates nothing, never panics and works in the
//! `no_std` core; the slice functions vectorise or run from a table on the
//! default x86-64 target, without target features.
//!
//! ## The two laws, as the standard builds them
//!
//! Both laws cut the magnitude of a sample into 8 segments (chords) of 16
//! equal steps each, every segment's step twice the previous one's. A code
//! byte holds a sign bit (1 for positive), 3 bits of segment and 4 bits of
//! step; the decoded value is the middle of the step's interval.
//!
//! - **μ-law** works on 14-bit samples (±8159). With the magnitude biased
//!   by 33, segment `s` covers biased values `32·2^s ..= 64·2^s - 1` in
//!   steps of `2^(s+1)`; step `q` of segment `s` decodes to
//!   `(2q + 33)·2^s - 33`. The seven bits below the sign are sent inverted,
//!   so that +0 is `0xFF` and −0 is `0x7F`.
//! - **A-law** works on 13-bit samples (±4096). Segments 0 and 1 both have
//!   steps of 2 (0 ..= 31 and 32 ..= 63); from there each segment doubles.
//!   Step `q` decodes to `2q + 1` in segment 0 and `(2q + 33)·2^(s-1)` in
//!   segment `s ≥ 1`. The even bits are sent inverted (XOR `0x55`), so that
//!   the smallest positive value is `0xD5`.
//!
//! On 16-bit samples, a μ-law value counts 4 and an A-law value 8: μ-law
//! decodes to at most ±32124, A-law to at most ±32256.
//!
//! ## Samples on a decision value
//!
//! G.711's decision values (the ends of the intervals) fall on whole 14-bit
//! or 13-bit values, so a 16-bit sample can lie exactly on one. G.191 takes
//! a negative sample as its one's complement (`-x - 1`) before quantising
//! the magnitude, which is the same as quantising `x + ½`: a sample
//! exactly on a decision value goes to the interval above it if it is
//! positive and to the interval below it if it is negative. So encoding is
//! not quite symmetric: μ-law encodes 0 to 3 as +0 and −1 to
//! −4 as −0, and −4·xₙ (for each of its 127 inner decision values xₙ)
//! as the code of −(4·xₙ − 1); A-law the same with 8·xₙ.
//!
//! ## Zero, twice, in μ-law
//!
//! μ-law has two codes for zero: `0xFF` (+0) and `0x7F` (−0). Both decode
//! to 0, and 0 encodes to `0xFF` (−1 to −4 encode to `0x7F`), so decoding
//! then encoding returns every code but `0x7F` unchanged, and `0x7F` as
//! `0xFF`. A-law has no zero code:
//! its smallest values are ±8, and every one of its 256 codes comes back
//! unchanged.
//!
//! ```
//! use barge::g711::Law;
//!
//! let pcm = [0i16, 1000, -1000, 32767];
//! let mut bytes = [0u8; 4];
//! Law::Ulaw.encode(&pcm, &mut bytes)?;
//! assert_eq!(bytes, [0xFF, 0xCE, 0x4E, 0x80]);
//!
//! let mut back = [0i16; 4];
//! Law::Ulaw.decode(&bytes, &mut back)?;
//! assert_eq!(back, [0, 988, -988, 32124]);
//! # Ok::<(), barge::Error>(())
//! ```

use core::fmt;

use crate::error::Error;

/// μ-law: the magnitude bias, in 16-bit units (33 in 14-bit units).
const ULAW_BIAS: u16 = 33 << 2;
/// μ-law: the largest 16-bit magnitude that does not overload the top
/// segment once biased.
const ULAW_CLIP: u16 = 0x7FFF - ULAW_BIAS;

/// One of the two G.711 companding laws.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Law {
    /// μ-law: North America and Japan; RTP payload type 0, "PCMU".
    Ulaw,
    /// A-law: Europe and most of the world; RTP payload type 8, "PCMA".
    Alaw,
}

impl Law {
    /// The static RTP payload type (RFC 3551): 0 for μ-law, 8 for A-law.
    pub const fn payload_type(self) -> u8 {
        match self {
            Law::Ulaw => 0,
            Law::Alaw => 8,
        }
    }

    /// The RTP encoding name: `"PCMU"` or `"PCMA"`.
    pub const fn encoding_name(self) -> &'static str {
        match self {
            Law::Ulaw => "PCMU",
            Law::Alaw => "PCMA",
        }
    }

    /// The code of silence: what [`Law::encode_sample`] gives for 0
    /// (`0xFF` for μ-law, `0xD5` for A-law).
    pub const fn silence(self) -> u8 {
        match self {
            Law::Ulaw => 0xFF,
            Law::Alaw => 0xD5,
        }
    }

    /// Encodes one 16-bit sample, as G.191 does (see
    /// [Samples on a decision value](self#samples-on-a-decision-value)).
    pub const fn encode_sample(self, x: i16) -> u8 {
        match self {
            Law::Ulaw => ulaw_encode(x),
            Law::Alaw => alaw_encode(x),
        }
    }

    /// Decodes one code byte to a 16-bit sample.
    pub const fn decode_sample(self, code: u8) -> i16 {
        match self {
            Law::Ulaw => ulaw_decode(code),
            Law::Alaw => alaw_decode(code),
        }
    }

    /// Encodes `pcm` into `codes`, one byte per sample. Slices of different
    /// lengths are [`Error::LengthMismatch`] and leave `codes` untouched.
    pub fn encode(self, pcm: &[i16], codes: &mut [u8]) -> Result<(), Error> {
        same_length("G.711 code bytes for the samples", codes.len(), pcm.len())?;
        match self {
            Law::Ulaw => encode_i16::<false>(pcm, codes),
            Law::Alaw => encode_i16::<true>(pcm, codes),
        }
        Ok(())
    }

    /// Decodes `codes` into `pcm`, one sample per byte. Slices of different
    /// lengths are [`Error::LengthMismatch`] and leave `pcm` untouched.
    pub fn decode(self, codes: &[u8], pcm: &mut [i16]) -> Result<(), Error> {
        same_length("samples for the G.711 code bytes", pcm.len(), codes.len())?;
        match self {
            Law::Ulaw => decode_i16::<false>(codes, pcm),
            Law::Alaw => decode_i16::<true>(codes, pcm),
        }
        Ok(())
    }

    /// Encodes `f32` samples (full scale ±1.0) into `codes`. Each sample is
    /// first rounded to 16 bits (×32768, clamped; NaN is silence). Slices
    /// of different lengths are [`Error::LengthMismatch`] and leave `codes`
    /// untouched.
    pub fn encode_f32(self, pcm: &[f32], codes: &mut [u8]) -> Result<(), Error> {
        same_length("G.711 code bytes for the samples", codes.len(), pcm.len())?;
        match self {
            Law::Ulaw => encode_f32::<false>(pcm, codes),
            Law::Alaw => encode_f32::<true>(pcm, codes),
        }
        Ok(())
    }

    /// Decodes `codes` into `f32` samples (full scale ±1.0: the 16-bit value
    /// divided by 32768). Slices of different lengths are
    /// [`Error::LengthMismatch`] and leave `pcm` untouched.
    pub fn decode_f32(self, codes: &[u8], pcm: &mut [f32]) -> Result<(), Error> {
        same_length("samples for the G.711 code bytes", pcm.len(), codes.len())?;
        match self {
            Law::Ulaw => decode_f32::<false>(codes, pcm),
            Law::Alaw => decode_f32::<true>(codes, pcm),
        }
        Ok(())
    }
}

impl fmt::Display for Law {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.encoding_name())
    }
}

fn same_length(what: &'static str, given: usize, expected: usize) -> Result<(), Error> {
    if given == expected {
        Ok(())
    } else {
        Err(Error::LengthMismatch {
            what,
            given,
            expected,
        })
    }
}

// ---- Slice kernels ----------------------------------------------------------
//
// The per-sample encoders below find the segment with `leading_zeros`,
// which on the default x86-64 target (no LZCNT) is a `bsr` per sample and
// keeps a loop over them scalar. The lanes here read the segment off the
// exponent of the magnitude converted to `f32` instead (exact: every
// magnitude is below 2^24), without a branch, so that LLVM vectorises the
// slice encoders with SSE2; each loop is compiled also for AVX2, twice as
// wide, and the one the processor runs is chosen at run time (with `std`;
// without it, the target's own features decide). The slice decoders,
// with AVX2, build each sample's value as the bits of an `f32` (the
// segment as its exponent, the step as its mantissa) and read it off the
// mantissa once a constant is added: no per-lane shift, which AVX2 has
// only for 32-bit lanes. Without AVX2 they look each byte up in a table of
// the per-sample decoder's values, built at compile time: in SSE2 the
// look-up measured as fast as the arithmetic for μ-law and faster for
// A-law. All of them give the per-sample functions' codes and values
// for every input (tests/g711_g191.rs checks both against G.191 for all
// 65,536 samples and 256 codes, the f32 slices included).

/// [`Law::encode`]: A-law if `ALAW`, else μ-law. One loop per law, so
/// that each is a straight run of lane arithmetic that vectorises.
#[multiversion::multiversion(targets("x86_64+avx2"))]
fn encode_i16<const ALAW: bool>(pcm: &[i16], codes: &mut [u8]) {
    for (c, &x) in codes.iter_mut().zip(pcm) {
        *c = if ALAW { alaw_lane(x) } else { ulaw_lane(x) };
    }
}

/// [`Law::encode_f32`]: A-law if `ALAW`, else μ-law.
#[multiversion::multiversion(targets("x86_64+avx2"))]
fn encode_f32<const ALAW: bool>(pcm: &[f32], codes: &mut [u8]) {
    for (c, &x) in codes.iter_mut().zip(pcm) {
        let x = f32_to_16_bits(x);
        *c = if ALAW {
            alaw_lane_wide(x)
        } else {
            ulaw_lane_wide(x)
        };
    }
}

/// [`Law::decode`]: A-law if `ALAW`, else μ-law. With AVX2, the lane
/// arithmetic of [`ulaw_value`] and [`alaw_value`], which vectorises;
/// without it, the table of the per-sample decoder's values.
#[multiversion::multiversion(targets("x86_64+avx2"))]
fn decode_i16<const ALAW: bool>(codes: &[u8], pcm: &mut [i16]) {
    if multiversion::target::target_cfg_f!(target_feature = "avx2") {
        for (x, &c) in pcm.iter_mut().zip(codes) {
            *x = if ALAW { alaw_value(c) } else { ulaw_value(c) };
        }
    } else {
        let table = if ALAW { &ALAW_VALUES } else { &ULAW_VALUES };
        for (x, &c) in pcm.iter_mut().zip(codes) {
            *x = table[usize::from(c)];
        }
    }
}

/// [`Law::decode_f32`]: A-law if `ALAW`, else μ-law, as [`decode_i16`].
#[multiversion::multiversion(targets("x86_64+avx2"))]
fn decode_f32<const ALAW: bool>(codes: &[u8], pcm: &mut [f32]) {
    if multiversion::target::target_cfg_f!(target_feature = "avx2") {
        for (x, &c) in pcm.iter_mut().zip(codes) {
            *x = if ALAW {
                alaw_value_f32(c)
            } else {
                ulaw_value_f32(c)
            };
        }
    } else {
        let table = if ALAW { &ALAW_F32_BITS } else { &ULAW_F32_BITS };
        for (x, &c) in pcm.iter_mut().zip(codes) {
            *x = f32::from_bits(table[usize::from(c)]);
        }
    }
}

/// 2^23 as `f32`: a whole number below 2^23 added to it is left in the
/// low bits of the sum's mantissa.
const TWO_23: f32 = 8_388_608.0;

/// The bits of an `f32` of exponent `127 + 7 + s` and mantissa
/// `(2q + 1)/32`, for `sq = s << 4 | q` (`s` and `q` below 8 and 16): the
/// whole number `2^(s + 7)·(1 + (2q + 1)/32) = (2q + 33)·2^(s + 2)`,
/// which is a step's value in both laws before the bias or the linear
/// segment are taken into account.
const SEGMENT_STEP_BASE: u32 = (127 + 7) << 23 | 1 << 18;

/// μ-law, one lane: [`ulaw_decode`] without a shift by the segment.
#[inline(always)]
fn ulaw_value(code: u8) -> i16 {
    // The code's 7 low bits inverted are `s << 4 | q` (subtracted from
    // all ones, where they go, they are inverted); as an f32, the biased
    // magnitude (2q + 33)·2^(s + 2).
    const SQ: u32 = 0x7F << 19;
    let biased = f32::from_bits((SEGMENT_STEP_BASE + SQ) - (u32::from(code) << 19 & SQ));
    // Less the bias, read off the mantissa (exact: below 2^15).
    let mag = (biased + (TWO_23 - f32::from(ULAW_BIAS))).to_bits() as i16;
    // -1 for a positive sample (sign bit 1), 0 for a negative one; then
    // `positive - (mag ^ positive)` is `mag` or `-mag`.
    let positive = code as i8 as i16 >> 7;
    positive - (mag ^ positive)
}

/// A-law, one lane: [`alaw_decode`] without a shift by the segment.
#[inline(always)]
fn alaw_value(code: u8) -> i16 {
    let bits = code ^ 0x55;
    let sq = u32::from(bits & 0x7F);
    // Segments s ≥ 1 as in μ-law, without the bias: (2q + 33)·2^(s + 2).
    let above = f32::from_bits(SEGMENT_STEP_BASE + (sq << 19));
    let mag = (alaw_segment_0(above, 256.0) + TWO_23).to_bits() as i16;
    let positive = bits as i8 as i16 >> 7;
    positive - (mag ^ positive)
}

/// μ-law, one lane: [`ulaw_value`] divided by 32768, worked out in `f32`
/// (every step exact), without the 16-bit value.
#[inline(always)]
fn ulaw_value_f32(code: u8) -> f32 {
    const SQ: u32 = 0x7F << 19;
    let c = u32::from(code);
    // As in `ulaw_value`, over 2^15 (the exponent less 15): the biased
    // magnitude, less the bias.
    let biased = f32::from_bits((SEGMENT_STEP_BASE - (15 << 23) + SQ) - (c << 19 & SQ));
    let mag = biased - f32::from(ULAW_BIAS) / 32768.0;
    let signed = f32::from_bits(mag.to_bits() ^ ((!c & 0x80) << 24));
    // −0 (from the code 0x7F) is +0, as 0 / 32768 is.
    signed + 0.0
}

/// A-law, one lane: [`alaw_value`] divided by 32768, worked out in `f32`.
#[inline(always)]
fn alaw_value_f32(code: u8) -> f32 {
    let c = u32::from(code);
    // As in `alaw_value`, over 2^15 (the exponent less 15).
    let above = f32::from_bits(SEGMENT_STEP_BASE - (15 << 23) + ((c ^ 0x55) << 19 & 0x7F << 19));
    let mag = alaw_segment_0(above, 256.0 / 32768.0);
    // The code's sign bit is the sample's, 1 for positive.
    f32::from_bits((-mag).to_bits() ^ (c << 24 & 1 << 31))
}

/// A-law: a sample's magnitude from `above`, its step's value as if
/// segment 0 were like the others, `(2q + 33)·2^(s + 2)`, in units of which
/// 256 is `two_56`. That is the value in segments s ≥ 1; in segment 0 the
/// value is the linear (2q + 1)·8, twice `above` less 256. Twice `above`
/// less 256 is below `above` in segment 0 and above it in the others
/// (where `above` is at least 264): the value is the smaller of the two,
/// with no look at the segment.
#[inline(always)]
fn alaw_segment_0(above: f32, two_56: f32) -> f32 {
    let linear = above + above - two_56;
    // Written as the comparison, which is `minps`: `f32::min` would also
    // look for NaN, which cannot come here.
    if linear < above {
        linear
    } else {
        above
    }
}

/// The exponent and the top mantissa bits of a whole number `n < 2^15` as
/// `f32` (exact): `(127 + ⌊log2 n⌋) << 7 | the 7 bits of n below its
/// highest set bit` (for `n > 0`), in 16 bits.
#[inline(always)]
fn exponent_and_7_bits(n: u16) -> u16 {
    (f32::from(n).to_bits() >> 16) as u16
}

/// μ-law, one lane: [`ulaw_encode`] without `leading_zeros` or a branch.
#[inline(always)]
fn ulaw_lane(x: i16) -> u8 {
    let negative = x >> 15; // -1 or 0
                            // G.191's magnitude (one's complement of a negative sample), clipped,
                            // biased: 132 ..= 32767, so its highest bit is 7 + the segment.
    let biased = ((x ^ negative) as u16).min(ULAW_CLIP) + ULAW_BIAS;
    // (127 + 7 + segment) << 4 | step, of which the low 7 bits are
    // (6 + segment) << 4 | step: the code's 7 bits less 0x60, wrapping.
    let seg_step = ((exponent_and_7_bits(biased) >> 3) as u8).wrapping_sub(0x60);
    (!negative as u8 & 0x80) | (0x7F ^ seg_step)
}

/// A-law, one lane: [`alaw_encode`] without `leading_zeros` or a branch.
#[inline(always)]
fn alaw_lane(x: i16) -> u8 {
    let negative = x >> 15;
    // G.191's 12-bit magnitude, 0 ..= 2047, in steps of the first segment.
    // Segment s ≥ 1 holds 16·2^(s-1) ..< 32·2^(s-1): highest bit s + 3.
    // Segment 0 (below 16) is linear: its code is the magnitude itself.
    let m = ((x ^ negative) as u16) >> 4;
    // (127 + 3 + s) << 4 | step, of which the low 8 bits are the code's
    // 7 bits plus 0x20.
    let above = ((exponent_and_7_bits(m) >> 3) as u8).wrapping_sub(0x20);
    let seg_step = if m < 16 { m as u8 } else { above };
    ((!negative as u8 & 0x80) | seg_step) ^ 0x55
}

/// μ-law, one lane of 32 bits: as [`ulaw_lane`], for a sample in the
/// 16-bit range held in an `i32`. The `f32` slices keep their samples in
/// 32-bit lanes from the load to the code; narrowing each to 16 bits and
/// widening it again would cost more than the encoding.
#[inline(always)]
fn ulaw_lane_wide(x: i32) -> u8 {
    let negative = x >> 31;
    let biased = (x ^ negative).min(i32::from(ULAW_CLIP)) + i32::from(ULAW_BIAS);
    // Kept in 32 bits to the end, so that the loop narrows once: the
    // exponent and top 4 mantissa bits, (127 + 7 + segment) << 4 | step.
    let seg_step = ((biased as f32).to_bits() >> 19) as i32 - ((127 + 7) << 4);
    ((!negative & 0x80) | (0x7F ^ seg_step)) as u8
}

/// A-law, one lane of 32 bits: as [`alaw_lane`], for a sample in the
/// 16-bit range held in an `i32`.
#[inline(always)]
fn alaw_lane_wide(x: i32) -> u8 {
    let negative = x >> 31;
    let m = (x ^ negative) >> 4;
    let above = ((m as f32).to_bits() >> 19) as i32 - ((127 + 3) << 4);
    let seg_step = if m < 16 { m } else { above };
    (((!negative & 0x80) | seg_step) ^ 0x55) as u8
}

/// Every μ-law code's value, from [`ulaw_decode`] at compile time.
static ULAW_VALUES: [i16; 256] = values(Law::Ulaw);
/// Every A-law code's value, from [`alaw_decode`] at compile time.
static ALAW_VALUES: [i16; 256] = values(Law::Alaw);

/// Every μ-law code's value as `f32` (divided by 32768), as bits: built at
/// compile time without floating point, which `const fn` cannot use on the
/// crate's minimum Rust version.
static ULAW_F32_BITS: [u32; 256] = f32_bits(&ULAW_VALUES);
/// Every A-law code's value as `f32` (divided by 32768), as bits.
static ALAW_F32_BITS: [u32; 256] = f32_bits(&ALAW_VALUES);

/// The bits of `v / 32768` as `f32`, for each 16-bit `v`: exact, since a
/// 16-bit magnitude fits the 24-bit significand.
const fn f32_bits(values: &[i16; 256]) -> [u32; 256] {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let v = values[i];
        if v != 0 {
            let sign = if v < 0 { 1u32 << 31 } else { 0 };
            let a = v.unsigned_abs() as u32;
            // a = 1.m × 2^e; a / 2^15 = 1.m × 2^(e - 15).
            let e = 31 - a.leading_zeros();
            let exponent = (e + 127 - 15) << 23;
            let mantissa = (a << (23 - e)) & 0x007F_FFFF;
            t[i] = sign | exponent | mantissa;
        }
        i += 1;
    }
    t
}

/// The value of every code byte of `law`.
const fn values(law: Law) -> [i16; 256] {
    let mut t = [0i16; 256];
    let mut c = 0;
    while c < 256 {
        t[c] = law.decode_sample(c as u8);
        c += 1;
    }
    t
}

/// An `f32` sample (full scale ±1.0) as 16 bits: ×32768, rounded, clamped;
/// NaN is 0.
#[inline]
pub(crate) fn f32_to_i16(x: f32) -> i16 {
    f32_to_16_bits(x) as i16
}

/// [`f32_to_i16`], left in an `i32` (`-32768 ..= 32767`).
#[inline(always)]
fn f32_to_16_bits(x: f32) -> i32 {
    // Written without branches and without a float-to-integer cast (whose
    // saturation keeps a loop scalar), so that a loop over it vectorises.
    // The clamp keeps NaN, which is made 0 at the end.
    let y = (x * 32768.0).clamp(-32768.0, 32767.0);
    let a = y.abs();
    // Adding 2^23 rounds `a` (at most 2^15) to the nearest whole number,
    // halves to even, in one correctly rounded step (adding 0.5 and
    // truncating would not: just below 0.5, `a + 0.5` rounds up to 1.0),
    // and leaves that number in the low mantissa bits.
    let sum = a + TWO_23;
    let nearest = sum.to_bits() as i32 - TWO_23.to_bits() as i32;
    // A half rounded down to even goes up instead: away from zero. The
    // difference is exact (both are multiples of `a`'s last place).
    let nearest = nearest + i32::from(a - (sum - TWO_23) == 0.5);
    let signed = if y < 0.0 { -nearest } else { nearest };
    if y.is_nan() {
        0
    } else {
        signed
    }
}

/// The segment of a biased μ-law magnitude (`128 ..= 32767` in 16-bit
/// units): the position of its highest set bit, less 7.
const fn ulaw_segment(biased: u16) -> u8 {
    (15 - biased.leading_zeros() as u8) - 7
}

/// The magnitude G.191 quantises: a sample itself if it is not negative,
/// its one's complement `-x - 1` if it is (`0 ..= 32767` either way). This
/// is the magnitude of `x + ½` rounded down, so that a negative sample on
/// a decision value falls in the interval below it, as a positive one
/// falls in the interval above.
const fn magnitude(x: i16) -> u16 {
    (if x < 0 { !x } else { x }) as u16
}

/// Encodes a 16-bit sample as a μ-law byte, as ITU-T G.191 does.
///
/// The sample is taken as `x + ½` on 14 bits: the magnitude of a sample
/// that is not negative, divided by 4 and rounded down, or that of a
/// negative sample's one's complement (`-x - 1`). So 0 to 3 encode as +0
/// (`0xFF`), −1 to −4 as −0 (`0x7F`); magnitudes beyond the top decision
/// value (32635) encode as the largest code.
pub const fn ulaw_encode(x: i16) -> u8 {
    let sign: u8 = if x < 0 { 0x00 } else { 0x80 };
    let mag = magnitude(x);
    let mag = if mag > ULAW_CLIP { ULAW_CLIP } else { mag };
    let biased = mag + ULAW_BIAS;
    let seg = ulaw_segment(biased);
    let step = ((biased >> (seg + 3)) & 0x0F) as u8;
    sign | (!((seg << 4) | step) & 0x7F)
}

/// Decodes a μ-law byte to a 16-bit sample; `0xFF` and `0x7F` are both 0.
pub const fn ulaw_decode(code: u8) -> i16 {
    let bits = !code;
    let seg = (bits >> 4) & 0x07;
    let step = (bits & 0x0F) as i16;
    // In 14-bit units: (2q + 33)·2^s - 33; times 4 for 16 bits.
    let mag = (((2 * step + 33) << seg) - 33) << 2;
    if code & 0x80 != 0 {
        mag
    } else {
        -mag
    }
}

/// Encodes a 16-bit sample as an A-law byte, as ITU-T G.191 does.
///
/// The sample is taken as `x + ½` on 13 bits: the magnitude of a sample
/// that is not negative, divided by 8 and rounded down, or that of a
/// negative sample's one's complement (`-x - 1`). So 0 to 15 encode as
/// `0xD5` and −1 to −16 as `0x55`; magnitudes beyond the top decision value
/// encode as the largest code.
pub const fn alaw_encode(x: i16) -> u8 {
    let sign: u8 = if x < 0 { 0x00 } else { 0x80 };
    let mag = magnitude(x) >> 3;
    let mag = if mag > 4095 { 4095 } else { mag };
    let (seg, step) = if mag < 32 {
        (0u8, (mag >> 1) as u8)
    } else {
        // mag in 32·2^(s-1) ..= 64·2^(s-1) - 1: highest bit 5 + s - 1.
        let seg = (15 - mag.leading_zeros() as u8) - 4;
        (seg, ((mag >> seg) & 0x0F) as u8)
    };
    (sign | (seg << 4) | step) ^ 0x55
}

/// Decodes an A-law byte to a 16-bit sample.
pub const fn alaw_decode(code: u8) -> i16 {
    let bits = code ^ 0x55;
    let seg = (bits >> 4) & 0x07;
    let step = (bits & 0x0F) as i16;
    // In 13-bit units: 2q + 1 in segment 0, (2q + 33)·2^(s-1) above; times
    // 8 for 16 bits.
    let mag = if seg == 0 {
        2 * step + 1
    } else {
        (2 * step + 33) << (seg - 1)
    } << 3;
    if bits & 0x80 != 0 {
        mag
    } else {
        -mag
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use alloc::vec;
    use alloc::vec::Vec;

    /// The decision values that end each μ-law segment, in 14-bit units,
    /// from the standard's table: the last is the overload point.
    const ULAW_SEGMENT_ENDS: [i32; 8] = [31, 95, 223, 479, 991, 2015, 4063, 8159];
    /// The same for A-law, in 13-bit units.
    const ALAW_SEGMENT_ENDS: [i32; 8] = [32, 64, 128, 256, 512, 1024, 2048, 4096];

    #[test]
    fn ulaw_every_code_but_negative_zero_survives_decode_then_encode() {
        for code in 0..=255u8 {
            let back = ulaw_encode(ulaw_decode(code));
            if code == 0x7F {
                assert_eq!(ulaw_decode(code), 0);
                assert_eq!(back, 0xFF, "-0 re-encodes as +0");
            } else {
                assert_eq!(back, code, "code {code:#04x}");
            }
        }
        assert_eq!(ulaw_decode(0xFF), 0);
        assert_eq!(ulaw_encode(0), 0xFF);
    }

    #[test]
    fn alaw_every_code_survives_decode_then_encode() {
        for code in 0..=255u8 {
            assert_eq!(alaw_encode(alaw_decode(code)), code, "code {code:#04x}");
            assert_ne!(alaw_decode(code), 0, "A-law has no zero code");
        }
        assert_eq!(alaw_encode(0), 0xD5);
        assert_eq!(alaw_decode(0xD5), 8);
        assert_eq!(alaw_decode(0x55), -8);
    }

    #[test]
    fn ulaw_segments_end_at_the_standards_decision_values() {
        for (seg, &end) in ULAW_SEGMENT_ENDS.iter().enumerate() {
            let seg = seg as u8;
            // The last 16-bit value below the decision value is the top
            // step of the segment; the decision value itself opens the
            // next segment (or overloads into the top code).
            let below = (end * 4 - 1) as i16;
            let code = ulaw_encode(below);
            assert_eq!(!code & 0x7F, (seg << 4) | 0x0F, "below {end}");
            assert_eq!(code & 0x80, 0x80);
            if seg < 7 {
                let at = (end * 4) as i16;
                assert_eq!(!ulaw_encode(at) & 0x7F, (seg + 1) << 4, "at {end}");
                // A negative sample counts as x + ½ (G.191's one's
                // complement): on the decision value it stays in the
                // segment below, one further out it mirrors the positive.
                assert_eq!(ulaw_encode(-at), ulaw_encode(below) & 0x7F, "at -{end}");
                assert_eq!(ulaw_encode(-at - 1), ulaw_encode(at) & 0x7F);
            } else {
                assert_eq!(ulaw_encode(i16::MAX), 0x80);
                assert_eq!(ulaw_encode(i16::MIN), 0x00);
            }
        }
        // The standard's output values at each segment's first step.
        let first: [i16; 8] = [0, 33, 99, 231, 495, 1023, 2079, 4191];
        for (seg, &y) in first.iter().enumerate() {
            let code = 0x80 | !((seg as u8) << 4) & 0x7F;
            assert_eq!(ulaw_decode(code), y * 4, "segment {seg}");
        }
        assert_eq!(ulaw_decode(0x80), 8031 * 4);
        assert_eq!(ulaw_decode(0x00), -8031 * 4);
    }

    #[test]
    fn alaw_segments_end_at_the_standards_decision_values() {
        for (seg, &end) in ALAW_SEGMENT_ENDS.iter().enumerate() {
            let seg = seg as u8;
            let below = (end * 8 - 1) as i16;
            let bits = alaw_encode(below) ^ 0x55;
            assert_eq!(bits, 0x80 | (seg << 4) | 0x0F, "below {end}");
            if seg < 7 {
                let at = (end * 8) as i16;
                assert_eq!(alaw_encode(at) ^ 0x55, 0x80 | ((seg + 1) << 4), "at {end}");
                assert_eq!(alaw_encode(-at), alaw_encode(below) & 0x7F, "at -{end}");
                assert_eq!(alaw_encode(-at - 1), alaw_encode(at) & 0x7F);
            } else {
                assert_eq!(alaw_encode(i16::MAX) ^ 0x55, 0xFF);
                assert_eq!(alaw_encode(i16::MIN) ^ 0x55, 0x7F);
            }
        }
        let first: [i16; 8] = [1, 33, 66, 132, 264, 528, 1056, 2112];
        for (seg, &y) in first.iter().enumerate() {
            let code = (0x80 | (seg as u8) << 4) ^ 0x55;
            assert_eq!(alaw_decode(code), y * 8, "segment {seg}");
        }
        assert_eq!(alaw_decode(0xFF ^ 0x55), 4032 * 8);
    }

    #[test]
    fn quantizing_is_monotonic_and_within_half_a_step() {
        for law in [Law::Ulaw, Law::Alaw] {
            let mut last = i16::MIN;
            for x in i16::MIN..=i16::MAX {
                let y = law.decode_sample(law.encode_sample(x));
                assert!(y >= last, "{law}: {x} decodes to {y} below {last}");
                last = y;
                // Half the step of the segment y lies in, plus the
                // truncation to 14 or 13 bits, bounds the error inside the
                // range; beyond it the error grows with the overload.
                let code = law.encode_sample(x);
                let seg = match law {
                    Law::Ulaw => (!code >> 4) & 7,
                    Law::Alaw => ((code ^ 0x55) >> 4) & 7,
                };
                let half_step: i32 = match law {
                    Law::Ulaw => 4 << seg,
                    Law::Alaw => 4 << seg.max(1),
                };
                let overload = match law {
                    Law::Ulaw => 8159 * 4,
                    Law::Alaw => 4096 * 8,
                };
                if (x as i32).abs() < overload {
                    let err = (x as i32 - y as i32).abs();
                    assert!(err <= half_step, "{law}: {x} -> {y}, error {err}");
                }
            }
        }
    }

    #[test]
    fn slices_convert_and_lengths_are_checked() {
        let pcm = [0i16, 100, -100, 5000, -32768];
        for law in [Law::Ulaw, Law::Alaw] {
            let mut codes = [0u8; 5];
            law.encode(&pcm, &mut codes).unwrap();
            let mut back = [0i16; 5];
            law.decode(&codes, &mut back).unwrap();
            for (i, &c) in codes.iter().enumerate() {
                assert_eq!(back[i], law.decode_sample(c));
            }
            let mut short = [7u8; 4];
            assert_eq!(
                law.encode(&pcm, &mut short),
                Err(Error::LengthMismatch {
                    what: "G.711 code bytes for the samples",
                    given: 4,
                    expected: 5
                })
            );
            assert_eq!(short, [7; 4], "nothing written on error");
            assert!(law.decode(&codes, &mut [0i16; 6]).is_err());

            let f = [0.0f32, 0.5, -0.5, 2.0, f32::NAN];
            let mut codes = [0u8; 5];
            law.encode_f32(&f, &mut codes).unwrap();
            assert_eq!(codes[0], law.silence());
            assert_eq!(codes[3], law.encode_sample(i16::MAX));
            assert_eq!(codes[4], law.silence(), "NaN is silence");
            let mut g = [0f32; 5];
            law.decode_f32(&codes, &mut g).unwrap();
            assert!((g[1] - 0.5).abs() < 0.02 && (g[2] + 0.5).abs() < 0.02);
        }
        assert_eq!((Law::Ulaw.payload_type(), Law::Alaw.payload_type()), (0, 8));
    }

    /// Lengths that cut a run of samples into whole vectors of every width
    /// and into tails of every kind.
    const LENGTHS: [usize; 9] = [1, 7, 15, 17, 31, 33, 160, 161, 65536];

    /// Every 16-bit sample through the slice encoders, in slices of each
    /// length, against the per-sample encoders.
    #[test]
    fn slice_encoders_give_the_per_sample_codes_for_every_sample() {
        let all: Vec<i16> = (i16::MIN..=i16::MAX).collect();
        for law in [Law::Ulaw, Law::Alaw] {
            let want: Vec<u8> = all.iter().map(|&x| law.encode_sample(x)).collect();
            for len in LENGTHS {
                let mut got = vec![0u8; all.len()];
                for (pcm, codes) in all.chunks(len).zip(got.chunks_mut(len)) {
                    law.encode(pcm, codes).unwrap();
                }
                if let Some(i) = (0..all.len()).find(|&i| got[i] != want[i]) {
                    panic!(
                        "{law}, slices of {len}: {} gave {:#04x}, not {:#04x}",
                        all[i], got[i], want[i]
                    );
                }
            }
        }
    }

    /// Every code, at every position in a vector, through the slice
    /// decoders, in slices of each length, against the per-sample decoders.
    #[test]
    fn slice_decoders_give_the_per_sample_values_for_every_code() {
        // 257 does not divide a vector's width: each code comes at every
        // lane.
        let all: Vec<u8> = (0..257 * 64).map(|i| (i % 257) as u8).collect();
        for law in [Law::Ulaw, Law::Alaw] {
            let want: Vec<i16> = all.iter().map(|&c| law.decode_sample(c)).collect();
            for len in LENGTHS {
                let mut got = vec![0i16; all.len()];
                for (codes, pcm) in all.chunks(len).zip(got.chunks_mut(len)) {
                    law.decode(codes, pcm).unwrap();
                }
                if let Some(i) = (0..all.len()).find(|&i| got[i] != want[i]) {
                    panic!(
                        "{law}, slices of {len}: {:#04x} gave {}, not {}",
                        all[i], got[i], want[i]
                    );
                }
            }
        }
    }

    /// The lanes of the slice decoders, whichever loop the processor runs,
    /// against the per-sample decoders for every code.
    #[test]
    fn decoder_lanes_give_the_per_sample_values_for_every_code() {
        for code in 0..=255u8 {
            let (u, a) = (ulaw_decode(code), alaw_decode(code));
            assert_eq!(ulaw_value(code), u, "μ-law {code:#04x}");
            assert_eq!(alaw_value(code), a, "A-law {code:#04x}");
            let (u, a) = (f32::from(u) / 32768.0, f32::from(a) / 32768.0);
            assert_eq!(
                ulaw_value_f32(code).to_bits(),
                u.to_bits(),
                "μ-law {code:#04x}"
            );
            assert_eq!(
                alaw_value_f32(code).to_bits(),
                a.to_bits(),
                "A-law {code:#04x}"
            );
        }
    }

    /// The 16-bit sample an `f32` stands for, worked out in `f64`: ×32768,
    /// rounded half away from zero, clamped; NaN is 0.
    fn f32_reference(x: f32) -> i16 {
        if x.is_nan() {
            0
        } else {
            libm::round(f64::from(x) * 32768.0).clamp(-32768.0, 32767.0) as i16
        }
    }

    /// `f32` samples to test: every 16-bit value's, the halves between them
    /// and the floats on either side of each, and a sweep over every sign,
    /// exponent and mantissa (NaNs, infinities and subnormals included).
    fn f32_samples() -> Vec<f32> {
        let mut v = Vec::new();
        for n in -32769..=32768 {
            for x in [n as f32, n as f32 + 0.5] {
                let x = x / 32768.0;
                v.push(x);
                v.push(f32::from_bits(x.to_bits().wrapping_sub(1)));
                v.push(f32::from_bits(x.to_bits().wrapping_add(1)));
            }
        }
        v.extend((0..=u32::MAX / 4099).map(|i| f32::from_bits(i * 4099)));
        v.extend([0.0, -0.0, 1.0, -1.0, 2.0, -2.0, f32::MAX, f32::MIN]);
        v.extend([f32::INFINITY, f32::NEG_INFINITY, f32::NAN, -f32::NAN]);
        v.extend([f32::MIN_POSITIVE, -f32::MIN_POSITIVE, 1e-45, -1e-45]);
        v
    }

    #[test]
    fn f32_reference_agrees_with_f32_to_i16() {
        for x in f32_samples() {
            assert_eq!(
                f32_to_i16(x),
                f32_reference(x),
                "{x:e} ({:#010x})",
                x.to_bits()
            );
        }
    }

    /// The `f32` slice encoders against the per-sample encoders of the
    /// `f64` reference's 16-bit samples, in slices of each length.
    #[test]
    fn f32_slice_encoders_give_the_per_sample_codes() {
        let all = f32_samples();
        for law in [Law::Ulaw, Law::Alaw] {
            let want: Vec<u8> = all
                .iter()
                .map(|&x| law.encode_sample(f32_reference(x)))
                .collect();
            for len in LENGTHS {
                let mut got = vec![0u8; all.len()];
                for (pcm, codes) in all.chunks(len).zip(got.chunks_mut(len)) {
                    law.encode_f32(pcm, codes).unwrap();
                }
                if let Some(i) = (0..all.len()).find(|&i| got[i] != want[i]) {
                    let x = all[i];
                    panic!(
                        "{law}, slices of {len}: {x:e} gave {:#04x}, not {:#04x}",
                        got[i], want[i]
                    );
                }
            }
        }
    }

    /// The `f32` slice decoders give each code's 16-bit value divided by
    /// 32768, to the bit (+0.0 for zero), in slices of each length.
    #[test]
    fn f32_slice_decoders_give_the_per_sample_values_for_every_code() {
        let all: Vec<u8> = (0..257 * 64).map(|i| (i % 257) as u8).collect();
        for law in [Law::Ulaw, Law::Alaw] {
            let want: Vec<u32> = all
                .iter()
                .map(|&c| (f32::from(law.decode_sample(c)) / 32768.0).to_bits())
                .collect();
            for len in LENGTHS {
                let mut got = vec![0f32; all.len()];
                for (codes, pcm) in all.chunks(len).zip(got.chunks_mut(len)) {
                    law.decode_f32(codes, pcm).unwrap();
                }
                if let Some(i) = (0..all.len()).find(|&i| got[i].to_bits() != want[i]) {
                    panic!(
                        "{law}, slices of {len}: {:#04x} gave {:e}, not {:e}",
                        all[i],
                        got[i],
                        f32::from_bits(want[i])
                    );
                }
            }
        }
    }

    #[test]
    fn f32_rounds_to_nearest_and_clamps() {
        assert_eq!(f32_to_i16(1.0), i16::MAX);
        assert_eq!(f32_to_i16(-1.0), i16::MIN);
        assert_eq!(f32_to_i16(-1.5), i16::MIN);
        assert_eq!(f32_to_i16(1.4 / 32768.0), 1);
        assert_eq!(f32_to_i16(-1.6 / 32768.0), -2);
        assert_eq!(f32_to_i16(f32::INFINITY), i16::MAX);
        assert_eq!(f32_to_i16(f32::NEG_INFINITY), i16::MIN);
        assert_eq!(f32_to_i16(0.5 / 32768.0), 1);
        assert_eq!(f32_to_i16(-0.5 / 32768.0), -1);
        assert_eq!(f32_to_i16(32766.5 / 32768.0), i16::MAX);
        assert_eq!(f32_to_i16(-32767.5 / 32768.0), i16::MIN);
    }

    /// Found by the `g711` fuzz target: the largest `f32` below half a
    /// 16-bit step (0.49999997 × 2^-15) is nearer 0 than ±1, but adding 0.5
    /// to it rounds up to 1.0 in `f32`; its negative then encoded as μ-law
    /// −0 (`0x7F`) and A-law −8 (`0x55`) instead of silence.
    #[test]
    fn f32_just_below_half_a_step_rounds_to_zero() {
        let below_half = f32::from_bits((0.5f32 / 32768.0).to_bits() - 1);
        assert!(below_half < 0.5 / 32768.0);
        assert_eq!(f32_to_i16(below_half), 0);
        assert_eq!(f32_to_i16(-below_half), 0);
        for law in [Law::Ulaw, Law::Alaw] {
            let mut codes = [0u8; 2];
            law.encode_f32(&[below_half, -below_half], &mut codes)
                .unwrap();
            assert_eq!(codes, [law.silence(); 2], "{law}");
        }
        // The same just below every other half: 1.4999999 rounds to 1.
        for n in [1i16, 2, 100, 32765, -1, -2, -32767] {
            let half = (f64::from(n) + 0.5 * f64::from(n.signum())) as f32 / 32768.0;
            let below = f32::from_bits(half.to_bits() - 1);
            assert_eq!(f32_to_i16(below), n, "just inside {half:e}");
            assert_eq!(f32_to_i16(half), n + n.signum(), "at {half:e}");
        }
    }
}
