//! The consent gate's states: whether anyone may listen to a call yet, what
//! a call that needs a disclosure does with a supervisor who joins before
//! it, and who recorded the disclosure. The session applies them
//! ([`Session::require_disclosure`](crate::Session::require_disclosure)).

use crate::id::PartyId;

/// Whether anyone may listen to the call yet ([`Session::require_disclosure`](crate::Session::require_disclosure)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(rename_all = "snake_case")
)]
pub enum Consent {
    /// The call needs no disclosure (the default).
    NotRequired,
    /// The call needs a disclosure, not yet recorded: no supervisor,
    /// recorder or tap hears anything of it.
    Pending(BeforeDisclosure),
    /// The disclosure is recorded: everyone hears what the table says.
    Given,
}

/// What a call that needs a disclosure does with a supervisor who joins
/// before it ([`Session::require_disclosure`](crate::Session::require_disclosure)). Recorders and taps are
/// always held silent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(rename_all = "snake_case")
)]
pub enum BeforeDisclosure {
    /// Lets it join, hearing nothing until the disclosure: the supervisor
    /// can be ready the moment the call may be monitored.
    #[default]
    HoldSilent,
    /// Refuses the join ([`Error::Refused`](crate::Error::Refused) with [`Reason::ConsentPending`](crate::Reason::ConsentPending)),
    /// and switching a supervisor already on the call to another mode.
    RefuseJoins,
}

/// Who recorded a call's disclosure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(rename_all = "snake_case")
)]
pub enum ConsentBy {
    /// The host ([`Session::record_consent`](crate::Session::record_consent)): the customer agreed, or a
    /// prompt the host played ended.
    Host,
    /// The disclosure announcement ([`Session::set_disclosure`](crate::Session::set_disclosure)) played its
    /// tone to the customer to its end.
    Disclosure(PartyId),
}
