//! Legs at another format: `set_leg_format`, and the listeners the
//! reference cannot predict bit for bit (those that hear a leg at another
//! rate, or one that was lately).

use barge::{Error, Format, PartyId};

use super::input::{LegArg, Who, PTIMES, RATES};
use super::model::Model;
use super::runner::Harness;
use crate::reference::RefSample;

impl<S: RefSample> Model<S> {
    /// Notes the tick in which each leg is at another rate than the call's
    /// (see [`RefParty::converted_at`]).
    pub(super) fn mark_converted(&mut self) {
        for i in 0..self.parties.len() {
            if self.converted(i) {
                self.parties[i].converted_at = Some(self.tick);
            }
        }
    }

    /// Whether the call takes a leg in `leg`: its frames last the call's,
    /// a multiple of it, or a part of it.
    pub(super) fn check_leg_format(&self, leg: Format) -> Result<(), Error> {
        let (given, call) = (leg.ptime().ms(), self.format.ptime().ms());
        if !given.is_multiple_of(call) && !call.is_multiple_of(given) {
            return Err(Error::LegFrameDuration {
                given_ms: given,
                expected_ms: call,
            });
        }
        Ok(())
    }

    /// A leg's frames a tick: the call's frame duration over the leg's, for
    /// a leg of shorter frames; else 1.
    pub(super) fn per_tick(&self, leg: Format) -> usize {
        let (ms, call) = (leg.ptime().ms(), self.format.ptime().ms());
        if ms < call && call.is_multiple_of(ms) {
            (call / ms) as usize
        } else {
            1
        }
    }

    pub(super) fn set_leg_format(&mut self, id: PartyId, leg: Format) -> Result<(), Error> {
        let i = self.index(id)?;
        self.check_leg_format(leg)?;
        let per_tick = self.per_tick(leg);
        let p = &mut self.parties[i];
        if p.leg == leg {
            return Ok(());
        }
        if p.tone.is_some() {
            return Err(Error::TonePlaying { party: id });
        }
        if p.has_taken_any() {
            return Err(Error::DuplicateFrame {
                party: id,
                tick: self.tick,
            });
        }
        p.leg = leg;
        p.per_tick = per_tick;
        // A concealer hears the new leg afresh.
        p.in_loss = false;
        p.output = vec![S::SILENCE; p.tick_spf()];
        // A new leg at another rate has heard nothing yet; what a leg back
        // at the call's rate shows before its next tick is not specified.
        p.stale = leg.rate() == self.format.rate();
        Ok(())
    }

    pub(super) fn leg_format(&self, id: PartyId) -> Result<Format, Error> {
        self.index(id).map(|i| self.parties[i].leg)
    }

    /// Whether the party at `i` has a leg at another rate than the call.
    pub(super) fn converted(&self, i: usize) -> bool {
        self.parties[i].leg.rate() != self.format.rate()
    }
}

impl<S: RefSample> Harness<S> {
    /// The format a [`LegArg`] picks.
    pub(super) fn leg_of(&self, l: LegArg) -> Format {
        let call = self.model.format;
        let rate = match l.rate % 6 {
            5 => call.rate().hz(),
            r => RATES[r as usize],
        };
        let call_ms = call.ptime().ms();
        let ptime = match PTIMES[l.ptime as usize % 5] {
            _ if l.ptime < LegArg::OTHER_PTIME => call_ms,
            // Several of whose frames fill a tick (a browser's 10 ms on a
            // 20 ms call): modelled.
            ms if ms < call_ms && call_ms.is_multiple_of(ms) => ms,
            // A leg whose frames span several ticks is not modelled here
            // (tests/properties.rs and tests/call_behaviour.rs cover it).
            ms if ms.is_multiple_of(call_ms) => call_ms,
            // A duration the session refuses.
            ms => ms,
        };
        Format::new(rate, ptime).unwrap()
    }

    /// [`Op::SetLegFormat`]: a format the session takes or refuses, as the model says; detection turned off first on a supervisor whose leg leaves the call's rate.
    pub(super) fn set_leg_format(&mut self, w: Who, l: LegArg) {
        let id = self.who(w);
        let call = self.model.format;
        let leg = self.leg_of(l);
        let rate = leg.rate().hz();
        let detecting = self
            .model
            .index(id)
            .is_ok_and(|i| self.model.parties[i].dtmf.is_some());
        if detecting && rate != call.rate().hz() {
            // Detection on converted audio is not modelled.
            let _ = self.control(
                "detect_dtmf",
                |s| s.detect_dtmf(id, false),
                |m| m.detect_dtmf(id, false),
            );
        }
        // Not through `control`: the shadows hold no frame until
        // the tick, so only a format the session takes is theirs.
        let want = self.model.set_leg_format(id, leg);
        let before = want.is_err().then(|| self.s.copy());
        let got = self.s.get_mut().set_leg_format(id, leg);
        assert_eq!(got, want, "set_leg_format({id}, {leg:?})");
        if let Some(before) = before {
            self.s.unchanged(before, "set_leg_format");
        } else {
            for shadow in self.followers(false) {
                shadow.set_leg_format(id, leg).unwrap();
            }
        }
        assert_eq!(self.s.leg_format(id), self.model.leg_format(id));
    }
}
