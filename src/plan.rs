//! The mix plan: what each listener hears in a tick, compiled from a route
//! matrix, and the one function that runs it.
//!
//! A control change makes the session work out a *route matrix*: for every
//! listener and talker the [`RouteGain`] of the next tick (a steady gain, or
//! a ramp from the gain in force to the new one). [`Plan::compile`] turns
//! that plain value into a plan: for each listener, which kernel mixes its
//! frame and which talkers it adds. [`Plan::run`] executes the plan over the
//! tick's frames; every loop it runs is in [`crate::kernel`]. A session whose
//! routes did not change since the last tick runs the plan it has and
//! compiles nothing.
//!
//! The plan knows nothing of roles, modes or parties: talkers and listeners
//! are positions in the matrix. Anything that talks (a party, an
//! announcement) is a column, anything that listens (a party, a recording
//! tap) a row, and a leg at another rate a conversion before its column and
//! after its row; new kinds join the matrix, not the plan's kernels.
//!
//! Whatever kernel the plan picks, the result is the general path's
//! ([`crate::kernel::mix`] over the row), bit for bit: the session's tests
//! run every tick both ways.

use alloc::vec::Vec;

use smallvec::SmallVec;

use crate::dsp::kernel::{
    is_unity, mix_four, mix_general, mix_head, mix_three, mix_three_pattern, mix_three_unsanitized,
    mix_unity, mix_with_open, pattern, RouteGain, Sample, Talker, UNITY_TALKERS,
};

/// How one listener's frame is mixed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// The listener hears the first `count` of `talkers` (positions, in
    /// order), each steadily at unity, and nobody else: the kernel's
    /// one-pass copy or sum (up to a four-party call at unity).
    Unity {
        count: u8,
        talkers: [u8; UNITY_TALKERS],
    },
    /// Anything else (gains other than unity, ramps, more talkers): the
    /// kernel's general path, which mixes the samples after the longest
    /// ramp in one pass where the targets allow it.
    General,
    /// The general path alone, with no one-pass sums: the reference every
    /// other step is tested against.
    Reference,
}

/// How a tick runs a plan in which every talker handed in a frame: chosen
/// when the plan is compiled (and when it settles), so that the tick only
/// follows it. Whichever it is, the result is the general path's, bit for
/// bit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Pass {
    /// A two-party call whose parties hear each other at unity: each hears
    /// a copy of the other.
    Copy,
    /// A three-party call each of whose listeners hears at most the other
    /// two at unity: one pass over the three frames, the kernel's loop for
    /// who hears whom (`three_bits`).
    Three,
    /// A four-party call at unity: one pass over the four frames, for who
    /// hears whom (`four`), where the sample type has one.
    Four,
    /// Every listener at unity: a copy or a one-pass sum, row by row.
    Rows,
    /// Anything else (routes that ramp, gains other than unity, talkers
    /// beyond a one-pass sum), and a tick in which a talker handed in no
    /// frame: row by row, with the general path where a row needs it.
    #[default]
    General,
}

/// A compiled mix plan for a call of `n` talkers who are also its first
/// `n` listeners (the route matrix's diagonal is muted), followed by
/// listeners who talk to no one (recording taps): `rows` listeners in all.
///
/// Laid out in the order of its fields (only speed depends on it): the
/// steps first, then in the second cache line everything a settled tick
/// reads of a plan that is not a list of rows.
#[derive(Debug, Default, PartialEq)]
#[repr(C)]
pub(crate) struct Plan {
    steps: SmallVec<[Step; 4]>,
    /// The steps of the ticks after this one, once every ramp is over:
    /// what [`Plan::settle`] turns the plan into.
    after: SmallVec<[Step; 4]>,
    n: usize,
    rows: usize,
    /// For a three-party call each of whose listeners hears at most the
    /// other two at unity once its ramps are over: who hears whom (the first
    /// and the second of the other two) for the one-pass three-party sum,
    /// and the samples at the head of each listener's frame that ramp.
    three: Option<([[bool; 2]; 3], [u16; 3])>,
    /// For a steady four-party plan whose parties' rows are one-pass sums:
    /// who hears whom, as [`mix_four`] takes it.
    four: Option<u16>,
    /// Whether some route ramps this tick: the plan of the ticks after it
    /// is another one.
    ramps: bool,
    /// Whether the plan looks at the frames on its way
    /// ([`Plan::sanitizes_itself`]): it has the fused three-party sum, and no
    /// head of a frame ramps.
    checks_frames: bool,
    /// How a tick in which every talker handed in a frame runs the plan:
    /// in one pass (no route ramps, and every listener is the fused
    /// three-party sum's or a [`Step::Unity`]; the listeners after the
    /// talkers, taps, a [`Step::Unity`]), or row by row.
    pass: Pass,
    /// For a steady plan with the one-pass three-party sum: who hears whom
    /// as the kernel's pattern of bits ([`pattern`]).
    three_bits: u8,
    /// For the one-pass three-party sum in a tick whose routes ramp: for
    /// each listener whose head is one route opening from muted to unity
    /// (beside at most one talker heard steadily at unity, and nobody
    /// else), the talker whose route opens and the steady one
    /// ([`opening`]).
    opens: [Option<(u8, Option<u8>)>; 3],
    /// For a plan that ramps, what [`Plan::classify`] works out of the plan
    /// it settles into (for one that does not, of itself): what
    /// [`Plan::settle`] sets.
    settled: Class,
}

clone_by_fields!(impl[] Plan {
    steps, after, n, rows, three, four, ramps, checks_frames, pass, three_bits, opens, settled,
});

/// A plan for frames that were not sanitized found a frame that needs it:
/// sanitize the frames and run the plan again.
#[derive(Debug)]
pub(crate) struct NeedsSanitizing;

/// What [`Plan::compile`] needs to know of one listener's row of the
/// route matrix.
struct RowShape {
    /// The first talkers heard at their targets (up to [`UNITY_TALKERS`]),
    /// in order, and how many there are.
    talkers: [u8; UNITY_TALKERS],
    count: u8,
    /// Bit `t`: talker `t` is one of `talkers`.
    heard: u32,
    /// The samples at the head of the frame that ramp.
    head: usize,
    /// Whether every talker heard at its target is heard at unity, and
    /// `talkers` holds them all.
    at_unity: bool,
}

impl RowShape {
    /// The shape of listener `l`'s `row`, for frames of `len` samples.
    #[inline(always)]
    fn of<S: Sample>(row: &[RouteGain], l: usize, len: usize) -> RowShape {
        let mut shape = RowShape {
            talkers: [0; UNITY_TALKERS],
            count: 0,
            heard: 0,
            head: 0,
            at_unity: true,
        };
        for (t, g) in row.iter().enumerate() {
            if g.to.is_muted() {
                // Silent, or closing: only its ramp matters.
                if t != l && !g.from.is_muted() && g.ramp > 0 {
                    shape.head = shape.head.max(g.ramp.min(len));
                }
                continue;
            }
            if t == l {
                continue;
            }
            if g.from != g.to && g.ramp > 0 {
                shape.head = shape.head.max(g.ramp.min(len));
            }
            let count = usize::from(shape.count);
            if count == UNITY_TALKERS || !is_unity::<S>(g.to) {
                shape.at_unity = false;
                continue;
            }
            // `t < MAX_PARTIES`, which fits in a u8.
            shape.talkers[count] = t as u8;
            if t < 3 {
                // Only the three-party sum asks.
                shape.heard |= 1 << t;
            }
            shape.count += 1;
        }
        shape
    }
}

impl Plan {
    /// Makes room for a plan of `n` listeners, so that compiling one
    /// allocates nothing.
    pub(crate) fn reserve(&mut self, n: usize) {
        self.steps.reserve(n.saturating_sub(self.steps.len()));
        self.after.reserve(n.saturating_sub(self.after.len()));
    }

    /// Whether some route of this plan ramps, so that the ticks after it
    /// need a plan of their own.
    pub(crate) fn ramps(&self) -> bool {
        self.ramps
    }

    /// Whether running this plan mixes frames that were not sanitized, and
    /// sanitizes them only when one needs it.
    pub(crate) fn sanitizes_itself(&self) -> bool {
        self.checks_frames
    }

    /// Compiles the route matrix `gains` (`rows × n`, row-major: at
    /// `l * n + t`, how listener `l` hears talker `t`; the first `n`
    /// listeners are the talkers) for frames of `len` samples. With
    /// `general_only`, every listener takes the general path (the reference
    /// the tests compare with).
    pub(crate) fn compile<S: Sample>(
        &mut self,
        gains: &[RouteGain],
        n: usize,
        rows: usize,
        len: usize,
        general_only: bool,
    ) {
        self.n = n;
        self.rows = if n == 0 { 0 } else { rows };
        let matrix = gains.chunks_exact(n.max(1)).take(self.rows);
        // One step each for the rows the matrix holds, written in place
        // (usually as many as before): no check of the room left per push.
        for steps in [&mut self.steps, &mut self.after] {
            if steps.len() != matrix.len() {
                steps.clear();
                steps.resize(matrix.len(), Step::General);
            }
        }
        let mut ramps = false;
        let mut unity = [[false; 2]; 3];
        let mut heads = [0u16; 3];
        let mut opens = [None; 3];
        let mut fused = n == 3 && !general_only;
        let rows = matrix.zip(self.steps.iter_mut().zip(self.after.iter_mut()));
        for (l, (row, (step, after))) in rows.enumerate() {
            let shape = RowShape::of::<S>(row, l, len);
            ramps |= shape.head != 0;
            *after = if general_only {
                Step::Reference
            } else if shape.at_unity {
                Step::Unity {
                    count: shape.count,
                    talkers: shape.talkers,
                }
            } else {
                Step::General
            };
            *step = match *after {
                Step::Unity { .. } if shape.head != 0 => Step::General,
                after => after,
            };
            if l >= 3 {
                // A listener who talks to no one: not part of the sum.
            } else if fused && shape.at_unity && shape.count <= 2 {
                // The other two, in order: for listener 0 talkers 1 and 2.
                let others = match l {
                    0 => [1, 2],
                    1 => [0, 2],
                    _ => [0, 1],
                };
                unity[l] = others.map(|o| shape.heard & (1 << o) != 0);
                // A head is at most a frame (2,880 samples at most).
                heads[l] = u16::try_from(shape.head).unwrap_or(u16::MAX);
                if shape.head != 0 {
                    opens[l] = opening::<S>(row, l);
                }
            } else {
                fused = false;
            }
        }
        self.ramps = ramps;
        self.three = fused.then_some((unity, heads));
        self.checks_frames = fused && heads == [0; 3];
        self.opens = if fused { opens } else { [None; 3] };
        self.classify();
    }

    /// After a tick whose routes ramped: the plan of the ticks after it,
    /// in which every route is steady at its target. Gives what
    /// [`Plan::compile`] gives for that matrix (each gain `g` replaced by
    /// `RouteGain::steady(g.to)`), without compiling again.
    pub(crate) fn settle(&mut self) {
        if !self.ramps {
            return;
        }
        // One step each, row by row: the same lengths.
        self.steps.copy_from_slice(&self.after);
        if let Some((_, heads)) = &mut self.three {
            *heads = [0; 3];
        }
        self.checks_frames = self.three.is_some();
        self.opens = [None; 3];
        self.ramps = false;
        self.set_class(self.settled);
    }

    /// Works out how the plan runs ([`Pass`]); and, for a plan that ramps,
    /// how the plan it settles into runs.
    fn classify(&mut self) {
        let now = self.class_of(&self.steps, self.ramps);
        self.settled = if self.ramps {
            self.class_of(&self.after, false)
        } else {
            now
        };
        self.set_class(now);
    }

    /// What [`Plan::classify`] works out of a plan of `steps` (the steps of
    /// this plan or the ones it settles into) that `ramps` or not.
    fn class_of(&self, steps: &[Step], ramps: bool) -> Class {
        let n = self.n;
        let unity = |s: &Step| matches!(s, Step::Unity { .. });
        // The parties' rows are the fused sum's or one-pass sums; the rows
        // after them (taps) one-pass sums.
        let one_pass = !ramps
            && n != 0
            && steps.len() == self.rows
            && (self.three.is_some() || steps.iter().take(n).all(unity))
            && steps.iter().skip(n).all(unity);
        // Two parties who hear each other at unity: each output is a copy.
        let one = |t: u8| Step::Unity {
            count: 1,
            talkers: [t, 0, 0],
        };
        let four = four_hears(n, steps).filter(|_| one_pass);
        let pass = if !one_pass {
            Pass::General
        } else if n == 2 && steps.get(..2) == Some(&[one(1), one(0)]) {
            Pass::Copy
        } else if self.three.is_some() {
            Pass::Three
        } else if four.is_some() {
            Pass::Four
        } else {
            Pass::Rows
        };
        Class {
            pass,
            three_bits: self.three.map_or(0, |(unity, _)| pattern(unity)),
            four,
        }
    }

    /// Sets the fields [`Plan::classify`] works out.
    fn set_class(&mut self, class: Class) {
        self.pass = class.pass;
        self.three_bits = class.three_bits;
        self.four = class.four;
    }

    /// Mixes one tick: `frame(t)` is talker `t`'s frame of `len` samples,
    /// `outputs` holds one frame per talker back to back and `taps` the
    /// frames of the listeners after them (each item some of those
    /// listeners' frames back to back: a tap's), in the order of the matrix
    /// the plan was compiled from, `gains` is that matrix, and bit `t` of
    /// `has` says whether talker `t` handed in a frame (one that did not is
    /// silence, whatever `frame(t)` holds; `None`: every talker did). `clipped(l, k)` is told of the
    /// `k` clipped samples of listener `l`.
    ///
    /// With `sanitized` false, the inputs may hold samples that nobody may
    /// hear (non-finite `f32`): a plan that [sanitizes
    /// itself](Plan::sanitizes_itself) checks, and returns
    /// [`NeedsSanitizing`] having told `clipped` nothing when one does.
    /// Other plans must be given sanitized inputs.
    ///
    /// `open` holds the gains of a route that opens from muted to unity
    /// over `open.len()` samples (the session's ramp), which such a ramp
    /// reads rather than computes.
    ///
    /// Runs the plan as it was compiled to run ([`Pass`]): in one pass when
    /// it can and every talker handed in a frame, else row by row. Returns
    /// whether it ran in one pass.
    // The route matrix and the opening ramp by reference to their vectors:
    // a tick that runs in one pass reads neither.
    #[allow(clippy::too_many_arguments, clippy::ptr_arg)]
    #[inline(always)]
    pub(crate) fn run<'a, 'o, S: Sample + 'a + 'o>(
        &self,
        gains: &Vec<RouteGain>,
        open: &Vec<S::KGain>,
        frame: impl Fn(usize) -> &'a [S],
        outputs: &'o mut [S],
        taps: impl Iterator<Item = &'o mut [S]>,
        len: usize,
        has: Option<u32>,
        sanitized: bool,
        clipped: impl FnMut(usize, usize),
    ) -> Result<bool, NeedsSanitizing> {
        // Bits `0..n`: every talker (`n <= 32`).
        let everyone = || ((1u64 << self.n.min(32)) - 1) as u32;
        let has = match has {
            None if self.pass != Pass::General => {
                self.run_one_pass(frame, outputs, taps, len, sanitized, clipped)?;
                return Ok(true);
            }
            None => everyone(),
            Some(has) if self.pass != Pass::General && has == everyone() => {
                self.run_one_pass(frame, outputs, taps, len, sanitized, clipped)?;
                return Ok(true);
            }
            Some(has) => has,
        };
        self.run_rows(
            gains, open, frame, outputs, taps, len, has, sanitized, clipped,
        )?;
        Ok(false)
    }

    /// [`Plan::run`] in one pass, over a tick in which every talker handed
    /// in a frame: what [`Plan::run_rows`] gives, without its look-ups.
    #[inline(always)]
    fn run_one_pass<'a, 'o, S: Sample + 'a + 'o>(
        &self,
        frame: impl Fn(usize) -> &'a [S],
        outputs: &mut [S],
        taps: impl Iterator<Item = &'o mut [S]>,
        len: usize,
        sanitized: bool,
        mut clipped: impl FnMut(usize, usize),
    ) -> Result<(), NeedsSanitizing> {
        debug_assert!(self.pass != Pass::General);
        let rows = match self.pass {
            Pass::Copy => match outputs.get_mut(..2 * len).map(|o| o.split_at_mut(len)) {
                Some((out0, out1)) => {
                    // A copy for `i16`; an `f32` frame beyond full scale
                    // clips.
                    let k = [mix_unity(out0, &[frame(1)]), mix_unity(out1, &[frame(0)])];
                    report(k, &mut clipped);
                    false
                }
                None => true,
            },
            Pass::Three => match self.three {
                Some((unity, _)) => {
                    let x = [frame(0), frame(1), frame(2)];
                    let k = match mix_three_pattern(outputs, x, self.three_bits) {
                        // A sample type that needs no cleaning, by its
                        // pattern.
                        Some(k) => k,
                        None if sanitized => mix_three(outputs, x, unity),
                        None => mix_three_unsanitized(outputs, x, unity).ok_or(NeedsSanitizing)?,
                    };
                    report(k, &mut clipped);
                    false
                }
                None => true,
            },
            Pass::Four => {
                let x = [frame(0), frame(1), frame(2), frame(3)];
                match self.four.and_then(|hears| mix_four(outputs, x, hears)) {
                    Some(k) => {
                        report(k, &mut clipped);
                        false
                    }
                    // A sample type without a four-party loop: row by row.
                    None => true,
                }
            }
            Pass::Rows | Pass::General => true,
        };
        if rows {
            // Rows by index, not by `chunks_exact_mut`: no division.
            for (l, &step) in self.steps.iter().take(self.n).enumerate() {
                let Some(out) = outputs.get_mut(l * len..(l + 1) * len) else {
                    break;
                };
                let k = unity_row(step, out, &frame);
                if k != 0 {
                    clipped(l, k);
                }
            }
        }
        let mut l = self.n;
        for frames in taps {
            let mut c = 0;
            while let (Some(out), Some(&step)) =
                (frames.get_mut(c * len..(c + 1) * len), self.steps.get(l))
            {
                let k = unity_row(step, out, &frame);
                if k != 0 {
                    clipped(l, k);
                }
                l += 1;
                c += 1;
            }
        }
        Ok(())
    }

    /// [`Plan::run`] row by row: the fused three-party sum where the plan
    /// has one (its heads ramping on the general path), then each row by
    /// its step.
    #[allow(clippy::too_many_arguments)]
    #[inline(never)]
    fn run_rows<'a, 'o, S: Sample + 'o>(
        &self,
        gains: &[RouteGain],
        open: &[S::KGain],
        frame: impl Fn(usize) -> &'a [S],
        outputs: &'o mut [S],
        taps: impl Iterator<Item = &'o mut [S]>,
        len: usize,
        has: u32,
        sanitized: bool,
        mut clipped: impl FnMut(usize, usize),
    ) -> Result<(), NeedsSanitizing> {
        let n = self.n;
        if n == 0 {
            // Nobody talks: the listeners who are not talkers hear silence.
            taps.for_each(|frames| frames.fill(S::SILENCE));
            return Ok(());
        }
        let has_t = |t: usize| has & (1 << t) != 0;
        let mut first = 0;
        let parties = outputs;
        if let Some((unity, heads)) = self.three {
            let hears = heard_now([has_t(0), has_t(1), has_t(2)], unity);
            let x = [frame(0), frame(1), frame(2)];
            let fused = if sanitized {
                mix_three(parties, x, hears)
            } else {
                mix_three_unsanitized(parties, x, hears).ok_or(NeedsSanitizing)?
            };
            // Rows by index, not by `chunks_exact`: no division.
            for l in 0..3 {
                let out = parties.get_mut(l * len..(l + 1) * len);
                let (Some(out), Some(row)) = (out, gains.get(l * n..(l + 1) * n)) else {
                    break;
                };
                let head = usize::from(heads[l]);
                let k = if head == 0 {
                    fused[l]
                } else {
                    // The head ramps: the general path mixes it again. The
                    // rest is the fused sum's; its clips are counted again
                    // only where the fused sum saw any.
                    let talker = |t: usize| {
                        let gain = if has_t(t) { row[t] } else { RouteGain::MUTED };
                        Talker::new(frame(t), gain)
                    };
                    let (out_head, out_tail) = out.split_at_mut(head.min(len));
                    let tail = if fused[l] == 0 {
                        0
                    } else {
                        let mut heard: [&[S]; 2] = [&[], &[]];
                        let mut k = 0;
                        for t in (0..n).filter(|&t| !talker(t).gain.to.is_muted()).take(2) {
                            heard[k] = &frame(t)[head..];
                            k += 1;
                        }
                        mix_unity(out_tail, &heard[..k])
                    };
                    // A route that opens over the ramp, its gains in
                    // `open`, beside at most one talker heard steadily: one
                    // pass, the talkers known from the plan.
                    let known = self.opens[l].filter(|&(r, steady)| {
                        open.len() == out_head.len()
                            && has_t(usize::from(r))
                            && steady.map_or(true, |t| has_t(usize::from(t)))
                    });
                    let head = match known {
                        Some((r, steady)) => {
                            let steady = steady.map(|t| frame(usize::from(t)));
                            S::mix_open(out_head, steady, frame(usize::from(r)), open)
                        }
                        // The diagonal is muted: the other two, in order.
                        None => {
                            let others = [[1, 2], [0, 2], [0, 1]][l];
                            mix_head(out_head, 2, |i| talker(others[i]), open)
                        }
                    };
                    head + tail
                };
                if k != 0 {
                    clipped(l, k);
                }
            }
            // The fused sum saw every frame: the rows after it read clean
            // ones.
            first = 3;
        }
        // Rows past the matrix, the steps or the frames are left alone. By
        // index, not by `chunks_exact`: no division.
        let rows = self.rows.min(self.steps.len());
        let steps = &self.steps[..rows];
        let row = |l: usize| gains.get(l * n..(l + 1) * n).filter(|_| l < rows);
        // The parties' rows: as many as there are output frames (`n`, the
        // frames being of `len > 0` samples).
        let mut l = first;
        while l < n {
            let (Some(out), Some(row)) = (parties.get_mut(l * len..(l + 1) * len), row(l)) else {
                break;
            };
            let k = mix_row(steps[l], out, row, n, &frame, has, open);
            if k != 0 {
                clipped(l, k);
            }
            l += 1;
        }
        for frames in taps {
            let mut c = 0;
            while let (Some(out), Some(row)) = (frames.get_mut(c * len..(c + 1) * len), row(l)) {
                let k = mix_row(steps[l], out, row, n, &frame, has, open);
                if k != 0 {
                    clipped(l, k);
                }
                l += 1;
                c += 1;
            }
        }
        Ok(())
    }

    /// For tests: who hears whom in the one-pass three-party sum, if the
    /// plan uses it.
    #[cfg(test)]
    pub(crate) fn three(&self) -> Option<[[bool; 2]; 3]> {
        self.three.map(|(unity, _)| unity)
    }

    /// For tests: who hears whom in the one-pass four-party sum, if the
    /// plan uses it.
    #[cfg(test)]
    pub(crate) fn four(&self) -> Option<u16> {
        self.four
    }
}

/// For a four-party plan (`n` is 4) whose parties' `steps` are one-pass
/// sums: who hears whom, as [`mix_four`] takes it.
fn four_hears(n: usize, steps: &[Step]) -> Option<u16> {
    if n != 4 || steps.len() < 4 {
        return None;
    }
    let mut hears = 0u16;
    for (l, step) in steps.iter().take(4).enumerate() {
        let Step::Unity { count, talkers } = *step else {
            return None;
        };
        for &t in &talkers[..usize::from(count).min(UNITY_TALKERS)] {
            hears |= 1 << (4 * l + usize::from(t & 3));
        }
    }
    Some(hears)
}

/// What [`Plan::classify`] works out of a plan.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Class {
    pass: Pass,
    three_bits: u8,
    four: Option<u16>,
}

/// For listener `l`'s `row` of a tick whose routes ramp: when the head of
/// its frame is one route opening from muted to unity (the session's
/// ramp, whose gains [`Plan::run`] is given) beside at most one talker
/// heard steadily at unity, and every other route adds nothing, the talker
/// whose route opens and the steady one. What [`mix_head`] then mixes is
/// the kernel's `mix_open` of the two.
fn opening<S: Sample>(row: &[RouteGain], l: usize) -> Option<(u8, Option<u8>)> {
    let (mut opens, mut steady) = (None, None);
    for (t, g) in row.iter().enumerate() {
        let still = g.from == g.to || g.ramp == 0;
        if t == l || (g.to.is_muted() && (still || g.from.is_muted())) {
            continue;
        }
        // `t < MAX_PARTIES`, which fits in a u8.
        if g.from.is_muted() && g.ramp > 0 && is_unity::<S>(g.to) && opens.is_none() {
            opens = Some(t as u8);
        } else if still && is_unity::<S>(g.to) && steady.is_none() {
            steady = Some(t as u8);
        } else {
            return None;
        }
    }
    opens.map(|t| (t, steady))
}

/// Tells `clipped` of the clipped samples `k[l]` of each listener `l`
/// that clipped any: one test when none did.
#[inline(always)]
fn report<const N: usize>(k: [usize; N], clipped: &mut impl FnMut(usize, usize)) {
    if k.iter().fold(0, |any, &k| any | k) == 0 {
        return;
    }
    for (l, k) in k.into_iter().enumerate() {
        if k != 0 {
            clipped(l, k);
        }
    }
}

/// Mixes the listener's frame `out` of a steady plan's `step` (a
/// [`Step::Unity`]) from `frame(t)`, every talker's frame; returns the
/// clipped samples.
#[inline(always)]
fn unity_row<'a, S: Sample + 'a>(
    step: Step,
    out: &mut [S],
    frame: &impl Fn(usize) -> &'a [S],
) -> usize {
    match step {
        Step::Unity { count, talkers } => {
            // Every talker handed in a frame.
            let (heard, k) = heard_unity(talkers, count, frame, u32::MAX);
            mix_unity(out, &heard[..k])
        }
        // Not in a steady plan.
        Step::General | Step::Reference => 0,
    }
}

/// The frames of the first `count` of `talkers` that handed one in (bit
/// `t` of `has`), and how many there are.
#[inline(always)]
fn heard_unity<'a, S: Sample>(
    talkers: [u8; UNITY_TALKERS],
    count: u8,
    frame: &impl Fn(usize) -> &'a [S],
    has: u32,
) -> ([&'a [S]; UNITY_TALKERS], usize) {
    let mut heard: [&[S]; UNITY_TALKERS] = [&[]; UNITY_TALKERS];
    let mut k = 0;
    for &t in &talkers[..usize::from(count).min(UNITY_TALKERS)] {
        let t = usize::from(t);
        if has & (1 << t) != 0 {
            heard[k] = frame(t);
            k += 1;
        }
    }
    (heard, k)
}

/// Mixes one listener's frame `out` by `step`, `row` being how it hears
/// each of the `n` talkers (`open` as [`Plan::run`] takes it); returns the
/// clipped samples.
#[inline(always)]
fn mix_row<'a, S: Sample>(
    step: Step,
    out: &mut [S],
    row: &[RouteGain],
    n: usize,
    frame: &impl Fn(usize) -> &'a [S],
    has: u32,
    open: &[S::KGain],
) -> usize {
    match step {
        Step::Unity { count, talkers } => {
            let (heard, k) = heard_unity(talkers, count, frame, has);
            mix_unity(out, &heard[..k])
        }
        Step::General | Step::Reference => {
            let talker = |t: usize| {
                let gain = if has & (1 << t) != 0 {
                    row[t]
                } else {
                    RouteGain::MUTED
                };
                Talker::new(frame(t), gain)
            };
            if step == Step::General {
                mix_with_open(out, n, talker, open)
            } else {
                mix_general(out, n, talker)
            }
        }
    }
}

/// What each listener of a three-party call hears this tick: what the plan
/// says, of the talkers that handed in a frame.
fn heard_now(has: [bool; 3], hears: [[bool; 2]; 3]) -> [[bool; 2]; 3] {
    [
        [hears[0][0] && has[1], hears[0][1] && has[2]],
        [hears[1][0] && has[0], hears[1][1] && has[2]],
        [hears[2][0] && has[0], hears[2][1] && has[1]],
    ]
}
