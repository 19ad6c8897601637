//! The tick: frames in, legs converted, the plan run, taps, statistics,
//! events.

use super::frames::NOT_BORROWED;
use super::party::Party;
use super::taps::{TapClips, TapState};
use super::{Session, MAX_PARTIES};
use crate::dsp::kernel::{RouteGain, Sample};
use crate::error::Error;
use crate::id::PartyId;
use crate::plan::{NeedsSanitizing, Plan};
use crate::policy::consent::Consent;

/// A tick on the steady path: the plan `plan` runs over `frame(t)` (every
/// party's frame, all handed in, clean unless the plan sanitizes itself)
/// into `outputs` and the taps, with `gains` for a tick whose routes
/// changed ([`run_plan`]), and each party's statistics count it. Returns
/// `false`, having changed nothing the general path does not redo, when a
/// frame needs cleaning after all.
#[inline(always)]
pub(super) fn steady_tick<'a, S: Sample + 'a>(
    plan: &Plan,
    gains: Option<(&[RouteGain], &[S::KGain])>,
    parties: &mut [Party<S>],
    outputs: &mut [S],
    taps: &mut [TapState<S>],
    frame: impl Fn(usize) -> &'a [S],
    spf: usize,
) -> bool {
    let sanitized = !plan.sanitizes_itself();
    if taps.is_empty() {
        // No tap: every row is a party's.
        let clipped = |l: usize, k: usize| {
            if let Some(p) = parties.get_mut(l) {
                p.stats.samples_clipped += k as u64;
            }
        };
        let none = core::iter::empty();
        if run_plan(plan, gains, frame, outputs, none, spf, sanitized, clipped).is_err() {
            return false;
        }
    } else {
        let mut clips = TapClips::new(parties.len(), taps);
        let clipped = |l: usize, k: usize| clips.count(parties, l, k);
        let frames = taps.iter_mut().map(|t| &mut t.mixed[..]);
        if run_plan(plan, gains, frame, outputs, frames, spf, sanitized, clipped).is_err() {
            return false;
        }
        clips.finish(taps, spf);
    }
    // By index: no division for the trip count.
    for i in 0..parties.len() {
        if let Some(p) = parties.get_mut(i) {
            p.stats.frames_mixed += 1;
            p.has_input = false;
        }
    }
    true
}

/// Runs `plan` on the steady path: its steady run, or with `gains`, the
/// route matrix of a tick whose routes changed and the session's opening
/// ramp, as the general path runs it with every party's frame handed in.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(super) fn run_plan<'a, 'o, S: Sample + 'a + 'o>(
    plan: &Plan,
    gains: Option<(&[RouteGain], &[S::KGain])>,
    frame: impl Fn(usize) -> &'a [S],
    outputs: &'o mut [S],
    taps: impl Iterator<Item = &'o mut [S]>,
    len: usize,
    sanitized: bool,
    clipped: impl FnMut(usize, usize),
) -> Result<(), NeedsSanitizing> {
    match gains {
        None => plan.run_steady(frame, outputs, taps, len, sanitized, clipped),
        Some((gains, open)) => {
            let all = u32::MAX;
            plan.run(
                gains, open, frame, outputs, taps, len, all, sanitized, clipped,
            )
        }
    }
}

/// Replaces what no one may hear in the frames `parties` handed in this
/// tick, counting it in their stats.
pub(super) fn sanitize<S: Sample>(parties: &mut [Party<S>], inputs: &mut [S], spf: usize) {
    for (i, p) in parties.iter_mut().enumerate() {
        // By index, not by `chunks_exact_mut`: no division.
        match inputs.get_mut(i * spf..(i + 1) * spf) {
            Some(frame) if p.has_input && S::needs_sanitizing(frame) => {
                p.stats.samples_non_finite += S::sanitize(frame) as u64;
            }
            _ => {}
        }
    }
}

impl<S: Sample> Session<S> {
    /// Mixes one tick: every party's output frame becomes what it must hear
    /// of the frames handed in since the last tick, which are then
    /// forgotten. Never fails, never allocates, never panics.
    pub fn mix(&mut self) {
        if !self.mix_steady() {
            self.mix_borrowed(&[], &[NOT_BORROWED; MAX_PARTIES]);
        }
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
    /// one that already handed in its frame this tick, is
    /// [`Error::DuplicateFrame`]; on an error nothing is mixed and nothing
    /// changes. Allocates nothing. A non-finite `f32` sample in a borrowed
    /// frame reaches nobody, as with [`Session::put_frame`]: that frame is
    /// then copied and cleaned.
    ///
    /// Fastest with a frame for every party, in the parties' order (the
    /// order of joining, as [`Session::parties`] lists them): a settled call
    /// then takes the steady path of the [crate-level design](crate#design).
    /// Any other order mixes the same, bit for bit.
    ///
    /// ```
    /// use barge::{Format, Mode, Role, Session};
    /// let mut call = Session::<i16>::new(Format::NARROWBAND_20MS);
    /// let (c, a) = (call.join(Role::Customer)?, call.join(Role::Agent)?);
    /// let v = call.join_supervisor(Mode::Whisper)?;
    /// let (from_c, from_a, from_v) = ([100i16; 160], [20i16; 160], [3i16; 160]);
    /// call.mix_frames(&[(c, &from_c), (a, &from_a), (v, &from_v)])?;
    /// assert_eq!(call.output(c)?[159], 20); // the whisper is not there
    /// # Ok::<(), barge::Error>(())
    /// ```
    pub fn mix_frames(&mut self, frames: &[(PartyId, &[S])]) -> Result<(), Error> {
        if self.mix_frames_steady(frames) {
            return Ok(());
        }
        self.mix_frames_general(frames)
    }

    /// [`Session::mix_frames`] off the steady path: checks every frame, then
    /// mixes the tick.
    #[inline(never)]
    pub(super) fn mix_frames_general(&mut self, frames: &[(PartyId, &[S])]) -> Result<(), Error> {
        let mut at = [NOT_BORROWED; MAX_PARTIES];
        for (k, &(party, frame)) in frames.iter().enumerate() {
            let i = self.index(party)?;
            let p = &self.parties[i];
            // A frame of the call's length from a party on no leg and
            // playing no tone passes both checks: skip them.
            if frame.len() != self.spf || p.leg.is_some() || p.tone.is_some() {
                self.check_length(i, frame)?;
                self.check_due(i)?;
            }
            if self.parties[i].has_input || at[i] != NOT_BORROWED {
                return Err(Error::DuplicateFrame {
                    party,
                    tick: self.tick,
                });
            }
            // `k < frames.len() <= MAX_PARTIES`: each party at most once.
            at[i] = k as u8;
        }
        // Borrowed frames that hold a sample nobody may hear are copied into
        // the party's own buffer and cleaned there.
        for (i, k) in at.iter_mut().enumerate().take(self.parties.len()) {
            // A look-up that cannot fail (nor panic), so that for a sample
            // type that never needs cleaning the loop is no code at all.
            let Some(&(_, frame)) = frames.get(usize::from(*k)) else {
                continue;
            };
            if S::needs_sanitizing(frame) {
                self.input_at(i).copy_from_slice(frame);
                self.parties[i].has_input = true;
                *k = NOT_BORROWED;
            }
        }
        self.mix_borrowed(frames, &at);
        Ok(())
    }

    /// One tick: party `i`'s frame is `frames[at[i]]` where `at[i]` is not
    /// [`NOT_BORROWED`] (a frame checked by [`Session::mix_frames`], in need
    /// of no cleaning), else its own input buffer.
    pub(super) fn mix_borrowed(&mut self, frames: &[(PartyId, &[S])], at: &[u8; MAX_PARTIES]) {
        // What the call uses, in one pass: the loops over tones, legs and
        // detectors run only when some party has one.
        let (mut tones, mut legs, mut detectors) = (false, false, false);
        for p in &self.parties {
            tones |= p.tone.is_some();
            legs |= p.leg.is_some();
            detectors |= p.dtmf.is_some();
        }
        let disclosed = if tones { self.play_tones() } else { None };
        // The routes of this tick: worked out by the control call that
        // changed them, or now.
        let mut held = false;
        debug_assert!(
            !(self.compiled && self.settled),
            "compiled routes are not settled"
        );
        let worked_out = !self.settled || self.general_only();
        if self.compiled && !self.general_only() {
            held = self.compiled_held;
        } else if worked_out {
            held = self.compile_routes();
        }
        // A change the tick itself makes (a digit found in a supervisor's
        // audio) unsettles the routes again.
        self.settled = true;
        self.compiled = false;
        let handed = |p: &Party<S>, k: u8| p.has_input || k != NOT_BORROWED;
        let spf = self.spf;
        let n = self.parties.len();
        // Who handed in a frame (a party on a leg always has one at the
        // call's rate).
        let mut has = 0u32;
        for (i, (p, &k)) in self.parties.iter().zip(at).enumerate() {
            has |= u32::from(handed(p, k) || p.leg.is_some()) << i;
        }
        // Where the plan reads each talker's frame at the call's rate: a
        // converted leg's is in its own buffer, whatever it handed in.
        let mut mixed_at = *at;
        if legs {
            self.legs_into_call(frames, at, &mut mixed_at);
        }
        if detectors {
            let borrowed = |i: usize| match mixed_at.get(i).copied() {
                Some(k) if k != NOT_BORROWED => Some(frames[usize::from(k)].1),
                _ => None,
            };
            has &= !self.detect_digits(borrowed, has);
        }
        let sanitized = !self.plan.sanitizes_itself();
        if sanitized {
            self.sanitize_inputs();
        }
        let mut clips = TapClips::new(n, &self.taps);
        for attempt in [sanitized, true] {
            let inputs: &[S] = &self.inputs;
            let frame = |t: usize| match mixed_at.get(t).copied() {
                Some(k) if k != NOT_BORROWED => frames[usize::from(k)].1,
                _ => &inputs[t * spf..(t + 1) * spf],
            };
            let parties = &mut self.parties[..];
            let clipped = |l: usize, k: usize| clips.count(parties, l, k);
            let taps = self.taps.iter_mut().map(|t| &mut t.mixed[..]);
            let ran = self.plan.run(
                &self.tick_gains,
                &self.open_ramp,
                frame,
                &mut self.outputs,
                taps,
                spf,
                has,
                attempt,
                clipped,
            );
            if ran.is_ok() {
                break;
            }
            // Only a plan given frames it must check fails, and only once:
            // clean the frames and run it again.
            self.sanitize_inputs();
        }
        if legs {
            self.legs_out_of_call();
        }
        clips.finish(&mut self.taps, spf);
        if worked_out {
            self.commit_routes();
        }
        // A route held closed this tick opens at the next: work it out then.
        self.settled &= !held;
        if disclosed.is_some() {
            // The gate lifts: the next tick works out the routes afresh.
            self.consent = Consent::Given;
            self.settled = false;
        }
        for (p, &k) in self.parties.iter_mut().zip(at) {
            let handed = match p.leg.as_deref_mut() {
                Some(leg) => {
                    leg.phase = (leg.phase + 1) % leg.ticks;
                    leg.handed
                }
                None => handed(p, k),
            };
            if handed {
                p.stats.frames_mixed += 1;
            } else {
                p.stats.frames_missing += 1;
            }
            p.has_input = false;
        }
        self.tick = self.tick.wrapping_add(1);
    }

    /// Whether this tick may take the steady path: the call is settled and
    /// its plan [steady](Plan::steady). Each party must also be plain
    /// ([`Party::is_plain`]).
    #[inline(always)]
    pub(super) fn may_run_steady(&self) -> bool {
        self.settled && !self.general_only() && self.plan.steady()
    }

    /// Whether this tick may take the steady path although its routes
    /// changed: a control call worked them out and compiled the plan
    /// ([`Session::prepare`]), and none is held. Each party must also be
    /// plain, as for [`Session::may_run_steady`]; the plan then runs as
    /// the general path would run it, with nothing else to do but move the
    /// routes on ([`Session::prepared_tick`]).
    #[inline(always)]
    pub(super) fn may_run_prepared(&self) -> bool {
        self.compiled && !self.compiled_held && !self.general_only()
    }

    /// The steady path of [`Session::mix_frames`]: when the tick
    /// [may run steady](Session::may_run_steady) and `frames` holds one
    /// frame of the call's length, in need of no cleaning, for each party in
    /// the parties' order, every party plain and none with a frame of its
    /// own, the plan runs over the frames where they are, with nothing else
    /// to do. Returns whether it did the tick; when not, nothing was
    /// changed and the general path does it.
    #[inline]
    pub(super) fn mix_frames_steady(&mut self, frames: &[(PartyId, &[S])]) -> bool {
        if frames.len() != self.parties.len() || !self.may_run_steady() {
            return self.may_run_prepared() && self.mix_frames_prepared(frames);
        }
        if !self.steady_frames(frames) {
            return false;
        }
        let spf = self.spf;
        let frame = |t: usize| frames.get(t).map_or(&[][..], |&(_, f)| f);
        let (plan, parties) = (&self.plan, &mut self.parties[..]);
        let ran = steady_tick(
            plan,
            None,
            parties,
            &mut self.outputs,
            &mut self.taps,
            frame,
            spf,
        );
        if ran {
            self.end_steady_tick();
        }
        ran
    }

    /// The steady path of [`Session::mix`]: as [`Session::mix_frames_steady`]
    /// when every party handed in a frame of its own.
    #[inline]
    pub(super) fn mix_steady(&mut self) -> bool {
        if !self.may_run_steady() {
            return self.may_run_prepared() && self.mix_prepared();
        }
        if !self.parties.iter().all(|p| p.is_plain() && p.has_input) {
            return false;
        }
        let spf = self.spf;
        if !self.plan.sanitizes_itself() {
            sanitize(&mut self.parties, &mut self.inputs, spf);
        }
        let inputs: &[S] = &self.inputs;
        let frame = |t: usize| inputs.get(t * spf..(t + 1) * spf).unwrap_or(&[]);
        let (plan, parties) = (&self.plan, &mut self.parties[..]);
        let ran = steady_tick(
            plan,
            None,
            parties,
            &mut self.outputs,
            &mut self.taps,
            frame,
            spf,
        );
        if ran {
            self.end_steady_tick();
        }
        ran
    }

    /// Whether `frames` holds one frame of the call's length for each
    /// party, in the parties' order, every party plain and none with a
    /// frame of its own, and every frame clean where the plan does not
    /// look at the frames on its way (a plan that sanitizes itself hands a
    /// tick that needs cleaning back to the general path).
    #[inline(always)]
    pub(super) fn steady_frames(&self, frames: &[(PartyId, &[S])]) -> bool {
        let (spf, checked) = (self.spf, self.plan.sanitizes_itself());
        for (&(id, frame), p) in frames.iter().zip(self.parties.iter()) {
            if id != p.id || frame.len() != spf || !p.is_plain() || p.has_input {
                return false;
            }
            if !checked && S::needs_sanitizing(frame) {
                return false;
            }
        }
        true
    }

    /// [`Session::mix_frames_steady`] for a
    /// [prepared](Session::may_run_prepared) tick.
    #[inline(never)]
    pub(super) fn mix_frames_prepared(&mut self, frames: &[(PartyId, &[S])]) -> bool {
        frames.len() == self.parties.len()
            && self.steady_frames(frames)
            && self.prepared_tick(Some(frames))
    }

    /// [`Session::mix_steady`] for a [prepared](Session::may_run_prepared)
    /// tick.
    #[inline(never)]
    pub(super) fn mix_prepared(&mut self) -> bool {
        if !self.parties.iter().all(|p| p.is_plain() && p.has_input) {
            return false;
        }
        if !self.plan.sanitizes_itself() {
            sanitize(&mut self.parties, &mut self.inputs, self.spf);
        }
        self.prepared_tick(None)
    }

    /// The steady path of a [prepared](Session::may_run_prepared) tick,
    /// every party's frame being in `frames` (borrowed, in the parties'
    /// order) or, without, in its own buffer: the plan runs over the route
    /// matrix as the general path runs it, then the routes move on.
    #[inline(always)]
    pub(super) fn prepared_tick(&mut self, frames: Option<&[(PartyId, &[S])]>) -> bool {
        let spf = self.spf;
        let inputs: &[S] = &self.inputs;
        let frame = |t: usize| match frames {
            Some(frames) => frames.get(t).map_or(&[][..], |&(_, f)| f),
            None => inputs.get(t * spf..(t + 1) * spf).unwrap_or(&[]),
        };
        let gains = Some((&self.tick_gains[..], &self.open_ramp[..]));
        let (plan, parties) = (&self.plan, &mut self.parties[..]);
        let ran = steady_tick(
            plan,
            gains,
            parties,
            &mut self.outputs,
            &mut self.taps,
            frame,
            spf,
        );
        if ran {
            #[cfg(test)]
            {
                self.prepared_ticks += 1;
            }
            self.commit_routes();
            self.compiled = false;
            self.settled = true;
            self.tick = self.tick.wrapping_add(1);
        }
        ran
    }

    /// After a tick on the steady path: the next tick is due.
    pub(super) fn end_steady_tick(&mut self) {
        self.tick = self.tick.wrapping_add(1);
        #[cfg(test)]
        {
            self.steady_ticks += 1;
        }
    }

    /// Replaces what no one may hear in the frames handed in this tick.
    pub(super) fn sanitize_inputs(&mut self) {
        sanitize(&mut self.parties, &mut self.inputs, self.spf);
    }
}
