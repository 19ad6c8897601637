//! Grants: which supervisors may use which modes on which agents, written
//! as the sentence they stand for.

use alloc::vec::Vec;

use crate::error::Error;
use crate::label::Label;
use crate::policy::identity::Identity;
use crate::policy::modes::ModeSet;

/// Whom a [`Grant`] is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "snake_case")
)]
#[non_exhaustive]
pub enum Supervisors {
    /// The supervisor with this key.
    Key(Label),
    /// Every supervisor in this group.
    Group(Label),
    /// Every supervisor.
    Any,
}

impl Supervisors {
    /// Whether `supervisor` is one of these.
    pub fn include(&self, supervisor: &Identity) -> bool {
        match self {
            Supervisors::Key(key) => supervisor.key == *key,
            Supervisors::Group(group) => supervisor.in_group(group),
            Supervisors::Any => true,
        }
    }
}

/// On whom a [`Grant`] is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "snake_case")
)]
#[non_exhaustive]
pub enum Agents {
    /// Every agent in this team (group).
    Team(Label),
    /// The agents with these keys.
    Keys(AgentKeys),
    /// Every agent.
    Every,
    /// Every agent that shares a group with the supervisor (the team
    /// lead's own team: a lead in "team-a" is on the agents in "team-a").
    OwnTeam,
}

impl Agents {
    /// Whether `agent` is one of these, for `supervisor`.
    pub fn include(&self, supervisor: &Identity, agent: &Identity) -> bool {
        match self {
            Agents::Team(team) => agent.in_group(team),
            Agents::Keys(keys) => keys.contains(&agent.key),
            Agents::Every => true,
            Agents::OwnTeam => supervisor.shares_group(agent),
        }
    }
}

/// An explicit list of agents' keys for a [`Grant`]: at most
/// [`AgentKeys::MAX`], each once, in order of their text.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "Vec<Label>", into = "Vec<Label>")
)]
pub struct AgentKeys(Vec<Label>);

impl AgentKeys {
    /// The longest list.
    pub const MAX: usize = 1024;

    /// The list of `keys`; a key given twice is kept once. More than
    /// [`AgentKeys::MAX`] different keys is [`Error::TooManyAgents`].
    pub fn new<I: IntoIterator<Item = Label>>(keys: I) -> Result<AgentKeys, Error> {
        let mut list: Vec<Label> = keys.into_iter().collect();
        list.sort_unstable();
        list.dedup();
        if list.len() > AgentKeys::MAX {
            return Err(Error::TooManyAgents {
                given: list.len(),
                max: AgentKeys::MAX,
            });
        }
        Ok(AgentKeys(list))
    }

    /// Whether `key` is in the list.
    pub fn contains(&self, key: &Label) -> bool {
        self.0.binary_search(key).is_ok()
    }

    /// The keys, in order of their text.
    pub fn as_slice(&self) -> &[Label] {
        &self.0
    }

    /// How many keys the list has.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the list is empty (a grant on it is on nobody).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(feature = "serde")]
impl TryFrom<Vec<Label>> for AgentKeys {
    type Error = Error;

    fn try_from(keys: Vec<Label>) -> Result<AgentKeys, Error> {
        AgentKeys::new(keys)
    }
}

#[cfg(feature = "serde")]
impl From<AgentKeys> for Vec<Label> {
    fn from(keys: AgentKeys) -> Vec<Label> {
        keys.0
    }
}

/// One permission: these supervisors may use these modes on these agents.
///
/// Build one with the builder, which reads as the sentence it stands for:
///
/// ```
/// use barge::{Grant, Label, Mode};
/// let lead = Label::new("team-lead")?;
/// let qa = Label::new("qa")?;
/// let sam = Label::new("sam")?;
///
/// // Team leads may monitor, whisper and barge on their own team.
/// Grant::group(lead).may([Mode::Monitor, Mode::Whisper, Mode::Barge]).on_own_team();
/// // QA may monitor every agent.
/// Grant::group(qa).may(Mode::Monitor).on_every_agent();
/// // Sam may whisper to two agents.
/// Grant::supervisor(sam).may(Mode::Whisper).on_agents([Label::new("alex")?, Label::new("kim")?])?;
/// # Ok::<(), barge::Error>(())
/// ```
///
/// or from its three parts with [`Grant::new`]. With feature `serde` a
/// grant reads from, and writes to, a config file as
/// `{"to": {"group": "qa"}, "modes": ["monitor"], "on": "every"}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(deny_unknown_fields)
)]
pub struct Grant {
    /// Whom it is for.
    pub to: Supervisors,
    /// The modes it grants.
    pub modes: ModeSet,
    /// On whom.
    pub on: Agents,
}

impl Grant {
    /// A grant of `modes` to the supervisors `to` on the agents `on`.
    pub fn new(to: Supervisors, modes: impl Into<ModeSet>, on: Agents) -> Grant {
        Grant {
            to,
            modes: modes.into(),
            on,
        }
    }

    /// A grant for the supervisor with this key; say what it may, then on
    /// whom.
    pub const fn supervisor(key: Label) -> GrantBuilder {
        GrantBuilder::new(Supervisors::Key(key))
    }

    /// A grant for every supervisor in `group`; say what they may, then on
    /// whom.
    pub const fn group(group: Label) -> GrantBuilder {
        GrantBuilder::new(Supervisors::Group(group))
    }

    /// A grant for every supervisor; say what they may, then on whom.
    pub const fn any_supervisor() -> GrantBuilder {
        GrantBuilder::new(Supervisors::Any)
    }

    /// Whether this grant is for `supervisor` on `agent`: if so, it
    /// grants [`Grant::modes`](Grant#structfield.modes).
    pub fn applies(&self, supervisor: &Identity, agent: &Identity) -> bool {
        self.to.include(supervisor) && self.on.include(supervisor, agent)
    }
}

/// A [`Grant`] being written: whom it is for and the modes so far. It
/// becomes a grant when it says on whom (`on_…`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use = "a grant builder grants nothing until it says on whom (`on_…`)"]
pub struct GrantBuilder {
    to: Supervisors,
    modes: ModeSet,
}

impl GrantBuilder {
    const fn new(to: Supervisors) -> GrantBuilder {
        GrantBuilder {
            to,
            modes: ModeSet::NONE,
        }
    }

    /// These modes too: a mode, an array of modes or a [`ModeSet`].
    pub fn may(self, modes: impl Into<ModeSet>) -> GrantBuilder {
        GrantBuilder {
            modes: self.modes.union(modes.into()),
            ..self
        }
    }

    /// On the agents in `team`.
    pub fn on_team(self, team: Label) -> Grant {
        self.on(Agents::Team(team))
    }

    /// On the agents that share a group with the supervisor.
    pub fn on_own_team(self) -> Grant {
        self.on(Agents::OwnTeam)
    }

    /// On every agent.
    pub fn on_every_agent(self) -> Grant {
        self.on(Agents::Every)
    }

    /// On the agents with these keys; more than [`AgentKeys::MAX`]
    /// different keys is [`Error::TooManyAgents`].
    pub fn on_agents<I: IntoIterator<Item = Label>>(self, keys: I) -> Result<Grant, Error> {
        Ok(self.on(Agents::Keys(AgentKeys::new(keys)?)))
    }

    /// On `agents`.
    pub fn on(self, agents: Agents) -> Grant {
        Grant {
            to: self.to,
            modes: self.modes,
            on: agents,
        }
    }
}
