//! Announcements, tones and cues: parties that talk to an audience and
//! hear nobody, tones the session plays on them, and the cues a supervisor's
//! changes set off.

use alloc::boxed::Box;

use super::cue::{Cue, CueOn};
use super::events::Event;
use super::party::Join;
use super::Session;
use crate::dsp::kernel::Sample;
use crate::dsp::tone::{ToneGenerator, ToneSpec};
use crate::error::Error;
use crate::id::PartyId;
use crate::policy::consent::ConsentBy;
use crate::route::{Audience, Role};

/// # Announcements and cues
///
/// Parties that talk to an audience and hear nobody, the tones the session
/// plays on them, and the cues a supervisor's changes set off.
impl<S: Sample> Session<S> {
    /// Changes who hears an announcement, from the next tick. A party that
    /// is not an announcement is [`Error::NotAnAnnouncement`].
    pub fn set_audience(&mut self, party: PartyId, audience: Audience) -> Result<(), Error> {
        let i = self.announcement(party)?;
        if self.disclosure == Some(party) && !audience.includes(Role::Customer) {
            return Err(Error::DisclosureUnheard { party, audience });
        }
        let from = self.parties[i].seat.audience;
        if from != audience {
            self.parties[i].seat.audience = audience;
            let label = self.label(i);
            self.record(Event::AudienceChanged {
                party,
                label,
                from,
                to: audience,
                at: self.tick,
            });
        }
        self.prepare();
        Ok(())
    }

    /// Plays `tone` on an announcement ([`Join::announcement`]) from the
    /// next tick: the tone is its frame every tick until it ends
    /// ([`Event::ToneEnded`]) or [`Session::stop`] stops it; a tone already
    /// playing is replaced. Meanwhile the host hands in no frame for it
    /// ([`Error::TonePlaying`]). The tone is generated at the party's leg
    /// rate, sample-accurate (see [`crate::tone`]). A party that is not an
    /// announcement is [`Error::NotAnAnnouncement`]; a tone that cannot be
    /// played at that rate is the [`ToneGenerator::new`] error; a party
    /// that has handed in its frame for the next tick (or lost it, or, on a
    /// leg of shorter frames, taken any of the tick's frames) is
    /// [`Error::DuplicateFrame`].
    ///
    /// ```
    /// use barge::{Audience, Format, Join, Role, Session, ToneSpec};
    /// let mut call = Session::<i16>::new(Format::NARROWBAND_20MS);
    /// let (c, a) = (call.join(Role::Customer)?, call.join(Role::Agent)?);
    /// // A beep that only the agent hears.
    /// let beep = call.join(Join::announcement(Audience::AGENTS))?;
    /// call.play(beep, &ToneSpec::JOIN_BEEP)?;
    /// call.mix();
    /// assert!(call.output(a)?.iter().any(|&x| x != 0));
    /// assert!(call.output(c)?.iter().all(|&x| x == 0));
    /// # Ok::<(), barge::Error>(())
    /// ```
    pub fn play(&mut self, party: PartyId, tone: &ToneSpec) -> Result<(), Error> {
        let i = self.announcement(party)?;
        let rate = self.parties[i]
            .leg
            .as_ref()
            .map_or(self.format, |l| l.format)
            .rate();
        let generator = ToneGenerator::new(tone, rate)?;
        let disclosure = self.disclosure == Some(party);
        if disclosure && generator.forever() {
            return Err(Error::DisclosureNeverEnds { party });
        }
        if self.has_taken_any(i) {
            return Err(Error::DuplicateFrame {
                party,
                tick: self.tick,
            });
        }
        if disclosure {
            // A tone the disclosure begins anew.
            self.disclosing = super::consent::Disclosing::NOT_YET;
        }
        self.parties[i].start_tone(generator);
        let label = self.label(i);
        self.record(Event::ToneStarted {
            party,
            label,
            tone: *tone,
            at: self.tick,
        });
        Ok(())
    }

    /// Stops the tone an announcement plays, from the next tick; nothing
    /// playing is accepted and records nothing.
    pub fn stop(&mut self, party: PartyId) -> Result<(), Error> {
        let i = self.announcement(party)?;
        if self.parties[i].end_tone() {
            let label = self.label(i);
            self.record(Event::ToneEnded {
                party,
                label,
                finished: false,
                at: self.tick,
            });
        }
        Ok(())
    }

    /// Sets the cue that plays when `on` happens to any supervisor (`None`:
    /// none; none is the default, so that a supervisor in monitor is
    /// undetectable unless the host says otherwise). The cue starts at the
    /// tick the change takes effect, on one announcement the session adds
    /// for all cues the first time one is set (it shows in
    /// [`Session::parties`]; if the host makes it leave, every cue is
    /// cleared), and [`Event::CueStarted`] records it. A cue that starts
    /// while another plays replaces it. A tone that cannot be played at the
    /// call's rate is the [`ToneGenerator::new`] error; a call with no room
    /// for the announcement is [`Error::TooManyParties`].
    ///
    /// ```
    /// use barge::{Audience, Cue, CueOn, Format, Join, Mode, Role, Session, ToneSpec};
    /// let mut call = Session::<i16>::new(Format::NARROWBAND_20MS);
    /// let (c, a) = (call.join(Role::Customer)?, call.join(Role::Agent)?);
    /// // Asterisk's beep to the spy, and a tone to both parties on barge.
    /// let beep = Cue { tone: ToneSpec::JOIN_BEEP, audience: Audience::SUPERVISORS };
    /// call.set_cue(CueOn::Join, Some(beep))?;
    /// let barge = Cue { tone: ToneSpec::JOIN_BEEP, audience: Audience::PARTIES };
    /// call.set_cue(CueOn::Barge, Some(barge))?;
    /// let boss = call.join(Join::supervisor(Mode::Monitor))?;
    /// call.mix();
    /// assert!(call.output(boss)?.iter().any(|&x| x != 0), "the supervisor hears the beep");
    /// assert!(call.output(c)?.iter().all(|&x| x == 0), "the customer does not");
    /// # Ok::<(), barge::Error>(())
    /// ```
    pub fn set_cue(&mut self, on: CueOn, cue: Option<Cue>) -> Result<(), Error> {
        let Some(cue) = cue else {
            self.cues[on.index()] = None;
            return Ok(());
        };
        // Checked here, so that the cue can play when its change comes.
        let generator = ToneGenerator::new(&cue.tone, self.format.rate())?;
        if self.cue_player.is_none() {
            // The player's tone is allocated now, so that a cue that a
            // digit sets off in a tick allocates nothing.
            let spare = Box::new(generator);
            let player = self.join(Join::announcement(Audience::NOBODY))?;
            let i = self.parties.len() - 1;
            self.parties[i].spare_tone = Some(spare);
            self.cue_player = Some(player);
        }
        self.cues[on.index()] = Some(cue);
        Ok(())
    }

    /// The cue set for `on`, if any.
    pub fn cue_for(&self, on: CueOn) -> Option<Cue> {
        self.cues[on.index()]
    }

    /// Starts the cue for `on`, set off by `supervisor`, if there is one.
    pub(super) fn cue(&mut self, on: CueOn, supervisor: PartyId, in_tick: bool) {
        let (Some(cue), Some(player)) = (self.cues[on.index()], self.cue_player) else {
            return;
        };
        let Ok(i) = self.index(player) else { return };
        let p = &mut self.parties[i];
        // At the player's own rate, should the host have put it on a leg of
        // another (a tone it cannot play there is not played).
        let rate = p.leg.as_ref().map_or(self.format, |l| l.format).rate();
        let Ok(generator) = ToneGenerator::new(&cue.tone, rate) else {
            return;
        };
        p.start_tone(generator);
        p.seat.audience = cue.audience;
        let at = self.tick + u64::from(in_tick);
        let supervisor_label = self.index(supervisor).ok().and_then(|s| self.label(s));
        self.log(
            Event::CueStarted {
                on,
                supervisor,
                supervisor_label,
                player,
                audience: cue.audience,
                at,
            },
            in_tick,
        );
    }

    /// Party `party`'s index, if it is an announcement.
    pub(super) fn announcement(&self, party: PartyId) -> Result<usize, Error> {
        let i = self.index(party)?;
        let role = self.parties[i].seat.role;
        if role != Role::Announcement {
            return Err(Error::NotAnAnnouncement { party, role });
        }
        Ok(i)
    }

    /// The frames of the announcements that play a tone; a tone that has
    /// ended is recorded. Returns the disclosure announcement if its tone
    /// played to the customer to its end in this tick.
    pub(super) fn play_tones(&mut self) -> Option<PartyId> {
        let mut disclosed = None;
        for i in 0..self.parties.len() {
            let Some(mut tone) = self.parties[i].tone.take() else {
                continue;
            };
            if self.parties[i].leg.as_ref().is_some_and(|l| l.phase != 0) {
                // A leg frame that spans several ticks is under way.
                self.parties[i].tone = Some(tone);
                continue;
            }
            // A leg of several frames a tick: the tone is all of them.
            tone.fill(self.tick_input_at(i));
            let p = &mut self.parties[i];
            p.has_input = true;
            if tone.is_finished() {
                // Kept for the next tone: a tick frees nothing.
                p.spare_tone = Some(tone);
                p.update_plain();
                let party = p.id;
                let label = self.label(i);
                self.record_in_tick(Event::ToneEnded {
                    party,
                    label,
                    finished: true,
                    at: self.tick + 1,
                });
                if self.disclosure == Some(party) && self.gated() && self.disclosing.played() {
                    // The gate lifts after this tick, its last of the
                    // disclosure: nobody listens to it or to what comes
                    // with it. On the audit trail, right after the tone's
                    // end.
                    disclosed = Some(party);
                    self.record_in_tick(Event::ConsentGiven {
                        by: ConsentBy::Disclosure(party),
                        at: self.tick + 1,
                    });
                }
            } else {
                p.tone = Some(tone);
            }
        }
        disclosed
    }
}
