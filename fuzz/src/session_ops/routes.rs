//! The route matrix: route gains, what each route is heading for (the
//! modes close a route whatever the host set, so a route gain never opens
//! one), and ramps.

use std::time::Duration;

use barge::{Error, Event, Gain, PartyId};

use super::input::{db_of, ramp_of, DbArg, RampArg, Who};
use super::model::Model;
use super::runner::Harness;
use crate::reference::{table_allows, RefRole, RefSample};

/// Samples in `d` at `hz`, rounded to nearest (as documented for
/// `Format::samples_in`).
pub(super) fn samples_in(d: Duration, hz: u32) -> usize {
    ((d.as_nanos() * hz as u128 + 500_000_000) / 1_000_000_000) as usize
}

impl<S: RefSample> Model<S> {
    pub(super) fn route(&self, l: PartyId, t: PartyId) -> Result<(usize, usize), Error> {
        let li = self.index(l)?;
        let ti = self.index(t)?;
        if l == t {
            return Err(Error::SelfRoute { party: l });
        }
        Ok((li, ti))
    }

    pub(super) fn set_route_gain(&mut self, l: PartyId, t: PartyId, db: f32) -> Result<(), Error> {
        self.route(l, t)?;
        let gain = Gain::from_db(db)?;
        if self.route_gains.insert((l, t), gain) != Some(gain) {
            self.record(Event::RouteGainSet {
                listener: l,
                listener_label: self.label_of(l),
                talker: t,
                talker_label: self.label_of(t),
                gain,
                at: self.tick,
            });
        }
        Ok(())
    }

    pub(super) fn clear_route_gain(&mut self, l: PartyId, t: PartyId) -> Result<(), Error> {
        self.route(l, t)?;
        if self.route_gains.remove(&(l, t)).is_some() {
            self.record(Event::RouteGainCleared {
                listener: l,
                listener_label: self.label_of(l),
                talker: t,
                talker_label: self.label_of(t),
                at: self.tick,
            });
        }
        Ok(())
    }

    pub(super) fn route_gain(&self, l: PartyId, t: PartyId) -> Result<Option<Gain>, Error> {
        self.route(l, t)?;
        Ok(self.route_gains.get(&(l, t)).copied())
    }

    /// The linear gain at which `l` hears `t` from the next tick on.
    pub(super) fn hears(&self, l: PartyId, t: PartyId) -> Result<f32, Error> {
        let (li, ti) = self.route(l, t)?;
        Ok(self.target(li, ti).unwrap_or(0.0))
    }

    pub(super) fn set_ramp(&mut self, ramp: Duration) -> Result<(), Error> {
        let max = self.format.ptime().duration();
        if ramp > max {
            return Err(Error::RampTooLong { given: ramp, max });
        }
        self.ramp = ramp;
        self.ramp_samples = samples_in(ramp, self.format.rate().hz());
        Ok(())
    }

    /// Whether the mode table lets the party at `l` hear the one at `t`.
    pub(super) fn allows(&self, l: usize, t: usize) -> bool {
        let gated_out = self.gated()
            && matches!(
                self.parties[l].role,
                RefRole::Supervisor(_) | RefRole::Recorder { .. }
            );
        l != t && !gated_out && table_allows(self.parties[l].role, self.parties[t].role)
    }

    /// The linear gain the route from `t` to `l` is heading for: `None`
    /// where the modes close it, whatever the host set; else the route
    /// gain (unity if none) times the talker's volume, capped at +12 dB.
    pub(super) fn target(&self, l: usize, t: usize) -> Option<f32> {
        if !self.allows(l, t) {
            return None;
        }
        let (lp, tp) = (&self.parties[l], &self.parties[t]);
        let g = self
            .route_gains
            .get(&(lp.id, tp.id))
            .map_or(1.0, |g| g.linear());
        Some((g * tp.volume.linear()).min(Gain::MAX.linear()))
    }

    /// The gains (from, to) at which `l` hears `t` this tick: a route the
    /// modes close is silent from the first sample; any other ramps from
    /// where it stood to its target.
    pub(super) fn gains(&self, l: usize, t: usize) -> (f32, f32) {
        let (lp, tp) = (&self.parties[l], &self.parties[t]);
        match self.target(l, t) {
            Some(to) => {
                let cur = self.current.get(&(lp.id, tp.id)).copied().unwrap_or(0.0);
                (cur, to)
            }
            None => (0.0, 0.0),
        }
    }
}

impl<S: RefSample> Harness<S> {
    /// [`Op::SetRouteGain`].
    pub(super) fn set_route_gain(&mut self, l: Who, t: Who, db: DbArg) {
        let (l, t, db) = (self.who(l), self.who(t), db_of(db));
        let _ = self.control(
            "set_route_gain",
            |s| s.set_route_gain(l, t, db),
            |m| m.set_route_gain(l, t, db),
        );
    }

    /// [`Op::ClearRouteGain`].
    pub(super) fn clear_route_gain(&mut self, l: Who, t: Who) {
        let (l, t) = (self.who(l), self.who(t));
        let _ = self.control(
            "clear_route_gain",
            |s| s.clear_route_gain(l, t),
            |m| m.clear_route_gain(l, t),
        );
    }

    /// [`Op::SetRamp`], and `ramp` after it.
    pub(super) fn set_ramp(&mut self, r: RampArg) {
        let ramp = ramp_of(r, self.model.format.ptime().duration());
        let _ = self.control("set_ramp", |s| s.set_ramp(ramp), |m| m.set_ramp(ramp));
        assert_eq!(self.s.ramp(), self.model.ramp);
    }
}
