//! Frames in and out: what a party hands in for the next tick, and what it
//! heard in the last.

use super::Session;
use crate::dsp::kernel::Sample;
use crate::error::Error;
use crate::format::Format;
use crate::id::PartyId;

/// Where a tick finds a party's frame, when the host lent it none: in the
/// party's own buffer ([`Session::mix_frames`]).
pub(super) const NOT_BORROWED: u8 = u8::MAX;

/// # Frames in and out
///
/// What a party hands in for the next tick, and what it heard in the last,
/// at its leg's format.
impl<S: Sample> Session<S> {
    /// Hands in `party`'s frame for the next tick (copied). It must hold
    /// exactly the [`Format::samples_per_frame`](crate::Format::samples_per_frame) of the party's leg format
    /// ([`Session::leg_format`]: the call's unless set); a frame more than
    /// the party takes in a tick (one, or for a leg of shorter frames than
    /// the call's, as many as fill the tick) is [`Error::DuplicateFrame`].
    pub fn put_frame(&mut self, party: PartyId, frame: &[S]) -> Result<(), Error> {
        let (i, p) = self.find(party)?;
        // A frame of the call's length from a plain party (on no leg,
        // playing no tone) with no frame yet passes every check below.
        if frame.len() == self.spf && p.is_plain() && !p.has_input {
            let spf = self.spf;
            if let (Some(p), Some(slot)) = (
                self.parties.get_mut(i),
                self.inputs.get_mut(i * spf..(i + 1) * spf),
            ) {
                p.has_input = true;
                slot.copy_from_slice(frame);
                return Ok(());
            }
        }
        self.check_length(i, frame)?;
        let slot = self.input_slot_at(i, party)?;
        slot.copy_from_slice(frame);
        Ok(())
    }

    /// The buffer for `party`'s frame for the next tick (at its leg's
    /// format), zeroed, for a host that decodes straight into it. The party
    /// counts as having handed in a frame this tick, as with
    /// [`Session::put_frame`].
    pub fn frame_mut(&mut self, party: PartyId) -> Result<&mut [S], Error> {
        let slot = self.input_slot(party)?;
        slot.fill(S::SILENCE);
        Ok(slot)
    }

    pub(super) fn input_slot(&mut self, party: PartyId) -> Result<&mut [S], Error> {
        let i = self.index(party)?;
        self.input_slot_at(i, party)
    }

    /// [`Session::input_slot`] of `party`, at position `i`.
    pub(super) fn input_slot_at(&mut self, i: usize, party: PartyId) -> Result<&mut [S], Error> {
        self.check_due(i)?;
        if self.has_its_frames(i) {
            return Err(Error::DuplicateFrame {
                party,
                tick: self.tick,
            });
        }
        self.parties[i].has_input = true;
        let spf = self.spf;
        match self.parties[i].leg.as_deref_mut() {
            // A leg of several frames a tick: the next of them.
            Some(leg) if leg.frames > 1 => {
                let n = leg.format.samples_per_frame();
                let at = leg.next * n;
                leg.next += 1;
                leg.count += 1;
                Ok(&mut leg.input[at..at + n])
            }
            Some(leg) => Ok(&mut leg.input),
            None => Ok(&mut self.inputs[i * spf..(i + 1) * spf]),
        }
    }

    /// Whether party `i` has handed in every frame it takes this tick.
    pub(super) fn has_its_frames(&self, i: usize) -> bool {
        let p = &self.parties[i];
        match p.leg.as_deref() {
            Some(leg) if leg.frames > 1 => leg.next >= leg.frames,
            _ => p.has_input || self.lost_now(i),
        }
    }

    /// Whether party `i` has taken any frame of this tick: handed in, lost,
    /// or, of a leg of shorter frames, skipped.
    pub(super) fn has_taken_any(&self, i: usize) -> bool {
        let p = &self.parties[i];
        p.has_input || self.lost_now(i) || p.leg.as_deref().is_some_and(|l| l.next > 0)
    }

    /// Marks `party`'s next frame as missing: silence in its place,
    /// counted in [`PartyStats::frames_missing`](crate::PartyStats::frames_missing).
    /// For a leg whose frames are shorter than the call's, so that the
    /// frames after it keep their place in the tick (the host lost the
    /// first 10 ms of a tick, not the second); for a party that takes one
    /// frame a tick or fewer, handing in nothing is the same, and this
    /// changes nothing. A party that has handed in every frame it takes
    /// this tick is [`Error::DuplicateFrame`].
    pub fn skip_frame(&mut self, party: PartyId) -> Result<(), Error> {
        let i = self.index(party)?;
        self.check_due(i)?;
        if self.has_its_frames(i) {
            return Err(Error::DuplicateFrame {
                party,
                tick: self.tick,
            });
        }
        if let Some(leg) = self.parties[i].leg.as_deref_mut() {
            if leg.frames > 1 {
                let n = leg.format.samples_per_frame();
                let at = leg.next * n;
                leg.input[at..at + n].fill(S::SILENCE);
                let skipped = leg.next;
                leg.next += 1;
                self.mark_skipped(i, skipped);
            }
        }
        Ok(())
    }

    /// Whether `frame` has the length of party `i`'s leg's frames (`lent`:
    /// all its frames of a tick, handed to [`Session::mix_frames`]).
    pub(super) fn check_lent_length(&self, i: usize, frame: &[S]) -> Result<(), Error> {
        match self.parties[i].leg.as_deref() {
            Some(leg) if leg.frames > 1 => {
                let n = leg.format.samples_per_frame();
                if frame.len() != leg.frames * n {
                    return Err(Error::FrameLength {
                        given: frame.len(),
                        expected: leg.frames * n,
                        format: leg.format,
                    });
                }
                Ok(())
            }
            _ => self.check_length(i, frame),
        }
    }

    /// Whether `frame` has the length of party `i`'s leg's frames.
    pub(super) fn check_length(&self, i: usize, frame: &[S]) -> Result<(), Error> {
        let leg = self.parties[i].leg.as_deref();
        // The call's frames are `spf` long: no need to look at its format.
        let expected = leg.map_or(self.spf, |l| l.format.samples_per_frame());
        if frame.len() != expected {
            let format = leg.map_or(self.format, |l| l.format);
            return Err(Error::FrameLength {
                given: frame.len(),
                expected: format.samples_per_frame(),
                format,
            });
        }
        Ok(())
    }

    /// Party `i`'s input buffer at its leg's format: for a leg of several
    /// frames a tick, the next of them.
    pub(super) fn input_at(&mut self, i: usize) -> &mut [S] {
        match self.parties[i].leg.as_deref_mut() {
            Some(leg) if leg.frames > 1 => {
                let n = leg.format.samples_per_frame();
                let at = leg.next.min(leg.frames - 1) * n;
                &mut leg.input[at..at + n]
            }
            Some(leg) => &mut leg.input,
            None => &mut self.inputs[i * self.spf..(i + 1) * self.spf],
        }
    }

    /// Party `i`'s input buffer for all its audio of the tick, taken whole
    /// (a frame lent, a tone): for a leg of several frames a tick, all of
    /// them, which then count as handed in.
    pub(super) fn tick_input_at(&mut self, i: usize) -> &mut [S] {
        if let Some(leg) = self.parties[i].leg.as_deref_mut() {
            if leg.frames > 1 {
                (leg.next, leg.count) = (leg.frames, leg.frames);
            }
        }
        // A leg's input holds all its frames of the tick, back to back.
        let spf = self.spf;
        match self.parties[i].leg.as_deref_mut() {
            Some(leg) => &mut leg.input,
            None => &mut self.inputs[i * spf..(i + 1) * spf],
        }
    }

    /// What `party` heard in the last tick, at its leg's format: silence
    /// before its first tick. For a leg whose frames are shorter than the
    /// call's, its frames of the tick back to back, in order
    /// (`chunks_exact` of its [`Format::samples_per_frame`](crate::Format::samples_per_frame)); for a longer one,
    /// the frame it completed last ([`Session::frame_due`]).
    pub fn output(&self, party: PartyId) -> Result<&[S], Error> {
        let (i, p) = self.find(party)?;
        Ok(match p.leg.as_deref() {
            Some(leg) => &leg.output,
            None => &self.outputs[i * self.spf..(i + 1) * self.spf],
        })
    }

    /// What every party heard in the last tick, in the parties' order (as
    /// [`Session::parties`] lists them), each with its id: what
    /// [`Session::output`] gives for each, without a look-up per party.
    ///
    /// ```
    /// use barge::{Format, Role, Session};
    /// let mut call = Session::<i16>::new(Format::NARROWBAND_20MS);
    /// call.set_ramp(std::time::Duration::ZERO)?;
    /// let (c, a) = (call.join(Role::Customer)?, call.join(Role::Agent)?);
    /// call.mix_frames(&[(c, &[100; 160]), (a, &[20; 160])])?;
    /// let heard: Vec<_> = call.outputs().map(|(id, frame)| (id, frame[0])).collect();
    /// assert_eq!(heard, [(c, 20), (a, 100)]);
    /// # Ok::<(), barge::Error>(())
    /// ```
    pub fn outputs(&self) -> impl ExactSizeIterator<Item = (PartyId, &[S])> + '_ {
        let (spf, mut rest) = (self.spf, &self.outputs[..]);
        // One frame after another, not by `chunks_exact`: no division.
        self.parties.iter().map(move |p| {
            let (frame, after) = rest.split_at(spf.min(rest.len()));
            rest = after;
            let frame = match p.leg.as_deref() {
                Some(leg) => &leg.output[..],
                None => frame,
            };
            (p.id, frame)
        })
    }
}

/// A party's leg as [`Driver::tick`](crate::media::Driver::tick) needs it,
/// looked up once: where the party is among the parties (until a join or a
/// leave), and what its leg takes and gives.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LegView {
    /// The party's position among the parties.
    pub(crate) at: usize,
    /// Whether it plays a tone (and so takes no frame from the host).
    pub(crate) playing: bool,
    /// Its leg's format: the call's unless set.
    pub(crate) format: Format,
    /// Whether it has handed in a frame for the next tick.
    pub(crate) has_input: bool,
    /// How many frames it still takes this tick: one (none once it has
    /// handed it in), none between the frames of a leg whose frames span
    /// several ticks, the rest of the tick's frames of a shorter one.
    pub(crate) takes: usize,
}

/// # The driver's way in
///
/// What [`Driver::tick`](crate::media::Driver::tick) reads and writes, by
/// position, once it has checked every leg.
impl<S: Sample> Session<S> {
    /// `party`'s leg, looked up once; the errors are those of any call
    /// that takes a [`PartyId`].
    pub(crate) fn leg_view(&self, party: PartyId) -> Result<LegView, Error> {
        let (at, p) = self.find(party)?;
        let (format, takes) = match p.leg.as_deref() {
            Some(leg) if leg.phase != 0 => (leg.format, 0),
            Some(leg) if leg.frames > 1 => (leg.format, leg.frames - leg.next),
            Some(leg) => (leg.format, usize::from(!p.has_input && !self.lost_now(at))),
            None => (self.format, usize::from(!p.has_input && !self.lost_now(at))),
        };
        Ok(LegView {
            at,
            playing: p.tone.is_some(),
            format,
            has_input: p.has_input,
            takes,
        })
    }

    /// The buffer of the next frame of the party at `at`, silent, for a
    /// source to write into: one of the frames its [`LegView::takes`] says
    /// it takes. It counts only once [`Session::count_input`] says so.
    pub(crate) fn next_input(&mut self, at: usize) -> &mut [S] {
        let buffer = self.input_at(at);
        buffer.fill(S::SILENCE);
        buffer
    }

    /// Counts the frame [`Session::next_input`] gave the party at `at`:
    /// handed in (`given`), or missing and silent in its place.
    pub(crate) fn count_input(&mut self, at: usize, given: bool) {
        let p = &mut self.parties[at];
        match p.leg.as_deref_mut() {
            Some(leg) if leg.frames > 1 => {
                let k = leg.next;
                leg.next += 1;
                if given {
                    leg.count += 1;
                    p.has_input = true;
                } else {
                    let n = leg.format.samples_per_frame();
                    if let Some(frame) = leg.input.get_mut(k * n..(k + 1) * n) {
                        frame.fill(S::SILENCE);
                    }
                    // Missing, as `skip_frame` says: for a concealer, an
                    // absent frame, not one handed in silent.
                    self.mark_skipped(at, k);
                }
            }
            _ => p.has_input |= given,
        }
    }

    /// What `party` heard in the last tick, when its leg gives a frame now
    /// ([`Session::frame_due`]), with the length of its leg's frames; `None`
    /// for a party not on the call or between the frames of a longer leg.
    pub(crate) fn heard(&self, party: PartyId) -> Option<(&[S], usize)> {
        let (at, p) = self.find(party).ok()?;
        match p.leg.as_deref() {
            Some(leg) if !leg.due() => None,
            Some(leg) => Some((&leg.output, leg.format.samples_per_frame())),
            None => Some((&self.outputs[at * self.spf..(at + 1) * self.spf], self.spf)),
        }
    }
}
