//! Refusals: who was refused what, and why. What a refused join or mode
//! change returns ([`Error::Refused`](crate::Error::Refused)) and puts on
//! the audit trail.

use core::fmt;

use crate::label::Label;
use crate::policy::modes::ModeSet;
use crate::route::Mode;

/// A supervisor refused a mode on an agent by a [`Policy`](crate::Policy): who, what and
/// why.
///
/// Its message names all three, e.g.
/// `supervisor "sam" may not use whisper on agent "alex": granted on that
/// agent: monitor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Refusal {
    /// The supervisor's key; `None` for a supervisor the host gave no
    /// identity ([`Reason::NoIdentity`]).
    pub supervisor: Option<Label>,
    /// The agent's key; `None` for an agent the host gave no identity
    /// ([`Reason::NoIdentity`]).
    pub agent: Option<Label>,
    /// The mode that was asked for.
    pub mode: Mode,
    /// Why it was refused.
    pub reason: Reason,
}

/// Why a [`Refusal`] refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "snake_case")
)]
#[non_exhaustive]
pub enum Reason {
    /// No grant gives the supervisor this mode on this agent; `granted`
    /// are the modes the grants do give it there (maybe none).
    NotGranted {
        /// The modes the supervisor may use on that agent.
        granted: ModeSet,
    },
    /// The agent opted out of being monitored, in every mode.
    OptedOut,
    /// The supervisor or the agent has no identity while a policy is set.
    NoIdentity,
    /// The call requires a disclosure before anyone listens
    /// ([`Session::require_disclosure`](crate::Session::require_disclosure)
    /// with [`BeforeDisclosure::RefuseJoins`](crate::BeforeDisclosure::RefuseJoins)),
    /// and none has been recorded yet.
    ConsentPending,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::NotGranted { granted } if granted.is_empty() => {
                f.write_str("no mode is granted on that agent")
            }
            Reason::NotGranted { granted } => write!(f, "granted on that agent: {granted}"),
            Reason::OptedOut => f.write_str("the agent has opted out of being monitored"),
            Reason::NoIdentity => f.write_str(
                "a policy is set, and it grants modes only to and on parties with a key",
            ),
            Reason::ConsentPending => f.write_str(
                "the call requires a disclosure before anyone listens, and none is recorded yet",
            ),
        }
    }
}

/// `supervisor "sam" may not use whisper on agent "alex": granted on that
/// agent: monitor`.
impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.supervisor {
            Some(key) => write!(f, "supervisor {key:?}")?,
            None => f.write_str("a supervisor without a key")?,
        }
        write!(f, " may not use {}", self.mode)?;
        match (self.agent, self.reason) {
            // Not about an agent: about the call.
            (None, Reason::ConsentPending) => {}
            (Some(key), _) => write!(f, " on agent {key:?}")?,
            (None, _) => f.write_str(" on an agent without a key")?,
        }
        write!(f, ": {}", self.reason)
    }
}
