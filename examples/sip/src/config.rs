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
//! password_hash = "$argon2id$v=19$…"     # the console's sign-in (PHC string)
//!
//! [policy]                               # barge::Policy, as its serde form
//! grants = [
//!   { to = { group = "team-lead" }, modes = ["monitor", "whisper", "barge"], on = "own_team" },
//! ]
//!
//! [consent]                              # all-party-consent callers, by prefix
//! prefixes = ["+1415", "1415"]
//!
//! [console]                              # the supervisor console (examples/dashboard)
//! listen = "127.0.0.1:8000"
//! self_signed = true                     # or tls_cert and tls_key (PEM files)
//! hostnames = ["console.example.com"]    # names the page is reached by
//! session_seconds = 28800                # how long a sign-in lasts
//! ```
//!
//! Without `[policy]` every supervisor may use every mode on every agent.
//! The PBX reads no password and no `[console]`: they are the supervisor
//! console's (the dashboard example, which runs this PBX in its own process
//! and signs supervisors in as the identities of this file). A supervisor
//! without a `password_hash` cannot sign in to the console; the console
//! checks the hash itself (argon2, as a PHC string), the PBX only that it
//! looks like one. A file that does not parse is one line: where, and what
//! was wrong.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
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
    #[serde(default)]
    console: ConsoleSettings,
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
    #[serde(default)]
    password_hash: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConsentEntry {
    #[serde(default)]
    prefixes: Vec<String>,
}

/// The most names `[console] hostnames` may list.
pub const MAX_HOSTNAMES: usize = 16;

/// The longest sign-in `[console] session_seconds` may give: a week.
pub const MAX_SESSION_SECONDS: u64 = 7 * 24 * 3600;

/// `[console]`: the supervisor console's settings. The PBX does not read
/// them; the console (examples/dashboard) does, beside the supervisors'
/// identities and password hashes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsoleSettings {
    /// Where the console listens (its `--listen` overrides it).
    pub listen: Option<SocketAddr>,
    /// HTTPS: the certificate chain (PEM), with `tls_key`.
    pub tls_cert: Option<PathBuf>,
    /// HTTPS: the certificate's private key (PEM), with `tls_cert`.
    pub tls_key: Option<PathBuf>,
    /// HTTPS with a certificate the console makes when it starts (and
    /// prints the SHA-256 fingerprint of), instead of `tls_cert`.
    #[serde(default)]
    pub self_signed: bool,
    /// Host names the page may be reached by, besides IP addresses and
    /// `localhost` (a request naming another host is refused: DNS
    /// rebinding); they go in a self-signed certificate too.
    #[serde(default)]
    pub hostnames: Vec<String>,
    /// How long a sign-in lasts, in seconds (default 8 hours).
    pub session_seconds: Option<u64>,
}

/// Whether `name` is a DNS host name: labels of letters, digits and `-`.
fn host_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

impl ConsoleSettings {
    fn check(&self) -> Result<(), ConfigError> {
        if self.tls_cert.is_some() != self.tls_key.is_some() {
            return Err(error(
                "console: tls_cert and tls_key go together: expected both or neither",
            ));
        }
        if self.self_signed && self.tls_cert.is_some() {
            return Err(error(
                "console: expected self_signed or tls_cert and tls_key, not both",
            ));
        }
        if self.hostnames.len() > MAX_HOSTNAMES {
            return Err(error(format!(
                "console: hostnames: expected at most {MAX_HOSTNAMES}, got {}",
                self.hostnames.len()
            )));
        }
        if let Some(bad) = self.hostnames.iter().find(|h| !host_name(h)) {
            return Err(error(format!(
                "console: hostnames: {bad:?} is not a host name"
            )));
        }
        match self.session_seconds {
            Some(s) if s == 0 || s > MAX_SESSION_SECONDS => Err(error(format!(
                "console: session_seconds: expected 1 to {MAX_SESSION_SECONDS}, got {s}"
            ))),
            _ => Ok(()),
        }
    }
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
    /// The supervisors' password hashes (PHC strings), by SIP user: who
    /// may sign in to the console.
    pub password_hashes: BTreeMap<String, String>,
    /// The console's settings.
    pub console: ConsoleSettings,
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
        let mut password_hashes = BTreeMap::new();
        for s in file.supervisor {
            if let Some(hash) = s.password_hash {
                // The PHC string format: `$algorithm$…`; the console
                // parses the rest.
                if !hash.starts_with('$') || hash.len() > 512 || hash.contains(char::is_whitespace)
                {
                    return Err(error(format!(
                        "supervisor {}: password_hash: expected a PHC string such as \"$argon2id$v=19$…\" \
                         (make one with `dashboard hash-password`)",
                        s.user
                    )));
                }
                password_hashes.insert(s.user.clone(), hash);
            }
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
        file.console.check()?;
        Ok(Config {
            extensions,
            supervisors,
            policy: file.policy.map(Arc::new),
            consent_prefixes: file.consent.prefixes,
            password_hashes,
            console: file.console,
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
            (
                "[[supervisor]]\nuser = \"sam\"\npassword_hash = \"hunter2\"\n",
                "supervisor sam: password_hash: expected a PHC string",
            ),
            (
                "[console]\ntls_cert = \"a.pem\"\n",
                "tls_cert and tls_key go together",
            ),
            (
                "[console]\nself_signed = true\ntls_cert = \"a.pem\"\ntls_key = \"k.pem\"\n",
                "not both",
            ),
            ("[console]\nhostnames = [\"a b\"]\n", "is not a host name"),
            (
                "[console]\nsession_seconds = 0\n",
                "session_seconds: expected 1",
            ),
            ("[console]\nlisten = \"here\"\n", "line 2"),
        ] {
            let e = Config::parse(text).expect_err(text).to_string();
            assert!(e.contains(says), "{text:?}: {e}");
            assert!(!e.contains('\n'), "{e}");
        }
    }

    #[test]
    fn the_readmes_config_reads() {
        let c = Config::parse(include_str!("../pbx.toml")).unwrap();
        assert_eq!((c.extensions.len(), c.supervisors.len()), (4, 3));
        assert_eq!(c.password_hashes.len(), 3);
        assert!(c.policy.is_some() && c.needs_disclosure("+14155550100"));
        assert_eq!(c.console.listen, Some("127.0.0.1:8000".parse().unwrap()));
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
