//! One test per row of the crate docs' table "Bad input and the errors it
//! returns": the exact error, a message naming the value given and the value
//! expected, and a session left exactly as it was.

use std::cell::Cell;
use std::time::Duration;

use barge::g711::Law;
use barge::kernel::{mix, mix_matrix, RouteGain, Talker};
use barge::media::{Driver, Fill, G711Sink, G711Source, Leg, LegEnd, Sink, Source};
use barge::tone::ToneSpec;
use barge::{
    Error, Format, Gain, Join, Mode, PartyId, Ptime, Role, SampleRate, Session, Tap, TapChannel,
    TapId, MAX_PARTIES,
};

/// A three-party call that has mixed one tick and has a pending event.
fn call() -> (Session<i16>, PartyId, PartyId, PartyId) {
    let mut s = Session::new(Format::NARROWBAND_20MS);
    let c = s.join(Role::Customer).unwrap();
    let a = s.join(Role::Agent).unwrap();
    let v = s.join(Join::supervisor(Mode::Whisper)).unwrap();
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
            fails_unchanged(&s, |s| s.set_route_gain(c, a, db)),
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
        fails_unchanged(&s, |s| s.join(Join::supervisor(Mode::Barge))),
        fails_unchanged(&s, |s| s.join(Join::recorder(true))),
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
            "set_route_gain listener",
            fails_unchanged(s, |s| s.set_route_gain(p, other, 0.0)),
        ),
        (
            "set_route_gain talker",
            fails_unchanged(s, |s| s.set_route_gain(other, p, 0.0)),
        ),
        (
            "clear_route_gain",
            fails_unchanged(s, |s| s.clear_route_gain(p, other)),
        ),
        ("route_gain", fails_unchanged(s, |s| s.route_gain(other, p))),
        ("set_volume", fails_unchanged(s, |s| s.set_volume(p, 0.0))),
        ("put_frame", fails_unchanged(s, |s| s.put_frame(p, &frame))),
        (
            "frame_mut",
            fails_unchanged(s, |s| s.frame_mut(p).map(|_| ())),
        ),
        ("output", fails_unchanged(s, |s| s.output(p).map(|_| ()))),
        ("party", fails_unchanged(s, |s| s.party(p))),
        (
            "set_leg_format",
            fails_unchanged(s, |s| s.set_leg_format(p, Format::new(48000, 20).unwrap())),
        ),
        ("leg_format", fails_unchanged(s, |s| s.leg_format(p))),
        ("hears listener", fails_unchanged(s, |s| s.hears(p, other))),
        ("hears talker", fails_unchanged(s, |s| s.hears(other, p))),
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
fn an_id_of_another_session_whatever_its_number() {
    let (s, c, _, _) = call();
    // Another call's ids count from 0 too: #0, #1 and #2 are numbers this
    // call has (its customer, agent and supervisor), #3 and #4 are not.
    let mut other = Session::<i16>::new(Format::NARROWBAND_20MS);
    let strangers: Vec<PartyId> = (0..5).map(|_| other.join(Role::Agent).unwrap()).collect();
    for stranger in strangers {
        for (what, e) in every_party_call(&s, stranger, c) {
            assert_eq!(e, Error::ForeignParty { party: stranger }, "{what}");
            names(
                &e,
                &[
                    &format!("party {stranger}"),
                    "another session",
                    "this session handed out",
                ],
            );
        }
    }
}

#[test]
fn an_id_a_snapshot_handed_out_after_it_was_taken() {
    let (s, c, _, _) = call();
    let mut later = s.clone();
    let newer = later.join(Role::Agent).unwrap();
    for (what, e) in every_party_call(&s, newer, c) {
        assert_eq!(e, Error::UnknownParty { party: newer }, "{what}");
        names(&e, &["party #3", "never joined this session"]);
    }
}

#[test]
fn borrowed_frames_that_cannot_be_mixed() {
    let (s, c, a, v) = call();
    let ok = [1i16; 160];
    let short = [1i16; 159];
    let e = fails_unchanged(&s, |s| s.mix_frames(&[(c, &ok), (a, &short)]));
    assert_eq!(
        e,
        Error::FrameLength {
            given: 159,
            expected: 160,
            format: Format::NARROWBAND_20MS
        }
    );
    names(&e, &["159 samples", "expected 160"]);
    let e = fails_unchanged(&s, |s| s.mix_frames(&[(c, &ok), (a, &ok), (c, &ok)]));
    assert_eq!(e, Error::DuplicateFrame { party: c, tick: 1 });
    names(&e, &[&format!("party {c}"), "one frame per party per tick"]);
    let mut put = s.clone();
    put.put_frame(v, &ok).unwrap();
    let e = fails_unchanged(&put, |s| s.mix_frames(&[(c, &ok), (v, &ok)]));
    assert_eq!(e, Error::DuplicateFrame { party: v, tick: 1 });
    let stranger = Session::<i16>::new(Format::NARROWBAND_20MS)
        .join(Role::Customer)
        .unwrap();
    let e = fails_unchanged(&s, |s| s.mix_frames(&[(c, &ok), (stranger, &ok)]));
    assert_eq!(e, Error::ForeignParty { party: stranger });
    let mut left = s.clone();
    left.leave(a).unwrap();
    let e = fails_unchanged(&left, |s| s.mix_frames(&[(a, &ok)]));
    assert_eq!(e, Error::PartyLeft { party: a });
}

#[test]
fn a_leg_format_that_cannot_be_set() {
    let (s, c, _, _) = call();
    // 30 ms frames neither fill whole 20 ms ticks nor fit a whole number
    // into one.
    let e = fails_unchanged(&s, |s| s.set_leg_format(c, Format::new(48000, 30).unwrap()));
    assert_eq!(
        e,
        Error::LegFrameDuration {
            given_ms: 30,
            expected_ms: 20
        }
    );
    assert_eq!(
        e.to_string(),
        "leg frames of 30 ms on a call that ticks every 20 ms: expected 10, 20, 40, 60 ms, \
         or a call that ticks every 10 ms"
    );
    // A join on such a leg is refused whole.
    let e = fails_unchanged(&s, |s| {
        s.join(Join::supervisor(Mode::Monitor).leg(Format::new(48000, 30).unwrap()))
    });
    assert!(
        matches!(e, Error::LegFrameDuration { given_ms: 30, .. }),
        "{e}"
    );
    let mut pending = s.clone();
    pending.put_frame(c, &[1; 160]).unwrap();
    let e = fails_unchanged(&pending, |s| {
        s.set_leg_format(c, Format::new(16000, 20).unwrap())
    });
    assert_eq!(e, Error::DuplicateFrame { party: c, tick: 1 });
}

#[test]
fn a_frame_for_a_longer_leg_between_its_frames() {
    let mut s = Session::<i16>::new(Format::new(8000, 10).unwrap());
    let c = s.join(Role::Customer).unwrap();
    s.set_leg_format(c, Format::new(8000, 30).unwrap()).unwrap();
    s.mix(); // the customer's 30 ms frame spans this tick and the next two
    let frame = [0i16; 240];
    let want = Error::FrameNotDue { party: c, next: 3 };
    for e in [
        fails_unchanged(&s, |s| s.put_frame(c, &frame)),
        fails_unchanged(&s, |s| s.frame_mut(c).map(|_| ())),
        fails_unchanged(&s, |s| s.mix_frames(&[(c, &frame)])),
    ] {
        assert_eq!(e, want);
        names(&e, &[&format!("party {c}"), "due at tick 3"]);
    }
}

#[test]
fn a_frame_skipped_between_a_longer_legs_frames() {
    let mut s = Session::<i16>::new(Format::new(8000, 10).unwrap());
    let c = s.join(Role::Customer).unwrap();
    s.set_leg_format(c, Format::new(8000, 30).unwrap()).unwrap();
    s.mix();
    let e = fails_unchanged(&s, |s| s.skip_frame(c));
    assert_eq!(e, Error::FrameNotDue { party: c, next: 3 });
}

#[test]
fn a_frame_more_than_a_shorter_leg_takes_in_a_tick() {
    // A browser's 10 ms frames on a 20 ms call: two a tick, each once.
    let (mut s, c, ..) = call();
    s.set_leg_format(c, Format::new(8000, 10).unwrap()).unwrap();
    s.put_frame(c, &[1; 80]).unwrap();
    s.skip_frame(c).unwrap();
    let want = Error::DuplicateFrame { party: c, tick: 1 };
    for e in [
        fails_unchanged(&s, |s| s.put_frame(c, &[1; 80])),
        fails_unchanged(&s, |s| s.frame_mut(c).map(|_| ())),
        fails_unchanged(&s, |s| s.skip_frame(c)),
    ] {
        assert_eq!(e, want);
        names(&e, &[&format!("party {c}"), "tick 1"]);
    }
}

#[test]
fn a_disclosure_that_never_ends_or_that_the_customer_does_not_hear() {
    let (mut s, ..) = call();
    let warning = s
        .join(Join::announcement(barge::Audience::EVERYONE))
        .unwrap();
    s.play(warning, &ToneSpec::RECORDING_WARNING).unwrap();
    let e = fails_unchanged(&s, |s| s.set_disclosure(warning));
    assert_eq!(e, Error::DisclosureNeverEnds { party: warning });
    names(&e, &["#3", "repeats forever", "a disclosure must end"]);

    let prompt = s
        .join(Join::announcement(barge::Audience::CUSTOMERS))
        .unwrap();
    s.set_disclosure(prompt).unwrap();
    let e = fails_unchanged(&s, |s| s.play(prompt, &ToneSpec::RECORDING_WARNING));
    assert_eq!(e, Error::DisclosureNeverEnds { party: prompt });
    let e = fails_unchanged(&s, |s| s.set_audience(prompt, barge::Audience::AGENTS));
    assert_eq!(
        e,
        Error::DisclosureUnheard {
            party: prompt,
            audience: barge::Audience::AGENTS
        }
    );
    names(
        &e,
        &[
            "#4",
            "heard by agents",
            "expected a disclosure the customer hears",
        ],
    );
    let beep = s.join(Join::announcement(barge::Audience::AGENTS)).unwrap();
    let e = fails_unchanged(&s, |s| s.set_disclosure(beep));
    assert!(
        matches!(e, Error::DisclosureUnheard { party, .. } if party == beep),
        "{e}"
    );
}

#[test]
fn a_mode_for_a_party_that_is_not_a_supervisor() {
    let mut s = Session::<i16>::new(Format::NARROWBAND_20MS);
    let c = s.join(Role::Customer).unwrap();
    let a = s.join(Role::Agent).unwrap();
    let r = s.join(Join::recorder(false)).unwrap();
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
        fails_unchanged(&s, |s| s.set_route_gain(c, c, 0.0)),
        fails_unchanged(&s, |s| s.clear_route_gain(c, c)),
        fails_unchanged(&s, |s| s.route_gain(c, c)),
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
        s.set_route_gain(a, v, f32::INFINITY),
        Err(Error::PartyLeft { party: a })
    );
    assert_eq!(
        s.set_route_gain(c, a, f32::INFINITY),
        Err(Error::PartyLeft { party: a })
    );
    assert_eq!(s.set_volume(a, 99.0), Err(Error::PartyLeft { party: a }));
    // put_frame checks the party first: the length it expects is its leg's.
    assert_eq!(s.put_frame(a, &[0; 3]), Err(Error::PartyLeft { party: a }));
}

// The media edge: `barge::g711` and `barge::media`.

#[test]
fn g711_slices_of_different_lengths() {
    let pcm = [1000i16; 5];
    let codes = [0x80u8; 5];
    let floats = [0.25f32; 5];
    let to_codes = "G.711 code bytes for the samples";
    let to_samples = "samples for the G.711 code bytes";
    for law in [Law::Ulaw, Law::Alaw] {
        for len in [0, 4, 6] {
            let want = |what| Error::LengthMismatch {
                what,
                given: len,
                expected: 5,
            };
            let mut out_codes = vec![7u8; len];
            let mut out_pcm = vec![7i16; len];
            let mut out_floats = vec![7.0f32; len];
            let errors = [
                (
                    law.encode(&pcm, &mut out_codes).unwrap_err(),
                    want(to_codes),
                ),
                (
                    law.encode_f32(&floats, &mut out_codes).unwrap_err(),
                    want(to_codes),
                ),
                (
                    law.decode(&codes, &mut out_pcm).unwrap_err(),
                    want(to_samples),
                ),
                (
                    law.decode_f32(&codes, &mut out_floats).unwrap_err(),
                    want(to_samples),
                ),
            ];
            for (e, want) in errors {
                assert_eq!(e, want, "{law}");
                names(&e, &[&format!("got {len}"), "expected 5"]);
            }
            assert!(out_codes.iter().all(|&c| c == 7), "nothing written");
            assert!(out_pcm.iter().all(|&x| x == 7), "nothing written");
            assert!(out_floats.iter().all(|&x| x == 7.0), "nothing written");
        }
    }
}

#[test]
fn a_g711_adapter_at_a_rate_other_than_8000_hz() {
    let used = Cell::new(0);
    let payload_source = |_: &mut [u8]| {
        used.set(used.get() + 1);
        Fill::Frame
    };
    let payload_sink = |_: &[u8]| used.set(used.get() + 1);
    for hz in [16000, 24000, 32000, 48000] {
        let format = Format::new(hz, 20).unwrap();
        for law in [Law::Ulaw, Law::Alaw] {
            let errors = [
                G711Source::new(law, format, payload_source).err(),
                G711Sink::new(law, format, payload_sink).err(),
            ];
            for e in errors {
                let e = e.expect("the call must fail");
                assert_eq!(
                    e,
                    Error::CodecRate {
                        codec: law.encoding_name(),
                        given: hz,
                        expected: 8000
                    }
                );
                names(
                    &e,
                    &[
                        &format!("{} at {hz} Hz", law.encoding_name()),
                        "expected 8000 Hz",
                    ],
                );
            }
        }
    }
    assert_eq!(used.get(), 0, "no payload read or written");
}

/// Both ends of a leg, counting what the driver does with them.
#[derive(Default)]
struct Probe {
    reads: usize,
    writes: usize,
}

impl Source<i16> for Probe {
    fn fill(&mut self, frame: &mut [i16]) -> Fill {
        self.reads += 1;
        frame.fill(1000);
        Fill::Ended
    }
}

impl Sink<i16> for Probe {
    fn take(&mut self, _frame: &[i16]) {
        self.writes += 1;
    }
}

/// Nothing was read from or written to any of `probes`.
fn untouched(probes: &[&Probe]) {
    for p in probes {
        assert_eq!((p.reads, p.writes), (0, 0), "a leg was read or written");
    }
}

#[test]
fn a_driver_tick_over_a_session_of_another_format() {
    let (s, c, a, v) = call();
    let (mut pc, mut pa, mut pv) = (Probe::default(), Probe::default(), Probe::default());
    for format in [Format::WEBRTC_10MS, Format::new(8000, 10).unwrap()] {
        let e = fails_unchanged(&s, |s| {
            Driver::new(format).tick(
                s,
                &mut [
                    Leg::duplex(c, &mut pc),
                    Leg::duplex(a, &mut pa),
                    Leg::duplex(v, &mut pv),
                ],
            )
        });
        assert_eq!(
            e,
            Error::FormatMismatch {
                given: Format::NARROWBAND_20MS,
                expected: format
            }
        );
        names(
            &e,
            &[
                &format!("format {}", Format::NARROWBAND_20MS),
                &format!("expected {format}"),
            ],
        );
    }
    untouched(&[&pc, &pa, &pv]);
}

#[test]
fn a_g711_source_or_sink_built_for_another_format() {
    let (s, c, a, _) = call();
    let short = Format::new(8000, 10).unwrap();
    let used = Cell::new(0);
    let mut from_a = G711Source::new(Law::Ulaw, short, |_: &mut [u8]| {
        used.set(used.get() + 1);
        Fill::Frame
    })
    .unwrap();
    let mut to_a = G711Sink::new(Law::Alaw, short, |_: &[u8]| used.set(used.get() + 1)).unwrap();
    let (mut pc, mut pa) = (Probe::default(), Probe::default());
    let mut driver = Driver::new(Format::NARROWBAND_20MS);
    let errors = [
        fails_unchanged(&s, |s| {
            driver.tick(
                s,
                &mut [Leg::duplex(c, &mut pc), Leg::talk_only(a, &mut from_a)],
            )
        }),
        fails_unchanged(&s, |s| {
            driver.tick(
                s,
                &mut [Leg::duplex(c, &mut pc), Leg::new(a, &mut pa, &mut to_a)],
            )
        }),
        fails_unchanged(&s, |s| {
            driver.tick(
                s,
                &mut [Leg::duplex(c, &mut pc), Leg::listen_only(a, &mut to_a)],
            )
        }),
    ];
    for (e, end) in errors
        .into_iter()
        .zip([LegEnd::Source, LegEnd::Sink, LegEnd::Sink])
    {
        assert_eq!(
            e,
            Error::LegFormat {
                party: a,
                end,
                given: short,
                expected: Format::NARROWBAND_20MS
            }
        );
        names(
            &e,
            &[
                &format!("party {a}'s {end} is built for {short}"),
                &format!("expected its leg's format, {}", Format::NARROWBAND_20MS),
            ],
        );
    }
    untouched(&[&pc, &pa]);
    assert_eq!(used.get(), 0, "no payload read or written");
}

#[test]
fn a_leg_for_an_id_of_another_session() {
    let (s, c, _, _) = call();
    // Another call's first ids: #0 is this call's customer's number.
    let mut other = Session::<i16>::new(Format::NARROWBAND_20MS);
    let lookalike = other.join(Role::Agent).unwrap();
    let stranger = (0..4)
        .map(|_| other.join(Role::Agent).unwrap())
        .last()
        .unwrap();
    let (mut pc, mut ps) = (Probe::default(), Probe::default());
    let mut driver = Driver::new(Format::NARROWBAND_20MS);
    for id in [lookalike, stranger] {
        let errors = [
            fails_unchanged(&s, |s| {
                driver.tick(s, &mut [Leg::duplex(c, &mut pc), Leg::duplex(id, &mut ps)])
            }),
            fails_unchanged(&s, |s| {
                driver.tick(
                    s,
                    &mut [Leg::duplex(c, &mut pc), Leg::talk_only(id, &mut ps)],
                )
            }),
            fails_unchanged(&s, |s| {
                driver.tick(
                    s,
                    &mut [Leg::duplex(c, &mut pc), Leg::listen_only(id, &mut ps)],
                )
            }),
        ];
        for e in errors {
            assert_eq!(e, Error::ForeignParty { party: id });
            names(&e, &[&format!("party {id}"), "another session"]);
        }
    }
    untouched(&[&pc, &ps]);
}

#[test]
fn a_second_source_for_one_party_in_one_tick() {
    let (s, c, a, _) = call();
    let mut frame_in = s.clone();
    frame_in.put_frame(a, &[5; 160]).unwrap();
    let mut framed = s.clone();
    framed.frame_mut(a).unwrap()[0] = 5;
    let (mut pc, mut p1, mut p2) = (Probe::default(), Probe::default(), Probe::default());
    let mut driver = Driver::new(Format::NARROWBAND_20MS);
    let errors = [
        fails_unchanged(&s, |s| {
            driver.tick(
                s,
                &mut [
                    Leg::duplex(c, &mut pc),
                    Leg::talk_only(a, &mut p1),
                    Leg::talk_only(a, &mut p2),
                ],
            )
        }),
        fails_unchanged(&s, |s| {
            driver.tick(
                s,
                &mut [
                    Leg::duplex(c, &mut pc),
                    Leg::duplex(a, &mut p1),
                    Leg::talk_only(a, &mut p2),
                ],
            )
        }),
        fails_unchanged(&frame_in, |s| {
            driver.tick(s, &mut [Leg::duplex(c, &mut pc), Leg::duplex(a, &mut p1)])
        }),
        fails_unchanged(&framed, |s| {
            driver.tick(
                s,
                &mut [Leg::duplex(c, &mut pc), Leg::talk_only(a, &mut p1)],
            )
        }),
    ];
    for e in errors {
        assert_eq!(e, Error::DuplicateFrame { party: a, tick: 1 });
        names(
            &e,
            &[
                &format!("party {a}"),
                "tick 1",
                "one frame per party per tick",
            ],
        );
    }
    untouched(&[&pc, &p1, &p2]);
}

#[test]
fn a_leg_of_a_party_that_has_left_is_skipped_not_an_error() {
    let (mut s, c, a, _) = call();
    s.leave(a).unwrap();
    let (mut pc, mut pa, mut sink) = (Probe::default(), Probe::default(), Probe::default());
    let t = Driver::new(Format::NARROWBAND_20MS)
        .tick(
            &mut s,
            &mut [
                Leg::talk_only(c, &mut pc),
                Leg::duplex(a, &mut pa),
                Leg::listen_only(a, &mut sink),
            ],
        )
        .unwrap();
    assert_eq!((t.gone, t.frames, t.heard), (2, 0, 0));
    untouched(&[&pa, &sink]);
    assert_eq!(pc.reads, 1);
}

#[test]
fn a_converted_leg_built_for_another_format() {
    use barge::media::Converted;
    let wideband = Format::new(16000, 20).unwrap();
    let mut s = Session::<i16>::new(wideband);
    let a = s.join(Role::Agent).unwrap();
    let mut mic = Converted::new(
        |f: &mut [f32]| {
            f.fill(0.5);
            Fill::Frame
        },
        Format::NARROWBAND_20MS,
    );
    let mut driver = Driver::new(wideband);
    let e = fails_unchanged(&s, |s| driver.tick(s, &mut [Leg::talk_only(a, &mut mic)]));
    assert_eq!(
        e,
        Error::LegFormat {
            party: a,
            end: LegEnd::Source,
            given: Format::NARROWBAND_20MS,
            expected: wideband
        }
    );
}

#[test]
fn one_tap_too_many() {
    let (mut s, ..) = call();
    for _ in 0..barge::MAX_TAPS {
        s.add_tap(Tap::stereo()).unwrap();
    }
    let e = fails_unchanged(&s, |s| s.add_tap(Tap::stems()));
    assert_eq!(e, Error::TooManyTaps { max: 4 });
    names(&e, &["4 taps at most"]);
}

/// Every call that takes a `TapId`, with `t` as the tap.
fn every_tap_call(s: &Session<i16>, t: TapId, party: PartyId) -> Vec<(&'static str, Error)> {
    vec![
        ("remove_tap", fails_unchanged(s, |s| s.remove_tap(t))),
        (
            "tap_frame",
            fails_unchanged(s, |s| s.tap_frame(t).map(|_| ())),
        ),
        (
            "tap_channel",
            fails_unchanged(s, |s| s.tap_channel(t, TapChannel::Agent).map(|_| ())),
        ),
        (
            "tap_stem",
            fails_unchanged(s, |s| s.tap_stem(t, party).map(|_| ())),
        ),
        ("tap_format", fails_unchanged(s, |s| s.tap_format(t))),
        ("tap", fails_unchanged(s, |s| s.tap(t))),
    ]
}

#[test]
fn a_tap_that_was_removed_or_belongs_to_another_call() {
    let (mut s, c, ..) = call();
    let gone = s.add_tap(Tap::stereo()).unwrap();
    s.remove_tap(gone).unwrap();
    for (what, e) in every_tap_call(&s, gone, c) {
        assert_eq!(e, Error::UnknownTap { tap: gone }, "{what}");
        names(&e, &["tap #0", "not on this call"]);
    }
    let (mut other, ..) = call();
    let theirs = other.add_tap(Tap::stereo()).unwrap();
    let mine = s.add_tap(Tap::stems()).unwrap();
    assert_eq!(mine.get(), 1);
    // The other call's tap #0 and #1 both act on nothing here.
    let theirs_too = other.add_tap(Tap::stems()).unwrap();
    for t in [theirs, theirs_too] {
        for (what, e) in every_tap_call(&s, t, c) {
            assert_eq!(e, Error::ForeignTap { tap: t }, "{what}");
            names(&e, &["another session", "expected a tap of this call"]);
        }
    }
}

#[test]
fn a_channel_of_stems_or_a_stem_of_a_stereo_tap() {
    let (mut s, c, a, _) = call();
    let stereo = s.add_tap(Tap::stereo()).unwrap();
    let stems = s.add_tap(Tap::stems()).unwrap();
    let e = fails_unchanged(&s, |s| s.tap_stem(stereo, c).map(|_| ()));
    assert_eq!(e, Error::NotStems { tap: stereo });
    names(&e, &["tap #0", "stereo", "expected a tap of stems"]);
    let e = fails_unchanged(&s, |s| {
        s.tap_channel(stems, TapChannel::Customer).map(|_| ())
    });
    assert_eq!(e, Error::NotStereo { tap: stems });
    names(&e, &["tap #1", "stems", "expected a stereo tap"]);
    // The party of a stem is checked as every party is.
    s.leave(a).unwrap();
    let e = fails_unchanged(&s, |s| s.tap_stem(stems, a).map(|_| ()));
    assert_eq!(e, Error::PartyLeft { party: a });
    let other = Session::<i16>::new(Format::NARROWBAND_20MS)
        .join(Role::Agent)
        .unwrap();
    let e = fails_unchanged(&s, |s| s.tap_stem(stems, other).map(|_| ()));
    assert_eq!(e, Error::ForeignParty { party: other });
}

#[test]
fn a_tap_at_an_unsupported_rate() {
    assert_eq!(
        Tap::stereo().at_rate(44100),
        Err(Error::UnsupportedSampleRate { given: 44100 })
    );
}

#[test]
fn an_announcement_call_on_a_party_that_is_not_one() {
    let (s, c, ..) = call();
    let errors = [
        fails_unchanged(&s, |s| s.set_audience(c, barge::Audience::EVERYONE)),
        fails_unchanged(&s, |s| s.play(c, &barge::ToneSpec::JOIN_BEEP)),
        fails_unchanged(&s, |s| s.stop(c)),
        fails_unchanged(&s, |s| s.set_disclosure(c)),
        fails_unchanged(&s, |s| s.prompt_ended(c)),
    ];
    for e in errors {
        assert_eq!(
            e,
            Error::NotAnAnnouncement {
                party: c,
                role: Role::Customer
            }
        );
        names(&e, &["#0", "customer", "expected an announcement"]);
    }
}

#[test]
fn a_frame_for_an_announcement_that_plays_a_tone() {
    let (mut s, ..) = call();
    let beep = s.join(Join::announcement(barge::Audience::AGENTS)).unwrap();
    s.play(beep, &barge::ToneSpec::JOIN_BEEP).unwrap();
    let frame = [0i16; 160];
    let errors = [
        fails_unchanged(&s, |s| s.put_frame(beep, &frame)),
        fails_unchanged(&s, |s| s.frame_mut(beep).map(|_| ())),
        fails_unchanged(&s, |s| s.mix_frames(&[(beep, &frame)])),
        fails_unchanged(&s, |s| {
            s.set_leg_format(beep, Format::new(16000, 20).unwrap())
        }),
        fails_unchanged(&s, |s| s.prompt_ended(beep)),
    ];
    for e in errors {
        assert_eq!(e, Error::TonePlaying { party: beep });
        names(
            &e,
            &["#3", "playing a tone", "expected nothing from the host"],
        );
    }
}

#[test]
fn a_tone_that_cannot_be_played() {
    use barge::tone::{Cadence, Component, Repeat};
    let (mut s, ..) = call();
    let beep = s.join(Join::announcement(barge::Audience::AGENTS)).unwrap();
    let once = Cadence::once(100);
    // 4000 Hz is the Nyquist frequency at 8 kHz.
    let e = fails_unchanged(&s, |s| s.play(beep, &ToneSpec::single(4000.0, -10.0, once)));
    assert!(matches!(e, Error::ToneFrequency { .. }), "{e}");
    names(&e, &["4000 Hz", "below 4000 Hz"]);
    let e = fails_unchanged(&s, |s| s.play(beep, &ToneSpec::single(440.0, 10.0, once)));
    assert!(matches!(e, Error::ToneLevel { .. }), "{e}");
    names(&e, &["10 dBm0"]);
    let two = ToneSpec::dual(
        Component::new(440.0, -10.0),
        Component::new(480.0, -10.0),
        once,
    );
    assert!(s.play(beep, &two).is_ok());
    let e = fails_unchanged(&s, |s| {
        s.set_cue(
            barge::CueOn::Join,
            Some(barge::Cue {
                tone: ToneSpec::single(440.0, -10.0, Cadence::new(100, 50, Repeat::Times(0))),
                audience: barge::Audience::SUPERVISORS,
            }),
        )
    });
    assert!(matches!(e, Error::ToneCadence { .. }), "{e}");
}

#[test]
fn a_digit_that_is_not_dtmf() {
    use barge::dtmf::Digit;
    let e = Digit::from_event_code(16).unwrap_err();
    assert_eq!(e, Error::DtmfEventCode { given: 16 });
    names(&e, &["16", "0 to 15"]);
    let e = Digit::from_char('E').unwrap_err();
    assert_eq!(e, Error::DtmfChar { given: 'E' });
    names(&e, &["'E'", "0-9, *, #, A-D"]);
}

#[test]
fn a_label_that_is_empty_too_long_or_holds_a_control_character() {
    use barge::Label;
    assert_eq!(Label::new(""), Err(Error::EmptyLabel { max: 32 }));
    let long = "x".repeat(33);
    let e = Label::new(&long).unwrap_err();
    assert_eq!(e, Error::LabelTooLong { given: 33, max: 32 });
    names(&e, &["33 bytes", "1 to 32 bytes"]);
    let e = Label::new("a\nb").unwrap_err();
    assert_eq!(
        e,
        Error::LabelCharacter {
            character: '\n',
            at: 1
        }
    );
    names(&e, &["'\\n'", "byte 1"]);
}

#[test]
fn an_identity_with_too_many_groups_or_a_grant_on_too_many_agents() {
    use barge::{Grant, Identity, Label};
    let l = |s: &str| Label::new(s).unwrap();
    let mut id = Identity::new(l("sam"));
    for g in ["a", "b", "c", "d"] {
        id = id.with_group(l(g)).unwrap();
    }
    let e = id.with_group(l("e")).unwrap_err();
    assert!(matches!(e, Error::TooManyGroups { max: 4, .. }), "{e}");
    names(&e, &["\"e\"", "\"sam\"", "at most 4 groups"]);
    let keys = (0..1025).map(|k| l(&format!("agent-{k}")));
    let e = Grant::any_supervisor()
        .may([Mode::Monitor])
        .on_agents(keys)
        .unwrap_err();
    assert_eq!(
        e,
        Error::TooManyAgents {
            given: 1025,
            max: 1024
        }
    );
    names(&e, &["1025 agents", "at most 1024"]);
}

#[test]
fn a_supervisor_outside_its_grant() {
    use barge::{Grant, Identity, Label, Policy, Reason};
    let l = |s: &str| Label::new(s).unwrap();
    let alex = Identity::new(l("alex")).with_group(l("team-a")).unwrap();
    let quinn = Identity::new(l("quinn")).with_group(l("qa")).unwrap();
    let policy = Policy::new().grant(Grant::group(l("qa")).may([Mode::Monitor]).on_every_agent());
    let mut s = Session::<i16>::new(Format::NARROWBAND_20MS);
    s.set_policy(Some(policy.into())).unwrap();
    let agent = s.join(Join::from(Role::Agent).identity(alex)).unwrap();
    let q = s
        .join(Join::supervisor(Mode::Monitor).identity(quinn))
        .unwrap();
    s.set_dtmf_map(barge::keypad::DtmfMap::CHANSPY);
    // Each refused call: the error, the same refusal on the audit trail,
    // and nothing else changed.
    let refused = |s: &Session<i16>, f: &dyn Fn(&mut Session<i16>) -> Result<(), Error>| {
        let mut after = s.clone();
        let e = f(&mut after).expect_err("refused");
        let Error::Refused { refusal } = e else {
            panic!("{e}")
        };
        let mut before = s.clone();
        let old: Vec<_> = std::iter::from_fn(|| before.poll_event()).collect();
        let new: Vec<_> = std::iter::from_fn(|| after.poll_event()).collect();
        assert_eq!(new.len(), old.len() + 1);
        assert_eq!(
            new.last(),
            Some(&barge::Event::Refused {
                refusal,
                at: s.tick()
            })
        );
        assert_eq!(format!("{after:?}"), format!("{before:?}"));
        (refusal, e.to_string())
    };
    let (r, msg) = refused(&s, &|s| s.set_mode(q, Mode::Whisper));
    assert_eq!(
        r.reason,
        Reason::NotGranted {
            granted: Mode::Monitor.into()
        }
    );
    assert_eq!(
        msg,
        "supervisor \"quinn\" may not use whisper on agent \"alex\": granted on that agent: monitor"
    );
    let (r, _) = refused(&s, &|s| s.press(q, barge::dtmf::Digit::Six).map(|_| ()));
    assert_eq!(r.mode, Mode::Barge);
    let (r, msg) = refused(&s, &|s| s.join(Join::supervisor(Mode::Monitor)).map(|_| ()));
    assert_eq!(r.reason, Reason::NoIdentity);
    names_str(&msg, &["without a key", "monitor", "\"alex\""]);
    // An agent of another team joins where quinn monitors: allowed (qa
    // monitors every agent); an opted-out agent: refused.
    let out = Identity::new(l("olive")).with_opt_out();
    let (r, msg) = refused(&s, &|s| {
        s.join(Join::from(Role::Agent).identity(out)).map(|_| ())
    });
    assert_eq!(r.reason, Reason::OptedOut);
    names_str(&msg, &["\"quinn\"", "\"olive\"", "opted out"]);
    // A policy that the supervisor on the call breaks is refused whole.
    let none = Policy::new();
    let (r, _) = refused(&s, &|s| s.set_policy(Some(none.clone().into())));
    assert_eq!(r.supervisor, Some(l("quinn")));
    let _ = agent;
}

fn names_str(msg: &str, parts: &[&str]) {
    for p in parts {
        assert!(msg.contains(p), "{msg:?} does not name {p:?}");
    }
}

#[test]
fn a_source_for_an_announcement_that_plays_a_tone() {
    let (mut s, c, ..) = call();
    let beep = s
        .join(Join::announcement(barge::Audience::EVERYONE))
        .unwrap();
    s.play(beep, &ToneSpec::JOIN_BEEP).unwrap();
    let (mut pc, mut pb) = (Probe::default(), Probe::default());
    let mut driver = Driver::new(Format::NARROWBAND_20MS);
    let e = fails_unchanged(&s, |s| {
        driver.tick(
            s,
            &mut [Leg::duplex(c, &mut pc), Leg::talk_only(beep, &mut pb)],
        )
    });
    assert_eq!(e, Error::TonePlaying { party: beep });
    untouched(&[&pc, &pb]);
}
