//! The mixing kernel: pure functions over slices of samples.
//!
//! Given each talker's frame and the gain at which one listener hears it, the
//! kernel writes that listener's frame. It knows nothing of roles or
//! sessions, allocates nothing and never panics.
//!
//! Sums are accumulated wide (`i32` for `i16`, `f32` for `f32`) in a small
//! block on the stack and saturated once, at the end: a listener who hears
//! two loud talkers that cancel hears the true sum, not a clipped
//! intermediate. A unity route adds the sample unchanged, so a listener who
//! hears one talker at unity hears it bit for bit.
//!
//! ## Arithmetic, exactly
//!
//! For `i16`, a route gain `g` (linear) becomes the fixed-point factor
//! `q = (g * 16384.0 + 0.5) as i32` (unity is exactly 16384). Each talker adds
//! `(x as i32 * q + 8192) >> 14` to the listener's `i32` sum (a unity route
//! adds `x` itself), and the sum is clamped to `-32768..=32767` once. During a
//! ramp of `len` samples from `q0` to `q1`, sample `i` of the frame (from 0)
//! uses `q0 + (q1 - q0) * (i + 1) / len` (integer division) while
//! `i + 1 < len`, and `q1` from then on.
//!
//! For `f32`, each talker adds `x * g` (or `x` at unity) to an `f32` sum in
//! the order the talkers are given (a talker at gain 0 adds nothing, not
//! even a non-finite sample), and the sum is clamped to `-1.0..=1.0`
//! (NaN, which only overflowing inputs can produce, becomes 0.0). During a
//! ramp, sample `i` uses `g0 + ((g1 - g0) / len as f32) * (i + 1) as f32`
//! while `i + 1 < len`, then `g1`.
//!
//! ```
//! use barge::kernel::{mix, Talker, RouteGain};
//! let customer = [1000i16; 160];
//! let supervisor = [30000i16; 160];
//! let mut agent_hears = [0i16; 160];
//! let clipped = mix(&mut agent_hears, &[
//!     Talker::new(&customer, RouteGain::UNITY),
//!     Talker::new(&supervisor, RouteGain::UNITY),
//! ])?;
//! assert_eq!(agent_hears[0], 31000);
//! assert_eq!(clipped, 0);
//! # Ok::<(), barge::Error>(())
//! ```
//!
//! ## Speed
//!
//! Most ticks of most calls are plain: each listener hears one or two
//! talkers at unity. Those take one pass with no accumulator (for `i16`, the
//! saturating add of two samples is exactly their `i32` sum clamped once),
//! and a whole three-party call takes a single pass that reads each input
//! once and writes each output once. A tick in which routes ramp takes the
//! general path only up to the end of the longest ramp, and in a three-party
//! call only for the listeners whose routes ramp (the single pass mixes the
//! rest at the target gains); a head in which one talker ramps, beside at
//! most one heard steadily at unity (a route that opens, a volume that
//! changes), is itself one pass with no accumulator. Every fast path is
//! property-tested to give the general path's result bit for bit.
//!
//! The loops are plain safe Rust shaped so that the compiler vectorizes them
//! for the baseline x86-64 target (SSE2): users build with no `target-cpu`
//! flags. There is no runtime CPU dispatch: it would need `unsafe` code or a
//! dispatching dependency, and measured with `-C target-cpu=native` (AVX2)
//! the whole session tick is only about a fifth faster, because half of it
//! is moving memory. The benchmarks in `benches/mix.rs` measure the result
//! beside a `memcpy` of the same frames; the README's "Performance" section
//! has the figures.

use crate::error::Error;
use crate::gain::Gain;

/// The most talkers one listener can hear in one call to [`mix`] or
/// [`mix_matrix`]: enough for any conference, and few enough that the `i16`
/// sum of as many full-scale talkers at +12 dB cannot overflow its `i32`
/// accumulator. More is [`Error::MatrixShape`].
pub const MAX_TALKERS: usize = 16_384;

/// Samples per block of the stack accumulator (1 KiB). Small enough to stay
/// in L1, large enough that a narrowband frame is one block and the
/// per-talker dispatch is paid once per frame.
const BLOCK: usize = 256;

/// Fractional bits of the fixed-point gains used for `i16` samples.
const Q: u32 = 14;
/// Unity in that fixed-point format.
const Q_ONE: i32 = 1 << Q;
/// 1.5 × 2^52: added to an `f64` of magnitude below 2^51, leaves the
/// nearest integer in the low bits of the sum (in two's complement).
const ROUND: f64 = 6_755_399_441_055_744.0;

/// A sample type the kernel mixes: `i16` (telephony "slin", full scale
/// ±32767) or `f32` (full scale ±1.0). The trait is sealed.
pub trait Sample:
    private::Kernel + Copy + Default + PartialEq + core::fmt::Debug + Send + Sync + 'static
{
    /// The sample value of silence.
    const SILENCE: Self;
}

impl Sample for i16 {
    const SILENCE: i16 = 0;
}

impl Sample for f32 {
    const SILENCE: f32 = 0.0;
}

pub(crate) mod private {
    /// The per-sample-type kernel loops. Not part of the public API.
    pub trait Kernel: Sized {
        type Acc: Copy + Default;
        type KGain: Copy + PartialEq + core::fmt::Debug + Send + Sync + 'static;
        fn kgain(linear: f32) -> Self::KGain;
        fn is_unity(g: Self::KGain) -> bool;
        fn is_zero(g: Self::KGain) -> bool;
        fn add(acc: &mut [Self::Acc], x: &[Self]);
        fn add_scaled(acc: &mut [Self::Acc], x: &[Self], g: Self::KGain);
        /// `first` is the index in the frame of `x[0]`; the gain of frame
        /// sample `i < len` is `from + (to - from) * (i + 1) / len`.
        fn add_ramp(
            acc: &mut [Self::Acc],
            x: &[Self],
            from: Self::KGain,
            to: Self::KGain,
            first: usize,
            len: usize,
        );
        /// What `finish` gives for `x` added with `add_ramp` (from the
        /// frame's start, over `len` samples, `from != to`) to silence,
        /// after `steady` (if any) added at unity, in one pass and without
        /// the accumulator. `len` is at most `2^30`, and so is `out.len()`.
        fn mix_ramp(
            out: &mut [Self],
            steady: Option<&[Self]>,
            x: &[Self],
            from: Self::KGain,
            to: Self::KGain,
            len: usize,
        ) -> usize;
        /// Fills `gains` with the gains `mix_ramp` applies over a ramp
        /// from muted to unity of `gains.len()` samples (at most `2^30`):
        /// `gains[i]` is that of sample `i`.
        fn open_gains(gains: &mut [Self::KGain]);
        /// What `mix_ramp` gives for a ramp from muted to unity of
        /// `gains.len()` samples, whose gains `open_gains` wrote in `gains`,
        /// over `out.len() <= gains.len()` samples.
        fn mix_open(
            out: &mut [Self],
            steady: Option<&[Self]>,
            x: &[Self],
            gains: &[Self::KGain],
        ) -> usize;
        /// Saturates `acc` into `out`; returns how many samples clipped.
        fn finish(acc: &[Self::Acc], out: &mut [Self]) -> usize;
        /// What `finish` gives for one talker added at unity to silence,
        /// without the accumulator.
        fn mix1(out: &mut [Self], a: &[Self]) -> usize;
        /// What `finish` gives for two talkers added at unity to silence, in
        /// that order, without the accumulator.
        fn mix2(out: &mut [Self], a: &[Self], b: &[Self]) -> usize;
        /// What `finish` gives for three talkers added at unity to silence,
        /// in that order, in one pass.
        fn mix3t(out: &mut [Self], a: &[Self], b: &[Self], c: &[Self]) -> usize;
        /// A whole three-party call in one pass: `x` holds the three
        /// talkers' frames and `out` the three listeners' back to back, and
        /// listener `l` hears the other two (in order) at unity where
        /// `hears[l]` says so. `out[l]` becomes what
        /// `mix2`, `mix1` or silence give for those talkers; returns the
        /// clipped samples per listener.
        fn mix3(out: &mut [Self], x: [&[Self]; 3], hears: [[bool; 2]; 3]) -> [usize; 3];
        /// `mix3` for frames that were not sanitized: `None` (and `out`
        /// unspecified) when some input may need `sanitize`, or when this
        /// quick pass cannot give `mix3`'s result.
        fn mix3_unsanitized(
            out: &mut [Self],
            x: [&[Self]; 3],
            hears: [[bool; 2]; 3],
        ) -> Option<[usize; 3]>;
        /// `mix3` for a sample type that never needs `sanitize`, with who
        /// hears whom as a pattern of bits (listener 0's two flags in bits
        /// 5 and 4, listener 1's in 3 and 2, listener 2's in 1 and 0);
        /// `None`, with `out` untouched, for other sample types.
        fn mix3_pattern(_out: &mut [Self], _x: [&[Self]; 3], _bits: u8) -> Option<[usize; 3]> {
            None
        }
        /// A whole four-party call at unity in one pass: `x` holds the four
        /// talkers' frames and `out` the four listeners' back to back, and
        /// listener `l` hears talker `t` (in order) where bit `4 * l + t`
        /// of `hears` is set. `out[l]` becomes what `mix_unity` gives for
        /// those talkers; returns the clipped samples per listener, or
        /// `None` (with `out` untouched) where the sample type has no such
        /// pass.
        fn mix4(_out: &mut [Self], _x: [&[Self]; 4], _hears: u16) -> Option<[usize; 4]> {
            None
        }
        /// Whether two frames hold the same samples, bit for bit.
        fn same_bits(a: &[Self], b: &[Self]) -> bool;
        /// Whether `sanitize` would replace anything in `frame` (read only).
        fn needs_sanitizing(frame: &[Self]) -> bool;
        /// Converts one frame with `r` (lengths as `r` requires, which the
        /// caller ensures); with `finish`, saturates the result to full
        /// scale as a listener's frame (`f32`; `i16` always is). Returns the
        /// clipped output samples.
        fn resample(
            r: &mut crate::dsp::resample::Resampler,
            input: &[Self],
            output: &mut [Self],
            finish: bool,
        ) -> usize;
        /// Replaces every sample no listener may hear (non-finite `f32`)
        /// with silence; returns how many were replaced.
        fn sanitize(frame: &mut [Self]) -> usize;
    }
}

impl private::Kernel for i16 {
    type Acc = i32;
    type KGain = i32;

    fn kgain(linear: f32) -> i32 {
        // Gains are at most +12 dB (< 4.0), so this stays below 2^16 and a
        // product with any i16 fits in an i32.
        (linear * Q_ONE as f32 + 0.5) as i32
    }
    fn is_unity(g: i32) -> bool {
        g == Q_ONE
    }
    fn is_zero(g: i32) -> bool {
        g == 0
    }
    fn add(acc: &mut [i32], x: &[i16]) {
        for (a, &s) in acc.iter_mut().zip(x) {
            *a += s as i32;
        }
    }
    fn add_scaled(acc: &mut [i32], x: &[i16], g: i32) {
        for (a, &s) in acc.iter_mut().zip(x) {
            *a += (s as i32 * g + (1 << (Q - 1))) >> Q;
        }
    }
    fn add_ramp(acc: &mut [i32], x: &[i16], from: i32, to: i32, first: usize, len: usize) {
        add_ramp_i16(acc, x, from, to, first, len)
    }
    fn mix_ramp(
        out: &mut [i16],
        steady: Option<&[i16]>,
        x: &[i16],
        from: i32,
        to: i32,
        len: usize,
    ) -> usize {
        mix_ramp_i16(out, steady, x, from, to, len)
    }
    fn open_gains(gains: &mut [i32]) {
        let len = gains.len().clamp(1, 1 << 30);
        let (step, inv) = (f64::from(Q_ONE), 1.0 / len as f64);
        for (i, g) in gains.iter_mut().enumerate() {
            // `k <= len`: the formula of `ramp_sum_i16`, from 0.
            *g = ramp_gain(step, inv, (i + 1) as i32);
        }
    }
    fn mix_open(out: &mut [i16], steady: Option<&[i16]>, x: &[i16], gains: &[i32]) -> usize {
        mix_open_i16(out, steady, x, gains)
    }
    fn finish(acc: &[i32], out: &mut [i16]) -> usize {
        // Clipping is rare: note whether any sample clipped with a plain OR
        // (which vectorizes on SSE2), and count only then.
        let mut any = 0u32;
        for (o, &a) in out.iter_mut().zip(acc) {
            // Outside the i16 range exactly when `a + 2^15` is outside
            // `0..2^16`.
            any |= (a as u32).wrapping_add(0x8000) & 0xffff_0000;
            *o = a.clamp(i16::MIN as i32, i16::MAX as i32) as i16;
        }
        if any == 0 {
            return 0;
        }
        acc.iter()
            .take(out.len())
            .filter(|&&a| a != a as i16 as i32)
            .count()
    }
    fn mix1(out: &mut [i16], a: &[i16]) -> usize {
        out.copy_from_slice(&a[..out.len()]);
        0
    }
    fn mix2(out: &mut [i16], a: &[i16], b: &[i16]) -> usize {
        mix2_i16(out, a, b)
    }
    fn mix3t(out: &mut [i16], a: &[i16], b: &[i16], c: &[i16]) -> usize {
        mix3t_i16(out, a, b, c)
    }
    #[inline]
    fn mix3(out: &mut [i16], x: [&[i16]; 3], hears: [[bool; 2]; 3]) -> [usize; 3] {
        // One loop for each of the 64 patterns of who hears whom, so that a
        // listener who hears nobody or one talker costs no mask and no add:
        // monitor and whisper run as fast as barge.
        mix3_i16_by_pattern(out, x, pattern(hears))
    }
    #[inline]
    fn mix3_unsanitized(
        out: &mut [i16],
        x: [&[i16]; 3],
        hears: [[bool; 2]; 3],
    ) -> Option<[usize; 3]> {
        Some(Self::mix3(out, x, hears))
    }
    #[inline]
    fn mix3_pattern(out: &mut [i16], x: [&[i16]; 3], bits: u8) -> Option<[usize; 3]> {
        Some(mix3_i16_by_pattern(out, x, bits))
    }
    #[inline]
    fn mix4(out: &mut [i16], x: [&[i16]; 4], hears: u16) -> Option<[usize; 4]> {
        Some(mix4_i16(out, x, hears))
    }
    fn same_bits(a: &[i16], b: &[i16]) -> bool {
        a == b
    }
    fn needs_sanitizing(_frame: &[i16]) -> bool {
        false
    }
    fn resample(
        r: &mut crate::dsp::resample::Resampler,
        input: &[i16],
        output: &mut [i16],
        _finish: bool,
    ) -> usize {
        r.process_i16(input, output).unwrap_or(0)
    }
    fn sanitize(_frame: &mut [i16]) -> usize {
        0
    }
}

/// [`private::Kernel::mix2`] for `i16`.
#[multiversion::multiversion(targets("x86_64+avx2"))]
fn mix2_i16(out: &mut [i16], a: &[i16], b: &[i16]) -> usize {
    // Two i16 summed in i32 and clamped once is exactly the saturating
    // i16 add (`paddsw`); it clipped where it differs from the wrapping
    // add.
    let mut any = 0i16;
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
        let s = x.saturating_add(y);
        any |= s ^ x.wrapping_add(y);
        *o = s;
    }
    if any == 0 {
        return 0;
    }
    a.iter()
        .zip(b)
        .take(out.len())
        .filter(|&(&x, &y)| x.checked_add(y).is_none())
        .count()
}
/// [`private::Kernel::mix3t`] for `i16`.
#[multiversion::multiversion(targets("x86_64+avx2"))]
fn mix3t_i16(out: &mut [i16], a: &[i16], b: &[i16], c: &[i16]) -> usize {
    let n = out.len().min(a.len()).min(b.len()).min(c.len());
    let (out, a, b, c) = (&mut out[..n], &a[..n], &b[..n], &c[..n]);
    // Three samples within a quarter of full scale (`-8192..8192`) sum
    // to within `-24576..24573`: the wrapping i16 sum is exact, needs no
    // widening, and nothing clips. Whether any sample is beyond is
    // noted on the way (bits 15 and 14 of `x + 0x2000`); only then is
    // the frame summed again, wide.
    let quarter = |s: i16| (s as u16).wrapping_add(0x2000);
    let mut beyond = 0u16;
    for i in 0..n {
        let (x, y, z) = (a[i], b[i], c[i]);
        beyond |= quarter(x) | quarter(y) | quarter(z);
        out[i] = x.wrapping_add(y).wrapping_add(z);
    }
    if beyond & 0xc000 == 0 {
        return 0;
    }
    let mut any = 0u32;
    for i in 0..n {
        let s = i32::from(a[i]) + i32::from(b[i]) + i32::from(c[i]);
        any |= (s as u32).wrapping_add(0x8000) & 0xffff_0000;
        out[i] = s.clamp(i16::MIN as i32, i16::MAX as i32) as i16;
    }
    if any == 0 {
        return 0;
    }
    (0..n)
        .filter(|&i| {
            let s = i32::from(a[i]) + i32::from(b[i]) + i32::from(c[i]);
            s != s as i16 as i32
        })
        .count()
}

/// The four-party `i16` patterns with a loop of their own, and
/// [`private::Kernel::mix4`] for `i16`, which picks it.
macro_rules! four_patterns {
    ($($p:literal)*) => {
        /// The patterns of who hears whom (as [`mix_four`] takes them, the
        /// diagonal clear) that [`mix4_i16`] mixes with a loop of their own:
        /// a customer, an agent and two supervisors, who joined in that
        /// order, each supervisor in monitor, whisper or barge.
        #[cfg(test)]
        pub(crate) const FOUR_PATTERNS: &[u16] = &[$($p),*];

        /// [`private::Kernel::mix4`] for `i16`: a loop of its own for each
        /// of the common patterns, the masked one for any other.
        fn mix4_i16(out: &mut [i16], x: [&[i16]; 4], hears: u16) -> [usize; 4] {
            match hears & !0x8421 {
                $($p => mix4_i16_for::<$p>(out, x),)*
                other => mix4_i16_masked(out, x, other),
            }
        }
    };
}

// Each pattern's hex digits, from the last, are the talkers the customer,
// the agent, the first and the second supervisor hear; the two
// supervisors' modes, in order: (monitor, monitor), (monitor, whisper),
// (monitor, barge), (whisper, monitor), (whisper, whisper), (whisper,
// barge), (barge, monitor), (barge, whisper), (barge, barge).
four_patterns!(0x3312 0x3b92 0x3b9a 0x7352 0x7bd2 0x7bda 0x7356 0x7bd6 0x7bde);

/// [`mix4_i16`] for one pattern, known when it is compiled: the masks
/// fold away.
#[multiversion::multiversion(targets("x86_64+avx2"))]
#[inline(never)]
fn mix4_i16_for<const HEARS: u16>(out: &mut [i16], x: [&[i16]; 4]) -> [usize; 4] {
    mix4_i16_with(out, x, HEARS)
}

/// [`mix4_i16`] for any pattern: each talker masked in or out.
#[multiversion::multiversion(targets("x86_64+avx2"))]
#[inline(never)]
fn mix4_i16_masked(out: &mut [i16], x: [&[i16]; 4], hears: u16) -> [usize; 4] {
    mix4_i16_with(out, x, hears)
}

/// The loop of [`mix4_i16`].
#[inline(always)]
fn mix4_i16_with(out: &mut [i16], x: [&[i16]; 4], hears: u16) -> [usize; 4] {
    let len = (out.len() / 4)
        .min(x[0].len())
        .min(x[1].len())
        .min(x[2].len())
        .min(x[3].len());
    let [x0, x1, x2, x3] = x.map(|f| &f[..len]);
    let (o0, rest) = out.split_at_mut(len);
    let (o1, rest) = rest.split_at_mut(len);
    let (o2, rest) = rest.split_at_mut(len);
    let o3 = &mut rest[..len];
    // Who hears whom as masks (a talker not heard adds 0); nobody hears
    // itself.
    let hears = hears & !0x8421;
    let m: [[i16; 4]; 4] =
        core::array::from_fn(|l| core::array::from_fn(|t| -(((hears >> (4 * l + t)) & 1) as i16)));
    // Three samples within a quarter of full scale sum exactly in i16 and
    // clip nowhere (as in `mix3t_i16`); whether any is beyond is noted on
    // the way, and only then is the call summed again, wide.
    let quarter = |s: i16| (s as u16).wrapping_add(0x2000);
    let sum = |p: i16, q: i16, r: i16| p.wrapping_add(q).wrapping_add(r);
    let mut beyond = 0u16;
    for i in 0..len {
        let (a, b, c, d) = (x0[i], x1[i], x2[i], x3[i]);
        beyond |= quarter(a) | quarter(b) | quarter(c) | quarter(d);
        o0[i] = sum(b & m[0][1], c & m[0][2], d & m[0][3]);
        o1[i] = sum(a & m[1][0], c & m[1][2], d & m[1][3]);
        o2[i] = sum(a & m[2][0], b & m[2][1], d & m[2][3]);
        o3[i] = sum(a & m[3][0], b & m[3][1], c & m[3][2]);
    }
    if beyond & 0xc000 == 0 {
        return [0; 4];
    }
    let mut clipped = [0usize; 4];
    for (l, (o, m)) in [o0, o1, o2, o3].into_iter().zip(m).enumerate() {
        let wide = |s: i16, m: i16| i32::from(s & m);
        for i in 0..len {
            let s = wide(x0[i], m[0]) + wide(x1[i], m[1]) + wide(x2[i], m[2]) + wide(x3[i], m[3]);
            let r = s.clamp(i16::MIN.into(), i16::MAX.into());
            clipped[l] += usize::from(r != s);
            o[i] = r as i16;
        }
    }
    clipped
}

/// [`mix3_i16`] for the pattern `bits` (listener 0's two flags in bits 5
/// and 4, listener 1's in 3 and 2, listener 2's in 1 and 0).
#[inline]
fn mix3_i16_by_pattern(out: &mut [i16], x: [&[i16]; 3], bits: u8) -> [usize; 3] {
    macro_rules! patterns {
        ($($p:literal)*) => {
            match bits {
                $($p => mix3_i16::<{ $p & 32 != 0 }, { $p & 16 != 0 }, { $p & 8 != 0 },
                    { $p & 4 != 0 }, { $p & 2 != 0 }, { $p & 1 != 0 }>(out, x),)*
                _ => [0; 3],
            }
        };
    }
    patterns!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29
        30 31 32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58
        59 60 61 62 63)
}

/// The whole three-party `i16` call in one pass for one pattern of who
/// hears whom: `Lkt` says whether listener `k` hears the first (`t = 0`) or
/// the second (`t = 1`) of the other two.
#[allow(non_snake_case)]
#[multiversion::multiversion(targets("x86_64+avx2"))]
#[inline(never)]
fn mix3_i16<
    const L00: bool,
    const L01: bool,
    const L10: bool,
    const L11: bool,
    const L20: bool,
    const L21: bool,
>(
    out: &mut [i16],
    x: [&[i16]; 3],
) -> [usize; 3] {
    let (len, [x0, x1, x2], [o0, o1, o2]) = thirds(x, out);
    // Each listener's sum is at most two frames added with saturation
    // (exact, as in `mix2`). Whether any input sample is beyond half scale,
    // where a pair could clip, is noted on the way with one add and one OR
    // per frame (bit 15 of `x + 0x4000`): only then are clips counted.
    let half = |s: i16| (s as u16).wrapping_add(0x4000);
    #[inline(always)]
    fn pair<const A: bool, const B: bool>(p: i16, q: i16) -> i16 {
        match (A, B) {
            (true, true) => p.saturating_add(q),
            (true, false) => p,
            (false, true) => q,
            (false, false) => 0,
        }
    }
    let mut beyond = 0u16;
    for i in 0..len {
        let (a, b, c) = (x0[i], x1[i], x2[i]);
        beyond |= half(a) | half(b) | half(c);
        o0[i] = pair::<L00, L01>(b, c);
        o1[i] = pair::<L10, L11>(a, c);
        o2[i] = pair::<L20, L21>(a, b);
    }
    if beyond & 0x8000 == 0 {
        return [0; 3];
    }
    let clips = |p: &[i16], q: &[i16], both: bool| {
        if !both {
            return 0;
        }
        p.iter()
            .zip(q)
            .filter(|&(&p, &q)| p.checked_add(q).is_none())
            .count()
    };
    [
        clips(x1, x2, L00 && L01),
        clips(x0, x2, L10 && L11),
        clips(x0, x1, L20 && L21),
    ]
}

/// [`private::Kernel::add_ramp`] for `i16`.
#[multiversion::multiversion(targets("x86_64+avx2"))]
fn add_ramp_i16(acc: &mut [i32], x: &[i16], from: i32, to: i32, first: usize, len: usize) {
    // Sample `i` has `k = first + i + 1`; while `k < len` its gain is
    // `from + (to - from) * k / len`, the quotient truncated towards
    // zero: `from ± ⌊|to - from| * k / len⌋`. That floor is taken in
    // f64 as `⌊(|to - from| * k + 0.5) / len⌋`, with no division per
    // sample and no chain from one sample to the next: the true quotient
    // plus `0.5 / len` is at least `0.5 / len ≥ 2^-13` away from an
    // integer, and the f64 error is below 2^-23 (`|to - from| * k` is
    // below 2^29), so the floor is exact.
    let len = len.max(1);
    if len > (i32::MAX / 2) as usize {
        // Longer than any frame a session mixes: exact in i64 instead.
        return add_ramp_wide(acc, x, from, to, first, len);
    }
    let n = acc.len().min(x.len());
    let ramping = len.saturating_sub(first + 1).min(n);
    let (acc, steady_acc) = acc[..n].split_at_mut(ramping);
    let (x, steady_x) = x[..n].split_at(ramping);
    let step = f64::from((to - from).unsigned_abs());
    let inv = 1.0 / len as f64;
    let down = to < from;
    // `k < len < 2^30` here: i32 (and a vectorizable conversion).
    let k0 = (first + 1) as i32;
    for (i, (a, &s)) in acc.iter_mut().zip(x).enumerate() {
        let k = f64::from(k0 + i as i32);
        // The floor of `v = (step * k + 0.5) * inv`, non-negative and
        // below 2^17, is the nearest integer to `v - 0.5` (whose
        // distance from a half-integer is the margin above), which adding
        // 1.5 × 2^52 leaves in the low bits: unlike a saturating `as`
        // cast, this vectorizes on SSE2.
        let q = (((step * k + 0.5) * inv - 0.5) + ROUND).to_bits() as i32;
        let g = if down { from - q } else { from + q };
        *a += (s as i32 * g + (1 << (Q - 1))) >> Q;
    }
    // From `k = len` on the route is steady at `to`, as in later blocks.
    add_steady(steady_acc, steady_x, to);
}

/// The `i16` ramp of [`private::Kernel::add_ramp`] in `i64`, for ramps
/// longer than 2^30 samples, which only a direct caller of the kernel can
/// ask for.
#[cold]
fn add_ramp_wide(acc: &mut [i32], x: &[i16], from: i32, to: i32, first: usize, len: usize) {
    let step = i64::from(to - from);
    let len = len as i64;
    for (i, (a, &s)) in acc.iter_mut().zip(x).enumerate() {
        let k = (first + i + 1) as i64;
        let g = if k >= len {
            to
        } else {
            // Between `from` and `to`: fits in i32.
            from + (step * k / len) as i32
        };
        *a += (s as i32 * g + (1 << (Q - 1))) >> Q;
    }
}

/// How far an `i16` ramp of `len` samples whose gain moves by `step`
/// has moved at sample `k`, `1 <= k <= len` (`inv` is `1 / len`): the
/// nearest integer to `step * k / len` as [`add_ramp_i16`] computes it.
#[inline(always)]
fn ramp_gain(step: f64, inv: f64, k: i32) -> i32 {
    (((step * f64::from(k) + 0.5) * inv - 0.5) + ROUND).to_bits() as i32
}

/// [`private::Kernel::mix_open`] for `i16`.
#[multiversion::multiversion(targets("x86_64+avx2"))]
fn mix_open_i16(out: &mut [i16], steady: Option<&[i16]>, x: &[i16], gains: &[i32]) -> usize {
    match steady {
        Some(a) => open_sum_i16::<true>(out, a, x, gains),
        None => open_sum_i16::<false>(out, &[], x, gains),
    }
}

/// The loop of [`mix_open_i16`], with or without a steady talker `a`: that
/// of [`ramp_sum_i16`], each sample's gain read from `g`.
#[inline(always)]
fn open_sum_i16<const STEADY: bool>(out: &mut [i16], a: &[i16], x: &[i16], g: &[i32]) -> usize {
    let mut n = out.len().min(x.len()).min(g.len());
    if STEADY {
        n = n.min(a.len());
    }
    let (out, x, g) = (&mut out[..n], &x[..n], &g[..n]);
    let a = &a[..if STEADY { n } else { 0 }];
    let mut clipped = 0u32;
    for i in 0..n {
        let steady = if STEADY { a[i] } else { 0 };
        let (c, clip) = ramp_sample(x[i], g[i], steady);
        clipped += u32::from(clip);
        out[i] = c;
    }
    clipped as usize
}

/// One sample of an `i16` ramp: `x` at the gain `g`, plus `steady` (heard
/// at unity), saturated; and whether it clipped. What [`ramp_sum_i16`] and
/// [`open_sum_i16`] write, the way [`add_ramp_i16`] and the accumulator's
/// saturation compute it.
#[inline(always)]
fn ramp_sample(x: i16, g: i32, steady: i16) -> (i16, bool) {
    let v = ((i32::from(x) * g + (1 << (Q - 1))) >> Q) + i32::from(steady);
    let c = v.clamp(i16::MIN as i32, i16::MAX as i32);
    (c as i16, c != v)
}

/// [`private::Kernel::mix_ramp`] for `i16`.
#[multiversion::multiversion(targets("x86_64+avx2"))]
fn mix_ramp_i16(
    out: &mut [i16],
    steady: Option<&[i16]>,
    x: &[i16],
    from: i32,
    to: i32,
    len: usize,
) -> usize {
    match steady {
        Some(a) => ramp_sum_i16::<true>(out, a, x, from, to, len),
        None => ramp_sum_i16::<false>(out, &[], x, from, to, len),
    }
}

/// The loop of [`mix_ramp_i16`], with or without a steady talker `a`.
#[inline(always)]
fn ramp_sum_i16<const STEADY: bool>(
    out: &mut [i16],
    a: &[i16],
    x: &[i16],
    from: i32,
    to: i32,
    len: usize,
) -> usize {
    let mut n = out.len().min(x.len());
    if STEADY {
        n = n.min(a.len());
    }
    let (out, x, a) = (&mut out[..n], &x[..n], &a[..if STEADY { n } else { 0 }]);
    // The gains of `add_ramp_i16`, computed the same way, for every sample:
    // at `k = len` the formula gives `to` exactly (the quotient is the
    // integer `|to - from|`, and the margin the same), and every sample
    // after it takes the gain of `k = len`. So no sample needs a loop of
    // its own, and `to` at unity or muted adds what `add_steady` adds.
    let len = len.clamp(1, 1 << 30);
    let step = f64::from((to - from).unsigned_abs());
    let inv = 1.0 / len as f64;
    // `from - q` as `from + ((q ^ -1) + 1)`: no branch in the loop.
    let neg = -i32::from(to < from);
    let last = len as i32;
    let mut clipped = 0u32;
    for i in 0..n {
        let q = ramp_gain(step, inv, (i as i32 + 1).min(last));
        let g = from + ((q ^ neg) - neg);
        let steady = if STEADY { a[i] } else { 0 };
        let (c, clip) = ramp_sample(x[i], g, steady);
        clipped += u32::from(clip);
        out[i] = c;
    }
    clipped as usize
}

impl private::Kernel for f32 {
    type Acc = f32;
    type KGain = f32;

    fn kgain(linear: f32) -> f32 {
        linear
    }
    fn is_unity(g: f32) -> bool {
        g == 1.0
    }
    fn is_zero(g: f32) -> bool {
        g == 0.0
    }
    fn add(acc: &mut [f32], x: &[f32]) {
        for (a, &s) in acc.iter_mut().zip(x) {
            *a += s;
        }
    }
    fn add_scaled(acc: &mut [f32], x: &[f32], g: f32) {
        for (a, &s) in acc.iter_mut().zip(x) {
            *a += s * g;
        }
    }
    fn add_ramp(acc: &mut [f32], x: &[f32], from: f32, to: f32, first: usize, len: usize) {
        let step = (to - from) / len.max(1) as f32;
        let n = acc.len().min(x.len());
        let ramping = len.saturating_sub(first + 1).min(n);
        let (acc, steady_acc) = acc[..n].split_at_mut(ramping);
        let (x, steady_x) = x[..n].split_at(ramping);
        for (i, (a, &s)) in acc.iter_mut().zip(x).enumerate() {
            let k = first + i + 1;
            *a += s * (from + step * k as f32);
        }
        // From `k = len` on the route is steady at `to`, as in later blocks.
        add_steady(steady_acc, steady_x, to);
    }
    fn mix_ramp(
        out: &mut [f32],
        steady: Option<&[f32]>,
        x: &[f32],
        from: f32,
        to: f32,
        len: usize,
    ) -> usize {
        mix_ramp_f32(out, steady, x, from, to, len)
    }
    fn open_gains(gains: &mut [f32]) {
        // `ramp_sum_f32`'s gains from 0: the last sample is unity itself.
        let len = gains.len();
        let step = 1.0 / len.max(1) as f32;
        for (i, g) in gains.iter_mut().enumerate() {
            *g = if i + 1 < len {
                0.0 + step * (i + 1) as f32
            } else {
                1.0
            };
        }
    }
    fn mix_open(out: &mut [f32], steady: Option<&[f32]>, x: &[f32], gains: &[f32]) -> usize {
        mix_open_f32(out, steady, x, gains)
    }
    fn finish(acc: &[f32], out: &mut [f32]) -> usize {
        let mut clipped = 0u32;
        for (o, &a) in out.iter_mut().zip(acc) {
            let c = saturate(a);
            clipped += (c != a) as u32;
            *o = c;
        }
        clipped as usize
    }
    fn mix1(out: &mut [f32], a: &[f32]) -> usize {
        mix1_f32(out, a)
    }
    fn mix2(out: &mut [f32], a: &[f32], b: &[f32]) -> usize {
        mix2_f32(out, a, b)
    }
    fn mix3t(out: &mut [f32], a: &[f32], b: &[f32], c: &[f32]) -> usize {
        mix3t_f32(out, a, b, c)
    }
    fn mix3(out: &mut [f32], x: [&[f32]; 3], hears: [[bool; 2]; 3]) -> [usize; 3] {
        if let Some(clipped) = Self::mix3_unsanitized(out, x, hears) {
            return clipped;
        }
        let (len, [x0, x1, x2], [o0, o1, o2]) = thirds(x, out);
        let m = hears.map(|h| h.map(|h| if h { u32::MAX } else { 0 }));
        let pick = |s: f32, m: u32| f32::from_bits(s.to_bits() & m);
        let mut clipped = [0u32; 3];
        for i in 0..len {
            let (a, b, c) = (x0[i], x1[i], x2[i]);
            let s0 = (0.0 + pick(b, m[0][0])) + pick(c, m[0][1]);
            let s1 = (0.0 + pick(a, m[1][0])) + pick(c, m[1][1]);
            let s2 = (0.0 + pick(a, m[2][0])) + pick(b, m[2][1]);
            let (r0, r1, r2) = (saturate(s0), saturate(s1), saturate(s2));
            clipped[0] += (r0 != s0) as u32;
            clipped[1] += (r1 != s1) as u32;
            clipped[2] += (r2 != s2) as u32;
            o0[i] = r0;
            o1[i] = r1;
            o2[i] = r2;
        }
        clipped.map(|c| c as usize)
    }
    fn mix3_unsanitized(
        out: &mut [f32],
        x: [&[f32]; 3],
        hears: [[bool; 2]; 3],
    ) -> Option<[usize; 3]> {
        mix3_unsanitized_f32(out, x, hears)
    }
    fn resample(
        r: &mut crate::dsp::resample::Resampler,
        input: &[f32],
        output: &mut [f32],
        finish: bool,
    ) -> usize {
        // Into the call, the frame is summed wide like any other and
        // saturated once, in the mix; out of it, what the listener hears is
        // clamped to full scale as the mix does.
        if r.process(input, output).is_err() {
            return 0;
        }
        if !finish {
            // Huge finite input can ring past the largest f32: keep it
            // finite (and loud), so that only what a party sent counts as
            // non-finite.
            if Self::needs_sanitizing(output) {
                for o in output.iter_mut() {
                    if o.is_nan() {
                        *o = 0.0;
                    } else if o.is_infinite() {
                        *o = f32::MAX.copysign(*o);
                    }
                }
            }
            return 0;
        }
        // A full-scale input may ring past full scale: clamp as the mix does.
        let mut clipped = 0;
        for o in output.iter_mut() {
            let c = saturate(*o);
            clipped += usize::from(c != *o);
            *o = c;
        }
        clipped
    }
    fn same_bits(a: &[f32], b: &[f32]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
    }
    fn needs_sanitizing(frame: &[f32]) -> bool {
        needs_sanitizing_f32(frame)
    }
    fn sanitize(frame: &mut [f32]) -> usize {
        // A read-only look first.
        if !Self::needs_sanitizing(frame) {
            return 0;
        }
        let mut replaced = 0usize;
        for s in frame.iter_mut() {
            let bad = !s.is_finite();
            replaced += bad as usize;
            *s = if bad { 0.0 } else { *s };
        }
        replaced
    }
}

/// [`private::Kernel::mix_ramp`] for `f32`.
#[multiversion::multiversion(targets("x86_64+avx2"))]
fn mix_ramp_f32(
    out: &mut [f32],
    steady: Option<&[f32]>,
    x: &[f32],
    from: f32,
    to: f32,
    len: usize,
) -> usize {
    match steady {
        Some(a) => ramp_sum_f32::<true>(out, a, x, from, to, len),
        None => ramp_sum_f32::<false>(out, &[], x, from, to, len),
    }
}

/// [`private::Kernel::mix_open`] for `f32`: the sums of [`ramp_sum_f32`]
/// (`x * 1.0` is `x`, bit for bit, where it adds `x` at unity).
#[multiversion::multiversion(targets("x86_64+avx2"))]
fn mix_open_f32(out: &mut [f32], steady: Option<&[f32]>, x: &[f32], gains: &[f32]) -> usize {
    let mut n = out.len().min(x.len()).min(gains.len());
    if let Some(a) = steady {
        n = n.min(a.len());
    }
    let (out, x, g) = (&mut out[..n], &x[..n], &gains[..n]);
    let mut clipped = 0u32;
    let mut put = |o: &mut f32, s: f32| {
        let c = saturate(s);
        clipped += u32::from(c != s);
        *o = c;
    };
    match steady {
        Some(a) => {
            let a = &a[..n];
            for i in 0..n {
                put(&mut out[i], (0.0 + a[i]) + x[i] * g[i]);
            }
        }
        None => {
            for i in 0..n {
                put(&mut out[i], 0.0 + x[i] * g[i]);
            }
        }
    }
    clipped as usize
}

/// The loop of [`mix_ramp_f32`], with or without a steady talker `a`.
#[inline(always)]
fn ramp_sum_f32<const STEADY: bool>(
    out: &mut [f32],
    a: &[f32],
    x: &[f32],
    from: f32,
    to: f32,
    len: usize,
) -> usize {
    let mut n = out.len().min(x.len());
    if STEADY {
        n = n.min(a.len());
    }
    let (out, x, a) = (&mut out[..n], &x[..n], &a[..if STEADY { n } else { 0 }]);
    // The accumulator's sums: `0.0 + a` first, then the ramping talker
    // (of two terms after `0.0`, the order changes nothing but the payload
    // of a NaN, which `saturate` makes silence). Its gain is the ramp's
    // while `k < len`, then `to` as `add_steady` adds it.
    let step = (to - from) / len.max(1) as f32;
    let ramping = len.saturating_sub(1).min(n);
    let (out, tail_out) = out.split_at_mut(ramping);
    let (x, tail_x) = x.split_at(ramping);
    let (a, tail_a) = a.split_at(if STEADY { ramping } else { 0 });
    let base = |a: &[f32], i: usize| if STEADY { 0.0 + a[i] } else { 0.0 };
    let mut clipped = 0u32;
    let mut put = |o: &mut f32, s: f32| {
        let c = saturate(s);
        clipped += u32::from(c != s);
        *o = c;
    };
    for i in 0..ramping {
        let k = i + 1;
        put(&mut out[i], base(a, i) + x[i] * (from + step * k as f32));
    }
    for i in 0..tail_out.len() {
        let s = if to == 1.0 {
            base(tail_a, i) + tail_x[i]
        } else if to == 0.0 {
            base(tail_a, i)
        } else {
            base(tail_a, i) + tail_x[i] * to
        };
        put(&mut tail_out[i], s);
    }
    clipped as usize
}

/// [`private::Kernel::mix1`] for `f32`.
#[multiversion::multiversion(targets("x86_64+avx2"))]
fn mix1_f32(out: &mut [f32], a: &[f32]) -> usize {
    let mut clipped = 0u32;
    for (o, &x) in out.iter_mut().zip(a) {
        // `0.0 + x`, as the accumulator computes it: -0.0 becomes 0.0.
        let s = 0.0 + x;
        let c = saturate(s);
        clipped += (c != s) as u32;
        *o = c;
    }
    clipped as usize
}

/// [`private::Kernel::mix2`] for `f32`.
#[multiversion::multiversion(targets("x86_64+avx2"))]
fn mix2_f32(out: &mut [f32], a: &[f32], b: &[f32]) -> usize {
    let mut clipped = 0u32;
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
        let s = (0.0 + x) + y;
        let c = saturate(s);
        clipped += (c != s) as u32;
        *o = c;
    }
    clipped as usize
}

/// [`private::Kernel::mix3t`] for `f32`.
#[multiversion::multiversion(targets("x86_64+avx2"))]
fn mix3t_f32(out: &mut [f32], a: &[f32], b: &[f32], c: &[f32]) -> usize {
    let mut clipped = 0u32;
    for (((o, &x), &y), &z) in out.iter_mut().zip(a).zip(b).zip(c) {
        let s = ((0.0 + x) + y) + z;
        let r = saturate(s);
        clipped += (r != s) as u32;
        *o = r;
    }
    clipped as usize
}

/// [`private::Kernel::mix3_unsanitized`] for `f32`.
#[multiversion::multiversion(targets("x86_64+avx2"))]
fn mix3_unsanitized_f32(
    out: &mut [f32],
    x: [&[f32]; 3],
    hears: [[bool; 2]; 3],
) -> Option<[usize; 3]> {
    let (len, [x0, x1, x2], [o0, o1, o2]) = thirds(x, out);
    // A talker not heard is masked to +0.0: `(0.0 + p) + 0.0` and
    // `(0.0 + 0.0) + q` are exactly `0.0 + p` and `0.0 + q`.
    let m = hears.map(|h| h.map(|h| if h { u32::MAX } else { 0 }));
    let pick = |s: f32, m: u32| f32::from_bits(s.to_bits() & m);
    // Sum without clamping, noting on the way whether any input is at
    // or beyond half scale or not finite (magnitude bits ≥ 0x3f00_0000
    // carry into bit 31 when 0x4100_0000 is added). If none is, there is
    // nothing to sanitize, no sum of two can reach full scale, and every
    // sum is already what `saturate` would give.
    let beyond = |s: f32| (s.to_bits() & 0x7fff_ffff).wrapping_add(0x4100_0000);
    let mut any = 0u32;
    if hears == [[true; 2]; 3] {
        // Barge: everyone hears both others; no masks.
        for i in 0..len {
            let (a, b, c) = (x0[i], x1[i], x2[i]);
            any |= beyond(a) | beyond(b) | beyond(c);
            o0[i] = (0.0 + b) + c;
            o1[i] = (0.0 + a) + c;
            o2[i] = (0.0 + a) + b;
        }
    } else {
        for i in 0..len {
            let (a, b, c) = (x0[i], x1[i], x2[i]);
            any |= beyond(a) | beyond(b) | beyond(c);
            o0[i] = (0.0 + pick(b, m[0][0])) + pick(c, m[0][1]);
            o1[i] = (0.0 + pick(a, m[1][0])) + pick(c, m[1][1]);
            o2[i] = (0.0 + pick(a, m[2][0])) + pick(b, m[2][1]);
        }
    }
    (any & 0x8000_0000 == 0).then_some([0; 3])
}

/// [`private::Kernel::needs_sanitizing`] for `f32`.
#[multiversion::multiversion(targets("x86_64+avx2"))]
fn needs_sanitizing_f32(frame: &[f32]) -> bool {
    // A non-finite sample (exponent all ones) carries into bit 31 when
    // 2^23 is added to its exponent bits.
    let any = frame.iter().fold(0u32, |any, s| {
        any | (s.to_bits() & 0x7f80_0000).wrapping_add(0x0080_0000)
    });
    any & 0x8000_0000 != 0
}

/// Cuts the three frames of `x` and splits `out` into three, all of one
/// length (a third of `out`), so that indexing them in `0..len` needs no
/// bounds checks.
#[allow(clippy::type_complexity)]
#[inline(always)]
fn thirds<'x, 'o, S>(x: [&'x [S]; 3], out: &'o mut [S]) -> (usize, [&'x [S]; 3], [&'o mut [S]; 3]) {
    let len = (out.len() / 3)
        .min(x[0].len())
        .min(x[1].len())
        .min(x[2].len());
    let [x0, x1, x2] = x.map(|f| &f[..len]);
    let (o0, rest) = out.split_at_mut(len);
    let (o1, rest) = rest.split_at_mut(len);
    let o2 = &mut rest[..len];
    (len, [x0, x1, x2], [o0, o1, o2])
}

/// Adds a talker heard steadily at `to`: unchanged at unity, nothing when
/// muted.
#[inline(always)]
fn add_steady<S: Sample>(acc: &mut [S::Acc], x: &[S], to: S::KGain) {
    if S::is_unity(to) {
        S::add(acc, x);
    } else if !S::is_zero(to) {
        S::add_scaled(acc, x, to);
    }
}

/// An `f32` sum as a listener hears it: clamped to full scale. NaN can only
/// come from finite inputs so large that their products overflow; it becomes
/// silence and never reaches anyone.
#[inline(always)]
fn saturate(a: f32) -> f32 {
    if a.is_nan() {
        0.0
    } else {
        a.clamp(-1.0, 1.0)
    }
}

/// The gain at which a listener hears a talker during one frame: a linear
/// ramp from `from` to `to` over the first `ramp` samples, then `to`.
///
/// A route whose gain does not change this frame has `from == to`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RouteGain {
    /// The gain in force at the end of the previous frame.
    pub from: Gain,
    /// The gain reached at sample `ramp` and held to the end of the frame.
    pub to: Gain,
    /// Ramp length in samples; 0 jumps straight to `to`. Longer than the
    /// frame is treated as the frame's length.
    pub ramp: usize,
}

impl RouteGain {
    /// A steady unity route: the talker is heard unchanged.
    pub const UNITY: RouteGain = RouteGain::steady(Gain::UNITY);
    /// A closed route: the talker is not heard.
    pub const MUTED: RouteGain = RouteGain::steady(Gain::MUTED);

    /// A gain held for the whole frame.
    pub const fn steady(gain: Gain) -> RouteGain {
        RouteGain {
            from: gain,
            to: gain,
            ramp: 0,
        }
    }

    /// A gain ramping linearly from `from` to `to` over `ramp` samples.
    pub const fn ramp(from: Gain, to: Gain, ramp: usize) -> RouteGain {
        RouteGain { from, to, ramp }
    }

    /// Whether this route is silent for the whole frame.
    pub fn is_silent(&self) -> bool {
        self.to.is_muted() && (self.from.is_muted() || self.ramp == 0)
    }
}

/// One talker as one listener hears it: a frame and a gain.
#[derive(Debug, Clone, Copy)]
pub struct Talker<'a, S> {
    /// The talker's frame; as long as the listener's output.
    pub samples: &'a [S],
    /// The gain of the route from this talker to the listener.
    pub gain: RouteGain,
}

impl<'a, S> Talker<'a, S> {
    /// A talker heard at `gain`.
    pub const fn new(samples: &'a [S], gain: RouteGain) -> Talker<'a, S> {
        Talker { samples, gain }
    }
}

/// Writes into `out` the sum of every talker at its gain, saturated once at
/// the end, and returns how many output samples were clipped.
///
/// Every talker's frame must be exactly as long as `out`, and there may be at
/// most [`MAX_TALKERS`] of them, otherwise nothing is written and
/// [`Error::MatrixShape`] is returned. No talkers is silence.
pub fn mix<S: Sample>(out: &mut [S], talkers: &[Talker<'_, S>]) -> Result<usize, Error> {
    check_talkers(talkers.len())?;
    for t in talkers {
        if t.samples.len() != out.len() {
            return Err(Error::MatrixShape {
                what: "samples in a talker's frame",
                given: t.samples.len(),
                expected: out.len(),
            });
        }
    }
    Ok(mix_with(out, talkers.len(), |i| talkers[i]))
}

/// Mixes a whole call in one go: `gains` is a listener × talker matrix in
/// row-major order (`gains[l * inputs.len() + t]` is how loud listener `l`
/// hears talker `t`), and `outputs[l]` receives what listener `l` hears.
/// Returns the total number of clipped output samples.
///
/// Shapes (and the number of talkers, at most [`MAX_TALKERS`]) are checked
/// before anything is written.
///
/// ```
/// use barge::{kernel::mix_matrix, Gain};
/// let (c, a) = ([100i16; 80], [-40i16; 80]);
/// let (mut c_hears, mut a_hears) = ([0i16; 80], [0i16; 80]);
/// let (u, m) = (Gain::UNITY, Gain::MUTED);
/// mix_matrix(&[&c, &a], &[m, u, u, m], &mut [&mut c_hears, &mut a_hears])?;
/// assert_eq!((c_hears[0], a_hears[0]), (-40, 100));
/// # Ok::<(), barge::Error>(())
/// ```
pub fn mix_matrix<S: Sample>(
    inputs: &[&[S]],
    gains: &[Gain],
    outputs: &mut [&mut [S]],
) -> Result<usize, Error> {
    let n = inputs.len();
    check_talkers(n)?;
    if gains.len() != outputs.len() * n {
        return Err(Error::MatrixShape {
            what: "gains in the listener × talker matrix",
            given: gains.len(),
            expected: outputs.len() * n,
        });
    }
    let len = outputs.first().map_or(0, |o| o.len());
    for o in outputs.iter() {
        if o.len() != len {
            return Err(Error::MatrixShape {
                what: "samples in a listener's frame",
                given: o.len(),
                expected: len,
            });
        }
    }
    for i in inputs {
        if i.len() != len && !outputs.is_empty() {
            return Err(Error::MatrixShape {
                what: "samples in a talker's frame",
                given: i.len(),
                expected: len,
            });
        }
    }
    let mut clipped = 0;
    for (l, out) in outputs.iter_mut().enumerate() {
        let row = &gains[l * n..(l + 1) * n];
        clipped += mix_with(out, n, |t| {
            Talker::new(inputs[t], RouteGain::steady(row[t]))
        });
    }
    Ok(clipped)
}

fn check_talkers(given: usize) -> Result<(), Error> {
    if given > MAX_TALKERS {
        return Err(Error::MatrixShape {
            what: "talkers heard by one listener (at most)",
            given,
            expected: MAX_TALKERS,
        });
    }
    Ok(())
}

/// The kernel proper. `talker(i)` for `i < count` yields each talker; its
/// frame is at least as long as `out` (callers check). `talker` may be called
/// more than once per talker and must give the same answer each time.
pub(crate) fn mix_with<'a, S: Sample, F>(out: &mut [S], count: usize, talker: F) -> usize
where
    F: Fn(usize) -> Talker<'a, S>,
{
    mix_with_open(out, count, talker, &[])
}

/// [`mix_with`], where `open` holds the gains of a ramp from muted to
/// unity of `open.len()` samples ([`open_gains`]), for a ramp of that
/// length to read rather than compute (any other ramp computes its own).
pub(crate) fn mix_with_open<'a, S: Sample, F>(
    out: &mut [S],
    count: usize,
    talker: F,
    open: &[S::KGain],
) -> usize
where
    F: Fn(usize) -> Talker<'a, S>,
{
    // The usual tick of a call: every listener hears at most two talkers,
    // each steady at unity. Those sums need no accumulator and take one pass
    // over memory. `fast_paths_match_the_accumulator` proves they give what
    // the general path gives, bit for bit.
    let len = out.len();
    let mut heard: [&[S]; UNITY_TALKERS] = [&[]; UNITY_TALKERS];
    let mut audible = 0;
    let mut steady = true;
    for i in 0..count {
        let t = talker(i);
        if t.gain.is_silent() {
            continue;
        }
        let plan = plan::<S>(&t.gain, len);
        if !plan.steady || !S::is_unity(plan.to) || audible == UNITY_TALKERS {
            steady = false;
            break;
        }
        heard[audible] = t.samples;
        audible += 1;
    }
    if steady {
        return mix_unity(out, &heard[..audible]);
    }
    // A tick in which routes ramp: every sample is computed on its own, so
    // the samples up to the end of the longest ramp may take the general
    // path and those after it, where every gain is at its target, the
    // one-pass sums (when the targets allow).
    let mut head = 0;
    let mut tail = true;
    audible = 0;
    for i in 0..count {
        let t = talker(i);
        if t.gain.is_silent() {
            continue;
        }
        let plan = plan::<S>(&t.gain, len);
        if !plan.steady {
            head = head.max(plan.ramp);
        }
        if S::is_zero(plan.to) {
            continue;
        }
        if !S::is_unity(plan.to) || audible == UNITY_TALKERS {
            tail = false;
            break;
        }
        heard[audible] = t.samples;
        audible += 1;
    }
    if !tail || head == 0 || head >= len {
        return mix_general(out, count, talker);
    }
    let (out_head, out_tail) = out.split_at_mut(head);
    let tails = heard.map(|h| h.get(head..len).unwrap_or(&[]));
    mix_head(out_head, count, talker, open) + mix_unity(out_tail, &tails[..audible])
}

/// Writes in `gains` the gains of a ramp from muted to unity of
/// `gains.len()` samples, as the kernel applies them: the table
/// [`mix_head`] and [`mix_with_open`] read.
pub(crate) fn open_gains<S: Sample>(gains: &mut [S::KGain]) {
    S::open_gains(gains);
}

/// The head of a listener's frame in a tick in which routes ramp: what
/// [`mix_general`] gives for the talkers `talker(i)`, `i < count`. The usual
/// head (one talker ramping, at most one other heard steadily at unity) is
/// mixed in one pass with no accumulator; where the ramp opens from muted
/// to unity over `open.len()` samples, its gains are read from `open`
/// ([`open_gains`]).
pub(crate) fn mix_head<'a, S: Sample, F>(
    out: &mut [S],
    count: usize,
    talker: F,
    open: &[S::KGain],
) -> usize
where
    F: Fn(usize) -> Talker<'a, S>,
{
    let len = out.len();
    let mut steady: Option<&[S]> = None;
    let mut ramping: Option<(&[S], Plan<S::KGain>)> = None;
    for i in 0..count {
        let t = talker(i);
        let g = t.gain;
        if g.from == g.to || g.ramp == 0 {
            // Steady at `to`, which is seldom anything but muted or unity:
            // no conversion to the kernel's gains.
            if g.to.is_muted() {
                continue;
            }
            if is_unity::<S>(g.to) && steady.is_none() {
                steady = Some(t.samples);
                continue;
            }
            return mix_general(out, count, talker);
        }
        let p = plan::<S>(&g, len);
        if !p.steady && ramping.is_none() && p.ramp <= 1 << 30 {
            ramping = Some((t.samples, p));
        } else if p.steady && S::is_zero(p.to) {
            // Adds nothing.
        } else if p.steady && S::is_unity(p.to) && steady.is_none() {
            steady = Some(t.samples);
        } else {
            return mix_general(out, count, talker);
        }
    }
    match ramping {
        _ if len > 1 << 30 => mix_general(out, count, talker),
        Some((x, p))
            if p.ramp == open.len() && len <= p.ramp && S::is_zero(p.from) && S::is_unity(p.to) =>
        {
            S::mix_open(out, steady, x, open)
        }
        Some((x, p)) => S::mix_ramp(out, steady, x, p.from, p.to, p.ramp),
        None => mix_unity(out, steady.as_slice()),
    }
}

/// The most talkers heard steadily at unity that [`mix_unity`] mixes in one
/// pass.
pub(crate) const UNITY_TALKERS: usize = 3;

/// Mixes up to [`UNITY_TALKERS`] talkers heard steadily at unity (more are
/// ignored): what [`mix_general`] gives for them, in one pass.
pub(crate) fn mix_unity<S: Sample>(out: &mut [S], heard: &[&[S]]) -> usize {
    match *heard {
        [] => {
            out.fill(S::SILENCE);
            0
        }
        [a] => S::mix1(out, a),
        [a, b] => S::mix2(out, a, b),
        [a, b, c, ..] => S::mix3t(out, a, b, c),
    }
}

/// Mixes a whole three-party call whose listeners hear each other steadily
/// at unity: `x` holds the three talkers' frames, `out` the three
/// listeners' back to back; listener `l`
/// hears the other two, in order, where `hears[l]` says so. Gives what
/// [`mix_unity`] gives listener by listener, in one pass over memory;
/// returns the clipped samples per listener.
pub(crate) fn mix_three<S: Sample>(
    out: &mut [S],
    x: [&[S]; 3],
    hears: [[bool; 2]; 3],
) -> [usize; 3] {
    S::mix3(out, x, hears)
}

/// Who hears whom in a three-party call (as [`mix_three`] takes it) as a
/// pattern of bits: listener 0's two flags in bits 5 and 4, listener 1's in
/// 3 and 2, listener 2's in 1 and 0.
#[inline(always)]
pub(crate) fn pattern(hears: [[bool; 2]; 3]) -> u8 {
    hears
        .iter()
        .flatten()
        .fold(0u8, |m, &h| (m << 1) | u8::from(h))
}

/// [`mix_three`] for a sample type that never needs sanitizing, with who
/// hears whom as a pattern of bits (listener 0's two flags in bits 5 and 4,
/// listener 1's in 3 and 2, listener 2's in 1 and 0); `None`, having
/// written nothing, for other sample types.
pub(crate) fn mix_three_pattern<S: Sample>(
    out: &mut [S],
    x: [&[S]; 3],
    bits: u8,
) -> Option<[usize; 3]> {
    S::mix3_pattern(out, x, bits)
}

/// [`mix_three`] over frames that have not been sanitized yet: `None` when
/// some frame may hold a sample to sanitize (sanitize, then [`mix_three`]).
/// For a quiet call this saves the separate sanitizing pass.
pub(crate) fn mix_three_unsanitized<S: Sample>(
    out: &mut [S],
    x: [&[S]; 3],
    hears: [[bool; 2]; 3],
) -> Option<[usize; 3]> {
    S::mix3_unsanitized(out, x, hears)
}

/// Mixes a whole four-party call whose listeners hear each other steadily
/// at unity: `x` holds the four talkers' frames, `out` the four listeners'
/// back to back; listener `l` hears talker `t` where bit `4 * l + t` of
/// `hears` is set (never its own). Gives what [`mix_unity`] gives listener
/// by listener, in one pass over memory, and the clipped samples per
/// listener; `None`, having written nothing, for a sample type with no such
/// pass.
pub(crate) fn mix_four<S: Sample>(out: &mut [S], x: [&[S]; 4], hears: u16) -> Option<[usize; 4]> {
    S::mix4(out, x, hears)
}

/// Whether the kernel adds a talker heard steadily at `gain` unchanged.
pub(crate) fn is_unity<S: Sample>(gain: Gain) -> bool {
    // Unity itself, the usual case, without the conversion.
    gain == Gain::UNITY || S::is_unity(S::kgain(gain.linear()))
}

/// How the kernel applies one audible route over a frame of `len` samples.
struct Plan<G> {
    from: G,
    to: G,
    /// Samples of the frame that ramp, `0..=len`.
    ramp: usize,
    /// Whether the gain is `to` for the whole frame.
    steady: bool,
}

#[inline(always)]
fn plan<S: Sample>(gain: &RouteGain, len: usize) -> Plan<S::KGain> {
    let to = S::kgain(gain.to.linear());
    let from = S::kgain(gain.from.linear());
    let ramp = gain.ramp.min(len);
    Plan {
        from,
        to,
        ramp,
        steady: ramp == 0 || from == to,
    }
}

/// The general path: every talker at its own gain or ramp, accumulated wide
/// block by block and saturated once.
pub(crate) fn mix_general<'a, S: Sample, F>(out: &mut [S], count: usize, talker: F) -> usize
where
    F: Fn(usize) -> Talker<'a, S>,
{
    // The accumulator is zeroed whole when made: a short frame (the ramp of
    // a narrowband tick is 40 samples) takes a small one.
    if out.len() <= SHORT {
        general_blocks::<S, F, SHORT>(out, count, talker)
    } else {
        general_blocks::<S, F, BLOCK>(out, count, talker)
    }
}

/// Samples of the accumulator for frames (or parts of frames) this short.
const SHORT: usize = 64;

#[inline(always)]
fn general_blocks<'a, S: Sample, F, const N: usize>(out: &mut [S], count: usize, talker: F) -> usize
where
    F: Fn(usize) -> Talker<'a, S>,
{
    let len = out.len();
    let mut clipped = 0;
    let mut acc = [S::Acc::default(); N];
    let mut start = 0;
    while start < len {
        let end = (start + N).min(len);
        let acc = &mut acc[..end - start];
        if start > 0 {
            acc.fill(S::Acc::default());
        }
        for i in 0..count {
            let t = talker(i);
            if t.gain.is_silent() {
                continue;
            }
            let x = &t.samples[start..end];
            let p = plan::<S>(&t.gain, len);
            if start < p.ramp && !p.steady {
                S::add_ramp(acc, x, p.from, p.to, start, p.ramp);
            } else {
                add_steady::<S>(acc, x, p.to);
            }
        }
        clipped += S::finish(acc, &mut out[start..end]);
        start = end;
    }
    clipped
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn sums_wide_and_saturates_once() {
        let a = [30000i16; 100];
        let b = [30000i16; 100];
        let c = [-30000i16; 100];
        let mut out = [0i16; 100];
        let u = RouteGain::UNITY;
        let clipped = mix(
            &mut out,
            &[Talker::new(&a, u), Talker::new(&b, u), Talker::new(&c, u)],
        )
        .unwrap();
        assert_eq!(out, [30000; 100], "a saturating adder would give 2767");
        assert_eq!(clipped, 0);
        mix(&mut out, &[Talker::new(&a, u), Talker::new(&b, u)]).unwrap();
        assert_eq!(out, [i16::MAX; 100]);
    }

    #[test]
    fn unity_is_bit_exact_for_every_i16() {
        let all: [i16; 65536] = core::array::from_fn(|i| (i as i32 - 32768) as i16);
        let mut out = [0i16; 65536];
        mix(&mut out, &[Talker::new(&all, RouteGain::UNITY)]).unwrap();
        assert_eq!(out, all);
    }

    #[test]
    fn muted_talkers_and_no_talkers_are_silence() {
        let a = [123i16; 64];
        let mut out = [7i16; 64];
        mix::<i16>(&mut out, &[]).unwrap();
        assert_eq!(out, [0; 64]);
        out = [7; 64];
        mix(&mut out, &[Talker::new(&a, RouteGain::MUTED)]).unwrap();
        assert_eq!(out, [0; 64]);
    }

    #[test]
    fn a_ramp_moves_linearly_then_holds() {
        let a = [16384i16; 160];
        let mut out = [0i16; 160];
        let g = RouteGain::ramp(Gain::MUTED, Gain::UNITY, 40);
        mix(&mut out, &[Talker::new(&a, g)]).unwrap();
        assert_eq!(out[0], 16384 / 40);
        assert_eq!(out[19], 16384 / 2);
        for w in out[..40].windows(2) {
            assert!(w[0] < w[1], "ramp must rise every sample: {w:?}");
        }
        assert!(out[39..].iter().all(|&s| s == 16384));
    }

    #[test]
    fn length_mismatch_is_an_error_and_writes_nothing() {
        let a = [1i16; 159];
        let mut out = [9i16; 160];
        let e = mix(&mut out, &[Talker::new(&a, RouteGain::UNITY)]).unwrap_err();
        assert_eq!(
            e,
            Error::MatrixShape {
                what: "samples in a talker's frame",
                given: 159,
                expected: 160
            }
        );
        assert_eq!(out, [9; 160]);
    }

    #[test]
    fn f32_non_finite_is_replaced_and_outputs_clamp() {
        let mut x = [0.5f32, f32::NAN, f32::INFINITY, f32::NEG_INFINITY];
        assert_eq!(<f32 as private::Kernel>::sanitize(&mut x), 3);
        assert_eq!(x, [0.5, 0.0, 0.0, 0.0]);
        let a = [0.75f32; 4];
        let mut out = [0.0f32; 4];
        let clipped = mix(
            &mut out,
            &[
                Talker::new(&a, RouteGain::UNITY),
                Talker::new(&a, RouteGain::UNITY),
            ],
        )
        .unwrap();
        assert_eq!((out, clipped), ([1.0; 4], 4));
        let huge = [f32::MAX; 4];
        let neg = [-f32::MAX; 4];
        let g = RouteGain::steady(Gain::MAX);
        mix(&mut out, &[Talker::new(&huge, g), Talker::new(&neg, g)]).unwrap();
        assert!(out.iter().all(|s| s.is_finite()));
    }

    #[test]
    fn matrix_checks_shapes_first() {
        let a = [1i16; 8];
        let mut o1 = [5i16; 8];
        let mut o2 = [5i16; 7];
        let g = [Gain::UNITY; 2];
        assert!(mix_matrix(&[&a], &g, &mut [&mut o1, &mut o2]).is_err());
        assert_eq!(o1, [5; 8]);
        let mut o3 = [5i16; 8];
        assert!(mix_matrix(&[&a], &g[..1], &mut [&mut o1, &mut o3]).is_err());
        assert_eq!((o1, o3), ([5; 8], [5; 8]));
    }

    mod fast_paths {
        //! The one-pass sums and the split ramp tick give exactly what the
        //! general accumulator path gives.
        use super::super::*;
        use alloc::vec::Vec;
        use proptest::prelude::*;

        fn gain() -> impl Strategy<Value = Gain> {
            prop_oneof![
                3 => Just(Gain::UNITY),
                2 => Just(Gain::MUTED),
                1 => Just(Gain::MAX),
                1 => (0.0f32..=3.98).prop_map(|g| Gain::from_linear(g).unwrap()),
                // Rounds to unity in fixed point without being 1.0.
                1 => Just(Gain::from_linear(1.000_01).unwrap()),
            ]
        }

        fn route() -> impl Strategy<Value = RouteGain> {
            prop_oneof![
                3 => gain().prop_map(RouteGain::steady),
                2 => (gain(), gain(), prop_oneof![Just(0usize), Just(1), Just(40), 0usize..500])
                    .prop_map(|(a, b, r)| RouteGain::ramp(a, b, r)),
            ]
        }

        fn i16_sample() -> impl Strategy<Value = i16> + Clone {
            prop_oneof![
                4 => any::<i16>(),
                2 => -16384i16..16384,
                1 => Just(i16::MAX),
                1 => Just(i16::MIN),
                1 => Just(0),
            ]
        }

        fn f32_sample() -> impl Strategy<Value = f32> + Clone {
            prop_oneof![
                4 => -1.0f32..=1.0,
                2 => -0.5f32..0.5,
                1 => Just(-0.0f32),
                1 => Just(f32::NAN),
                1 => Just(f32::INFINITY),
                1 => Just(f32::NEG_INFINITY),
                1 => Just(f32::MAX),
                1 => any::<f32>(),
            ]
        }

        fn case<S: core::fmt::Debug + Clone>(
            sample: impl Strategy<Value = S> + Clone,
        ) -> impl Strategy<Value = (Vec<Vec<S>>, Vec<RouteGain>)> {
            (1usize..300, 0usize..5).prop_flat_map(move |(len, n)| {
                (
                    proptest::collection::vec(proptest::collection::vec(sample.clone(), len), n),
                    proptest::collection::vec(route(), n),
                )
            })
        }

        fn same<S: Sample>(frames: &[Vec<S>], gains: &[RouteGain], bits: impl Fn(S) -> u32) {
            let len = frames.first().map_or(7, Vec::len);
            let talker = |i: usize| Talker::new(&frames[i][..], gains[i]);
            let mut fast = alloc::vec![S::SILENCE; len];
            let mut general = alloc::vec![S::SILENCE; len];
            let a = mix_with(&mut fast, frames.len(), talker);
            let b = mix_general(&mut general, frames.len(), talker);
            let fast: Vec<u32> = fast.into_iter().map(&bits).collect();
            let general: Vec<u32> = general.into_iter().map(&bits).collect();
            assert_eq!((fast, a), (general, b));
        }

        /// A ramp head: one talker ramping, others steady (at unity, muted
        /// or silent, or anything), in any order.
        fn head_case<S: core::fmt::Debug + Clone>(
            sample: impl Strategy<Value = S> + Clone,
        ) -> impl Strategy<Value = (Vec<Vec<S>>, Vec<RouteGain>)> {
            let lengths = || prop_oneof![Just(1usize), Just(40), 1usize..400];
            let ramping = prop_oneof![
                3 => (gain(), gain(), lengths()).prop_map(|(a, b, r)| RouteGain::ramp(a, b, r)),
                // A route that opens: the ramp whose gains a table holds.
                1 => lengths().prop_map(|r| RouteGain::ramp(Gain::MUTED, Gain::UNITY, r)),
            ];
            let other = prop_oneof![
                4 => Just(RouteGain::UNITY),
                1 => Just(RouteGain::MUTED),
                1 => Just(RouteGain::ramp(Gain::MUTED, Gain::MUTED, 40)),
                1 => Just(RouteGain::ramp(Gain::UNITY, Gain::UNITY, 40)),
                1 => route(),
            ];
            (
                1usize..300,
                ramping,
                proptest::collection::vec(other, 0..3),
                0usize..3,
            )
                .prop_flat_map(move |(len, ramping, mut gains, at)| {
                    gains.insert(at.min(gains.len()), ramping);
                    (
                        proptest::collection::vec(
                            proptest::collection::vec(sample.clone(), len),
                            gains.len(),
                        ),
                        Just(gains),
                    )
                })
        }

        fn same_head<S: Sample>(frames: &[Vec<S>], gains: &[RouteGain], bits: impl Fn(S) -> u32) {
            let len = frames.first().map_or(7, Vec::len);
            let talker = |i: usize| Talker::new(&frames[i][..], gains[i]);
            let mut head = alloc::vec![S::SILENCE; len];
            let mut general = alloc::vec![S::SILENCE; len];
            let a = mix_head(&mut head, frames.len(), talker, &[]);
            let b = mix_general(&mut general, frames.len(), talker);
            // With the table of a ramp that opens over the ramp's samples:
            // read where the ramp is one, ignored where not.
            let ramp = gains
                .iter()
                .find(|g| g.from != g.to && g.ramp > 0)
                .map_or(0, |g| g.ramp.min(len));
            let mut open = alloc::vec![S::kgain(0.0); ramp];
            open_gains::<S>(&mut open);
            let mut read = alloc::vec![S::SILENCE; len];
            let c = mix_head(&mut read, frames.len(), talker, &open);
            let head: Vec<u32> = head.into_iter().map(&bits).collect();
            let read: Vec<u32> = read.into_iter().map(&bits).collect();
            let general: Vec<u32> = general.into_iter().map(&bits).collect();
            assert_eq!((&read, c), (&general, b), "with the table");
            assert_eq!((head, a), (general, b));
        }

        fn same_three<S: Sample>(x: &[S], hears: [[bool; 2]; 3], bits: impl Fn(S) -> u32) {
            let len = x.len() / 3;
            let mut fused = alloc::vec![S::SILENCE; 3 * len];
            let clipped = S::mix3(
                &mut fused,
                [&x[..len], &x[len..2 * len], &x[2 * len..3 * len]],
                hears,
            );
            let others = [[1, 2], [0, 2], [0, 1]];
            for l in 0..3 {
                let frame = |t: usize| &x[t * len..(t + 1) * len];
                let heard: Vec<&[S]> = (0..2)
                    .filter(|&k| hears[l][k])
                    .map(|k| frame(others[l][k]))
                    .collect();
                let mut one = alloc::vec![S::SILENCE; len];
                let c = mix_unity(&mut one, &heard);
                let got: Vec<u32> = fused[l * len..(l + 1) * len]
                    .iter()
                    .map(|&s| bits(s))
                    .collect();
                let want: Vec<u32> = one.into_iter().map(&bits).collect();
                assert_eq!((got, clipped[l]), (want, c), "listener {l}");
            }
        }

        /// The four-party pass against the accumulator, listener by
        /// listener: bit `4 * l + t` of `hears` says whether `l` hears `t`.
        fn same_four(x: &[i16], hears: u16) {
            let len = x.len() / 4;
            let frame = |t: usize| &x[t * len..(t + 1) * len];
            let mut fused = alloc::vec![7i16; 4 * len];
            let clipped = mix_four(&mut fused, [frame(0), frame(1), frame(2), frame(3)], hears)
                .expect("i16 has a four-party pass");
            for l in 0..4 {
                let mut one = alloc::vec![0i16; len];
                let c = mix_general(&mut one, 4, |t| {
                    let heard = t != l && hears & (1 << (4 * l + t)) != 0;
                    let gain = if heard {
                        RouteGain::UNITY
                    } else {
                        RouteGain::MUTED
                    };
                    Talker::new(frame(t), gain)
                });
                assert_eq!(
                    (&fused[l * len..(l + 1) * len], clipped[l]),
                    (&one[..], c),
                    "listener {l}, hears {hears:#06x}"
                );
            }
        }

        proptest! {
            #[test]
            fn i16_four_party_pass_matches_the_accumulator(
                x in (0usize..200, 0usize..3).prop_flat_map(|(len, level)| {
                    // Within a quarter of full scale, anything, or loud.
                    let sample = match level {
                        0 => (-8192i16..8192).boxed(),
                        1 => i16_sample().boxed(),
                        _ => prop_oneof![-32768i16..-8000, 8000i16..=32767].boxed(),
                    };
                    proptest::collection::vec(sample, 4 * len)
                }),
                hears in prop_oneof![
                    any::<u16>(),
                    // A pattern with a loop of its own, with any diagonal.
                    (proptest::sample::select(FOUR_PATTERNS), any::<u16>())
                        .prop_map(|(p, d)| p | (d & 0x8421)),
                ],
            ) {
                same_four(&x, hears);
            }

            #[test]
            fn i16_fast_paths_match_the_accumulator((frames, gains) in case(i16_sample())) {
                same(&frames, &gains, |s: i16| s as u16 as u32);
            }

            #[test]
            fn f32_fast_paths_match_the_accumulator((frames, gains) in case(f32_sample())) {
                same(&frames, &gains, f32::to_bits);
            }

            #[test]
            fn i16_ramp_heads_match_the_accumulator((frames, gains) in head_case(i16_sample())) {
                same_head(&frames, &gains, |s: i16| s as u16 as u32);
            }

            #[test]
            fn f32_ramp_heads_match_the_accumulator((frames, gains) in head_case(f32_sample())) {
                same_head(&frames, &gains, f32::to_bits);
            }

            #[test]
            fn any_heads_match_the_accumulator((frames, gains) in case(i16_sample())) {
                same_head(&frames, &gains, |s: i16| s as u16 as u32);
            }

            #[test]
            fn i16_three_talkers_near_a_quarter_of_full_scale_match_the_accumulator(
                frames in (1usize..200, prop_oneof![1i16..=8193, 8193i16..=16384])
                    .prop_flat_map(|(len, a)| {
                    // Within a quarter of full scale, just beyond it, or
                    // loud enough that three clip.
                    let sample = prop_oneof![
                        8 => -a..a,
                        1 => Just(8192i16),
                        1 => Just(-8193i16),
                        1 => Just(-8192i16),
                        1 => Just(8191i16),
                        1 => Just(a),
                    ];
                    proptest::collection::vec(proptest::collection::vec(sample, len), 3)
                }),
            ) {
                same(&frames, &[RouteGain::UNITY; 3], |s: i16| s as u16 as u32);
            }

            #[test]
            fn i16_three_party_pass_matches_listener_by_listener(
                x in proptest::collection::vec(i16_sample(), 0..600),
                hears in any::<[[bool; 2]; 3]>(),
            ) {
                same_three(&x, hears, |s: i16| s as u16 as u32);
            }

            #[test]
            fn i16_three_party_pass_counts_clips_at_every_level(
                x in (prop_oneof![Just(16383i16), Just(16384), 16385i16..i16::MAX], 0usize..3)
                    .prop_flat_map(|(a, sign)| {
                        // Both signs, or loud one way only.
                        let (lo, hi) = [(-a, a), (0, a), (-a - 1, 0)][sign];
                        proptest::collection::vec(lo..=hi, 0..60)
                    }),
                hears in any::<[[bool; 2]; 3]>(),
            ) {
                same_three(&x, hears, |s: i16| s as u16 as u32);
            }

            #[test]
            fn f32_three_party_pass_counts_clips_at_every_level(
                x in (prop_oneof![Just(0.499_999_97f32), Just(0.5), 0.5f32..1.0], 0usize..3)
                    .prop_flat_map(|(a, sign)| {
                        let (lo, hi) = [(-a, a), (0.0, a), (-a, 0.0)][sign];
                        proptest::collection::vec(lo..=hi, 0..60)
                    }),
                hears in any::<[[bool; 2]; 3]>(),
            ) {
                same_three(&x, hears, f32::to_bits);
            }

            #[test]
            fn f32_three_party_pass_matches_listener_by_listener(
                x in proptest::collection::vec(f32_sample(), 0..600),
                hears in any::<[[bool; 2]; 3]>(),
            ) {
                same_three(&x, hears, f32::to_bits);
            }
        }

        proptest! {
            #[test]
            fn i16_ramps_follow_the_documented_formula(
                from in 0i32..=65224,
                to in 0i32..=65224,
                len in 1usize..=2880,
                first in 0usize..2880,
                x in proptest::collection::vec(any::<i16>(), 1..64),
            ) {
                let mut acc = alloc::vec![0i32; x.len()];
                <i16 as private::Kernel>::add_ramp(&mut acc, &x, from, to, first, len);
                for (i, (&a, &s)) in acc.iter().zip(&x).enumerate() {
                    let k = (first + i + 1) as i64;
                    let len = len as i64;
                    let g = if k >= len {
                        to as i64
                    } else {
                        from as i64 + (to - from) as i64 * k / len
                    };
                    let want = (s as i64 * g + 8192) >> 14;
                    prop_assert_eq!(a as i64, want, "sample {}", i);
                }
            }
        }

        #[test]
        fn i16_ramp_gains_are_exact_for_every_ramp_length() {
            // At x = 16384 a sample adds its gain itself: check every gain of
            // every ramp a frame can hold against the integer formula.
            let x = [16384i16; 2880];
            let mut acc = [0i32; 2880];
            for (from, to) in [(0, 65224), (65224, 1), (16384, 0), (3, 40003)] {
                for len in 1..=2880usize {
                    acc[..len].fill(0);
                    <i16 as private::Kernel>::add_ramp(&mut acc[..len], &x, from, to, 0, len);
                    for (i, &g) in acc[..len].iter().enumerate() {
                        let k = (i + 1) as i32;
                        let want = if k >= len as i32 {
                            to
                        } else {
                            from + (to - from) * k / len as i32
                        };
                        assert_eq!(g, want, "from {from} to {to}, ramp {len}, sample {i}");
                    }
                }
            }
        }

        #[test]
        fn unity_listener_by_listener_matches_the_accumulator() {
            // mix_unity itself against the general path, at the edges.
            let a = [i16::MAX, i16::MIN, -1, 16384, -16385, 0];
            let b = [1, -1, i16::MIN, 16384, -16384, 0];
            same(
                &[a.to_vec(), b.to_vec()],
                &[RouteGain::UNITY; 2],
                |s: i16| s as u16 as u32,
            );
            let f = [-0.0f32, 0.75, f32::NAN, -0.0];
            let g = [-0.0f32, 0.5, 1.0, 0.0];
            same(
                &[f.to_vec(), g.to_vec()],
                &[RouteGain::UNITY; 2],
                f32::to_bits,
            );
            same(&[f.to_vec()], &[RouteGain::UNITY], f32::to_bits);
        }
    }
}
