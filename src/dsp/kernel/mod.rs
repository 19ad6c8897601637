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
//! flags. On x86-64 with `std`, the one-pass loops are also compiled for
//! AVX2 and chosen once at run time (the `multiversion` crate; no `unsafe`
//! code here). The benchmarks in `benches/mix.rs` measure the result beside
//! a `memcpy` of the same frames; `benches/README.md` has the figures.
//!
//! The sample types' loops live in `fixed.rs` (`i16`: Q14 gains, `i32`
//! sums) and `float.rs` (`f32`); this file holds what both share, the
//! public [`mix`] and [`mix_matrix`], and the entry points the mix plan
//! calls.

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
    private::Kernel
    + crate::dsp::vad::private::Energy
    + Copy
    + Default
    + PartialEq
    + core::fmt::Debug
    + Send
    + Sync
    + 'static
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

// The loops of each sample type: `i16` in fixed point, `f32` in floating
// point.
mod fixed;
mod float;
#[cfg(test)]
pub(crate) use fixed::FOUR_PATTERNS;

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
mod tests;
