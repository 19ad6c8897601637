//! Policy and the consent gate: who may supervise whom, and no listening
//! before the disclosure.

use alloc::sync::Arc;

use super::events::Event;
use super::frames::NOT_BORROWED;
use super::{Session, MAX_PARTIES};
use crate::dsp::kernel::Sample;
use crate::error::Error;
use crate::id::PartyId;
use crate::policy::consent::{BeforeDisclosure, Consent, ConsentBy};
use crate::policy::{Identity, Policy, Reason, Refusal};
use crate::route::{Mode, Role, Seat};

/// How the call's disclosure has played so far
/// ([`Session::set_disclosure`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Disclosing {
    /// It has sounded (a frame handed in, or its tone).
    began: bool,
    /// In every tick since it began it sounded, a customer was on the call
    /// and in its audience.
    throughout: bool,
}

impl Disclosing {
    /// Nothing of it has played yet.
    pub(super) const NOT_YET: Disclosing = Disclosing {
        began: false,
        throughout: true,
    };

    /// One tick: whether it `sounds`, and whether a customer `heard` it.
    fn note(&mut self, sounds: bool, heard: bool) {
        if sounds {
            self.began = true;
            self.throughout &= heard;
        } else if self.began {
            // A gap in the prompt.
            self.throughout = false;
        }
    }

    /// Whether it played, to the customer, throughout.
    pub(super) fn played(&self) -> bool {
        self.began && self.throughout
    }
}

/// Whether a listener in `seat` may hear anyone this tick: before the
/// disclosure only the call's own parties listen.
#[inline(always)]
pub(super) fn listens(seat: Seat, gated: bool) -> bool {
    !(gated && matches!(seat.role, Role::Supervisor | Role::Recorder))
}

/// # Policy and consent
///
/// Who may supervise whom, what a supervisor may do now, and no listening
/// before the disclosure.
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
        self.watch_disclosure();
        self.prepare();
        Ok(())
    }

    /// Records the disclosure: the customer agreed, or the host's own
    /// prompt has played to its end. From the next tick supervisors,
    /// recorders and taps hear the call as the table says. Nothing pending
    /// is accepted and records nothing.
    pub fn record_consent(&mut self) {
        self.give_consent(ConsentBy::Host);
        self.prepare();
    }

    /// The consent gate lifts, from the next tick: the disclosure is
    /// recorded, as given `by`. Nothing pending records nothing.
    pub(super) fn give_consent(&mut self, by: ConsentBy) {
        if matches!(self.consent, Consent::Pending(_)) {
            self.consent = Consent::Given;
            self.record(Event::ConsentGiven { by, at: self.tick });
            self.watch_disclosure();
        }
    }

    /// Makes announcement `party` the call's disclosure: once it has played
    /// to its end, with a customer on the call and in its audience
    /// throughout, the disclosure is recorded ([`Event::ConsentGiven`] by
    /// [`ConsentBy::Disclosure`]) from the next tick.
    ///
    /// Its audio is a tone the session plays ([`Session::play`]), which
    /// plays to its end when it ends by itself (not [stopped](Session::stop)),
    /// or the host's own prompt ("this call may be monitored…"), handed in
    /// as any party's frames, which plays to its end when the host says so
    /// ([`Session::prompt_ended`]; through the [`Driver`](crate::media::Driver),
    /// when its source says [`Fill::Ended`](crate::media::Fill::Ended)). It
    /// played *throughout* when, in every tick from its first frame (or its
    /// tone's first) to its last, it handed in a frame (or played its tone),
    /// a customer was on the call, and its audience included customers: a
    /// prompt with a frame missing, or one that began before the customer
    /// joined, does not count, and the host plays it again (or records the
    /// customer's consent itself, [`Session::record_consent`]).
    ///
    /// A party that is not an announcement is
    /// [`Error::NotAnAnnouncement`]; an announcement whose audience leaves
    /// customers out is [`Error::DisclosureUnheard`]; one that plays a tone
    /// that repeats forever is [`Error::DisclosureNeverEnds`]. Whatever
    /// played of it before becomes the beginning of nothing: it plays from
    /// its next frame.
    ///
    /// ```
    /// use barge::{Audience, BeforeDisclosure, Consent, Format, Join, Mode, Role, Session};
    /// let mut call = Session::<i16>::new(Format::NARROWBAND_20MS);
    /// call.require_disclosure(BeforeDisclosure::HoldSilent)?;
    /// let customer = call.join(Role::Customer)?;
    /// let prompt = call.join(Join::announcement(Audience::CUSTOMERS))?;
    /// call.set_disclosure(prompt)?;
    /// // The host's recorded prompt, 2 s of it.
    /// for _ in 0..100 {
    ///     call.put_frame(prompt, &[500; 160])?;
    ///     call.mix();
    /// }
    /// call.prompt_ended(prompt)?;
    /// assert_eq!(call.consent(), Consent::Given);
    /// # let _ = customer;
    /// # Ok::<(), barge::Error>(())
    /// ```
    pub fn set_disclosure(&mut self, party: PartyId) -> Result<(), Error> {
        let i = self.announcement(party)?;
        let p = &self.parties[i];
        if !p.seat.audience.includes(Role::Customer) {
            return Err(Error::DisclosureUnheard {
                party,
                audience: p.seat.audience,
            });
        }
        if p.tone.as_deref().is_some_and(|t| t.forever()) {
            return Err(Error::DisclosureNeverEnds { party });
        }
        self.disclosure = Some(party);
        self.disclosing = Disclosing::NOT_YET;
        self.watch_disclosure();
        Ok(())
    }

    /// The host's own prompt on announcement `party` has played to its end
    /// (through the [`Driver`](crate::media::Driver), when its source says
    /// [`Fill::Ended`](crate::media::Fill::Ended)): if it is the call's
    /// disclosure and played to the customer throughout
    /// ([`Session::set_disclosure`]), the disclosure is recorded
    /// ([`Event::ConsentGiven`] by [`ConsentBy::Disclosure`]) from the next
    /// tick. Its next frame begins it anew. A party that is not an
    /// announcement is [`Error::NotAnAnnouncement`]; one that plays a tone
    /// is [`Error::TonePlaying`] (a tone ends by itself).
    pub fn prompt_ended(&mut self, party: PartyId) -> Result<(), Error> {
        let i = self.announcement(party)?;
        if self.parties[i].tone.is_some() {
            return Err(Error::TonePlaying { party });
        }
        if self.disclosure == Some(party) {
            if self.gated() && self.disclosing.played() {
                self.give_consent(ConsentBy::Disclosure(party));
                self.prepare();
            }
            self.disclosing = Disclosing::NOT_YET;
        }
        Ok(())
    }

    /// Marks the disclosure as watched while the gate is pending (each
    /// tick then notes whether the customer heard it), and nobody else.
    pub(super) fn watch_disclosure(&mut self) {
        let (disclosure, gated) = (self.disclosure, self.gated());
        for p in self.parties.iter_mut() {
            let watched = gated && disclosure == Some(p.id);
            if p.watched != watched {
                p.watched = watched;
                p.update_plain();
            }
        }
    }

    /// In a tick, before its tones: notes whether the disclosure sounds
    /// (`has`: who handed in a frame, or lent one, `lent`; a party on a
    /// leg has its bit whether or not it did, so its leg says), and whether
    /// the customer hears it.
    pub(super) fn listen_to_disclosure(&mut self, has: u32, lent: &[u8; MAX_PARTIES]) {
        let Some(i) = self.parties.iter().position(|p| p.watched) else {
            return;
        };
        let p = &self.parties[i];
        let lent = lent.get(i).is_some_and(|&k| k != NOT_BORROWED);
        let handed = match p.leg.as_deref() {
            None => has & (1 << i) != 0,
            // Every frame of the tick, of a leg of shorter frames.
            Some(leg) if leg.frames > 1 => lent || leg.count == leg.frames,
            // Between the frames of a longer one: the frame under way.
            Some(leg) if leg.phase != 0 => leg.handed,
            Some(_) => lent || p.has_input,
        };
        let sounds = handed || p.tone.is_some();
        let customer = self.parties.iter().any(|p| p.seat.role == Role::Customer);
        let heard = customer && p.seat.audience.includes(Role::Customer);
        self.disclosing.note(sounds, heard);
    }

    /// What supervisor `party` may switch to now: each mode, in the order
    /// of [`Mode::ALL`], with `Ok` where [`Session::set_mode`] would take
    /// it (its own mode included), or the [`Refusal`] that says why not:
    /// the policy ([`Session::set_policy`]) and the consent gate
    /// ([`BeforeDisclosure::RefuseJoins`]) decide, as for a mode change.
    /// For a UI that greys out the buttons a supervisor may not use. A
    /// party that is not a supervisor is [`Error::NotASupervisor`].
    ///
    /// ```
    /// use barge::{Format, Grant, Identity, Join, Label, Mode, Policy, Reason, Role, Session};
    /// let qa = Label::new("qa")?;
    /// let policy = Policy::new().grant(Grant::group(qa).may(Mode::Monitor).on_every_agent());
    /// let mut call = Session::<i16>::new(Format::NARROWBAND_20MS);
    /// call.set_policy(Some(policy.into()))?;
    /// call.join(Join::agent().identity(Identity::new(Label::new("alex")?)))?;
    /// let quinn = call.join(Join::supervisor(Mode::Monitor)
    ///     .identity(Identity::new(Label::new("quinn")?).with_group(qa)?))?;
    /// for (mode, allowed) in call.modes_for(quinn)? {
    ///     match allowed {
    ///         Ok(()) => assert_eq!(mode, Mode::Monitor),
    ///         Err(refused) => assert!(matches!(refused.reason, Reason::NotGranted { .. })),
    ///     }
    /// }
    /// # Ok::<(), barge::Error>(())
    /// ```
    pub fn modes_for(
        &self,
        party: PartyId,
    ) -> Result<impl Iterator<Item = (Mode, Result<(), Refusal>)> + '_, Error> {
        let i = self.supervisor(party)?;
        Ok(Mode::ALL
            .into_iter()
            .map(move |m| (m, self.check_mode(i, m))))
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
