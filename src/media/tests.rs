//! Tests of the media edge's insides.

use alloc::vec;
use alloc::vec::Vec;

use super::*;
use crate::dsp::g711::Law;
use crate::error::LegEnd;
use crate::{Error, Join, Session};

#[cfg(feature = "dasp")]
#[test]
fn a_dasp_signal_plays_to_its_end_then_ends() {
    let samples: alloc::vec::Vec<i16> = (1..=200).collect();
    let mut source = SignalSource::new(dasp_signal::from_iter(samples));
    let mut frame = [7i16; 160];
    assert_eq!(source.fill(&mut frame), Fill::Frame);
    assert_eq!(frame[159], 160);
    assert_eq!(source.fill(&mut frame), Fill::Frame);
    assert_eq!(
        &frame[..40],
        &(161..=200).collect::<alloc::vec::Vec<i16>>()[..]
    );
    assert_eq!(
        &frame[40..],
        &[0; 120][..],
        "the rest of the last frame is silence"
    );
    assert_eq!(source.fill(&mut frame), Fill::Ended);
}
use crate::{Event, Mode, Role};

const F: Format = Format::NARROWBAND_20MS;

fn call() -> (Session<i16>, PartyId, PartyId, PartyId) {
    let mut s = Session::new(F);
    let c = s.join(Role::Customer).unwrap();
    let a = s.join(Role::Agent).unwrap();
    let v = s.join(Join::supervisor(Mode::Whisper)).unwrap();
    s.set_ramp(core::time::Duration::ZERO).unwrap();
    (s, c, a, v)
}

fn constant(v: i16) -> impl FnMut(&mut [i16]) -> Fill {
    move |f: &mut [i16]| {
        f.fill(v);
        Fill::Frame
    }
}

#[test]
fn a_tick_reads_mixes_and_writes_every_leg() {
    let (mut s, c, a, v) = call();
    let (mut cs, mut as_, mut vs) = (constant(1000), constant(100), constant(10));
    let mut ch = MemorySink::with_capacity(160);
    let mut ah = MemorySink::with_capacity(160);
    let mut vh = MemorySink::with_capacity(160);
    let t = Driver::new(F)
        .tick(
            &mut s,
            &mut [
                Leg::new(c, &mut cs, &mut ch),
                Leg::new(a, &mut as_, &mut ah),
                Leg::new(v, &mut vs, &mut vh),
            ],
        )
        .unwrap();
    assert_eq!((t.frames, t.missing, t.ended, t.heard), (3, 0, 0, 3));
    assert_eq!(ch.samples(), &[100; 160][..], "whisper never leaks");
    assert_eq!(ah.samples(), &[1010; 160][..]);
    assert_eq!(vh.samples(), &[1100; 160][..]);
}

#[test]
fn a_missing_frame_is_silence_and_counted_missing() {
    let (mut s, c, a, _v) = call();
    let mut lost = |_: &mut [i16]| Fill::Missing;
    let mut garbage = |f: &mut [i16]| {
        f.fill(i16::MAX);
        Fill::Missing
    };
    let mut ah = MemorySink::with_capacity(160);
    let mut drv = Driver::new(F);
    let t = drv
        .tick(
            &mut s,
            &mut [
                Leg::talk_only(c, &mut garbage),
                Leg::new(a, &mut lost, &mut ah),
            ],
        )
        .unwrap();
    assert_eq!((t.frames, t.missing), (0, 2));
    assert_eq!(ah.samples(), &[0; 160][..], "a missing frame is silence");
    let st = s.party(c).unwrap().stats;
    assert_eq!((st.frames_mixed, st.frames_missing), (0, 1));
}

#[test]
fn an_ended_source_makes_its_party_leave() {
    let (mut s, c, a, v) = call();
    while s.poll_event().is_some() {}
    let mut cs = MemorySource::new(vec![500i16; 200]);
    let mut as_ = constant(7);
    let mut ah = MemorySink::with_capacity(480);
    let mut vh = MemorySink::with_capacity(480);
    let mut drv = Driver::new(F);
    let mut ticks = [Tick::default(); 3];
    for t in ticks.iter_mut() {
        let mut legs = [
            Leg::talk_only(c, &mut cs),
            Leg::new(a, &mut as_, &mut ah),
            Leg::listen_only(v, &mut vh),
        ];
        *t = drv.tick(&mut s, &mut legs).unwrap();
    }
    assert_eq!(ticks[1].frames, 2, "200 samples: a full frame, then 40");
    assert_eq!(ticks[2].ended, 1);
    assert_eq!(ah.samples()[160..200], [500; 40]);
    assert_eq!(ah.samples()[200..320], [0; 120], "padded with silence");
    assert_eq!(ah.samples()[320..], [0; 160], "gone in the third tick");
    assert_eq!(
        s.poll_event(),
        Some(Event::Left {
            party: c,
            role: Role::Customer,
            label: None,
            at: 2
        })
    );
    assert_eq!(s.party(c), Err(Error::PartyLeft { party: c }));
    // The next tick skips the leg of the party that left.
    let t = drv.tick(&mut s, &mut [Leg::talk_only(c, &mut cs)]).unwrap();
    assert_eq!((t.gone, t.ended), (1, 0));
}

#[test]
fn bad_legs_are_errors_before_anything_is_read() {
    let (mut s, c, a, _v) = call();
    let mut read = 0;
    let mut counting = |_: &mut [i16]| {
        read += 1;
        Fill::Frame
    };
    let mut other = constant(1);
    let mut drv = Driver::new(F);
    let e = drv
        .tick(
            &mut s,
            &mut [
                Leg::talk_only(a, &mut counting),
                Leg::talk_only(a, &mut other),
            ],
        )
        .unwrap_err();
    assert_eq!(e, Error::DuplicateFrame { party: a, tick: 0 });
    let mut sink = |_: &[i16]| {};
    let mut sink2 = |_: &[i16]| {};
    let mut stranger = Session::<i16>::new(F);
    for _ in 0..5 {
        stranger.join(Role::Agent).unwrap();
    }
    let unknown = stranger.join(Role::Agent).unwrap();
    let e = drv
        .tick(
            &mut s,
            &mut [
                Leg::talk_only(c, &mut counting),
                Leg::listen_only(unknown, &mut sink),
            ],
        )
        .unwrap_err();
    assert_eq!(e, Error::ForeignParty { party: unknown });
    // Another call's first id has the number of this call's customer:
    // it still acts on nothing here.
    let lookalike = Session::<i16>::new(F).join(Role::Customer).unwrap();
    assert_eq!(lookalike.get(), c.get());
    let e = drv
        .tick(&mut s, &mut [Leg::talk_only(lookalike, &mut counting)])
        .unwrap_err();
    assert_eq!(e, Error::ForeignParty { party: lookalike });
    // A source for a party whose frame is already in: found before any
    // source is read, not half way through the tick.
    s.put_frame(a, &[5; 160]).unwrap();
    let before = s.clone();
    let e = drv
        .tick(
            &mut s,
            &mut [
                Leg::talk_only(c, &mut counting),
                Leg::talk_only(a, &mut other),
            ],
        )
        .unwrap_err();
    assert_eq!(e, Error::DuplicateFrame { party: a, tick: 0 });
    assert_eq!(s, before, "the customer's frame was not handed in");
    assert_eq!(read, 0);
    assert_eq!(s.tick(), 0, "nothing mixed");
    // Two sinks for one party are fine.
    drv.tick(
        &mut s,
        &mut [
            Leg::listen_only(c, &mut sink),
            Leg::listen_only(c, &mut sink2),
        ],
    )
    .unwrap();
    // A G.711 adapter built for 10 ms frames in a 20 ms call would
    // decode half of each frame and send half-frame payloads.
    let short = Format::new(8000, 10).unwrap();
    let mut g711 = G711Source::new(Law::Ulaw, short, |_: &mut [u8]| Fill::Frame).unwrap();
    let mut to_c = G711Sink::new(Law::Ulaw, short, |_: &[u8]| {}).unwrap();
    let before = s.clone();
    assert_eq!(
        drv.tick(&mut s, &mut [Leg::talk_only(a, &mut g711)]),
        Err(Error::LegFormat {
            party: a,
            end: LegEnd::Source,
            given: short,
            expected: F
        })
    );
    assert_eq!(
        drv.tick(&mut s, &mut [Leg::listen_only(c, &mut to_c)]),
        Err(Error::LegFormat {
            party: c,
            end: LegEnd::Sink,
            given: short,
            expected: F
        })
    );
    assert_eq!(s, before);
    let mut wide = Driver::<i16>::new(Format::WEBRTC_10MS);
    assert_eq!(
        wide.tick(&mut s, &mut []),
        Err(Error::FormatMismatch {
            given: F,
            expected: Format::WEBRTC_10MS
        })
    );
}

#[test]
fn a_source_that_writes_part_of_its_frame_leaves_silence_not_another_partys_audio() {
    let (mut s, c, a, v) = call();
    let mut loud = constant(9000);
    let mut lazy = |f: &mut [i16]| {
        f[0] = 1;
        Fill::Frame
    };
    let mut ch = MemorySink::with_capacity(160);
    // The whispering supervisor's frame is read first, into the same
    // scratch frame the agent's source then half-fills.
    Driver::new(F)
        .tick(
            &mut s,
            &mut [
                Leg::talk_only(v, &mut loud),
                Leg::talk_only(a, &mut lazy),
                Leg::listen_only(c, &mut ch),
            ],
        )
        .unwrap();
    assert_eq!(ch.samples()[0], 1);
    assert!(ch.samples()[1..].iter().all(|&x| x == 0));
}

/// A host type that is both ends of a leg.
struct Phone {
    says: i16,
    heard: i16,
}

impl Source<i16> for Phone {
    fn fill(&mut self, frame: &mut [i16]) -> Fill {
        frame.fill(self.says);
        Fill::Frame
    }
}

impl Sink<i16> for Phone {
    fn take(&mut self, frame: &[i16]) {
        self.heard = frame[frame.len() - 1];
    }
}

#[test]
fn a_duplex_leg_is_read_and_written() {
    let (mut s, c, a, _v) = call();
    let mut customer = Phone { says: 11, heard: 0 };
    let mut agent = Phone { says: 22, heard: 0 };
    let t = Driver::new(F)
        .tick(
            &mut s,
            &mut [Leg::duplex(c, &mut customer), Leg::duplex(a, &mut agent)],
        )
        .unwrap();
    assert_eq!((t.frames, t.heard), (2, 2));
    assert_eq!((customer.heard, agent.heard), (22, 11));
}

#[test]
fn memory_source_loops_and_memory_sink_keeps_its_capacity() {
    let mut src = MemorySource::looping(vec![1i16, 2, 3]);
    let mut f = [0i16; 7];
    assert_eq!(src.fill(&mut f), Fill::Frame);
    assert_eq!(f, [1, 2, 3, 1, 2, 3, 1]);
    assert_eq!(src.position(), 1);
    let mut empty = MemorySource::<i16>::looping(vec![]);
    assert_eq!(empty.fill(&mut f), Fill::Frame);
    assert_eq!(f, [0; 7]);
    let mut once = MemorySource::<i16>::new(vec![]);
    assert_eq!(once.fill(&mut f), Fill::Ended);

    let mut sink = MemorySink::with_capacity(10);
    sink.take(&[5i16; 7]);
    sink.take(&[6i16; 7]);
    assert_eq!(sink.samples().len(), 10);
    assert_eq!(sink.dropped(), 4);
    sink.clear();
    assert_eq!((sink.samples().len(), sink.dropped()), (0, 0));
}

#[test]
fn g711_adapters_decode_and_encode_payloads() {
    for law in [Law::Ulaw, Law::Alaw] {
        let code = law.encode_sample(1000);
        let mut src = G711Source::new(law, F, move |p: &mut [u8]| {
            assert!(p.iter().all(|&b| b == law.silence()));
            p.fill(code);
            Fill::Frame
        })
        .unwrap();
        let mut f = [0i16; 160];
        assert_eq!(Source::<i16>::fill(&mut src, &mut f), Fill::Frame);
        assert_eq!(f, [law.decode_sample(code); 160]);
        let mut g = [0f32; 160];
        assert_eq!(Source::<f32>::fill(&mut src, &mut g), Fill::Frame);
        assert!((g[0] - 1000.0 / 32768.0).abs() < 0.002);

        let mut sent: Vec<u8> = Vec::new();
        {
            let mut sink = G711Sink::new(law, F, |p: &[u8]| sent.extend_from_slice(p)).unwrap();
            Sink::<i16>::take(&mut sink, &[0; 160]);
            Sink::<f32>::take(&mut sink, &[1.0; 160]);
        }
        assert_eq!(sent.len(), 320);
        assert!(sent[..160].iter().all(|&b| b == law.silence()));
        assert!(sent[160..]
            .iter()
            .all(|&b| b == law.encode_sample(i16::MAX)));

        let mut missing = G711Source::new(law, F, |_: &mut [u8]| Fill::Missing).unwrap();
        let mut f = [9i16; 160];
        assert_eq!(Source::<i16>::fill(&mut missing, &mut f), Fill::Missing);
    }
    let wide = Format::new(16000, 20).unwrap();
    assert_eq!(
        G711Sink::new(Law::Alaw, wide, |_: &[u8]| {}).err(),
        Some(Error::CodecRate {
            codec: "PCMA",
            given: 16000,
            expected: 8000
        })
    );
}
