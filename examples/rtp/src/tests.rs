//! The jitter buffer and the keypad, played tick by tick.

use std::net::{SocketAddr, UdpSocket};

use barge::dtmf::Digit;
use barge::g711::Law;
use barge::media::{Fill, PayloadSource};
use rtp_rs::{RtpPacketBuilder, Seq};

use crate::*;

const SPF: usize = 160;
/// Two frames of playout delay.
const DELAY: u64 = 2 * SPF as u64;

/// The customer's phone, and a stranger.
fn peer() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 5004))
}
fn stranger() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 6666))
}

fn buffer() -> JitterBuffer {
    JitterBuffer::new(0, Law::Ulaw.silence(), DELAY, 16_000)
}

fn packet(ssrc: u32, seq: u16, ts: u32, byte: u8, len: usize) -> Vec<u8> {
    RtpPacketBuilder::new()
        .payload_type(0)
        .ssrc(ssrc)
        .sequence(Seq::from(seq))
        .timestamp(ts)
        .payload(&vec![byte; len])
        .build()
        .unwrap()
}

/// Frame `k` of stream 7: sequence `k`, payload all `k + 1`.
fn frame(k: u16) -> Vec<u8> {
    packet(7, k, 1000 + u32::from(k) * SPF as u32, k as u8 + 1, SPF)
}

/// Frame `k` of stream 8 (another sender): payload all `200 + k % 50`.
fn other(k: u16) -> Vec<u8> {
    packet(
        8,
        900 + k,
        55 + u32::from(k) * SPF as u32,
        200 + (k % 50) as u8,
        SPF,
    )
}

/// Plays one tick; returns what the frame held (0 for silence).
fn play(jb: &mut JitterBuffer) -> u8 {
    let mut p = [0u8; SPF];
    match jb.fill_payload(&mut p) {
        Fill::Frame => {
            assert!(p.iter().all(|&b| b == p[0]), "one packet per frame");
            p[0]
        }
        _ => {
            assert!(p.iter().all(|&b| b == Law::Ulaw.silence()));
            0
        }
    }
}

/// Runs `ticks` ticks: before each one's frame plays, `send(tick)`
/// says which packets came (from the customer's phone); returns what
/// was heard.
fn call(jb: &mut JitterBuffer, ticks: u16, send: impl Fn(u16) -> Vec<Vec<u8>>) -> Vec<u8> {
    (0..ticks)
        .map(|tick| {
            for p in send(tick) {
                jb.push(peer(), &p, u64::from(tick));
            }
            play(jb)
        })
        .collect()
}

/// What a stream of `frame`s one a tick from tick 0 sounds like with
/// the buffer's delay of `delay` frames, for `ticks` ticks.
fn heard_on_time(delay: usize, ticks: usize) -> Vec<u8> {
    (0..ticks)
        .map(|t| if t < delay { 0 } else { (t - delay) as u8 + 1 })
        .collect()
}

#[test]
fn packets_in_order_play_after_the_delay() {
    let mut jb = buffer();
    let heard = call(&mut jb, 6, |t| vec![frame(t)]);
    assert_eq!(heard, [0, 0, 1, 2, 3, 4]);
    assert_eq!(jb.first_packet_tick, Some(0));
    assert_eq!(jb.source, Some(peer()));
    assert_eq!((jb.stats.frames_played, jb.stats.frames_missing), (4, 2));
    assert_eq!(jb.stats.frames_lost, 0);
    assert_eq!((jb.stats.resyncs, jb.stats.probation), (0, 2));
}

#[test]
fn reordered_and_duplicated_packets_play_once_in_order() {
    let mut jb = buffer();
    for k in [0, 1, 3, 2, 2, 4, 1] {
        jb.push(peer(), &frame(k), 0);
    }
    let heard: Vec<u8> = (0..7).map(|_| play(&mut jb)).collect();
    assert_eq!(heard, [0, 0, 1, 2, 3, 4, 5]);
    assert_eq!((jb.stats.reordered, jb.stats.duplicates), (1, 2));
}

#[test]
fn a_missing_packet_is_a_missing_frame_and_a_late_one_is_dropped() {
    let mut jb = buffer();
    let heard = call(&mut jb, 8, |t| match t {
        3 => vec![],
        // Frame 3 played (as silence) at tick 5.
        6 => vec![frame(3), frame(6)],
        t => vec![frame(t)],
    });
    assert_eq!(heard, [0, 0, 1, 2, 3, 0, 5, 6]);
    // The two ticks of the buffer's delay are missing (the stream has not
    // begun); frame 3, between audio that arrived, is lost.
    assert_eq!(
        (jb.stats.late, jb.stats.frames_missing, jb.stats.frames_lost),
        (1, 2, 1)
    );
}

#[test]
fn packets_of_any_size_and_wrapping_timestamps_fill_frames() {
    let mut jb = buffer();
    let ts0 = u32::MAX - 100;
    for k in 0..6u16 {
        let ts = ts0.wrapping_add(u32::from(k) * 80);
        jb.push(peer(), &packet(9, k, ts, k as u8 / 2 + 1, 80), 0);
    }
    let heard: Vec<u8> = (0..5).map(|_| play(&mut jb)).collect();
    assert_eq!(heard, [0, 0, 1, 2, 3]);
}

#[test]
fn a_stray_packet_with_a_new_ssrc_changes_nothing() {
    let mut jb = buffer();
    let heard = call(&mut jb, 10, |t| match t {
        4 => vec![packet(99, 7, 123_456, 99, SPF), frame(4)],
        6 => vec![frame(6), packet(98, 1, 0, 98, SPF)],
        t => vec![frame(t)],
    });
    assert_eq!(heard, heard_on_time(2, 10));
    assert_eq!((jb.stats.resyncs, jb.stats.probation), (0, 4));
}

#[test]
fn a_stream_interleaved_with_the_playing_one_never_replaces_it() {
    let mut jb = buffer();
    // Another sender's stream in sequence, at times two packets between
    // two of the playing stream's, and junk with a new SSRC each packet.
    let heard = call(&mut jb, 40, |t| {
        let mut p = vec![frame(t)];
        if t >= 3 {
            p.insert(usize::from(t % 3 == 0), other(2 * t));
            p.push(other(2 * t + 1));
            p.push(packet(
                1000 + u32::from(t),
                t * 7,
                u32::from(t) * 999,
                77,
                SPF,
            ));
        }
        p
    });
    assert_eq!(heard, heard_on_time(2, 40));
    assert_eq!(jb.stats.resyncs, 0);
}

#[test]
fn a_new_stream_replaces_a_quiet_one_and_loses_nothing() {
    // 120 ms of delay: more than the quiet a new stream waits for.
    let mut jb = JitterBuffer::new(0, Law::Ulaw.silence(), 6 * SPF as u64, 16_000);
    let heard = call(&mut jb, 24, |t| {
        if t < 5 {
            vec![frame(t)]
        } else {
            // The sender restarted with a new SSRC at tick 5.
            vec![other(t - 5)]
        }
    });
    let mut expected = heard_on_time(6, 11);
    expected.extend((0..13).map(|k| 200 + k));
    assert_eq!(heard, expected);
    assert_eq!(jb.stats.resyncs, 1);
}

#[test]
fn a_catch_up_burst_after_a_stall_plays_on_time_and_drops_the_late() {
    // The sender stalls for 0.3 s, then for 0.4 s, sending what it
    // missed in a burst each time; 100 ms (5 frames) of delay.
    let mut jb = JitterBuffer::new(0, Law::Ulaw.silence(), 5 * SPF as u64, 16_000);
    let heard = call(&mut jb, 80, |t| match t {
        10..25 | 40..60 => vec![],
        25 => (10..=25).map(frame).collect(),
        60 => (40..=60).map(frame).collect(),
        t => vec![frame(t)],
    });
    // Frame k plays at tick k + 5 whenever it came in time: frames
    // 10..20 were due before the burst at 25 and are silence, as are
    // 40..55 before the burst at 60; every frame after plays on time.
    let expected: Vec<u8> = (0..80)
        .map(|t: usize| match t {
            0..5 => 0,
            15..25 | 45..60 => 0,
            t => (t - 5) as u8 + 1,
        })
        .collect();
    assert_eq!(heard, expected);
    assert_eq!((jb.stats.late, jb.stats.resyncs), (10 + 15, 0));
}

#[test]
fn a_sender_that_jumped_is_followed_after_a_run_of_strays() {
    let mut jb = buffer();
    // At tick 5 the sender jumps a minute ahead, one packet a tick.
    let jumped = |t: u16| {
        let ts = 1000 + 480_000 + u32::from(t) * SPF as u32;
        packet(7, t, ts, 100 + t as u8, SPF)
    };
    let heard = call(&mut jb, 16, |t| {
        vec![if t < 5 { frame(t) } else { jumped(t) }]
    });
    // Dropped as early for 100 ms (ticks 5 to 9), anchored again at
    // tick 10, heard two frames later.
    assert_eq!((jb.stats.early, jb.stats.resyncs), (5, 1));
    assert_eq!(&heard[..7], &heard_on_time(2, 7)[..]);
    assert_eq!(&heard[7..12], [0; 5]);
    assert_eq!(&heard[12..], [110, 111, 112, 113]);
}

#[test]
fn only_the_latched_source_is_heard() {
    let mut jb = buffer();
    let mut heard = Vec::new();
    for t in 0..10u16 {
        // A stranger's stream starts one packet before the customer's,
        // and goes on alongside it.
        jb.push(stranger(), &other(t), u64::from(t));
        if t >= 1 {
            jb.push(peer(), &frame(t - 1), u64::from(t));
        }
        heard.push(play(&mut jb));
    }
    // The stranger's stream passed probation first (tick 1) and was
    // latched: the customer's phone is the foreigner here.
    assert_eq!(jb.source, Some(stranger()));
    assert_eq!(jb.stats.foreign, 9);
    assert!(heard.iter().all(|&b| b == 0 || b >= 200));

    // Latched on the customer, nothing of the stranger's is heard.
    let mut jb = buffer();
    let heard = call(&mut jb, 10, |t| vec![frame(t)]);
    for t in 10..20u16 {
        jb.push(stranger(), &other(t), u64::from(t));
        jb.push(stranger(), &frame(t), u64::from(t));
        jb.push(peer(), &frame(t), u64::from(t));
    }
    let after: Vec<u8> = (0..10).map(|_| play(&mut jb)).collect();
    assert_eq!(heard, heard_on_time(2, 10));
    assert_eq!(after, (9..19).collect::<Vec<u8>>());
    assert_eq!(jb.stats.foreign, 20);
}

#[test]
fn a_tick_reads_at_most_the_bound_and_leaves_the_rest() {
    let rx = UdpSocket::bind("127.0.0.1:0").unwrap();
    rx.set_nonblocking(true).unwrap();
    let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
    let n = MAX_READS_PER_TICK + 36;
    for k in 0..n {
        tx.send_to(&frame(k as u16), rx.local_addr().unwrap())
            .unwrap();
    }
    let mut jb = buffer();
    let mut buf = [0u8; MAX_DATAGRAM];
    // Loopback delivers a datagram before send_to returns.
    assert_eq!(
        receive(&rx, &mut jb, &mut buf, 0).unwrap(),
        MAX_READS_PER_TICK
    );
    assert_eq!(receive(&rx, &mut jb, &mut buf, 1).unwrap(), 36);
    assert_eq!(receive(&rx, &mut jb, &mut buf, 2).unwrap(), 0);
    assert_eq!(jb.stats.packets, n);
    assert_eq!(
        (jb.stats.most_read_in_a_tick, jb.stats.ticks_at_read_bound),
        (MAX_READS_PER_TICK, 1)
    );
}

#[test]
fn what_is_not_rtp_of_the_codec_is_counted_and_ignored() {
    let mut jb = buffer();
    jb.push(peer(), b"hello", 0);
    let mut pcma = frame(0);
    pcma[1] = 8;
    jb.push(peer(), &pcma, 0);
    assert_eq!((jb.stats.not_rtp, jb.stats.wrong_payload_type), (1, 1));
    assert_eq!((jb.first_packet_tick, jb.source), (None, None));
    assert_eq!(jb.stats.packets, 0);
}

/// An RFC 4733 event packet of stream `ssrc`, payload type 101.
fn event(ssrc: u32, seq: u16, ts: u32, code: u8, end: bool, duration: u16) -> Vec<u8> {
    let [d0, d1] = duration.to_be_bytes();
    let flags = if end { 0x80 } else { 0 } | 10;
    RtpPacketBuilder::new()
        .payload_type(101)
        .ssrc(ssrc)
        .sequence(Seq::from(seq))
        .timestamp(ts)
        .payload(&[code, flags, d0, d1])
        .build()
        .unwrap()
}

/// The RTP timestamp of frame `k` of stream 7.
fn ts_of(k: u16) -> u32 {
    1000 + u32::from(k) * SPF as u32
}

/// A supervisor's buffer with telephone events of payload type 101.
fn keypad_buffer() -> JitterBuffer {
    let mut jb = buffer();
    jb.keypad = Some(Keypad::new(101));
    jb
}

/// Like `call`, also taking the key presses due before each tick's
/// frame plays: (tick, digit).
fn keyed_call(
    jb: &mut JitterBuffer,
    ticks: u16,
    send: impl Fn(u16) -> Vec<(SocketAddr, Vec<u8>)>,
) -> (Vec<u8>, Vec<(u16, char)>) {
    let mut pressed = Vec::new();
    let heard = (0..ticks)
        .map(|tick| {
            for (from, p) in send(tick) {
                jb.push(from, &p, u64::from(tick));
            }
            let before = jb.play + SPF as u64;
            while let Some(d) = jb.keypad.as_mut().unwrap().due(before) {
                pressed.push((tick, d.as_char()));
            }
            play(jb)
        })
        .collect();
    (heard, pressed)
}

fn stats(jb: &JitterBuffer) -> EventStats {
    jb.keypad.as_ref().unwrap().stats
}

#[test]
fn a_telephone_event_payload_is_parsed_and_a_short_one_refused() {
    for n in 0..4 {
        assert_eq!(
            parse_telephone_event(&[5, 0x8a, 2, 0][..n]),
            None,
            "{n} bytes"
        );
    }
    assert_eq!(
        parse_telephone_event(&[5, 0x8a, 0x0a, 0x00]),
        Some(TelephoneEvent {
            code: 5,
            end: true,
            volume: 10,
            duration: 2560
        })
    );
    // The reserved bit is not the volume; bytes past the event are not
    // read; any code parses (the caller ignores those above 15).
    assert_eq!(
        parse_telephone_event(&[200, 0x7f, 0x01, 0x40, 9, 9, 9]),
        Some(TelephoneEvent {
            code: 200,
            end: false,
            volume: 63,
            duration: 320
        })
    );
    assert!(Digit::from_event_code(16).is_err());
}

#[test]
fn one_key_press_per_event_due_at_its_start_and_its_span_is_silence() {
    let mut jb = keypad_buffer();
    // The phone keeps sending audio while key 5 is held from frame 5's
    // start for 4 frames: the start packet three times, updates, and
    // three end packets, all with frame 5's timestamp.
    let (heard, pressed) = keyed_call(&mut jb, 20, |t| {
        let mut p = vec![frame(t)];
        let e = |seq, end, d| event(7, seq, ts_of(5), 5, end, d);
        match t {
            5 => p.extend([e(100, false, 160), e(101, false, 160), e(102, false, 160)]),
            6 => p.push(e(103, false, 320)),
            7 => p.push(e(104, false, 480)),
            8 => p.extend([e(105, true, 640), e(106, true, 640), e(107, true, 640)]),
            _ => {}
        }
        p.into_iter().map(|p| (peer(), p)).collect()
    });
    // Frame 5 plays at tick 7 (two frames of delay): the press is due
    // then, not when its packet came, and frames 5 to 8 are silence.
    assert_eq!(pressed, [(7, '5')]);
    let mut expected = heard_on_time(2, 20);
    expected[7..11].fill(0);
    assert_eq!(heard, expected);
    let e = stats(&jb);
    assert_eq!((e.packets, e.presses, e.repeats, e.ends), (8, 1, 7, 3));
    assert_eq!((e.stale, e.unknown, e.volumes), (0, 0, Some((10, 10))));
    // Events are not audio, nor bad packets.
    assert_eq!((jb.stats.packets, jb.stats.wrong_payload_type), (20, 0));
}

#[test]
fn an_event_still_held_silences_past_its_reported_duration() {
    let mut jb = keypad_buffer();
    // Key 1 from frame 4; its end packets are lost.
    let (heard, pressed) = keyed_call(&mut jb, 16, |t| {
        let mut p = vec![frame(t)];
        if t == 4 {
            p.push(event(7, 50, ts_of(4), 1, false, 160));
        }
        p.into_iter().map(|p| (peer(), p)).collect()
    });
    // 160 samples reported and 800 more while held: frames 4 to 9.
    assert_eq!(pressed, [(6, '1')]);
    let mut expected = heard_on_time(2, 16);
    expected[6..12].fill(0);
    assert_eq!(heard, expected);
}

#[test]
fn reordered_lost_unknown_and_foreign_events_press_nothing_twice() {
    let mut jb = keypad_buffer();
    let (_, pressed) = keyed_call(&mut jb, 30, |t| {
        let mut p = vec![(peer(), frame(t))];
        let ev = |ts, code, end, d| (peer(), event(7, 200 + t, ts, code, end, d));
        match t {
            // Before any stream plays: not taken.
            0 => p.push(ev(ts_of(0), 9, true, 160)),
            // Key 1, then key 2 whose start overtakes key 1's end.
            3 => p.push(ev(ts_of(3), 1, false, 160)),
            6 => {
                p.push(ev(ts_of(6), 2, false, 160));
                p.push(ev(ts_of(3), 1, true, 480));
            }
            7 => p.push(ev(ts_of(6), 2, true, 320)),
            // Key 3's start and updates are lost: its end packets press it.
            12 => {
                for _ in 0..3 {
                    p.push(ev(ts_of(10), 3, true, 320));
                }
            }
            // Flash (16) and an unassigned code: ignored, once each.
            15 => {
                p.push(ev(ts_of(15), 16, false, 160));
                p.push(ev(ts_of(15), 16, true, 320));
                p.push(ev(ts_of(16), 255, true, 160));
            }
            // Too short, a minute ahead, another SSRC, a stranger.
            18 => {
                p.push((peer(), {
                    let mut e = event(7, 1, ts_of(18), 4, false, 160);
                    e.truncate(12 + 3);
                    e
                }));
                p.push(ev(ts_of(18) + 480_000, 4, false, 160));
                p.push((peer(), event(8, 1, ts_of(19), 4, false, 160)));
                p.push((stranger(), event(7, 1, ts_of(20), 4, false, 160)));
            }
            _ => {}
        }
        p
    });
    assert_eq!(pressed, [(5, '1'), (8, '2'), (12, '3')]);
    let e = stats(&jb);
    assert_eq!((e.presses, e.unknown, e.short), (3, 2, 1));
    // Key 1's late end packet, and the event a minute ahead.
    assert_eq!((e.stale, e.not_playing), (2, 2));
    assert_eq!((e.repeats, e.ends), (4, 7));
    assert_eq!(jb.stats.foreign, 1);
}

#[test]
fn a_new_stream_starts_the_events_timestamps_over() {
    // 120 ms of delay; the phone restarts at tick 5 with a new SSRC
    // (stream 8) whose timestamps are behind stream 7's.
    let mut jb = JitterBuffer::new(0, Law::Ulaw.silence(), 6 * SPF as u64, 16_000);
    jb.keypad = Some(Keypad::new(101));
    let (_, pressed) = keyed_call(&mut jb, 30, |t| {
        let mut p = vec![if t < 5 { frame(t) } else { other(t - 5) }];
        if t == 2 {
            p.push(event(7, 1, ts_of(2), 4, true, 160));
        }
        if t == 20 {
            p.push(event(8, 1, 55 + 15 * SPF as u32, 6, true, 160));
        }
        p.into_iter().map(|p| (peer(), p)).collect()
    });
    assert_eq!(pressed.iter().map(|p| p.1).collect::<String>(), "46");
    assert_eq!(stats(&jb).stale, 0);
}
