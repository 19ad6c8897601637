//! Policy and the consent gate: who may supervise whom, and no listening
//! before the disclosure.

use alloc::sync::Arc;

use super::events::Event;
use super::Session;
use crate::dsp::kernel::Sample;
use crate::error::Error;
use crate::id::PartyId;
use crate::policy::consent::{BeforeDisclosure, Consent, ConsentBy};
use crate::policy::{Identity, Policy, Reason, Refusal};
use crate::route::{Mode, Role, Seat};

/// Whether a listener in `seat` may hear anyone this tick: before the
/// disclosure only the call's own parties listen.
#[inline(always)]
pub(super) fn listens(seat: Seat, gated: bool) -> bool {
    !(gated && matches!(seat.role, Role::Supervisor | Role::Recorder))
}

impl<S: Sample> Session<S> {
    /// Sets who may supervise whom (`None`: anyone may do anything, the
    /// default). From then on every join of a supervisor, every mode change
    /// (by [`Session::set_mode`], [`Session::press`] or an in-band digit)
    /// and every join of an agent while supervisors are on the call is
    /// checked: a supervisor needs the grant for its mode on every agent on
    /// the call ([`Policy::allows_on_call`]). A refused call changes nothing
    /// but the audit trail, which records the refusal ([`Event::Refused`]).
    /// A policy that a supervisor already on the call breaks is refused
    /// whole, with the first such refusal. One policy can serve many calls:
    /// it is shared, not copied.
    pub fn set_policy(&mut self, policy: Option<Arc<Policy>>) -> Result<(), Error> {
        if let Some(p) = policy.as_deref() {
            for sup in self
                .parties
                .iter()
                .filter(|p| p.seat.role == Role::Supervisor)
            {
                let agents = self.agents();
                if let Err(refusal) = p.allows_on_call(sup.identity(), agents, sup.seat.mode) {
                    return Err(self.refuse(refusal));
                }
            }
        }
        let active = policy.is_some();
        self.policy = policy;
        self.record(Event::PolicySet {
            active,
            at: self.tick,
        });
        self.prepare();
        Ok(())
    }

    /// The policy in force, if any.
    pub fn policy(&self) -> Option<&Policy> {
        self.policy.as_deref()
    }

    /// Marks the call as needing a disclosure before anyone listens (the
    /// host decides where the law asks for one: all-party-consent
    /// jurisdictions). From the next tick until the disclosure is recorded
    /// ([`Session::record_consent`], or the disclosure announcement of
    /// [`Session::set_disclosure`] playing to the customer to its end), no
    /// supervisor, recorder or tap hears anything of the call; supervisors
    /// who join meanwhile are held silent or refused, as `before` says. The
    /// customer and the agent hear each other throughout, and a supervisor
    /// in barge is still heard by them (its mode says so): the gate keeps
    /// listeners out, not talkers. The moment it lifts is on the audit
    /// trail ([`Event::ConsentGiven`]). A call whose disclosure is already
    /// recorded accepts this and stays as it is.
    ///
    /// The FCC-style alternative (47 CFR 64.501: no consent, but a warning
    /// tone every 15 s that all parties hear while anyone monitors or
    /// records) needs no gate: an announcement to [`Audience::EVERYONE`](crate::Audience::EVERYONE)
    /// playing [`ToneSpec::RECORDING_WARNING`](crate::ToneSpec::RECORDING_WARNING) while a supervisor or a tap
    /// is on the call.
    pub fn require_disclosure(&mut self, before: BeforeDisclosure) -> Result<(), Error> {
        if self.consent == Consent::Given || self.consent == Consent::Pending(before) {
            return Ok(());
        }
        self.consent = Consent::Pending(before);
        self.record(Event::DisclosureRequired {
            before,
            at: self.tick,
        });
        self.prepare();
        Ok(())
    }

    /// Records the disclosure: the customer agreed, or the host's own
    /// prompt has played to its end. From the next tick supervisors,
    /// recorders and taps hear the call as the table says. Nothing pending
    /// is accepted and records nothing.
    pub fn record_consent(&mut self) {
        if matches!(self.consent, Consent::Pending(_)) {
            self.consent = Consent::Given;
            self.record(Event::ConsentGiven {
                by: ConsentBy::Host,
                at: self.tick,
            });
        }
        self.prepare();
    }

    /// Makes announcement `party` the call's disclosure: when a tone it
    /// plays ([`Session::play`]) ends by itself, not stopped, with a
    /// customer on the call and in its audience, the disclosure is
    /// recorded ([`Event::ConsentGiven`] by [`ConsentBy::Disclosure`]) from
    /// the next tick. A party that is not an announcement is
    /// [`Error::NotAnAnnouncement`].
    pub fn set_disclosure(&mut self, party: PartyId) -> Result<(), Error> {
        self.announcement(party)?;
        self.disclosure = Some(party);
        Ok(())
    }

    /// Whether anyone may listen to the call yet.
    pub fn consent(&self) -> Consent {
        self.consent
    }

    /// The identities of the agents on the call, in order of joining.
    pub(super) fn agents(&self) -> impl Iterator<Item = Option<&Identity>> + '_ {
        self.parties
            .iter()
            .filter(|p| p.seat.role == Role::Agent)
            .map(|p| p.identity())
    }

    /// Whether a party in `seat` with `identity` may join: the policy and
    /// the consent gate.
    pub(super) fn check_join(
        &mut self,
        seat: Seat,
        identity: Option<&Identity>,
    ) -> Result<(), Error> {
        let refusal = match seat.role {
            Role::Supervisor => self.check_supervisor(identity, seat.mode).err(),
            Role::Agent => self.policy.as_deref().and_then(|policy| {
                self.parties
                    .iter()
                    .filter(|p| p.seat.role == Role::Supervisor)
                    .find_map(|sup| {
                        policy
                            .allows_on_call(sup.identity(), [identity], sup.seat.mode)
                            .err()
                    })
            }),
            _ => None,
        };
        match refusal {
            Some(refusal) => Err(self.refuse(refusal)),
            None => Ok(()),
        }
    }

    /// Whether a supervisor with `identity` may be in `mode` on this call.
    pub(super) fn check_supervisor(
        &self,
        identity: Option<&Identity>,
        mode: Mode,
    ) -> Result<(), Refusal> {
        if self.consent == Consent::Pending(BeforeDisclosure::RefuseJoins) {
            return Err(Refusal {
                supervisor: identity.map(|i| i.key()),
                agent: None,
                mode,
                reason: Reason::ConsentPending,
            });
        }
        match self.policy.as_deref() {
            Some(policy) => policy.allows_on_call(identity, self.agents(), mode),
            None => Ok(()),
        }
    }

    /// Whether supervisor `i` may switch to `mode`.
    pub(super) fn check_mode(&self, i: usize, mode: Mode) -> Result<(), Refusal> {
        if self.parties[i].seat.mode == mode {
            return Ok(());
        }
        self.check_supervisor(self.parties[i].identity(), mode)
    }

    /// Records `refusal` and returns its error.
    pub(super) fn refuse(&mut self, refusal: Refusal) -> Error {
        let (settled, compiled, room) = (self.settled, self.compiled, self.tick_room);
        self.record(Event::Refused {
            refusal,
            at: self.tick,
        });
        // A refusal changes no route, and leaves the room for a tick's
        // events as it was (the trail keeps at least that much reserved).
        self.settled = settled;
        self.compiled = compiled;
        self.tick_room = room.min(self.tick_room);
        Error::Refused { refusal }
    }

    /// Whether the consent gate keeps every listener but the customers and
    /// agents from hearing anything.
    pub(super) fn gated(&self) -> bool {
        matches!(self.consent, Consent::Pending(_))
    }
}
