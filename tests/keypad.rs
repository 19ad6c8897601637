//! Supervisor modes from the keypad: RFC 4733 digits the host hands in,
//! and in-band tones the session finds in the supervisor's audio; how much
//! of a key press anyone hears.

#[allow(dead_code)]
#[path = "../examples/common/voice.rs"]
mod voice;

use std::time::Duration;

use barge::dtmf::Digit;
use barge::keypad::DtmfMap;
use barge::tone::{ToneGenerator, ToneSpec};
use barge::{Error, Event, Format, Join, Mode, PartyId, Role, SampleRate, Session};

fn call(mode: Mode) -> (Session<i16>, PartyId, PartyId, PartyId) {
    let mut s = Session::<i16>::new(Format::NARROWBAND_20MS);
    s.set_ramp(Duration::ZERO).unwrap();
    let c = s.join(Role::Customer).unwrap();
    let a = s.join(Role::Agent).unwrap();
    let v = s.join(Join::supervisor(mode)).unwrap();
    while s.poll_event().is_some() {}
    (s, c, a, v)
}

fn digit(c: char) -> Digit {
    Digit::from_char(c).unwrap()
}

#[test]
fn the_presets_are_what_chanspy_and_eavesdrop_users_know() {
    let table = [
        (
            DtmfMap::CHANSPY,
            "456",
            [Mode::Monitor, Mode::Whisper, Mode::Barge],
        ),
        (
            DtmfMap::EAVESDROP,
            "0123",
            [Mode::Monitor, Mode::CustomerOnly, Mode::Whisper],
        ),
    ];
    for (map, keys, modes) in table {
        for (k, m) in keys.chars().zip(modes) {
            assert_eq!(map.mode(digit(k)), Some(m), "{k}");
        }
    }
    assert_eq!(DtmfMap::EAVESDROP.mode(digit('3')), Some(Mode::Barge));
    for k in "789*#ABCD".chars() {
        assert_eq!(DtmfMap::CHANSPY.mode(digit(k)), None);
        assert_eq!(DtmfMap::EAVESDROP.mode(digit(k)), None);
    }
    assert_eq!(DtmfMap::CHANSPY.mode(digit('0')), None);
    assert_eq!(DtmfMap::EAVESDROP.mode(digit('4')), None);
}

#[test]
fn a_pressed_digit_switches_the_mode_as_set_mode_does() {
    let (mut s, c, _a, v) = call(Mode::Monitor);
    s.set_dtmf_map(DtmfMap::EAVESDROP);
    s.mix();
    assert_eq!(s.press(v, digit('2')), Ok(Some(Mode::Whisper)));
    assert_eq!(s.mode(v), Ok(Some(Mode::Whisper)));
    let events: Vec<Event> = std::iter::from_fn(|| s.poll_event()).collect();
    assert_eq!(
        events,
        [
            Event::DigitPressed {
                party: v,
                label: None,
                digit: digit('2'),
                in_band: false,
                mode: Some(Mode::Whisper),
                at: 1
            },
            Event::ModeChanged {
                party: v,
                label: None,
                from: Mode::Monitor,
                to: Mode::Whisper,
                at: 1
            }
        ]
    );
    // A digit the map does not know is on the audit trail, nothing more.
    assert_eq!(s.press(v, digit('9')), Ok(None));
    assert_eq!(s.mode(v), Ok(Some(Mode::Whisper)));
    // Only supervisors press.
    let before = s.clone();
    assert_eq!(
        s.press(c, digit('3')),
        Err(Error::NotASupervisor {
            party: c,
            role: Role::Customer
        })
    );
    assert_eq!(
        s.detect_dtmf(c, true),
        Err(Error::NotASupervisor {
            party: c,
            role: Role::Customer
        })
    );
    assert_eq!(s, before);
}

/// Runs a call in which the supervisor, in `mode`, says nothing but a key
/// press (a 100 ms tone of `key` after 100 ms of silence, at Q.23 levels),
/// while the customer and agent are silent; returns what the customer and
/// the agent heard and the events.
fn key_press(mode: Mode, key: char, rate: u32) -> (Vec<i16>, Vec<i16>, Vec<Event>, Session<i16>) {
    let (mut s, c, a, v) = call(mode);
    s.set_dtmf_map(DtmfMap::CHANSPY);
    if rate != 8000 {
        s.set_leg_format(v, Format::new(rate, 20).unwrap()).unwrap();
    }
    s.detect_dtmf(v, true).unwrap();
    let n = (rate / 50) as usize;
    let rate_enum = SampleRate::from_hz(rate).unwrap();
    let mut tone = ToneGenerator::new(&ToneSpec::dtmf(digit(key), 100, 100), rate_enum).unwrap();
    let (mut to_c, mut to_a) = (Vec::new(), Vec::new());
    for tick in 0..20 {
        let mut f = vec![0i16; n];
        if tick >= 5 {
            tone.fill(&mut f);
        }
        s.put_frame(v, &f).unwrap();
        s.mix();
        to_c.extend_from_slice(s.output(c).unwrap());
        to_a.extend_from_slice(s.output(a).unwrap());
    }
    let events = std::iter::from_fn(|| s.poll_event()).collect();
    (to_c, to_a, events, s)
}

fn heard_ms(x: &[i16]) -> f64 {
    // From the first to the last sample that is not silence.
    let first = x.iter().position(|&v| v != 0);
    let last = x.iter().rposition(|&v| v != 0);
    match (first, last) {
        (Some(f), Some(l)) => (l - f + 1) as f64 / 8.0,
        _ => 0.0,
    }
}

#[test]
fn an_in_band_digit_switches_the_mode_and_little_of_it_is_heard() {
    for rate in [8000, 16000, 48000] {
        let (to_c, to_a, events, s) = key_press(Mode::Barge, '5', rate);
        let pressed: Vec<&Event> = events
            .iter()
            .filter(|e| matches!(e, Event::DigitPressed { .. }))
            .collect();
        assert_eq!(pressed.len(), 1, "{rate} Hz: {events:?}");
        let &&Event::DigitPressed {
            digit: d,
            in_band,
            mode,
            at,
            ..
        } = &pressed[0]
        else {
            unreachable!()
        };
        assert_eq!((d, in_band, mode), (digit('5'), true, Some(Mode::Whisper)));
        // The tone starts at tick 5; recognised within 30 ms and one frame.
        assert!((6..=8).contains(&at), "{rate} Hz: recognised for tick {at}");
        let mode_now = s
            .parties()
            .find(|p| p.role == Role::Supervisor)
            .unwrap()
            .mode;
        assert_eq!(mode_now, Some(Mode::Whisper));
        // Heard by the customer (barge) only until recognised, then muted
        // (and in whisper the customer does not hear the supervisor).
        let leak = heard_ms(&to_c);
        println!("{rate} Hz leg: the customer heard {leak} ms of the key press");
        assert!(
            leak > 0.0 && leak <= 50.0,
            "{rate} Hz: the customer heard {leak} ms"
        );
        // The agent heard as much, and nothing once the key was recognised
        // either, though whisper lets it hear the supervisor: the rest of
        // the tone is muted.
        let leak_a = heard_ms(&to_a);
        assert!(leak_a <= 50.0, "{rate} Hz: the agent heard {leak_a} ms");
    }
}

#[test]
fn in_monitor_nothing_of_a_key_press_reaches_anyone() {
    let (to_c, to_a, events, s) = key_press(Mode::Monitor, '6', 8000);
    assert!(to_c.iter().all(|&x| x == 0));
    assert!(to_a.iter().all(|&x| x == 0));
    assert!(events.iter().any(|e| matches!(
        e,
        Event::ModeChanged {
            from: Mode::Monitor,
            to: Mode::Barge,
            ..
        }
    )));
    let v = s.parties().find(|p| p.role == Role::Supervisor).unwrap();
    assert_eq!(v.mode, Some(Mode::Barge));
}

#[test]
fn speech_presses_no_key() {
    let (mut s, _c, _a, v) = call(Mode::Barge);
    s.set_dtmf_map(DtmfMap::EAVESDROP);
    s.detect_dtmf(v, true).unwrap();
    let [customer, agent, supervisor] = voice::conversation(8000, 30.0, 2.0);
    for talk in [&customer, &agent, &supervisor] {
        for f in talk.chunks_exact(160) {
            s.put_frame(v, f).unwrap();
            s.mix();
        }
    }
    let digits = std::iter::from_fn(|| s.poll_event())
        .filter(|e| matches!(e, Event::DigitPressed { .. }))
        .count();
    assert_eq!(digits, 0, "90 s of speech pressed keys");
    assert_eq!(s.mode(v), Ok(Some(Mode::Barge)));
}
