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
//! Both need ffmpeg. Where it is not installed they say so on stderr and
//! skip, so that `cargo test` passes on a newcomer's machine; under CI
//! (`CI` set, as `.ci/run` runs, which installs ffmpeg) or with
//! `BARGE_REQUIRE_FFMPEG=1` a missing ffmpeg fails them instead. The call
//! lasts 10 s; every child process is killed if the test fails or runs out
//! of time.

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
