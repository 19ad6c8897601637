//! Shared harness for the integration tests: deterministic frames and a
//! tiny call builder.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use barge::{Format, Join, Mode, PartyId, Role, Session};

/// A deterministic pseudo-random generator (xorshift64*), so tests need no
/// extra crates and reproduce exactly.
#[derive(Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    pub fn i16(&mut self) -> i16 {
        self.next() as i16
    }
    pub fn chance(&mut self, per_cent: u64) -> bool {
        self.below(100) < per_cent
    }
}

/// A frame of `n` samples of a constant value.
pub fn dc(n: usize, v: i16) -> Vec<i16> {
    vec![v; n]
}

/// A frame of `n` random full-scale samples.
pub fn noise(rng: &mut Rng, n: usize) -> Vec<i16> {
    (0..n).map(|_| rng.i16()).collect()
}

/// An 8 kHz / 20 ms call of customer, agent and one supervisor in `mode`,
/// with ramps off unless a test turns them on.
pub struct Call {
    pub s: Session<i16>,
    pub customer: PartyId,
    pub agent: PartyId,
    pub supervisor: PartyId,
}

impl Call {
    pub fn new(mode: Mode) -> Call {
        let mut s = Session::new(Format::NARROWBAND_20MS);
        s.set_ramp(Duration::ZERO).unwrap();
        let customer = s.join(Role::Customer).unwrap();
        let agent = s.join(Role::Agent).unwrap();
        let supervisor = s.join(Join::supervisor(mode)).unwrap();
        Call {
            s,
            customer,
            agent,
            supervisor,
        }
    }

    /// One tick in which the customer says `c`, the agent `a` and the
    /// supervisor `v` (constant frames); returns what (customer, agent,
    /// supervisor) heard at the first sample.
    pub fn tick(&mut self, c: i16, a: i16, v: i16) -> (i16, i16, i16) {
        let n = self.s.format().samples_per_frame();
        self.s.put_frame(self.customer, &dc(n, c)).unwrap();
        self.s.put_frame(self.agent, &dc(n, a)).unwrap();
        self.s.put_frame(self.supervisor, &dc(n, v)).unwrap();
        self.s.mix();
        (
            self.s.output(self.customer).unwrap()[0],
            self.s.output(self.agent).unwrap()[0],
            self.s.output(self.supervisor).unwrap()[0],
        )
    }
}

/// The path of the example program `name`, built first in this test's
/// profile (a no-op when it is up to date), so that a test never runs a
/// stale build.
pub fn example_binary(name: &str) -> PathBuf {
    let mut build = Command::new(env!("CARGO"));
    build
        .args([
            "build",
            "--quiet",
            "-p",
            "barge-examples",
            "--example",
            name,
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    if cfg!(debug_assertions) {
        build.args(["--profile", "test"]);
    } else {
        build.arg("--release");
    }
    let status = build.status().expect("run cargo build");
    assert!(status.success(), "cargo build --example {name} failed");
    // target/<profile>/deps/<test> -> target/<profile>/examples/<name>
    let exe = std::env::current_exe().expect("the test's path");
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("the target directory");
    dir.join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
}
