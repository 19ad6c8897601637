//! Cues: `set_cue` and the session's cue player, which plays a cue to its
//! audience from the tick the change that sets it off takes effect.

use barge::{Audience, Cue, CueOn, Error, Event, Join, PartyId, Role, ToneGenerator};

use super::input::{AudArg, ToneArg};
use super::model::Model;
use super::runner::Harness;
use crate::reference::{RefRole, RefSample};

impl<S: RefSample> Model<S> {
    /// `set_cue`; `next` is the id a join hands out next. Returns whether
    /// it added the cue player.
    pub(super) fn set_cue(
        &mut self,
        on: CueOn,
        cue: Option<Cue>,
        next: PartyId,
    ) -> Result<bool, Error> {
        let Some(cue) = cue else {
            self.cues[on as usize] = None;
            return Ok(false);
        };
        ToneGenerator::new(&cue.tone, self.format.rate())?;
        let mut added = false;
        if self.cue_player.is_none() {
            self.join(
                RefRole::Announcement { audience: 0 },
                next,
                None,
                None,
                false,
            )?;
            self.cue_player = Some(next);
            added = true;
        }
        self.cues[on as usize] = Some(cue);
        Ok(added)
    }

    /// The cue for `on`, set off by `sup`: the player plays it to its
    /// audience from the tick the change takes effect.
    pub(super) fn cue(&mut self, on: CueOn, sup: PartyId, in_tick: bool) {
        let (Some(cue), Some(player)) = (self.cues[on as usize], self.cue_player) else {
            return;
        };
        let Ok(i) = self.index(player) else { return };
        let bits = (0..4)
            .filter(|&b| {
                cue.audience.includes(
                    [
                        Role::Customer,
                        Role::Agent,
                        Role::Supervisor,
                        Role::Recorder,
                    ][b],
                )
            })
            .fold(0u8, |m, b| m | 1 << b);
        let p = &mut self.parties[i];
        // At the player's own rate: a tone it cannot play there is not
        // played.
        let Ok(tone) = ToneGenerator::new(&cue.tone, p.leg.rate()) else {
            return;
        };
        p.tone = Some(tone);
        p.role = RefRole::Announcement { audience: bits };
        let at = self.tick + in_tick as u64;
        self.log(
            Event::CueStarted {
                on,
                supervisor: sup,
                supervisor_label: self.label_of(sup),
                player,
                audience: cue.audience,
                at,
            },
            in_tick,
        );
    }
}

impl<S: RefSample> Harness<S> {
    /// [`Op::SetCue`]: the cue player joins with the first cue, mirrored on the other session; `cue_for` after it.
    pub(super) fn set_cue(&mut self, on: u8, cue: Option<(ToneArg, AudArg)>) {
        let on = CueOn::ALL[on as usize % 4];
        let cue = cue.map(|(t, a)| Cue {
            tone: t.spec(),
            audience: a.audience(),
        });
        let next = self.snapshot_id(self.model.issued.len());
        let got = self.control(
            "set_cue",
            |s| {
                let before = s.len();
                s.set_cue(on, cue).map(|()| s.len() > before)
            },
            |m| m.set_cue(on, cue, next),
        );
        if got == Ok(true) {
            let mirror = self
                .other
                .join(Join::announcement(Audience::NOBODY))
                .unwrap();
            self.mirrored(next, mirror);
        }
        assert_eq!(
            self.s.cue_for(on),
            self.model.cues[on as usize],
            "cue_for({on:?})"
        );
    }
}
