//! Lost frames concealed in a call: lost is not absent, a clean leg is
//! untouched, and concealed audio never reaches a listener whose route
//! opened after the audio it was made from.

use std::time::Duration;

use barge::{Error, Format, Join, Mode, PartyId, Session};

const N: usize = 160;

/// A voice-like 200 Hz wave, frame `k` of it.
fn voice(k: usize, amp: f32) -> Vec<i16> {
    (k * N..(k + 1) * N)
        .map(|n| (amp * (n as f32 * 2.0 * std::f32::consts::PI / 40.0).sin()) as i16)
        .collect()
}

fn call() -> Session<i16> {
    let mut call = Session::<i16>::new(Format::NARROWBAND_20MS);
    call.set_ramp(Duration::ZERO).unwrap();
    call
}

fn out(call: &Session<i16>, p: PartyId) -> Vec<i16> {
    call.output(p).unwrap().to_vec()
}

#[test]
fn a_lost_frame_is_concealed_and_counted() {
    let mut call = call();
    let c = call.join(Join::customer().conceal_loss()).unwrap();
    let a = call.join(Join::agent()).unwrap();
    for k in 0..3 {
        call.put_frame(c, &voice(k, 8000.0)).unwrap();
        call.mix();
    }
    call.lose_frame(c).unwrap();
    call.mix();
    let heard = out(&call, a);
    // The agent hears the voice go on where silence was.
    let energy: f64 = heard.iter().map(|&x| f64::from(x).powi(2)).sum();
    let truth = voice(3, 8000.0);
    let truth_energy: f64 = truth.iter().map(|&x| f64::from(x).powi(2)).sum();
    assert!(energy > truth_energy * 0.3, "{energy} of {truth_energy}");
    let st = call.party(c).unwrap().stats;
    assert_eq!(
        (st.frames_mixed, st.frames_missing, st.frames_concealed),
        (3, 1, 1)
    );
}

#[test]
fn an_absent_frame_stays_silence_for_a_party_that_conceals() {
    let mut call = call();
    let c = call.join(Join::customer().conceal_loss()).unwrap();
    let a = call.join(Join::agent()).unwrap();
    call.put_frame(c, &voice(0, 8000.0)).unwrap();
    call.mix();
    call.mix(); // nothing handed in: absent
    assert!(out(&call, a).iter().all(|&x| x == 0));
    call.skip_frame(c).unwrap();
    call.mix();
    assert!(out(&call, a).iter().all(|&x| x == 0));
    assert_eq!(call.party(c).unwrap().stats.frames_concealed, 0);
}

#[test]
fn a_party_that_does_not_conceal_hears_a_lost_frame_as_silence() {
    let mut call = call();
    let c = call.join(Join::customer()).unwrap();
    let a = call.join(Join::agent()).unwrap();
    call.put_frame(c, &voice(0, 8000.0)).unwrap();
    call.mix();
    call.lose_frame(c).unwrap();
    call.mix();
    assert!(out(&call, a).iter().all(|&x| x == 0));
    let st = call.party(c).unwrap().stats;
    assert_eq!((st.frames_missing, st.frames_concealed), (1, 0));
}

#[test]
fn a_clean_leg_is_bit_identical_with_or_without_concealment() {
    let (mut plain, mut hidden) = (call(), call());
    let p = [
        plain.join(Join::customer()).unwrap(),
        plain.join(Join::agent()).unwrap(),
    ];
    let h = [
        hidden.join(Join::customer().conceal_loss()).unwrap(),
        hidden.join(Join::agent().conceal_loss()).unwrap(),
    ];
    for k in 0..20 {
        let (x, y) = (voice(k, 9000.0), voice(k + 7, -3000.0));
        if k % 3 == 0 {
            plain.mix_frames(&[(p[0], &x), (p[1], &y)]).unwrap();
            hidden.mix_frames(&[(h[0], &x), (h[1], &y)]).unwrap();
        } else {
            plain.put_frame(p[0], &x).unwrap();
            hidden.put_frame(h[0], &x).unwrap();
            if k % 4 != 0 {
                plain.put_frame(p[1], &y).unwrap();
                hidden.put_frame(h[1], &y).unwrap();
            }
            plain.mix();
            hidden.mix();
        }
        assert_eq!(out(&plain, p[0]), out(&hidden, h[0]), "tick {k}");
        assert_eq!(out(&plain, p[1]), out(&hidden, h[1]), "tick {k}");
    }
}

#[test]
fn a_lost_frame_refuses_a_second_frame_and_changes_nothing_then() {
    let mut call = call();
    let c = call.join(Join::customer().conceal_loss()).unwrap();
    call.lose_frame(c).unwrap();
    let before = call.clone();
    let dup = |e: Result<(), Error>| matches!(e, Err(Error::DuplicateFrame { .. }));
    assert!(dup(call.lose_frame(c)));
    assert!(dup(call.put_frame(c, &[0; N])));
    assert!(dup(call.skip_frame(c)));
    assert!(dup(call.mix_frames(&[(c, &[0; N])])));
    assert!(call == before);
    // Nor does its leg change, or an announcement start a tone, with its
    // frame of the tick lost.
    assert!(dup(call.set_leg_format(c, Format::new(16000, 20).unwrap())));
    let prompt = call
        .join(Join::announcement(barge::Audience::CUSTOMERS).conceal_loss())
        .unwrap();
    call.lose_frame(prompt).unwrap();
    let before = call.clone();
    assert!(dup(call.play(prompt, &barge::ToneSpec::JOIN_BEEP)));
    assert!(call == before);
    call.mix();
    assert_eq!(call.leg_format(c), Ok(Format::NARROWBAND_20MS));
    assert_eq!(call.party(c).unwrap().stats.frames_concealed, 1);
}

/// Whisper to barge in the tick the supervisor's frame is lost: the
/// customer hears nothing made of the whisper, the agent hears it go on.
#[test]
fn a_concealed_whisper_never_reaches_the_customer_when_barging() {
    for ramp in [Duration::ZERO, Duration::from_millis(5)] {
        let mut call = call();
        call.set_ramp(ramp).unwrap();
        let c = call.join(Join::customer()).unwrap();
        let a = call.join(Join::agent()).unwrap();
        let s = call
            .join(Join::supervisor(Mode::Whisper).conceal_loss())
            .unwrap();
        for k in 0..4 {
            call.put_frame(s, &voice(k, 12000.0)).unwrap();
            call.mix();
        }
        call.set_mode(s, Mode::Barge).unwrap();
        for lost in 0..3 {
            call.lose_frame(s).unwrap();
            call.mix();
            assert!(
                out(&call, c).iter().all(|&x| x == 0),
                "concealed whisper in the customer's frame {lost}"
            );
            if lost == 0 {
                assert!(out(&call, a).iter().any(|&x| x.abs() > 1000));
            }
        }
        // The first frame back begins with the concealment's end: still
        // the whisper's, still not the customer's.
        call.put_frame(s, &voice(9, 12000.0)).unwrap();
        call.mix();
        assert!(out(&call, c).iter().all(|&x| x == 0));
        // Then the supervisor's own audio, after the switch: heard.
        call.put_frame(s, &voice(10, 12000.0)).unwrap();
        call.mix();
        assert!(out(&call, c).iter().any(|&x| x != 0));
    }
}

/// A supervisor who joins in monitor while the customer's frame is lost
/// changes nothing the agent hears.
#[test]
fn a_monitor_joining_during_a_loss_changes_nothing_the_agent_hears() {
    let mut twins = [call(), call()];
    let mut ids = Vec::new();
    for call in &mut twins {
        ids.push((
            call.join(Join::customer().conceal_loss()).unwrap(),
            call.join(Join::agent()).unwrap(),
        ));
    }
    for k in 0..8 {
        if k == 3 {
            twins[1].join(Join::supervisor(Mode::Monitor)).unwrap();
        }
        for (call, &(c, _)) in twins.iter_mut().zip(&ids) {
            if (3..5).contains(&k) {
                call.lose_frame(c).unwrap();
            } else {
                call.put_frame(c, &voice(k, 10000.0)).unwrap();
            }
            call.mix();
        }
        assert_eq!(
            out(&twins[0], ids[0].1),
            out(&twins[1], ids[1].1),
            "tick {k}"
        );
    }
}

/// A browser leg of 10 ms frames on a 20 ms call loses the second frame of
/// a tick: concealed at its own rate.
#[test]
fn a_shorter_leg_conceals_the_frame_it_lost() {
    let mut call = Session::<f32>::new(Format::NARROWBAND_20MS);
    call.set_ramp(Duration::ZERO).unwrap();
    let web = Format::new(48000, 10).unwrap();
    let c = call.join(Join::customer()).unwrap();
    let s = call
        .join(Join::supervisor(Mode::Barge).leg(web).conceal_loss())
        .unwrap();
    let tone = |k: usize| -> Vec<f32> {
        (k * 480..(k + 1) * 480)
            .map(|n| 0.3 * (n as f32 * 2.0 * std::f32::consts::PI / 240.0).sin())
            .collect()
    };
    // Past the history the concealer keeps (60 ms) since the route from
    // the supervisor opened, a tick after the join (its resampler).
    for k in 0..16 {
        call.put_frame(s, &tone(k)).unwrap();
        if k % 2 == 1 {
            call.mix();
        }
    }
    call.put_frame(s, &tone(16)).unwrap();
    call.lose_frame(s).unwrap();
    assert!(matches!(
        call.lose_frame(s),
        Err(Error::DuplicateFrame { .. })
    ));
    call.mix();
    // The customer hears the tone through the second half of the tick.
    let heard = call.output(c).unwrap();
    let late = heard[100..].iter().fold(0f32, |m, v| m.max(v.abs()));
    assert!(late > 0.1, "{late}");
    let st = call.party(s).unwrap().stats;
    assert_eq!((st.frames_concealed, st.frames_missing), (1, 1));
}

/// Non-finite samples in the frame after a loss are the party's, counted
/// once each, though the concealment blends into that frame.
#[test]
fn non_finite_samples_after_a_loss_are_all_counted() {
    for leg in [None, Some(Format::new(48000, 20).unwrap())] {
        let mut call = Session::<f32>::new(Format::NARROWBAND_20MS);
        let join = Join::customer().conceal_loss();
        let c = call
            .join(match leg {
                Some(f) => join.leg(f),
                None => join,
            })
            .unwrap();
        let a = call.join(Join::agent()).unwrap();
        let n = call.leg_format(c).unwrap().samples_per_frame();
        let tone: Vec<f32> = (0..n).map(|i| (i as f32 * 0.2).sin() * 0.3).collect();
        for _ in 0..3 {
            call.put_frame(c, &tone).unwrap();
            call.mix();
        }
        call.lose_frame(c).unwrap();
        call.mix();
        let mut bad = tone.clone();
        for k in 0..6 {
            bad[k] = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY][k % 3];
        }
        call.put_frame(c, &bad).unwrap();
        call.mix();
        assert_eq!(
            call.party(c).unwrap().stats.samples_non_finite,
            6,
            "{leg:?}"
        );
        assert!(call.output(a).unwrap().iter().all(|x| x.is_finite()));
    }
}

/// Through the `Driver`, a leg of 10 ms frames on a 20 ms call that
/// conceals loss: a frame lost, then one missing in the same tick, is what
/// `lose_frame` then `skip_frame` make of them (the missing one silence,
/// not a blend out of the concealment).
#[test]
fn the_driver_skips_a_missing_frame_of_a_shorter_leg_as_skip_frame_does() {
    use barge::media::{Driver, Fill, Leg};
    let ten = Format::new(8000, 10).unwrap();
    let new = || {
        let mut call = Session::<i16>::new(Format::NARROWBAND_20MS);
        call.set_ramp(Duration::ZERO).unwrap();
        let c = call.join(Join::customer().leg(ten).conceal_loss()).unwrap();
        let a = call.join(Join::agent()).unwrap();
        (call, c, a)
    };
    let voice10 = |k: usize| -> Vec<i16> {
        (k * 80..(k + 1) * 80)
            .map(|n| (6000.0 * (n as f32 * 2.0 * std::f32::consts::PI / 40.0).sin()) as i16)
            .collect()
    };
    // By hand.
    let (mut plain, c, a) = new();
    for k in 0..6 {
        plain.put_frame(c, &voice10(2 * k)).unwrap();
        plain.put_frame(c, &voice10(2 * k + 1)).unwrap();
        plain.mix();
    }
    plain.lose_frame(c).unwrap();
    plain.skip_frame(c).unwrap();
    plain.mix();
    // Through the driver.
    let (mut driven, dc, da) = new();
    let mut driver = Driver::new(Format::NARROWBAND_20MS);
    let mut n = 0;
    let mut from_c = |f: &mut [i16]| {
        n += 1;
        match n {
            13 => Fill::Lost,
            14 => Fill::Missing,
            _ => {
                f.copy_from_slice(&voice10(n - 1));
                Fill::Frame
            }
        }
    };
    let mut heard = Vec::new();
    let mut to_a = |f: &[i16]| heard = f.to_vec();
    let mut to_c = |_: &[i16]| {};
    let mut from_a = |f: &mut [i16]| {
        f.fill(0);
        Fill::Frame
    };
    for _ in 0..7 {
        driver
            .tick(
                &mut driven,
                &mut [
                    Leg::new(dc, &mut from_c, &mut to_c),
                    Leg::new(da, &mut from_a, &mut to_a),
                ],
            )
            .unwrap();
    }
    let want = plain.output(a).unwrap();
    assert!(want[80..].iter().all(|&x| x == 0), "skip_frame: silence");
    assert_eq!(heard, want);
    let (st, dst) = (
        plain.party(c).unwrap().stats,
        driven.party(dc).unwrap().stats,
    );
    assert_eq!(
        (dst.frames_mixed, dst.frames_missing, dst.frames_concealed),
        (st.frames_mixed, st.frames_missing, st.frames_concealed)
    );
}
