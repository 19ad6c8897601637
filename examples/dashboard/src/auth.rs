//! Who may sign in, and who is signed in.
//!
//! - **Users** are the supervisors of the deployment's config that have a
//!   `password_hash` (argon2, a PHC string: `dashboard hash-password`
//!   makes one); each signs in as its barge [`Identity`] (key and groups).
//! - **Sign-ins** ([`SignIns`]) are random 256-bit tokens, kept on the
//!   server with their expiry and a second random token against
//!   cross-site requests (CSRF); the cookie carries only the first. At most
//!   [`MAX_SIGN_INS`] at once, [`MAX_PER_USER`] per user (a new one ends
//!   that user's oldest).
//! - **Failed sign-ins are slowed down** ([`Throttle`]), per user and per
//!   address (IPv6 by its /64): after [`FREE_PER_USER`] failures in a row
//!   for a user (or [`FREE_PER_ADDRESS`] from an address) each further
//!   attempt must wait 1 s, then 2, 4, … up to [`MAX_WAIT`] after the last
//!   failure; an attempt made before is answered 429 without its password
//!   being checked. The counters are what decides, and the answer says
//!   them (`failures`, `retry_after`). The right password once the wait is
//!   over signs in and clears the user's counter. The addresses kept are
//!   at most [`MAX_ADDRESSES`] (the oldest go first); the users' are at
//!   most the config's users.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use barge::Identity;
use barge_sip::config::Config;

/// The most sign-ins at once.
pub const MAX_SIGN_INS: usize = 256;
/// The most sign-ins of one user at once.
pub const MAX_PER_USER: usize = 8;
/// Failures in a row for a user before it must wait.
pub const FREE_PER_USER: u32 = 3;
/// Failures in a row from an address before it must wait.
pub const FREE_PER_ADDRESS: u32 = 10;
/// The longest wait.
pub const MAX_WAIT: Duration = Duration::from_secs(300);
/// A counter is forgotten this long after its last failure.
pub const FORGET_AFTER: Duration = Duration::from_secs(3600);
/// The most addresses whose failures are counted.
pub const MAX_ADDRESSES: usize = 4096;

/// One user who may sign in.
#[derive(Debug, Clone)]
pub struct User {
    /// The supervisor's SIP user (what the sign-in form asks for).
    pub name: String,
    /// Who it is for barge: its key and groups.
    pub identity: Identity,
    hash: String,
}

/// The users of the config, and a hash to check unknown users against (so
/// that an unknown user takes as long as a known one).
pub struct Users {
    users: HashMap<String, User>,
    decoy: String,
}

/// Makes the PHC string of `password`: argon2id with the crate's default
/// parameters (19 MiB, 2 passes) and a random salt.
pub fn hash_password(password: &str) -> Result<String, String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| format!("no random salt: {e}"))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

impl Users {
    /// The supervisors of `config` with a password hash; a hash that is not
    /// a PHC string argon2 reads is an error naming the supervisor.
    pub fn new(config: &Config) -> Result<Users, String> {
        let mut users = HashMap::new();
        for (name, hash) in &config.password_hashes {
            let Some(identity) = config.supervisors.get(name) else {
                continue;
            };
            let parsed = PasswordHash::new(hash)
                .map_err(|e| format!("supervisor {name}: password_hash: {e}"))?;
            if parsed.algorithm.as_str() != "argon2id"
                && parsed.algorithm.as_str() != "argon2i"
                && parsed.algorithm.as_str() != "argon2d"
            {
                return Err(format!(
                    "supervisor {name}: password_hash: expected an argon2 hash, got {}",
                    parsed.algorithm
                ));
            }
            users.insert(
                name.clone(),
                User {
                    name: name.clone(),
                    identity: *identity,
                    hash: hash.clone(),
                },
            );
        }
        let decoy = hash_password("not a password anyone has")?;
        Ok(Users { users, decoy })
    }

    /// How many users may sign in.
    pub fn len(&self) -> usize {
        self.users.len()
    }

    /// Their names, sorted.
    #[cfg(test)]
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.users.keys().map(String::as_str).collect();
        names.sort_unstable();
        names
    }

    /// Whether `name` is a user.
    pub fn knows(&self, name: &str) -> bool {
        self.users.contains_key(name)
    }

    /// Checks `password` for `name`: the user if it is right. Takes as
    /// long for an unknown user as for a known one (argon2 runs either
    /// way). Blocking: run it off the async runtime.
    pub fn verify(&self, name: &str, password: &str) -> Option<User> {
        let (user, hash) = match self.users.get(name) {
            Some(u) => (Some(u), u.hash.as_str()),
            None => (None, self.decoy.as_str()),
        };
        let parsed = PasswordHash::new(hash).ok()?;
        let right = Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        user.filter(|_| right).cloned()
    }
}

/// What the throttle says of an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// Check the password.
    Open,
    /// Too soon after the last failure: wait this long. `failures` is the
    /// counter that says so.
    Wait {
        /// Seconds to wait (rounded up).
        retry_after: u64,
        /// The failures in a row that ask for it.
        failures: u32,
    },
}

/// One counter of failures in a row.
#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
    /// An attempt whose password is being checked.
    checking: bool,
}

impl Failures {
    /// How long after its last failure the next attempt must wait.
    fn wait(&self, free: u32) -> Duration {
        if self.count < free {
            return Duration::ZERO;
        }
        let doublings = (self.count - free).min(16);
        Duration::from_secs(1u64 << doublings).min(MAX_WAIT)
    }

    fn until(&self, free: u32) -> Instant {
        self.last + self.wait(free)
    }
}

/// The key of an address: IPv4 whole, IPv6 by its /64 (one host has a
/// whole /64 to pick addresses from).
fn address_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

/// Failed sign-ins, counted per user and per address (see the module).
#[derive(Default)]
pub struct Throttle {
    users: HashMap<String, Failures>,
    addresses: HashMap<IpAddr, Failures>,
}

impl Throttle {
    /// Whether an attempt for `user` from `ip` may be checked now. If it
    /// may, it is marked as being checked (one at a time per user, so that
    /// parallel guesses wait as sequential ones do) until
    /// [`Throttle::failed`] or [`Throttle::succeeded`]. `known`: whether
    /// `user` is a user (an unknown one is counted by address only).
    pub fn check(&mut self, user: &str, known: bool, ip: IpAddr, now: Instant) -> Gate {
        let ip = address_key(ip);
        let gate = |f: Option<&Failures>, free: u32| match f {
            Some(f) if f.checking => Some(Gate::Wait {
                retry_after: 1,
                failures: f.count,
            }),
            Some(f) if f.until(free) > now => Some(Gate::Wait {
                retry_after: (f.until(free) - now).as_secs_f64().ceil() as u64,
                failures: f.count,
            }),
            _ => None,
        };
        let user_gate = if known {
            gate(self.users.get(user), FREE_PER_USER)
        } else {
            None
        };
        let address_gate = gate(self.addresses.get(&ip), FREE_PER_ADDRESS);
        let waits = [user_gate, address_gate];
        if let Some(longest) = waits.into_iter().flatten().max_by_key(|g| match g {
            Gate::Wait { retry_after, .. } => *retry_after,
            Gate::Open => 0,
        }) {
            return longest;
        }
        if known {
            let f = self.users.entry(user.to_string()).or_insert(Failures {
                count: 0,
                last: now,
                checking: false,
            });
            f.checking = true;
        }
        Gate::Open
    }

    /// The attempt was wrong: both counters go up. Returns the larger
    /// counter and how long the next attempt must wait.
    pub fn failed(&mut self, user: &str, known: bool, ip: IpAddr, now: Instant) -> (u32, Duration) {
        self.forget(now);
        let ip = address_key(ip);
        let mut worst = (0, Duration::ZERO);
        if known {
            let f = self.users.entry(user.to_string()).or_insert(Failures {
                count: 0,
                last: now,
                checking: false,
            });
            f.count = f.count.saturating_add(1);
            f.last = now;
            f.checking = false;
            worst = (f.count, f.wait(FREE_PER_USER));
        }
        if !self.addresses.contains_key(&ip) && self.addresses.len() >= MAX_ADDRESSES {
            // Full: the address whose last failure is the oldest goes.
            if let Some(oldest) = self
                .addresses
                .iter()
                .min_by_key(|(_, f)| f.last)
                .map(|(k, _)| *k)
            {
                self.addresses.remove(&oldest);
            }
        }
        let f = self.addresses.entry(ip).or_insert(Failures {
            count: 0,
            last: now,
            checking: false,
        });
        f.count = f.count.saturating_add(1);
        f.last = now;
        let by_address = (f.count, f.wait(FREE_PER_ADDRESS));
        if by_address.1 > worst.1 || (by_address.1 == worst.1 && by_address.0 > worst.0) {
            worst = by_address;
        }
        worst
    }

    /// The attempt was right: the user's counter is cleared (the address's
    /// stays until it is forgotten: one right password does not clear the
    /// guesses at other users).
    pub fn succeeded(&mut self, user: &str) {
        self.users.remove(user);
    }

    /// The attempt for `user` was given up before its password was
    /// checked (the client went away): nothing is counted.
    pub fn release(&mut self, user: &str) {
        if let Some(f) = self.users.get_mut(user) {
            f.checking = false;
        }
    }

    /// Forgets the counters whose last failure is long past.
    fn forget(&mut self, now: Instant) {
        let keep = |f: &Failures| f.checking || now.duration_since(f.last) < FORGET_AFTER;
        self.users.retain(|_, f| keep(f));
        self.addresses.retain(|_, f| keep(f));
    }

    /// How many counters are kept (users, addresses).
    #[cfg(test)]
    pub fn kept(&self) -> (usize, usize) {
        (self.users.len(), self.addresses.len())
    }
}

/// One sign-in.
#[derive(Debug, Clone)]
pub struct SignIn {
    /// Who.
    pub user: User,
    /// Until when.
    pub expires: Instant,
    /// The media loop's number for this sign-in's supervisor (its seat on
    /// a call and its browser's WebRTC leg).
    pub sup: u64,
    /// The token every state-changing request must carry in its
    /// `X-CSRF-Token` header (the page reads it from `GET /me`).
    pub csrf: String,
}

/// The sign-ins, by token.
#[derive(Default)]
pub struct SignIns {
    by_token: HashMap<String, SignIn>,
    next_sup: u64,
}

/// A new random token: 32 bytes from the OS, in hex.
pub fn new_token() -> Result<String, String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| format!("no random token: {e}"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

impl SignIns {
    /// Signs `user` in until `expires`: its token and its sign-in. Returns
    /// too the supervisors of the sign-ins this one ended (expired ones,
    /// and the user's oldest beyond [`MAX_PER_USER`]), or an error when
    /// [`MAX_SIGN_INS`] are signed in and none has expired.
    pub fn add(
        &mut self,
        user: User,
        now: Instant,
        expires: Instant,
    ) -> Result<(String, SignIn, Vec<u64>), String> {
        let mut ended = self.expire(now);
        let theirs: Vec<(Instant, String)> = self
            .by_token
            .iter()
            .filter(|(_, s)| s.user.name == user.name)
            .map(|(t, s)| (s.expires, t.clone()))
            .collect();
        if theirs.len() >= MAX_PER_USER {
            if let Some((_, oldest)) = theirs.into_iter().min() {
                if let Some(s) = self.by_token.remove(&oldest) {
                    ended.push(s.sup);
                }
            }
        }
        if self.by_token.len() >= MAX_SIGN_INS {
            return Err(format!(
                "{MAX_SIGN_INS} supervisors are signed in: try again later"
            ));
        }
        let token = new_token()?;
        self.next_sup += 1;
        let sign_in = SignIn {
            user,
            expires,
            sup: self.next_sup,
            csrf: new_token()?,
        };
        self.by_token.insert(token.clone(), sign_in.clone());
        Ok((token, sign_in, ended))
    }

    /// The sign-in of `token`, if it is one and has not expired.
    pub fn get(&self, token: &str, now: Instant) -> Option<&SignIn> {
        self.by_token.get(token).filter(|s| s.expires > now)
    }

    /// Ends the sign-in of `token`.
    pub fn remove(&mut self, token: &str) -> Option<SignIn> {
        self.by_token.remove(token)
    }

    /// Ends every expired sign-in: their supervisors.
    pub fn expire(&mut self, now: Instant) -> Vec<u64> {
        let mut ended = Vec::new();
        self.by_token.retain(|_, s| {
            let alive = s.expires > now;
            if !alive {
                ended.push(s.sup);
            }
            alive
        });
        ended
    }

    /// How many are signed in.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.by_token.len()
    }
}

#[cfg(test)]
mod test {
    use super::*;

    const IP: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1));

    #[test]
    fn a_user_waits_after_three_failures_and_longer_after_each() {
        let mut t = Throttle::default();
        let now = Instant::now();
        for n in 1..=3 {
            assert_eq!(t.check("sam", true, IP, now), Gate::Open);
            let (count, wait) = t.failed("sam", true, IP, now);
            assert_eq!(count, n);
            assert_eq!(
                wait,
                if n < 3 {
                    Duration::ZERO
                } else {
                    Duration::from_secs(1)
                }
            );
        }
        assert_eq!(
            t.check("sam", true, IP, now),
            Gate::Wait {
                retry_after: 1,
                failures: 3
            }
        );
        // Once the wait is over the next attempt is checked; its failure
        // doubles the wait.
        let later = now + Duration::from_secs(1);
        assert_eq!(t.check("sam", true, IP, later), Gate::Open);
        assert_eq!(
            t.failed("sam", true, IP, later),
            (4, Duration::from_secs(2))
        );
        assert!(matches!(
            t.check("sam", true, IP, later + Duration::from_millis(1500)),
            Gate::Wait { failures: 4, .. }
        ));
        // Another user from another address is not slowed down.
        let other = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 2));
        assert_eq!(t.check("lee", true, other, later), Gate::Open);
        // The right password once the wait is over clears the counter.
        let after = later + Duration::from_secs(2);
        assert_eq!(t.check("sam", true, IP, after), Gate::Open);
        t.succeeded("sam");
        assert_eq!(t.check("sam", true, IP, after), Gate::Open);
    }

    #[test]
    fn one_check_at_a_time_per_user() {
        let mut t = Throttle::default();
        let now = Instant::now();
        assert_eq!(t.check("sam", true, IP, now), Gate::Open);
        assert!(matches!(t.check("sam", true, IP, now), Gate::Wait { .. }));
        t.failed("sam", true, IP, now);
        assert_eq!(t.check("sam", true, IP, now), Gate::Open);
    }

    #[test]
    fn an_address_guessing_many_users_waits_and_addresses_are_bounded() {
        let mut t = Throttle::default();
        let now = Instant::now();
        for n in 0..FREE_PER_ADDRESS {
            let user = format!("nobody{n}");
            assert_eq!(t.check(&user, false, IP, now), Gate::Open);
            t.failed(&user, false, IP, now);
        }
        assert!(matches!(
            t.check("sam", true, IP, now),
            Gate::Wait { failures: 10, .. }
        ));
        assert_eq!(t.kept().0, 0, "unknown users are not kept");
        // IPv6 addresses of one /64 are one.
        let v6 =
            |last: u16| IpAddr::V6(std::net::Ipv6Addr::new(0x2001, 0xdb8, 0, 1, 0, 0, 0, last));
        for n in 0..FREE_PER_ADDRESS {
            t.failed("x", false, v6(n as u16), now);
        }
        assert!(matches!(
            t.check("x", false, v6(999), now),
            Gate::Wait { .. }
        ));
        for n in 0..(MAX_ADDRESSES as u32 + 10) {
            let ip = IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0000 + n));
            t.failed("x", false, ip, now);
        }
        assert_eq!(t.kept().1, MAX_ADDRESSES);
    }

    #[test]
    fn passwords_hash_and_verify() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        let text = format!(
            "[[supervisor]]\nuser = \"sam\"\ngroups = [\"team-lead\"]\npassword_hash = \"{hash}\"\n"
        );
        let config = Config::parse(&text).unwrap();
        let users = Users::new(&config).unwrap();
        assert_eq!(users.verify("sam", "correct horse").unwrap().name, "sam");
        assert!(users.verify("sam", "wrong").is_none());
        assert!(users.verify("nobody", "correct horse").is_none());
    }

    #[test]
    fn the_sample_configs_passwords_are_its_readmes() {
        let config = Config::parse(include_str!("../../sip/pbx.toml")).unwrap();
        let users = Users::new(&config).unwrap();
        assert_eq!(users.names(), ["lee", "quinn", "sam"]);
        for name in users.names() {
            let user = users.verify(name, &format!("{name}-sample-password"));
            assert_eq!(user.map(|u| u.name), Some(name.to_string()));
        }
    }

    #[test]
    fn sign_ins_expire_and_are_bounded() {
        let config = Config::parse("[[supervisor]]\nuser = \"sam\"\n").unwrap();
        let user = User {
            name: "sam".into(),
            identity: config.supervisors["sam"],
            hash: String::new(),
        };
        let mut s = SignIns::default();
        let now = Instant::now();
        let (token, first, _) = s
            .add(user.clone(), now, now + Duration::from_secs(10))
            .unwrap();
        assert_eq!(s.get(&token, now).unwrap().sup, first.sup);
        assert_ne!(first.csrf, token);
        assert!(s.get(&token, now).is_some());
        assert!(s.get(&token, now + Duration::from_secs(10)).is_none());
        assert!(s.get("forged", now).is_none());
        for _ in 0..20 {
            s.add(user.clone(), now, now + Duration::from_secs(10))
                .unwrap();
        }
        assert_eq!(s.len(), MAX_PER_USER);
        s.expire(now + Duration::from_secs(11));
        assert_eq!(s.len(), 0);
    }
}
