//! The audit trail: every change as an [`Event`] stamped with its tick, in
//! a bounded queue that says what it dropped.

use alloc::collections::VecDeque;
use core::time::Duration;

use super::cue::CueOn;
use super::Session;
use crate::dsp::digit::Digit;
use crate::dsp::kernel::Sample;
use crate::dsp::tone::ToneSpec;
use crate::gain::Gain;
use crate::id::{PartyId, TapId};
use crate::label::Label;
use crate::policy::consent::{BeforeDisclosure, ConsentBy};
use crate::policy::Refusal;
use crate::route::{Audience, Mode, Role};
use crate::tap::Tap;

/// Events a tick may record without a control call before it: the room
/// every control call that succeeds leaves on the audit trail (a refused
/// one leaves the room as it was).
pub(super) const EVENTS_PER_TICK: usize = 4;

/// The most events the audit trail of a new session keeps before it drops
/// the oldest; see [`Session::set_event_limit`].
pub const DEFAULT_EVENT_LIMIT: usize = 1024;

/// An entry of the audit trail. `at` is the frame index (tick) at which the
/// change takes effect: the index of the next [`Session::mix`].
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(tag = "event", rename_all = "snake_case")
)]
pub enum Event {
    /// A party joined.
    Joined {
        /// Who.
        party: PartyId,
        /// As what.
        role: Role,
        /// In which mode, for a supervisor.
        mode: Option<Mode>,
        /// For a recorder: whether it records whispers.
        records_whisper: bool,
        /// For an announcement: who hears it.
        audience: Option<Audience>,
        /// The host's key for it ([`Join::identity`](crate::Join::identity)), if it has one.
        label: Option<Label>,
        /// First tick it is mixed in.
        at: u64,
    },
    /// A party left; its id is never reused.
    Left {
        /// Who.
        party: PartyId,
        /// As what it had been on the call.
        role: Role,
        /// The host's key for it ([`Join::identity`](crate::Join::identity)), if it has one.
        label: Option<Label>,
        /// First tick it is no longer mixed in.
        at: u64,
    },
    /// A supervisor changed mode.
    ModeChanged {
        /// Which supervisor.
        party: PartyId,
        /// The host's key for it ([`Join::identity`](crate::Join::identity)), if it has one.
        label: Option<Label>,
        /// The mode it left.
        from: Mode,
        /// The mode it is in now.
        to: Mode,
        /// First tick in the new mode.
        at: u64,
    },
    /// The host set a route gain: `listener` hears `talker` at `gain` times
    /// the talker's volume wherever the modes let it hear `talker` at all
    /// (muted: must not hear).
    RouteGainSet {
        /// Who hears.
        listener: PartyId,
        /// The host's key for the listener, if it has one.
        listener_label: Option<Label>,
        /// Whom.
        talker: PartyId,
        /// The host's key for the talker, if it has one.
        talker_label: Option<Label>,
        /// At which gain.
        gain: Gain,
        /// First tick it applies to.
        at: u64,
    },
    /// The host cleared a route gain: the route is at unity again wherever
    /// the modes open it.
    RouteGainCleared {
        /// Who hears.
        listener: PartyId,
        /// The host's key for the listener, if it has one.
        listener_label: Option<Label>,
        /// Whom.
        talker: PartyId,
        /// The host's key for the talker, if it has one.
        talker_label: Option<Label>,
        /// First tick it applies to.
        at: u64,
    },
    /// A party's volume changed.
    VolumeChanged {
        /// Whose.
        party: PartyId,
        /// The host's key for it ([`Join::identity`](crate::Join::identity)), if it has one.
        label: Option<Label>,
        /// The volume before.
        from: Gain,
        /// The volume now.
        to: Gain,
        /// First tick it applies to.
        at: u64,
    },
    /// A recording tap was added: from tick `at` it records the call.
    TapAdded {
        /// Which tap.
        tap: TapId,
        /// What it records, and how.
        config: Tap,
        /// First tick it records.
        at: u64,
    },
    /// A recording tap was removed; its id is never reused.
    TapRemoved {
        /// Which tap.
        tap: TapId,
        /// First tick it no longer records.
        at: u64,
    },
    /// A supervisor pressed a digit ([`Session::press`], or a tone found
    /// in its audio: [`Session::detect_dtmf`]).
    DigitPressed {
        /// Who.
        party: PartyId,
        /// The host's key for it ([`Join::identity`](crate::Join::identity)), if it has one.
        label: Option<Label>,
        /// Which digit.
        digit: Digit,
        /// Whether it was found in the party's audio (else the host said
        /// so).
        in_band: bool,
        /// The mode it switches to in the session's [`DtmfMap`](crate::keypad::DtmfMap), if any.
        mode: Option<Mode>,
        /// The tick from which its mode change, if any, applies.
        at: u64,
    },
    /// A call was refused by the policy or the consent gate: who, what and
    /// why. Nothing else changed.
    Refused {
        /// The refusal, as [`Error::Refused`](crate::Error::Refused) carried it.
        refusal: Refusal,
        /// The tick at which it was refused.
        at: u64,
    },
    /// The host set or cleared the policy ([`Session::set_policy`]).
    PolicySet {
        /// Whether a policy is in force now.
        active: bool,
        /// First tick it applies to.
        at: u64,
    },
    /// The call needs a disclosure before anyone listens
    /// ([`Session::require_disclosure`]).
    DisclosureRequired {
        /// What happens to supervisors who join before it.
        before: BeforeDisclosure,
        /// First tick it applies to.
        at: u64,
    },
    /// The disclosure was recorded: from `at`, supervisors, recorders and
    /// taps hear the call as the table says.
    ConsentGiven {
        /// Who recorded it.
        by: ConsentBy,
        /// First tick anyone may listen.
        at: u64,
    },
    /// An announcement's audience changed ([`Session::set_audience`]; a cue
    /// that starts on the cue player says its audience in
    /// [`Event::CueStarted`]).
    AudienceChanged {
        /// Which announcement.
        party: PartyId,
        /// The host's key for it ([`Join::identity`](crate::Join::identity)), if it has one.
        label: Option<Label>,
        /// Who heard it.
        from: Audience,
        /// Who hears it now.
        to: Audience,
        /// First tick it applies to.
        at: u64,
    },
    /// An announcement started playing a tone ([`Session::play`]).
    ToneStarted {
        /// Which announcement.
        party: PartyId,
        /// The host's key for it ([`Join::identity`](crate::Join::identity)), if it has one.
        label: Option<Label>,
        /// The tone.
        tone: ToneSpec,
        /// First tick of the tone.
        at: u64,
    },
    /// An announcement's tone ended: played to its end (at the last tick
    /// it sounded), or stopped ([`Session::stop`]).
    ToneEnded {
        /// Which announcement.
        party: PartyId,
        /// The host's key for it ([`Join::identity`](crate::Join::identity)), if it has one.
        label: Option<Label>,
        /// Whether it played to its end.
        finished: bool,
        /// The first tick without it.
        at: u64,
    },
    /// A cue ([`Session::set_cue`]) started for a change to a supervisor.
    CueStarted {
        /// The change that set it off.
        on: CueOn,
        /// The supervisor.
        supervisor: PartyId,
        /// The host's key for the supervisor, if it has one.
        supervisor_label: Option<Label>,
        /// The announcement that plays it.
        player: PartyId,
        /// Who hears it.
        audience: Audience,
        /// First tick of the cue: the tick the change takes effect.
        at: u64,
    },
    /// The audit trail was full ([`Session::set_event_limit`]): `count`
    /// events, the oldest not yet drained, were dropped. This marker comes
    /// where they stood, before the events that were kept.
    Dropped {
        /// How many events were dropped.
        count: u64,
        /// The tick of the first of them.
        first_at: u64,
        /// The tick of the last of them.
        at: u64,
    },
}

impl Event {
    /// The frame index (tick) at which the change takes effect.
    pub fn at(&self) -> u64 {
        match *self {
            Event::Joined { at, .. }
            | Event::Left { at, .. }
            | Event::ModeChanged { at, .. }
            | Event::RouteGainSet { at, .. }
            | Event::RouteGainCleared { at, .. }
            | Event::VolumeChanged { at, .. }
            | Event::TapAdded { at, .. }
            | Event::TapRemoved { at, .. }
            | Event::AudienceChanged { at, .. }
            | Event::ToneStarted { at, .. }
            | Event::ToneEnded { at, .. }
            | Event::CueStarted { at, .. }
            | Event::DigitPressed { at, .. }
            | Event::Refused { at, .. }
            | Event::PolicySet { at, .. }
            | Event::DisclosureRequired { at, .. }
            | Event::ConsentGiven { at, .. }
            | Event::Dropped { at, .. } => at,
        }
    }
}

/// The audit trail's queue. A copy keeps the room reserved in it (as the
/// original keeps room for the events a tick may record), so that a copy of
/// a session mixes without allocating, as the session does.
#[derive(Debug, Default, PartialEq)]
pub(super) struct Trail(VecDeque<Event>);

impl Clone for Trail {
    fn clone(&self) -> Trail {
        let mut events = VecDeque::with_capacity(self.0.capacity());
        events.extend(self.0.iter().cloned());
        Trail(events)
    }

    fn clone_from(&mut self, source: &Trail) {
        self.0.clear();
        self.0.reserve(source.0.capacity());
        self.0.extend(source.0.iter().cloned());
    }
}

impl core::ops::Deref for Trail {
    type Target = VecDeque<Event>;
    fn deref(&self) -> &VecDeque<Event> {
        &self.0
    }
}

impl core::ops::DerefMut for Trail {
    fn deref_mut(&mut self) -> &mut VecDeque<Event> {
        &mut self.0
    }
}

/// # The audit trail
///
/// Every change, as an [`Event`] with its tick, in a bounded queue; read
/// it with [`crate::audit`].
impl<S: Sample> Session<S> {
    /// Records `event` from a control call, or (`in_tick`) from the tick
    /// being mixed.
    pub(super) fn log(&mut self, event: Event, in_tick: bool) {
        if in_tick {
            self.record_in_tick(event);
        } else {
            self.record(event);
        }
    }

    /// The media time of tick `at`: `at` frames of the call's duration.
    pub fn media_time(&self, at: u64) -> Duration {
        Duration::from_micros(at.saturating_mul(u64::from(self.format.ptime().ms()) * 1000))
    }

    /// The next entry of the audit trail, oldest first; `None` when there
    /// is nothing more. Drain it after control calls or after each tick;
    /// entries wait until drained, up to [`Session::event_limit`] of them.
    /// Where older entries had to be dropped, an [`Event::Dropped`] comes
    /// first and says how many.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        let (count, first_at, at) = self.dropped;
        if count != 0 {
            self.dropped = (0, 0, 0);
            return Some(Event::Dropped {
                count,
                first_at,
                at,
            });
        }
        self.events.pop_front()
    }

    /// The most events the audit trail holds undrained; [`DEFAULT_EVENT_LIMIT`]
    /// for a new session.
    pub fn event_limit(&self) -> usize {
        self.event_limit
    }

    /// Sets how many undrained events the audit trail holds. When an event
    /// is recorded with the trail full, the oldest undrained one is dropped
    /// and counted, and [`Session::poll_event`] reports the count in an
    /// [`Event::Dropped`] before the events that were kept; nothing is
    /// dropped silently. A limit below the number of events waiting drops
    /// the oldest of them at once, counted the same way. Zero keeps none,
    /// only the count.
    ///
    /// The trail's memory grows with the events waiting and never beyond
    /// the limit; it is allocated as they are recorded, so a host that
    /// drains every tick keeps it small.
    pub fn set_event_limit(&mut self, limit: usize) {
        self.event_limit = limit;
        while self.events.len() > limit {
            self.drop_oldest_event();
        }
        if self.events.capacity() > limit.max(8).saturating_mul(2) {
            self.events.shrink_to(limit);
        }
        self.reserve_events();
    }

    /// How many events are waiting to be drained, the [`Event::Dropped`]
    /// marker included.
    pub fn events_pending(&self) -> usize {
        self.events.len() + usize::from(self.dropped.0 != 0)
    }

    pub(super) fn drop_oldest_event(&mut self) {
        if let Some(e) = self.events.pop_front() {
            self.count_dropped(e.at());
        }
    }

    pub(super) fn count_dropped(&mut self, at: u64) {
        let (count, first_at, _) = self.dropped;
        let first_at = if count == 0 { at } else { first_at };
        self.dropped = (count.saturating_add(1), first_at, at);
    }

    /// Records a change: it goes on the audit trail, and every route is
    /// worked out afresh (by the control call, [`Session::prepare`], or
    /// else by the next tick).
    pub(super) fn record(&mut self, event: Event) {
        self.settled = false;
        self.compiled = false;
        if self.event_limit == 0 {
            self.count_dropped(event.at());
            return;
        }
        if self.events.len() >= self.event_limit {
            self.drop_oldest_event();
        }
        self.events.push_back(event);
        self.reserve_events();
    }

    /// Leaves room on the audit trail for the events a tick may record
    /// ([`Session::record_in_tick`]), so that recording them allocates
    /// nothing.
    pub(super) fn reserve_events(&mut self) {
        self.tick_room = EVENTS_PER_TICK.min(self.event_limit);
        self.events.reserve(self.tick_room);
    }

    /// Records an event that a tick (not a control call) sets off: a tone
    /// that ends. Allocates nothing: the last control call that succeeded
    /// left room for [`EVENTS_PER_TICK`] more; where that is used up, the
    /// event counts as dropped ([`Event::Dropped`]).
    pub(super) fn record_in_tick(&mut self, event: Event) {
        self.settled = false;
        self.compiled = false;
        if self.event_limit == 0 {
            self.count_dropped(event.at());
            return;
        }
        if self.events.len() >= self.event_limit {
            // Full: the oldest makes way, in the room it leaves.
            self.drop_oldest_event();
            self.events.push_back(event);
        } else if self.tick_room > 0 {
            self.tick_room -= 1;
            self.events.push_back(event);
        } else {
            self.count_dropped(event.at());
        }
    }
}
