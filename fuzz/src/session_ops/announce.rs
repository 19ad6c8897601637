//! Announcements and their tones: `join_announcement`, `set_audience`,
//! `play`, `stop`. The model plays each tone with its own
//! [`ToneGenerator`], so that exactly the roles of the audience hear it,
//! bit for bit.

use barge::{ConsentBy, Error, Event, Join, PartyId, Role, ToneGenerator, ToneSpec};

use super::consent::Disclosing;

use super::input::{AudArg, ToneArg, Who};
use super::model::Model;
use super::party::Taken;
use super::runner::Harness;
use crate::reference::{RefRole, RefSample};

impl<S: RefSample> Model<S> {
    /// The tones' part of a tick: each is its announcement's frame, at
    /// its leg's rate. One that ends records `ToneEnded`, and, if it is the
    /// disclosure ([`Model::discloses`]), `ConsentGiven`: returns whether
    /// one did, the gate lifting from the next tick.
    pub(super) fn play_tones(&mut self) -> bool {
        let mut disclosed = false;
        for i in 0..self.parties.len() {
            let p = &mut self.parties[i];
            // All the frames of the tick, of a leg of shorter frames.
            let spf = p.tick_spf();
            let Some(tone) = p.tone.as_mut() else {
                continue;
            };
            let mut f = vec![S::SILENCE; spf];
            tone.fill(&mut f);
            p.frame = Some(f);
            if p.per_tick > 1 {
                p.taken = vec![Taken::Put; p.per_tick];
            }
            if tone.is_finished() {
                p.tone = None;
                let (id, label) = (p.id, p.label());
                self.tick_events.push(Event::ToneEnded {
                    party: id,
                    label,
                    finished: true,
                    at: self.tick + 1,
                });
                if self.discloses(id) {
                    disclosed = true;
                    self.tick_events.push(Event::ConsentGiven {
                        by: ConsentBy::Disclosure(id),
                        at: self.tick + 1,
                    });
                }
            }
        }
        disclosed
    }

    pub(super) fn announcement(&self, id: PartyId) -> Result<usize, Error> {
        let i = self.index(id)?;
        match self.parties[i].role {
            RefRole::Announcement { .. } => Ok(i),
            _ => Err(Error::NotAnAnnouncement {
                party: id,
                role: self.parties[i].public_role(),
            }),
        }
    }

    pub(super) fn set_audience(&mut self, id: PartyId, a: AudArg) -> Result<(), Error> {
        let i = self.announcement(id)?;
        let from = self.parties[i].audience().unwrap();
        let to = AudArg(a.0 & 15);
        if self.disclosure == Some(id) && !to.audience().includes(Role::Customer) {
            return Err(Error::DisclosureUnheard {
                party: id,
                audience: to.audience(),
            });
        }
        if from != to.audience() {
            self.parties[i].role = RefRole::Announcement { audience: to.0 };
            self.record(Event::AudienceChanged {
                party: id,
                label: self.parties[i].label(),
                from,
                to: to.audience(),
                at: self.tick,
            });
        }
        Ok(())
    }

    pub(super) fn play(&mut self, id: PartyId, spec: &ToneSpec) -> Result<(), Error> {
        let i = self.announcement(id)?;
        let g = ToneGenerator::new(spec, self.parties[i].leg.rate())?;
        let disclosure = self.disclosure == Some(id);
        if disclosure && g.forever() {
            return Err(Error::DisclosureNeverEnds { party: id });
        }
        if self.parties[i].has_taken_any() {
            return Err(Error::DuplicateFrame {
                party: id,
                tick: self.tick,
            });
        }
        if disclosure {
            self.disclosing = Disclosing::NOT_YET;
        }
        self.parties[i].tone = Some(g);
        self.record(Event::ToneStarted {
            party: id,
            label: self.parties[i].label(),
            tone: *spec,
            at: self.tick,
        });
        Ok(())
    }

    pub(super) fn stop(&mut self, id: PartyId) -> Result<(), Error> {
        let i = self.announcement(id)?;
        if self.parties[i].tone.take().is_some() {
            self.record(Event::ToneEnded {
                party: id,
                label: self.parties[i].label(),
                finished: false,
                at: self.tick,
            });
        }
        Ok(())
    }
}

impl<S: RefSample> Harness<S> {
    /// [`Op::JoinAnnouncement`].
    pub(super) fn join_announcement(&mut self, a: AudArg) {
        let a = AudArg(a.0 & 15);
        self.join(
            "join_announcement",
            RefRole::Announcement { audience: a.0 },
            None,
            |s| s.join(Join::announcement(a.audience())),
        );
    }

    /// [`Op::SetAudience`].
    pub(super) fn set_audience(&mut self, w: Who, a: AudArg) {
        let id = self.who(w);
        let _ = self.control(
            "set_audience",
            |s| s.set_audience(id, a.audience()),
            |m| m.set_audience(id, a),
        );
    }

    /// [`Op::Play`].
    pub(super) fn play(&mut self, w: Who, t: ToneArg) {
        let (id, spec) = (self.who(w), t.spec());
        // Not through `control`: the shadows hold no frame until
        // the tick (`DuplicateFrame`), so only a tone the session
        // takes is theirs.
        let want = self.model.play(id, &spec);
        let before = want.is_err().then(|| self.s.copy());
        let got = self.s.get_mut().play(id, &spec);
        assert_eq!(got, want, "play({id}, {spec:?})");
        if let Some(before) = before {
            self.s.unchanged(before, "play");
        } else {
            for shadow in self.followers(false) {
                shadow.play(id, &spec).unwrap();
            }
        }
    }

    /// [`Op::Stop`].
    pub(super) fn stop(&mut self, w: Who) {
        let id = self.who(w);
        let _ = self.control("stop", |s| s.stop(id), |m| m.stop(id));
    }
}
