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

use alloc::vec::Vec;
use core::fmt;

use crate::error::Error;
use crate::label::Label;
use crate::route::Mode;

/// A party as the host knows it: its key (the host's user id) and up to
/// [`Identity::MAX_GROUPS`] groups.
///
/// An agent's groups are its teams ("team-a") — what Asterisk calls spy
/// groups and FreeSWITCH eavesdrop groups. A supervisor's groups are its
/// roles ("team-lead", "qa") and the teams it leads ("team-a"): a grant
/// [`on_own_team`](GrantBuilder::on_own_team) matches an agent that shares
/// any group with the supervisor, so name roles and teams apart (an agent
/// is not put in "team-lead").
///
/// Groups are a set: adding one twice keeps one, and two identities with
/// the same key, groups and opt-out are equal whatever order the groups
/// were added in.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "IdentityRepr", into = "IdentityRepr")
)]
pub struct Identity {
    key: Label,
    /// The groups, sorted, then `None`s.
    groups: [Option<Label>; Identity::MAX_GROUPS],
    opted_out: bool,
}

impl Identity {
    /// The most groups an identity has.
    pub const MAX_GROUPS: usize = 4;

    /// The party with the host's key `key`, in no group, not opted out.
    pub const fn new(key: Label) -> Identity {
        Identity {
            key,
            groups: [None; Identity::MAX_GROUPS],
            opted_out: false,
        }
    }

    /// The same party, in `group` too. A group it is in already changes
    /// nothing; a group beyond [`Identity::MAX_GROUPS`] is
    /// [`Error::TooManyGroups`].
    pub fn with_group(mut self, group: Label) -> Result<Identity, Error> {
        let held = self.groups.iter().flatten().count();
        if self.in_group(&group) {
            return Ok(self);
        }
        if held == Identity::MAX_GROUPS {
            return Err(Error::TooManyGroups {
                key: self.key,
                group,
                max: Identity::MAX_GROUPS,
            });
        }
        // Insert in order: `Some` before `None`, then by text.
        let mut at = held;
        while at > 0 && self.groups[at - 1].is_some_and(|g| g > group) {
            self.groups[at] = self.groups[at - 1];
            at -= 1;
        }
        self.groups[at] = Some(group);
        Ok(self)
    }

    /// The same party, opted out of being monitored: a [`Policy`] refuses
    /// every mode on it ([`Reason::OptedOut`]). For an agent; a flag on a
    /// supervisor means nothing.
    pub const fn with_opt_out(mut self) -> Identity {
        self.opted_out = true;
        self
    }

    /// The host's key.
    pub const fn key(&self) -> Label {
        self.key
    }

    /// The groups, in order of their text.
    pub fn groups(&self) -> impl Iterator<Item = Label> + '_ {
        self.groups.iter().flatten().copied()
    }

    /// Whether the party is in `group`.
    pub fn in_group(&self, group: &Label) -> bool {
        self.groups().any(|g| g == *group)
    }

    /// Whether the two parties have a group in common.
    pub fn shares_group(&self, other: &Identity) -> bool {
        self.groups().any(|g| other.in_group(&g))
    }

    /// Whether this identity carries the opt-out flag
    /// ([`Identity::with_opt_out`]); a [`Policy`] may opt it out as well.
    pub const fn is_opted_out(&self) -> bool {
        self.opted_out
    }
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Groups<'a>(&'a Identity);
        impl fmt::Debug for Groups<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_list().entries(self.0.groups()).finish()
            }
        }
        f.debug_struct("Identity")
            .field("key", &self.key)
            .field("groups", &Groups(self))
            .field("opted_out", &self.opted_out)
            .finish()
    }
}

/// Shows the key.
impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.key, f)
    }
}

/// An identity as a config file writes it:
/// `{"key": "alex", "groups": ["team-a"], "opted_out": false}`.
#[cfg(feature = "serde")]
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct IdentityRepr {
    key: Label,
    #[serde(default)]
    groups: Vec<Label>,
    #[serde(default)]
    opted_out: bool,
}

#[cfg(feature = "serde")]
impl TryFrom<IdentityRepr> for Identity {
    type Error = Error;

    fn try_from(repr: IdentityRepr) -> Result<Identity, Error> {
        let mut identity = Identity::new(repr.key);
        for group in repr.groups {
            identity = identity.with_group(group)?;
        }
        identity.opted_out = repr.opted_out;
        Ok(identity)
    }
}

#[cfg(feature = "serde")]
impl From<Identity> for IdentityRepr {
    fn from(identity: Identity) -> IdentityRepr {
        IdentityRepr {
            key: identity.key,
            groups: identity.groups().collect(),
            opted_out: identity.opted_out,
        }
    }
}

/// A set of [`Mode`]s. Iterates, and shows, in the order of [`Mode::ALL`].
///
/// ```
/// use barge::{Mode, ModeSet};
/// let coach = ModeSet::of(&[Mode::Whisper, Mode::Monitor]);
/// assert!(coach.contains(Mode::Monitor));
/// assert!(!coach.contains(Mode::Barge));
/// assert_eq!(coach.to_string(), "monitor, whisper");
/// assert_eq!(ModeSet::NONE.to_string(), "none");
/// assert_eq!(ModeSet::ALL.len(), Mode::ALL.len());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ModeSet(u8);

impl ModeSet {
    /// No mode.
    pub const NONE: ModeSet = ModeSet(0);
    /// Every mode of [`Mode::ALL`].
    pub const ALL: ModeSet = ModeSet::of(&Mode::ALL);

    /// The set of `modes`.
    pub const fn of(modes: &[Mode]) -> ModeSet {
        let mut set = ModeSet::NONE;
        let mut i = 0;
        while i < modes.len() {
            set = set.with(modes[i]);
            i += 1;
        }
        set
    }

    /// This set and `mode`.
    pub const fn with(self, mode: Mode) -> ModeSet {
        ModeSet(self.0 | bit(mode))
    }

    /// Adds `mode`; whether it was not in the set before.
    pub fn insert(&mut self, mode: Mode) -> bool {
        let new = !self.contains(mode);
        *self = self.with(mode);
        new
    }

    /// Removes `mode`; whether it was in the set.
    pub fn remove(&mut self, mode: Mode) -> bool {
        let held = self.contains(mode);
        self.0 &= !bit(mode);
        held
    }

    /// Whether `mode` is in the set.
    pub const fn contains(self, mode: Mode) -> bool {
        self.0 & bit(mode) != 0
    }

    /// The modes in either set.
    pub const fn union(self, other: ModeSet) -> ModeSet {
        ModeSet(self.0 | other.0)
    }

    /// The modes in both sets.
    pub const fn intersection(self, other: ModeSet) -> ModeSet {
        ModeSet(self.0 & other.0)
    }

    /// Whether the set has no mode.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// How many modes the set has.
    pub const fn len(self) -> usize {
        self.0.count_ones() as usize
    }

    /// The modes, in the order of [`Mode::ALL`].
    pub fn iter(self) -> ModeSetIter {
        ModeSetIter { set: self, next: 0 }
    }
}

/// A mode's bit: its position in [`Mode::ALL`].
const fn bit(mode: Mode) -> u8 {
    match mode {
        Mode::Monitor => 1 << 0,
        Mode::Whisper => 1 << 1,
        Mode::PrivateWhisper => 1 << 2,
        Mode::CustomerOnly => 1 << 3,
        Mode::Barge => 1 << 4,
    }
}

/// The modes of a [`ModeSet`], in the order of [`Mode::ALL`].
#[derive(Debug, Clone)]
pub struct ModeSetIter {
    set: ModeSet,
    next: usize,
}

impl Iterator for ModeSetIter {
    type Item = Mode;

    fn next(&mut self) -> Option<Mode> {
        while let Some(&mode) = Mode::ALL.get(self.next) {
            self.next += 1;
            if self.set.contains(mode) {
                return Some(mode);
            }
        }
        None
    }
}

impl IntoIterator for ModeSet {
    type Item = Mode;
    type IntoIter = ModeSetIter;

    fn into_iter(self) -> ModeSetIter {
        self.iter()
    }
}

impl FromIterator<Mode> for ModeSet {
    fn from_iter<I: IntoIterator<Item = Mode>>(modes: I) -> ModeSet {
        modes.into_iter().fold(ModeSet::NONE, ModeSet::with)
    }
}

impl Extend<Mode> for ModeSet {
    fn extend<I: IntoIterator<Item = Mode>>(&mut self, modes: I) {
        *self = modes.into_iter().fold(*self, ModeSet::with);
    }
}

impl From<Mode> for ModeSet {
    fn from(mode: Mode) -> ModeSet {
        ModeSet::NONE.with(mode)
    }
}

impl<const N: usize> From<[Mode; N]> for ModeSet {
    fn from(modes: [Mode; N]) -> ModeSet {
        ModeSet::of(&modes)
    }
}

impl From<&[Mode]> for ModeSet {
    fn from(modes: &[Mode]) -> ModeSet {
        ModeSet::of(modes)
    }
}

impl core::ops::BitOr for ModeSet {
    type Output = ModeSet;

    fn bitor(self, other: ModeSet) -> ModeSet {
        self.union(other)
    }
}

impl core::ops::BitOrAssign for ModeSet {
    fn bitor_assign(&mut self, other: ModeSet) {
        *self = self.union(other);
    }
}

impl fmt::Debug for ModeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

/// The modes' names, comma-separated ("monitor, whisper"); "none" when
/// empty.
impl fmt::Display for ModeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("none");
        }
        for (i, mode) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            fmt::Display::fmt(&mode, f)?;
        }
        Ok(())
    }
}

/// A list of modes in the order of [`Mode::ALL`]: `["monitor", "whisper"]`.
#[cfg(feature = "serde")]
impl serde::Serialize for ModeSet {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

/// From a list of modes; a mode named twice is in the set once.
#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for ModeSet {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<ModeSet, D::Error> {
        struct Modes;

        impl<'de> serde::de::Visitor<'de> for Modes {
            type Value = ModeSet;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of modes")
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<ModeSet, A::Error> {
                let mut set = ModeSet::NONE;
                while let Some(mode) = seq.next_element::<Mode>()? {
                    set.insert(mode);
                }
                Ok(set)
            }
        }

        deserializer.deserialize_seq(Modes)
    }
}

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

/// A supervisor refused a mode on an agent by a [`Policy`]: who, what and
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

#[cfg(test)]
mod test {
    use super::*;
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
