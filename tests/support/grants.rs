//! The grant rules of `barge::policy`, written out plainly for the tests
//! to check the crate against (`tests/policy.rs`, `tests/compliance.rs`):
//! a person, a grant and a policy as plain data, the rule as a few lines,
//! and the conversion to the crate's types.

use barge::policy::{AgentKeys, Agents, Supervisors};
use barge::{Grant, Identity, Label, Mode, ModeSet, Policy};

/// The keys and groups the generators draw from.
pub const KEYS: [&str; 4] = ["sam", "alex", "bo", "kim"];
pub const GROUPS: [&str; 4] = ["team-a", "team-b", "qa", "lead"];

pub fn label(text: &str) -> Label {
    Label::new(text).unwrap()
}

/// A supervisor or an agent: its key, groups, and whether it opted out.
#[derive(Debug, Clone, PartialEq)]
pub struct Person {
    pub key: &'static str,
    pub groups: Vec<&'static str>,
    pub opted_out: bool,
}

impl Person {
    pub fn identity(&self) -> Identity {
        let id = self
            .groups
            .iter()
            .fold(Identity::new(label(self.key)), |id, g| {
                id.with_group(label(g)).unwrap()
            });
        if self.opted_out {
            id.with_opt_out()
        } else {
            id
        }
    }
}

/// For whom a grant is: a key, a group, anyone.
#[derive(Debug, Clone)]
pub enum Who {
    Key(&'static str),
    Group(&'static str),
    Anyone,
}

/// On whom: a team, a list of keys, every agent, the supervisor's own team.
#[derive(Debug, Clone)]
pub enum On {
    Team(&'static str),
    Keys(Vec<&'static str>),
    Every,
    OwnTeam,
}

#[derive(Debug, Clone)]
pub struct PlainGrant {
    pub who: Who,
    pub modes: Vec<Mode>,
    pub on: On,
}

impl PlainGrant {
    /// Whether this grant is for `sup` on `agent` (whatever its modes).
    pub fn applies(&self, sup: &Person, agent: &Person) -> bool {
        let for_sup = match self.who {
            Who::Key(k) => sup.key == k,
            Who::Group(group) => sup.groups.contains(&group),
            Who::Anyone => true,
        };
        let on_agent = match &self.on {
            On::Team(t) => agent.groups.contains(t),
            On::Keys(keys) => keys.contains(&agent.key),
            On::Every => true,
            On::OwnTeam => sup.groups.iter().any(|g| agent.groups.contains(g)),
        };
        for_sup && on_agent
    }

    /// The crate's grant for it.
    pub fn grant(&self) -> Grant {
        let to = match self.who {
            Who::Key(k) => Supervisors::Key(label(k)),
            Who::Group(k) => Supervisors::Group(label(k)),
            Who::Anyone => Supervisors::Any,
        };
        let on = match &self.on {
            On::Team(t) => Agents::Team(label(t)),
            On::Keys(keys) => Agents::Keys(AgentKeys::new(keys.iter().map(|k| label(k))).unwrap()),
            On::Every => Agents::Every,
            On::OwnTeam => Agents::OwnTeam,
        };
        Grant::new(to, ModeSet::of(&self.modes), on)
    }
}

/// Grants and opt-outs.
#[derive(Debug, Clone)]
pub struct PlainPolicy {
    pub grants: Vec<PlainGrant>,
    pub opted_out: Vec<&'static str>,
}

impl PlainPolicy {
    /// The crate's policy for it.
    pub fn policy(&self) -> Policy {
        let policy = self
            .grants
            .iter()
            .fold(Policy::new(), |p, g| p.grant(g.grant()));
        self.opted_out
            .iter()
            .fold(policy, |p, k| p.opt_out(label(k)))
    }

    /// The modes `sup` may use on `agent`, in the order of `Mode::ALL`:
    /// none if the agent opted out; else every mode some grant for the
    /// supervisor, on the agent, names.
    pub fn granted(&self, sup: &Person, agent: &Person) -> Vec<Mode> {
        if agent.opted_out || self.opted_out.contains(&agent.key) {
            return Vec::new();
        }
        Mode::ALL
            .into_iter()
            .filter(|m| {
                self.grants
                    .iter()
                    .any(|g| g.applies(sup, agent) && g.modes.contains(m))
            })
            .collect()
    }
}
