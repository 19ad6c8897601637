//! Identities: a party as the host knows it, its key and its groups.

#[cfg(feature = "serde")]
use alloc::vec::Vec;
use core::fmt;

use crate::error::Error;
use crate::label::Label;

/// A party as the host knows it: its key (the host's user id) and up to
/// [`Identity::MAX_GROUPS`] groups.
///
/// An agent's groups are its teams ("team-a") — what Asterisk calls spy
/// groups and FreeSWITCH eavesdrop groups. A supervisor's groups are its
/// roles ("team-lead", "qa") and the teams it leads ("team-a"): a grant
/// [`on_own_team`](crate::policy::GrantBuilder::on_own_team) matches an agent that shares
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
    pub(super) key: Label,
    /// The groups, sorted, then `None`s.
    pub(super) groups: [Option<Label>; Identity::MAX_GROUPS],
    pub(super) opted_out: bool,
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

    /// The same party, opted out of being monitored: a [`Policy`](crate::Policy) refuses
    /// every mode on it ([`Reason::OptedOut`](crate::Reason::OptedOut)). For an agent; a flag on a
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
    /// ([`Identity::with_opt_out`]); a [`Policy`](crate::Policy) may opt it out as well.
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
