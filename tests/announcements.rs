//! Announcements and cues: heard by exactly their audience, never a path
//! for a whisper, tones that start and end on the tick the docs say, cues
//! that start at the tick the change takes effect and are on the audit
//! trail, and a supervisor in monitor that stays undetectable unless a cue
//! says otherwise.

use std::time::Duration;

use barge::{
    Audience, Cue, CueOn, Error, Event, Format, Join, Mode, PartyId, Role, Session, Tap,
    TapChannel, ToneGenerator, ToneSpec,
};

const AUDIENCES: [Audience; 4] = [
    Audience::CUSTOMERS,
    Audience::AGENTS,
    Audience::SUPERVISORS,
    Audience::RECORDERS,
];

/// Every subset of the four roles.
fn every_audience() -> impl Iterator<Item = Audience> {
    (0u8..16).map(|bits| {
        AUDIENCES
            .iter()
            .enumerate()
            .filter(|(k, _)| bits & (1 << k) != 0)
            .fold(Audience::NOBODY, |a, (_, &b)| a | b)
    })
}

/// Whether a listener of `role` (in `mode` for a supervisor) hears an
/// announcement to `audience`: written out from the docs.
fn should_hear(role: Role, mode: Mode, audience: Audience) -> bool {
    let member = match role {
        Role::Customer => Audience::CUSTOMERS,
        Role::Agent => Audience::AGENTS,
        Role::Supervisor if mode == Mode::PrivateWhisper => return false,
        Role::Supervisor => Audience::SUPERVISORS,
        Role::Recorder => Audience::RECORDERS,
        _ => return false,
    };
    // The member's bit is within the audience's.
    (audience | member) == audience
}

#[test]
fn an_announcement_is_heard_by_its_audience_alone() {
    for audience in every_audience() {
        for mode in Mode::ALL {
            let mut s = Session::<i16>::new(Format::NARROWBAND_20MS);
            s.set_ramp(Duration::ZERO).unwrap();
            let c = s.join(Role::Customer).unwrap();
            let a = s.join(Role::Agent).unwrap();
            let v = s.join(Join::supervisor(mode)).unwrap();
            let r = s.join(Join::recorder(true)).unwrap();
            let ann = s.join(Join::announcement(audience)).unwrap();
            assert_eq!(s.party(ann).unwrap().audience, Some(audience));
            s.mix_frames(&[(ann, &[77; 160])]).unwrap();
            for (id, role) in [
                (c, Role::Customer),
                (a, Role::Agent),
                (v, Role::Supervisor),
                (r, Role::Recorder),
            ] {
                let want = if should_hear(role, mode, audience) {
                    77
                } else {
                    0
                };
                assert_eq!(
                    s.output(id).unwrap(),
                    &[want; 160][..],
                    "{role} in a call with a supervisor in {mode}, announcement to {audience}"
                );
            }
            assert_eq!(s.output(ann).unwrap(), &[0; 160][..], "it hears nobody");
        }
    }
}

#[test]
fn an_announcement_carries_nothing_of_a_whisper() {
    // Whatever the announcement's audience, the customer hears the call
    // without the whisper: the announcement hears nothing to pass on.
    for audience in every_audience() {
        let mut with = Session::<i16>::new(Format::NARROWBAND_20MS);
        with.set_ramp(Duration::ZERO).unwrap();
        let c = with.join(Role::Customer).unwrap();
        let a = with.join(Role::Agent).unwrap();
        let ann = with.join(Join::announcement(audience)).unwrap();
        let mut without = with.clone();
        let v = with.join(Join::supervisor(Mode::Whisper)).unwrap();
        for k in 0..5i16 {
            let (fc, fa, fn_) = ([k; 160], [2 * k; 160], [3 * k; 160]);
            with.mix_frames(&[(c, &fc), (a, &fa), (ann, &fn_), (v, &[9999; 160])])
                .unwrap();
            without
                .mix_frames(&[(c, &fc), (a, &fa), (ann, &fn_)])
                .unwrap();
            assert_eq!(with.output(c).unwrap(), without.output(c).unwrap());
        }
    }
}

#[test]
fn a_tone_is_the_announcements_frame_until_it_ends() {
    let mut s = Session::<i16>::new(Format::NARROWBAND_20MS);
    s.set_ramp(Duration::ZERO).unwrap();
    let c = s.join(Role::Customer).unwrap();
    let a = s.join(Role::Agent).unwrap();
    let beep = s.join(Join::announcement(Audience::AGENTS)).unwrap();
    while s.poll_event().is_some() {}
    s.mix();
    s.play(beep, &ToneSpec::JOIN_BEEP).unwrap();
    assert_eq!(
        s.poll_event(),
        Some(Event::ToneStarted {
            party: beep,
            label: None,
            tone: ToneSpec::JOIN_BEEP,
            at: 1
        })
    );
    assert!(s.party(beep).unwrap().playing);
    // A frame of its own while it plays is refused, and changes nothing.
    let before = s.clone();
    assert_eq!(
        s.put_frame(beep, &[1; 160]),
        Err(Error::TonePlaying { party: beep })
    );
    assert_eq!(s, before);
    // 200 ms (and the release of its last edge, a few ms) at 20 ms a
    // tick: eleven ticks, sample for sample the generator's.
    let mut reference =
        ToneGenerator::new(&ToneSpec::JOIN_BEEP, barge::SampleRate::Hz8000).unwrap();
    let total = reference.total_samples().unwrap();
    assert!((1600..=1640).contains(&total), "{total}");
    let mut heard = Vec::new();
    for _ in 0..13 {
        s.mix();
        heard.extend_from_slice(s.output(a).unwrap());
        assert_eq!(s.output(c).unwrap(), &[0; 160][..]);
    }
    let mut want = vec![0i16; heard.len()];
    reference.fill(&mut want);
    assert_eq!(heard, want);
    assert!(
        heard[total as usize..].iter().all(|&x| x == 0),
        "silent once it ended"
    );
    assert!(heard[..1600].iter().filter(|&&x| x != 0).count() > 1000);
    assert_eq!(
        s.poll_event(),
        Some(Event::ToneEnded {
            party: beep,
            label: None,
            finished: true,
            // Started at tick 1, sounded in ticks 1..=11.
            at: 1 + total.div_ceil(160),
        })
    );
    assert!(!s.party(beep).unwrap().playing);
    s.put_frame(beep, &[5; 160]).unwrap();
}

#[test]
fn a_stopped_tone_is_silent_from_the_next_tick() {
    let mut s = Session::<i16>::new(Format::NARROWBAND_20MS);
    s.set_ramp(Duration::ZERO).unwrap();
    let a = s.join(Role::Agent).unwrap();
    let warn = s.join(Join::announcement(Audience::EVERYONE)).unwrap();
    s.play(warn, &ToneSpec::RECORDING_WARNING).unwrap();
    s.mix();
    assert!(s.output(a).unwrap().iter().any(|&x| x != 0));
    while s.poll_event().is_some() {}
    s.stop(warn).unwrap();
    assert_eq!(
        s.poll_event(),
        Some(Event::ToneEnded {
            party: warn,
            label: None,
            finished: false,
            at: 1
        })
    );
    s.stop(warn).unwrap();
    assert_eq!(s.poll_event(), None, "stopping nothing records nothing");
    s.mix();
    assert_eq!(s.output(a).unwrap(), &[0; 160][..]);
}

/// A call with cues for every change, each to its own audience, and the
/// same call without cues or supervisors.
fn cued() -> (Session<i16>, PartyId, PartyId) {
    let mut s = Session::<i16>::new(Format::NARROWBAND_20MS);
    s.set_ramp(Duration::ZERO).unwrap();
    let c = s.join(Role::Customer).unwrap();
    let a = s.join(Role::Agent).unwrap();
    (s, c, a)
}

fn loud(frame: &[i16]) -> bool {
    frame.iter().any(|&x| x != 0)
}

#[test]
fn a_cue_starts_at_the_tick_of_the_change_for_its_audience() {
    let (mut s, c, a) = cued();
    let beep = |audience| {
        Some(Cue {
            tone: ToneSpec::JOIN_BEEP,
            audience,
        })
    };
    s.set_cue(CueOn::Join, beep(Audience::SUPERVISORS)).unwrap();
    s.set_cue(CueOn::Whisper, beep(Audience::AGENTS)).unwrap();
    s.set_cue(CueOn::Barge, beep(Audience::PARTIES)).unwrap();
    s.set_cue(CueOn::Leave, beep(Audience::AGENTS)).unwrap();
    assert_eq!(s.cue_for(CueOn::Whisper), beep(Audience::AGENTS));
    let players: Vec<_> = s
        .parties()
        .filter(|p| p.role == Role::Announcement)
        .collect();
    assert_eq!(players.len(), 1, "one announcement plays every cue");
    let player = players[0].id;
    for _ in 0..3 {
        s.mix();
    }
    while s.poll_event().is_some() {}
    let v = s.join(Join::supervisor(Mode::Monitor)).unwrap();
    let cue_event =
        std::iter::from_fn(|| s.poll_event()).find(|e| matches!(e, Event::CueStarted { .. }));
    assert_eq!(
        cue_event,
        Some(Event::CueStarted {
            on: CueOn::Join,
            supervisor: v,
            supervisor_label: None,
            player,
            audience: Audience::SUPERVISORS,
            at: 3
        })
    );
    s.mix();
    assert!(loud(s.output(v).unwrap()), "the supervisor hears its beep");
    assert!(!loud(s.output(c).unwrap()) && !loud(s.output(a).unwrap()));
    // The whisper cue replaces the join beep, to the agent.
    s.set_mode(v, Mode::Whisper).unwrap();
    s.mix();
    assert!(loud(s.output(a).unwrap()) && !loud(s.output(c).unwrap()));
    assert!(
        !loud(s.output(v).unwrap()),
        "the supervisors are not its audience"
    );
    // Private whisper is still whispering: no cue.
    while s.poll_event().is_some() {}
    s.set_mode(v, Mode::PrivateWhisper).unwrap();
    assert!(std::iter::from_fn(|| s.poll_event()).all(|e| !matches!(e, Event::CueStarted { .. })));
    s.set_mode(v, Mode::Barge).unwrap();
    s.mix();
    assert!(
        loud(s.output(c).unwrap()),
        "both parties hear the barge tone"
    );
    s.leave(v).unwrap();
    s.mix();
    assert!(loud(s.output(a).unwrap()) && !loud(s.output(c).unwrap()));
}

#[test]
fn without_cues_for_it_a_monitoring_supervisor_is_undetectable() {
    // Cues to the supervisors alone: the parties hear exactly the call
    // without the supervisor, through its join and leave in monitor.
    let (mut s, c, a) = cued();
    let beep = Some(Cue {
        tone: ToneSpec::JOIN_BEEP,
        audience: Audience::SUPERVISORS,
    });
    s.set_cue(CueOn::Join, beep).unwrap();
    s.set_cue(CueOn::Leave, beep).unwrap();
    let mut plain = s.clone();
    let v = s.join(Join::supervisor(Mode::Monitor)).unwrap();
    for k in 0..30i16 {
        if k == 20 {
            s.leave(v).unwrap();
        }
        let (fc, fa) = ([k * 10; 160], [k * 7 - 100; 160]);
        let mut frames = vec![(c, &fc[..]), (a, &fa[..])];
        let fv = [12345i16; 160];
        if k < 20 {
            frames.push((v, &fv[..]));
        }
        s.mix_frames(&frames).unwrap();
        plain.mix_frames(&[(c, &fc), (a, &fa)]).unwrap();
        assert_eq!(s.output(c).unwrap(), plain.output(c).unwrap());
        assert_eq!(s.output(a).unwrap(), plain.output(a).unwrap());
    }
}

#[test]
fn a_tap_records_an_announcement_only_if_recorders_hear_it() {
    for audience in every_audience() {
        let (mut s, c, a) = cued();
        let tap = s.add_tap(Tap::stereo()).unwrap();
        let ann = s.join(Join::announcement(audience)).unwrap();
        s.mix_frames(&[(c, &[1; 160]), (a, &[2; 160]), (ann, &[40; 160])])
            .unwrap();
        let recorded = audience.includes(Role::Recorder);
        let agent_side = s.tap_channel(tap, TapChannel::Agent).unwrap()[0];
        assert_eq!(agent_side, if recorded { 42 } else { 2 }, "{audience}");
        assert_eq!(s.tap_channel(tap, TapChannel::Customer).unwrap()[0], 1);
    }
}

#[test]
fn the_cue_player_leaving_clears_the_cues() {
    let (mut s, _c, a) = cued();
    let beep = Some(Cue {
        tone: ToneSpec::JOIN_BEEP,
        audience: Audience::AGENTS,
    });
    s.set_cue(CueOn::Join, beep).unwrap();
    let player = s
        .parties()
        .find(|p| p.role == Role::Announcement)
        .unwrap()
        .id;
    s.leave(player).unwrap();
    assert_eq!(s.cue_for(CueOn::Join), None);
    s.join(Join::supervisor(Mode::Monitor)).unwrap();
    s.mix();
    assert!(!loud(s.output(a).unwrap()));
}
