//! Which calls need the supervisor, and why: barge's call-signal alerts
//! ([`barge::Session::poll_alert`]), each held for as long as what raised
//! it lasts, and the order of the call list that follows from them.
//!
//! A call needs attention from the tick one of its alerts is raised:
//! - **dead air** ([`Alert::DeadAir`], after [`DEAD_AIR`]): until the
//!   customer or the agent talks again;
//! - **monologue** ([`Alert::Monologue`], a turn of [`MONOLOGUE`]): until
//!   that turn ends;
//! - **interruptions** ([`Alert::Interruptions`], [`INTERRUPTIONS`] by one
//!   party in a minute): until fewer than that many of its interruptions
//!   lie in the last minute (counted here from the rises of
//!   [`barge::TalkSignals::interruptions`], as the signals keep their own
//!   window to themselves).
//!
//! A live call's alerts stay in its own task: the console follows the
//! signals it publishes instead ([`Attention::follow`]), against the same
//! thresholds.
//!
//! The list shows the calls that need attention first: dead air before a
//! monologue before interruptions, and within each the longest (or the
//! most) first; then the others, and ties, by number.

use std::cmp::Reverse;
use std::collections::VecDeque;
use std::time::Duration;

use barge::{Alert, CallSignals, Role, SignalConfig};

/// Dead air that needs attention.
pub const DEAD_AIR: Duration = Duration::from_secs(5);
/// A turn that needs attention: a monologue.
pub const MONOLOGUE: Duration = Duration::from_secs(30);
/// Interruptions by one party in a minute that need attention.
pub const INTERRUPTIONS: u32 = 3;
/// The window of [`INTERRUPTIONS`], in milliseconds of the call's audio.
const MINUTE_MS: u64 = 60_000;

/// The signals every simulated call enables: barge's defaults for turns
/// and backchannels, and the thresholds above as alerts.
pub const SIGNALS: SignalConfig = SignalConfig::new()
    .alert_dead_air(DEAD_AIR)
    .alert_monologue(MONOLOGUE)
    .alert_interruptions(INTERRUPTIONS);

/// The ordering rule, as the page states it.
pub fn rule() -> String {
    format!(
        "Calls that need attention come first, each saying why: dead air of {} s \
         (neither party talking), then a monologue (one turn) of {} s, then {} \
         interruptions by one party within a minute; within each the longest \
         (or most) first. These are barge's call-signal alerts (on a live call, \
         its signals against the same thresholds), each held while what raised \
         it lasts. Then the other calls by number.",
        DEAD_AIR.as_secs(),
        MONOLOGUE.as_secs(),
        INTERRUPTIONS
    )
}

/// Why a call needs attention, with the figure the page shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// Neither party has talked for `ms`.
    DeadAir { ms: u64 },
    /// `role`'s turn has lasted `ms`.
    Monologue { role: Role, ms: u64 },
    /// `role` interrupted the other `count` times in the last minute.
    Interruptions { role: Role, count: u32 },
}

impl Reason {
    /// Sorts the most urgent first.
    fn urgency(&self) -> (u8, Reverse<u64>) {
        match *self {
            Reason::DeadAir { ms } => (0, Reverse(ms)),
            Reason::Monologue { ms, .. } => (1, Reverse(ms)),
            Reason::Interruptions { count, .. } => (2, Reverse(u64::from(count))),
        }
    }

    /// A name for the page's styles.
    pub fn kind(&self) -> &'static str {
        match self {
            Reason::DeadAir { .. } => "dead_air",
            Reason::Monologue { .. } => "monologue",
            Reason::Interruptions { .. } => "interruptions",
        }
    }

    /// What the page says: "dead air 9 s", "agent monologue 52 s",
    /// "customer interrupted 4× in a minute".
    pub fn text(&self) -> String {
        match *self {
            Reason::DeadAir { ms } => format!("dead air {} s", ms / 1000),
            Reason::Monologue { role, ms } => format!("{role} monologue {} s", ms / 1000),
            Reason::Interruptions { role, count } => {
                format!("{role} interrupted {count}× in a minute")
            }
        }
    }
}

/// The customer's and the agent's slots.
const ROLES: [Role; 2] = [Role::Customer, Role::Agent];

fn slot(role: Role) -> Option<usize> {
    ROLES.iter().position(|&r| r == role)
}

/// One call's reasons for attention, raised by its alerts and held while
/// its signals say they last.
#[derive(Debug, Default)]
pub struct Attention {
    dead_air: bool,
    /// Per slot: a monologue alerted in the current turn; the party
    /// interrupts too often.
    monologue: [bool; 2],
    interrupting: [bool; 2],
    /// Per slot: when (ms of the call's audio) each interruption of the
    /// last minute was counted, and how many were counted in all.
    recent: [VecDeque<u64>; 2],
    counted: [u32; 2],
}

impl Attention {
    /// Takes one of the call's alerts.
    pub fn alert(&mut self, alert: Alert) {
        match alert {
            Alert::DeadAir { .. } => self.dead_air = true,
            Alert::Monologue { role, .. } => {
                if let Some(k) = slot(role) {
                    self.monologue[k] = true;
                }
            }
            Alert::Interruptions { role, .. } => {
                if let Some(k) = slot(role) {
                    self.interrupting[k] = true;
                }
            }
            // An alert this dashboard does not know yet changes nothing.
            _ => {}
        }
    }

    /// Follows the signals after a tick (after its alerts are taken):
    /// lets a reason go once what raised it is over.
    pub fn update(&mut self, s: &CallSignals) {
        let now = s.elapsed_ms;
        if s.dead_air_ms == 0 {
            self.dead_air = false;
        }
        for (k, t) in [&s.customer, &s.agent].into_iter().enumerate() {
            if !t.in_turn {
                self.monologue[k] = false;
            }
            if t.interruptions < self.counted[k] {
                // Another party in the role: its own count.
                self.recent[k].clear();
                self.counted[k] = 0;
            }
            while self.counted[k] < t.interruptions {
                self.counted[k] += 1;
                self.recent[k].push_back(now);
            }
            while self.recent[k]
                .front()
                .is_some_and(|&at| at + MINUTE_MS <= now)
            {
                self.recent[k].pop_front();
            }
            if self.recent[k].len() < INTERRUPTIONS as usize {
                self.interrupting[k] = false;
            }
        }
    }

    /// Follows the signals of a call whose alerts the console does not
    /// see (a live call: only the signals it publishes reach the console),
    /// raising each reason where its alert would be raised: dead air of
    /// [`DEAD_AIR`], a turn of [`MONOLOGUE`], [`INTERRUPTIONS`] by one
    /// party in the last minute. It lets them go as [`update`](Self::update)
    /// does.
    pub fn follow(&mut self, s: &CallSignals) {
        self.update(s);
        if s.dead_air_ms >= DEAD_AIR.as_millis() as u64 {
            self.dead_air = true;
        }
        for (k, t) in [&s.customer, &s.agent].into_iter().enumerate() {
            if t.in_turn && t.turn_ms >= MONOLOGUE.as_millis() as u64 {
                self.monologue[k] = true;
            }
            if self.recent[k].len() >= INTERRUPTIONS as usize {
                self.interrupting[k] = true;
            }
        }
    }

    /// The reasons that hold now, most urgent first, with the signals'
    /// figures.
    pub fn reasons(&self, s: &CallSignals) -> Vec<Reason> {
        let mut reasons = Vec::new();
        if self.dead_air {
            reasons.push(Reason::DeadAir { ms: s.dead_air_ms });
        }
        for (k, t) in [&s.customer, &s.agent].into_iter().enumerate() {
            if self.monologue[k] {
                reasons.push(Reason::Monologue {
                    role: ROLES[k],
                    ms: t.turn_ms,
                });
            }
            if self.interrupting[k] {
                reasons.push(Reason::Interruptions {
                    role: ROLES[k],
                    count: self.recent[k].len() as u32,
                });
            }
        }
        reasons.sort_by_key(Reason::urgency);
        reasons
    }
}

/// The order of the call list: each call's number with its most urgent
/// reason, if any; the numbers, the calls that need attention first.
pub fn order(calls: &[(usize, Option<Reason>)]) -> Vec<usize> {
    let mut sorted = calls.to_vec();
    sorted.sort_by_key(|&(n, reason)| (reason.is_none(), reason.map(|r| r.urgency()), n));
    sorted.into_iter().map(|(n, _)| n).collect()
}

#[cfg(test)]
mod test {
    use super::*;

    fn signals() -> CallSignals {
        let mut s = CallSignals::default();
        s.customer.present = true;
        s.agent.present = true;
        s
    }

    #[test]
    fn dead_air_holds_from_its_alert_until_someone_talks() {
        let mut a = Attention::default();
        let mut s = signals();
        s.dead_air_ms = 4_990;
        a.update(&s);
        assert_eq!(a.reasons(&s), [], "no alert yet");
        s.dead_air_ms = 5_000;
        a.alert(Alert::DeadAir { tick: 0, ms: 5_000 });
        a.update(&s);
        s.dead_air_ms = 9_400;
        a.update(&s);
        assert_eq!(a.reasons(&s), [Reason::DeadAir { ms: 9_400 }]);
        assert_eq!(a.reasons(&s)[0].text(), "dead air 9 s");
        s.dead_air_ms = 0;
        a.update(&s);
        assert_eq!(a.reasons(&s), []);
    }

    #[test]
    fn a_monologue_holds_until_its_turn_ends() {
        let mut a = Attention::default();
        let mut s = signals();
        s.agent.in_turn = true;
        s.agent.turn_ms = 30_000;
        a.alert(Alert::Monologue {
            tick: 0,
            role: Role::Agent,
            ms: 30_000,
        });
        a.update(&s);
        s.agent.turn_ms = 52_300;
        a.update(&s);
        let reasons = a.reasons(&s);
        assert_eq!(
            reasons,
            [Reason::Monologue {
                role: Role::Agent,
                ms: 52_300
            }]
        );
        assert_eq!(reasons[0].text(), "agent monologue 52 s");
        s.agent.in_turn = false;
        s.agent.turn_ms = 0;
        a.update(&s);
        assert_eq!(a.reasons(&s), []);
    }

    #[test]
    fn interruptions_hold_while_enough_lie_in_the_last_minute() {
        let mut a = Attention::default();
        let mut s = signals();
        for (at, count) in [(1_000, 1), (10_000, 2), (20_000, 3)] {
            s.elapsed_ms = at;
            s.customer.interruptions = count;
            a.update(&s);
        }
        a.alert(Alert::Interruptions {
            tick: 999,
            role: Role::Customer,
            count: 3,
        });
        a.update(&s);
        s.elapsed_ms = 60_990;
        a.update(&s);
        let reasons = a.reasons(&s);
        assert_eq!(
            reasons,
            [Reason::Interruptions {
                role: Role::Customer,
                count: 3
            }]
        );
        assert_eq!(reasons[0].text(), "customer interrupted 3× in a minute");
        // The first falls out of the minute.
        s.elapsed_ms = 61_000;
        a.update(&s);
        assert_eq!(a.reasons(&s), []);
    }

    #[test]
    fn a_call_followed_by_its_signals_alone_raises_each_reason_at_its_threshold() {
        let mut a = Attention::default();
        let mut s = signals();
        // Dead air: from 5 s until someone talks.
        s.dead_air_ms = 4_990;
        a.follow(&s);
        assert_eq!(a.reasons(&s), []);
        s.dead_air_ms = 5_000;
        a.follow(&s);
        assert_eq!(a.reasons(&s), [Reason::DeadAir { ms: 5_000 }]);
        s.dead_air_ms = 0;
        // The agent's turn: a monologue from 30 s until it ends.
        s.agent.in_turn = true;
        s.agent.turn_ms = 29_980;
        a.follow(&s);
        assert_eq!(a.reasons(&s), []);
        s.agent.turn_ms = 30_000;
        a.follow(&s);
        let monologue = Reason::Monologue {
            role: Role::Agent,
            ms: 30_000,
        };
        assert_eq!(a.reasons(&s), [monologue]);
        s.agent.in_turn = false;
        s.agent.turn_ms = 0;
        // The customer's interruptions: the third within a minute raises
        // it; it goes when the first leaves the minute.
        for (at, count) in [(100_000, 1), (110_000, 2)] {
            s.elapsed_ms = at;
            s.customer.interruptions = count;
            a.follow(&s);
            assert_eq!(a.reasons(&s), [], "{count} interruptions");
        }
        s.elapsed_ms = 159_000;
        s.customer.interruptions = 3;
        a.follow(&s);
        let interrupting = Reason::Interruptions {
            role: Role::Customer,
            count: 3,
        };
        assert_eq!(a.reasons(&s), [interrupting]);
        s.elapsed_ms = 160_000;
        a.follow(&s);
        assert_eq!(a.reasons(&s), []);
    }

    #[test]
    fn the_most_urgent_reason_comes_first() {
        let mut a = Attention::default();
        let mut s = signals();
        s.dead_air_ms = 6_000;
        s.customer.in_turn = true;
        s.customer.turn_ms = 31_000;
        a.alert(Alert::Monologue {
            tick: 0,
            role: Role::Customer,
            ms: 30_000,
        });
        a.alert(Alert::DeadAir { tick: 1, ms: 5_000 });
        a.update(&s);
        let kinds: Vec<_> = a.reasons(&s).iter().map(Reason::kind).collect();
        assert_eq!(kinds, ["dead_air", "monologue"]);
    }

    #[test]
    fn calls_that_need_attention_come_first() {
        let dead = |ms| Some(Reason::DeadAir { ms });
        let monologue = Some(Reason::Monologue {
            role: Role::Agent,
            ms: 52_000,
        });
        let interrupting = Some(Reason::Interruptions {
            role: Role::Customer,
            count: 6,
        });
        assert_eq!(
            order(&[(1, None), (2, None), (3, None), (4, None)]),
            [1, 2, 3, 4],
            "by number when none does"
        );
        assert_eq!(
            order(&[
                (1, interrupting),
                (2, None),
                (3, monologue),
                (4, dead(5_000))
            ]),
            [4, 3, 1, 2]
        );
        assert_eq!(
            order(&[(1, dead(5_000)), (2, None), (3, dead(9_000)), (4, None)]),
            [3, 1, 2, 4],
            "the longest dead air first"
        );
    }
}
