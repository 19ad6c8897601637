//! Frames: `put_frame`, `frame_mut` and `mix_frames` (borrowed frames,
//! every error), and the samples the kernel must never see.

use barge::{Error, PartyId};

use super::input::{Fault, FrameArg, LenArg, MixArg, Who};
use super::model::Model;
use super::party::Taken;
use super::runner::{same, Harness};
use crate::cycle;
use crate::reference::RefSample;

impl<S: RefSample> Model<S> {
    /// Samples the kernel must never see (non-finite `f32`) are counted
    /// and mixed as silence.
    pub(super) fn silence_bad_samples(&mut self) {
        for p in self.parties.iter_mut() {
            if let Some(f) = p.frame.as_mut() {
                for s in f.iter_mut() {
                    if s.is_bad() {
                        p.non_finite += 1;
                        *s = S::SILENCE;
                    }
                }
            }
        }
    }

    pub(super) fn slot(&self, id: PartyId) -> Result<usize, Error> {
        let i = self.index(id)?;
        if self.parties[i].tone.is_some() {
            return Err(Error::TonePlaying { party: id });
        }
        if self.parties[i].has_frame() {
            return Err(Error::DuplicateFrame {
                party: id,
                tick: self.tick,
            });
        }
        Ok(i)
    }

    /// Samples per frame of `id`'s leg (the call's for an id not on it).
    pub(super) fn leg_spf(&self, id: PartyId) -> usize {
        self.index(id)
            .map_or(self.spf, |i| self.parties[i].leg.samples_per_frame())
    }

    /// A frame's length for the party at `i`.
    fn check_length(&self, i: usize, frame: &[S]) -> Result<(), Error> {
        let format = self.parties[i].leg;
        if frame.len() != format.samples_per_frame() {
            return Err(Error::FrameLength {
                given: frame.len(),
                expected: format.samples_per_frame(),
                format,
            });
        }
        Ok(())
    }

    /// A frame's length for the party at `i` in `mix_frames`: all its
    /// frames of the tick, back to back.
    fn check_lent_length(&self, i: usize, frame: &[S]) -> Result<(), Error> {
        let p = &self.parties[i];
        if p.per_tick == 1 {
            return self.check_length(i, frame);
        }
        if frame.len() != p.tick_spf() {
            return Err(Error::FrameLength {
                given: frame.len(),
                expected: p.tick_spf(),
                format: p.leg,
            });
        }
        Ok(())
    }

    /// `lose_frame`: for a party that does not conceal, `skip_frame`.
    pub(super) fn lose_frame(&mut self, id: PartyId) -> Result<(), Error> {
        let i = self.slot(id)?;
        let p = &mut self.parties[i];
        p.take(
            if p.conceals {
                Taken::Lost
            } else {
                Taken::Skipped
            },
            None,
        );
        Ok(())
    }

    /// `skip_frame`: the next frame of the tick is missing, for a leg of
    /// several frames a tick; else nothing changes.
    pub(super) fn skip_frame(&mut self, id: PartyId) -> Result<(), Error> {
        let i = self.slot(id)?;
        self.parties[i].take(Taken::Skipped, None);
        Ok(())
    }

    pub(super) fn put(&mut self, id: PartyId, frame: &[S]) -> Result<(), Error> {
        let i = self.index(id)?;
        self.check_length(i, frame)?;
        let i = self.slot(id)?;
        self.parties[i].take(Taken::Put, Some(frame));
        Ok(())
    }

    /// `mix_frames` up to the mix: every entry checked in order (the
    /// party, its frame's length, a frame already handed in or listed),
    /// then every frame handed in.
    pub(super) fn mix_frames(&mut self, frames: &[(PartyId, Vec<S>)]) -> Result<(), Error> {
        let mut listed = Vec::new();
        for (id, frame) in frames {
            let i = self.index(*id)?;
            self.check_lent_length(i, frame)?;
            if self.parties[i].tone.is_some() {
                return Err(Error::TonePlaying { party: *id });
            }
            if self.parties[i].has_taken_any() || listed.contains(&i) {
                return Err(Error::DuplicateFrame {
                    party: *id,
                    tick: self.tick,
                });
            }
            listed.push(i);
        }
        for (&i, (_, frame)) in listed.iter().zip(frames) {
            let p = &mut self.parties[i];
            p.frame = Some(frame.clone());
            if p.per_tick > 1 {
                p.taken = vec![Taken::Put; p.per_tick];
            }
        }
        Ok(())
    }
}

impl<S: RefSample> Harness<S> {
    /// A frame for `id`, sized from its leg's samples per frame.
    pub(super) fn frame(&self, id: PartyId, f: &FrameArg) -> Vec<S> {
        let spf = self.model.leg_spf(id);
        let len = match f.len {
            LenArg::Exact => spf,
            LenArg::Short(d) => spf.saturating_sub(1 + d as usize % spf),
            LenArg::Long(d) => spf + 1 + d as usize % 64,
        };
        let kind = f.kind;
        cycle(&f.bits, len, |b| S::from_fuzz(b, kind), S::SILENCE)
    }

    /// `put_frame`, as the model says.
    pub(super) fn put(&mut self, id: PartyId, frame: &[S]) {
        {
            {
                let want = self.model.put(id, frame);
                let before = want.is_err().then(|| self.s.copy());
                let got = self.s.get_mut().put_frame(id, frame);
                assert!(
                    same(&got, &want),
                    "put_frame: got {got:?}, expected {want:?}"
                );
                if let Some(before) = before {
                    self.s.unchanged(before, "put_frame");
                }
            }
        }
    }

    /// Builds a list of borrowed frames as `a` says and ticks with it, or
    /// checks that it fails as the model says and changes nothing.
    pub(super) fn mix_frames(&mut self, a: &MixArg) {
        let m = &self.model;
        let mut entries: Vec<(u32, PartyId, Vec<S>)> = Vec::new();
        for (i, p) in m.parties.iter().enumerate() {
            let pending = p.has_taken_any() || p.tone.is_some();
            if a.pick >> (i % 32) & 1 == 0 || (pending && !matches!(a.fault, Fault::Pending)) {
                continue;
            }
            let mut bits = a.frame.bits.clone();
            if !bits.is_empty() {
                let by = i % bits.len();
                bits.rotate_left(by);
            }
            let kind = a.frame.kind.wrapping_add(i as u8);
            let frame = cycle(&bits, p.tick_spf(), |b| S::from_fuzz(b, kind), S::SILENCE);
            let key = (i as u32 ^ a.order as u32).wrapping_mul(0x9E37_79B1);
            entries.push((key, p.id, frame));
        }
        // An even `order` keeps the parties' order, the one the steady
        // path takes; an odd one shuffles.
        if a.order & 1 == 1 {
            entries.sort_by_key(|e| e.0);
        }
        let mut list: Vec<(PartyId, Vec<S>)> =
            entries.into_iter().map(|(_, id, f)| (id, f)).collect();
        match a.fault {
            Fault::None | Fault::Pending => {}
            Fault::Extra(w, at) => {
                let id = self.who(w);
                let spf = self
                    .model
                    .index(id)
                    .map_or(self.model.spf, |i| self.model.parties[i].tick_spf());
                let frame = vec![S::SILENCE; spf];
                list.insert(at as usize % (list.len() + 1), (id, frame));
            }
            Fault::Twice(at) if !list.is_empty() => {
                let e = list[at as usize % list.len()].clone();
                list.push(e);
            }
            Fault::Length(at, d) if !list.is_empty() => {
                let k = at as usize % list.len();
                let frame = &mut list[k].1;
                let by = 1 + (d >> 1) as usize;
                if d & 1 == 0 {
                    frame.truncate(frame.len().saturating_sub(by));
                } else {
                    frame.resize(frame.len() + by, S::SILENCE);
                }
            }
            Fault::Twice(_) | Fault::Length(..) => {}
        }
        let want = self.model.mix_frames(&list);
        let borrowed: Vec<(PartyId, &[S])> = list.iter().map(|(id, f)| (*id, &f[..])).collect();
        if want.is_ok() {
            self.tick(Some(&borrowed));
            return;
        }
        let before = self.s.copy();
        let got = self.s.get_mut().mix_frames(&borrowed);
        assert!(
            same(&got, &want),
            "mix_frames: got {got:?}, expected {want:?}"
        );
        self.s.unchanged(before, "mix_frames");
    }
}

impl<S: RefSample> Harness<S> {
    /// [`Op::SkipFrame`]: for a leg of several frames a tick, its next one
    /// is missing; for a party that takes one frame a tick it changes
    /// nothing, or fails as a frame would. Not through `control`: the
    /// shadows hold no frame until the tick.
    pub(super) fn skip_frame(&mut self, w: Who) {
        let id = self.who(w);
        let several = self
            .model
            .index(id)
            .is_ok_and(|i| self.model.parties[i].per_tick > 1);
        let want = self.model.skip_frame(id);
        let before = (want.is_err() || !several).then(|| self.s.copy());
        let got = self.s.get_mut().skip_frame(id);
        assert!(
            same(&got, &want),
            "skip_frame: got {got:?}, expected {want:?}"
        );
        if let Some(before) = before {
            self.s.unchanged(before, "skip_frame");
        }
    }

    /// [`Op::LoseFrame`]: for a party that conceals, its frame of the tick
    /// is lost (concealed); for one that does not, `skip_frame`. Detection
    /// is turned off first on a party that conceals: what it would hear of
    /// concealed audio is not modelled. Not through `control`: the shadows
    /// hold no frame until the tick.
    pub(super) fn lose_frame(&mut self, w: Who) {
        let id = self.who(w);
        let detecting = self.model.index(id).is_ok_and(|i| {
            let p = &self.model.parties[i];
            p.conceals && p.dtmf.is_some()
        });
        if detecting {
            let _ = self.control(
                "detect_dtmf",
                |s| s.detect_dtmf(id, false),
                |m| m.detect_dtmf(id, false),
            );
        }
        let want = self.model.lose_frame(id);
        let before = self.s.copy();
        let got = self.s.get_mut().lose_frame(id);
        assert!(
            same(&got, &want),
            "lose_frame: got {got:?}, expected {want:?}"
        );
        if want.is_err()
            || self.model.index(id).is_ok_and(|i| {
                let p = &self.model.parties[i];
                !p.conceals && p.per_tick == 1
            })
        {
            self.s.unchanged(before, "lose_frame");
        }
    }

    /// [`Op::Put`]: `put_frame` of a frame sized from the party's leg.
    pub(super) fn put_frame(&mut self, w: Who, f: &FrameArg) {
        let id = self.who(w);
        let frame = self.frame(id, f);
        self.put(id, &frame);
    }

    /// [`Op::FrameMut`]: `frame_mut`, zeroed at the leg's length, then written.
    pub(super) fn frame_mut(&mut self, w: Who, f: &FrameArg) {
        let id = self.who(w);
        let mut frame = self.frame(id, f);
        frame.resize(self.model.leg_spf(id), S::SILENCE);
        let want = self.model.slot(id).map(|i| {
            self.model.parties[i].take(Taken::Put, Some(&frame));
        });
        let before = want.is_err().then(|| self.s.copy());
        let got = self.s.get_mut().frame_mut(id).map(|buf| {
            assert_eq!(buf.len(), frame.len(), "frame_mut at the leg's length");
            assert!(
                buf.iter().all(|&x| x.same(S::SILENCE)),
                "frame_mut not zeroed"
            );
            buf.copy_from_slice(&frame);
        });
        assert!(
            same(&got, &want),
            "frame_mut: got {got:?}, expected {want:?}"
        );
        if let Some(before) = before {
            self.s.unchanged(before, "frame_mut");
        }
    }
}
