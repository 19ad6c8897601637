//! Compliance: identities (from small pools, so that grants match
//! sometimes), the policy and its grant rule written from the policy docs
//! ([`PolicyArg::granted`]), refusals, the consent gate and the disclosure.
//! After every operation, each supervisor on a call with a policy is in a
//! mode granted on every agent there.

use std::sync::Arc;
use std::time::Duration;

use barge::policy::{AgentKeys, Agents, Supervisors};
use barge::{
    BeforeDisclosure, Consent, ConsentBy, CueOn, Error, Event, Grant, Identity, Label, ModeSet,
    PartyId, Policy, Reason, Refusal, Role,
};

use super::input::{IdArg, PolicyArg, Who};
use super::model::Model;
use super::runner::Harness;
use crate::reference::{audience_bit, RefMode, RefRole, RefSample};

/// The keys of identities.
pub const KEYS: [&str; 4] = ["ann", "bo", "cy", "dee"];

/// The groups of identities.
pub const GROUPS: [&str; 4] = ["lead", "qa", "t1", "t2"];

pub(super) fn label(text: &str) -> Label {
    Label::new(text).unwrap()
}

/// The harness's own view of an identity.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Ident {
    pub(super) key: usize,
    groups: u8,
    pub(super) opt: bool,
}

impl IdArg {
    pub(super) fn ident(self) -> Ident {
        Ident {
            key: (self.0 & 3) as usize,
            groups: self.0 >> 2 & 15,
            opt: self.0 >> 6 == 3,
        }
    }
}

impl Ident {
    pub(super) fn key(self) -> Label {
        label(KEYS[self.key])
    }
    pub(super) fn identity(self) -> Identity {
        let mut id = Identity::new(self.key());
        for (g, name) in GROUPS.iter().enumerate() {
            if self.groups >> g & 1 == 1 {
                id = id.with_group(label(name)).unwrap();
            }
        }
        if self.opt {
            id = id.with_opt_out();
        }
        id
    }
}

const MODES: [RefMode; 5] = [
    RefMode::Monitor,
    RefMode::Whisper,
    RefMode::PrivateWhisper,
    RefMode::CustomerOnly,
    RefMode::Barge,
];

fn mode_bit(m: RefMode) -> u8 {
    1 << MODES.iter().position(|&x| x == m).unwrap()
}

fn mode_set(bits: u8) -> ModeSet {
    MODES
        .iter()
        .enumerate()
        .filter(|&(i, _)| bits >> i & 1 == 1)
        .map(|(_, m)| m.mode())
        .collect()
}

impl PolicyArg {
    fn opted_out(&self) -> u8 {
        if self.opt >= 0xC0 {
            self.opt & 15
        } else {
            0
        }
    }

    /// The library's policy for it.
    pub(super) fn policy(&self) -> Policy {
        let mut p = Policy::new();
        for &[to, modes, on] in &self.grants {
            let w = (to >> 2 & 3) as usize;
            let to = match to % 3 {
                0 => Supervisors::Key(label(KEYS[w])),
                1 => Supervisors::Group(label(GROUPS[w])),
                _ => Supervisors::Any,
            };
            let x = on >> 2 & 15;
            let on = match on % 4 {
                0 => Agents::Team(label(GROUPS[(x & 3) as usize])),
                1 => Agents::Keys(
                    AgentKeys::new((0..4).filter(|k| x >> k & 1 == 1).map(|k| label(KEYS[k])))
                        .unwrap(),
                ),
                2 => Agents::Every,
                _ => Agents::OwnTeam,
            };
            p.add_grant(Grant::new(to, mode_set(modes & 31), on));
        }
        for (k, key) in KEYS.iter().enumerate() {
            if self.opted_out() >> k & 1 == 1 {
                p.add_opt_out(label(key));
            }
        }
        p
    }

    /// The modes (bits) it grants `s` on `a`, written from the policy
    /// module's docs: `None` for an agent opted out (here or on its own
    /// identity), else the union of the modes of every grant for that
    /// supervisor (its key, a group of its, any) on that agent (a team of
    /// its, a list naming its key, every agent, a group shared with the
    /// supervisor).
    fn granted(&self, s: Ident, a: Ident) -> Option<u8> {
        if a.opt || self.opted_out() >> a.key & 1 == 1 {
            return None;
        }
        let mut bits = 0;
        for &[to, modes, on] in &self.grants {
            let w = to >> 2 & 3;
            let for_sup = match to % 3 {
                0 => s.key == w as usize,
                1 => s.groups >> w & 1 == 1,
                _ => true,
            };
            let x = on >> 2 & 15;
            let on_agent = match on % 4 {
                0 => a.groups >> (x & 3) & 1 == 1,
                1 => x >> a.key & 1 == 1,
                2 => true,
                _ => s.groups & a.groups != 0,
            };
            if for_sup && on_agent {
                bits |= modes & 31;
            }
        }
        Some(bits)
    }

    /// The refusal, if any, of `s` in `mode` on agent `a`.
    pub(super) fn allows(
        &self,
        s: Option<Ident>,
        a: Option<Ident>,
        mode: RefMode,
    ) -> Result<(), Refusal> {
        let refusal = |reason| Refusal {
            supervisor: s.map(Ident::key),
            agent: a.map(Ident::key),
            mode: mode.mode(),
            reason,
        };
        let (Some(si), Some(ai)) = (s, a) else {
            return Err(refusal(Reason::NoIdentity));
        };
        match self.granted(si, ai) {
            None => Err(refusal(Reason::OptedOut)),
            Some(bits) if bits & mode_bit(mode) != 0 => Ok(()),
            Some(bits) => Err(refusal(Reason::NotGranted {
                granted: mode_set(bits),
            })),
        }
    }
}

/// How the disclosure has played since it last began anew, as
/// `Session::set_disclosure`'s docs define it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Disclosing {
    /// Some tick had a frame of it, or its tone.
    began: bool,
    /// Every tick from its first one to now had a frame of it or its tone,
    /// with a customer on the call and in its audience.
    throughout: bool,
}

impl Disclosing {
    pub(super) const NOT_YET: Disclosing = Disclosing {
        began: false,
        throughout: true,
    };

    /// Whether it played to its end so far: begun, and heard throughout.
    pub(super) fn played(self) -> bool {
        self.began && self.throughout
    }
}

fn to_customers(role: RefRole) -> bool {
    match role {
        RefRole::Announcement { audience } => audience & audience_bit(RefRole::Customer) != 0,
        _ => false,
    }
}

impl<S: RefSample> Model<S> {
    /// Whether a tone of the announcement `id` that played to its end
    /// lifts the consent gate from the next tick: it is the disclosure,
    /// the gate is pending, and it played to the customer throughout.
    pub(super) fn discloses(&self, id: PartyId) -> bool {
        self.disclosure == Some(id) && self.gated() && self.disclosing.played()
    }

    /// The index of the disclosure while the gate is pending: its frames
    /// (or a missing one) tell whether it plays throughout.
    pub(super) fn watched(&self) -> Option<usize> {
        let id = self.disclosure.filter(|_| self.gated())?;
        self.parties.iter().position(|p| p.id == id)
    }

    /// At the start of a tick, before its tones: whether the disclosure
    /// sounds (a frame handed in, or its tone), and whether a customer on
    /// the call hears it.
    pub(super) fn listen_to_disclosure(&mut self) {
        let Some(i) = self.watched() else {
            return;
        };
        let p = &self.parties[i];
        let sounds = p.handed_all() || p.tone.is_some();
        let customer_on = self.parties.iter().any(|p| p.role == RefRole::Customer);
        let heard = customer_on && to_customers(p.role);
        let d = &mut self.disclosing;
        if sounds {
            d.began = true;
            d.throughout &= heard;
        } else if d.began {
            d.throughout = false;
        }
    }

    pub(super) fn gated(&self) -> bool {
        matches!(self.consent, Consent::Pending(_))
    }

    /// The agents' identities, in order of joining.
    pub(super) fn agents(&self) -> Vec<Option<Ident>> {
        self.parties
            .iter()
            .filter(|p| p.role == RefRole::Agent)
            .map(|p| p.ident)
            .collect()
    }

    /// A supervisor with `ident` in `mode`: the consent gate refusing
    /// joins, then the policy on every agent on the call, in order.
    fn check_supervisor(&self, ident: Option<Ident>, mode: RefMode) -> Result<(), Refusal> {
        if self.consent == Consent::Pending(BeforeDisclosure::RefuseJoins) {
            return Err(Refusal {
                supervisor: ident.map(Ident::key),
                agent: None,
                mode: mode.mode(),
                reason: Reason::ConsentPending,
            });
        }
        match &self.policy {
            Some(p) => self
                .agents()
                .into_iter()
                .try_for_each(|a| p.allows(ident, a, mode)),
            None => Ok(()),
        }
    }

    pub(super) fn check_mode(&self, i: usize, mode: RefMode) -> Result<(), Refusal> {
        match self.parties[i].role {
            RefRole::Supervisor(m) if m == mode => Ok(()),
            _ => self.check_supervisor(self.parties[i].ident, mode),
        }
    }

    pub(super) fn check_join(&self, role: RefRole, ident: Option<Ident>) -> Result<(), Refusal> {
        match role {
            RefRole::Supervisor(m) => self.check_supervisor(ident, m),
            RefRole::Agent => match &self.policy {
                Some(p) => self.parties.iter().try_for_each(|s| match s.role {
                    RefRole::Supervisor(m) => p.allows(s.ident, ident, m),
                    _ => Ok(()),
                }),
                None => Ok(()),
            },
            _ => Ok(()),
        }
    }

    pub(super) fn set_policy(&mut self, policy: Option<PolicyArg>) -> Result<(), Error> {
        if let Some(p) = &policy {
            for s in &self.parties {
                if let RefRole::Supervisor(m) = s.role {
                    if let Err(r) = self
                        .agents()
                        .into_iter()
                        .try_for_each(|a| p.allows(s.ident, a, m))
                    {
                        return Err(self.refuse(r));
                    }
                }
            }
        }
        let active = policy.is_some();
        self.policy = policy;
        self.record(Event::PolicySet {
            active,
            at: self.tick,
        });
        Ok(())
    }

    pub(super) fn require_disclosure(&mut self, before: BeforeDisclosure) -> Result<(), Error> {
        if self.consent == Consent::Given || self.consent == Consent::Pending(before) {
            return Ok(());
        }
        self.consent = Consent::Pending(before);
        self.record(Event::DisclosureRequired {
            before,
            at: self.tick,
        });
        Ok(())
    }

    pub(super) fn record_consent(&mut self) {
        if self.gated() {
            self.consent = Consent::Given;
            self.record(Event::ConsentGiven {
                by: ConsentBy::Host,
                at: self.tick,
            });
        }
    }

    pub(super) fn set_disclosure(&mut self, id: PartyId) -> Result<(), Error> {
        let i = self.announcement(id)?;
        let p = &self.parties[i];
        if !to_customers(p.role) {
            return Err(Error::DisclosureUnheard {
                party: id,
                audience: p.audience().unwrap(),
            });
        }
        if p.tone.as_ref().is_some_and(|t| t.forever()) {
            return Err(Error::DisclosureNeverEnds { party: id });
        }
        self.disclosure = Some(id);
        self.disclosing = Disclosing::NOT_YET;
        Ok(())
    }

    pub(super) fn prompt_ended(&mut self, id: PartyId) -> Result<(), Error> {
        let i = self.announcement(id)?;
        if self.parties[i].tone.is_some() {
            return Err(Error::TonePlaying { party: id });
        }
        if self.disclosure == Some(id) {
            if self.discloses(id) {
                self.consent = Consent::Given;
                self.record(Event::ConsentGiven {
                    by: ConsentBy::Disclosure(id),
                    at: self.tick,
                });
            }
            self.disclosing = Disclosing::NOT_YET;
        }
        Ok(())
    }
}

impl<S: RefSample> Harness<S> {
    /// The compliance queries: `consent`, `routes` (every pair the model
    /// says is heard, at its gain, with both keys), `media_time`, the cues,
    /// the keypad map's presence, the policy's; `party(id)` as `query`.
    pub(super) fn compliance(&self, id: PartyId) {
        let m = &self.model;
        assert_eq!(self.s.consent(), m.consent, "consent()");
        let routes: Vec<_> = self
            .s
            .routes()
            .map(|r| {
                let g = r.gain.linear().to_bits();
                (r.listener, r.listener_label, r.talker, r.talker_label, g)
            })
            .collect();
        let mut modelled = Vec::new();
        for (l, lp) in m.parties.iter().enumerate() {
            for (t, tp) in m.parties.iter().enumerate() {
                if let Some(g) = m.target(l, t).filter(|&g| g != 0.0) {
                    let (ll, tl) = (lp.ident.map(Ident::key), tp.ident.map(Ident::key));
                    modelled.push((lp.id, ll, tp.id, tl, g.to_bits()));
                }
            }
        }
        assert_eq!(routes, modelled, "routes()");
        let ms = m.format.ptime().ms() as u64;
        for at in [0, 1, m.tick, 12_345, u64::MAX / 3, u64::MAX] {
            let want = Duration::from_micros(at.saturating_mul(ms * 1000));
            assert_eq!(self.s.media_time(at), want, "media_time({at})");
        }
        for on in CueOn::ALL {
            assert_eq!(self.s.cue_for(on), m.cues[on as usize], "cue_for({on:?})");
        }
        assert_eq!(
            self.s.policy(),
            m.policy.as_ref().map(|p| p.policy()).as_ref(),
            "policy()"
        );
        self.query(id, id);
    }

    /// Every supervisor on a call with a policy is in a mode the policy
    /// grants it on every agent on the call (the grant rule written out in
    /// [`PolicyArg::granted`]), both with an identity.
    pub(super) fn check_policy_holds(&self) {
        let Some(policy) = &self.model.policy else {
            return;
        };
        let m = &self.model;
        let ident = |id: PartyId| {
            let p = &m.parties[m.index(id).unwrap()];
            p.ident
        };
        let parties: Vec<_> = self.s.parties().collect();
        for s in parties.iter().filter(|p| p.role == Role::Supervisor) {
            let mode = MODES
                .into_iter()
                .find(|x| Some(x.mode()) == s.mode)
                .unwrap();
            for a in parties.iter().filter(|p| p.role == Role::Agent) {
                let (si, ai) = (ident(s.id), ident(a.id));
                assert_eq!(s.identity, si.map(Ident::identity));
                assert_eq!(a.identity, ai.map(Ident::identity));
                let granted = si.zip(ai).and_then(|(si, ai)| policy.granted(si, ai));
                assert!(
                    granted.is_some_and(|g| g & mode_bit(mode) != 0),
                    "supervisor {} ({si:?}) in {mode:?} on agent {} ({ai:?}) under {policy:?}",
                    s.id,
                    a.id
                );
            }
        }
    }
}

impl<S: RefSample> Harness<S> {
    /// [`Op::SetPolicy`], and `policy` after it.
    pub(super) fn set_policy(&mut self, p: &Option<PolicyArg>) {
        let policy = p.as_ref().map(|p| Arc::new(p.policy()));
        let arg = p.clone();
        let _ = self.control(
            "set_policy",
            |s| s.set_policy(policy.clone()),
            |m| m.set_policy(arg),
        );
        let want = self.model.policy.as_ref().map(|p| p.policy());
        assert_eq!(self.s.policy(), want.as_ref(), "policy()");
    }

    /// [`Op::RequireDisclosure`], and `consent` after it.
    pub(super) fn require_disclosure(&mut self, refuse: bool) {
        let before = if refuse {
            BeforeDisclosure::RefuseJoins
        } else {
            BeforeDisclosure::HoldSilent
        };
        let _ = self.control(
            "require_disclosure",
            |s| s.require_disclosure(before),
            |m| m.require_disclosure(before),
        );
        assert_eq!(self.s.consent(), self.model.consent);
    }

    /// [`Op::RecordConsent`], and `consent` after it.
    pub(super) fn record_consent(&mut self) {
        let _ = self.control(
            "record_consent",
            |s| {
                s.record_consent();
                Ok(())
            },
            |m| {
                m.record_consent();
                Ok(())
            },
        );
        assert_eq!(self.s.consent(), self.model.consent);
    }

    /// [`Op::SetDisclosure`].
    pub(super) fn set_disclosure(&mut self, w: Who) {
        let id = self.who(w);
        let _ = self.control(
            "set_disclosure",
            |s| s.set_disclosure(id),
            |m| m.set_disclosure(id),
        );
    }

    /// [`Op::PromptEnded`], and `consent` after it.
    pub(super) fn prompt_ended(&mut self, w: Who) {
        let id = self.who(w);
        let _ = self.control(
            "prompt_ended",
            |s| s.prompt_ended(id),
            |m| m.prompt_ended(id),
        );
        assert_eq!(self.s.consent(), self.model.consent);
    }
}
