//! Roles, supervisor modes, and the rule that turns them into routes.
//!
//! A route is named by who hears whom: "the agent hears the supervisor".
//! [`mode_allows`] is the whole rule; the session applies it to every pair of
//! parties on every tick, then applies the host's overrides and volumes on
//! top.
//!
//! | who hears → | customer | agent | supervisor (any mode) | recorder |
//! |---|---|---|---|---|
//! | customer speaks | – | yes | yes | yes |
//! | agent speaks | yes | – | yes | yes |
//! | supervisor in monitor | no | no | no | no |
//! | supervisor in whisper | **no** | yes | yes | if it records whisper |
//! | supervisor in barge | yes | yes | yes | yes |
//! | recorder | no | no | no | no |
//!
//! Parties of the same role hear each other as the table says for the
//! talker's role: two customers on a conference leg hear each other, a
//! monitoring supervisor is heard by no one.

use core::fmt;

/// What a party is on the call. It decides, with the supervisor's [`Mode`],
/// who hears whom.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Role {
    /// The external caller. Never hears a whisper.
    Customer,
    /// The contact-centre agent the supervisor coaches.
    Agent,
    /// A supervisor, in one [`Mode`] at a time.
    Supervisor,
    /// A call recording: hears the call, is heard by no one. Whether it
    /// hears whispers is chosen when it joins.
    Recorder,
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Role::Customer => "customer",
            Role::Agent => "agent",
            Role::Supervisor => "supervisor",
            Role::Recorder => "recorder",
        })
    }
}

/// A supervisor's mode: who hears the supervisor. A supervisor hears the
/// customer and the agent in every mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Mode {
    /// Listen silently: nobody hears the supervisor, whatever it sends.
    #[default]
    Monitor,
    /// Coach: the agent (and other non-monitoring supervisors) hear the
    /// supervisor; the customer never does.
    Whisper,
    /// Join in: everyone hears the supervisor.
    Barge,
}

impl Mode {
    /// Every mode.
    pub const ALL: [Mode; 3] = [Mode::Monitor, Mode::Whisper, Mode::Barge];
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Mode::Monitor => "monitor",
            Mode::Whisper => "whisper",
            Mode::Barge => "barge",
        })
    }
}

/// What the route rule needs to know about one party.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seat {
    /// The party's role.
    pub role: Role,
    /// The supervisor's mode; ignored for other roles.
    pub mode: Mode,
    /// For a recorder: whether whispers are recorded. Ignored otherwise.
    pub records_whisper: bool,
}

impl Seat {
    /// A seat for `role`, in monitor if it is a supervisor, recording no
    /// whisper if it is a recorder.
    pub const fn new(role: Role) -> Seat {
        Seat {
            role,
            mode: Mode::Monitor,
            records_whisper: false,
        }
    }
}

/// Whether the mode table lets `listener` hear `talker` (two different
/// parties). Overrides and volumes come on top of this.
pub fn mode_allows(listener: Seat, talker: Seat) -> bool {
    match talker.role {
        Role::Customer | Role::Agent => true,
        Role::Recorder => false,
        Role::Supervisor => match talker.mode {
            Mode::Monitor => false,
            Mode::Barge => true,
            Mode::Whisper => match listener.role {
                Role::Customer => false,
                Role::Agent | Role::Supervisor => true,
                Role::Recorder => listener.records_whisper,
            },
        },
    }
}

#[cfg(test)]
mod test {
    use super::*;

    fn sup(mode: Mode) -> Seat {
        Seat {
            mode,
            ..Seat::new(Role::Supervisor)
        }
    }

    #[test]
    fn table_of_design_md() {
        let c = Seat::new(Role::Customer);
        let a = Seat::new(Role::Agent);
        for m in Mode::ALL {
            let s = sup(m);
            assert!(
                mode_allows(a, c) && mode_allows(s, c),
                "everyone hears the customer"
            );
            assert!(
                mode_allows(c, a) && mode_allows(s, a),
                "everyone hears the agent"
            );
            assert_eq!(mode_allows(c, s), m == Mode::Barge, "customer hears {m}");
            assert_eq!(mode_allows(a, s), m != Mode::Monitor, "agent hears {m}");
            for other in Mode::ALL {
                assert_eq!(mode_allows(sup(other), s), m != Mode::Monitor);
            }
        }
    }

    #[test]
    fn recorders_choose_whisper_and_are_never_heard() {
        let mut r = Seat::new(Role::Recorder);
        assert!(!mode_allows(r, sup(Mode::Whisper)));
        assert!(mode_allows(r, sup(Mode::Barge)));
        assert!(!mode_allows(r, sup(Mode::Monitor)));
        r.records_whisper = true;
        assert!(mode_allows(r, sup(Mode::Whisper)));
        for l in [
            Role::Customer,
            Role::Agent,
            Role::Supervisor,
            Role::Recorder,
        ] {
            assert!(!mode_allows(Seat::new(l), r));
        }
    }
}
