//! Inputs that once broke the crate, kept so they never do again.

use std::time::Duration;

use barge::kernel::{mix, RouteGain, Talker};
use barge::{Error, Gain, Ptime};

/// A duration a nanosecond past a supported one was reported truncated to
/// whole microseconds, so the error named a supported duration ("20 ms is
/// unsupported").
#[test]
fn a_duration_just_past_a_supported_one_is_not_named_as_it() {
    let e = Ptime::from_duration(Duration::from_nanos(20_000_001)).unwrap_err();
    assert_eq!(e, Error::UnsupportedPtime { given_us: 20_001 });
    assert!(e.to_string().contains("20001 µs"), "{e}");
}

/// A ramp across a long frame (longer than any session frame, but
/// `kernel::mix` takes any length): the gain step times the sample index
/// overflowed `i32` past about 32,900 samples, panicking in a debug build
/// and wrapping to a wrong gain in release.
#[test]
fn a_ramp_over_a_very_long_frame_stays_linear() {
    const LEN: usize = 40_000;
    let x = vec![8192i16; LEN];
    let mut out = vec![0i16; LEN];
    let ramp = RouteGain::ramp(Gain::MUTED, Gain::MAX, LEN);
    mix(&mut out, &[Talker::new(&x, ramp)]).unwrap();
    for w in out.windows(2) {
        assert!(w[0] <= w[1], "a rising ramp fell: {w:?}");
    }
    let q = (Gain::MAX.linear() * 16384.0 + 0.5) as i32;
    assert_eq!(
        out[LEN - 1] as i32,
        (8192 * q + 8192) >> 14,
        "8192 at +12 dB"
    );
}

/// The `i16` sum of 16,463 full-scale talkers at +12 dB overflowed the
/// `i32` accumulator. `kernel::mix` now hears at most `MAX_TALKERS`, whose
/// sum cannot overflow, and refuses more.
#[test]
fn the_most_talkers_at_the_loudest_gain_cannot_overflow() {
    use barge::kernel::MAX_TALKERS;
    let x = [i16::MIN; 80];
    let loud = RouteGain::steady(Gain::MAX);
    let talkers = vec![Talker::new(&x, loud); MAX_TALKERS];
    let mut out = [0i16; 80];
    assert_eq!(mix(&mut out, &talkers), Ok(80));
    assert_eq!(out, [i16::MIN; 80]);

    let talkers = vec![Talker::new(&x, loud); MAX_TALKERS + 1];
    let mut out = [7i16; 80];
    assert!(mix(&mut out, &talkers).is_err());
    assert_eq!(out, [7; 80], "nothing written");
}
