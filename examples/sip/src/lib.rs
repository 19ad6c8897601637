//! The SIP example's config file as a library: the supervisor console
//! (examples/dashboard) reads the same file as the PBX, for the
//! supervisors' identities, their password hashes, the policy and its own
//! `[console]` settings. The PBX itself is the `barge-sip` binary.

pub mod config;

pub use config::Config;
