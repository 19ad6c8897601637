//! What the SIP example's tests share: a network namespace of their own,
//! the PBX as a child process, real SIP phones (baresip and linphonec)
//! driven headlessly, a small SIP user agent written here, test voices and
//! measuring who heard whom.
//!
//! Every network test runs in a network namespace that only it uses
//! (`unshare --net --map-root-user`, `ip link set lo up`): the test
//! re-executes its own binary there, for that one test, and the copy does
//! the work; nothing but loopback exists in it. The copy is also the first
//! process of a PID namespace of its own (`--pid --fork --kill-child`), so
//! that when it ends, or the caller kills it after `NETNS_DEADLINE`, every
//! process it started ends with it. Where `unshare` or a phone
//! is missing the test says so on stderr and passes, unless `CI` is set:
//! then it fails. Every process a test starts is killed on every way out
//! (its `Processes` guard, and the namespace's end).

#![allow(dead_code)]

use std::collections::HashMap;
use std::f64::consts::PI;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub mod ua;

/// Set in the copy of the test that runs inside the namespace.
const INSIDE: &str = "BARGE_SIP_NETNS";

/// How long the copy of a test may run before it is killed.
const NETNS_DEADLINE: Duration = Duration::from_secs(600);

/// Finds `name` on the PATH.
pub fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// A missing tool: fails under CI, else says so and lets the test pass.
pub fn missing(test: &str, what: &str) {
    let message =
        format!("{what} (Debian: apt-get install baresip-core linphone-cli util-linux iproute2)");
    if std::env::var_os("CI").is_some() {
        panic!("{test}: {message}");
    }
    eprintln!("{test}: skipped: {message}");
}

/// Runs test `name` (this binary's) in a network namespace of its own.
/// Returns `true` in the copy that runs there, which does the work;
/// `false` in the caller, after the copy passed (it panics if it failed,
/// with the copy's output), or when the namespace cannot be made (said on
/// stderr; under `CI`, a failure).
pub fn in_own_netns(name: &str, needs: &[&str]) -> bool {
    if std::env::var_os(INSIDE).is_some() {
        return true;
    }
    for tool in ["unshare", "ip"].iter().chain(needs) {
        if which(tool).is_none() {
            missing(name, &format!("{tool} is not installed"));
            return false;
        }
    }
    let probe = Command::new("unshare")
        .args([
            "--net",
            "--map-root-user",
            "--pid",
            "--fork",
            "--mount-proc",
            "true",
        ])
        .stderr(Stdio::null())
        .status();
    if !probe.is_ok_and(|s| s.success()) {
        missing(
            name,
            "unshare --net --map-root-user --pid --mount-proc is not permitted here",
        );
        return false;
    }
    let exe = std::env::current_exe().expect("the test binary's path");
    let mut child = Command::new("unshare")
        .args([
            "--net",
            "--map-root-user",
            "--pid",
            "--fork",
            "--kill-child",
            "--mount-proc",
            "--",
            "sh",
            "-c",
        ])
        .arg("ip link set lo up && exec \"$0\" \"$@\"")
        .arg(exe)
        .args([
            name,
            "--exact",
            "--nocapture",
            "--test-threads=1",
            "--include-ignored",
        ])
        .env(INSIDE, "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the test in a network namespace");
    // Relay the copy's output as it comes (the figures it prints).
    let out = child.stdout.take().expect("piped");
    let err = child.stderr.take().expect("piped");
    let relay_out = std::thread::spawn(move || relay(out, false));
    let relay_err = std::thread::spawn(move || relay(err, true));
    let deadline = Instant::now() + NETNS_DEADLINE;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
            _ => {
                // unshare --kill-child takes the namespace's processes along.
                let _ = child.kill();
                break child.wait().expect("wait for the test's copy");
            }
        }
    };
    let out = relay_out.join().unwrap_or_default();
    let err = relay_err.join().unwrap_or_default();
    assert!(
        status.success() && out.contains("1 passed"),
        "{name} in its network namespace: {status}\n{out}\n{err}"
    );
    false
}

fn relay(from: impl Read, to_stderr: bool) -> String {
    let mut all = String::new();
    for line in BufReader::new(from).lines().map_while(Result::ok) {
        if to_stderr {
            eprintln!("{line}");
        } else {
            println!("{line}");
        }
        all.push_str(&line);
        all.push('\n');
    }
    all
}

/// The processes a test started; each one's process group is killed when
/// this is dropped.
#[derive(Default)]
pub struct Processes {
    children: Vec<(String, Child)>,
}

impl Processes {
    /// Starts `cmd` in a process group of its own.
    pub fn spawn(&mut self, name: &str, cmd: &mut Command) -> &mut Child {
        cmd.process_group(0);
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        self.children.push((name.to_string(), child));
        &mut self.children.last_mut().expect("just pushed").1
    }

    /// Waits up to `deadline` for `name` to exit by itself; kills it after.
    pub fn wait(&mut self, name: &str, deadline: Instant) -> Option<std::process::ExitStatus> {
        let (_, child) = self.children.iter_mut().find(|(n, _)| n == name)?;
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                return child.wait().ok();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The process id of `name`.
    pub fn pid(&self, name: &str) -> Option<u32> {
        self.children
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, c)| c.id())
    }

    /// Sends SIGTERM to `name`.
    pub fn terminate(&mut self, name: &str) {
        if let Some((_, child)) = self.children.iter_mut().find(|(n, _)| n == name) {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
        }
    }
}

impl Drop for Processes {
    fn drop(&mut self) {
        for (_, child) in self.children.iter_mut().rev() {
            if let Ok(None) = child.try_wait() {
                let _ = Command::new("kill")
                    .args(["-KILL", "--", &format!("-{}", child.id())])
                    .stderr(Stdio::null())
                    .status();
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }
}

/// Lines of a child's output, each with the moment it was read.
pub struct Lines {
    rx: mpsc::Receiver<(Instant, String)>,
    /// Every line so far.
    pub seen: Vec<(Instant, String)>,
}

impl Lines {
    /// Reads `from` on a thread of its own.
    pub fn new(from: impl Read + Send + 'static) -> Lines {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(from).lines().map_while(Result::ok) {
                if tx.send((Instant::now(), line)).is_err() {
                    break;
                }
            }
        });
        Lines {
            rx,
            seen: Vec::new(),
        }
    }

    /// Waits for a line with `text` (after those already waited for)
    /// until `deadline`; panics naming `what` if none comes.
    pub fn wait_for(&mut self, text: &str, deadline: Instant, what: &str) -> (Instant, String) {
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok((at, line)) => {
                    self.seen.push((at, line.clone()));
                    if line.contains(text) {
                        return (at, line);
                    }
                }
                Err(_) => panic!(
                    "{what}: no line with {text:?} in time; so far:\n{}",
                    self.all()
                ),
            }
        }
    }

    /// Reads what has come so far without waiting.
    pub fn drain(&mut self) {
        while let Ok(l) = self.rx.try_recv() {
            self.seen.push(l);
        }
    }

    /// Everything seen, one line each.
    pub fn all(&self) -> String {
        self.seen
            .iter()
            .map(|(_, l)| l.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// The PBX example, started with `config`, listening on `sip`.
pub struct Pbx {
    /// Its standard output.
    pub out: Lines,
    /// Where SIP listens.
    pub sip: SocketAddr,
}

impl Pbx {
    /// Starts the PBX with the config `text`, in `dir`.
    pub fn start(p: &mut Processes, dir: &Path, text: &str, sip: SocketAddr) -> Pbx {
        let config = dir.join("pbx.toml");
        std::fs::write(&config, text).expect("write the config");
        // Only barge-sip's tests start it (the console's run it in its own
        // process).
        let Some(exe) = option_env!("CARGO_BIN_EXE_barge-sip") else {
            panic!("the PBX's binary is barge-sip's, for its own tests");
        };
        let child = p.spawn(
            "barge-sip",
            Command::new(exe)
                .arg("--config")
                .arg(&config)
                .arg("--listen")
                .arg(sip.to_string())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit()),
        );
        let mut out = Lines::new(child.stdout.take().expect("piped"));
        out.wait_for(
            "listening on udp",
            Instant::now() + Duration::from_secs(20),
            "the PBX",
        );
        Pbx { out, sip }
    }
}

/// A test voice: a steady chord of two partials that no other voice uses,
/// each at `amplitude`.
#[derive(Debug, Clone, Copy)]
pub struct Voice {
    /// Its partials, Hz.
    pub partials: [f64; 2],
    /// Each partial's amplitude (i16 units).
    pub amplitude: f64,
}

/// The customer's, the agent's and the supervisor's voices. The
/// supervisor speaks loudest, so that a whisper's leak can be measured
/// 60 dB down.
pub const CUSTOMER: Voice = Voice {
    partials: [310.0, 1130.0],
    amplitude: 3000.0,
};
/// The agent's voice.
pub const AGENT: Voice = Voice {
    partials: [470.0, 1390.0],
    amplitude: 3000.0,
};
/// The supervisor's voice.
pub const SUPERVISOR: Voice = Voice {
    partials: [630.0, 1710.0],
    amplitude: 8000.0,
};

impl Voice {
    /// `seconds` of it at `rate`.
    pub fn samples(&self, rate: u32, seconds: f64) -> Vec<i16> {
        (0..(seconds * f64::from(rate)) as usize)
            .map(|i| {
                let t = i as f64 / f64::from(rate);
                let v: f64 = self
                    .partials
                    .iter()
                    .enumerate()
                    .map(|(k, f)| self.amplitude * (2.0 * PI * f * t + k as f64).sin())
                    .sum();
                v.round() as i16
            })
            .collect()
    }

    /// Its level in `x` (at `rate`), relative to its own: the mean of its
    /// partials' amplitudes (Hann-windowed single-bin DFTs) over
    /// `amplitude`. 1.0 is the voice as it was sent.
    pub fn level_in(&self, x: &[i16], rate: u32) -> f64 {
        self.partials
            .iter()
            .map(|&f| amplitude(x, f, rate))
            .sum::<f64>()
            / self.partials.len() as f64
            / self.amplitude
    }
}

/// The amplitude of `x` at `f` Hz: a Hann-windowed single-bin DFT.
pub fn amplitude(x: &[i16], f: f64, rate: u32) -> f64 {
    let n = x.len();
    if n == 0 {
        return 0.0;
    }
    let (mut re, mut im, mut wsum) = (0.0, 0.0, 0.0);
    for (i, &s) in x.iter().enumerate() {
        let w = 0.5 - 0.5 * (2.0 * PI * i as f64 / n as f64).cos();
        let ph = 2.0 * PI * f * i as f64 / f64::from(rate);
        re += w * f64::from(s) * ph.cos();
        im -= w * f64::from(s) * ph.sin();
        wsum += w;
    }
    2.0 * (re * re + im * im).sqrt() / wsum
}

/// `r` in dB.
pub fn db(r: f64) -> f64 {
    20.0 * r.max(1e-12).log10()
}

/// Writes a mono 16-bit WAV.
pub fn write_wav(path: &Path, rate: u32, samples: &[i16]) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).expect("create a WAV");
    for &s in samples {
        w.write_sample(s).expect("write a sample");
    }
    w.finalize().expect("finish the WAV");
}

/// Reads a mono 16-bit WAV (tolerating a header whose data length is
/// wrong, as linphonec writes it): its rate and samples.
pub fn read_wav(path: &Path) -> (u32, Vec<i16>) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(
        bytes.len() >= 44 && &bytes[..4] == b"RIFF",
        "{}: not a WAV",
        path.display()
    );
    // Walk the chunks to "fmt " and "data".
    let mut at = 12;
    let (mut rate, mut channels, mut data) = (0u32, 1u16, None);
    while at + 8 <= bytes.len() {
        let id = &bytes[at..at + 4];
        let len = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap()) as usize;
        if id == b"fmt " {
            channels = u16::from_le_bytes([bytes[at + 10], bytes[at + 11]]);
            rate = u32::from_le_bytes(bytes[at + 12..at + 16].try_into().unwrap());
        }
        if id == b"data" {
            let end = (at + 8 + len).min(bytes.len());
            data = Some(&bytes[at + 8..end]);
            break;
        }
        at += 8 + len + (len & 1);
    }
    let data = data.unwrap_or_else(|| panic!("{}: no data chunk", path.display()));
    let samples: Vec<i16> = data
        .chunks_exact(2 * usize::from(channels))
        .map(|c| i16::from_le_bytes([c[0], c[1]]))
        .collect();
    (rate, samples)
}

/// A baresip 1.0 phone: plays a WAV as its microphone, records what it
/// hears (module sndfile), answers automatically, and takes commands over
/// ctrl_tcp (netstring JSON).
pub struct Baresip {
    /// Its name in the test.
    pub name: String,
    dir: PathBuf,
    ctrl: TcpStream,
    buffer: Vec<u8>,
    token: u64,
    /// Events and responses seen, with when they came.
    pub seen: Vec<(Instant, serde_json::Value)>,
}

/// How a baresip phone is set up.
pub struct PhoneSetup<'a> {
    /// Its name (a directory of its own under the test's).
    pub name: &'a str,
    /// The SIP user of its account (its From).
    pub user: &'a str,
    /// Its SIP port (it also listens on port + 1).
    pub sip_port: u16,
    /// Its control port.
    pub ctrl_port: u16,
    /// Its codec: `PCMU/8000/1`, `PCMA/8000/1` or `G722/16000/1`.
    pub codec: &'a str,
    /// What it says.
    pub voice: Voice,
    /// How long its microphone's WAV lasts (the call closes at its end).
    pub seconds: f64,
}

impl Baresip {
    /// Starts a phone in `dir`/`name`.
    pub fn start(p: &mut Processes, dir: &Path, s: &PhoneSetup<'_>) -> Baresip {
        let home = dir.join(s.name);
        let rec = home.join("rec");
        let _ = std::fs::remove_dir_all(&home);
        std::fs::create_dir_all(&rec).expect("the phone's directory");
        let rate = if s.codec.starts_with("G722") {
            16000
        } else {
            8000
        };
        let mic = home.join("mic.wav");
        write_wav(&mic, rate, &s.voice.samples(rate, s.seconds));
        let config = format!(
            "sip_listen 127.0.0.1:{sip}\nnet_interface 127.0.0.1\naudio_source aufile,{mic}\n\
             ausrc_srate {rate}\nausrc_channels 1\nrtp_ports 20000-39999\n\
             module_path /usr/lib/baresip/modules\nmodule g711.so\nmodule g722.so\n\
             module aufile.so\nmodule sndfile.so\nmodule_app account.so\nmodule_app menu.so\n\
             module_app ctrl_tcp.so\nctrl_tcp_listen 127.0.0.1:{ctrl}\nsnd_path {rec}\n",
            sip = s.sip_port,
            mic = mic.display(),
            ctrl = s.ctrl_port,
            rec = rec.display(),
        );
        std::fs::write(home.join("config"), config).expect("the phone's config");
        std::fs::write(
            home.join("accounts"),
            format!(
                "<sip:{}@127.0.0.1:{}>;regint=0;answermode=auto;audio_codecs={}\n",
                s.user, s.sip_port, s.codec
            ),
        )
        .expect("the phone's account");
        let log = std::fs::File::create(home.join("log")).expect("the phone's log");
        p.spawn(
            s.name,
            Command::new("baresip")
                .arg("-f")
                .arg(&home)
                .stdin(Stdio::null())
                .stdout(log.try_clone().expect("log"))
                .stderr(log),
        );
        let addr: SocketAddr = ([127, 0, 0, 1], s.ctrl_port).into();
        let deadline = Instant::now() + Duration::from_secs(15);
        let ctrl = loop {
            match TcpStream::connect(addr) {
                Ok(c) => break c,
                Err(e) => {
                    assert!(
                        Instant::now() < deadline,
                        "{}: its control port: {e}",
                        s.name
                    );
                    std::thread::sleep(Duration::from_millis(50));
                }
            }
        };
        ctrl.set_read_timeout(Some(Duration::from_millis(100)))
            .expect("a read timeout");
        Baresip {
            name: s.name.to_string(),
            dir: home,
            ctrl,
            buffer: Vec::new(),
            token: 0,
            seen: Vec::new(),
        }
    }

    /// Sends a command (`dial`, `sndcode`, `hangup`, `quit`).
    pub fn command(&mut self, command: &str, params: &str) -> Instant {
        self.token += 1;
        let json = serde_json::json!({
            "command": command, "params": params, "token": self.token.to_string()
        })
        .to_string();
        let message = format!("{}:{json},", json.len());
        let at = Instant::now();
        self.ctrl
            .write_all(message.as_bytes())
            .unwrap_or_else(|e| panic!("{}: {command}: {e}", self.name));
        at
    }

    /// Reads what came on the control connection.
    fn read(&mut self) {
        let mut buf = [0u8; 4096];
        match self.ctrl.read(&mut buf) {
            Ok(0) | Err(_) => {}
            Ok(n) => self.buffer.extend_from_slice(&buf[..n]),
        }
        // Netstrings: LEN:DATA,
        while let Some(colon) = self.buffer.iter().position(|&b| b == b':') {
            let Some(len) = std::str::from_utf8(&self.buffer[..colon])
                .ok()
                .and_then(|l| l.parse::<usize>().ok())
            else {
                self.buffer.clear();
                break;
            };
            if self.buffer.len() < colon + 1 + len + 1 {
                break;
            }
            let data = self.buffer[colon + 1..colon + 1 + len].to_vec();
            self.buffer.drain(..colon + 1 + len + 1);
            if let Ok(v) = serde_json::from_slice(&data) {
                self.seen.push((Instant::now(), v));
            }
        }
    }

    /// Waits until `deadline` for an event of `kind` not waited for
    /// before; returns when it came and the event.
    pub fn wait_event(&mut self, kind: &str, deadline: Instant) -> (Instant, serde_json::Value) {
        let mut from = 0;
        loop {
            if let Some(i) = self.seen[from..]
                .iter()
                .position(|(_, v)| v["type"] == kind && v["waited"].is_null())
            {
                let i = from + i;
                self.seen[i].1["waited"] = true.into();
                return self.seen[i].clone();
            }
            from = self.seen.len();
            assert!(
                Instant::now() < deadline,
                "{}: no {kind} in time; seen: {:?}",
                self.name,
                self.seen
                    .iter()
                    .map(|(_, v)| v.to_string())
                    .collect::<Vec<_>>()
            );
            self.read();
        }
    }

    /// The recording of what it heard (after its call ended): rate and
    /// samples.
    pub fn heard(&self) -> (u32, Vec<i16>) {
        let rec = self.dir.join("rec");
        let mut files: Vec<PathBuf> = std::fs::read_dir(&rec)
            .expect("the recordings")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.to_string_lossy().ends_with("-dec.wav"))
            .collect();
        files.sort();
        let file = files
            .first()
            .unwrap_or_else(|| panic!("{}: no recording in {}", self.name, rec.display()));
        read_wav(file)
    }
}

/// A loopback UDP port that is free now.
pub fn free_udp_port() -> u16 {
    let s = UdpSocket::bind("127.0.0.1:0").expect("bind");
    s.local_addr().expect("addr").port()
}

/// Parses `key: value` lines of a SIP message's headers into a map
/// (lower-case names; the first of each).
pub fn headers(message: &str) -> HashMap<String, String> {
    let mut map = HashMap::new();
    for line in message.split("\r\n").skip(1) {
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            map.entry(k.trim().to_ascii_lowercase())
                .or_insert_with(|| v.trim().to_string());
        }
    }
    map
}

/// Left out of each phase's measurement after it starts (the switch, the
/// jitter buffers, the recordings' alignment) and before it ends, in
/// seconds.
pub const SETTLE: f64 = 1.0;
pub const BEFORE_END: f64 = 0.5;

/// A phone's recording and when it started.
pub struct Recording {
    pub rate: u32,
    pub samples: Vec<i16>,
    pub start: Instant,
}

impl Recording {
    /// What `phone` heard, recorded from `start` (its call's answer).
    pub fn of(phone: &Baresip, start: Instant) -> Recording {
        let (rate, samples) = phone.heard();
        Recording {
            rate,
            samples,
            start,
        }
    }

    /// The samples between `from` and `to` (instants), shortened by
    /// [`SETTLE`] and [`BEFORE_END`].
    pub fn window(&self, from: Instant, to: Instant) -> &[i16] {
        let at = |t: Instant, margin: f64| {
            let s = t.saturating_duration_since(self.start).as_secs_f64() + margin;
            ((s.max(0.0) * f64::from(self.rate)) as usize).min(self.samples.len())
        };
        let (a, b) = (at(from, SETTLE), at(to, -BEFORE_END));
        &self.samples[a..b.max(a)]
    }
}
