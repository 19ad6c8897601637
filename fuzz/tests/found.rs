//! Library bugs `session_ops` found, on the plain API: each test states
//! the documented promise it checks and fails until the library keeps it.

use barge::tone::Cadence;
use barge::{
    Audience, BeforeDisclosure, ConsentBy, Event, Format, Join, Mode, Role, Session, ToneSpec,
};

/// `Event::ConsentGiven { at }` is "the first tick anyone may listen", and
/// `require_disclosure` says no supervisor hears anything of the call until
/// the disclosure is recorded. A disclosure tone that ends in tick 1
/// records consent `at: 2`, but the supervisor already hears the customer
/// in tick 1.
#[test]
fn a_disclosure_lets_supervisors_listen_only_from_the_tick_after_it_ends() {
    let mut s = Session::<i16>::new(Format::NARROWBAND_20MS);
    s.set_ramp(std::time::Duration::ZERO).unwrap();
    let c = s.join(Role::Customer).unwrap();
    let _a = s.join(Role::Agent).unwrap();
    let v = s.join(Join::supervisor(Mode::Monitor)).unwrap();
    s.require_disclosure(BeforeDisclosure::HoldSilent).unwrap();
    let d = s.join(Join::announcement(Audience::CUSTOMERS)).unwrap();
    s.set_disclosure(d).unwrap();
    // 21 ms: the tone's last sample is in tick 1.
    s.play(d, &ToneSpec::single(1000.0, -10.0, Cadence::once(21)))
        .unwrap();
    let mut heard = Vec::new();
    for _ in 0..3 {
        s.put_frame(c, &[1000; 160]).unwrap();
        s.mix();
        heard.push(s.output(v).unwrap().iter().any(|&x| x != 0));
    }
    let given = std::iter::from_fn(|| s.poll_event())
        .find_map(|e| match e {
            Event::ConsentGiven { by, at } => Some((by, at)),
            _ => None,
        })
        .unwrap();
    assert_eq!(given, (ConsentBy::Disclosure(d), 2));
    assert_eq!(
        heard,
        [false, false, true],
        "the supervisor hears the customer before the tick of ConsentGiven"
    );
}
