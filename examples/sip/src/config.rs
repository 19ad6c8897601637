//! The PBX's config file (TOML): extensions and their agents, the
//! supervisors' SIP users, who may supervise whom (barge's `Policy`), and
//! the number prefixes whose calls need a disclosure.
//!
//! ```toml
//! [[extension]]
//! number = "1001"                        # what a customer dials
//! agent = "alex"                         # the agent's key (audit trail, grants)
//! groups = ["team-a"]                    # the agent's groups (teams)
//! contact = "sip:alex@127.0.0.1:5072"    # where the agent's phone answers
//!
//! [[supervisor]]
//! user = "sam"                           # the SIP user of the From header
//! groups = ["team-lead", "team-a"]
//!
//! [policy]                               # barge::Policy, as its serde form
//! grants = [
//!   { to = { group = "team-lead" }, modes = ["monitor", "whisper", "barge"], on = "own_team" },
//! ]
//!
//! [consent]                              # all-party-consent callers, by prefix
//! prefixes = ["+1415", "1415"]
//! ```
//!
//! Without `[policy]` every supervisor may use every mode on every agent.
//! A file that does not parse is one line: where, and what was wrong.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

use barge::{Identity, Label, Policy};
use serde::Deserialize;

/// The most extensions and supervisors a config may name.
pub const MAX_ENTRIES: usize = 10_000;

/// The config as the file writes it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    extension: Vec<ExtensionEntry>,
    #[serde(default)]
    supervisor: Vec<SupervisorEntry>,
    policy: Option<Policy>,
    #[serde(default)]
    consent: ConsentEntry,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExtensionEntry {
    number: String,
    agent: Label,
    #[serde(default)]
    groups: Vec<Label>,
    contact: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SupervisorEntry {
    user: String,
    #[serde(default)]
    key: Option<Label>,
    #[serde(default)]
    groups: Vec<Label>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConsentEntry {
    #[serde(default)]
    prefixes: Vec<String>,
}

/// One extension: the agent who answers it.
#[derive(Debug, Clone)]
pub struct Extension {
    /// The agent, as barge's policy names it.
    pub agent: Identity,
    /// The agent's phone: its SIP URI (`sip:user@ip:port`).
    pub contact: String,
}

/// The PBX's configuration, checked.
#[derive(Debug, Clone)]
pub struct Config {
    /// The extensions, by number.
    pub extensions: BTreeMap<String, Extension>,
    /// The supervisors, by SIP user.
    pub supervisors: BTreeMap<String, Identity>,
    /// Who may supervise whom; `None`: everyone may do everything.
    pub policy: Option<Arc<Policy>>,
    /// Callers whose number starts with one of these need a disclosure.
    pub consent_prefixes: Vec<String>,
}

/// Why a config file was refused: where, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// Line and column (1-based), if the error has a place.
    pub at: Option<(usize, usize)>,
    /// What was wrong, on one line.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.at {
            Some((line, column)) => write!(f, "line {line}, column {column}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

fn error(message: impl Into<String>) -> ConfigError {
    ConfigError {
        at: None,
        message: message.into().replace('\n', " "),
    }
}

/// The line and column (1-based) of byte `offset` of `text`.
fn place(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Whether `number` is something a phone dials: digits, and `*`, `#`, `+`.
fn dialable(number: &str) -> bool {
    !number.is_empty()
        && number.len() <= 32
        && number
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '*' | '#' | '+'))
}

/// The user part and the address of a `sip:user@ip:port` URI: the example
/// resolves no names (loopback, or the addresses the admin writes).
pub fn parse_contact(contact: &str) -> Option<(Option<String>, SocketAddr)> {
    let rest = contact.strip_prefix("sip:")?;
    let rest = rest.split(';').next()?;
    let (user, host) = match rest.rsplit_once('@') {
        Some((u, h)) => (Some(u.to_string()), h),
        None => (None, rest),
    };
    let addr = host
        .parse::<SocketAddr>()
        .ok()
        .or_else(|| format!("{host}:5060").parse().ok())?;
    Some((user.filter(|u| !u.is_empty()), addr))
}

impl Config {
    /// Parses and checks a config file's text.
    pub fn parse(text: &str) -> Result<Config, ConfigError> {
        let file: File = toml::from_str(text).map_err(|e| ConfigError {
            at: e.span().map(|s| place(text, s.start)),
            message: e.message().trim().replace('\n', " "),
        })?;
        if file.extension.len() + file.supervisor.len() > MAX_ENTRIES {
            return Err(error(format!(
                "expected at most {MAX_ENTRIES} extensions and supervisors, got {}",
                file.extension.len() + file.supervisor.len()
            )));
        }
        let mut extensions = BTreeMap::new();
        for e in file.extension {
            if !dialable(&e.number) {
                return Err(error(format!(
                    "extension {:?}: expected digits (and * # +), at most 32",
                    e.number
                )));
            }
            parse_contact(&e.contact).ok_or_else(|| {
                error(format!(
                    "extension {}: contact: expected sip:user@ip:port, got {:?}",
                    e.number, e.contact
                ))
            })?;
            let mut agent = Identity::new(e.agent);
            for g in e.groups {
                agent = agent
                    .with_group(g)
                    .map_err(|err| error(format!("extension {}: {err}", e.number)))?;
            }
            let ext = Extension {
                agent,
                contact: e.contact,
            };
            if extensions.insert(e.number.clone(), ext).is_some() {
                return Err(error(format!("extension {}: given twice", e.number)));
            }
        }
        let mut supervisors = BTreeMap::new();
        for s in file.supervisor {
            let key = match s.key {
                Some(key) => key,
                None => Label::new(&s.user)
                    .map_err(|err| error(format!("supervisor {:?}: {err}", s.user)))?,
            };
            let mut identity = Identity::new(key);
            for g in s.groups {
                identity = identity
                    .with_group(g)
                    .map_err(|err| error(format!("supervisor {}: {err}", s.user)))?;
            }
            if supervisors.insert(s.user.clone(), identity).is_some() {
                return Err(error(format!("supervisor {}: given twice", s.user)));
            }
        }
        for p in &file.consent.prefixes {
            if !dialable(p) {
                return Err(error(format!(
                    "consent prefix {p:?}: expected digits (and * # +)"
                )));
            }
        }
        Ok(Config {
            extensions,
            supervisors,
            policy: file.policy.map(Arc::new),
            consent_prefixes: file.consent.prefixes,
        })
    }

    /// Whether a call from `caller` needs a disclosure before anyone
    /// listens.
    pub fn needs_disclosure(&self, caller: &str) -> bool {
        self.consent_prefixes.iter().any(|p| caller.starts_with(p))
    }
}

#[cfg(test)]
mod test {
    use super::*;

    const GOOD: &str = r#"
[[extension]]
number = "1001"
agent = "alex"
groups = ["team-a"]
contact = "sip:alex@127.0.0.1:5072"

[[supervisor]]
user = "sam"
groups = ["team-lead", "team-a"]

[[supervisor]]
user = "quinn"
groups = ["qa"]

[policy]
grants = [
  { to = { group = "team-lead" }, modes = ["monitor", "whisper", "barge"], on = "own_team" },
  { to = { group = "qa" }, modes = ["monitor"], on = "every" },
]

[consent]
prefixes = ["+1415"]
"#;

    #[test]
    fn a_config_reads_with_its_policy() {
        let c = Config::parse(GOOD).unwrap();
        let ext = &c.extensions["1001"];
        assert_eq!(ext.contact, "sip:alex@127.0.0.1:5072");
        let policy = c.policy.as_ref().unwrap();
        let (sam, quinn) = (&c.supervisors["sam"], &c.supervisors["quinn"]);
        assert!(policy.allows(sam, &ext.agent, barge::Mode::Barge).is_ok());
        assert!(policy
            .allows(quinn, &ext.agent, barge::Mode::Whisper)
            .is_err());
        assert!(c.needs_disclosure("+14155550100"));
        assert!(!c.needs_disclosure("+12125550100"));
    }

    #[test]
    fn a_bad_config_says_where_on_one_line() {
        for (text, says) in [
            ("[[extension]]\nnumber = 1001\n", "line 2, column 10"),
            (
                "[[extension]]\nnumbr = \"1\"\n",
                "line 2, column 1: unknown field `numbr`",
            ),
            (
                "[policy]\ngrants = [{ to = \"any\", modes = [\"shout\"], on = \"every\" }]\n",
                "line 2",
            ),
            ("x = [\n", "line 1, column 6: unclosed array"),
            (
                "[[extension]]\nnumber = \"12a\"\nagent = \"a\"\ncontact = \"sip:a@127.0.0.1:1\"\n",
                "extension \"12a\": expected digits",
            ),
            (
                "[[extension]]\nnumber = \"1\"\nagent = \"a\"\ncontact = \"tel:1\"\n",
                "extension 1: contact: expected sip:user@ip:port",
            ),
        ] {
            let e = Config::parse(text).expect_err(text).to_string();
            assert!(e.contains(says), "{text:?}: {e}");
            assert!(!e.contains('\n'), "{e}");
        }
    }

    #[test]
    fn the_readmes_config_reads() {
        let c = Config::parse(include_str!("../pbx.toml")).unwrap();
        assert_eq!((c.extensions.len(), c.supervisors.len()), (1, 2));
        assert!(c.policy.is_some() && c.needs_disclosure("+14155550100"));
    }

    #[test]
    fn contacts_parse_without_names() {
        assert_eq!(
            parse_contact("sip:bob@127.0.0.1:5080;transport=udp"),
            Some((Some("bob".into()), "127.0.0.1:5080".parse().unwrap()))
        );
        assert_eq!(
            parse_contact("sip:127.0.0.1"),
            Some((None, "127.0.0.1:5060".parse().unwrap()))
        );
        assert_eq!(parse_contact("sip:bob@example.com"), None);
    }
}
