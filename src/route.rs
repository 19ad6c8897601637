//! Roles, supervisor modes, and the rule that turns them into routes.
//!
//! A route is named by who hears whom: "the agent hears the supervisor".
//! [`mode_allows`] is the whole rule; the session applies it to every pair of
//! parties on every tick, then applies the host's route gains and volumes on
//! top. Those can lower, raise or close a route the rule opens, never open
//! one it closes.
//!
//! | who hears → | customer | agent | supervisor (any mode but private whisper) | recorder |
//! |---|---|---|---|---|
//! | customer speaks | – | yes | yes | yes |
//! | agent speaks | yes | – | yes | yes |
//! | supervisor in monitor | no | no | no | no |
//! | supervisor in whisper or private whisper | **no** | yes | yes | if it records whisper |
//! | supervisor in customer only | yes | **no** | yes | yes |
//! | supervisor in barge | yes | yes | yes | yes |
//! | recorder | no | no | no | no |
//! | announcement | if in its [`Audience`] | if in its audience | if in its audience | if in its audience |
//!
//! An announcement hears nobody. A supervisor in private whisper hears nobody. Parties of the same role
//! hear each other as the table says for the talker's role: two customers
//! on a conference leg hear each other, a monitoring supervisor is heard by
//! no one.

use core::fmt;

/// What a party is on the call. It decides, with the supervisor's [`Mode`],
/// who hears whom.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "snake_case")
)]
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
    /// A prompt, a tone or hold music: talks to its [`Audience`], hears
    /// no one.
    Announcement,
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Role::Customer => "customer",
            Role::Agent => "agent",
            Role::Supervisor => "supervisor",
            Role::Recorder => "recorder",
            Role::Announcement => "announcement",
        })
    }
}

/// A supervisor's mode: whom the supervisor is heard by, and whom it hears.
///
/// | mode | heard by the customer | heard by the agent | hears the call |
/// |---|---|---|---|
/// | [`Monitor`](Mode::Monitor) | no | no | yes |
/// | [`Whisper`](Mode::Whisper) | **no** | yes | yes |
/// | [`PrivateWhisper`](Mode::PrivateWhisper) | **no** | yes | no |
/// | [`CustomerOnly`](Mode::CustomerOnly) | yes | no | yes |
/// | [`Barge`](Mode::Barge) | yes | yes | yes |
///
/// Other supervisors hear a supervisor in every mode but monitor; a
/// recorder hears it where the customer does, and in the two whisper modes
/// only if it records whispers. No host adjustment ([`Session::set_route_gain`],
/// [`Session::set_volume`]) can make a party hear a supervisor that its
/// mode keeps from that party.
///
/// [`Session::set_route_gain`]: crate::Session::set_route_gain
/// [`Session::set_volume`]: crate::Session::set_volume
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "snake_case")
)]
#[non_exhaustive]
pub enum Mode {
    /// Listen silently: nobody hears the supervisor, whatever it sends.
    #[default]
    Monitor,
    /// Coach: the agent (and other supervisors not in monitor) hear the
    /// supervisor; the customer never does.
    Whisper,
    /// Coach without listening (Asterisk ChanSpy's private whisper): heard
    /// as in [`Mode::Whisper`], but the supervisor hears nobody.
    PrivateWhisper,
    /// Talk to the customer only (FreeSWITCH eavesdrop's "talk to the other
    /// leg"): the customer hears the supervisor, the agent does not.
    CustomerOnly,
    /// Join in: everyone hears the supervisor.
    Barge,
}

impl Mode {
    /// Every mode.
    pub const ALL: [Mode; 5] = [
        Mode::Monitor,
        Mode::Whisper,
        Mode::PrivateWhisper,
        Mode::CustomerOnly,
        Mode::Barge,
    ];

    /// Whether a supervisor in this mode is heard by `listener` (a party of
    /// that role; `records_whisper` for a recorder).
    pub const fn heard_by(self, listener: Role, records_whisper: bool) -> bool {
        if matches!(listener, Role::Announcement) {
            return false;
        }
        match self {
            Mode::Monitor => false,
            Mode::Barge => true,
            Mode::Whisper | Mode::PrivateWhisper => match listener {
                Role::Customer => false,
                Role::Agent | Role::Supervisor => true,
                Role::Recorder => records_whisper,
                Role::Announcement => false,
            },
            Mode::CustomerOnly => !matches!(listener, Role::Agent | Role::Announcement),
        }
    }

    /// Whether a supervisor in this mode hears the call.
    pub const fn hears(self) -> bool {
        !matches!(self, Mode::PrivateWhisper)
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Mode::Monitor => "monitor",
            Mode::Whisper => "whisper",
            Mode::PrivateWhisper => "private whisper",
            Mode::CustomerOnly => "customer only",
            Mode::Barge => "barge",
        })
    }
}

/// Who hears an announcement: any set of roles.
///
/// ```
/// use barge::{Audience, Role};
/// let parties = Audience::CUSTOMERS | Audience::AGENTS;
/// assert!(parties.includes(Role::Agent) && !parties.includes(Role::Supervisor));
/// assert_eq!(parties.to_string(), "customers, agents");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Audience(u8);

impl Audience {
    /// Nobody.
    pub const NOBODY: Audience = Audience(0);
    /// The customers.
    pub const CUSTOMERS: Audience = Audience(1);
    /// The agents.
    pub const AGENTS: Audience = Audience(2);
    /// The supervisors (except one in private whisper, who hears nobody).
    pub const SUPERVISORS: Audience = Audience(4);
    /// Recorders, and the recording taps ([`crate::Tap`]).
    pub const RECORDERS: Audience = Audience(8);
    /// The customers and the agents: the two parties of the call.
    pub const PARTIES: Audience = Audience(3);
    /// Everyone on the call.
    pub const EVERYONE: Audience = Audience(15);

    /// The audience of both.
    pub const fn and(self, other: Audience) -> Audience {
        Audience(self.0 | other.0)
    }

    /// Whether a listener of `role` is in the audience (nobody hears an
    /// announcement as an announcement).
    pub const fn includes(self, role: Role) -> bool {
        let bit = match role {
            Role::Customer => 1,
            Role::Agent => 2,
            Role::Supervisor => 4,
            Role::Recorder => 8,
            Role::Announcement => 0,
        };
        self.0 & bit != 0
    }

    /// Whether nobody is in the audience.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl core::ops::BitOr for Audience {
    type Output = Audience;
    fn bitor(self, other: Audience) -> Audience {
        self.and(other)
    }
}

impl fmt::Display for Audience {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("nobody");
        }
        let names = [
            (Audience::CUSTOMERS, "customers"),
            (Audience::AGENTS, "agents"),
            (Audience::SUPERVISORS, "supervisors"),
            (Audience::RECORDERS, "recorders"),
        ];
        let mut first = true;
        for (a, name) in names {
            if self.0 & a.0 != 0 {
                if !first {
                    f.write_str(", ")?;
                }
                f.write_str(name)?;
                first = false;
            }
        }
        Ok(())
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
    /// For an announcement: who hears it. Ignored otherwise.
    pub audience: Audience,
}

impl Seat {
    /// A seat for `role`, in monitor if it is a supervisor, recording no
    /// whisper if it is a recorder, heard by nobody if it is an
    /// announcement.
    pub const fn new(role: Role) -> Seat {
        Seat {
            role,
            mode: Mode::Monitor,
            records_whisper: false,
            audience: Audience::NOBODY,
        }
    }
}

/// Whether the mode table lets `listener` hear `talker` (two different
/// parties). The host's adjustments come on top of this and can only lower
/// or close what it allows.
#[inline]
pub fn mode_allows(listener: Seat, talker: Seat) -> bool {
    match listener.role {
        Role::Supervisor if !listener.mode.hears() => return false,
        Role::Announcement => return false,
        _ => {}
    }
    match talker.role {
        Role::Customer | Role::Agent => true,
        Role::Recorder => false,
        Role::Announcement => talker.audience.includes(listener.role),
        Role::Supervisor => talker
            .mode
            .heard_by(listener.role, listener.records_whisper),
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
            assert!(mode_allows(a, c), "the agent hears the customer");
            assert!(mode_allows(c, a), "the customer hears the agent");
            assert_eq!(mode_allows(s, c), m != Mode::PrivateWhisper);
            assert_eq!(mode_allows(s, a), m != Mode::PrivateWhisper);
            assert_eq!(
                mode_allows(c, s),
                matches!(m, Mode::Barge | Mode::CustomerOnly),
                "customer hears {m}"
            );
            assert_eq!(
                mode_allows(a, s),
                matches!(m, Mode::Barge | Mode::Whisper | Mode::PrivateWhisper),
                "agent hears {m}"
            );
            for other in Mode::ALL {
                assert_eq!(
                    mode_allows(sup(other), s),
                    m != Mode::Monitor && other != Mode::PrivateWhisper,
                    "{other} hears {m}"
                );
            }
        }
    }

    #[test]
    fn recorders_choose_whisper_and_are_never_heard() {
        let mut r = Seat::new(Role::Recorder);
        for (m, heard, heard_with_whisper) in [
            (Mode::Monitor, false, false),
            (Mode::Whisper, false, true),
            (Mode::PrivateWhisper, false, true),
            (Mode::CustomerOnly, true, true),
            (Mode::Barge, true, true),
        ] {
            r.records_whisper = false;
            assert_eq!(mode_allows(r, sup(m)), heard, "{m}");
            r.records_whisper = true;
            assert_eq!(mode_allows(r, sup(m)), heard_with_whisper, "{m}");
        }
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
