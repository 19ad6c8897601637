//! Call behaviour, specified tick by tick. Each party says a constant whose
//! digits identify it (customer 1, agent 10, supervisor 100), so what a party
//! hears reads as the set of parties it heard.

mod common;

use std::time::Duration;

use barge::{Error, Event, Format, Gain, Join, Mode, PartyId, Role, Session, MAX_PARTIES};
use common::{dc, Call};

const C: i16 = 1;
const A: i16 = 10;
const V: i16 = 100;

// Issue-level promise: at least 16 parties per call.
const _: () = assert!(MAX_PARTIES >= 16);

#[test]
fn monitoring_supervisor_hears_both_and_is_heard_by_nobody() {
    let mut call = Call::new(Mode::Monitor);
    assert_eq!(call.tick(C, A, V), (A, C, C + A));
}

#[test]
fn whisper_reaches_the_agent_and_never_the_customer() {
    let mut call = Call::new(Mode::Whisper);
    assert_eq!(call.tick(C, A, V), (A, C + V, C + A));
}

#[test]
fn barge_makes_a_three_way_call() {
    let mut call = Call::new(Mode::Barge);
    assert_eq!(call.tick(C, A, V), (A + V, C + V, C + A));
}

#[test]
fn a_supervisor_joins_in_monitor_unless_told_otherwise() {
    let mut s = Session::<i16>::new(Format::NARROWBAND_20MS);
    let v = s.join(Role::Supervisor).unwrap();
    assert_eq!(s.mode(v), Ok(Some(Mode::Monitor)));
}

#[test]
fn modes_switch_any_number_of_times_and_take_effect_at_the_next_tick() {
    let mut call = Call::new(Mode::Monitor);
    let script = [
        Mode::Whisper,
        Mode::Barge,
        Mode::Monitor,
        Mode::Barge,
        Mode::Whisper,
        Mode::Monitor,
        Mode::Whisper,
        Mode::CustomerOnly,
        Mode::PrivateWhisper,
        Mode::Barge,
        Mode::CustomerOnly,
        Mode::Whisper,
        Mode::PrivateWhisper,
        Mode::Monitor,
    ];
    for mode in script.iter().cycle().take(70) {
        call.s.set_mode(call.supervisor, *mode).unwrap();
        let (customer, agent, _) = call.tick(C, A, V);
        let expected = match mode {
            Mode::Monitor => (A, C),
            Mode::Whisper => (A, C + V),
            Mode::PrivateWhisper => (A, C + V),
            Mode::CustomerOnly => (A + V, C),
            Mode::Barge => (A + V, C + V),
            _ => unreachable!("every mode of the script is listed"),
        };
        assert_eq!((customer, agent), expected, "in {mode}");
    }
}

#[test]
fn whisper_reaches_the_agent_when_nothing_else_does() {
    let mut call = Call::new(Mode::Whisper);
    let n = 160;
    // The customer is on hold: no frame at all this tick.
    call.s.put_frame(call.supervisor, &dc(n, V)).unwrap();
    call.s.mix();
    assert_eq!(call.s.output(call.agent).unwrap(), &dc(n, V)[..]);
    assert_eq!(call.s.output(call.customer).unwrap(), &dc(n, 0)[..]);
}

#[test]
fn when_the_agent_leaves_a_barging_supervisor_takes_over() {
    let mut call = Call::new(Mode::Barge);
    call.tick(C, A, V);
    call.s.leave(call.agent).unwrap();
    let n = 160;
    call.s.put_frame(call.customer, &dc(n, C)).unwrap();
    call.s.put_frame(call.supervisor, &dc(n, V)).unwrap();
    call.s.mix();
    assert_eq!(call.s.output(call.customer).unwrap()[0], V);
    assert_eq!(call.s.output(call.supervisor).unwrap()[0], C);
    assert_eq!(
        call.s.output(call.agent),
        Err(Error::PartyLeft { party: call.agent })
    );
}

#[test]
fn when_the_supervisor_leaves_the_call_is_two_parties_again() {
    let mut call = Call::new(Mode::Barge);
    call.tick(C, A, V);
    let mut plain = Session::<i16>::new(Format::NARROWBAND_20MS);
    plain.set_ramp(Duration::ZERO).unwrap();
    let (pc, pa) = (
        plain.join(Role::Customer).unwrap(),
        plain.join(Role::Agent).unwrap(),
    );
    plain.mix();
    call.s.leave(call.supervisor).unwrap();
    let mut rng = common::Rng::new(7);
    for _ in 0..5 {
        let (c, a) = (common::noise(&mut rng, 160), common::noise(&mut rng, 160));
        call.s.put_frame(call.customer, &c).unwrap();
        call.s.put_frame(call.agent, &a).unwrap();
        plain.put_frame(pc, &c).unwrap();
        plain.put_frame(pa, &a).unwrap();
        call.s.mix();
        plain.mix();
        assert_eq!(call.s.output(call.customer), plain.output(pc));
        assert_eq!(call.s.output(call.agent), plain.output(pa));
    }
}

#[test]
fn several_supervisors_each_have_their_own_mode() {
    let mut s = Session::<i16>::new(Format::NARROWBAND_20MS);
    s.set_ramp(Duration::ZERO).unwrap();
    let c = s.join(Role::Customer).unwrap();
    let a = s.join(Role::Agent).unwrap();
    let mon = s.join(Join::supervisor(Mode::Monitor)).unwrap();
    let whi = s.join(Join::supervisor(Mode::Whisper)).unwrap();
    let bar = s.join(Join::supervisor(Mode::Barge)).unwrap();
    let says = [(c, 1), (a, 10), (mon, 100), (whi, 1000), (bar, 10000)];
    for (p, v) in says {
        s.put_frame(p, &dc(160, v)).unwrap();
    }
    s.mix();
    let heard = |p: PartyId| s.output(p).unwrap()[0];
    assert_eq!(heard(c), 10 + 10000);
    assert_eq!(heard(a), 1 + 1000 + 10000);
    assert_eq!(heard(mon), 1 + 10 + 1000 + 10000);
    assert_eq!(heard(whi), 1 + 10 + 10000);
    assert_eq!(heard(bar), 1 + 10 + 1000);
}

#[test]
fn a_recorder_hears_the_call_and_whispers_only_if_asked() {
    let mut call = Call::new(Mode::Whisper);
    let plain = call.s.join(Join::recorder(false)).unwrap();
    let coach = call.s.join(Join::recorder(true)).unwrap();
    call.s.put_frame(plain, &dc(160, 5000)).unwrap();
    let (customer, agent, sup) = call.tick(C, A, V);
    assert_eq!(
        (customer, agent, sup),
        (A, C + V, C + A),
        "nobody hears a recorder"
    );
    assert_eq!(call.s.output(plain).unwrap()[0], C + A);
    assert_eq!(call.s.output(coach).unwrap()[0], C + A + V);
    call.s.set_mode(call.supervisor, Mode::Barge).unwrap();
    call.tick(C, A, V);
    assert_eq!(call.s.output(plain).unwrap()[0], C + A + V);
}

#[test]
fn nobody_hears_themselves() {
    let mut call = Call::new(Mode::Barge);
    let (customer, agent, sup) = call.tick(C, 0, 0);
    assert_eq!(customer, 0);
    assert_eq!((agent, sup), (C, C));
    let (customer, agent, sup) = call.tick(0, 0, V);
    assert_eq!((customer, agent, sup), (V, V, 0));
}

#[test]
fn a_missing_frame_is_silence_and_is_counted() {
    let mut call = Call::new(Mode::Barge);
    call.tick(C, A, V);
    // Only the customer sends this time: the agent's last frame is not
    // repeated, and nobody hears anything of the agent or the supervisor.
    call.s.put_frame(call.customer, &dc(160, C)).unwrap();
    call.s.mix();
    assert_eq!(call.s.output(call.customer).unwrap(), &dc(160, 0)[..]);
    assert_eq!(call.s.output(call.agent).unwrap(), &dc(160, C)[..]);
    let agent = call.s.party(call.agent).unwrap().stats;
    assert_eq!((agent.frames_mixed, agent.frames_missing), (1, 1));
    let customer = call.s.party(call.customer).unwrap().stats;
    assert_eq!((customer.frames_mixed, customer.frames_missing), (2, 0));
}

#[test]
fn i16_sums_saturate_once_and_count_clipping() {
    let mut call = Call::new(Mode::Barge);
    // 30000 + 30000 - 30000: a mixer that saturates as it goes gives 2767.
    let (customer, agent, sup) = call.tick(30000, 30000, -30000);
    assert_eq!(customer, 0);
    assert_eq!(agent, 0);
    assert_eq!(sup, i16::MAX);
    assert_eq!(
        call.s.party(call.supervisor).unwrap().stats.samples_clipped,
        160
    );
    assert_eq!(call.s.party(call.agent).unwrap().stats.samples_clipped, 0);
}

#[test]
fn non_finite_f32_samples_reach_nobody() {
    let mut s = Session::<f32>::new(Format::WEBRTC_10MS);
    s.set_ramp(Duration::ZERO).unwrap();
    let c = s.join(Role::Customer).unwrap();
    let a = s.join(Role::Agent).unwrap();
    let v = s.join(Join::supervisor(Mode::Barge)).unwrap();
    let mut bad = vec![0.25f32; 480];
    bad[0] = f32::NAN;
    bad[1] = f32::INFINITY;
    bad[2] = f32::NEG_INFINITY;
    s.put_frame(c, &bad).unwrap();
    s.put_frame(a, &vec![0.5; 480]).unwrap();
    s.put_frame(v, &vec![0.125; 480]).unwrap();
    s.mix();
    for p in [a, v] {
        let out = s.output(p).unwrap();
        assert!(
            out.iter().all(|x| x.is_finite()),
            "party {p} heard a non-finite sample"
        );
    }
    assert_eq!(&s.output(a).unwrap()[..4], &[0.125, 0.125, 0.125, 0.375]);
    assert_eq!(s.party(c).unwrap().stats.samples_non_finite, 3);
}

#[test]
fn routes_that_open_ramp_linearly_over_the_configured_time() {
    let mut call = Call::new(Mode::Monitor);
    call.s.set_ramp(Duration::from_millis(5)).unwrap();
    call.tick(0, 0, 16000);
    call.s.set_mode(call.supervisor, Mode::Barge).unwrap();
    let n = 160;
    call.s.put_frame(call.supervisor, &dc(n, 16000)).unwrap();
    call.s.mix();
    let heard = call.s.output(call.customer).unwrap();
    let ramp = 40; // 5 ms at 8 kHz
    assert!(heard[0] > 0 && heard[0] < 1000, "first sample {}", heard[0]);
    for w in heard[..ramp].windows(2) {
        assert!(w[0] < w[1], "the ramp rises every sample");
    }
    assert!(heard[ramp - 1..].iter().all(|&x| x == 16000));
    // The next tick is steady.
    call.s.put_frame(call.supervisor, &dc(n, 16000)).unwrap();
    call.s.mix();
    assert_eq!(call.s.output(call.customer).unwrap(), &dc(n, 16000)[..]);
}

#[test]
fn a_route_the_new_mode_closes_closes_at_once() {
    let mut call = Call::new(Mode::Barge);
    call.s.set_ramp(Duration::from_millis(10)).unwrap();
    call.tick(C, A, V);
    call.tick(C, A, V);
    call.s.set_mode(call.supervisor, Mode::Whisper).unwrap();
    call.tick(C, A, V);
    assert_eq!(call.s.output(call.customer).unwrap(), &dc(160, A)[..]);
}

#[test]
fn volume_changes_ramp_in_and_scale_what_everyone_hears() {
    let mut call = Call::new(Mode::Barge);
    call.tick(C, A, 8000);
    call.s.set_volume(call.supervisor, -6.0).unwrap();
    call.s.set_ramp(Duration::from_millis(10)).unwrap();
    call.tick(0, 0, 8000);
    let heard = call.s.output(call.agent).unwrap();
    assert_eq!(
        heard[0], 7950,
        "first of 80 ramp steps from 8000 towards 4009.5"
    );
    assert!(
        heard[79] > 3990 && heard[79] < 4030,
        "reaches -6 dB: {}",
        heard[79]
    );
    let (c, a, _) = call.tick(0, 0, 8000);
    assert_eq!(c, a);
    assert!(
        (c as f32 - 4009.5).abs() <= 1.0,
        "-6 dB of 8000 is 4009.5: {c}"
    );
    call.s
        .set_volume(call.supervisor, f32::NEG_INFINITY)
        .unwrap();
    call.tick(0, 0, 8000);
    assert_eq!(call.tick(0, 0, 8000), (0, 0, 0));
}

#[test]
fn a_route_gain_never_opens_a_route_the_mode_closes() {
    let mut call = Call::new(Mode::Monitor);
    call.s
        .set_route_gain(call.agent, call.supervisor, 12.0)
        .unwrap();
    call.s
        .set_route_gain(call.customer, call.supervisor, 0.0)
        .unwrap();
    assert_eq!(call.tick(C, A, V), (A, C, C + A), "monitor stays silent");
    call.s.set_mode(call.supervisor, Mode::Whisper).unwrap();
    let (customer, _, _) = call.tick(C, A, V);
    assert_eq!(customer, A, "a whisper stays a whisper");
    call.s
        .set_route_gain(call.supervisor, call.customer, f32::NEG_INFINITY)
        .unwrap();
    assert_eq!(
        call.tick(C, A, V).2,
        A,
        "a route gain closes what the mode opens"
    );
    assert_eq!(
        call.s.route_gain(call.supervisor, call.customer),
        Ok(Some(Gain::MUTED))
    );
    call.s
        .clear_route_gain(call.supervisor, call.customer)
        .unwrap();
    assert_eq!(call.tick(C, A, V).2, C + A);
}

#[test]
fn turning_a_barging_supervisor_down_for_the_customer_does_not_carry_into_whisper() {
    // The reproduction: in barge the host turns the supervisor down for the
    // customer, then the supervisor whispers and later monitors.
    let mut call = Call::new(Mode::Barge);
    call.s
        .set_route_gain(call.customer, call.supervisor, -6.0)
        .unwrap();
    let (customer, agent, _) = call.tick(0, 0, 8000);
    assert!((customer - 4009).abs() <= 1, "-6 dB in barge: {customer}");
    assert_eq!(agent, 8000);
    call.s.set_mode(call.supervisor, Mode::Whisper).unwrap();
    assert_eq!(
        call.tick(C, A, 8000).0,
        A,
        "whisper: the customer hears only the agent"
    );
    call.s.set_mode(call.supervisor, Mode::Monitor).unwrap();
    assert_eq!(
        call.tick(C, A, 8000),
        (A, C, C + A),
        "monitor: nobody hears it"
    );
    call.s.set_mode(call.supervisor, Mode::Barge).unwrap();
    let (customer, _, _) = call.tick(0, 0, 8000);
    assert!(
        (customer - 4009).abs() <= 1,
        "back in barge, -6 dB again: {customer}"
    );
}

#[test]
fn talk_to_the_customer_only_keeps_the_agent_out() {
    let mut call = Call::new(Mode::CustomerOnly);
    assert_eq!(call.tick(C, A, V), (A + V, C, C + A));
    call.s.set_volume(call.supervisor, 12.0).unwrap();
    assert_eq!(call.tick(C, A, V).1, C, "no volume reaches the agent");
}

#[test]
fn a_private_whisper_reaches_the_agent_and_the_supervisor_hears_nothing() {
    let mut call = Call::new(Mode::PrivateWhisper);
    assert_eq!(call.tick(C, A, V), (A, C + V, 0));
    call.s
        .set_route_gain(call.supervisor, call.customer, 6.0)
        .unwrap();
    assert_eq!(call.tick(C, A, V).2, 0, "a route gain cannot open its ears");
    call.s
        .clear_route_gain(call.supervisor, call.customer)
        .unwrap();
    call.s.set_mode(call.supervisor, Mode::Whisper).unwrap();
    assert_eq!(
        call.tick(C, A, V),
        (A, C + V, C + A),
        "whisper: it hears the call again"
    );
}

#[test]
fn hears_reports_the_route_matrix_from_the_next_tick() {
    let mut call = Call::new(Mode::Whisper);
    let (c, a, v) = (call.customer, call.agent, call.supervisor);
    assert_eq!(call.s.hears(c, v), Ok(Gain::MUTED));
    assert_eq!(call.s.hears(a, v), Ok(Gain::UNITY));
    call.s.set_route_gain(a, v, -6.0).unwrap();
    call.s.set_volume(v, -6.0).unwrap();
    let g = call.s.hears(a, v).unwrap();
    assert!(
        (g.db() + 12.0).abs() < 0.01,
        "route gain times volume: {}",
        g.db()
    );
    call.s.set_mode(v, Mode::Barge).unwrap();
    assert!((call.s.hears(c, v).unwrap().db() + 6.0).abs() < 0.01);
}

#[test]
fn a_route_gain_set_twice_records_one_event() {
    let mut call = Call::new(Mode::Barge);
    while call.s.poll_event().is_some() {}
    for _ in 0..1000 {
        call.s
            .set_route_gain(call.customer, call.supervisor, -6.0)
            .unwrap();
    }
    call.s.set_mode(call.supervisor, Mode::Barge).unwrap();
    call.s.set_volume(call.agent, 0.0).unwrap();
    call.s.clear_route_gain(call.agent, call.customer).unwrap();
    let events: Vec<Event> = std::iter::from_fn(|| call.s.poll_event()).collect();
    assert_eq!(events.len(), 1, "{events:?}");
    assert!(matches!(events[0], Event::RouteGainSet { .. }));
}

#[test]
fn a_full_audit_trail_drops_the_oldest_and_says_how_many() {
    let mut call = Call::new(Mode::Monitor);
    while call.s.poll_event().is_some() {}
    call.s.set_event_limit(4);
    let modes = [Mode::Whisper, Mode::Barge, Mode::Monitor];
    for i in 0..10u64 {
        call.s
            .set_mode(call.supervisor, modes[i as usize % 3])
            .unwrap();
        call.tick(C, A, V);
    }
    assert_eq!(call.s.events_pending(), 5);
    assert_eq!(
        call.s.poll_event(),
        Some(Event::Dropped {
            count: 6,
            first_at: 0,
            at: 5
        })
    );
    let kept: Vec<u64> = std::iter::from_fn(|| call.s.poll_event())
        .map(|e| e.at())
        .collect();
    assert_eq!(kept, [6, 7, 8, 9]);
    call.s.set_event_limit(0);
    call.s.set_mode(call.supervisor, Mode::Barge).unwrap();
    assert!(matches!(
        call.s.poll_event(),
        Some(Event::Dropped {
            count: 1,
            at: 10,
            ..
        })
    ));
    assert_eq!(call.s.poll_event(), None);
}

#[test]
fn events_are_stamped_with_the_tick_they_take_effect() {
    let mut call = Call::new(Mode::Monitor);
    while call.s.poll_event().is_some() {}
    for _ in 0..125 {
        call.tick(C, A, V);
    }
    call.s.set_mode(call.supervisor, Mode::Whisper).unwrap();
    call.s.set_volume(call.agent, -3.0).unwrap();
    call.s
        .set_route_gain(call.customer, call.agent, -1.0)
        .unwrap();
    call.s.clear_route_gain(call.customer, call.agent).unwrap();
    call.s.leave(call.supervisor).unwrap();
    let events: Vec<Event> = std::iter::from_fn(|| call.s.poll_event()).collect();
    assert_eq!(events.len(), 5);
    assert_eq!(
        events[0],
        Event::ModeChanged {
            party: call.supervisor,
            label: None,
            from: Mode::Monitor,
            to: Mode::Whisper,
            at: 125
        }
    );
    assert!(
        matches!(events[1], Event::VolumeChanged { party, at: 125, .. } if party == call.agent)
    );
    assert!(matches!(events[2], Event::RouteGainSet { at: 125, .. }));
    assert!(matches!(events[3], Event::RouteGainCleared { at: 125, .. }));
    assert_eq!(
        events[4],
        Event::Left {
            party: call.supervisor,
            role: Role::Supervisor,
            label: None,
            at: 125
        }
    );
    assert_eq!(call.s.poll_event(), None);
}

#[test]
fn a_session_holds_max_parties_and_refuses_the_next() {
    let mut s = Session::<i16>::new(Format::NARROWBAND_20MS);
    for _ in 0..MAX_PARTIES {
        s.join(Role::Supervisor).unwrap();
    }
    let before = s.clone();
    let e = s.join(Role::Customer).unwrap_err();
    assert_eq!(e, Error::TooManyParties { max: MAX_PARTIES });
    assert!(e.to_string().contains(&MAX_PARTIES.to_string()));
    assert_eq!(s, before);
}

#[test]
fn f32_and_i16_sessions_both_mix_the_call() {
    for format in [Format::NARROWBAND_20MS, Format::new(48000, 60).unwrap()] {
        let n = format.samples_per_frame();
        let mut s = Session::<f32>::new(format);
        let c = s.join(Role::Customer).unwrap();
        let a = s.join(Role::Agent).unwrap();
        let v = s.join(Join::supervisor(Mode::Whisper)).unwrap();
        s.set_ramp(Duration::ZERO).unwrap();
        s.put_frame(c, &vec![0.25; n]).unwrap();
        s.put_frame(a, &vec![0.5; n]).unwrap();
        s.put_frame(v, &vec![0.125; n]).unwrap();
        s.mix();
        assert_eq!(s.output(c).unwrap(), &vec![0.5; n][..]);
        assert_eq!(s.output(a).unwrap(), &vec![0.375; n][..]);
        assert_eq!(s.output(v).unwrap(), &vec![0.75; n][..]);
    }
}

#[test]
fn a_pcmu_leg_joins_a_wideband_call_through_its_own_rate() {
    use barge::g711::Law;
    use barge::media::{Driver, Fill, G711Sink, G711Source, Leg, LegEnd};
    let call_format = Format::new(16000, 20).unwrap();
    let pstn = Format::NARROWBAND_20MS;
    let mut s = Session::<i16>::new(call_format);
    let customer = s.join(Role::Customer).unwrap();
    let agent = s.join(Role::Agent).unwrap();
    s.set_leg_format(customer, pstn).unwrap();
    let mut from_c = G711Source::new(Law::Ulaw, pstn, |p: &mut [u8]| {
        p.fill(0xFF);
        Fill::Frame
    })
    .unwrap();
    let mut sent = 0;
    let mut to_c = G711Sink::new(Law::Ulaw, pstn, |p: &[u8]| {
        assert_eq!(p.len(), 160);
        sent += 1;
    })
    .unwrap();
    let mut agent_mic = |f: &mut [i16]| {
        assert_eq!(f.len(), 320, "the agent's leg is the call's 16 kHz");
        Fill::Frame
    };
    let mut driver = Driver::new(call_format);
    driver
        .tick(
            &mut s,
            &mut [
                Leg::new(customer, &mut from_c, &mut to_c),
                Leg::talk_only(agent, &mut agent_mic),
            ],
        )
        .unwrap();
    drop(to_c);
    assert_eq!(sent, 1);
    assert_eq!(s.output(agent).unwrap().len(), 320);
    // The same G.711 source on a 16 kHz party is a format mismatch.
    let mut wrong = G711Source::new(Law::Ulaw, pstn, |_: &mut [u8]| Fill::Missing).unwrap();
    let e = driver
        .tick(&mut s, &mut [Leg::talk_only(agent, &mut wrong)])
        .unwrap_err();
    assert_eq!(
        e,
        Error::LegFormat {
            party: agent,
            end: LegEnd::Source,
            given: pstn,
            expected: call_format
        }
    );
}

#[test]
fn a_leg_at_the_calls_rate_is_never_resampled() {
    let mut plain = Call::new(Mode::Barge);
    let mut set = Call::new(Mode::Barge);
    for p in [set.customer, set.agent, set.supervisor] {
        set.s.set_leg_format(p, Format::NARROWBAND_20MS).unwrap();
    }
    let e = set
        .s
        .set_leg_format(set.customer, Format::new(8000, 30).unwrap())
        .unwrap_err();
    assert_eq!(
        e,
        Error::LegFrameDuration {
            given_ms: 30,
            expected_ms: 20
        }
    );
    for k in 0..20i16 {
        assert_eq!(plain.tick(C * k, A, V), set.tick(C * k, A, V));
    }
}

#[test]
fn a_20_ms_leg_on_a_10_ms_call_is_heard_from_its_first_tick_and_hears_whole_frames() {
    let call_format = Format::new(8000, 10).unwrap();
    let pstn = Format::new(8000, 20).unwrap();
    let mut s = Session::<i16>::new(call_format);
    s.set_ramp(Duration::ZERO).unwrap();
    let customer = s.join(Role::Customer).unwrap();
    let agent = s.join(Role::Agent).unwrap();
    s.set_leg_format(customer, pstn).unwrap();
    let said: Vec<i16> = (0..160).map(|i| i * 3 - 200).collect();
    let mut agent_heard = Vec::new();
    let mut customer_heard = Vec::new();
    for tick in 0..6 {
        assert_eq!(s.frame_due(customer), Ok(tick % 2 == 0), "tick {tick}");
        assert_eq!(s.frame_due(agent), Ok(true));
        if tick % 2 == 0 {
            if tick < 4 {
                s.put_frame(customer, &said).unwrap();
            } // tick 4: the customer's frame is missing
        } else {
            let before = s.clone();
            assert_eq!(
                s.put_frame(customer, &said),
                Err(Error::FrameNotDue {
                    party: customer,
                    next: tick + 1
                })
            );
            assert_eq!(s, before);
        }
        let a: Vec<i16> = (0..80).map(|i| 1000 + tick as i16 * 100 + i).collect();
        s.put_frame(agent, &a).unwrap();
        s.mix();
        agent_heard.extend_from_slice(s.output(agent).unwrap());
        assert_eq!(s.output(customer).unwrap().len(), 160);
        if s.frame_due(customer).unwrap() {
            customer_heard.extend_from_slice(s.output(customer).unwrap());
        }
    }
    // No delay: the agent hears sample j of the 20 ms frame in the tick it
    // falls in, at its place; a missing frame is silence for both ticks.
    assert_eq!(&agent_heard[..160], &said[..]);
    assert_eq!(&agent_heard[160..320], &said[..]);
    assert_eq!(&agent_heard[320..], &[0; 160][..]);
    // The customer hears whole 20 ms frames: the agent's two 10 ms frames.
    let agent_said: Vec<i16> = (0..6)
        .flat_map(|t| (0..80).map(move |i| 1000 + t * 100 + i))
        .collect();
    assert_eq!(customer_heard, agent_said);
    let st = s.party(customer).unwrap().stats;
    assert_eq!((st.frames_mixed, st.frames_missing), (4, 2));
}

#[test]
fn a_10_ms_leg_on_a_20_ms_call_is_heard_in_its_tick_and_hears_its_frames_in_order() {
    let call_format = Format::NARROWBAND_20MS;
    let webrtc = Format::new(8000, 10).unwrap();
    let mut s = Session::<i16>::new(call_format);
    s.set_ramp(Duration::ZERO).unwrap();
    let customer = s.join(Role::Customer).unwrap();
    let agent = s.join(Join::agent().leg(webrtc)).unwrap();
    let (mut customer_heard, mut agent_heard) = (Vec::new(), Vec::new());
    for tick in 0..4i16 {
        // The customer's 20 ms; the agent's two 10 ms frames (the second
        // missing in tick 2, the first in tick 3).
        let c: Vec<i16> = (0..160).map(|i| 1000 * (tick + 1) + i).collect();
        s.put_frame(customer, &c).unwrap();
        for j in 0..2 {
            assert_eq!(s.frame_due(agent), Ok(true), "tick {tick}, frame {j}");
            let a: Vec<i16> = (0..80).map(|i| -(100 * (2 * tick + j) + i) - 1).collect();
            match (tick, j) {
                (2, 1) => {} // lost at the end of the tick: handed nothing
                (3, 0) => s.skip_frame(agent).unwrap(),
                _ => s.put_frame(agent, &a).unwrap(),
            }
        }
        if tick != 2 {
            // Both frames are in: a third is one too many.
            assert_eq!(s.frame_due(agent), Ok(false));
            let before = s.clone();
            assert_eq!(
                s.put_frame(agent, &[0; 80]),
                Err(Error::DuplicateFrame {
                    party: agent,
                    tick: tick as u64
                })
            );
            assert_eq!(s, before);
        }
        s.mix();
        customer_heard.extend_from_slice(s.output(customer).unwrap());
        // What the agent heard of the tick: two 10 ms frames, in order.
        let heard = s.output(agent).unwrap();
        assert_eq!(heard.len(), 160);
        agent_heard.extend_from_slice(heard);
    }
    let said = |tick: i16, j: i16| -> Vec<i16> {
        (0..80).map(|i| -(100 * (2 * tick + j) + i) - 1).collect()
    };
    // The customer hears each 10 ms frame in the tick it belongs to, at its
    // place; a missing one is silence, and the frames after it keep theirs.
    for tick in 0..4i16 {
        for j in 0..2i16 {
            let at = (tick as usize * 2 + j as usize) * 80;
            let want = match (tick, j) {
                (2, 1) | (3, 0) => vec![0; 80],
                _ => said(tick, j),
            };
            assert_eq!(
                &customer_heard[at..at + 80],
                &want[..],
                "tick {tick}, frame {j}"
            );
        }
    }
    // The agent hears the customer's 20 ms as two 10 ms frames, with no
    // delay on the call's time line.
    let customer_said: Vec<i16> = (0..4)
        .flat_map(|t| (0..160).map(move |i| 1000 * (t + 1) + i))
        .collect();
    assert_eq!(agent_heard, customer_said);
    let st = s.party(agent).unwrap().stats;
    assert_eq!(
        (st.frames_mixed, st.frames_missing),
        (6, 2),
        "counted by 10 ms frame"
    );
}

/// What a leg whose frames are shorter than the call's costs: its frames of
/// a tick are handed out together at the tick's end, so the `j`-th of `k`
/// leaves `(k - 1 - j)` leg frames later than it would on a call that
/// ticked at the leg's frames. Measured by the time at which each sample a
/// party says reaches the leg's output, against that.
#[test]
fn a_shorter_leg_hears_at_most_one_leg_frame_late_on_a_call_of_twice_its_frames() {
    for (call_ms, leg_ms) in [(20, 10), (40, 20), (60, 20), (60, 30), (30, 10)] {
        let call_format = Format::new(8000, call_ms).unwrap();
        let leg = Format::new(8000, leg_ms).unwrap();
        let (spf, n) = (call_format.samples_per_frame(), leg.samples_per_frame());
        let k = spf / n;
        let mut s = Session::<i16>::new(call_format);
        s.set_ramp(Duration::ZERO).unwrap();
        let customer = s.join(Role::Customer).unwrap();
        let agent = s.join(Join::agent().leg(leg)).unwrap();
        let mut worst = 0;
        // An impulse from the customer at every place of a tick, one tick
        // each.
        for x in 0..spf {
            let mut c = vec![0i16; spf];
            c[x] = 1000;
            s.put_frame(customer, &c).unwrap();
            s.mix();
            let heard = s.output(agent).unwrap();
            let at = heard.iter().position(|&v| v == 1000).expect("the impulse");
            // At the same place of the tick: no delay in samples.
            assert_eq!(at, x, "{call_ms} ms call, {leg_ms} ms leg");
            // Out at the tick's end; at the end of its own leg frame on a
            // call at the leg's frames.
            let late = spf - (at / n + 1) * n;
            worst = worst.max(late);
        }
        let late_ms = worst as u32 * 1000 / 8000;
        assert_eq!(
            late_ms,
            (k as u32 - 1) * leg_ms,
            "{call_ms} ms call, {leg_ms} ms leg"
        );
        println!("{leg_ms} ms leg on a {call_ms} ms call: at most {late_ms} ms later out");
        if call_ms == 2 * leg_ms {
            assert_eq!(late_ms, leg_ms, "one leg frame");
        }
    }
}

#[test]
fn the_driver_reads_and_writes_a_shorter_leg_once_per_frame() {
    use barge::media::{Converted, Driver, Fill, Leg};
    // A PSTN call at 20 ms; a browser supervisor at 48 kHz, 10 ms (`f32`).
    let pstn = Format::NARROWBAND_20MS;
    let browser = Format::WEBRTC_10MS;
    let mut s = Session::<i16>::new(pstn);
    s.set_ramp(Duration::ZERO).unwrap();
    let customer = s.join(Role::Customer).unwrap();
    let supervisor = s.join(Join::supervisor(Mode::Barge).leg(browser)).unwrap();
    let mut reads = 0;
    let mut mic = Converted::new(
        |f: &mut [f32]| {
            assert_eq!(f.len(), 480, "10 ms at 48 kHz");
            reads += 1;
            if reads % 4 == 2 {
                return Fill::Missing;
            }
            f.fill(0.25);
            Fill::Frame
        },
        browser,
    );
    let mut takes = 0;
    let mut speaker = Converted::new(
        |f: &[f32]| {
            assert_eq!(f.len(), 480);
            takes += 1;
        },
        browser,
    );
    let mut from_c = |f: &mut [i16]| {
        f.fill(0);
        Fill::Frame
    };
    let mut customer_heard = Vec::new();
    let mut to_c = |f: &[i16]| customer_heard.extend_from_slice(f);
    let mut driver = Driver::new(pstn);
    for _ in 0..10 {
        let t = driver
            .tick(
                &mut s,
                &mut [
                    Leg::new(customer, &mut from_c, &mut to_c),
                    Leg::new(supervisor, &mut mic, &mut speaker),
                ],
            )
            .unwrap();
        assert_eq!(
            t.frames + t.missing,
            3,
            "the customer's frame and the two 10 ms frames"
        );
        assert_eq!(t.heard, 3, "the customer's frame and the two 10 ms frames");
    }
    drop((mic, speaker, to_c));
    assert_eq!((reads, takes), (20, 20));
    let st = s.party(supervisor).unwrap().stats;
    assert_eq!((st.frames_mixed, st.frames_missing), (15, 5));
    // The customer hears the supervisor's 0.25 (8192) where it spoke, and
    // less where a 10 ms frame went missing (silence, resampled).
    let loud = customer_heard
        .iter()
        .filter(|&&x| (8000..=8400).contains(&x))
        .count();
    assert!(loud > 10 * 160 / 2, "{loud} samples of the supervisor");
}

#[test]
fn the_driver_reads_and_writes_a_longer_leg_only_at_its_frames() {
    use barge::g711::Law;
    use barge::media::{Driver, Fill, G711Sink, G711Source, Leg};
    let webrtc = Format::WEBRTC_10MS;
    let pstn = Format::NARROWBAND_20MS;
    let mut s = Session::<i16>::new(webrtc);
    let customer = s.join(Role::Customer).unwrap();
    let supervisor = s.join(Join::supervisor(Mode::Barge)).unwrap();
    s.set_leg_format(customer, pstn).unwrap();
    let mut read = 0;
    let mut from_c = G711Source::new(Law::Ulaw, pstn, |p: &mut [u8]| {
        read += 1;
        p.fill(0x80);
        Fill::Frame
    })
    .unwrap();
    let mut written = 0;
    let mut to_c = G711Sink::new(Law::Ulaw, pstn, |_: &[u8]| written += 1).unwrap();
    let mut browser = |f: &mut [i16]| {
        assert_eq!(f.len(), 480);
        Fill::Frame
    };
    let mut driver = Driver::new(webrtc);
    for _ in 0..10 {
        driver
            .tick(
                &mut s,
                &mut [
                    Leg::new(customer, &mut from_c, &mut to_c),
                    Leg::talk_only(supervisor, &mut browser),
                ],
            )
            .unwrap();
    }
    drop((from_c, to_c));
    assert_eq!(
        (read, written),
        (5, 5),
        "one PCMU packet in and out per 20 ms"
    );
}

#[test]
fn a_supervisor_on_any_leg_switching_to_barge_brings_no_trace_of_its_whisper() {
    // A leg at another rate is resampled (its resampler remembers the last
    // ms of the whisper); a leg whose frames span several ticks handed its
    // frame in before the switch. Two calls differ only in what was
    // whispered: the customer hears the same in both, at the switch and
    // after it, for every kind of leg and every tick of the switch.
    for (hz, ms) in [
        (48000, 20),
        (8000, 40),
        (16000, 40),
        (16000, 60),
        (8000, 60),
    ] {
        for switch in 5..8u64 {
            let play = |whisper: i16| {
                let mut s = Session::<i16>::new(Format::NARROWBAND_20MS);
                s.set_ramp(Duration::ZERO).unwrap();
                let c = s.join(Role::Customer).unwrap();
                let a = s.join(Role::Agent).unwrap();
                let v = s.join(Join::supervisor(Mode::Whisper)).unwrap();
                let leg = Format::new(hz, ms).unwrap();
                s.set_leg_format(v, leg).unwrap();
                let mut heard = Vec::new();
                for tick in 0..16u64 {
                    if tick == switch {
                        s.set_mode(v, Mode::Barge).unwrap();
                    }
                    if s.frame_due(v).unwrap() {
                        let barging = tick >= switch;
                        let said: Vec<i16> = (0..leg.samples_per_frame())
                            .map(|i| {
                                if barging {
                                    ((i * 7) % 300) as i16
                                } else {
                                    whisper
                                }
                            })
                            .collect();
                        s.put_frame(v, &said).unwrap();
                    }
                    s.put_frame(a, &[0; 160]).unwrap();
                    s.mix();
                    heard.push(s.output(c).unwrap().to_vec());
                }
                heard
            };
            let (quiet, loud) = (play(0), play(20_000));
            assert_eq!(quiet, loud, "{hz} Hz, {ms} ms, switch at tick {switch}");
            assert!(
                quiet[12..].iter().flatten().any(|&x| x != 0),
                "{hz} Hz, {ms} ms: the barge is heard"
            );
        }
    }
}

#[test]
fn an_f32_leg_of_longer_frames_is_summed_wide_like_any_other() {
    let mut s = Session::<f32>::new(Format::NARROWBAND_20MS);
    s.set_ramp(Duration::ZERO).unwrap();
    let c = s.join(Role::Customer).unwrap();
    let a = s.join(Role::Agent).unwrap();
    let v = s.join(Join::supervisor(Mode::Barge)).unwrap();
    s.set_leg_format(c, Format::new(8000, 40).unwrap()).unwrap();
    s.put_frame(c, &[1.5; 320]).unwrap();
    s.put_frame(v, &[-0.8; 160]).unwrap();
    s.put_frame(a, &[0.0; 160]).unwrap();
    s.mix();
    let heard = s.output(a).unwrap()[0];
    assert!(
        (heard - 0.7).abs() < 1e-6,
        "saturated once, at the end: {heard}"
    );
}

#[test]
fn a_huge_f32_sample_on_a_resampled_leg_is_loud_not_non_finite() {
    let mut s = Session::<f32>::new(Format::NARROWBAND_20MS);
    let c = s.join(Role::Customer).unwrap();
    let a = s.join(Role::Agent).unwrap();
    s.set_leg_format(c, Format::new(48000, 20).unwrap())
        .unwrap();
    for _ in 0..3 {
        s.put_frame(c, &[f32::MAX; 960]).unwrap();
        s.mix();
    }
    assert_eq!(
        s.party(c).unwrap().stats.samples_non_finite,
        0,
        "it sent none"
    );
    assert!(s
        .output(a)
        .unwrap()
        .iter()
        .all(|x| x.is_finite() && x.abs() <= 1.0));
}
