//! A leg that hangs up, whatever its format, never stops the others: the
//! call goes on for everyone still on it (`media::Driver`).
//!
//! For each kind of leg at another format than the call's (a browser
//! supervisor at 48 kHz `f32` on an 8 kHz `i16` PSTN call, through
//! `media::Converted`; a G.711 customer on a 16 kHz call), whether its
//! source ends or the host makes it leave, every later tick succeeds and
//! the parties still on the call hear each other, sample for sample.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use barge::g711::Law;
use barge::media::{Converted, Driver, Fill, G711Sink, G711Source, Leg};
use barge::{Format, Join, Mode, Role, Session};

/// What a sink heard, shared with the test.
type Heard<S> = Rc<RefCell<Vec<S>>>;

fn sink<S: Copy>(heard: &Heard<S>) -> impl FnMut(&[S]) + '_ {
    move |frame: &[S]| heard.borrow_mut().extend_from_slice(frame)
}

/// How the browser supervisor goes.
#[derive(Clone, Copy, Debug)]
enum Gone {
    /// Its source says `Fill::Ended` at this tick.
    Ends(usize),
    /// The host calls `leave` before this tick, and keeps passing its leg.
    Leaves(usize),
}

/// A PSTN call (8 kHz, 10 ms, `i16`) with a browser supervisor in barge on
/// a 48 kHz, 10 ms `f32` leg, 100 ticks through the driver; the supervisor
/// goes as `gone` says. Returns what the customer and the agent heard.
fn browser_supervisor(gone: Gone) -> (Vec<i16>, Vec<i16>) {
    let call = Format::new(8000, 10).unwrap();
    let browser = Format::WEBRTC_10MS;
    let mut session = Session::<i16>::new(call);
    session.set_ramp(std::time::Duration::ZERO).unwrap();
    let customer = session.join(Role::Customer).unwrap();
    let agent = session.join(Role::Agent).unwrap();
    let supervisor = session.join(Join::supervisor(Mode::Barge)).unwrap();
    session.set_leg_format(supervisor, browser).unwrap();

    let (to_customer, to_agent): (Heard<i16>, Heard<i16>) = Default::default();
    let to_browser: Heard<f32> = Default::default();
    let ticks = Cell::new(0);
    let mut mic = Converted::new(
        |frame: &mut [f32]| {
            assert_eq!(frame.len(), 480, "the browser's 10 ms at 48 kHz");
            match gone {
                Gone::Ends(at) if ticks.get() >= at => Fill::Ended,
                _ => {
                    frame.fill(0.01);
                    Fill::Frame
                }
            }
        },
        browser,
    );
    let mut speaker = Converted::new(sink(&to_browser), browser);
    let mut from_customer = |f: &mut [i16]| {
        f.fill(1000);
        Fill::Frame
    };
    let mut from_agent = |f: &mut [i16]| {
        f.fill(200);
        Fill::Frame
    };
    let (mut hears_c, mut hears_a) = (sink(&to_customer), sink(&to_agent));
    let mut driver = Driver::new(call);
    for tick in 0..100 {
        if let Gone::Leaves(at) = gone {
            if tick == at {
                session.leave(supervisor).unwrap();
            }
        }
        ticks.set(tick);
        let done = driver
            .tick(
                &mut session,
                &mut [
                    Leg::new(customer, &mut from_customer, &mut hears_c),
                    Leg::new(agent, &mut from_agent, &mut hears_a),
                    Leg::new(supervisor, &mut mic, &mut speaker),
                ],
            )
            .unwrap_or_else(|e| panic!("{gone:?}, tick {tick}: {e}"));
        // A leg whose party has left is skipped and counted.
        let left = match gone {
            Gone::Ends(at) => tick > at,
            Gone::Leaves(at) => tick >= at,
        };
        assert_eq!(done.gone, usize::from(left), "{gone:?}, tick {tick}");
    }
    let heard = |h: &Heard<i16>| h.borrow().clone();
    (heard(&to_customer), heard(&to_agent))
}

#[test]
fn a_browser_supervisor_who_hangs_up_does_not_stop_the_call() {
    for gone in [
        Gone::Ends(30),
        Gone::Leaves(30),
        Gone::Ends(0),
        Gone::Leaves(1),
    ] {
        let (customer, agent) = browser_supervisor(gone);
        // Every tick wrote every sink: 100 ticks of 80 samples.
        assert_eq!(customer.len(), 8000, "{gone:?}");
        assert_eq!(agent.len(), 8000, "{gone:?}");
        let at = match gone {
            Gone::Ends(at) | Gone::Leaves(at) => at,
        };
        // From a tick after the supervisor went, the customer hears the
        // agent alone and the agent the customer alone, exactly.
        let after = (at + 2) * 80;
        assert!(customer[after..].iter().all(|&x| x == 200), "{gone:?}");
        assert!(agent[after..].iter().all(|&x| x == 1000), "{gone:?}");
    }
}

#[test]
fn a_g711_customer_who_hangs_up_on_a_wideband_call_does_not_stop_it() {
    // A 16 kHz call: the agent and a supervisor in barge are wideband; the
    // customer is on the phone network, PCMU at 8 kHz.
    let call = Format::new(16000, 20).unwrap();
    let pstn = Format::NARROWBAND_20MS;
    for hang_up in ["source ends", "host leaves"] {
        let mut session = Session::<i16>::new(call);
        session.set_ramp(std::time::Duration::ZERO).unwrap();
        let customer = session.join(Role::Customer).unwrap();
        let agent = session.join(Role::Agent).unwrap();
        let supervisor = session.join(Join::supervisor(Mode::Barge)).unwrap();
        session.set_leg_format(customer, pstn).unwrap();

        let ticks = Cell::new(0);
        let mut payload = vec![0u8; 160];
        Law::Ulaw.encode(&[500i16; 160], &mut payload).unwrap();
        let mut from_customer = G711Source::new(Law::Ulaw, pstn, |p: &mut [u8]| {
            if hang_up == "source ends" && ticks.get() >= 20 {
                return Fill::Ended;
            }
            p.copy_from_slice(&payload);
            Fill::Frame
        })
        .unwrap();
        let sent = Rc::new(RefCell::new(0usize));
        let sent_to = Rc::clone(&sent);
        let mut to_customer = G711Sink::new(Law::Ulaw, pstn, move |p: &[u8]| {
            assert_eq!(p.len(), 160);
            *sent_to.borrow_mut() += 1;
        })
        .unwrap();
        let (to_agent, to_supervisor): (Heard<i16>, Heard<i16>) = Default::default();
        let mut from_agent = |f: &mut [i16]| {
            f.fill(300);
            Fill::Frame
        };
        let mut from_supervisor = |f: &mut [i16]| {
            f.fill(40);
            Fill::Frame
        };
        let (mut hears_a, mut hears_s) = (sink(&to_agent), sink(&to_supervisor));
        let mut driver = Driver::new(call);
        for tick in 0..60 {
            if hang_up == "host leaves" && tick == 20 {
                session.leave(customer).unwrap();
            }
            ticks.set(tick);
            driver
                .tick(
                    &mut session,
                    &mut [
                        Leg::new(customer, &mut from_customer, &mut to_customer),
                        Leg::new(agent, &mut from_agent, &mut hears_a),
                        Leg::new(supervisor, &mut from_supervisor, &mut hears_s),
                    ],
                )
                .unwrap_or_else(|e| panic!("{hang_up}, tick {tick}: {e}"));
        }
        // The customer heard its 20 ticks, then nothing more was sent to it.
        assert_eq!(*sent.borrow(), 20, "{hang_up}");
        let (agent_heard, supervisor_heard) = (to_agent.borrow(), to_supervisor.borrow());
        assert_eq!(agent_heard.len(), 60 * 320, "{hang_up}");
        assert_eq!(supervisor_heard.len(), 60 * 320, "{hang_up}");
        // While the customer was on, the agent heard it (a decoded PCMU
        // 500, resampled): well above the supervisor alone.
        assert!(
            agent_heard[10 * 320..19 * 320].iter().all(|&x| x > 300),
            "{hang_up}"
        );
        // From two ticks after it left (its resampler's tail included):
        // the agent hears the supervisor alone, the supervisor the agent.
        assert!(
            agent_heard[22 * 320..].iter().all(|&x| x == 40),
            "{hang_up}"
        );
        assert!(
            supervisor_heard[22 * 320..].iter().all(|&x| x == 300),
            "{hang_up}"
        );
    }
}
