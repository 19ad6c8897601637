//! The sans-IO state machine for one call.
//!
//! A [`Session`] holds the parties of one call, their roles and modes, the
//! host's route gains and volumes, one input and one output frame per
//! party, an audit trail of [`Event`]s and per-party [`PartyStats`]. The host
//! drives it once per tick:
//!
//! 1. hand in each party's frame with [`Session::put_frame`] (a party that
//!    hands in nothing this tick is silence for everyone);
//! 2. call [`Session::mix`];
//! 3. read what each party hears with [`Session::output`];
//! 4. drain [`Session::poll_event`].
//!
//! Control calls (join, leave, mode, route gains, volumes, ramp) may come at any
//! time between ticks; they take effect at the next [`Session::mix`], and each
//! either succeeds or returns an [`Error`] and changes nothing.

mod announce;
mod conceal;
mod consent;
mod cue;
mod digits;
pub(crate) mod events;
mod frames;
mod legs;
mod party;
pub(crate) mod routes;
#[cfg(feature = "serde")]
mod serialize;
mod signals;
mod taps;
mod tick;

#[cfg(test)]
mod tests;

pub use crate::id::PartyId;
pub use crate::policy::consent::{BeforeDisclosure, Consent, ConsentBy};
pub use cue::{Cue, CueOn};
pub use events::{Event, DEFAULT_EVENT_LIMIT};
pub use party::{Join, PartyInfo, PartyStats};
pub use routes::{Route, DEFAULT_RAMP};
pub use signals::{Alert, CallSignals, SignalConfig, TalkSignals, ALERT_LIMIT};
pub use taps::TapInfo;

use alloc::boxed::Box;
use alloc::vec::Vec;

use smallvec::SmallVec;

use crate::dsp::kernel::{RouteGain, Sample};
use crate::error::Error;
use crate::format::Format;
use crate::id::new_call_tag;
use crate::keypad::DtmfMap;
use crate::plan::Plan;
use crate::policy::Policy;
use alloc::sync::Arc;
use consent::Disclosing;
use core::time::Duration;
use events::Trail;
use party::Party;
use routes::{open_ramp, Moving};
use taps::TapState;

/// The most parties one session holds. The next join is
/// [`Error::TooManyParties`].
pub const MAX_PARTIES: usize = 32;

/// One call: its parties, their routes, and one frame per party per tick.
///
/// `S` is the sample type every party of the call uses: `i16` or `f32`.
///
/// ```
/// use barge::{Format, Join, Mode, Role, Session};
/// let mut call = Session::<i16>::new(Format::new(8000, 20)?);
/// let customer = call.join(Role::Customer)?;
/// let agent = call.join(Role::Agent)?;
/// let boss = call.join(Join::supervisor(Mode::Whisper))?;
/// call.set_ramp(std::time::Duration::ZERO)?;
///
/// call.put_frame(customer, &[100; 160])?;
/// call.put_frame(agent, &[20; 160])?;
/// call.put_frame(boss, &[3; 160])?;
/// call.mix();
/// assert_eq!(call.output(customer)?[0], 20);     // the agent, not the whisper
/// assert_eq!(call.output(agent)?[0], 103);       // the customer and the whisper
/// assert_eq!(call.output(boss)?[0], 120);        // both of them
/// # Ok::<(), barge::Error>(())
/// ```
///
/// Its methods, by what they are for:
///
/// | for | methods |
/// |---|---|
/// | the call | [`new`](Session::new), [`format`](Session::format), [`tick`](Session::tick), [`len`](Session::len), [`is_empty`](Session::is_empty) |
/// | the tick | [`mix`](Session::mix), [`mix_frames`](Session::mix_frames) |
/// | frames in and out | [`put_frame`](Session::put_frame), [`frame_mut`](Session::frame_mut), [`skip_frame`](Session::skip_frame), [`output`](Session::output), [`outputs`](Session::outputs) |
/// | joining, leaving and modes | [`join`](Session::join) (a [`Join`]), [`leave`](Session::leave), [`set_mode`](Session::set_mode), [`mode`](Session::mode), [`set_volume`](Session::set_volume), [`party`](Session::party), [`parties`](Session::parties) |
/// | who hears whom | [`hears`](Session::hears), [`routes`](Session::routes), [`set_route_gain`](Session::set_route_gain), [`clear_route_gain`](Session::clear_route_gain), [`route_gain`](Session::route_gain), [`ramp`](Session::ramp), [`set_ramp`](Session::set_ramp) |
/// | legs at another format | [`set_leg_format`](Session::set_leg_format), [`leg_format`](Session::leg_format), [`frame_due`](Session::frame_due) |
/// | recording taps | [`add_tap`](Session::add_tap), [`remove_tap`](Session::remove_tap), [`tap_frame`](Session::tap_frame), [`tap_channel`](Session::tap_channel), [`tap_stem`](Session::tap_stem), [`tap_format`](Session::tap_format), [`tap`](Session::tap), [`taps`](Session::taps) |
/// | announcements and cues | [`play`](Session::play), [`stop`](Session::stop), [`set_audience`](Session::set_audience), [`set_cue`](Session::set_cue), [`cue_for`](Session::cue_for) |
/// | the keypad | [`press`](Session::press), [`detect_dtmf`](Session::detect_dtmf), [`set_dtmf_map`](Session::set_dtmf_map), [`dtmf_map`](Session::dtmf_map) |
/// | policy and consent | [`set_policy`](Session::set_policy), [`policy`](Session::policy), [`modes_for`](Session::modes_for), [`require_disclosure`](Session::require_disclosure), [`set_disclosure`](Session::set_disclosure), [`prompt_ended`](Session::prompt_ended), [`record_consent`](Session::record_consent), [`consent`](Session::consent) |
/// | the audit trail | [`poll_event`](Session::poll_event), [`events_pending`](Session::events_pending), [`event_limit`](Session::event_limit), [`set_event_limit`](Session::set_event_limit), [`media_time`](Session::media_time) |
/// | call signals | [`enable_signals`](Session::enable_signals), [`disable_signals`](Session::disable_signals), [`signals`](Session::signals), [`poll_alert`](Session::poll_alert) |
///
/// A host whose legs are sources and sinks runs the tick through
/// [`media::Driver`](crate::media::Driver) instead of the frame calls.
///
/// A `Session` is `Clone` and `PartialEq`: a host can snapshot a call (a
/// copy keeps the room its original reserved, so its ticks allocate
/// nothing either; copies share their converters' filters). A snapshot
/// taken with `clone_from` into an earlier snapshot of the same call reuses
/// its memory, and allocates only where the call itself took memory since
/// (a party that joined, an announcement's first tone). Two sessions
/// compare equal when their format, ramp,
/// tick, parties, routes, frames handed in for the next tick, outputs,
/// pending events and counters are all the same (caches that only make
/// mixing faster are not compared).
#[derive(Debug)]
// Laid out in the order of the fields, so that a settled tick reads few
// cache lines (only speed depends on it): the plan, whose second line
// holds what the tick reads of it, and `spf` after it; in the next line
// the rest of what every tick reads (the tag for `index`, the tick, the
// outputs, `settled` and the taps' length, which `SmallVec` keeps first);
// then, after the cold buffers, the parties, each beginning with the line
// a settled tick reads of it (see `Party`). The rest is for control calls
// and for ticks that are not settled.
#[repr(C)]
pub struct Session<S: Sample> {
    /// The route matrix compiled: how each listener's frame is mixed.
    plan: Plan,
    spf: usize,
    /// The tag of this session's ids.
    call: u64,
    tick: u64,
    /// One output frame per party, in the order of `parties`.
    outputs: Vec<S>,
    /// Whether `tick_gains` and `plan` hold for the next tick: true after a
    /// tick, false after any change.
    settled: bool,
    /// Tests compare every fast path with the kernel's general path.
    #[cfg(test)]
    general_only: bool,
    /// Recording taps, in order of adding.
    taps: SmallVec<[TapState<S>; 1]>,
    /// One input frame per party, in the order of `parties`.
    inputs: Vec<S>,
    /// The route matrix: the gain of every route (listener × talker,
    /// row-major; the parties' rows, then the taps' channels) during the
    /// tick being mixed; sized at joins so that `mix` never allocates.
    tick_gains: Vec<RouteGain>,
    parties: SmallVec<[Party<S>; 3]>,
    format: Format,
    ramp: Duration,
    ramp_samples: usize,
    next_id: u32,
    events: Trail,
    event_limit: usize,
    /// Events a tick may still record without allocating: reserved by the
    /// last control call that recorded one. Bookkeeping of the audit trail,
    /// like its capacity, it is not compared: a refused call resets it, and
    /// changes nothing else.
    tick_room: usize,
    /// Events dropped since the last drained [`Event::Dropped`]: how many,
    /// and the ticks of the first and the last.
    dropped: (u64, u64, u64),
    /// What the supervisors' digits do.
    dtmf_map: DtmfMap,
    /// Who may supervise whom, if the host says so.
    policy: Option<Arc<Policy>>,
    /// Whether anyone may listen yet.
    consent: Consent,
    /// The announcement whose audio, played to the customer to its end,
    /// is the disclosure, and how it has played so far.
    disclosure: Option<PartyId>,
    disclosing: Disclosing,
    /// The cue for each [`CueOn`], and the announcement that plays them.
    cues: [Option<Cue>; 4],
    cue_player: Option<PartyId>,
    next_tap: u32,
    /// The gains of a route opening from muted to unity over the ramp
    /// (`ramp_samples` of them), as the kernel applies them: what a ramp
    /// head reads ([`crate::kernel::open_gains`]). Made with the ramp.
    open_ramp: Vec<S::KGain>,
    /// Whether the routes of the next tick were worked out and compiled
    /// (by the control call that changed them, [`Session::prepare`]) but
    /// not yet mixed: the tick runs the plan as it is, then commits the
    /// routes. Never with `settled`.
    compiled: bool,
    /// For `compiled` routes: whether one is held.
    compiled_held: bool,
    /// The routes the last working out found to move when their tick is
    /// mixed, which [`Session::commit_routes`] then moves: a cache, as
    /// `tick_gains` is.
    moving: Moving,
    /// Tests count the ticks whose plan ran in one pass, and those whose
    /// routes their control call had worked out.
    #[cfg(test)]
    one_pass_ticks: u64,
    #[cfg(test)]
    compiled_ticks: u64,
    /// The call signals, while they are on ([`Session::enable_signals`]).
    signals: Option<Box<signals::Signals>>,
}

clone_by_fields!(impl[S: Sample] Session<S> {
    plan,
    spf,
    call,
    tick,
    outputs,
    settled,
    #[cfg(test)] general_only,
    taps,
    inputs,
    tick_gains,
    parties,
    format,
    ramp,
    ramp_samples,
    next_id,
    events,
    event_limit,
    tick_room,
    dropped,
    dtmf_map,
    policy,
    consent,
    disclosure,
    disclosing,
    cues,
    cue_player,
    next_tap,
    open_ramp,
    compiled,
    compiled_held,
    moving,
    #[cfg(test)] one_pass_ticks,
    #[cfg(test)] compiled_ticks,
    signals,
});

impl<S: Sample> PartialEq for Session<S> {
    fn eq(&self, other: &Session<S>) -> bool {
        // `tick_gains`, `settled`, `compiled`, `compiled_held`, `moving` and
        // `plan` are caches derived from the rest.
        self.format == other.format
            && self.ramp == other.ramp
            && self.ramp_samples == other.ramp_samples
            && self.tick == other.tick
            && self.call == other.call
            && self.next_id == other.next_id
            && self.parties == other.parties
            && self
                .pending_inputs()
                .zip(other.pending_inputs())
                .all(|(a, b)| S::same_bits(a, b))
            && self.pending_inputs().count() == other.pending_inputs().count()
            && self.outputs == other.outputs
            && self.events == other.events
            && self.event_limit == other.event_limit
            && self.dropped == other.dropped
            && self.taps == other.taps
            && self.cues == other.cues
            && self.dtmf_map == other.dtmf_map
            && self.policy == other.policy
            && self.consent == other.consent
            && self.disclosure == other.disclosure
            && self.disclosing == other.disclosing
            && self.cue_player == other.cue_player
            && self.next_tap == other.next_tap
            && self.signals == other.signals
    }
}

/// # The call
///
/// A new call, its format and how far it has got.
impl<S: Sample> Session<S> {
    /// The frames handed in for the next tick (a buffer whose frame was
    /// mixed holds nothing that matters).
    fn pending_inputs(&self) -> impl Iterator<Item = &[S]> + '_ {
        self.parties
            .iter()
            .zip(self.inputs.chunks_exact(self.spf.max(1)))
            .filter(|(p, _)| p.has_input)
            .map(|(_, f)| f)
    }

    /// A call with no parties yet, in `format`, with the [`DEFAULT_RAMP`].
    pub fn new(format: Format) -> Session<S> {
        let ramp = DEFAULT_RAMP.min(format.ptime().duration());
        Session {
            format,
            spf: format.samples_per_frame(),
            ramp,
            ramp_samples: format.samples_in(ramp),
            tick: 0,
            call: new_call_tag(),
            next_id: 0,
            parties: SmallVec::new(),
            inputs: Vec::new(),
            outputs: Vec::new(),
            events: Trail::default(),
            event_limit: DEFAULT_EVENT_LIMIT,
            tick_room: 0,
            dropped: (0, 0, 0),
            dtmf_map: DtmfMap::NONE,
            policy: None,
            consent: Consent::NotRequired,
            disclosure: None,
            disclosing: Disclosing::NOT_YET,
            cues: [None; 4],
            cue_player: None,
            taps: SmallVec::new(),
            next_tap: 0,
            tick_gains: Vec::new(),
            open_ramp: open_ramp::<S>(format.samples_in(ramp)),
            compiled: false,
            compiled_held: false,
            moving: Moving::ALL,
            settled: false,
            plan: Plan::default(),
            #[cfg(test)]
            general_only: false,
            #[cfg(test)]
            one_pass_ticks: 0,
            #[cfg(test)]
            compiled_ticks: 0,
            signals: None,
        }
    }

    /// The session's format.
    pub fn format(&self) -> Format {
        self.format
    }

    /// The index of the next frame [`Session::mix`] will produce; 0 before
    /// the first tick. Multiply by the ptime for the call's media time.
    pub fn tick(&self) -> u64 {
        self.tick
    }

    /// How many parties are on the call.
    pub fn len(&self) -> usize {
        self.parties.len()
    }

    /// Whether nobody is on the call.
    pub fn is_empty(&self) -> bool {
        self.parties.is_empty()
    }

    #[cfg(test)]
    fn general_only(&self) -> bool {
        self.general_only
    }

    #[cfg(not(test))]
    #[inline(always)]
    fn general_only(&self) -> bool {
        false
    }

    /// [`Session::index`] and the party there.
    #[inline]
    fn find(&self, party: PartyId) -> Result<(usize, &Party<S>), Error> {
        let parties: &[Party<S>] = &self.parties;
        let at = party.n as usize;
        match parties.get(at) {
            // The party at its id's position (see `index`).
            Some(p) if p.id == party => Ok((at, p)),
            _ => self.find_moved(party),
        }
    }

    /// [`Session::find`] for a party not at its id's position.
    #[cold]
    #[inline(never)]
    fn find_moved(&self, party: PartyId) -> Result<(usize, &Party<S>), Error> {
        let i = self.index(party)?;
        Ok((i, &self.parties[i]))
    }

    fn index(&self, party: PartyId) -> Result<usize, Error> {
        if party.call != self.call {
            return Err(Error::ForeignParty { party });
        }
        // Parties stay in order of joining and ids count joins, so a party
        // sits at its id's position until someone before it leaves.
        let at = party.n as usize;
        if self.parties.get(at).is_some_and(|p| p.id == party) {
            return Ok(at);
        }
        match self.parties.iter().position(|p| p.id == party) {
            Some(i) => Ok(i),
            None if party.n < self.next_id => Err(Error::PartyLeft { party }),
            // Only a clone of this session that joined more parties since
            // the snapshot hands out such an id.
            None => Err(Error::UnknownParty { party }),
        }
    }
}
