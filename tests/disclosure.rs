//! A disclosure in the host's own voice: a recorded prompt ("this call may
//! be monitored…"), handed in as any party's audio, counts once it has
//! played to the customer to its end, throughout; nobody listens before.

use barge::media::{Driver, Fill, Leg, MemorySink, MemorySource};
use barge::tone::Cadence;
use barge::{
    Audience, BeforeDisclosure, Consent, ConsentBy, Error, Event, Format, Join, Mode, PartyId,
    Role, Session, ToneSpec,
};

const FORMAT: Format = Format::NARROWBAND_20MS;

/// A call that needs a disclosure, with a customer, an agent and a
/// supervisor held silent until it.
fn call() -> (Session<i16>, PartyId, PartyId, PartyId) {
    let mut s = Session::new(FORMAT);
    s.set_ramp(std::time::Duration::ZERO).unwrap();
    s.require_disclosure(BeforeDisclosure::HoldSilent).unwrap();
    let c = s.join(Role::Customer).unwrap();
    let a = s.join(Role::Agent).unwrap();
    let v = s.join(Join::supervisor(Mode::Monitor)).unwrap();
    (s, c, a, v)
}

fn consent_events(s: &mut Session<i16>) -> Vec<(ConsentBy, u64)> {
    core::iter::from_fn(|| s.poll_event())
        .filter_map(|e| match e {
            Event::ConsentGiven { by, at } => Some((by, at)),
            _ => None,
        })
        .collect()
}

#[test]
fn a_recorded_prompt_that_ends_through_the_driver_is_the_disclosure() {
    let (mut s, c, a, v) = call();
    let prompt = s.join(Join::announcement(Audience::CUSTOMERS)).unwrap();
    s.set_disclosure(prompt).unwrap();
    // 1.5 s of the host's prompt, then its source ends.
    let mut from_prompt = MemorySource::new(vec![700i16; 160 * 75]);
    let (mut from_c, mut from_a) = (
        |f: &mut [i16]| {
            f.fill(1000);
            Fill::Frame
        },
        |f: &mut [i16]| {
            f.fill(200);
            Fill::Frame
        },
    );
    let mut from_v = |f: &mut [i16]| {
        f.fill(9);
        Fill::Frame
    };
    let mut to_c = MemorySink::with_capacity(160 * 200);
    let mut to_v = MemorySink::with_capacity(160 * 200);
    let mut to_a = |_: &[i16]| {};
    let mut driver = Driver::new(FORMAT);
    let mut ended_at = None;
    for tick in 0..100u64 {
        let mut legs = vec![
            Leg::new(c, &mut from_c, &mut to_c),
            Leg::new(a, &mut from_a, &mut to_a),
            Leg::new(v, &mut from_v, &mut to_v),
        ];
        if ended_at.is_none() {
            legs.push(Leg::talk_only(prompt, &mut from_prompt));
        }
        let t = driver.tick(&mut s, &mut legs).unwrap();
        if t.ended == 1 {
            ended_at = Some(tick);
        }
    }
    let ended_at = ended_at.expect("the prompt ended");
    assert_eq!(ended_at, 75, "1.5 s of prompt, then its end");
    assert_eq!(s.consent(), Consent::Given);
    assert_eq!(
        consent_events(&mut s),
        [(ConsentBy::Disclosure(prompt), ended_at)],
        "the disclosure by the prompt, from the tick after its last frame"
    );
    // The customer heard the whole prompt with the agent.
    assert!(to_c.samples()[..75 * 160].iter().all(|&x| x == 900));
    // The supervisor heard nothing until then, and the call after.
    let heard = to_v.samples();
    assert!(heard[..ended_at as usize * 160].iter().all(|&x| x == 0));
    assert!(heard[(ended_at as usize + 1) * 160..]
        .iter()
        .all(|&x| x == 1200));
}

#[test]
fn a_prompt_counts_only_if_the_customer_heard_all_of_it() {
    // The plain API: the host hands in the prompt's frames and says when
    // it has ended.
    let play = |s: &mut Session<i16>, p: PartyId, frames: usize, gap: Option<usize>| {
        for k in 0..frames {
            if Some(k) != gap {
                s.put_frame(p, &[300; 160]).unwrap();
            }
            s.mix();
        }
        s.prompt_ended(p).unwrap();
    };

    // All of it, to the customer: the disclosure.
    let (mut s, ..) = call();
    let prompt = s.join(Join::announcement(Audience::PARTIES)).unwrap(); // customers and agents
    s.set_disclosure(prompt).unwrap();
    play(&mut s, prompt, 50, None);
    assert_eq!(s.consent(), Consent::Given);

    // A frame missing in the middle: not all of it was heard.
    let (mut s, ..) = call();
    let prompt = s.join(Join::announcement(Audience::CUSTOMERS)).unwrap();
    s.set_disclosure(prompt).unwrap();
    play(&mut s, prompt, 50, Some(20));
    assert!(matches!(s.consent(), Consent::Pending(_)));
    assert!(consent_events(&mut s).is_empty());
    // Played again, whole: now it counts.
    play(&mut s, prompt, 50, None);
    assert_eq!(s.consent(), Consent::Given);

    // Begun before the customer joined: the customer missed its start.
    let mut s = Session::<i16>::new(FORMAT);
    s.require_disclosure(BeforeDisclosure::RefuseJoins).unwrap();
    let prompt = s.join(Join::announcement(Audience::CUSTOMERS)).unwrap();
    s.set_disclosure(prompt).unwrap();
    s.put_frame(prompt, &[300; 160]).unwrap();
    s.mix();
    s.join(Role::Customer).unwrap();
    play(&mut s, prompt, 49, None);
    assert!(matches!(s.consent(), Consent::Pending(_)));

    // A prompt that is not the disclosure changes nothing.
    let (mut s, ..) = call();
    let hold_music = s.join(Join::announcement(Audience::CUSTOMERS)).unwrap();
    play(&mut s, hold_music, 10, None);
    assert!(matches!(s.consent(), Consent::Pending(_)));
}

#[test]
fn a_tone_disclosure_counts_only_if_the_customer_heard_all_of_it() {
    const PROMPT: ToneSpec = ToneSpec::single(440.0, -16.0, Cadence::once(400));
    // The customer joins after the tone began: it does not count.
    let mut s = Session::<i16>::new(FORMAT);
    s.require_disclosure(BeforeDisclosure::HoldSilent).unwrap();
    let prompt = s.join(Join::announcement(Audience::CUSTOMERS)).unwrap();
    s.set_disclosure(prompt).unwrap();
    s.play(prompt, &PROMPT).unwrap();
    s.mix();
    s.join(Role::Customer).unwrap();
    for _ in 0..30 {
        s.mix();
    }
    assert!(!s.party(prompt).unwrap().playing, "the tone ended");
    assert!(matches!(s.consent(), Consent::Pending(_)));
    // Played again with the customer there throughout: it counts.
    s.play(prompt, &PROMPT).unwrap();
    for _ in 0..30 {
        s.mix();
    }
    assert_eq!(s.consent(), Consent::Given);
}

#[test]
fn a_disclosure_that_could_never_end_or_never_be_heard_is_refused() {
    let (mut s, ..) = call();
    let warning = s.join(Join::announcement(Audience::EVERYONE)).unwrap();
    s.play(warning, &ToneSpec::RECORDING_WARNING).unwrap();
    let before = s.clone();
    assert_eq!(
        s.set_disclosure(warning),
        Err(Error::DisclosureNeverEnds { party: warning })
    );
    assert_eq!(s, before);

    let beep = s.join(Join::announcement(Audience::AGENTS)).unwrap();
    let before = s.clone();
    let e = s.set_disclosure(beep).unwrap_err();
    assert_eq!(
        e,
        Error::DisclosureUnheard {
            party: beep,
            audience: Audience::AGENTS
        }
    );
    assert!(e.to_string().contains("heard by agents"), "{e}");
    assert_eq!(s, before);

    let prompt = s.join(Join::announcement(Audience::CUSTOMERS)).unwrap();
    s.set_disclosure(prompt).unwrap();
    let before = s.clone();
    assert_eq!(
        s.play(prompt, &ToneSpec::RECORDING_WARNING),
        Err(Error::DisclosureNeverEnds { party: prompt })
    );
    assert_eq!(
        s.set_audience(prompt, Audience::AGENTS),
        Err(Error::DisclosureUnheard {
            party: prompt,
            audience: Audience::AGENTS
        })
    );
    assert_eq!(s, before);
    s.play(prompt, &ToneSpec::JOIN_BEEP).unwrap();
    let before = s.clone();
    assert_eq!(
        s.prompt_ended(prompt),
        Err(Error::TonePlaying { party: prompt })
    );
    let customer = s.parties().next().unwrap().id;
    assert!(matches!(
        s.prompt_ended(customer),
        Err(Error::NotAnAnnouncement { .. })
    ));
    assert_eq!(s, before);
}

#[test]
fn a_tone_refused_for_a_frame_already_in_leaves_the_prompt_where_it_was() {
    const PROMPT: ToneSpec = ToneSpec::single(440.0, -16.0, Cadence::once(400));
    let (mut s, ..) = call();
    let prompt = s.join(Join::announcement(Audience::CUSTOMERS)).unwrap();
    s.set_disclosure(prompt).unwrap();
    for _ in 0..10 {
        s.put_frame(prompt, &[300; 160]).unwrap();
        s.mix();
    }
    // The last frame of the prompt is in; a tone for it now is refused, and
    // the prompt played so far still counts.
    s.put_frame(prompt, &[300; 160]).unwrap();
    let before = s.clone();
    assert_eq!(
        s.play(prompt, &PROMPT),
        Err(Error::DuplicateFrame {
            party: prompt,
            tick: 10
        })
    );
    assert_eq!(s, before);
    s.mix();
    s.prompt_ended(prompt).unwrap();
    assert_eq!(s.consent(), Consent::Given);
}

#[test]
fn a_prompt_on_a_leg_of_its_own_counts_only_the_frames_it_handed_in() {
    let wide = Format::new(16000, 20).unwrap();
    for gap in [None, Some(3)] {
        let (mut s, ..) = call();
        let prompt = s
            .join(Join::announcement(Audience::CUSTOMERS).leg(wide))
            .unwrap();
        s.set_disclosure(prompt).unwrap();
        for k in 0..8 {
            if Some(k) != gap {
                s.put_frame(prompt, &[300; 320]).unwrap();
            }
            s.mix();
        }
        s.prompt_ended(prompt).unwrap();
        let want = if gap.is_none() {
            Consent::Given
        } else {
            Consent::Pending(BeforeDisclosure::HoldSilent)
        };
        assert_eq!(s.consent(), want, "gap {gap:?}");
    }
    // A prompt on a leg that never handed in a frame never played.
    let (mut s, ..) = call();
    let prompt = s
        .join(Join::announcement(Audience::CUSTOMERS).leg(wide))
        .unwrap();
    s.set_disclosure(prompt).unwrap();
    for _ in 0..8 {
        s.mix();
    }
    s.prompt_ended(prompt).unwrap();
    assert_eq!(s.consent(), Consent::Pending(BeforeDisclosure::HoldSilent));
}
