//! The audit trail as the crate docs describe it: bounded, the oldest
//! event dropped and counted in one `Dropped`; the room a tick has for its
//! own events; floods of changes; draining.

use std::collections::VecDeque;

use barge::{Error, Event, Refusal, Session};

#[cfg(doc)]
use super::input::Op;
use super::input::{limit_of, LimitArg, Who};
use super::model::Model;
use super::runner::Harness;
use crate::reference::RefSample;

/// The most `set_volume` calls all the [`Op::Flood`]s of one case stand
/// for; they make as many of them as [`FLOOD_WORK`] allows.
pub const FLOOD_BUDGET: usize = 1 << 16;

/// The work all the [`Op::Flood`]s of one case may do, in routes the
/// session works out again: each `set_volume` works out every route of the
/// call again, for each tap as well, and costs (parties + 4)² × (taps + 1)
/// here. Enough for some thousands of calls on a small call, which a trail
/// at the default limit overflows, and a few hundred on a full one.
pub const FLOOD_WORK: usize = 1 << 18;

/// The audit trail as the crate docs describe it: at most `limit` events
/// wait; recording one more drops the oldest, counted, and the count comes
/// out first, as one `Dropped` with the ticks of the first and the last
/// dropped.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Trail {
    /// How many more events a tick may record (beyond them, a tick's events
    /// count as dropped): [`EVENTS_PER_TICK`] after every control call that
    /// records (a refusal leaves it as it was), or sets the limit, less
    /// those recorded since.
    pub(super) cap: usize,
    pub(super) limit: usize,
    /// The events kept, oldest first, with their ticks.
    pub(super) kept: VecDeque<(u64, Event)>,
    /// Dropped since the last `Dropped` was drained: count, first, last.
    pub(super) lost: Option<(u64, u64, u64)>,
}

impl Trail {
    pub(super) fn record(&mut self, at: u64, e: Event) {
        self.kept.push_back((at, e));
        self.trim();
        if self.limit > 0 {
            self.cap = EVENTS_PER_TICK.min(self.limit);
        }
    }

    fn lose(&mut self, at: u64) {
        self.lost = Some(match self.lost {
            None => (1, at, at),
            Some((count, first, _)) => (count + 1, first, at),
        });
    }

    /// An event a tick records, on a trail with room for `room` events:
    /// kept while there is room, else counted as dropped.
    fn record_in_tick(&mut self, e: Event, room: usize) {
        let at = e.at();
        if self.limit == 0 {
            return self.lose(at);
        }
        let _ = room;
        if self.kept.len() >= self.limit {
            let (old, _) = self.kept.pop_front().unwrap();
            self.lose(old);
            self.kept.push_back((at, e));
        } else if self.cap > 0 {
            self.cap -= 1;
            self.kept.push_back((at, e));
        } else {
            self.lose(at);
        }
    }

    fn trim(&mut self) {
        while self.kept.len() > self.limit {
            let (at, _) = self.kept.pop_front().unwrap();
            self.lost = Some(match self.lost {
                None => (1, at, at),
                Some((count, first, _)) => (count + 1, first, at),
            });
        }
    }

    fn set_limit(&mut self, limit: usize) {
        self.limit = limit;
        self.trim();
        // The session leaves room for a tick's events again.
        self.cap = EVENTS_PER_TICK.min(limit);
    }

    /// Drains a copy.
    pub(super) fn drained(&self) -> Vec<Event> {
        let mut t = self.clone();
        std::iter::from_fn(|| t.poll()).collect()
    }

    pub(super) fn poll(&mut self) -> Option<Event> {
        if let Some((count, first_at, at)) = self.lost.take() {
            return Some(Event::Dropped {
                count,
                first_at,
                at,
            });
        }
        self.kept.pop_front().map(|(_, e)| e)
    }

    pub(super) fn pending(&self) -> usize {
        self.kept.len() + self.lost.is_some() as usize
    }
}

/// Events a tick may record without a control call before it (as
/// documented for `Session::record_in_tick`, 4).
const EVENTS_PER_TICK: usize = 4;

impl<S: RefSample> Model<S> {
    /// Records an event of a control call, or of the tick being mixed.
    pub(super) fn log(&mut self, e: Event, in_tick: bool) {
        if in_tick {
            self.tick_events.push(e);
        } else {
            self.record(e);
        }
    }

    pub(super) fn refuse(&mut self, refusal: Refusal) -> Error {
        // A refusal leaves the room for a tick's events as it was.
        let cap = self.trail.cap;
        self.record(Event::Refused {
            refusal,
            at: self.tick,
        });
        self.trail.cap = cap.min(self.trail.cap);
        Error::Refused { refusal }
    }

    pub(super) fn record(&mut self, e: Event) {
        self.trail.record(self.tick, e);
    }
}

impl<S: RefSample> Harness<S> {
    /// Drains up to `n` events, each as the model's trail gives it.
    pub(super) fn poll(&mut self, n: usize) {
        for _ in 0..n {
            let want = self.model.trail.poll();
            let got = self.s.get_mut().poll_event();
            assert_eq!(got, want, "audit trail");
            if want.is_none() {
                break;
            }
        }
    }

    /// Alternates one party's volume between muted and 0 dB: one event per
    /// real change, on a trail of any limit.
    ///
    /// The flood stands for `n` calls while [`FLOOD_BUDGET`] lasts, and
    /// makes as many of them as [`FLOOD_WORK`] still allows, at least one,
    /// always as many as it stands for in parity: so that the volume it
    /// leaves is the same, and so all that follows in the case.
    pub(super) fn flood(&mut self, w: Who, n: u16) {
        let id = self.who(w);
        let calls = (n as usize).min(self.flood_left);
        self.flood_left -= calls;
        let m = &self.model;
        let cost = (m.parties.len() + 4).pow(2) * (m.taps.len() + 1);
        let affordable = self.flood_work / cost;
        let calls = if calls <= affordable {
            calls
        } else {
            let least = 2 - calls % 2;
            least.max(affordable.saturating_sub((calls - affordable) % 2))
        };
        self.flood_work = self.flood_work.saturating_sub(calls * cost);
        let mut last = None;
        for k in 0..calls {
            let db = if k % 2 == 0 { f32::NEG_INFINITY } else { 0.0 };
            if k == 0 {
                // The first call with every check; an id that fails
                // fails every time.
                if self
                    .control(
                        "set_volume",
                        |s| s.set_volume(id, db),
                        |m| m.set_volume(id, db),
                    )
                    .is_err()
                {
                    return;
                }
                continue;
            }
            let got = self.s.get_mut().set_volume(id, db);
            let want = self.model.set_volume(id, db);
            assert_eq!(got, want, "set_volume in a flood");
            last = Some(db);
        }
        if let Some(db) = last {
            for shadow in self.followers(false) {
                shadow.set_volume(id, db).unwrap();
            }
        }
    }

    /// Puts the events of the last tick on the model's trail. The session
    /// keeps them while its trail has room and counts the rest as dropped;
    /// the room is at least what the control calls reserved (the model's
    /// `cap`) but may be more: where that matters, the session's trail
    /// (drained from a copy) must be one of the outcomes, for some room.
    pub(super) fn settle_trail(&mut self) {
        let events = std::mem::take(&mut self.model.tick_events);
        if events.is_empty() {
            return;
        }
        let base = self.model.trail.clone();
        let outcome = |room: usize| {
            let mut t = base.clone();
            for e in &events {
                t.record_in_tick(*e, room);
            }
            t
        };
        let least = outcome(base.cap);
        let most = outcome(usize::MAX);
        if least == most {
            self.model.trail = least;
            return;
        }
        let mut copy = Session::clone(&self.s);
        let theirs: Vec<Event> = std::iter::from_fn(|| copy.poll_event()).collect();
        for room in base.cap..=base.cap + events.len() {
            let t = outcome(room);
            if t.drained() == theirs {
                self.model.trail = t;
                return;
            }
        }
        panic!(
            "tick {}: the audit trail holds {theirs:?}, expected {:?} with room for {} events              or more (this tick's: {events:?})",
            self.model.tick - 1,
            least.drained(),
            base.cap
        );
    }
}

impl<S: RefSample> Harness<S> {
    /// [`Op::SetEventLimit`].
    pub(super) fn set_event_limit(&mut self, l: LimitArg) {
        let limit = limit_of(l);
        self.s.get_mut().set_event_limit(limit);
        self.model.trail.set_limit(limit);
    }
}
