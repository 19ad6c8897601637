//! One test per row of the crate docs' table "Bad input and the errors it
//! returns": the exact error, a message naming the value given and the value
//! expected, and a session left exactly as it was.

use std::time::Duration;

use barge::kernel::{mix, mix_matrix, RouteGain, Talker};
use barge::{Error, Format, Gain, Mode, PartyId, Ptime, Role, SampleRate, Session, MAX_PARTIES};

/// A three-party call that has mixed one tick and has a pending event.
fn call() -> (Session<i16>, PartyId, PartyId, PartyId) {
    let mut s = Session::new(Format::NARROWBAND_20MS);
    let c = s.join(Role::Customer).unwrap();
    let a = s.join(Role::Agent).unwrap();
    let v = s.join_supervisor(Mode::Whisper).unwrap();
    s.put_frame(c, &[100; 160]).unwrap();
    s.mix();
    s.set_volume(a, -6.0).unwrap();
    (s, c, a, v)
}

/// Runs a failing call on a copy of `session`, checks the error, and that
/// the copy is still exactly `session` (state and pending events).
fn fails_unchanged<T: std::fmt::Debug>(
    session: &Session<i16>,
    call: impl FnOnce(&mut Session<i16>) -> Result<T, Error>,
) -> Error {
    let mut s = session.clone();
    let e = call(&mut s).expect_err("the call must fail");
    assert_eq!(
        format!("{s:?}"),
        format!("{session:?}"),
        "{e} changed the session"
    );
    e
}

/// The message names every one of `parts`.
fn names(e: &Error, parts: &[&str]) {
    let msg = e.to_string();
    for p in parts {
        assert!(msg.contains(p), "{msg:?} does not name {p:?}");
    }
}

#[test]
fn an_unsupported_sample_rate() {
    for e in [
        Format::new(44100, 20).unwrap_err(),
        SampleRate::from_hz(44100).unwrap_err(),
    ] {
        assert_eq!(e, Error::UnsupportedSampleRate { given: 44100 });
        names(&e, &["44100 Hz", "8000", "48000 Hz"]);
    }
}

/// The message names `given` in one of the forms in `forms`.
fn names_one_of(e: &Error, forms: &[&str]) {
    let msg = e.to_string();
    assert!(
        forms.iter().any(|f| msg.contains(f)),
        "{msg:?} names none of {forms:?}"
    );
}

#[test]
fn an_unsupported_frame_duration_in_ms() {
    for e in [
        Format::new(8000, 25).unwrap_err(),
        Ptime::from_ms(25).unwrap_err(),
    ] {
        assert_eq!(e, Error::UnsupportedPtime { given_us: 25_000 });
        names(&e, &["10, 20, 30, 40 or 60 ms"]);
        names_one_of(&e, &["25000 µs", "25 ms"]);
    }
}

#[test]
fn a_frame_duration_that_is_not_exactly_supported() {
    for (given, us) in [
        (Duration::from_micros(20_500), 20_500),
        (Duration::from_nanos(20_000_001), 20_001),
        (Duration::from_secs(20), 20_000_000),
    ] {
        let e = Ptime::from_duration(given).unwrap_err();
        assert_eq!(e, Error::UnsupportedPtime { given_us: us });
        names(&e, &["10, 20, 30, 40 or 60 ms"]);
        let (micros, millis) = (format!("{us} µs"), format!("{} ms", us / 1000));
        if us % 1000 == 0 {
            names_one_of(&e, &[&micros, &millis]);
        } else {
            names(&e, &[&micros]);
        }
    }
}

#[test]
fn a_gain_in_db_that_is_nan_infinite_or_too_loud() {
    let (s, c, a, _) = call();
    for (db, shown) in [
        (12.5, "12.5 dB"),
        (f32::INFINITY, "inf dB"),
        (f32::NAN, "NaN dB"),
    ] {
        let errors = [
            Gain::from_db(db).unwrap_err(),
            fails_unchanged(&s, |s| s.set_volume(a, db)),
            fails_unchanged(&s, |s| s.override_route(c, a, db)),
        ];
        for e in errors {
            assert!(
                matches!(e, Error::GainOutOfRange { given_db, max_db: 12.0 }
                    if given_db.to_bits() == db.to_bits()),
                "{e:?}"
            );
            names(&e, &[shown, "+12 dB"]);
        }
    }
}

#[test]
fn a_linear_gain_that_is_negative_nan_or_too_loud() {
    for (x, shown) in [(-0.5, "-0.5"), (4.5, "4.5"), (f32::NAN, "NaN")] {
        let e = Gain::from_linear(x).unwrap_err();
        assert!(
            matches!(e, Error::LinearGainOutOfRange { given, max }
                if given.to_bits() == x.to_bits() && max == Gain::MAX.linear()),
            "{e:?}"
        );
        names(&e, &[shown, "3.98", "+12 dB"]);
    }
}

#[test]
fn one_party_too_many() {
    let mut s = Session::<i16>::new(Format::NARROWBAND_20MS);
    for _ in 0..MAX_PARTIES {
        s.join(Role::Agent).unwrap();
    }
    let want = Error::TooManyParties { max: MAX_PARTIES };
    let errors = [
        fails_unchanged(&s, |s| s.join(Role::Customer)),
        fails_unchanged(&s, |s| s.join_supervisor(Mode::Barge)),
        fails_unchanged(&s, |s| s.join_recorder(true)),
    ];
    for e in errors {
        assert_eq!(e, want);
        names(&e, &["32 parties at most"]);
    }
}

/// Every call that takes a `PartyId`, with `p` as the party (and the other
/// party of a route being `other`).
fn every_party_call(s: &Session<i16>, p: PartyId, other: PartyId) -> Vec<(&'static str, Error)> {
    let frame = [0i16; 160];
    vec![
        ("leave", fails_unchanged(s, |s| s.leave(p))),
        (
            "set_mode",
            fails_unchanged(s, |s| s.set_mode(p, Mode::Barge)),
        ),
        ("mode", fails_unchanged(s, |s| s.mode(p))),
        (
            "override_route listener",
            fails_unchanged(s, |s| s.override_route(p, other, 0.0)),
        ),
        (
            "override_route talker",
            fails_unchanged(s, |s| s.override_route(other, p, 0.0)),
        ),
        (
            "clear_route_override",
            fails_unchanged(s, |s| s.clear_route_override(p, other)),
        ),
        (
            "route_override",
            fails_unchanged(s, |s| s.route_override(other, p)),
        ),
        ("set_volume", fails_unchanged(s, |s| s.set_volume(p, 0.0))),
        ("put_frame", fails_unchanged(s, |s| s.put_frame(p, &frame))),
        (
            "frame_mut",
            fails_unchanged(s, |s| s.frame_mut(p).map(|_| ())),
        ),
        ("output", fails_unchanged(s, |s| s.output(p).map(|_| ()))),
        ("party", fails_unchanged(s, |s| s.party(p))),
    ]
}

#[test]
fn a_party_that_has_left() {
    let (mut s, c, a, _) = call();
    s.leave(a).unwrap();
    for (what, e) in every_party_call(&s, a, c) {
        assert_eq!(e, Error::PartyLeft { party: a }, "{what}");
        names(
            &e,
            &[&format!("party {a}"), "has left", "still on the call"],
        );
    }
}

#[test]
fn an_id_this_session_never_handed_out() {
    let (s, c, _, _) = call();
    let mut other = Session::<i16>::new(Format::NARROWBAND_20MS);
    let stranger = (0..5)
        .map(|_| other.join(Role::Agent).unwrap())
        .last()
        .unwrap();
    for (what, e) in every_party_call(&s, stranger, c) {
        assert_eq!(e, Error::UnknownParty { party: stranger }, "{what}");
        names(&e, &["party #4", "never joined this session"]);
    }
}

#[test]
fn a_mode_for_a_party_that_is_not_a_supervisor() {
    let mut s = Session::<i16>::new(Format::NARROWBAND_20MS);
    let c = s.join(Role::Customer).unwrap();
    let a = s.join(Role::Agent).unwrap();
    let r = s.join_recorder(false).unwrap();
    for (p, role) in [(c, Role::Customer), (a, Role::Agent), (r, Role::Recorder)] {
        let e = fails_unchanged(&s, |s| s.set_mode(p, Mode::Whisper));
        assert_eq!(e, Error::NotASupervisor { party: p, role });
        names(
            &e,
            &[&format!("party {p} is a {role}"), "only a supervisor"],
        );
    }
}

#[test]
fn a_route_from_a_party_to_itself() {
    let (s, c, _, _) = call();
    let errors = [
        fails_unchanged(&s, |s| s.override_route(c, c, 0.0)),
        fails_unchanged(&s, |s| s.clear_route_override(c, c)),
        fails_unchanged(&s, |s| s.route_override(c, c)),
    ];
    for e in errors {
        assert_eq!(e, Error::SelfRoute { party: c });
        names(
            &e,
            &[&format!("party {c} to itself"), "two different parties"],
        );
    }
}

#[test]
fn a_ramp_longer_than_one_frame() {
    let (s, _, _, _) = call();
    for (given, shown) in [
        (Duration::from_millis(25), "25ms"),
        (Duration::from_nanos(20_000_001), "20.000001ms"),
        (Duration::MAX, "s"),
    ] {
        let e = fails_unchanged(&s, |s| s.set_ramp(given));
        assert_eq!(
            e,
            Error::RampTooLong {
                given,
                max: Duration::from_millis(20)
            }
        );
        names(&e, &[shown, "at most one frame (20ms)"]);
    }
}

#[test]
fn a_frame_of_the_wrong_length() {
    let (s, c, _, _) = call();
    for len in [0, 159, 161, 320] {
        let frame = vec![7i16; len];
        let e = fails_unchanged(&s, |s| s.put_frame(c, &frame));
        assert_eq!(
            e,
            Error::FrameLength {
                given: len,
                expected: 160,
                format: Format::NARROWBAND_20MS
            }
        );
        names(
            &e,
            &[&format!("frame of {len} samples"), "expected 160 samples"],
        );
    }
}

#[test]
fn a_second_frame_in_the_same_tick() {
    let (mut s, c, a, _) = call();
    s.put_frame(c, &[1; 160]).unwrap();
    s.frame_mut(a).unwrap()[0] = 1;
    let errors = [
        (c, fails_unchanged(&s, |s| s.put_frame(c, &[2; 160]))),
        (c, fails_unchanged(&s, |s| s.frame_mut(c).map(|_| ()))),
        (a, fails_unchanged(&s, |s| s.put_frame(a, &[2; 160]))),
        (a, fails_unchanged(&s, |s| s.frame_mut(a).map(|_| ()))),
    ];
    for (p, e) in errors {
        assert_eq!(e, Error::DuplicateFrame { party: p, tick: 1 });
        names(
            &e,
            &[
                &format!("party {p}"),
                "tick 1",
                "one frame per party per tick",
            ],
        );
    }
    // The first frame is the one that is mixed.
    s.mix();
    assert_eq!(s.output(a).unwrap()[0], 1);
}

fn shape(what: &'static str, given: usize, expected: usize) -> Error {
    Error::MatrixShape {
        what,
        given,
        expected,
    }
}

#[test]
fn more_talkers_than_the_kernel_hears() {
    use barge::kernel::MAX_TALKERS;
    let x = [1i16; 80];
    let given = MAX_TALKERS + 1;
    let want = shape(
        "talkers heard by one listener (at most)",
        given,
        MAX_TALKERS,
    );
    let mut out = [9i16; 80];
    let e = mix(&mut out, &vec![Talker::new(&x, RouteGain::UNITY); given]).unwrap_err();
    assert_eq!(e, want);
    assert_eq!(out, [9; 80], "nothing written");
    let inputs = vec![&x[..]; given];
    let e = mix_matrix(&inputs, &vec![Gain::UNITY; given], &mut [&mut out]).unwrap_err();
    assert_eq!(e, want);
    names(&e, &["talkers", "got 16385", "16384"]);
    assert_eq!(out, [9; 80], "nothing written");
}

#[test]
fn a_talker_frame_not_as_long_as_the_output() {
    let (good, short) = ([1i16; 160], [1i16; 159]);
    let mut out = [9i16; 160];
    let e = mix(
        &mut out,
        &[
            Talker::new(&good, RouteGain::UNITY),
            Talker::new(&short, RouteGain::UNITY),
        ],
    )
    .unwrap_err();
    assert_eq!(e, shape("samples in a talker's frame", 159, 160));
    names(&e, &["talker's frame", "got 159", "expected 160"]);
    assert_eq!(out, [9; 160], "nothing written");
}

#[test]
fn a_gain_matrix_of_the_wrong_size() {
    let (x, y) = ([1i16; 80], [2i16; 80]);
    let (mut o1, mut o2) = ([9i16; 80], [9i16; 80]);
    let e = mix_matrix(&[&x, &y], &[Gain::UNITY; 3], &mut [&mut o1, &mut o2]).unwrap_err();
    assert_eq!(e, shape("gains in the listener × talker matrix", 3, 4));
    names(&e, &["gains", "got 3", "expected 4"]);
    assert_eq!((o1, o2), ([9; 80], [9; 80]), "nothing written");
}

#[test]
fn listener_frames_of_different_lengths() {
    let x = [1i16; 80];
    let (mut o1, mut o2) = ([9i16; 80], [9i16; 81]);
    let e = mix_matrix(&[&x], &[Gain::UNITY; 2], &mut [&mut o1, &mut o2]).unwrap_err();
    assert_eq!(e, shape("samples in a listener's frame", 81, 80));
    names(&e, &["listener's frame", "got 81", "expected 80"]);
    assert_eq!((o1, o2), ([9; 80], [9; 81]), "nothing written");
}

#[test]
fn a_talker_frame_not_as_long_as_the_listeners() {
    let (x, y) = ([1i16; 80], [2i16; 40]);
    let mut o = [9i16; 80];
    let e = mix_matrix(&[&x, &y], &[Gain::UNITY; 2], &mut [&mut o]).unwrap_err();
    assert_eq!(e, shape("samples in a talker's frame", 40, 80));
    names(&e, &["talker's frame", "got 40", "expected 80"]);
    assert_eq!(o, [9; 80], "nothing written");
}

#[test]
fn several_bad_inputs_report_the_first_checked() {
    let (mut s, c, a, v) = call();
    s.leave(a).unwrap();
    // The listener before the talker, parties before values.
    assert_eq!(
        s.override_route(a, v, f32::INFINITY),
        Err(Error::PartyLeft { party: a })
    );
    assert_eq!(
        s.override_route(c, a, f32::INFINITY),
        Err(Error::PartyLeft { party: a })
    );
    assert_eq!(s.set_volume(a, 99.0), Err(Error::PartyLeft { party: a }));
    // put_frame checks the frame's length first.
    assert!(matches!(
        s.put_frame(a, &[0; 3]),
        Err(Error::FrameLength { given: 3, .. })
    ));
}
