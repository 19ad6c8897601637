//! The tick: frames in, tones played, legs converted into the call's
//! format, digits found, the plan run, legs converted back, taps finished,
//! routes moved on, statistics and events.
//!
//! There is one path for every call. What a call does not use (a tone, a
//! leg at another format, a digit detector, routes to work out) is a stage
//! the tick skips; how each listener's frame is mixed is the plan's own
//! choice, made when the plan was compiled
//! ([`Plan::run`](crate::plan::Plan::run)).

use super::frames::NOT_BORROWED;
use super::taps::TapClips;
use super::{Session, MAX_PARTIES};
use crate::dsp::kernel::Sample;
use crate::error::Error;
use crate::id::PartyId;
use crate::plan::NeedsSanitizing;
use crate::policy::consent::Consent;
use crate::route::Role;

/// Where a tick finds each party's frame, and what the parties need of it.
///
/// Where the host lent one frame per party in the parties' order
/// ([`Session::mix_frames`]), party `i`'s frame is `lent[i]`; the tick
/// knows this as its `IN_ORDER` parameter, so that it looks nothing up.
/// Otherwise party `i`'s frame is `lent[at[i]]`, or, where that is
/// [`NOT_BORROWED`], in its own buffer.
#[derive(Clone, Copy)]
struct Frames<'f, S> {
    lent: &'f [(PartyId, &'f [S])],
    at: [u8; MAX_PARTIES],
    /// Bit `i`: party `i` handed in a frame (a party on a leg at another
    /// format always has one at the call's: silence where it handed in
    /// none).
    has: u32,
    /// Whether every party is [plain](super::party::Party::is_plain): then
    /// the tick has nothing to do but run the plan, once its routes are
    /// worked out.
    plain: bool,
}

impl<'f, S> Frames<'f, S> {
    /// Frames lent in the parties' order: where each is, who handed one in
    /// and whether the parties are plain, known without looking
    /// ([`Session::run_tick`] with `IN_ORDER`).
    #[inline(always)]
    fn in_order(lent: &'f [(PartyId, &'f [S])]) -> Frames<'f, S> {
        Frames {
            lent,
            at: [NOT_BORROWED; MAX_PARTIES],
            has: 0,
            plain: true,
        }
    }

    /// Party `t`'s frame, if the host lent it.
    #[inline(always)]
    fn lent<const IN_ORDER: bool>(&self, t: usize) -> Option<&'f [S]> {
        lent_at::<IN_ORDER, S>(self.lent, &self.at, t)
    }
}

/// Party `t`'s frame in `lent`: at `t` if `IN_ORDER`, else at `at[t]`.
#[inline(always)]
fn lent_at<'f, const IN_ORDER: bool, S>(
    lent: &'f [(PartyId, &'f [S])],
    at: &[u8; MAX_PARTIES],
    t: usize,
) -> Option<&'f [S]> {
    let k = if IN_ORDER {
        t
    } else {
        usize::from(*at.get(t)?)
    };
    lent.get(k).map(|&(_, frame)| frame)
}

/// Where each of `n` frames lent in the parties' order is, by party
/// ([`Frames::at`]).
fn by_party(n: usize) -> [u8; MAX_PARTIES] {
    let mut at = [NOT_BORROWED; MAX_PARTIES];
    for (k, at) in at.iter_mut().enumerate().take(n) {
        // `k < MAX_PARTIES`, which fits in a u8.
        *at = k as u8;
    }
    at
}

/// What a tick does after the plan, besides counting it: what
/// [`Session::before_plan`] found to do.
#[derive(Debug, Clone, Copy)]
struct After {
    /// Bit `i`: party `i` handed in a frame (before digits silenced any).
    handed: u32,
    /// Legs at another format to convert back.
    legs: bool,
    /// Routes worked out for the tick, to move on after it.
    commit: bool,
    /// A route held closed this tick.
    held: bool,
    /// The disclosure played to its end in the tick.
    disclosed: bool,
}

/// # The tick
///
/// Once per tick (10–60 ms, the call's frame duration): mix the frames
/// handed in since the last tick, or lent now. See [the run
/// loop](crate#run-loop).
impl<S: Sample> Session<S> {
    /// Mixes one tick: every party's output frame becomes what it must hear
    /// of the frames handed in since the last tick, which are then
    /// forgotten. Never fails, never allocates, never panics.
    pub fn mix(&mut self) {
        let frames = self.own_frames([NOT_BORROWED; MAX_PARTIES], &[]);
        self.run_tick::<false>(frames);
    }

    /// Mixes one tick from borrowed frames: each `(party, frame)` of
    /// `frames` is that party's frame for this tick, as if handed to
    /// [`Session::put_frame`], but read where it is, without a copy. Parties
    /// not in `frames` are mixed as [`Session::mix`] would mix them (a frame
    /// handed in with [`Session::put_frame`] or [`Session::frame_mut`], or
    /// silence).
    ///
    /// Everything is checked before anything is mixed: a frame of the wrong
    /// length is [`Error::FrameLength`], a party not on the call is the
    /// error [`Session::put_frame`] gives, and a party twice in `frames`, or
    /// one that already handed in its frame this tick (or lost it, or, on a
    /// leg of shorter frames, took any of the tick's frames, skipped ones
    /// included: a lent frame holds all of them), is
    /// [`Error::DuplicateFrame`]; on an error nothing is mixed and nothing
    /// changes. Allocates nothing. A non-finite `f32` sample in a borrowed
    /// frame reaches nobody, as with [`Session::put_frame`]: that frame is
    /// then copied and cleaned.
    ///
    /// Fastest with a frame for every party, in the parties' order (the
    /// order of joining, as [`Session::parties`] lists them): the checks are
    /// then one comparison per party, and nothing is looked up. Any other
    /// order mixes the same, bit for bit.
    ///
    /// ```
    /// use barge::{Format, Join, Mode, Role, Session};
    /// let mut call = Session::<i16>::new(Format::NARROWBAND_20MS);
    /// let (c, a) = (call.join(Role::Customer)?, call.join(Role::Agent)?);
    /// let v = call.join(Join::supervisor(Mode::Whisper))?;
    /// let (from_c, from_a, from_v) = ([100i16; 160], [20i16; 160], [3i16; 160]);
    /// call.mix_frames(&[(c, &from_c), (a, &from_a), (v, &from_v)])?;
    /// assert_eq!(call.output(c)?[159], 20); // the whisper is not there
    /// # Ok::<(), barge::Error>(())
    /// ```
    pub fn mix_frames(&mut self, frames: &[(PartyId, &[S])]) -> Result<(), Error> {
        if self.lent_in_order(frames) {
            self.run_tick::<true>(Frames::in_order(frames));
            return Ok(());
        }
        self.mix_lent(frames)
    }

    /// [`Session::mix_frames`] of frames not in the parties' order.
    #[inline(never)]
    fn mix_lent(&mut self, frames: &[(PartyId, &[S])]) -> Result<(), Error> {
        let lent = self.lent(frames)?;
        self.run_tick::<false>(lent);
        Ok(())
    }

    /// The frames of a tick: `lent` at `at`, the rest in the parties' own
    /// buffers.
    #[inline(always)]
    fn own_frames<'f>(
        &self,
        at: [u8; MAX_PARTIES],
        lent: &'f [(PartyId, &'f [S])],
    ) -> Frames<'f, S> {
        let (mut has, mut plain) = (0u32, true);
        for (i, (p, &k)) in self.parties.iter().zip(&at).enumerate() {
            has |= u32::from(p.has_input || k != NOT_BORROWED || p.leg.is_some()) << i;
            plain &= p.is_plain();
        }
        Frames {
            lent,
            at,
            has,
            plain,
        }
    }

    /// Whether `frames` hold one frame of the call's length for each party,
    /// in the parties' order, every party plain and none with a frame of its
    /// own, and no frame in need of cleaning where the plan does not look:
    /// every check [`Session::lent`] makes, passed.
    #[inline(always)]
    fn lent_in_order(&self, frames: &[(PartyId, &[S])]) -> bool {
        if frames.len() != self.parties.len() {
            return false;
        }
        let checked = self.plan.sanitizes_itself();
        for (&(id, frame), p) in frames.iter().zip(self.parties.iter()) {
            if id != p.id || frame.len() != self.spf || !p.is_plain() || p.has_input {
                return false;
            }
            if !checked && S::needs_sanitizing(frame) {
                return false;
            }
        }
        true
    }

    /// `frames`, each checked: its party on the call, its length its leg's,
    /// due ([`Session::frame_due`]), and no party twice or with a frame of
    /// its own.
    fn lent<'f>(&self, frames: &'f [(PartyId, &'f [S])]) -> Result<Frames<'f, S>, Error> {
        let mut at = [NOT_BORROWED; MAX_PARTIES];
        for (k, &(party, frame)) in frames.iter().enumerate() {
            let i = self.index(party)?;
            let p = &self.parties[i];
            // A frame of the call's length from a party on no leg and
            // playing no tone passes both checks: skip them.
            if frame.len() != self.spf || p.leg.is_some() || p.tone.is_some() {
                self.check_lent_length(i, frame)?;
                self.check_due(i)?;
            }
            if self.has_taken_any(i) || at[i] != NOT_BORROWED {
                return Err(Error::DuplicateFrame {
                    party,
                    tick: self.tick,
                });
            }
            // `k < frames.len() <= MAX_PARTIES`: each party at most once.
            at[i] = k as u8;
        }
        Ok(self.own_frames(at, frames))
    }

    /// One tick over `frames` (in the parties' order if `IN_ORDER`).
    #[inline(always)]
    fn run_tick<const IN_ORDER: bool>(&mut self, mut frames: Frames<'_, S>) {
        if (IN_ORDER || frames.plain) && self.settled && !self.general_only() {
            // A settled call of plain parties: nothing to do but the plan.
            // (The call's signals make no party plain: they are looked
            // at below.)
            let handed = (!IN_ORDER).then_some(frames.has);
            self.run_plan::<IN_ORDER>(frames, handed);
            self.count_tick(handed, false);
        } else {
            if IN_ORDER {
                // Plain parties, each of which lent its frame.
                frames.has = everyone(frames.lent.len());
            }
            let after = self.before_plan(&mut frames);
            if self.signals.is_some() {
                self.observe_signals::<IN_ORDER>(&frames, frames.has);
            }
            let handed = (!IN_ORDER).then_some(frames.has);
            self.run_plan::<IN_ORDER>(frames, handed);
            self.after_plan(after);
            self.count_tick(Some(after.handed), after.legs);
        }
        self.tick = self.tick.wrapping_add(1);
    }

    /// The stages of a tick before the plan: tones played, the routes of
    /// the tick, legs converted into the call's format, digits found.
    #[inline(always)]
    fn before_plan(&mut self, frames: &mut Frames<'_, S>) -> After {
        let (tones, legs, digits, conceal) = if frames.plain {
            (false, false, false, false)
        } else {
            self.parties_need(frames)
        };
        // The disclosure, while the gate is pending: whether the customer
        // hears it.
        if !frames.plain && self.gated() {
            self.listen_to_disclosure(frames.has, &frames.at);
        }
        // Announcements: a tone is its party's frame.
        let disclosed = tones && self.tones_into(frames);
        let handed = frames.has;
        // Lost frames concealed: audio of an earlier tick, which routes
        // opened since must not carry.
        if conceal && self.conceal_frames(frames.lent, &mut frames.at, &mut frames.has) {
            self.settled = false;
            self.compiled = false;
        }
        let (commit, held) = self.routes_of_tick();
        // Legs at another format: into the call's, in their own buffers.
        if legs {
            self.legs_into_call(frames.lent, &mut frames.at);
        }
        // Digits in a supervisor's audio: silence while one is held.
        if digits {
            let lent = |i: usize| frames.lent::<false>(i);
            let muted = self.detect_digits(lent, frames.has);
            frames.has &= !muted;
        }
        After {
            handed,
            legs,
            commit,
            held,
            disclosed,
        }
    }

    /// For a call whose parties are not all plain: whether some party plays
    /// a tone, is on a leg at another format, or has its digits detected.
    /// Frames lent that nobody may hear are copied to be cleaned: they are
    /// neither converted nor listened to as they are.
    #[inline(never)]
    fn parties_need(&mut self, frames: &mut Frames<'_, S>) -> (bool, bool, bool, bool) {
        let (mut tones, mut legs, mut digits, mut conceal) = (false, false, false, false);
        for p in &self.parties {
            tones |= p.tone.is_some();
            legs |= p.leg.is_some();
            digits |= p.dtmf.is_some();
            conceal |= p.conceal.is_some();
        }
        self.clean_lent(frames);
        (tones, legs, digits, conceal)
    }

    /// The announcements' tones, played into their frames; returns whether
    /// the disclosure played to its end.
    #[inline(never)]
    fn tones_into(&mut self, frames: &mut Frames<'_, S>) -> bool {
        let disclosed = self.play_tones().is_some();
        *frames = self.own_frames(frames.at, frames.lent);
        disclosed
    }

    /// The stages of a tick after the plan: legs converted back to their
    /// format, the routes moved on, the consent gate lifted.
    #[inline(always)]
    fn after_plan(&mut self, after: After) {
        if after.legs {
            self.legs_out_of_call();
        }
        if after.commit {
            self.commit_routes();
        }
        // A route held closed this tick opens at the next: work it out then.
        self.settled &= !after.held;
        if after.disclosed {
            // The gate lifts: the next tick works out the routes afresh.
            self.consent = Consent::Given;
            self.settled = false;
            self.watch_disclosure();
        }
    }

    /// The routes of this tick: settled since the last, worked out by the
    /// control call that changed them, or worked out now. Returns whether
    /// they move on after the tick ([`Session::commit_routes`]) and whether
    /// one is held closed.
    fn routes_of_tick(&mut self) -> (bool, bool) {
        debug_assert!(
            !(self.compiled && self.settled),
            "compiled routes are not settled"
        );
        let general_only = self.general_only();
        let (commit, held) = if self.settled && !general_only {
            (false, false)
        } else if self.compiled && !general_only {
            #[cfg(test)]
            {
                self.compiled_ticks += 1;
            }
            (true, self.compiled_held)
        } else {
            (true, self.compile_routes())
        };
        // A change the tick itself makes (a digit found in a supervisor's
        // audio) unsettles the routes again.
        self.settled = true;
        self.compiled = false;
        (commit, held)
    }

    /// Runs the plan over `frames` (in the parties' order if `IN_ORDER`;
    /// `has` is [`Frames::has`], or `None` where every party handed in a
    /// frame): into every party's output and the taps' channels. A plan that
    /// looks at the frames on its way mixes them as they are, and only when
    /// one holds a sample nobody may hear are they cleaned and mixed again.
    #[inline(always)]
    fn run_plan<const IN_ORDER: bool>(&mut self, mut frames: Frames<'_, S>, has: Option<u32>) {
        let sanitized = !self.plan.sanitizes_itself();
        if sanitized && !IN_ORDER {
            // Frames in order were found clean.
            self.clean(&mut frames);
        }
        match self.mix_plan::<IN_ORDER>(&frames, has, sanitized) {
            Ok(_one_pass) => {
                #[cfg(test)]
                {
                    self.one_pass_ticks += u64::from(_one_pass);
                }
            }
            // Only a plan given frames it must check fails, and only once.
            Err(NeedsSanitizing) if IN_ORDER => {
                let frames = self.own_frames(by_party(frames.lent.len()), frames.lent);
                self.run_plan_cleaned(frames);
            }
            Err(NeedsSanitizing) => self.run_plan_cleaned(frames),
        }
    }

    /// [`Session::run_plan`] again, the frames cleaned.
    #[cold]
    #[inline(never)]
    fn run_plan_cleaned(&mut self, mut frames: Frames<'_, S>) {
        self.clean(&mut frames);
        // A plan given sanitized frames does not fail.
        let _ = self.mix_plan::<false>(&frames, Some(frames.has), true);
    }

    /// [`Plan::run`](crate::plan::Plan::run) over `frames`, the clipped
    /// samples counted on the parties and the taps; returns whether the
    /// plan mixed in one pass.
    #[inline(always)]
    fn mix_plan<const IN_ORDER: bool>(
        &mut self,
        frames: &Frames<'_, S>,
        has: Option<u32>,
        sanitized: bool,
    ) -> Result<bool, NeedsSanitizing> {
        let (spf, inputs, lent) = (self.spf, &self.inputs[..], frames.lent);
        // Frames in order need no `at`: the tick keeps theirs out of memory.
        let at = if IN_ORDER {
            &[NOT_BORROWED; MAX_PARTIES]
        } else {
            &frames.at
        };
        let frame = |t: usize| match lent_at::<IN_ORDER, S>(lent, at, t) {
            Some(frame) => frame,
            None => inputs.get(t * spf..(t + 1) * spf).unwrap_or(&[]),
        };
        let (gains, open) = (&self.tick_gains, &self.open_ramp);
        if self.taps.is_empty() {
            // No tap: every row is a party's.
            let parties = &mut self.parties[..];
            let clipped = |l: usize, k: usize| {
                if let Some(p) = parties.get_mut(l) {
                    p.stats.samples_clipped += k as u64;
                }
            };
            let (none, outputs) = (core::iter::empty(), &mut self.outputs);
            return self.plan.run(
                gains, open, frame, outputs, none, spf, has, sanitized, clipped,
            );
        }
        let mut clips = TapClips::new(self.parties.len(), &self.taps);
        let parties = &mut self.parties[..];
        let clipped = |l: usize, k: usize| clips.count(parties, l, k);
        let taps = self.taps.iter_mut().map(|t| &mut t.mixed[..]);
        let outputs = &mut self.outputs;
        let one_pass = self.plan.run(
            gains, open, frame, outputs, taps, spf, has, sanitized, clipped,
        )?;
        clips.finish(&mut self.taps, spf);
        Ok(one_pass)
    }

    /// The call signals look at the customer's and the agent's frames of
    /// the tick (bit `i` of `has`: party `i` has one), as the plan will
    /// mix them, at the call's rate.
    #[inline(never)]
    fn observe_signals<const IN_ORDER: bool>(&mut self, frames: &Frames<'_, S>, has: u32) {
        let Some(signals) = self.signals.as_deref_mut() else {
            return;
        };
        let (spf, inputs) = (self.spf, &self.inputs[..]);
        let mut parties = [None; 2];
        for (i, p) in self.parties.iter().enumerate().take(MAX_PARTIES) {
            let k = match p.seat.role {
                Role::Customer => 0,
                Role::Agent => 1,
                _ => continue,
            };
            if parties[k].is_some() {
                continue;
            }
            let frame = (has & (1 << i) != 0).then(|| {
                lent_at::<IN_ORDER, S>(frames.lent, &frames.at, i)
                    .unwrap_or_else(|| inputs.get(i * spf..(i + 1) * spf).unwrap_or(&[]))
            });
            parties[k] = Some((p.id, frame));
        }
        let blocks = self.format.ptime().ms() as usize / 10;
        signals.observe(self.tick, blocks, parties);
    }

    /// Replaces what no one may hear in the frames of the tick: in the
    /// parties' own buffers, and in the frames the host lent, which are
    /// copied into the party's own buffer first, where the tick then reads
    /// them.
    fn clean(&mut self, frames: &mut Frames<'_, S>) {
        self.clean_lent(frames);
        let spf = self.spf;
        for (i, p) in self.parties.iter_mut().enumerate() {
            // By index, not by `chunks_exact_mut`: no division.
            match self.inputs.get_mut(i * spf..(i + 1) * spf) {
                Some(frame) if p.has_input && S::needs_sanitizing(frame) => {
                    p.stats.samples_non_finite += S::sanitize(frame) as u64;
                }
                _ => {}
            }
        }
    }

    /// The frames the host lent (by party) that hold a sample nobody may
    /// hear, copied into their parties' own buffers (and cleaned there by
    /// [`Session::clean`], or by the leg's conversion).
    fn clean_lent(&mut self, frames: &mut Frames<'_, S>) {
        for i in 0..self.parties.len().min(MAX_PARTIES) {
            // A look-up that cannot fail (nor panic), so that for a sample
            // type that never needs cleaning the loop is no code at all.
            let Some(frame) = frames.lent::<false>(i) else {
                continue;
            };
            if S::needs_sanitizing(frame) {
                self.tick_input_at(i).copy_from_slice(frame);
                self.parties[i].has_input = true;
                frames.at[i] = NOT_BORROWED;
            }
        }
    }

    /// After the mix: each party's statistics count the tick, as mixed
    /// (bit `i` of `handed`, everyone where `None`, or, with `legs`, a leg
    /// frame handed in) or missing, and the frames handed in are forgotten.
    #[inline(always)]
    fn count_tick(&mut self, handed: Option<u32>, legs: bool) {
        let parties = &mut self.parties[..];
        let handed = handed.unwrap_or(u32::MAX);
        if (handed | !everyone(parties.len())) == u32::MAX && !legs {
            // By index, not by `iter_mut`: no division for the trip count.
            for i in 0..parties.len() {
                if let Some(p) = parties.get_mut(i) {
                    p.stats.frames_mixed += 1;
                    p.has_input = false;
                }
            }
            return;
        }
        for (i, p) in parties.iter_mut().enumerate() {
            let (mixed, missing) = match p.leg.as_deref_mut() {
                Some(leg) if legs => {
                    let counted = leg.counted();
                    leg.phase = (leg.phase + 1) % leg.ticks;
                    (leg.next, leg.count) = (0, 0);
                    counted
                }
                _ => {
                    let handed = handed & (1 << i) != 0;
                    (u64::from(handed), u64::from(!handed))
                }
            };
            p.stats.frames_mixed += mixed;
            p.stats.frames_missing += missing;
            p.has_input = false;
        }
    }
}

/// Bits `0..n`: everyone of `n` parties (`n <= MAX_PARTIES`).
#[inline(always)]
pub(crate) fn everyone(n: usize) -> u32 {
    ((1u64 << n.min(MAX_PARTIES)) - 1) as u32
}
