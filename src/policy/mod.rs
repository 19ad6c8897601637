//! Permissions: which supervisors may use which modes on which agents.
//!
//! The host names its parties with [`Identity`]s (its own user key and the
//! groups the user is in) and states once, per call or per deployment, a
//! [`Policy`]: a list of [`Grant`]s ("team leads may whisper and barge on
//! their own team", "QA may only monitor") and the agents who opted out of
//! being monitored. [`Policy::allows`] is the whole decision, a pure
//! function of the policy and the two identities; when it says no, the
//! [`Refusal`] says who was refused what, and why.
//!
//! # How grants combine
//!
//! The modes a supervisor may use on an agent ([`Policy::granted`]) are the
//! union of the modes of every grant that matches both: the grant is for
//! that supervisor (its key, one of its groups, or any supervisor) and on
//! that agent (one of its teams, a list naming its key, every agent, or an
//! agent that shares a group with the supervisor). There are no denying
//! grants and the order of grants does not matter; a mode that no matching
//! grant names is refused ([`Reason::NotGranted`], listing what is
//! granted). [`Mode::Monitor`] is a mode like the others: a grant of
//! whisper alone lets a supervisor whisper, not monitor, and "QA may only
//! monitor" is a grant of monitor alone.
//!
//! An agent who opted out (in the policy, [`Policy::opt_out`], or on its
//! identity, [`Identity::with_opt_out`]) refuses every mode to every
//! supervisor, whatever the grants say ([`Reason::OptedOut`]).
//!
//! [`Policy::new`] grants nothing: a policy that is set denies everything
//! it does not grant. A session with no policy set keeps the behaviour it
//! has without one: every supervisor may use every mode.
//!
//! # Example
//!
//! ```
//! use barge::{Grant, Identity, Label, Mode, ModeSet, Policy};
//!
//! let lead = Label::new("team-lead")?;
//! let qa = Label::new("qa")?;
//! let policy = Policy::new()
//!     .grant(Grant::group(lead).may([Mode::Monitor, Mode::Whisper, Mode::Barge]).on_own_team())
//!     .grant(Grant::group(qa).may(Mode::Monitor).on_every_agent());
//!
//! let sam = Identity::new(Label::new("sam")?).with_group(lead)?.with_group(Label::new("team-a")?)?;
//! let quinn = Identity::new(Label::new("quinn")?).with_group(qa)?;
//! let alex = Identity::new(Label::new("alex")?).with_group(Label::new("team-a")?)?;
//! let bo = Identity::new(Label::new("bo")?).with_group(Label::new("team-b")?)?;
//!
//! assert!(policy.allows(&sam, &alex, Mode::Barge).is_ok());
//! assert!(policy.allows(&quinn, &alex, Mode::Monitor).is_ok());
//! assert_eq!(
//!     policy.allows(&quinn, &alex, Mode::Whisper).unwrap_err().to_string(),
//!     "supervisor \"quinn\" may not use whisper on agent \"alex\": granted on that agent: monitor"
//! );
//! assert_eq!(
//!     policy.allows(&sam, &bo, Mode::Monitor).unwrap_err().to_string(),
//!     "supervisor \"sam\" may not use monitor on agent \"bo\": no mode is granted on that agent"
//! );
//! assert_eq!(policy.granted(&sam, &alex), ModeSet::of(&[Mode::Monitor, Mode::Whisper, Mode::Barge]));
//! # Ok::<(), barge::Error>(())
//! ```

pub(crate) mod consent;
mod grant;
mod identity;
mod modes;
pub(crate) mod refusal;

pub use grant::{AgentKeys, Agents, Grant, GrantBuilder, Supervisors};
pub use identity::Identity;
pub use modes::{ModeSet, ModeSetIter};
pub use refusal::{Reason, Refusal};

use alloc::vec::Vec;

use crate::label::Label;
use crate::route::Mode;

/// Which supervisors may use which modes on which agents, and which agents
/// opted out of being monitored. See [the module](self) for how grants
/// combine.
///
/// [`Policy::new`] (and `Default`) grants nothing: a session with this
/// policy set refuses every supervisor every mode. A session with no
/// policy set allows everything.
///
/// With feature `serde` a policy reads from a config file as
/// `{"grants": [...], "opted_out": ["alex"]}`; both fields may be left
/// out, and an unknown field is an error rather than a grant ignored.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(from = "PolicyRepr")
)]
pub struct Policy {
    grants: Vec<Grant>,
    /// Sorted, each once.
    opted_out: Vec<Label>,
}

/// A policy as a config file writes it.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyRepr {
    #[serde(default)]
    grants: Vec<Grant>,
    #[serde(default)]
    opted_out: Vec<Label>,
}

#[cfg(feature = "serde")]
impl From<PolicyRepr> for Policy {
    fn from(repr: PolicyRepr) -> Policy {
        let mut policy = Policy::new();
        for grant in repr.grants {
            policy.add_grant(grant);
        }
        for agent in repr.opted_out {
            policy.add_opt_out(agent);
        }
        policy
    }
}

impl Policy {
    /// A policy that grants nothing and opts no one out: it denies every
    /// mode to every supervisor until [`Policy::grant`] grants some.
    pub const fn new() -> Policy {
        Policy {
            grants: Vec::new(),
            opted_out: Vec::new(),
        }
    }

    /// This policy and `grant`.
    #[must_use]
    pub fn grant(mut self, grant: Grant) -> Policy {
        self.add_grant(grant);
        self
    }

    /// Adds `grant`.
    pub fn add_grant(&mut self, grant: Grant) {
        self.grants.push(grant);
    }

    /// This policy, with the agent whose key is `agent` opted out: no
    /// supervisor may use any mode on it.
    #[must_use]
    pub fn opt_out(mut self, agent: Label) -> Policy {
        self.add_opt_out(agent);
        self
    }

    /// Opts the agent whose key is `agent` out; an agent opted out already
    /// stays so.
    pub fn add_opt_out(&mut self, agent: Label) {
        if let Err(at) = self.opted_out.binary_search(&agent) {
            self.opted_out.insert(at, agent);
        }
    }

    /// The grants, in the order they were given.
    pub fn grants(&self) -> &[Grant] {
        &self.grants
    }

    /// The keys of the agents this policy opts out, in order of their
    /// text (not counting identities that carry the flag themselves).
    pub fn opted_out(&self) -> &[Label] {
        &self.opted_out
    }

    /// Whether `agent` is opted out, by this policy or by its own flag.
    pub fn is_opted_out(&self, agent: &Identity) -> bool {
        agent.opted_out || self.opted_out.binary_search(&agent.key).is_ok()
    }

    /// The modes `supervisor` may use on `agent`: the union of the modes
    /// of every grant that [applies](Grant::applies), or none if the agent
    /// is opted out.
    pub fn granted(&self, supervisor: &Identity, agent: &Identity) -> ModeSet {
        if self.is_opted_out(agent) {
            return ModeSet::NONE;
        }
        self.grants
            .iter()
            .filter(|g| g.applies(supervisor, agent))
            .fold(ModeSet::NONE, |modes, g| modes.union(g.modes))
    }

    /// Whether `supervisor` may use `mode` on `agent`: `Ok` if it is
    /// [granted](Policy::granted), else a [`Refusal`] naming both, the
    /// mode, and why ([`Reason::OptedOut`] before [`Reason::NotGranted`]).
    pub fn allows(
        &self,
        supervisor: &Identity,
        agent: &Identity,
        mode: Mode,
    ) -> Result<(), Refusal> {
        let reason = if self.is_opted_out(agent) {
            Reason::OptedOut
        } else {
            let granted = self.granted(supervisor, agent);
            if granted.contains(mode) {
                return Ok(());
            }
            Reason::NotGranted { granted }
        };
        Err(Refusal {
            supervisor: Some(supervisor.key),
            agent: Some(agent.key),
            mode,
            reason,
        })
    }

    /// Whether `supervisor` may use `mode` on every one of `agents` (a
    /// call may have several): the refusal for the first agent, in the
    /// order given, on which it may not. No agent at all is `Ok`.
    pub fn allows_on_all<'a, I>(
        &self,
        supervisor: &Identity,
        agents: I,
        mode: Mode,
    ) -> Result<(), Refusal>
    where
        I: IntoIterator<Item = &'a Identity>,
    {
        agents
            .into_iter()
            .try_for_each(|agent| self.allows(supervisor, agent, mode))
    }

    /// [`Policy::allows_on_all`] for parties a session may know without an
    /// identity (`None`: the host gave it no key). A supervisor or an agent
    /// without one is refused ([`Reason::NoIdentity`]) wherever an agent is
    /// on the call: a policy grants only to, and on, parties it can name.
    /// The first agent, in the order given, on which the supervisor may not
    /// use `mode` is refused; no agent at all is `Ok`.
    pub fn allows_on_call<'a, I>(
        &self,
        supervisor: Option<&Identity>,
        agents: I,
        mode: Mode,
    ) -> Result<(), Refusal>
    where
        I: IntoIterator<Item = Option<&'a Identity>>,
    {
        agents
            .into_iter()
            .try_for_each(|agent| match (supervisor, agent) {
                (Some(supervisor), Some(agent)) => self.allows(supervisor, agent, mode),
                (supervisor, agent) => Err(Refusal {
                    supervisor: supervisor.map(Identity::key),
                    agent: agent.map(Identity::key),
                    mode,
                    reason: Reason::NoIdentity,
                }),
            })
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::error::Error;
    use alloc::string::ToString;

    fn label(text: &str) -> Label {
        Label::new(text).unwrap()
    }

    fn agent(key: &str, team: &str) -> Identity {
        Identity::new(label(key)).with_group(label(team)).unwrap()
    }

    #[test]
    fn groups_are_a_bounded_set() {
        let id = Identity::new(label("sam"))
            .with_group(label("qa"))
            .unwrap()
            .with_group(label("b"))
            .unwrap()
            .with_group(label("qa"))
            .unwrap();
        let other = Identity::new(label("sam"))
            .with_group(label("b"))
            .unwrap()
            .with_group(label("qa"))
            .unwrap();
        assert_eq!(id, other, "order of adding does not matter");
        assert_eq!(id.groups().collect::<Vec<_>>(), [label("b"), label("qa")]);
        let full = id
            .with_group(label("c"))
            .unwrap()
            .with_group(label("a"))
            .unwrap();
        assert_eq!(
            full.groups().collect::<Vec<_>>(),
            [label("a"), label("b"), label("c"), label("qa")]
        );
        assert_eq!(
            full.with_group(label("d")),
            Err(Error::TooManyGroups {
                key: label("sam"),
                group: label("d"),
                max: 4
            })
        );
        assert!(full.with_group(label("qa")).is_ok(), "a group it has");
        assert_eq!(
            full.with_group(label("d")).unwrap_err().to_string(),
            "group \"d\" for \"sam\": expected at most 4 groups, and \"sam\" has 4 already"
        );
    }

    #[test]
    fn mode_set_basics() {
        let mut set = ModeSet::NONE;
        assert!(set.is_empty());
        assert!(set.insert(Mode::Barge));
        assert!(!set.insert(Mode::Barge));
        assert!(set.insert(Mode::Monitor));
        assert_eq!(set.len(), 2);
        assert_eq!(set.iter().collect::<Vec<_>>(), [Mode::Monitor, Mode::Barge]);
        assert_eq!(set.to_string(), "monitor, barge");
        assert_eq!(alloc::format!("{set:?}"), "{Monitor, Barge}");
        assert!(set.remove(Mode::Monitor));
        assert!(!set.remove(Mode::Monitor));
        assert_eq!(set, ModeSet::from(Mode::Barge));
        assert_eq!(
            ModeSet::ALL.to_string(),
            "monitor, whisper, private whisper, customer only, barge"
        );
        assert_eq!(ModeSet::ALL.iter().collect::<Vec<_>>(), Mode::ALL);
        for m in Mode::ALL {
            assert_eq!(ModeSet::from(m).iter().collect::<Vec<_>>(), [m]);
        }
    }

    #[test]
    fn opted_out_wins_over_every_grant() {
        let policy = Policy::new()
            .grant(Grant::any_supervisor().may(ModeSet::ALL).on_every_agent())
            .opt_out(label("alex"));
        let sam = Identity::new(label("sam"));
        let alex = agent("alex", "a");
        for mode in Mode::ALL {
            assert_eq!(
                policy.allows(&sam, &alex, mode),
                Err(Refusal {
                    supervisor: Some(label("sam")),
                    agent: Some(label("alex")),
                    mode,
                    reason: Reason::OptedOut
                })
            );
            assert!(policy.allows(&sam, &agent("kim", "a"), mode).is_ok());
            assert!(policy
                .allows(&sam, &agent("kim", "a").with_opt_out(), mode)
                .is_err());
        }
    }

    #[test]
    fn no_identity_is_refused_only_where_an_agent_is() {
        let policy =
            Policy::new().grant(Grant::any_supervisor().may(ModeSet::ALL).on_every_agent());
        let sam = Identity::new(label("sam"));
        let alex = agent("alex", "a");
        assert_eq!(
            policy.allows_on_call(None, [Some(&alex)], Mode::Monitor),
            Err(Refusal {
                supervisor: None,
                agent: Some(label("alex")),
                mode: Mode::Monitor,
                reason: Reason::NoIdentity
            })
        );
        let refusal = policy
            .allows_on_call(Some(&sam), [Some(&alex), None], Mode::Barge)
            .unwrap_err();
        assert_eq!(refusal.agent, None);
        assert_eq!(refusal.supervisor, Some(label("sam")));
        assert_eq!(
            refusal.to_string(),
            "supervisor \"sam\" may not use barge on an agent without a key: a policy is set, and it grants modes only to and on parties with a key"
        );
        assert_eq!(policy.allows_on_call(None, [], Mode::Barge), Ok(()));
        assert_eq!(
            policy.allows_on_call(Some(&sam), [Some(&alex)], Mode::Barge),
            Ok(())
        );
    }

    #[test]
    fn agent_keys_are_bounded() {
        let many = (0..=AgentKeys::MAX).map(|i| label(&alloc::format!("agent-{i}")));
        assert_eq!(
            AgentKeys::new(many),
            Err(Error::TooManyAgents {
                given: 1025,
                max: 1024
            })
        );
        let same = (0..5000).map(|_| label("alex"));
        assert_eq!(AgentKeys::new(same).unwrap().as_slice(), [label("alex")]);
    }
}
