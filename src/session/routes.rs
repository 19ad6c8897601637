//! The route matrix: how every listener hears every talker in the next
//! tick. A control call that changes a route works the matrix out (each
//! route's gain, ramping from the gain in force to its target) and
//! compiles it into the plan; the tick runs that plan, then moves the
//! routes that moved on to where the tick left them.

use alloc::vec::Vec;
use core::time::Duration;

use super::consent::listens;
use super::events::Event;
use super::party::{Party, RouteState};
use super::{Session, MAX_PARTIES};
use crate::dsp::kernel::{RouteGain, Sample};
use crate::error::Error;
use crate::gain::{Gain, MaybeGain};
use crate::id::PartyId;
use crate::label::Label;
#[cfg(test)]
use crate::plan::Plan;
use crate::route::{mode_allows, Role, Seat};

/// The gain ramp a new session uses for routes that open or close: 5 ms, or
/// the whole frame when frames are shorter.
pub const DEFAULT_RAMP: Duration = Duration::from_millis(5);

/// One open route, as [`Session::routes`] lists it: who hears whom, at what
/// gain, with the host's keys for both.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct Route {
    /// Who hears.
    pub listener: PartyId,
    /// Its key, if it joined with one.
    pub listener_label: Option<Label>,
    /// Whom.
    pub talker: PartyId,
    /// Its key, if it joined with one.
    pub talker_label: Option<Label>,
    /// At which gain (the talker's volume times the route gain).
    pub gain: Gain,
}

/// What the routes from one talker need to know for a tick.
#[derive(Debug, Clone, Copy)]
pub(super) struct TalkerNow {
    pub(super) seat: Seat,
    pub(super) volume: Gain,
    /// The first tick in which a route from it that opens may be heard
    /// (see [`next_route`]).
    pub(super) opens_at: u64,
    /// Where its frame of the tick carries concealed audio (a lost frame
    /// filled from its earlier audio): the tick of the oldest audio in it.
    /// Only a route open since then carries it (see [`next_route`]).
    pub(super) stale_from: Option<u64>,
}

impl TalkerNow {
    /// A place holder.
    const NOBODY: TalkerNow = TalkerNow {
        seat: Seat::new(Role::Recorder),
        volume: Gain::MUTED,
        opens_at: 0,
        stale_from: None,
    };

    /// Party `p` as a talker in the tick `tick`, of a call at `call_rate`.
    ///
    /// A route from a talker on a leg of another format than the call's
    /// opens only once what the talker hands in after the change reaches
    /// the call: at the talker's next frame (a leg frame that spans several
    /// ticks was handed in before the change), and, for a leg at another
    /// rate, one tick later still (the first few ms of a frame, its
    /// resampler's delay, under the shortest frame, carry the frame
    /// before).
    #[inline(always)]
    pub(super) fn of<S>(
        p: &Party<S>,
        tick: u64,
        call_rate: crate::format::SampleRate,
    ) -> TalkerNow {
        let opens_at = match p.leg.as_deref() {
            Some(leg) => {
                let fresh = if leg.phase == 0 {
                    0
                } else {
                    leg.ticks - leg.phase
                };
                let memory = u64::from(leg.format.rate() != call_rate);
                tick + fresh as u64 + memory
            }
            None => tick,
        };
        TalkerNow {
            seat: p.seat,
            volume: p.volume,
            opens_at,
            stale_from: p.conceal.as_deref().and_then(|c| c.stale_from(tick)),
        }
    }
}

/// The gain in the tick `tick` of a route in `state`, whose gain once every
/// ramp is over is `target` (`None`: the modes close it), from a talker
/// whose routes that open may be heard from the tick `opens_at`
/// ([`TalkerNow::of`]). `state.next_held` becomes what `state.held_until`
/// is after the tick; the rest of `state` is left as it is, so that the
/// routes of a tick may be worked out again after another change before
/// it is mixed ([`Session::commit_routes`] moves the route on).
///
/// Until the talker can be heard a route that opens is held closed, and
/// `held_until` says from which tick it may open.
///
/// Concealed audio counts as audio of the tick it was made from
/// (`talker.stale_from`): a route that opened after that tick (or opens
/// now) closes at once for this tick, as a route the modes close does, and
/// opens again, with the ramp, once the talker's frame is its own again.
#[inline(always)]
pub(super) fn next_route(
    state: &mut RouteState,
    target: Option<Gain>,
    talker: &TalkerNow,
    ramp: usize,
    tick: u64,
) -> RouteGain {
    let g = next_route_fresh(state, target, talker.opens_at, ramp, tick);
    match talker.stale_from {
        Some(from) if !g.to.is_muted() || !g.from.is_muted() => {
            let opened = if state.current.is_muted() {
                tick
            } else {
                state.opened
            };
            if opened > from {
                // Worked out again at the next tick, to open again.
                state.next_held = tick + 1;
                return RouteGain::MUTED;
            }
            g
        }
        _ => g,
    }
}

/// [`next_route`] of a talker whose frame is its own audio of the tick.
#[inline(always)]
fn next_route_fresh(
    state: &mut RouteState,
    target: Option<Gain>,
    opens_at: u64,
    ramp: usize,
    tick: u64,
) -> RouteGain {
    let g = match target {
        Some(target) => RouteGain::ramp(state.current, target, ramp),
        // Closed by the mode table: close at once. A ramp down would let the
        // first milliseconds of a whisper reach the customer, or a
        // monitoring supervisor be heard at all.
        None => RouteGain::MUTED,
    };
    let opens = state.current.is_muted() && !g.to.is_muted();
    if !opens && state.held_until == 0 {
        // Held only where it opens: the usual route.
        state.next_held = 0;
        return g;
    }
    let until = match (opens, state.held_until) {
        (true, 0) => opens_at,
        (true, until) => until,
        _ => tick,
    };
    let held = until > tick;
    state.next_held = if held { until } else { 0 };
    if held {
        RouteGain::MUTED
    } else {
        g
    }
}

/// Whether mixing a tick at `gain` moves the route: its gain at the end of
/// the tick, or whether it is held, changes. A route that does not move
/// ramps nowhere: its gain starts where it ends (`next_route` ramps from
/// the gain in force).
#[inline(always)]
pub(super) fn moves(state: &RouteState, gain: &RouteGain) -> bool {
    let same = |a: Gain, b: Gain| a.linear().to_bits() == b.linear().to_bits();
    !same(state.current, gain.to) || state.held_until != state.next_held
}

/// Moves a route to where the tick `tick`, mixed at `gain`, leaves it; after
/// a tick in which routes ramped (`ramps`), its gain is steady at its
/// target.
#[inline(always)]
pub(super) fn commit_route(state: &mut RouteState, gain: &mut RouteGain, ramps: bool, tick: u64) {
    if state.current.is_muted() && !gain.to.is_muted() {
        state.opened = tick;
    }
    state.current = gain.to;
    state.held_until = state.next_held;
    if ramps {
        *gain = RouteGain::steady(gain.to);
    }
}

/// The routes a working out of the route matrix finds to move
/// ([`moves`]) when the tick is mixed: the parties' routes by listener
/// and talker, up to [`Moving::MAX`] of them, or, beyond or where a tap's
/// route moves, all (the commit then passes over the whole matrix). A
/// change moves a route or two: a supervisor's mode, a volume.
#[derive(Debug, Clone, Copy)]
pub(super) struct Moving {
    pub(super) routes: [(u8, u8); Moving::MAX],
    /// How many of `routes` move; `u8::MAX` for all.
    pub(super) len: u8,
}

impl Moving {
    pub(super) const MAX: usize = 6;
    pub(super) const NONE: Moving = Moving {
        routes: [(0, 0); Moving::MAX],
        len: 0,
    };
    pub(super) const ALL: Moving = Moving {
        routes: [(0, 0); Moving::MAX],
        len: u8::MAX,
    };

    /// The route from talker `t` to listener `l` moves.
    #[inline(always)]
    pub(super) fn add(&mut self, l: usize, t: usize) {
        let len = usize::from(self.len);
        match (self.routes.get_mut(len), u8::try_from(l), u8::try_from(t)) {
            (Some(route), Ok(l), Ok(t)) => {
                *route = (l, t);
                self.len += 1;
            }
            _ => *self = Moving::ALL,
        }
    }

    /// The routes that move, unless all do.
    #[inline(always)]
    pub(super) fn routes(&self) -> Option<&[(u8, u8)]> {
        self.routes.get(..usize::from(self.len))
    }
}

/// The gains of a route that opens over `samples` samples: the session's
/// [`Session::open_ramp`].
pub(super) fn open_ramp<S: Sample>(samples: usize) -> Vec<S::KGain> {
    let mut gains = alloc::vec![S::kgain(0.0); samples];
    crate::dsp::kernel::open_gains::<S>(&mut gains);
    gains
}

/// The gain at which a listener in `seat` (who [`listens`] or not) hears
/// a talker in `talker` at `volume`, whose route is in `state`, once every
/// ramp is over; `None` where the modes close the route.
#[inline(always)]
pub(super) fn target_gain(
    seat: Seat,
    listens: bool,
    talker: Seat,
    volume: Gain,
    state: RouteState,
) -> Option<Gain> {
    if !listens || !mode_allows(seat, talker) {
        return None;
    }
    Some(match state.adjusted.get() {
        Some(g) => g.then(volume),
        None => volume,
    })
}

/// # Routes: who hears whom, at what gain
///
/// The mode table decides which routes are open; the host's route gains
/// and volumes lower, raise or close them, never open one; routes that
/// open ramp in.
impl<S: Sample> Session<S> {
    /// The ramp routes use when they open or close.
    pub fn ramp(&self) -> Duration {
        self.ramp
    }

    /// Sets how long a route takes to open or close (linear gain ramp), from
    /// the next tick on. Zero switches at once; more than one frame is
    /// [`Error::RampTooLong`].
    ///
    /// A route from a supervisor that its new mode closes (barge to whisper:
    /// the customer; to monitor: everyone) always closes at once, so that not
    /// one sample of a whisper or a monitoring supervisor reaches a party the
    /// mode forbids.
    pub fn set_ramp(&mut self, ramp: Duration) -> Result<(), Error> {
        let max = self.format.ptime().duration();
        if ramp > max {
            return Err(Error::RampTooLong { given: ramp, max });
        }
        self.ramp = ramp;
        self.ramp_samples = self.format.samples_in(ramp);
        self.open_ramp = open_ramp::<S>(self.ramp_samples);
        self.rework_routes();
        Ok(())
    }

    /// Every open route now: who hears whom at what gain, by id and by the
    /// host's keys, for a supervisor's dashboard or a test. A route is
    /// open when the table, the policy's consequences, the consent gate and
    /// the host's gains let the listener hear the talker at some gain; it
    /// is what [`Session::hears`] says of each pair, from the next tick.
    pub fn routes(&self) -> impl Iterator<Item = Route> + '_ {
        self.parties
            .iter()
            .enumerate()
            .flat_map(move |(l, listener)| {
                self.parties
                    .iter()
                    .enumerate()
                    .filter(move |&(t, _)| t != l)
                    .filter_map(move |(t, talker)| {
                        let gain = self.gain_now(l, t);
                        (!gain.is_muted()).then_some(Route {
                            listener: listener.id,
                            listener_label: listener.identity().map(|i| i.key()),
                            talker: talker.id,
                            talker_label: talker.identity().map(|i| i.key()),
                            gain,
                        })
                    })
            })
    }

    /// Sets the gain of one route: from the next tick `listener` hears
    /// `talker` at `gain_db` (`f32::NEG_INFINITY`: must not hear) times the
    /// talker's volume, wherever the modes let `listener` hear `talker`.
    ///
    /// A route gain can lower, raise (up to [`Gain::MAX_DB`]) or close a
    /// route the modes open; it never opens one they close. It stays set
    /// through mode changes and applies again whenever the modes open the
    /// route: "turn the supervisor down for the customer" made in barge
    /// mutes nothing in whisper (the customer hears no whisper anyway) and
    /// holds again back in barge. To let a supervisor talk to one side only,
    /// use its mode ([`Mode::CustomerOnly`](crate::Mode::CustomerOnly), [`Mode::PrivateWhisper`](crate::Mode::PrivateWhisper)).
    ///
    /// Setting the gain a route already has records nothing.
    pub fn set_route_gain(
        &mut self,
        listener: PartyId,
        talker: PartyId,
        gain_db: f32,
    ) -> Result<(), Error> {
        let (l, t) = self.route_index(listener, talker)?;
        let gain = Gain::from_db(gain_db)?;
        let state = &mut self.parties[l].heard[t];
        if state.adjusted.get() == Some(gain) {
            return Ok(());
        }
        state.adjusted = MaybeGain::some(gain);
        let (listener_label, talker_label) = (self.label(l), self.label(t));
        self.record(Event::RouteGainSet {
            listener,
            listener_label,
            talker,
            talker_label,
            gain,
            at: self.tick,
        });
        self.prepare();
        Ok(())
    }

    /// Clears a route gain: from the next tick `listener` hears `talker` at
    /// unity (times the talker's volume) wherever the modes open the route.
    /// Clearing a route with no gain set is accepted and records nothing.
    pub fn clear_route_gain(&mut self, listener: PartyId, talker: PartyId) -> Result<(), Error> {
        let (l, t) = self.route_index(listener, talker)?;
        let state = &mut self.parties[l].heard[t];
        let had = state.adjusted.get().is_some();
        state.adjusted = MaybeGain::NONE;
        if had {
            let (listener_label, talker_label) = (self.label(l), self.label(t));
            self.record(Event::RouteGainCleared {
                listener,
                listener_label,
                talker,
                talker_label,
                at: self.tick,
            });
        }
        self.prepare();
        Ok(())
    }

    /// The host's gain for a route, if one is set.
    pub fn route_gain(&self, listener: PartyId, talker: PartyId) -> Result<Option<Gain>, Error> {
        let (l, t) = self.route_index(listener, talker)?;
        Ok(self.parties[l].heard[t].adjusted.get())
    }

    /// Whether `listener` hears `talker` from the next tick on, and at what
    /// gain (the route gain times the talker's volume): [`Gain::MUTED`]
    /// where the modes close the route or the host muted it.
    pub fn hears(&self, listener: PartyId, talker: PartyId) -> Result<Gain, Error> {
        let (l, t) = self.route_index(listener, talker)?;
        Ok(self.gain_now(l, t))
    }

    /// The gain at which party `l` hears party `t` once every ramp is over.
    pub(super) fn gain_now(&self, l: usize, t: usize) -> Gain {
        let seat = self.parties[l].seat;
        let listens = listens(seat, self.gated());
        let talker = &self.parties[t];
        target_gain(
            seat,
            listens,
            talker.seat,
            talker.volume,
            self.parties[l].heard[t],
        )
        .unwrap_or(Gain::MUTED)
    }

    /// After a control call that changed the routes: works them out and
    /// compiles the plan now, so that the tick after it runs the plan it
    /// finds. Another change before the tick works them out again.
    pub(super) fn prepare(&mut self) {
        if !self.settled && !self.compiled && !self.general_only() {
            self.compiled_held = self.compile_routes();
            self.compiled = true;
        }
    }

    /// A change the routes of the next tick depend on that records no
    /// event (the ramp, a leg): routes already worked out for that tick are
    /// worked out again.
    pub(super) fn rework_routes(&mut self) {
        if self.compiled {
            self.compiled = false;
            self.prepare();
        }
    }

    /// After a tick mixed from routes worked out for it: every route is
    /// where that tick left it (its gain at the end of the tick, and
    /// whether it is still held). Where routes ramped, every ramp ended
    /// within the tick: the ticks after it hear every route steadily at its
    /// target, and the plan settles. Only the routes that
    /// [move](Session::moving) are touched: every other one already is
    /// where the tick leaves it, at a gain that ramps nowhere.
    pub(super) fn commit_routes(&mut self) {
        let (n, tick) = (self.parties.len(), self.tick);
        let ramps = self.plan.ramps();
        let gains = &mut self.tick_gains[..];
        if let Some(moving) = self.moving.routes() {
            for &(l, t) in moving {
                let (l, t) = (usize::from(l), usize::from(t));
                let state = self.parties.get_mut(l).and_then(|p| p.heard.get_mut(t));
                let route = (state, gains.get_mut(l * n + t));
                debug_assert!(route.0.is_some() && route.1.is_some(), "route {l} <- {t}");
                if let (Some(state), Some(g)) = route {
                    commit_route(state, g, ramps, tick);
                }
            }
        } else {
            self.commit_all_routes(ramps);
        }
        if ramps {
            self.plan.settle();
        }
        // The tests check every committed route, and every settled plan
        // against a fresh compile.
        #[cfg(test)]
        self.check_commit(ramps);
    }

    /// [`Session::commit_routes`] when many routes move: one pass over the
    /// matrix.
    #[cold]
    pub(super) fn commit_all_routes(&mut self, ramps: bool) {
        let (n, tick) = (self.parties.len(), self.tick);
        // Rows by index, not by `chunks_exact_mut`: no division.
        let gains = &mut self.tick_gains[..];
        for (l, p) in self.parties.iter_mut().enumerate() {
            let row = gains.get_mut(l * n..(l + 1) * n).unwrap_or_default();
            // The diagonal too: its gain is muted, and its state, which no
            // call can adjust, is `RouteState::NEW` and stays so.
            for (state, g) in p.heard.iter_mut().zip(row) {
                commit_route(state, g, ramps, tick);
            }
        }
        let mut l = n;
        for tap in self.taps.iter_mut() {
            for heard in tap.heard.iter_mut() {
                let row = gains.get_mut(l * n..(l + 1) * n).unwrap_or_default();
                for (state, g) in heard.iter_mut().zip(row) {
                    commit_route(state, g, ramps, tick);
                }
                l += 1;
            }
        }
    }

    /// For tests, after a commit: every route is where the tick left it
    /// (none moves any more, and none ramps), and a plan that settled is
    /// the plan of the steady matrix.
    #[cfg(test)]
    pub(super) fn check_commit(&self, settled: bool) {
        let n = self.parties.len();
        let rows = self.parties.iter().map(|p| &p.heard[..]);
        let taps = self
            .taps
            .iter()
            .flat_map(|t| t.heard.iter().map(|h| &h[..]));
        for (l, heard) in rows.chain(taps).enumerate() {
            for (t, state) in heard.iter().enumerate() {
                let g = self.tick_gains[l * n + t];
                let at = state.current.linear().to_bits() == g.to.linear().to_bits();
                assert!(at, "route {l} <- {t} at its gain");
                assert_eq!(state.held_until, state.next_held, "route {l} <- {t} held");
                assert!(g.from == g.to || g.ramp == 0, "route {l} <- {t} ramps on");
            }
        }
        if settled {
            let rows = n + self.tap_rows(n);
            let mut compiled = Plan::default();
            compiled.compile::<S>(
                &self.tick_gains[..rows * n],
                n,
                rows,
                self.spf,
                self.general_only(),
            );
            assert_eq!(
                compiled, self.plan,
                "a settled plan is the plan of the steady matrix"
            );
            let diagonal = self.parties.iter().enumerate().all(|(l, p)| {
                let d = p.heard[l];
                d == RouteState::NEW && d.next_held == 0
            });
            assert!(diagonal, "no route from a party to itself");
        }
    }

    /// After a change: works out the route matrix of the next tick (every
    /// route's gain, ramping from the gain in force to its target), and
    /// compiles it into the plan. Every route ends the tick at its target,
    /// which [`Session::commit_routes`] records once the tick is mixed; until
    /// then the routes may be worked out again (another change before the
    /// tick), from the same state.
    ///
    /// A route from a talker on a leg of another format than the call's
    /// opens only once what the talker hands in after the change reaches
    /// the call: at the talker's next frame (a leg frame that spans several
    /// ticks was handed in before the change), and, for a leg at another
    /// rate, one tick later still (the first few ms of a frame, its
    /// resampler's delay, under the shortest frame, carry the frame before).
    /// So a supervisor on a browser leg who switches from whisper to barge
    /// is heard by the customer a tick or two after the switch, and never
    /// with a trace of the whisper. Returns whether a route is held, so
    /// that the next tick works out the routes again.
    pub(super) fn compile_routes(&mut self) -> bool {
        let (n, ramp) = (self.parties.len(), self.ramp_samples);
        let general_only = self.general_only();
        let (call_rate, tick) = (self.format.rate(), self.tick);
        let gated = self.gated();
        // What every route from a talker needs, looked up once per talker.
        let mut talkers = [TalkerNow::NOBODY; MAX_PARTIES];
        for (now, p) in talkers.iter_mut().zip(&self.parties) {
            *now = TalkerNow::of(p, tick, call_rate);
        }
        let talkers = &talkers[..n.min(MAX_PARTIES)];
        let mut held_any = false;
        let mut moving = Moving::NONE;
        let mut rows = self.tick_gains.chunks_exact_mut(n.max(1));
        for (l, (listener, row)) in self.parties.iter_mut().zip(rows.by_ref()).enumerate() {
            // What is the same for all the listener's routes, once.
            let seat = listener.seat;
            let listens = listens(seat, gated);
            let routes = listener.heard.iter_mut().zip(row.iter_mut()).zip(talkers);
            for (t, ((state, gain), talker)) in routes.enumerate() {
                if t == l {
                    *gain = RouteGain::MUTED;
                    continue;
                }
                let target = target_gain(seat, listens, talker.seat, talker.volume, *state);
                *gain = next_route(state, target, talker, ramp, tick);
                held_any |= state.next_held != 0;
                if moves(state, gain) {
                    moving.add(l, t);
                }
            }
        }
        for tap in self.taps.iter_mut() {
            let config = tap.tap;
            let channels = tap.heard.iter_mut().enumerate();
            for ((c, heard), row) in channels.zip(rows.by_ref()) {
                let routes = heard.iter_mut().zip(row.iter_mut()).zip(talkers);
                for (t, ((state, gain), talker)) in routes.enumerate() {
                    let target =
                        (!gated && config.hears(c, t, talker.seat)).then_some(talker.volume);
                    *gain = next_route(state, target, talker, ramp, tick);
                    held_any |= state.next_held != 0;
                    if moves(state, gain) {
                        // A tap's routes move seldom: all are moved then.
                        moving = Moving::ALL;
                    }
                }
            }
        }
        self.moving = moving;
        let rows = n + self.tap_rows(n);
        self.plan.compile::<S>(
            &self.tick_gains[..rows * n],
            n,
            rows,
            self.spf,
            general_only,
        );
        held_any
    }

    pub(super) fn route_index(
        &self,
        listener: PartyId,
        talker: PartyId,
    ) -> Result<(usize, usize), Error> {
        let l = self.index(listener)?;
        let t = self.index(talker)?;
        if l == t {
            return Err(Error::SelfRoute { party: listener });
        }
        Ok((l, t))
    }
}
