//! A real three-party RTP call: `examples/rtp_call.rs` against ffmpeg.
//!
//! Three ffmpeg processes send three different voices as PCMU over RTP to
//! the example's three legs; three more record, over RTP, what the example
//! sends each party. Then the recordings are checked phase by phase of the
//! supervisor's schedule (monitor, whisper, barge, monitor): each voice a
//! party must hear is there at its full level, and each voice it must not
//! hear (including its own) is not there at all.
//!
//! Each voice is a chord of three partials that no other voice uses, with
//! a syllable-rate envelope; a voice's level in a recording is measured by
//! correlating the recording with the voice's partials (a Hann-windowed
//! single-bin DFT each), relative to the same measure on the voice as it
//! was sent.
//!
//! A second test checks `barge::g711` against ffmpeg's own μ-law and A-law
//! codecs: every code decodes alike, and the encoders differ only by one
//! level next to a decision value.
//!
//! More tests run the call against phones written here (no ffmpeg): a
//! stranger sending from another port is never heard; junk and another
//! SSRC from the customer's own address do not silence the customer; a
//! flood (from a stranger's port and from the customer's own address) is
//! read at most 64 datagrams a tick and skips no tick; and a sender's
//! stall (0.3 s, then 0.4 s, each followed by a catch-up burst) leaves no
//! lasting delay, measured by cross-correlating what the agent heard with
//! the customer's voice. Each lasts 3 to 4 s. The stall is also run with
//! GStreamer as the customer's sender, its process stopped for 0.3 s and
//! 0.4 s.
//!
//! The supervisor's keypad is tested against GStreamer as the supervisor's
//! phone, driven from Python: its keys as RFC 4733 events (`rtpdtmfsrc`,
//! with the voice still flowing) switch the mode at the digit (the agent
//! hears nothing of the supervisor before 5, whisper, nor while the key is
//! held; the customer nothing before 6, barge); as tones mixed into its
//! voice (`dtmfsrc`) they switch it too, and of each 250 ms tone at most
//! 60 ms reaches the customer or the agent.
//!
//! The ffmpeg tests need ffmpeg, the GStreamer one `gst-launch-1.0` with
//! the good plugins, the keypad ones python3 with GStreamer's bindings
//! (`python3-gst-1.0`). Where the tool is not installed they say so on stderr
//! and skip, so that `cargo test` passes on a newcomer's machine; under CI
//! (`CI` set, as `.ci/run` runs, which installs both) or with
//! `BARGE_REQUIRE_FFMPEG=1` (`BARGE_REQUIRE_GSTREAMER=1`) a missing tool
//! fails them instead. The ffmpeg call lasts 10 s; every child process is
//! killed if the test fails or runs out of time.

use std::f64::consts::PI;
use std::io::{BufRead, BufReader};
use std::net::UdpSocket;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use wait_timeout::ChildExt;

#[path = "common/mod.rs"]
mod harness;

const RATE: u32 = 8000;
const PTIME_MS: u32 = 20;
const DURATION_S: f64 = 10.0;
const JITTER_MS: u32 = 100;
/// The supervisor's schedule: (start in s, mode).
const SCHEDULE: [(f64, &str); 4] = [
    (0.0, "monitor"),
    (2.5, "whisper"),
    (5.0, "barge"),
    (7.5, "monitor"),
];
const PARTIES: [&str; 3] = ["customer", "agent", "supervisor"];
/// Each voice's partials, in Hz: no two voices share one, and none is
/// near another's.
const PARTIALS: [[f64; 3]; 3] = [
    [310.0, 1130.0, 2270.0],
    [470.0, 1390.0, 2630.0],
    [630.0, 1710.0, 2990.0],
];
/// Each voice's syllable rate, in Hz.
const SYLLABLES: [f64; 3] = [3.1, 4.3, 5.7];
/// Seconds left out of each phase's measurement after it starts (mode
/// ramps, the recording's alignment) and before it ends.
const SETTLE_S: f64 = 0.5;
const BEFORE_END_S: f64 = 0.3;
/// A voice a party must hear is at least this level (relative to the voice
/// as sent); one it must not hear is below `ABSENT`.
const HEARD: f64 = 0.5;
const ABSENT: f64 = 0.03;

/// Who hears whom: `hears(mode, listener, talker)`, from the crate's table.
fn hears(mode: &str, listener: usize, talker: usize) -> bool {
    match (listener, talker) {
        (l, t) if l == t => false,
        (0, 1) | (1, 0) | (2, 0) | (2, 1) => true,
        (0, 2) => mode == "barge",
        (1, 2) => mode == "whisper" || mode == "barge",
        _ => unreachable!(),
    }
}

/// Sample `i` of voice `v`, in i16.
fn voice_sample(v: usize, i: usize) -> i16 {
    let t = i as f64 / f64::from(RATE);
    let envelope = 0.55 + 0.45 * (2.0 * PI * SYLLABLES[v] * t).sin();
    let chord: f64 = PARTIALS[v]
        .iter()
        .enumerate()
        .map(|(k, f)| (2.0 * PI * f * t + k as f64).sin())
        .sum();
    (chord * envelope * 0.13 * 32767.0).round() as i16
}

fn voice(v: usize, seconds: f64) -> Vec<i16> {
    (0..(seconds * f64::from(RATE)) as usize)
        .map(|i| voice_sample(v, i))
        .collect()
}

/// The amplitude of `x` at `f` Hz: a Hann-windowed single-bin DFT.
fn amplitude(x: &[i16], f: f64) -> f64 {
    let n = x.len() as f64;
    let (mut re, mut im, mut wsum) = (0.0, 0.0, 0.0);
    for (i, &s) in x.iter().enumerate() {
        let w = 0.5 - 0.5 * (2.0 * PI * i as f64 / n).cos();
        let ph = 2.0 * PI * f * i as f64 / f64::from(RATE);
        re += w * f64::from(s) * ph.cos();
        im += w * f64::from(s) * ph.sin();
        wsum += w;
    }
    2.0 * (re * re + im * im).sqrt() / wsum
}

/// The level of voice `v` in `x`: the root mean square of its partials'
/// amplitudes.
fn level(x: &[i16], v: usize) -> f64 {
    let sq: f64 = PARTIALS[v].iter().map(|&f| amplitude(x, f).powi(2)).sum();
    (sq / 3.0).sqrt()
}

fn db(r: f64) -> f64 {
    20.0 * r.max(1e-9).log10()
}

/// The tick in a line "… first packet at tick N; media from ADDR only".
fn first_packet_tick(line: &str) -> usize {
    let (_, rest) = line.split_once("first packet at tick ").expect(line);
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().expect(line)
}

/// Kills every child still running when dropped, so that a failing test
/// leaves nothing behind.
#[derive(Default)]
struct Children(Vec<(String, Child)>);

impl Children {
    fn spawn(&mut self, name: &str, cmd: &mut Command) -> usize {
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        self.0.push((name.to_string(), child));
        self.0.len() - 1
    }

    /// Waits for child `i` until `deadline`; kills it and fails after.
    fn wait(&mut self, i: usize, deadline: Instant) -> std::process::ExitStatus {
        let (name, child) = &mut self.0[i];
        let left = deadline.saturating_duration_since(Instant::now());
        match child.wait_timeout(left).expect("wait for a child") {
            Some(status) => status,
            None => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("{name} did not finish in time");
            }
        }
    }
}

impl Drop for Children {
    fn drop(&mut self) {
        for (_, child) in &mut self.0 {
            if let Ok(None) = child.try_wait() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }
}

/// A loopback UDP port that is free now, with the next port free too (for
/// a receiver's RTCP).
fn free_port_pair() -> u16 {
    loop {
        let a = UdpSocket::bind("127.0.0.1:0").expect("bind a loopback port");
        let port = a.local_addr().unwrap().port();
        if port < u16::MAX && UdpSocket::bind(("127.0.0.1", port + 1)).is_ok() {
            return port;
        }
    }
}

fn ffmpeg_available() -> bool {
    Command::new("ffmpeg")
        .arg("-version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Whether ffmpeg is here to run against. Without it the test is skipped
/// with a note on stderr, except under CI or `BARGE_REQUIRE_FFMPEG=1`, where
/// it fails.
fn ffmpeg_or_skip() -> bool {
    if ffmpeg_available() {
        return true;
    }
    let required = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false")
        || std::env::var_os("BARGE_REQUIRE_FFMPEG").is_some_and(|v| v == "1");
    assert!(
        !required,
        "ffmpeg not found: this test runs a real RTP call against it; install it \
         (apt-get install ffmpeg)"
    );
    eprintln!("SKIPPED: ffmpeg not found; install it (apt-get install ffmpeg) to run this test");
    false
}

fn write_wav(path: &Path, samples: &[i16]) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: RATE,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).expect("create wav");
    for &s in samples {
        w.write_sample(s).expect("write wav");
    }
    w.finalize().expect("finish wav");
}

fn sdp(port: u16) -> String {
    format!(
        "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=barge leg\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
         m=audio {port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=ptime:{PTIME_MS}\r\n"
    )
}

#[test]
fn three_ffmpeg_endpoints_hear_whom_each_mode_says() {
    if !ffmpeg_or_skip() {
        return;
    }
    let exe = harness::example_binary("rtp_call");
    let dir =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("rtp_call-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();

    // Voices long enough to outlast the call, however late they start.
    let voices: Vec<Vec<i16>> = (0..3).map(|v| voice(v, DURATION_S + 30.0)).collect();
    let mut reference = [0.0; 3];
    for v in 0..3 {
        write_wav(&dir.join(format!("{}.wav", PARTIES[v])), &voices[v]);
        reference[v] = level(&voices[v][8000..20000], v);
    }

    // The call's ports are held here until each talker is heard on its
    // own, so that the voices flow from the call's first tick however
    // long ffmpeg takes to start.
    let probes: Vec<UdpSocket> = (0..3)
        .map(|_| UdpSocket::bind("127.0.0.1:0").expect("bind a loopback port"))
        .collect();
    let local: Vec<u16> = probes
        .iter()
        .map(|s| s.local_addr().unwrap().port())
        .collect();
    let remote: Vec<u16> = (0..3).map(|_| free_port_pair()).collect();
    let mut children = Children::default();
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(DURATION_S + 40.0);

    // Recorders first: each stops on its own 2 s after its last packet.
    let mut recorders = Vec::new();
    for p in 0..3 {
        let sdp_path = dir.join(format!("{}.sdp", PARTIES[p]));
        std::fs::write(&sdp_path, sdp(remote[p])).unwrap();
        let log = std::fs::File::create(dir.join(format!("{}-recorder.log", PARTIES[p]))).unwrap();
        recorders.push(
            children.spawn(
                "ffmpeg recorder",
                Command::new("ffmpeg")
                    .args(["-hide_banner", "-nostdin", "-loglevel", "error"])
                    .args([
                        "-protocol_whitelist",
                        "file,udp,rtp",
                        "-listen_timeout",
                        "2",
                    ])
                    .arg("-i")
                    .arg(&sdp_path)
                    .args([
                        "-f",
                        "s16le",
                        "-acodec",
                        "pcm_s16le",
                        "-flush_packets",
                        "1",
                        "-y",
                    ])
                    .arg(dir.join(format!("{}-heard.raw", PARTIES[p])))
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(log),
            ),
        );
    }

    // The three talkers, paced in real time by ffmpeg, 160 samples
    // (20 ms) to a packet.
    let mut senders = Vec::new();
    for p in 0..3 {
        senders.push(
            children.spawn(
                "ffmpeg sender",
                Command::new("ffmpeg")
                    .args([
                        "-hide_banner",
                        "-nostdin",
                        "-loglevel",
                        "error",
                        "-re",
                        "-i",
                    ])
                    .arg(dir.join(format!("{}.wav", PARTIES[p])))
                    .args(["-af", "asetnsamples=n=160", "-ar", "8000", "-ac", "1"])
                    .args(["-c:a", "pcm_mulaw", "-f", "rtp"])
                    .arg(format!("rtp://127.0.0.1:{}", local[p]))
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null()),
            ),
        );
    }

    let mut first = [0u8; 2048];
    for (p, probe) in probes.iter().enumerate() {
        probe
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        if let Err(e) = probe.recv(&mut first) {
            panic!("the {} talker sent nothing: {e}", PARTIES[p]);
        }
    }
    drop(probes);

    let schedule = SCHEDULE
        .iter()
        .map(|(t, m)| format!("{t}:{m}"))
        .collect::<Vec<_>>()
        .join(",");
    let mut cmd = Command::new(&exe);
    for p in 0..3 {
        cmd.arg(format!("--{}", PARTIES[p]))
            .arg(format!("127.0.0.1:{}=127.0.0.1:{}", local[p], remote[p]));
    }
    cmd.args(["--schedule", &schedule])
        .args(["--duration", &DURATION_S.to_string()])
        .args(["--codec", "pcmu", "--ptime", &PTIME_MS.to_string()])
        .args(["--jitter", &JITTER_MS.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let call = children.spawn("rtp_call", &mut cmd);
    let stdout = children.0[call].1.stdout.take().unwrap();
    let (tx, lines) = mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let ready = lines
        .recv_timeout(Duration::from_secs(20))
        .expect("rtp_call printed no ready line");
    assert!(ready.starts_with("ready:"), "first line: {ready}");

    let status = children.wait(call, deadline);
    reader.join().unwrap();
    let mut out: Vec<String> = vec![ready];
    out.extend(lines.try_iter());
    let mut err = String::new();
    std::io::Read::read_to_string(children.0[call].1.stderr.as_mut().unwrap(), &mut err).unwrap();
    for line in &out {
        println!("rtp_call | {line}");
    }
    assert!(status.success(), "rtp_call failed ({status}): {err}");
    assert!(err.is_empty(), "rtp_call wrote to stderr: {err}");
    for s in senders {
        let _ = children.0[s].1.kill();
    }
    for &r in &recorders {
        children.wait(r, deadline);
    }

    // Mode changes as the schedule says, at the ticks it says.
    for (t, mode) in SCHEDULE.iter().skip(1) {
        let tick = (t * 1000.0 / f64::from(PTIME_MS)).round() as u64;
        assert!(
            out.iter()
                .any(|l| l.contains(&format!("-> {mode} (tick {tick})"))),
            "no change to {mode} at tick {tick}"
        );
    }
    // Every leg got the talker's packets, in order, and sent one packet a
    // tick.
    let ticks = (DURATION_S * 1000.0 / f64::from(PTIME_MS)).round() as usize;
    let mut first_packet = [0usize; 3];
    for p in 0..3 {
        let line = out
            .iter()
            .find(|l| l.contains(&format!("{}: first packet at tick", PARTIES[p])))
            .unwrap_or_else(|| panic!("{} never received a packet", PARTIES[p]));
        first_packet[p] = first_packet_tick(line);
        let stats = out
            .iter()
            .find(|l| l.starts_with(PARTIES[p]) && !l.contains(':'))
            .unwrap_or_else(|| panic!("no statistics for {}", PARTIES[p]));
        let n: Vec<u64> = stats
            .split_whitespace()
            .skip(1)
            .map(|x| x.parse().unwrap())
            .collect();
        let (packets, played, sent) = (n[0], n[7], n[9]);
        let expected = (ticks - first_packet[p]) as u64;
        assert_eq!(sent, ticks as u64, "{}: one packet a tick", PARTIES[p]);
        assert!(
            packets * 10 >= expected * 9 && played * 10 >= expected * 9,
            "{}: {packets} packets, {played} frames played, of about {expected}",
            PARTIES[p]
        );
    }

    // The recordings, aligned on their end: the recorder hears every packet
    // up to the last, but may miss the first ones while it starts.
    let spf = (RATE * PTIME_MS / 1000) as usize;
    let total = ticks * spf;
    let mut heard = Vec::new();
    for party in PARTIES {
        let bytes = std::fs::read(dir.join(format!("{party}-heard.raw"))).unwrap_or_else(|e| {
            let log = std::fs::read_to_string(dir.join(format!("{party}-recorder.log")));
            panic!("no recording of what the {party} heard ({e}); ffmpeg said: {log:?}")
        });
        let x: Vec<i16> = bytes
            .chunks_exact(2)
            .map(|b| i16::from_le_bytes([b[0], b[1]]))
            .collect();
        assert!(
            x.len() * 10 >= total * 8 && x.len() <= total,
            "{} recorded {} samples of {total}",
            party,
            x.len()
        );
        println!(
            "{} recording: {} of {total} samples (the first {} ms missed while ffmpeg started)",
            party,
            x.len(),
            (total - x.len()) * 1000 / RATE as usize
        );
        heard.push(x);
    }

    // Voices play from the first packet of the last talker plus the jitter
    // buffer.
    let voices_from = (*first_packet.iter().max().unwrap() as f64 * f64::from(PTIME_MS)
        + f64::from(JITTER_MS))
        / 1000.0;
    let mut failures = Vec::new();
    println!("level of each voice in what each party heard, dB relative to the voice as sent:");
    println!(
        "{:<22}{:<12}{:>10}{:>10}{:>12}",
        "phase", "hears", "customer", "agent", "supervisor"
    );
    for (i, &(start, mode)) in SCHEDULE.iter().enumerate() {
        let end = SCHEDULE.get(i + 1).map_or(DURATION_S, |s| s.0);
        let from = (start + SETTLE_S).max(voices_from + SETTLE_S);
        let to = end - BEFORE_END_S;
        assert!(
            to - from >= 0.5,
            "phase {mode} at {start} s: window too short ({from}..{to} s)"
        );
        for l in 0..3 {
            let offset = total - heard[l].len();
            let a = (from * f64::from(RATE)) as usize - offset;
            let b = (to * f64::from(RATE)) as usize - offset;
            let window = &heard[l][a..b];
            let mut row = format!(
                "{:<22}{:<12}",
                format!("{start}-{end} s {mode}"),
                PARTIES[l]
            );
            for t in 0..3 {
                let r = level(window, t) / reference[t];
                let must = hears(mode, l, t);
                row += &format!("{:>9.1}{}", db(r), if must { '*' } else { ' ' });
                if must && r < HEARD {
                    failures.push(format!(
                        "{mode} at {start} s: {} hears {} at {:.1} dB, expected about 0 dB",
                        PARTIES[l],
                        PARTIES[t],
                        db(r)
                    ));
                }
                if !must && r > ABSENT {
                    failures.push(format!(
                        "{mode} at {start} s: {} hears {} at {:.1} dB, expected nothing (below {:.1} dB)",
                        PARTIES[l],
                        PARTIES[t],
                        db(r),
                        db(ABSENT)
                    ));
                }
            }
            println!("{row}");
        }
    }
    println!("(* = must hear)");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs ffmpeg to convert `input` (raw, format `from`) to raw format `to`.
fn ffmpeg_convert(dir: &Path, name: &str, input: &[u8], from: &str, to: &str) -> Vec<u8> {
    let (src, dst) = (
        dir.join(format!("{name}.in")),
        dir.join(format!("{name}.out")),
    );
    std::fs::write(&src, input).unwrap();
    let status = Command::new("ffmpeg")
        .args(["-hide_banner", "-nostdin", "-loglevel", "error", "-y"])
        .args(["-f", from, "-ar", "8000", "-ac", "1", "-i"])
        .arg(&src)
        .args(["-f", to])
        .arg(&dst)
        .stdin(Stdio::null())
        .status()
        .expect("run ffmpeg");
    assert!(status.success(), "ffmpeg {from} -> {to} failed");
    std::fs::read(&dst).unwrap()
}

#[test]
fn g711_agrees_with_ffmpegs_codecs() {
    use barge::g711::Law;
    if !ffmpeg_or_skip() {
        return;
    }
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("g711-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let codes: Vec<u8> = (0..=255).collect();
    let pcm: Vec<u8> = (i16::MIN..=i16::MAX).flat_map(i16::to_le_bytes).collect();
    for (law, name) in [(Law::Ulaw, "mulaw"), (Law::Alaw, "alaw")] {
        let decoded = ffmpeg_convert(&dir, name, &codes, name, "s16le");
        for (c, b) in codes.iter().zip(decoded.chunks_exact(2)) {
            assert_eq!(
                law.decode_sample(*c),
                i16::from_le_bytes([b[0], b[1]]),
                "{law} code {c:#04x}"
            );
        }
        let encoded = ffmpeg_convert(&dir, name, &pcm, "s16le", name);
        // ffmpeg's encoder is a table indexed by the sample divided by 4
        // rounded toward -inf, switching levels halfway between output
        // values. G.711 is defined by its decision values instead, which
        // are not halfway where one segment meets the next, and it treats
        // a negative sample's magnitude as a positive one's. So the two
        // may pick neighbouring levels near a decision value, and nothing
        // else.
        let (mut positive, mut negative) = (0, 0);
        for (x, &c) in (i16::MIN..=i16::MAX).zip(&encoded) {
            let ours = law.encode_sample(x);
            if ours == c {
                continue;
            }
            let (a, b) = (law.decode_sample(ours), law.decode_sample(c));
            let between = (0..=255u8)
                .map(|k| law.decode_sample(k))
                .filter(|&y| y > a.min(b) && y < a.max(b))
                .count();
            assert_eq!(
                between, 0,
                "{law}: {x} -> {ours:#04x} ({a}), ffmpeg {c:#04x} ({b})"
            );
            if x < 0 {
                negative += 1;
            } else {
                positive += 1;
            }
        }
        assert!(
            positive + negative < 65536 / 50,
            "{law}: {positive} + {negative} differ"
        );
        println!(
            "{law}: all 256 codes decode as ffmpeg does; {positive} positive and {negative} \
             negative of 65536 samples encode to the neighbouring level"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

// ---------------------------------------------------------------------------
// The call against phones written here, on loopback: strangers, junk,
// floods and a sender's stall. Each phone sends its voice, paced by the
// clock like any RTP peer, from the socket it records what it hears on.
// Every voice is deterministic noise, so that a voice is found in what a
// party heard by its exact samples (the call relays a μ-law leg it does not
// mix with another bit for bit) and its delay by cross-correlation.
// ---------------------------------------------------------------------------

use barge::g711::Law;
use rtp_rs::{RtpPacketBuilder, RtpReader, Seq};
use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Samples per packet (20 ms at 8 kHz).
const SPF: usize = 160;
/// What `rtp_call --help` says it reads from a socket per tick at most.
const READ_BOUND: u64 = 64;
/// Voices: the customer's, the agent's, the supervisor's, a stranger's.
const STRANGER: usize = 3;

/// Voice `v`, `frames` packets long, as μ-law codes that survive a decode
/// and encode unchanged (the call decodes and encodes every leg).
fn noise_voice(v: usize, frames: usize) -> Vec<u8> {
    let mut rng = harness::Rng::new(1000 + v as u64);
    (0..frames * SPF)
        .map(|_| {
            let code = Law::Ulaw.encode_sample(rng.i16() / 6);
            Law::Ulaw.encode_sample(Law::Ulaw.decode_sample(code))
        })
        .collect()
}

fn decode(codes: &[u8]) -> Vec<i16> {
    codes.iter().map(|&c| Law::Ulaw.decode_sample(c)).collect()
}

/// One RTP stream: an SSRC and the voice it carries, packet `k` with
/// sequence number `seq0 + k` and timestamp `ts0 + k * SPF`.
struct Stream {
    ssrc: u32,
    seq0: u16,
    ts0: u32,
    voice: Vec<u8>,
}

impl Stream {
    fn new(v: usize, frames: usize) -> Stream {
        Stream {
            ssrc: 0x5eed_0000 + v as u32,
            seq0: 60_000 + 7 * v as u16,
            ts0: u32::MAX - 3_000 * v as u32,
            voice: noise_voice(v, frames),
        }
    }

    fn frames(&self) -> usize {
        self.voice.len() / SPF
    }

    fn packet(&self, k: usize) -> Vec<u8> {
        RtpPacketBuilder::new()
            .payload_type(0)
            .ssrc(self.ssrc)
            .sequence(Seq::from(self.seq0.wrapping_add(k as u16)))
            .timestamp(self.ts0.wrapping_add((k * SPF) as u32))
            .marked(k == 0)
            .payload(&self.voice[k * SPF..(k + 1) * SPF])
            .build()
            .unwrap()
    }
}

/// Sends `stream` from `socket` to `to`, packet `k` at `start + k` ptimes,
/// except that a stall `(k, seconds)` holds packet `k` and every later one
/// back until `seconds` after packet `k` was due, then sends what is due
/// at once (a sender catching up after a scheduling hiccup). After each
/// packet, `between(k)` may send something else from the same socket.
fn talk(
    socket: &UdpSocket,
    to: SocketAddr,
    stream: &Stream,
    start: Instant,
    stalls: &[(usize, f64)],
    mut between: impl FnMut(usize),
) {
    let ptime = Duration::from_millis(u64::from(PTIME_MS));
    for k in 0..stream.frames() {
        let mut due = start + ptime * k as u32;
        for &(s, pause) in stalls.iter().filter(|&&(s, _)| k >= s) {
            due = due.max(start + ptime * s as u32 + Duration::from_secs_f64(pause));
        }
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let _ = socket.send_to(&stream.packet(k), to);
        between(k);
    }
}

/// What one phone heard: the call's packets to it, placed by sequence
/// number (the call sends one a tick from tick 0), μ-law codes.
fn record(socket: UdpSocket, stop: Arc<AtomicBool>) -> (Vec<u8>, usize) {
    socket
        .set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    let mut buf = [0u8; 2048];
    let mut packets: Vec<(Seq, Vec<u8>)> = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        if let Ok(n) = socket.recv(&mut buf) {
            if let Ok(rtp) = RtpReader::new(&buf[..n]) {
                packets.push((rtp.sequence_number(), rtp.payload().to_vec()));
            }
        }
    }
    let Some(first) = packets.iter().map(|p| p.0).min() else {
        return (Vec::new(), 0);
    };
    let mut heard = Vec::new();
    for (seq, payload) in &packets {
        let at = (*seq - first) as usize * SPF;
        if heard.len() < at + payload.len() {
            heard.resize(at + payload.len(), Law::Ulaw.silence());
        }
        heard[at..at + payload.len()].copy_from_slice(payload);
    }
    (heard, packets.len())
}

/// What a call against phones printed and what each party heard.
struct PhoneCall {
    out: Vec<String>,
    ticks: usize,
    /// Per party: the statistics line's numbers.
    stats: Vec<Vec<u64>>,
    /// Per party: what it heard (μ-law, from tick 0), and how many packets.
    heard: Vec<(Vec<u8>, usize)>,
}

impl PhoneCall {
    fn stat(&self, party: usize, column: &str) -> u64 {
        const COLUMNS: [&str; 14] = [
            "packets",
            "dup",
            "reordered",
            "late",
            "early",
            "resync",
            "bad",
            "played",
            "missing",
            "sent",
            "probation",
            "foreign",
            "max-read",
            "read-bound",
        ];
        let i = COLUMNS.iter().position(|c| *c == column).unwrap();
        self.stats[party][i]
    }
}

/// A three-party call of `seconds` in monitor with a 100 ms jitter buffer,
/// the phones of the agent and the supervisor talking all along. Once the
/// call is ready, `customer(socket, to, start)` runs the customer's phone
/// (its socket, the call's port for it, the call's start), and
/// `stranger(to, start)` another party with its own socket, each on a
/// thread of its own.
fn phone_call(
    seconds: f64,
    customer: impl FnOnce(&UdpSocket, SocketAddr, Instant) + Send + 'static,
    stranger: impl FnOnce(SocketAddr, Instant) + Send + 'static,
) -> PhoneCall {
    keyed_phone_call(seconds, "0:monitor", &[], customer, None, stranger)
}

/// A supervisor's phone other than the test's own: `peer(to, start)`
/// sends to the call's port `to` from the call's start, from any address.
type Peer = Box<dyn FnOnce(SocketAddr, Instant) + Send>;

/// Like [`phone_call`], with the supervisor's `schedule`, more arguments
/// for the call, and, if `supervisor` is some, that phone sending the
/// supervisor's audio (the supervisor's phone still records what it heard).
fn keyed_phone_call(
    seconds: f64,
    schedule: &str,
    args: &[&str],
    customer: impl FnOnce(&UdpSocket, SocketAddr, Instant) + Send + 'static,
    supervisor: Option<Peer>,
    stranger: impl FnOnce(SocketAddr, Instant) + Send + 'static,
) -> PhoneCall {
    let exe = harness::example_binary("rtp_call");
    let phones: Vec<UdpSocket> = (0..3)
        .map(|_| UdpSocket::bind("127.0.0.1:0").unwrap())
        .collect();
    let call_ports: Vec<SocketAddr> = (0..3)
        .map(|_| {
            UdpSocket::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
        })
        .collect();
    let ticks = (seconds * 1000.0 / f64::from(PTIME_MS)).round() as usize;
    let mut cmd = Command::new(&exe);
    for p in 0..3 {
        cmd.arg(format!("--{}", PARTIES[p])).arg(format!(
            "{}={}",
            call_ports[p],
            phones[p].local_addr().unwrap()
        ));
    }
    cmd.args(["--schedule", schedule, "--duration", &seconds.to_string()])
        .args(["--jitter", &JITTER_MS.to_string()])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut children = Children::default();
    let call = children.spawn("rtp_call", &mut cmd);
    let stdout = children.0[call].1.stdout.take().unwrap();
    let (tx, lines) = mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let ready = lines
        .recv_timeout(Duration::from_secs(60))
        .expect("rtp_call printed no ready line");
    assert!(ready.starts_with("ready:"), "first line: {ready}");
    let start = Instant::now();

    let stop = Arc::new(AtomicBool::new(false));
    let mut recorders = Vec::new();
    let mut talkers = Vec::new();
    let mut customer = Some(customer);
    let mut supervisor = supervisor;
    for (p, phone) in phones.into_iter().enumerate() {
        let (socket, to, stop) = (phone.try_clone().unwrap(), call_ports[p], stop.clone());
        recorders.push(std::thread::spawn(move || record(socket, stop)));
        if p == 0 {
            let customer = customer.take().unwrap();
            talkers.push(std::thread::spawn(move || customer(&phone, to, start)));
        } else if p == 2 && supervisor.is_some() {
            let peer = supervisor.take().unwrap();
            talkers.push(std::thread::spawn(move || peer(to, start)));
        } else {
            let stream = Stream::new(p, ticks);
            talkers.push(std::thread::spawn(move || {
                talk(&phone, to, &stream, start, &[], |_| {})
            }));
        }
    }
    let to = call_ports[0];
    talkers.push(std::thread::spawn(move || stranger(to, start)));

    let deadline = start + Duration::from_secs_f64(seconds + 30.0);
    let status = children.wait(call, deadline);
    reader.join().unwrap();
    let mut err = String::new();
    std::io::Read::read_to_string(children.0[call].1.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert!(status.success(), "rtp_call failed ({status}): {err}");
    for t in talkers {
        t.join().expect("a phone failed");
    }
    // The call has ended: every packet it sent is in a phone's buffer.
    stop.store(true, Ordering::Relaxed);
    let heard: Vec<(Vec<u8>, usize)> = recorders.into_iter().map(|r| r.join().unwrap()).collect();

    let mut out = vec![ready];
    out.extend(lines.try_iter());
    for line in &out {
        println!("rtp_call | {line}");
    }
    let stats = (0..3)
        .map(|p| {
            let line = out
                .iter()
                .find(|l| l.starts_with(PARTIES[p]) && !l.contains(':'))
                .unwrap_or_else(|| panic!("no statistics for {}", PARTIES[p]));
            line.split_whitespace()
                .skip(1)
                .map(|x| x.parse().unwrap())
                .collect()
        })
        .collect();
    PhoneCall {
        out,
        ticks,
        stats,
        heard,
    }
}

/// The samples of `heard` (from sample `from` to `to`) that are some
/// stretch of `voice`, as a fraction: a run of 8 codes found in the voice
/// (noise: 8 codes never match by chance) marks those 8 samples heard.
fn fraction_of(heard: &[u8], voice: &[u8], from: usize, to: usize) -> f64 {
    const W: usize = 8;
    let runs: HashSet<&[u8]> = voice.windows(W).collect();
    let to = to.min(heard.len());
    let mut found = vec![false; to.saturating_sub(from)];
    for i in from..to.saturating_sub(W - 1) {
        if runs.contains(&heard[i..i + W]) {
            found[i - from..i - from + W].fill(true);
        }
    }
    found.iter().filter(|&&f| f).count() as f64 / found.len().max(1) as f64
}

/// The delay of `voice` in `heard` over samples `from..to` of `heard`: the
/// lag (0 to `max_lag` samples) at which their cross-correlation peaks,
/// and the gain there (1 for the voice at its full level).
fn delay_of(heard: &[i16], voice: &[i16], from: usize, to: usize, max_lag: usize) -> (usize, f64) {
    let (mut best, mut best_corr) = (0, f64::MIN);
    for lag in 0..=max_lag.min(from) {
        let corr: i64 = (from..to)
            .map(|i| i64::from(heard[i]) * i64::from(voice[i - lag]))
            .sum();
        if corr as f64 > best_corr {
            (best, best_corr) = (lag, corr as f64);
        }
    }
    let energy: f64 = (from..to).map(|i| f64::from(voice[i - best]).powi(2)).sum();
    (best, best_corr / energy)
}

/// Seconds to samples.
fn at(seconds: f64) -> usize {
    (seconds * f64::from(RATE)) as usize
}

#[test]
fn a_strangers_packets_from_another_port_are_never_heard() {
    let seconds = 3.0;
    let frames = (seconds * 50.0) as usize;
    let sent_by_stranger = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let counted = sent_by_stranger.clone();
    let call = phone_call(
        seconds,
        move |_, to, start| {
            // Like ffmpeg, the customer sends from another port than the one
            // it hears on: the call latches onto it, but cannot connect.
            let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
            talk(&socket, to, &Stream::new(0, frames), start, &[], |_| {})
        },
        move |to, start| {
            // From 0.5 s to 2.5 s: its own stream, and packets that copy the
            // customer's SSRC and timestamps (first come, first played).
            let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
            let own = Stream::new(STRANGER, 100);
            let mut fake = Stream::new(STRANGER, frames);
            let customer = Stream::new(0, 1);
            (fake.ssrc, fake.seq0, fake.ts0) = (customer.ssrc, customer.seq0, customer.ts0);
            let go = start + Duration::from_millis(500);
            talk(&socket, to, &own, go, &[], |k| {
                // The customer's packet of 40 ms later, early.
                let _ = socket.send_to(&fake.packet(k + 25 + 2), to);
                counted.fetch_add(2, Ordering::Relaxed);
            });
        },
    );
    let stranger = noise_voice(STRANGER, frames);
    let customer = noise_voice(0, frames);
    let agent_heard = &call.heard[1].0;
    let from_stranger = fraction_of(agent_heard, &stranger, 0, agent_heard.len());
    let from_customer = fraction_of(agent_heard, &customer, at(0.5), at(seconds - 0.1));
    println!(
        "agent heard: {:.0} samples of the stranger's; {:.1}% of 0.5..2.9 s the customer's",
        from_stranger * agent_heard.len() as f64,
        100.0 * from_customer
    );
    assert_eq!(from_stranger, 0.0, "the agent heard the stranger");
    assert!(from_customer > 0.99, "the agent missed the customer");
    assert_eq!(
        call.stat(0, "foreign"),
        sent_by_stranger.load(Ordering::Relaxed)
    );
}

#[test]
fn junk_and_another_ssrc_from_the_customers_address_do_not_silence_the_customer() {
    let seconds = 3.0;
    let frames = (seconds * 50.0) as usize;
    let call = phone_call(
        seconds,
        move |phone, to, start| {
            // From the customer's own address (a stranger who spoofs it),
            // from 0.5 s on: a stream with its own SSRC, one packet per
            // packet of the customer's, and every 40 ms two junk packets in
            // sequence under an SSRC of their own (each pair passes the
            // probation of a first stream, not that of a switch).
            let own = Stream::new(STRANGER, frames);
            let mut rng = harness::Rng::new(7);
            let junk = noise_voice(STRANGER + 1, 1);
            talk(phone, to, &Stream::new(0, frames), start, &[], |k| {
                if k < 25 {
                    return;
                }
                let _ = phone.send_to(&own.packet(k), to);
                let (ssrc, seq, ts) = (rng.next() as u32, rng.next() as u16, rng.next() as u32);
                for i in 0..2 * (k % 2) as u16 {
                    let p = RtpPacketBuilder::new()
                        .payload_type(0)
                        .ssrc(ssrc)
                        .sequence(Seq::from(seq.wrapping_add(i)))
                        .timestamp(ts.wrapping_add(u32::from(i) * SPF as u32))
                        .payload(&junk)
                        .build()
                        .unwrap();
                    let _ = phone.send_to(&p, to);
                }
            });
        },
        |_, _| {},
    );
    let agent_heard = &call.heard[1].0;
    let customer = noise_voice(0, frames);
    let lost = 1.0 - fraction_of(agent_heard, &customer, at(0.7), at(seconds - 0.1));
    let strangers = fraction_of(
        agent_heard,
        &noise_voice(STRANGER, frames),
        0,
        agent_heard.len(),
    ) + fraction_of(
        agent_heard,
        &noise_voice(STRANGER + 1, 1),
        0,
        agent_heard.len(),
    );
    println!(
        "customer audio lost while under attack (0.7..2.9 s): {:.1}%; stranger's audio heard: {:.0} samples; resyncs {}",
        100.0 * lost,
        strangers * agent_heard.len() as f64,
        call.stat(0, "resync")
    );
    assert!(call.stat(0, "probation") > 100, "the attack did not happen");
    assert!(lost < 0.01, "{:.1}% of the customer lost", 100.0 * lost);
    assert_eq!(strangers, 0.0, "the agent heard the stranger");
    assert_eq!(call.stat(0, "resync"), 0);
}

#[test]
fn a_flood_is_read_a_bounded_number_a_tick_and_no_tick_is_skipped() {
    let seconds = 3.0;
    let frames = (seconds * 50.0) as usize;
    let flooded = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let counted = flooded.clone();
    let duplicated = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let dups = duplicated.clone();
    let call = phone_call(
        seconds,
        move |phone, to, start| {
            // From 0.5 s to 1.5 s, from the customer's own address (which
            // the kernel cannot tell from the customer's): copies of each
            // packet as fast as they go until 2 ms before the next is due,
            // at most 2,000 a packet.
            let stream = Stream::new(0, frames);
            let ptime = Duration::from_millis(u64::from(PTIME_MS));
            talk(phone, to, &stream, start, &[], |k| {
                if !(25..75).contains(&k) {
                    return;
                }
                let (packet, until) = (stream.packet(k), start + ptime * (k as u32 + 1));
                let mut n = 0;
                while n < 2000 && Instant::now() + Duration::from_millis(2) < until {
                    n += u64::from(phone.send_to(&packet, to).is_ok());
                }
                dups.fetch_add(n, Ordering::Relaxed);
            })
        },
        move |to, start| {
            // And from 0.5 s to 1.5 s, at most 500,000 packets as fast as
            // they go from a stranger's port.
            let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
            let flood = Stream::new(STRANGER, 1);
            let packet = flood.packet(0);
            let (from, to_t) = (
                start + Duration::from_millis(500),
                start + Duration::from_millis(1500),
            );
            if let Some(wait) = from.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
            let mut n = 0;
            while n < 500_000 && Instant::now() < to_t {
                if socket.send_to(&packet, to).is_ok() {
                    n += 1;
                }
            }
            counted.store(n, Ordering::Relaxed);
        },
    );
    let flooded = flooded.load(Ordering::Relaxed);
    let duplicated = duplicated.load(Ordering::Relaxed);
    let (foreign, dup, most, at_bound) = (
        call.stat(0, "foreign"),
        call.stat(0, "dup"),
        call.stat(0, "max-read"),
        call.stat(0, "read-bound"),
    );
    let customer_lost =
        1.0 - fraction_of(&call.heard[1].0, &noise_voice(0, frames), at(0.5), at(1.5));
    let agent_lost = 1.0 - fraction_of(&call.heard[0].0, &noise_voice(1, frames), at(0.5), at(1.5));
    let done = call.out.iter().find(|l| l.starts_with("done:")).unwrap();
    println!(
        "flood of {flooded} packets from a stranger's port: {foreign} read (dropped as foreign); \
         {duplicated} copies from the customer's address: {dup} read (dropped as duplicates); \
         at most {most} read in a tick, {at_bound} ticks at the bound; the rest dropped by the \
         kernel; during the floods the agent missed {:.1}% of the customer, the customer \
         {:.1}% of the agent; {done}",
        100.0 * customer_lost,
        100.0 * agent_lost
    );
    assert!(flooded > 10_000, "the flood was only {flooded} packets");
    assert!(
        duplicated > 10_000,
        "the flood was only {duplicated} packets"
    );
    assert!(most <= READ_BOUND, "{most} datagrams read in one tick");
    assert!(at_bound > 0, "the floods never reached the bound");
    assert!(dup <= duplicated);
    // The customer's phone is symmetric: the call connected its socket to
    // it, and the kernel dropped the stranger's flood before it was read.
    assert_eq!(foreign, 0, "datagrams from the stranger's port were read");
    // No tick skipped: every party got one packet a tick, in sequence.
    for (p, party) in PARTIES.iter().enumerate() {
        assert_eq!(call.stat(p, "sent"), call.ticks as u64, "{party}");
        assert_eq!(call.heard[p].1, call.ticks, "{party}: packets");
        assert_eq!(call.heard[p].0.len(), call.ticks * SPF, "{party}");
    }
    // The legs not flooded are not touched.
    assert!(
        agent_lost < 0.01,
        "the customer missed {:.1}% of the agent",
        100.0 * agent_lost
    );
}

#[test]
fn a_senders_stall_leaves_no_lasting_delay() {
    let seconds = 4.0;
    let frames = (seconds * 50.0) as usize;
    // The customer's phone stalls for 0.3 s at 1 s and for 0.4 s at 2.2 s,
    // then sends what it owes at once.
    let call = phone_call(
        seconds,
        move |phone, to, start| {
            let stalls = [(50, 0.3), (110, 0.4)];
            talk(phone, to, &Stream::new(0, frames), start, &stalls, |_| {})
        },
        |_, _| {},
    );
    let heard = decode(&call.heard[1].0);
    let voice = decode(&noise_voice(0, frames));
    let max_lag = at(1.0);
    let windows = [(0.45, 0.95), (1.75, 2.15), (3.1, 3.9)];
    let delays: Vec<(usize, f64)> = windows
        .iter()
        .map(|&(a, b)| delay_of(&heard, &voice, at(a), at(b), max_lag))
        .collect();
    let ms = |samples: usize| samples as f64 * 1000.0 / f64::from(RATE);
    let extra = |i: usize| ms(delays[i].0) - ms(delays[0].0);
    println!(
        "customer's delay to the agent (cross-correlation): {:.1} ms before the stalls \
         (gain {:.2}); after the 0.3 s stall {:+.1} ms (gain {:.2}); after the 0.4 s stall \
         {:+.1} ms (gain {:.2}); late packets dropped: {}",
        ms(delays[0].0),
        delays[0].1,
        extra(1),
        delays[1].1,
        extra(2),
        delays[2].1,
        call.stat(0, "late")
    );
    for (i, &(lag, gain)) in delays.iter().enumerate() {
        assert!(
            gain > 0.9,
            "window {i}: the customer at gain {gain:.2} (lag {lag})"
        );
    }
    let frame = ms(SPF);
    assert!(extra(1).abs() <= frame, "+{:.1} ms after 0.3 s", extra(1));
    assert!(extra(2).abs() <= frame, "+{:.1} ms after 0.4 s", extra(2));
    assert!(call.stat(0, "late") > 0, "the stalls made nothing late");
    assert_eq!(call.stat(0, "resync"), 0);
}

fn gstreamer_available() -> bool {
    Command::new("gst-inspect-1.0")
        .args(["rtppcmupay"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Whether GStreamer (gst-launch-1.0 with the good plugins) is here. Without
/// it the test is skipped with a note on stderr, except under CI or
/// `BARGE_REQUIRE_GSTREAMER=1`, where it fails.
fn gstreamer_or_skip() -> bool {
    if gstreamer_available() {
        return true;
    }
    let required = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false")
        || std::env::var_os("BARGE_REQUIRE_GSTREAMER").is_some_and(|v| v == "1");
    let install = "apt-get install gstreamer1.0-tools gstreamer1.0-plugins-good";
    assert!(
        !required,
        "GStreamer not found: this test runs a call against it; install it ({install})"
    );
    eprintln!("SKIPPED: GStreamer not found; install it ({install}) to run this test");
    false
}

/// Sends `signal` to process `pid` (`kill -STOP`, `kill -CONT`).
fn signal(pid: u32, signal: &str) {
    let status = Command::new("kill")
        .args([signal, &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill {signal} {pid} failed");
}

#[test]
fn a_gstreamer_senders_stall_leaves_no_lasting_delay() {
    if !gstreamer_or_skip() {
        return;
    }
    let seconds = 4.0;
    let frames = (seconds * 50.0) as usize + 50;
    let dir =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("rtp_call-gst-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let wav = dir.join("customer.wav");
    write_wav(&wav, &decode(&noise_voice(0, frames)));
    let call = phone_call(
        seconds,
        move |_, to, start| {
            // GStreamer plays the customer's voice in real time (udpsink
            // syncs on the clock), 20 ms to a packet; the process is
            // stopped for 0.3 s at 1 s and for 0.4 s at 2.2 s (a scheduling
            // hiccup), after which it sends what is late at once.
            let mut children = Children::default();
            let gst = children.spawn(
                "gst-launch-1.0",
                Command::new("gst-launch-1.0")
                    .arg("-q")
                    .arg("filesrc")
                    .arg(format!("location={}", wav.display()))
                    .args(["!", "wavparse", "!", "mulawenc", "!", "rtppcmupay"])
                    .args(["min-ptime=20000000", "max-ptime=20000000"])
                    .args(["!", "udpsink", "host=127.0.0.1"])
                    .arg(format!("port={}", to.port()))
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null()),
            );
            let pid = children.0[gst].1.id();
            for (at_s, pause) in [(1.0, 0.3), (2.2, 0.4)] {
                let due = start + Duration::from_secs_f64(at_s);
                std::thread::sleep(due.saturating_duration_since(Instant::now()));
                signal(pid, "-STOP");
                std::thread::sleep(Duration::from_secs_f64(pause));
                signal(pid, "-CONT");
            }
            let end = start + Duration::from_secs_f64(seconds);
            std::thread::sleep(end.saturating_duration_since(Instant::now()));
            // Dropping `children` stops GStreamer.
        },
        |_, _| {},
    );
    let heard = decode(&call.heard[1].0);
    let voice = decode(&noise_voice(0, frames));
    let windows = [(0.5, 0.95), (1.75, 2.15), (3.1, 3.9)];
    let delays: Vec<(usize, f64)> = windows
        .iter()
        .map(|&(a, b)| delay_of(&heard, &voice, at(a), at(b), at(1.0)))
        .collect();
    let ms = |samples: usize| samples as f64 * 1000.0 / f64::from(RATE);
    let extra = |i: usize| ms(delays[i].0) - ms(delays[0].0);
    println!(
        "GStreamer customer's delay to the agent (cross-correlation): {:.1} ms before the \
         stalls (gain {:.2}); after the 0.3 s stall {:+.1} ms (gain {:.2}); after the 0.4 s \
         stall {:+.1} ms (gain {:.2}); late packets dropped: {}",
        ms(delays[0].0),
        delays[0].1,
        extra(1),
        delays[1].1,
        extra(2),
        delays[2].1,
        call.stat(0, "late")
    );
    for (i, &(lag, gain)) in delays.iter().enumerate() {
        assert!(
            gain > 0.9,
            "window {i}: the customer at gain {gain:.2} (lag {lag})"
        );
    }
    let frame = ms(SPF);
    assert!(extra(1).abs() <= frame, "{:+.1} ms after 0.3 s", extra(1));
    assert!(extra(2).abs() <= frame, "{:+.1} ms after 0.4 s", extra(2));
    assert!(call.stat(0, "late") > 0, "the stalls made nothing late");
    let _ = std::fs::remove_dir_all(&dir);
}

// ---------------------------------------------------------------------------
// The supervisor's keypad, from a real peer: GStreamer, driven from Python
// (GStreamer's own bindings, Debian's python3-gst-1.0), sends the
// supervisor's voice as PCMU and its key presses either as RFC 4733
// telephone events (`rtpdtmfsrc`, muxed into the voice's stream by `rtpmux`,
// which unlike `rtpdtmfmux` keeps the voice flowing while a key is held, as
// phones that send both do) or as tones mixed into the voice (`dtmfsrc`,
// `audiomixer`).
// gst-launch cannot press a key: `rtpdtmfsrc` and `dtmfsrc` start and stop
// a tone on a `dtmf-event` upstream event, which the script sends.
// ---------------------------------------------------------------------------

/// The peer: a GStreamer pipeline that plays `wav` as the supervisor's
/// voice, with keys pressed at given times. It builds its pipeline, says
/// `ready`, and starts on `go PORT` (the call's port) on stdin; then it
/// presses each key, says `key D down at T` and `key D up at T`, and stops
/// `seconds` after it started.
const GST_PEER: &str = r#"
import sys, time
import gi
gi.require_version("Gst", "1.0")
from gi.repository import Gst

Gst.init(None)
mode, wav, sent, presses, volume, seconds = sys.argv[1:7]
volume, seconds = int(volume), float(seconds)
presses = [p.split(":") for p in presses.split(",")]
pay = "rtppcmupay pt=0 min-ptime=20000000 max-ptime=20000000"
voice = (f"filesrc location={wav} ! wavparse ! audioconvert ! "
         "audio/x-raw,format=S16LE,rate=8000,channels=1")
if mode == "rfc4733":
    # Events of payload type 101, the start and end packets sent 3 times.
    desc = ("rtpmux name=mux ! udpsink name=out host=127.0.0.1 "
            f"{voice} ! mulawenc ! {pay} ! mux.sink_0 "
            "rtpdtmfsrc name=keys pt=101 packet-redundancy=3 ! mux.sink_1")
else:
    # Tones mixed into the voice; what is sent is also written to `sent`.
    desc = ("audiomixer name=mix ! audio/x-raw,format=S16LE,rate=8000,channels=1 ! "
            "mulawenc ! tee name=t "
            f"t. ! queue ! {pay} ! udpsink name=out host=127.0.0.1 "
            f"t. ! queue ! filesink location={sent} "
            f"{voice} ! mix. "
            "dtmfsrc name=keys ! audio/x-raw,rate=8000,channels=1 ! mix.")
pipeline = Gst.parse_launch(desc)
keys = pipeline.get_by_name("keys").get_static_pad("src")
bus = pipeline.get_bus()
print("ready", flush=True)
go = sys.stdin.readline().split()
if len(go) != 2 or go[0] != "go":
    sys.exit(f"expected 'go PORT', got {go}")
pipeline.get_by_name("out").set_property("port", int(go[1]))
pipeline.set_state(Gst.State.PLAYING)
t0 = time.monotonic()

def wait_until(t):
    while True:
        left = t0 + t - time.monotonic()
        if left <= 0:
            return
        msg = bus.timed_pop_filtered(int(min(left, 0.05) * Gst.SECOND), Gst.MessageType.ERROR)
        if msg:
            err, debug = msg.parse_error()
            sys.exit(f"GStreamer: {err.message} ({debug})")

def key(number, start):
    s = Gst.Structure.new_from_string(
        f"dtmf-event, type=(int)1, number=(int){number}, volume=(int){volume}, "
        f"start=(boolean){'true' if start else 'false'}")
    if not keys.send_event(Gst.Event.new_custom(Gst.EventType.CUSTOM_UPSTREAM, s)):
        sys.exit(f"the dtmf-event for key {number} was refused")

for at, digit, hold in presses:
    number = "0123456789*#ABCD".index(digit)
    wait_until(float(at))
    key(number, True)
    print(f"key {digit} down at {time.monotonic() - t0:.3f}", flush=True)
    wait_until(float(at) + float(hold) / 1000)
    key(number, False)
    print(f"key {digit} up at {time.monotonic() - t0:.3f}", flush=True)
wait_until(seconds)
pipeline.set_state(Gst.State.NULL)
print("done", flush=True)
"#;

/// A Python with GStreamer's bindings and the elements the peer uses.
fn python_gst() -> Option<&'static str> {
    let check = "import gi; gi.require_version('Gst', '1.0'); from gi.repository import Gst; \
                 Gst.init(None); import sys; sys.exit(not all(Gst.ElementFactory.find(e) for e in \
                 ['rtpdtmfsrc', 'rtpmux', 'dtmfsrc', 'audiomixer', 'mulawenc', 'rtppcmupay', \
                 'wavparse', 'udpsink']))";
    // Debian's bindings are for Debian's python3, which another python3
    // first on PATH may not see.
    ["python3", "/usr/bin/python3"].into_iter().find(|py| {
        Command::new(py)
            .args(["-c", check])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

/// The Python that drives the GStreamer peer. Without one the test is
/// skipped with a note on stderr, except under CI or
/// `BARGE_REQUIRE_GSTREAMER=1`, where it fails.
fn python_gst_or_skip() -> Option<&'static str> {
    let found = python_gst();
    if found.is_some() {
        return found;
    }
    let required = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false")
        || std::env::var_os("BARGE_REQUIRE_GSTREAMER").is_some_and(|v| v == "1");
    let install = "apt-get install python3-gst-1.0 gstreamer1.0-plugins-good";
    assert!(
        !required,
        "python3 with GStreamer's bindings and its dtmf plugin not found: this test presses \
         the supervisor's keys from a GStreamer peer; install them ({install})"
    );
    eprintln!(
        "SKIPPED: python3 with GStreamer's bindings and its dtmf plugin not found; install \
         them ({install}) to run this test"
    );
    None
}

/// What the GStreamer peer said and how it ended.
#[derive(Default)]
struct PeerReport {
    success: bool,
    lines: Vec<String>,
    stderr: String,
}

/// Starts the GStreamer peer (`mode` rfc4733 or inband) and waits until it
/// is ready; returns it as the supervisor's phone of a call, and where it
/// reports when it is done.
fn gst_peer(
    python: &str,
    dir: &Path,
    mode: &str,
    presses: &str,
    volume: u32,
    seconds: f64,
) -> (Peer, Arc<std::sync::Mutex<PeerReport>>) {
    let script = dir.join("peer.py");
    std::fs::write(&script, GST_PEER).unwrap();
    let wav = dir.join("supervisor.wav");
    write_wav(&wav, &voice(2, seconds + 5.0));
    let mut children = Children::default();
    let peer = children.spawn(
        "the GStreamer peer",
        Command::new(python)
            .arg(&script)
            .args([mode, &wav.display().to_string()])
            .arg(dir.join("sent.ulaw"))
            .args([presses, &volume.to_string(), &seconds.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    );
    let stdout = children.0[peer].1.stdout.take().unwrap();
    let (tx, lines) = mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let ready = lines.recv_timeout(Duration::from_secs(60));
    if ready.as_deref() != Ok("ready") {
        let _ = children.0[peer].1.kill();
        let mut err = String::new();
        let _ =
            std::io::Read::read_to_string(children.0[peer].1.stderr.as_mut().unwrap(), &mut err);
        panic!("the GStreamer peer is not ready ({ready:?}): {err}");
    }
    let report = Arc::new(std::sync::Mutex::new(PeerReport::default()));
    let done = report.clone();
    let run: Peer = Box::new(move |to, start| {
        let mut children = children;
        let child = &mut children.0[peer].1;
        let mut stdin = child.stdin.take().unwrap();
        std::io::Write::write_all(&mut stdin, format!("go {}\n", to.port()).as_bytes()).unwrap();
        drop(stdin);
        let status = children.wait(peer, start + Duration::from_secs_f64(seconds + 30.0));
        reader.join().unwrap();
        let mut r = done.lock().unwrap();
        r.success = status.success();
        r.lines = lines.try_iter().collect();
        let _ = std::io::Read::read_to_string(
            children.0[peer].1.stderr.as_mut().unwrap(),
            &mut r.stderr,
        );
    });
    (run, report)
}

/// A key press the call printed: "… supervisor: key D (HOW): MODE from here
/// (tick N)" or "…: no mode (tick N)".
#[derive(Debug)]
struct KeyLine {
    digit: char,
    how: String,
    mode: Option<String>,
    tick: usize,
}

fn key_lines(out: &[String]) -> Vec<KeyLine> {
    out.iter()
        .filter_map(|l| {
            let (_, rest) = l.split_once("supervisor: key ")?;
            let digit = rest.chars().next()?;
            let (how, rest) = rest[1..]
                .trim_start()
                .strip_prefix('(')?
                .split_once("): ")?;
            let (what, tick) = rest.rsplit_once(" (tick ")?;
            Some(KeyLine {
                digit,
                how: how.to_string(),
                mode: what.strip_suffix(" from here").map(str::to_string),
                tick: tick.trim_end_matches(')').parse().ok()?,
            })
        })
        .collect()
}

/// The supervisor's mode changes the call printed: (from, to, tick).
fn mode_changes(out: &[String]) -> Vec<(String, String, usize)> {
    out.iter()
        .filter_map(|l| {
            let (_, rest) = l.split_once("supervisor: ")?;
            let (from, rest) = rest.split_once(" -> ")?;
            let (to, tick) = rest.split_once(" (tick ")?;
            Some((
                from.to_string(),
                to.to_string(),
                tick.trim_end_matches(')').parse().ok()?,
            ))
        })
        .collect()
}

/// The number just before `label` in `line` ("… 2 key presses …").
fn number_before(line: &str, label: &str) -> u64 {
    let (before, _) = line
        .split_once(label)
        .unwrap_or_else(|| panic!("no '{label}' in {line}"));
    let n = before.split_whitespace().last().unwrap_or_default();
    n.trim_start_matches('(')
        .parse()
        .unwrap_or_else(|_| panic!("no number before '{label}' in {line}"))
}

/// The tick from which the supervisor's voice plays: its first packet's,
/// plus the jitter buffer.
fn supervisor_plays_from(call: &PhoneCall) -> usize {
    let line = call
        .out
        .iter()
        .find(|l| l.contains("supervisor: first packet at tick"))
        .expect("the supervisor's phone sent nothing");
    first_packet_tick(line) + (JITTER_MS / PTIME_MS) as usize
}

/// The level of the supervisor's voice (relative to the voice as sent) in
/// what a party heard over ticks `from..to`.
fn supervisor_level(heard: &[u8], from: usize, to: usize) -> f64 {
    let reference = level(&voice(2, 3.0)[8000..20000], 2);
    level(&decode(&heard[from * SPF..to * SPF]), 2) / reference
}

/// The ticks in `from..to` in which a party heard exactly `voice` and
/// nothing mixed in, as a fraction.
fn exact_ticks(heard: &[u8], voice: &[u8], from: usize, to: usize) -> f64 {
    fraction_of(heard, voice, from * SPF, to * SPF)
}

/// The first tick from `from` on (before `to`) in which a party heard more
/// than `voice`: another voice mixed in.
fn first_mixed_tick(heard: &[u8], voice: &[u8], from: usize, to: usize) -> Option<usize> {
    (from..to).find(|&t| exact_ticks(heard, voice, t, t + 1) < 0.9)
}

#[test]
fn rfc4733_keys_from_gstreamer_switch_the_supervisor_at_the_digit() {
    let Some(python) = python_gst_or_skip() else {
        return;
    };
    let seconds = 4.0;
    let ticks = (seconds * 50.0) as usize;
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("rtp_call-rfc4733-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // ChanSpy's keys: 5 whisper at 1 s, 6 barge at 2.2 s, each held 240 ms.
    let (peer, report) = gst_peer(
        python,
        &dir,
        "rfc4733",
        "1.0:5:240,2.2:6:240",
        10,
        seconds - 0.2,
    );
    let call = keyed_phone_call(
        seconds,
        "0:monitor",
        &["--dtmf", "chanspy", "--telephone-event", "101"],
        move |phone, to, start| talk(phone, to, &Stream::new(0, ticks), start, &[], |_| {}),
        Some(peer),
        |_, _| {},
    );
    let report = std::mem::take(&mut *report.lock().unwrap());
    for line in &report.lines {
        println!("peer | {line}");
    }
    assert!(
        report.success,
        "the GStreamer peer failed: {}",
        report.stderr
    );
    assert_eq!(
        report
            .lines
            .iter()
            .filter(|l| l.contains(" down at "))
            .count(),
        2,
        "the peer pressed no two keys"
    );

    // One key press per event, each switching the mode at its tick.
    let keys = key_lines(&call.out);
    let changes = mode_changes(&call.out);
    assert_eq!(keys.len(), 2, "key presses: {keys:?}");
    let (k5, k6) = (&keys[0], &keys[1]);
    assert_eq!((k5.digit, k5.how.as_str()), ('5', "RFC 4733"));
    assert_eq!((k6.digit, k6.how.as_str()), ('6', "RFC 4733"));
    assert_eq!(k5.mode.as_deref(), Some("whisper"));
    assert_eq!(k6.mode.as_deref(), Some("barge"));
    let (n5, n6) = (k5.tick, k6.tick);
    assert_eq!(
        changes,
        [
            ("monitor".to_string(), "whisper".to_string(), n5),
            ("whisper".to_string(), "barge".to_string(), n6),
        ]
    );
    let events = call
        .out
        .iter()
        .find(|l| l.starts_with("supervisor telephone events:"))
        .expect("no telephone-event statistics");
    let count = |label| number_before(events, label);
    // Three start packets, updates, three end packets each: one press.
    assert_eq!(count("key presses"), 2, "{events}");
    assert!(count("with the end bit") >= 6, "{events}");
    assert!(count("repeats") >= 10, "{events}");
    for label in ["unknown", "stale", "short", "not of the playing stream"] {
        assert_eq!(count(label), 0, "{label}: {events}");
    }
    // The phone sent its voice while the keys were held too.
    let voice_packets = call.stat(2, "packets") as usize;
    let sent_for = ticks
        - first_packet_tick(
            call.out
                .iter()
                .find(|l| l.contains("supervisor: first packet at tick"))
                .unwrap(),
        );
    assert!(
        voice_packets * 10 >= sent_for * 9,
        "{voice_packets} of {sent_for}"
    );

    // What the customer and the agent heard, tick by tick.
    let customer = noise_voice(0, ticks);
    let agent = noise_voice(1, ticks);
    let (to_customer, to_agent) = (&call.heard[0].0, &call.heard[1].0);
    let from = supervisor_plays_from(&call);
    let settle = 20; // 0.4 s: past the key's span and the mode's ramp.
    assert!(from + 10 < n5 && n5 + settle + 10 < n6 && n6 + settle + 10 < ticks);
    // Monitor until key 5: the agent hears the customer alone, exactly.
    let agent_before = exact_ticks(to_agent, &customer, from, n5);
    // Key 5's span (the phone sent some voice with the events): silence.
    let agent_held = exact_ticks(to_agent, &customer, n5 + 1, n5 + 10);
    let agent_first = first_mixed_tick(to_agent, &customer, from, n6);
    let agent_whisper = supervisor_level(to_agent, n5 + settle, n6 - 2);
    // The customer never hears the supervisor until key 6.
    let customer_before = exact_ticks(to_customer, &agent, from, n6);
    let customer_barge = supervisor_level(to_customer, n6 + settle, ticks - 5);
    let agent_barge = supervisor_level(to_agent, n6 + settle, ticks - 5);
    println!(
        "key 5 at tick {n5}, key 6 at tick {n6}; the agent heard the customer alone in {:.1}% \
         of the ticks before key 5 and {:.1}% of the 9 ticks after it, the supervisor first at \
         tick {agent_first:?}, at {:.1} dB in whisper; the customer heard the agent alone in \
         {:.1}% of the ticks before key 6, the supervisor at {:.1} dB after it (agent {:.1} dB)",
        100.0 * agent_before,
        100.0 * agent_held,
        db(agent_whisper),
        100.0 * customer_before,
        db(customer_barge),
        db(agent_barge)
    );
    assert!(
        agent_before > 0.99,
        "the agent heard the supervisor before key 5"
    );
    assert!(
        agent_held > 0.99,
        "the agent heard the supervisor while key 5 was held"
    );
    assert!(agent_first.is_some_and(|t| t >= n5), "{agent_first:?}");
    assert!(
        agent_whisper > HEARD,
        "whisper: the agent at {:.1} dB",
        db(agent_whisper)
    );
    assert!(
        customer_before > 0.99,
        "the customer heard the supervisor before key 6"
    );
    assert!(
        customer_barge > HEARD,
        "barge: the customer at {:.1} dB",
        db(customer_barge)
    );
    assert!(
        agent_barge > HEARD,
        "barge: the agent at {:.1} dB",
        db(agent_barge)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Milliseconds of a key's two tones (`row` and `column` Hz) in `x` over
/// samples `from..to`: the 20 ms windows (50 Hz bins: a key's column is
/// 141 Hz or more from the next), stepped by 5 ms, in which both are at
/// least `threshold`, times 5 ms.
fn tone_ms(x: &[i16], (row, column): (f64, f64), from: usize, to: usize, threshold: f64) -> f64 {
    let (w, step) = (160, 40);
    let to = to.min(x.len());
    (from..to.saturating_sub(w))
        .step_by(step)
        .filter(|&i| {
            let win = &x[i..i + w];
            amplitude(win, row).min(amplitude(win, column)) >= threshold
        })
        .count() as f64
        * 5.0
}

/// The strongest a key's two tones (the weaker of the two) are in any
/// 20 ms of `x`.
fn tone_peak(x: &[i16], (row, column): (f64, f64)) -> f64 {
    x.windows(160)
        .step_by(40)
        .map(|w| amplitude(w, row).min(amplitude(w, column)))
        .fold(0.0, f64::max)
}

#[test]
fn in_band_keys_from_gstreamer_switch_the_mode_and_little_of_the_tone_is_heard() {
    let Some(python) = python_gst_or_skip() else {
        return;
    };
    let seconds = 4.0;
    let ticks = (seconds * 50.0) as usize;
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("rtp_call-inband-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // In barge, ChanSpy's 5 (whisper) at 1 s and 6 (barge) at 2.2 s, each
    // a tone of 240 ms mixed into the supervisor's voice.
    let (peer, report) = gst_peer(
        python,
        &dir,
        "inband",
        "1.0:5:240,2.2:6:240",
        10,
        seconds - 0.2,
    );
    let call = keyed_phone_call(
        seconds,
        "0:barge",
        &["--dtmf", "chanspy", "--inband"],
        move |phone, to, start| talk(phone, to, &Stream::new(0, ticks), start, &[], |_| {}),
        Some(peer),
        |_, _| {},
    );
    let report = std::mem::take(&mut *report.lock().unwrap());
    for line in &report.lines {
        println!("peer | {line}");
    }
    assert!(
        report.success,
        "the GStreamer peer failed: {}",
        report.stderr
    );
    let sent = decode(&std::fs::read(dir.join("sent.ulaw")).expect("what the peer sent"));

    let keys = key_lines(&call.out);
    let changes = mode_changes(&call.out);
    assert_eq!(keys.len(), 2, "key presses: {keys:?}");
    let (k5, k6) = (&keys[0], &keys[1]);
    assert_eq!((k5.digit, k5.how.as_str()), ('5', "in band"));
    assert_eq!((k6.digit, k6.how.as_str()), ('6', "in band"));
    assert_eq!(k5.mode.as_deref(), Some("whisper"));
    assert_eq!(k6.mode.as_deref(), Some("barge"));
    let (n5, n6) = (k5.tick, k6.tick);
    assert_eq!(
        changes,
        [
            // The schedule's, as the call starts.
            ("monitor".to_string(), "barge".to_string(), 0),
            ("barge".to_string(), "whisper".to_string(), n5),
            ("whisper".to_string(), "barge".to_string(), n6),
        ]
    );

    // Each tone as sent, and what the customer and the agent heard of it
    // (from 0.6 s before the key was recognised to 0.6 s after).
    let five = (770.0, 1336.0);
    let six = (770.0, 1477.0);
    let (to_customer, to_agent) = (decode(&call.heard[0].0), decode(&call.heard[1].0));
    let around = |n: usize| ((n - 30) * SPF, (n + 30) * SPF);
    let mut figures = Vec::new();
    for (key, tone, n) in [('5', five, n5), ('6', six, n6)] {
        let peak = tone_peak(&sent, tone);
        let threshold = 0.5 * peak;
        let sent_ms = tone_ms(&sent, tone, 0, sent.len(), threshold);
        let (a, b) = around(n);
        let customer_ms = tone_ms(&to_customer, tone, a, b, threshold);
        let agent_ms = tone_ms(&to_agent, tone, a, b, threshold);
        figures.push(format!(
            "key {key} (tick {n}): sent {sent_ms:.0} ms of tone (peak {peak:.0}); the customer \
             heard {customer_ms:.0} ms of it, the agent {agent_ms:.0} ms"
        ));
        assert!(
            sent_ms >= 200.0,
            "key {key}: only {sent_ms} ms of tone sent"
        );
        // The frames before the one that recognised the key, at most.
        assert!(
            customer_ms <= 60.0,
            "key {key}: the customer heard {customer_ms} ms"
        );
        assert!(agent_ms <= 60.0, "key {key}: the agent heard {agent_ms} ms");
    }

    let agent = noise_voice(1, ticks);
    let from = supervisor_plays_from(&call);
    let settle = 20;
    assert!(from + settle + 10 < n5 && n5 + settle + 10 < n6 && n6 + settle + 10 < ticks);
    // Barge until key 5: both hear the supervisor.
    let customer_barge = supervisor_level(&call.heard[0].0, from + settle, n5 - 10);
    let agent_barge = supervisor_level(&call.heard[1].0, from + settle, n5 - 10);
    // Whisper from key 5 to key 6: the customer hears the agent alone,
    // exactly (nothing of the supervisor, the tone's tail included); the
    // agent hears the supervisor.
    let customer_whisper = exact_ticks(&call.heard[0].0, &agent, n5, n6);
    let agent_whisper = supervisor_level(&call.heard[1].0, n5 + settle, n6 - 10);
    let customer_after = supervisor_level(&call.heard[0].0, n6 + settle, ticks - 5);
    let agent_after = supervisor_level(&call.heard[1].0, n6 + settle, ticks - 5);
    println!(
        "{}; the supervisor in barge: customer {:.1} dB, agent {:.1} dB; in whisper the \
         customer heard the agent alone in {:.1}% of the ticks, the agent the supervisor at \
         {:.1} dB; barge again: customer {:.1} dB, agent {:.1} dB",
        figures.join("; "),
        db(customer_barge),
        db(agent_barge),
        100.0 * customer_whisper,
        db(agent_whisper),
        db(customer_after),
        db(agent_after)
    );
    for (what, r) in [
        ("the customer in barge", customer_barge),
        ("the agent in barge", agent_barge),
        ("the agent in whisper", agent_whisper),
        ("the customer in barge again", customer_after),
        ("the agent in barge again", agent_after),
    ] {
        assert!(r > HEARD, "{what} heard the supervisor at {:.1} dB", db(r));
    }
    assert!(
        customer_whisper > 0.99,
        "in whisper the customer heard the supervisor"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
