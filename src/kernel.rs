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
//! the order the talkers are given, and the sum is clamped to `-1.0..=1.0`
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

use crate::{Error, Gain};

/// The most talkers one listener can hear in one call to [`mix`] or
/// [`mix_matrix`]: enough for any conference, and few enough that the `i16`
/// sum of as many full-scale talkers at +12 dB cannot overflow its `i32`
/// accumulator. More is [`Error::MatrixShape`].
pub const MAX_TALKERS: usize = 16_384;

/// Samples per block of the stack accumulator. Small enough to stay in L1
/// and registers, large enough to amortise the per-talker dispatch.
const BLOCK: usize = 64;

/// Fractional bits of the fixed-point gains used for `i16` samples.
const Q: u32 = 14;
/// Unity in that fixed-point format.
const Q_ONE: i32 = 1 << Q;

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
        type KGain: Copy + PartialEq;
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
        /// Saturates `acc` into `out`; returns how many samples clipped.
        fn finish(acc: &[Self::Acc], out: &mut [Self]) -> usize;
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
        // In i64: a step of up to 2^16 times an index past 2^15 (a frame
        // longer than any session's, but the kernel takes any length)
        // overflows i32. The result lies between `from` and `to`.
        let step = (to - from) as i64;
        let len = len.max(1) as i64;
        for (i, (a, &s)) in acc.iter_mut().zip(x).enumerate() {
            let k = (first + i + 1) as i64;
            let g = if k >= len {
                to
            } else {
                from + (step * k / len) as i32
            };
            *a += (s as i32 * g + (1 << (Q - 1))) >> Q;
        }
    }
    fn finish(acc: &[i32], out: &mut [i16]) -> usize {
        let mut clipped = 0usize;
        for (o, &a) in out.iter_mut().zip(acc) {
            let c = a.clamp(i16::MIN as i32, i16::MAX as i32);
            clipped += (c != a) as usize;
            *o = c as i16;
        }
        clipped
    }
    fn sanitize(_frame: &mut [i16]) -> usize {
        0
    }
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
        for (i, (a, &s)) in acc.iter_mut().zip(x).enumerate() {
            let k = first + i + 1;
            let g = if k >= len { to } else { from + step * k as f32 };
            *a += s * g;
        }
    }
    fn finish(acc: &[f32], out: &mut [f32]) -> usize {
        let mut clipped = 0usize;
        for (o, &a) in out.iter_mut().zip(acc) {
            // NaN can only come from finite inputs so large that their
            // products overflow; it becomes silence, never reaches anyone.
            let c = if a.is_nan() { 0.0 } else { a.clamp(-1.0, 1.0) };
            clipped += (c != a) as usize;
            *o = c;
        }
        clipped
    }
    fn sanitize(frame: &mut [f32]) -> usize {
        let mut replaced = 0usize;
        for s in frame.iter_mut() {
            let bad = !s.is_finite();
            replaced += bad as usize;
            *s = if bad { 0.0 } else { *s };
        }
        replaced
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
/// frame is at least as long as `out` (callers check).
pub(crate) fn mix_with<'a, S: Sample, F>(out: &mut [S], count: usize, talker: F) -> usize
where
    F: Fn(usize) -> Talker<'a, S>,
{
    let len = out.len();
    let mut clipped = 0;
    let mut acc = [S::Acc::default(); BLOCK];
    let mut start = 0;
    while start < len {
        let end = (start + BLOCK).min(len);
        let acc = &mut acc[..end - start];
        acc.fill(S::Acc::default());
        for i in 0..count {
            let t = talker(i);
            if t.gain.is_silent() {
                continue;
            }
            let x = &t.samples[start..end];
            let to = S::kgain(t.gain.to.linear());
            let from = S::kgain(t.gain.from.linear());
            let ramp = t.gain.ramp.min(len);
            if start < ramp && from != to {
                S::add_ramp(acc, x, from, to, start, ramp);
            } else if S::is_unity(to) {
                S::add(acc, x);
            } else if !S::is_zero(to) {
                S::add_scaled(acc, x, to);
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
}
