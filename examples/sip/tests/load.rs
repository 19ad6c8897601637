//! Load, bounded: a load generator written here places 100 concurrent calls
//! through the PBX for 30 s (SIP and RTP on loopback, in a network
//! namespace of the test's own), with 10 supervisors switching between
//! monitor and whisper all along: half by RFC 4733 telephone events, half
//! by SIP INFO.
//!
//! Every phone sends its own noise: G.711 μ-law codes from a generator
//! seeded by the call and the party, so that no two streams share a
//! frame. A customer's leg of an 8 kHz PCMU call carries the agent's
//! frames bit for bit (G.711 decodes and encodes back to the same codes,
//! and barge's unity routes are bit-exact) whenever no supervisor talks to
//! the customer, which in monitor and whisper none does. So the test
//! asserts, exactly, what must never happen:
//!
//! - no failed call: every INVITE, feature code, INFO and BYE is answered
//!   with 200, and every customer hears its agent;
//! - no call's audio reaches another call, and no whisper reaches a
//!   customer: every frame a customer receives is silence or one of its
//!   own agent's frames, bit for bit;
//! - the whispers reach the agents (frames that are not the customer's);
//! - memory is flat: the PBX's resident memory 30 s in is within 10 % and
//!   4 MiB of what it was 10 s in.
//!
//! It measures, as a benchmark does, and prints: the lateness of the PBX's
//! RTP packets at the customers against their schedule (the first packet
//! of a stream and its RTP timestamps; p50, p99, max), and the PBX's CPU
//! time per call.
//!
//! It takes 45 s or so and wants an optimised build: `.ci/run` runs it as
//! `cargo test --release -p barge-sip --test load -- --ignored`.

mod common;

use std::collections::HashMap;
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::ua::{answer_calls, pcmu_sdp, Dialog, Message, Uac};
use common::*;

const CALLS: usize = 100;
const SUPERVISORS: usize = 10;
const SECONDS: u64 = 30;
/// How often a supervisor switches mode.
const SWITCH_EVERY: u64 = 100; // ticks: 2 s
const FRAME: usize = 160;

fn secs(s: u64) -> Instant {
    Instant::now() + Duration::from_secs(s)
}

/// Frame `k` of party `party` (0 customer, 1 agent, 2 supervisor) of call
/// `call`: μ-law codes from a generator seeded by all three, never 0x7f
/// (minus zero, which encodes back as 0xff).
fn frame(call: usize, party: usize, k: u64) -> [u8; FRAME] {
    let mut x =
        (call as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ ((party as u64 + 1) << 56) ^ k;
    let mut out = [0u8; FRAME];
    for b in out.iter_mut() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let v = (x >> 24) as u8;
        *b = if v == 0x7f { 0x7e } else { v };
    }
    out
}

fn rtp(pt: u8, marker: bool, seq: u16, ts: u32, ssrc: u32, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![0x80, pt | if marker { 0x80 } else { 0 }];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&ts.to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend_from_slice(payload);
    p
}

/// What one party's receiver saw.
#[derive(Default)]
struct Received {
    /// (arrival, RTP timestamp, payload) of each packet.
    packets: Vec<(Instant, u32, [u8; FRAME])>,
    foreign_size: u64,
}

/// Receives RTP on `socket` until `stop`.
fn receive(socket: UdpSocket, stop: Arc<AtomicBool>) -> Received {
    socket
        .set_read_timeout(Some(Duration::from_millis(100)))
        .expect("a read timeout");
    let mut r = Received::default();
    let mut buf = [0u8; 2048];
    while !stop.load(Ordering::Relaxed) {
        if let Ok(n) = socket.recv(&mut buf) {
            let at = Instant::now();
            if n == 12 + FRAME {
                let ts = u32::from_be_bytes(buf[4..8].try_into().expect("4 bytes"));
                let mut p = [0u8; FRAME];
                p.copy_from_slice(&buf[12..n]);
                r.packets.push((at, ts, p));
            } else {
                r.foreign_size += 1;
            }
        }
    }
    r
}

/// A party's sending side.
struct Sender {
    socket: UdpSocket,
    to: SocketAddr,
    call: usize,
    party: usize,
    ssrc: u32,
    seq: u16,
    ts: u32,
    k: u64,
}

impl Sender {
    fn send_frame(&mut self) {
        let p = rtp(
            0,
            self.k == 0,
            self.seq,
            self.ts,
            self.ssrc,
            &frame(self.call, self.party, self.k),
        );
        let _ = self.socket.send_to(&p, self.to);
        self.seq = self.seq.wrapping_add(1);
        self.ts = self.ts.wrapping_add(FRAME as u32);
        self.k += 1;
    }

    /// An RFC 4733 event for `digit` (code), as packet `n` of its 6: three
    /// updates, then three end packets; all with the event's start
    /// timestamp, which is `start`.
    fn send_event(&mut self, code: u8, start: u32, n: u16) {
        let end = n >= 3;
        let duration = (160 * (n.min(3) + 1)).to_be_bytes();
        let payload = [
            code,
            if end { 0x8a } else { 0x0a },
            duration[0],
            duration[1],
        ];
        let p = rtp(101, n == 0, self.seq, start, self.ssrc, &payload);
        let _ = self.socket.send_to(&p, self.to);
        self.seq = self.seq.wrapping_add(1);
    }
}

/// Resident memory of `pid`, in KiB.
fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// CPU time (user + system) of `pid`, in seconds.
fn cpu_s(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, a)| a);
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // Fields 14 and 15 of stat (utime, stime): 12 and 13 after the name.
    (ticks(11) + ticks(12)) / 100.0
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[test]
#[ignore = "45 s of load: .ci/run runs it in release mode (cargo test --release -p barge-sip --test load -- --ignored)"]
fn a_hundred_calls_with_ten_supervisors_switching_modes() {
    let test = "a_hundred_calls_with_ten_supervisors_switching_modes";
    if !in_own_netns(test, &[]) {
        return;
    }
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("sip-load");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let pbx_addr: SocketAddr = ([127, 0, 0, 1], 5060).into();

    // The agents' phones, and the config that names them.
    let agents: Vec<Uac> = (0..CALLS)
        .map(|i| Uac::new(&format!("agent-{i}"), pbx_addr))
        .collect();
    let mut config = String::new();
    for (i, a) in agents.iter().enumerate() {
        config.push_str(&format!(
            "[[extension]]\nnumber = \"{}\"\nagent = \"agent-{i}\"\ngroups = [\"team\"]\ncontact = \"sip:agent-{i}@{}\"\n\n",
            2000 + i,
            a.local
        ));
    }
    for j in 0..SUPERVISORS {
        config.push_str(&format!(
            "[[supervisor]]\nuser = \"sup-{j}\"\ngroups = [\"lead\", \"team\"]\n\n"
        ));
    }
    config.push_str(
        "[policy]\ngrants = [{ to = { group = \"lead\" }, modes = [\"monitor\", \"whisper\", \"barge\"], on = \"own_team\" }]\n",
    );
    let mut p = Processes::default();
    let mut pbx = Pbx::start(&mut p, &dir, &config, pbx_addr);
    let pid = p_pid(&mut p);

    let stop = Arc::new(AtomicBool::new(false));
    // Each agent answers with an RTP socket of its own; the PBX's RTP
    // address for it comes in the INVITE's SDP.
    let agent_media: Vec<(UdpSocket, Arc<Mutex<Option<SocketAddr>>>)> = (0..CALLS)
        .map(|_| {
            (
                UdpSocket::bind("127.0.0.1:0").unwrap(),
                Arc::new(Mutex::new(None)),
            )
        })
        .collect();
    let mut agent_threads = Vec::new();
    for (a, (rtp, pbx_rtp)) in agents.into_iter().zip(&agent_media) {
        let sdp = pcmu_sdp(rtp.local_addr().unwrap());
        let pbx_rtp = pbx_rtp.clone();
        agent_threads.push(std::thread::spawn(move || {
            let mut byes = 0;
            answer_calls(&a, &sdp, secs(SECONDS + 60), |m: &Message| {
                if m.method() == Some("INVITE") {
                    *pbx_rtp.lock().unwrap() = common::ua::sdp_audio(&m.body);
                }
                if m.method() == Some("BYE") {
                    byes += 1;
                    return false;
                }
                true
            });
            byes
        }));
    }

    // The customers call, all at once.
    let start = Instant::now();
    let customers: Vec<(Uac, UdpSocket)> = (0..CALLS)
        .map(|i| {
            (
                Uac::new(&format!("555{i:04}"), pbx_addr),
                UdpSocket::bind("127.0.0.1:0").unwrap(),
            )
        })
        .collect();
    let dialogs: Vec<Result<Dialog, u16>> = std::thread::scope(|s| {
        let handles: Vec<_> = customers
            .iter()
            .enumerate()
            .map(|(i, (uac, rtp))| {
                let sdp = pcmu_sdp(rtp.local_addr().unwrap());
                s.spawn(move || uac.invite(&format!("{}", 2000 + i), &sdp, secs(30)))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let failed: Vec<String> = dialogs
        .iter()
        .enumerate()
        .filter_map(|(i, d)| d.as_ref().err().map(|s| format!("call {i}: {s}")))
        .collect();
    assert!(failed.is_empty(), "calls failed: {failed:?}");
    println!(
        "{test}: {CALLS} calls answered in {:.2} s",
        start.elapsed().as_secs_f64()
    );
    let mut dialogs: Vec<Dialog> = dialogs.into_iter().map(Result::unwrap).collect();

    // Receivers: every customer, every agent, every supervisor.
    let mut receivers = Vec::new();
    let mut senders = Vec::new();
    for (i, (_, rtp)) in customers.iter().enumerate() {
        let to = dialogs[i]
            .remote_rtp
            .expect("the PBX's SDP for the customer");
        let s = stop.clone();
        let r = rtp.try_clone().unwrap();
        receivers.push(std::thread::spawn(move || receive(r, s)));
        senders.push(Sender {
            socket: rtp.try_clone().unwrap(),
            to,
            call: i,
            party: 0,
            ssrc: 0x1000_0000 + i as u32,
            seq: 0,
            ts: 0,
            k: 0,
        });
    }
    for (i, (rtp, pbx_rtp)) in agent_media.iter().enumerate() {
        let to = pbx_rtp
            .lock()
            .unwrap()
            .expect("the PBX's SDP for the agent");
        let s = stop.clone();
        let r = rtp.try_clone().unwrap();
        receivers.push(std::thread::spawn(move || receive(r, s)));
        senders.push(Sender {
            socket: rtp.try_clone().unwrap(),
            to,
            call: i,
            party: 1,
            ssrc: 0x2000_0000 + i as u32,
            seq: 0,
            ts: 0,
            k: 0,
        });
    }
    // The supervisors dial *222<ext> of calls 0..10.
    let sups: Vec<(Uac, UdpSocket)> = (0..SUPERVISORS)
        .map(|j| {
            (
                Uac::new(&format!("sup-{j}"), pbx_addr),
                UdpSocket::bind("127.0.0.1:0").unwrap(),
            )
        })
        .collect();
    let mut sup_dialogs = Vec::new();
    for (j, (uac, rtp)) in sups.iter().enumerate() {
        let d = uac
            .invite(
                &format!("*222{}", 2000 + j),
                &pcmu_sdp(rtp.local_addr().unwrap()),
                secs(10),
            )
            .unwrap_or_else(|s| panic!("supervisor {j}: {s}"));
        let s = stop.clone();
        let r = rtp.try_clone().unwrap();
        receivers.push(std::thread::spawn(move || receive(r, s)));
        senders.push(Sender {
            socket: rtp.try_clone().unwrap(),
            to: d.remote_rtp.expect("the PBX's SDP for the supervisor"),
            call: j,
            party: 2,
            ssrc: 0x3000_0000 + j as u32,
            seq: 0,
            ts: 0,
            k: 0,
        });
        sup_dialogs.push(d);
    }

    // Media for SECONDS, every party on a steady 20 ms schedule; the
    // supervisors switch mode every 2 s: even ones by RFC 4733, odd ones
    // by SIP INFO (from a thread of their own, so that the schedule keeps).
    let (info_tx, info_rx) = std::sync::mpsc::channel::<(usize, char)>();
    let sip_sups: Vec<(Uac, Dialog)> = sups
        .into_iter()
        .zip(sup_dialogs)
        .map(|((uac, _), d)| (uac, d))
        .collect();
    let info_thread = std::thread::spawn(move || {
        let mut sups = sip_sups;
        let mut results = Vec::new();
        while let Ok((j, key)) = info_rx.recv() {
            let (uac, d) = &mut sups[j];
            let body = format!("Signal={key}\r\nDuration=160\r\n");
            let got = uac.in_dialog(
                d,
                "INFO",
                "Content-Type: application/dtmf-relay\r\n",
                &body,
                secs(5),
            );
            results.push((j, key, got));
        }
        // Then the supervisors hang up.
        let byes: Vec<Option<u16>> = sups
            .iter_mut()
            .map(|(uac, d)| uac.in_dialog(d, "BYE", "", "", secs(10)))
            .collect();
        (results, byes)
    });
    let measure_from = Instant::now();
    let ticks = SECONDS * 50;
    let mut rss_10s = 0;
    let mut cpu_from = None;
    let mut switches = 0usize;
    let mut events: Vec<Option<(u8, u32, u16)>> = vec![None; SUPERVISORS];
    for tick in 0..ticks {
        let deadline = measure_from + Duration::from_millis(20 * tick);
        if let Some(wait) = deadline.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        for s in senders.iter_mut() {
            s.send_frame();
        }
        // Supervisors' keys: 5 (whisper) and 4 (monitor) in turn.
        if tick % SWITCH_EVERY == 50 {
            let key = if (tick / SWITCH_EVERY) % 2 == 0 {
                '5'
            } else {
                '4'
            };
            for j in 0..SUPERVISORS {
                if j % 2 == 1 {
                    let _ = info_tx.send((j, key));
                } else {
                    let s = &senders[2 * CALLS + j];
                    events[j] = Some((key as u8 - b'0', s.ts, 0));
                }
            }
            switches += 1;
        }
        for (j, e) in events.iter_mut().enumerate() {
            if let Some((code, start, n)) = e {
                let s = &mut senders[2 * CALLS + j];
                s.send_event(*code, *start, *n);
                if *n == 2 {
                    // The three end packets at once.
                    s.send_event(*code, *start, 3);
                    s.send_event(*code, *start, 4);
                    s.send_event(*code, *start, 5);
                    *e = None;
                } else {
                    *n += 1;
                }
            }
        }
        if tick == 5 * 50 {
            cpu_from = Some((Instant::now(), cpu_s(pid)));
        }
        if tick == 10 * 50 {
            rss_10s = rss_kib(pid);
        }
    }
    let rss_end = rss_kib(pid);
    let (cpu_t0, cpu0) = cpu_from.expect("the run lasts more than 5 s");
    let cpu = cpu_s(pid) - cpu0;
    let wall = cpu_t0.elapsed().as_secs_f64();
    // Hang up: supervisors (after their last INFO), then customers.
    drop(info_tx);
    let (info_results, sup_byes) = info_thread.join().unwrap();
    assert!(
        sup_byes.iter().all(|b| *b == Some(200)),
        "supervisors' BYEs: {sup_byes:?}"
    );
    let byes: Vec<Option<u16>> = std::thread::scope(|s| {
        let handles: Vec<_> = customers
            .iter()
            .zip(dialogs.iter_mut())
            .map(|((uac, _), d)| s.spawn(move || uac.in_dialog(d, "BYE", "", "", secs(20))))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    stop.store(true, Ordering::Relaxed);
    let received: Vec<Received> = receivers.into_iter().map(|h| h.join().unwrap()).collect();
    let agent_byes: Vec<i32> = agent_threads
        .into_iter()
        .map(|h| h.join().unwrap())
        .collect();
    let deadline = secs(10);
    let mut ended = 0;
    while ended < CALLS && Instant::now() < deadline {
        pbx.out.wait_for("timeline", deadline, "the PBX");
        ended += 1;
    }
    pbx.out.drain();
    let log = pbx.out.all();

    // Signalling: nothing failed.
    assert!(
        byes.iter().all(|b| *b == Some(200)),
        "customers' BYEs: {byes:?}"
    );
    assert!(
        agent_byes.iter().all(|&b| b == 1),
        "agents' BYEs: {agent_byes:?}"
    );
    assert!(
        info_results.iter().all(|(_, _, got)| *got == Some(200)),
        "INFO answers: {info_results:?}"
    );
    // Each change is printed as it happens and again in its call's
    // timeline (indented): count the first.
    let changes = log
        .lines()
        .filter(|l| {
            l.starts_with("call ")
                && (l.contains("-> whisper (key 5") || l.contains("-> monitor (key 4"))
        })
        .count();
    println!(
        "{test}: {} mode changes by key ({} rounds of {SUPERVISORS} supervisors)",
        changes, switches
    );
    assert_eq!(
        changes,
        switches * SUPERVISORS,
        "every key switched its supervisor's mode"
    );

    // Media: each customer hears its own agent's frames and nothing else.
    let agent_frames: Vec<HashMap<[u8; FRAME], u64>> = (0..CALLS)
        .map(|i| {
            (0..(SECONDS * 50 + 100))
                .map(|k| (frame(i, 1, k), k))
                .collect()
        })
        .collect();
    let customer_frames: Vec<HashMap<[u8; FRAME], u64>> = (0..CALLS)
        .map(|i| {
            (0..(SECONDS * 50 + 100))
                .map(|k| (frame(i, 0, k), k))
                .collect()
        })
        .collect();
    let silence = [0xffu8; FRAME];
    let mut lateness = Vec::new();
    let mut problems = Vec::new();
    let (mut all_own, mut all_silent, mut all_mixed) = (0usize, 0usize, 0usize);
    for i in 0..CALLS {
        let r = &received[i];
        let (mut own, mut silent, mut foreign) = (0, 0, 0);
        for (_, _, p) in &r.packets {
            if agent_frames[i].contains_key(p) {
                own += 1;
            } else if *p == silence {
                silent += 1;
            } else {
                foreign += 1;
            }
        }
        all_own += own;
        all_silent += silent;
        if foreign > 0 || own < (SECONDS * 50 * 9 / 10) as usize {
            problems.push(format!(
                "customer {i}: {own} frames of its agent, {silent} silent, {foreign} of anything else"
            ));
        }
        // Lateness against the stream's schedule.
        if let Some(&(t0, ts0, _)) = r.packets.first() {
            let late: Vec<f64> = r
                .packets
                .iter()
                .map(|&(t, ts, _)| {
                    let due =
                        t0 + Duration::from_secs_f64(f64::from(ts.wrapping_sub(ts0)) / 8000.0);
                    t.duration_since(t0).as_secs_f64() - due.duration_since(t0).as_secs_f64()
                })
                .collect();
            let min = late.iter().cloned().fold(f64::MAX, f64::min);
            lateness.extend(late.iter().map(|l| (l - min) * 1000.0));
        }
        // The agents: their customer's frames, and where a supervisor
        // whispers, others.
        let a = &received[CALLS + i];
        let (mut exact, mut mixed) = (0, 0);
        for (_, _, p) in &a.packets {
            if customer_frames[i].contains_key(p) {
                exact += 1;
            } else if *p != silence {
                mixed += 1;
            }
        }
        if i < SUPERVISORS {
            all_mixed += mixed;
        }
        if i < SUPERVISORS && mixed < 250 {
            problems.push(format!(
                "agent {i}: the whisper reached it in {mixed} frames only"
            ));
        }
        if i >= SUPERVISORS && (mixed > 0 || exact < (SECONDS * 50 * 9 / 10) as usize) {
            problems.push(format!(
                "agent {i} (no supervisor): {exact} frames of its customer, {mixed} of anything else"
            ));
        }
    }
    println!(
        "{test}: the customers received {all_own} frames of their own agents, {all_silent} silent ones, and none of anything else; the supervised agents {all_mixed} frames with a whisper"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    lateness.sort_by(f64::total_cmp);
    println!(
        "{test}: lateness of the PBX's packets at the customers, against their schedule: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({} packets)",
        percentile(&lateness, 0.5),
        percentile(&lateness, 0.99),
        lateness.last().copied().unwrap_or(0.0),
        lateness.len()
    );
    println!(
        "{test}: the PBX's CPU: {:.2} s in {:.1} s for {CALLS} calls and {SUPERVISORS} supervisors: {:.3} % of a core per call",
        cpu,
        wall,
        cpu / wall * 100.0 / CALLS as f64
    );
    println!(
        "{test}: the PBX's resident memory: {} KiB 10 s in, {} KiB at {SECONDS} s",
        rss_10s, rss_end
    );
    assert!(
        rss_end as f64 <= rss_10s as f64 * 1.1 + 4096.0,
        "memory grew: {rss_10s} KiB -> {rss_end} KiB"
    );
}

/// The PBX's process id.
fn p_pid(p: &mut Processes) -> u32 {
    p.pid("barge-sip").expect("the PBX runs")
}
