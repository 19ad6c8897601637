//! A tick: the reference mixer's, and the session's checked against it:
//! every output bit for bit where the reference predicts it, the
//! statistics, the twin (`put_frame` and `mix`), the untapped twin and the
//! consent gate.

use barge::{Consent, PartyId, Session};

use super::model::Model;
use super::party::{RefParty, Taken};
use super::runner::{same_frame, Harness};
use crate::reference::{RefRole, RefSample, RefTalker};

impl<S: RefSample> Model<S> {
    /// Before a tick: which frames of parties that conceal loss carry
    /// concealed audio (a lost one, and the first one handed in after it,
    /// which blends out of the concealment), and the count of the lost.
    fn conceal(&mut self) {
        let tick = self.tick;
        for p in self.parties.iter_mut().filter(|p| p.conceals) {
            if p.lost || (p.in_loss && p.frame.is_some()) {
                p.concealed_at = Some(tick);
            }
            p.concealed += p.lost_count();
            // A frame handed in ends the loss with a blend; one absent on
            // purpose ends it without.
            p.in_loss = p.lost;
        }
    }

    /// One tick of the reference mixer.
    pub(super) fn mix(&mut self) {
        self.conceal();
        self.listen_to_disclosure();
        let disclosed = self.play_tones();
        let digits = self.listen_for_digits();
        self.silence_bad_samples();
        self.mark_converted();
        let n = self.parties.len();
        let mut outs = Vec::with_capacity(n);
        let mut next = Vec::new();
        let mut exact = Vec::with_capacity(n);
        for l in 0..n {
            let mut talkers = Vec::new();
            let mut known = !self.converted(l);
            for t in 0..n {
                if t == l {
                    continue;
                }
                let (from, to) = self.gains(l, t);
                next.push(((self.parties[l].id, self.parties[t].id), to));
                let lately = self.parties[t]
                    .converted_at
                    .is_some_and(|at| self.tick - at <= 2);
                if self.converted(t) || lately || !self.parties[t].unconcealed(self.tick) {
                    // What its resampler gives is not modelled, and it
                    // gives something even for a missing frame (the tail
                    // of the last one): predictable only where unheard.
                    known &= from == 0.0 && to == 0.0;
                } else if let Some(f) = self.parties[t]
                    .frame
                    .as_ref()
                    .filter(|_| !self.parties[t].muted)
                {
                    talkers.push(RefTalker {
                        samples: f,
                        from,
                        to,
                        ramp: self.ramp_samples,
                    });
                }
            }
            let mut out = vec![S::SILENCE; self.spf];
            let clipped = S::reference_mix(&mut out, &talkers);
            outs.push((out, clipped));
            exact.push(known);
        }
        self.current.extend(next);
        self.mix_taps();
        for ((p, (out, clipped)), exact) in self.parties.iter_mut().zip(outs).zip(exact) {
            p.exact = exact;
            p.stale = false;
            p.output = out;
            if exact {
                p.clipped += clipped as u64;
            }
            p.present += 1;
            p.muted = false;
            p.lost = false;
            p.slots += p.per_tick as u64;
            if p.per_tick > 1 {
                // Each of the tick's frames, handed in or missing.
                let put = p.taken.iter().filter(|&&t| t == Taken::Put).count() as u64;
                p.mixed += put;
                p.missing += p.per_tick as u64 - put;
                p.taken.clear();
                p.frame = None;
            } else if p.frame.take().is_some() {
                p.mixed += 1;
            } else {
                p.missing += 1;
            }
        }
        if disclosed {
            self.consent = Consent::Given;
        }
        self.switch_on_digits(digits);
        self.tick += 1;
    }
}

/// Hands `session` what `p` took for the tick, as the session under test
/// took it: each frame handed in, lost or skipped, in order; with `fill`, a
/// silent frame for each missing one (skipped, or never handed in), else
/// nothing for one never handed in. A party that plays a tone takes none.
pub(super) fn hand_over<S: RefSample>(session: &mut Session<S>, p: &RefParty<S>, fill: bool) {
    if p.tone.is_some() {
        return;
    }
    let n = p.leg.samples_per_frame();
    let silent = || vec![S::SILENCE; n];
    if p.per_tick == 1 {
        if p.lost {
            session.lose_frame(p.id).unwrap();
        } else if let Some(f) = &p.frame {
            session.put_frame(p.id, f).unwrap();
        } else if fill {
            session.put_frame(p.id, &silent()).unwrap();
        }
        return;
    }
    for k in 0..p.per_tick {
        match (p.taken.get(k), &p.frame) {
            (Some(Taken::Put), Some(f)) => session.put_frame(p.id, &f[k * n..(k + 1) * n]),
            (Some(Taken::Lost), _) => session.lose_frame(p.id),
            (Some(Taken::Skipped) | None, _) if fill => session.put_frame(p.id, &silent()),
            (Some(Taken::Skipped), _) => session.skip_frame(p.id),
            (None, _) => break,
            (Some(Taken::Put), None) => unreachable!("a frame handed in is held"),
        }
        .unwrap();
    }
}

impl<S: RefSample> Harness<S> {
    /// A tick: `mix`, or `mix_frames` of `borrowed` (already handed to
    /// the model), and every check of it.
    pub(super) fn tick(&mut self, borrowed: Option<&[(PartyId, &[S])]>) {
        let tick = self.model.tick;
        let gated = self.model.gated();
        let hidden = self.hide();
        self.ready_shadows(&hidden);
        self.feed_shadows(&hidden);
        // The twins: the same frames, and a silent one for each missing.
        let m = &self.model;
        // A missing frame of the disclosure is a gap in it, where a
        // silent one is not: the twins are handed none either.
        let watched = m.watched();
        // A party that conceals loses its lost frames there too, and hands
        // in nothing for an absent one: a silent frame would end a loss
        // with a blend, where an absent one ends it without.
        for (i, p) in m.parties.iter().enumerate() {
            let fill = watched != Some(i) && !p.conceals;
            hand_over(&mut self.twin, p, fill);
            if let Some(untapped) = self.untapped.as_mut() {
                hand_over(untapped, p, fill);
            }
        }

        match borrowed {
            Some(frames) => {
                let r = self.s.get_mut().mix_frames(frames);
                assert!(r.is_ok(), "mix_frames: got {r:?}, expected Ok");
            }
            None => self.s.get_mut().mix(),
        }
        let shadows = self.shadows.iter_mut().flatten().map(|s| &mut s.session);
        for shadow in shadows.chain([&mut self.twin]) {
            shadow.mix();
        }
        if let Some(untapped) = self.untapped.as_mut() {
            untapped.mix();
        }
        self.model.mix();
        self.settle_trail();

        let m = &self.model;
        let spf = m.spf;
        let via = if borrowed.is_some() {
            "mix_frames"
        } else {
            "mix"
        };
        assert_eq!(self.s.tick(), m.tick);
        // `outputs` lists every party in order with what `output` gives it.
        assert_eq!(self.s.outputs().len(), m.parties.len(), "tick {tick}");
        for ((id, all), p) in self.s.outputs().zip(&m.parties) {
            assert_eq!(id, p.id, "tick {tick}: outputs in the parties' order");
            let one = self.s.output(p.id).unwrap();
            assert!(core::ptr::eq(all, one), "tick {tick}: outputs of {id}");
        }
        // What the reference cannot predict, as the session gave it.
        let mut observed = Vec::new();
        for (l, p) in m.parties.iter().enumerate() {
            let out = self.s.output(p.id).unwrap();
            let leg_spf = p.tick_spf();
            assert_eq!(
                out.len(),
                leg_spf,
                "tick {tick}: output of {} at {:?}",
                p.id,
                p.leg
            );
            for x in out {
                assert!(
                    x.valid_output(),
                    "tick {tick}: {} hears invalid {x:?}",
                    p.id
                );
            }
            if p.exact {
                for (i, (x, y)) in out.iter().zip(&p.output).enumerate() {
                    assert!(
                        x.same(*y),
                        "tick {tick} ({via}): {} hears {x:?} at sample {i}, reference {y:?}",
                        p.id
                    );
                }
            }
            assert!(
                same_frame(out, self.twin.output(p.id).unwrap()),
                "tick {tick}: {} ({:?}, leg {:?}) hears otherwise after {via} than after \
                 put_frame (a silent frame for each missing one) and mix",
                p.id,
                p.role,
                p.leg
            );
            self.check_shadows(tick, l, out, &hidden);
            // Before the first tap, the untapped twin is the twin.
            let untapped = self.untapped.as_ref().unwrap_or(&self.twin);
            assert!(
                same_frame(out, untapped.output(p.id).unwrap()),
                "tick {tick}: {} ({:?}) hears otherwise with taps ({}) than without",
                p.id,
                p.role,
                m.taps.len()
            );
            let st = self.s.party(p.id).unwrap().stats;
            let twin = self.twin.party(p.id).unwrap().stats;
            assert_eq!(
                twin,
                untapped.party(p.id).unwrap().stats,
                "tick {tick}: stats of {} with taps and without",
                p.id
            );
            assert_eq!(
                (st.samples_clipped, st.samples_non_finite),
                (twin.samples_clipped, twin.samples_non_finite),
                "tick {tick}: clipped and non-finite samples of {} after {via} and in the twin",
                p.id
            );
            assert_eq!(
                st.frames_mixed + st.frames_missing,
                p.slots,
                "frames of the ticks present"
            );
            let clipped = if p.exact {
                p.clipped
            } else {
                // At most every sample of the mix, and of the leg's
                // conversion back to its rate.
                let most = spf + leg_spf * m.converted(l) as usize;
                let new = st.samples_clipped.checked_sub(p.clipped);
                assert!(
                    new.is_some_and(|k| k <= most as u64),
                    "tick {tick}: {} clipped {} after {}",
                    p.id,
                    st.samples_clipped,
                    p.clipped
                );
                observed.push((l, out.to_vec(), st.samples_clipped));
                st.samples_clipped
            };
            assert_eq!(
                (
                    st.frames_mixed,
                    st.frames_missing,
                    st.frames_concealed,
                    st.samples_clipped,
                    st.samples_non_finite
                ),
                (p.mixed, p.missing, p.concealed, clipped, p.non_finite),
                "tick {tick}: stats of {}",
                p.id
            );
        }
        if gated {
            // The consent gate: no supervisor or recorder hears anything.
            for p in m.parties.iter() {
                if matches!(p.role, RefRole::Supervisor(_) | RefRole::Recorder { .. })
                    && !m.converted(m.index(p.id).unwrap())
                    && p.exact
                {
                    let out = self.s.output(p.id).unwrap();
                    assert!(
                        out.iter().all(|x| x.same(S::SILENCE)),
                        "tick {tick}: {} ({:?}) heard something before the disclosure",
                        p.id,
                        p.role
                    );
                }
            }
        }
        for (l, out, clipped) in observed {
            let p = &mut self.model.parties[l];
            p.output = out;
            p.clipped = clipped;
        }
        self.check_taps(tick, &hidden);
        // The shadows last the tick (see `ready_shadows`).
        self.drop_shadows();
        if gated {
            for t in self
                .model
                .taps
                .iter()
                .filter(|t| t.exact.iter().all(|&e| e))
            {
                let frame = self.s.tap_frame(t.id).unwrap();
                assert!(
                    frame.iter().all(|x| x.same(S::SILENCE)),
                    "tick {tick}: {} recorded something before the disclosure",
                    t.id
                );
            }
        }
    }
}
