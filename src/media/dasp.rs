//! A [dasp](https://docs.rs/dasp) `Signal` as a party's audio (feature
//! `dasp`).

use super::*;
use crate::dsp::kernel::Sample;

/// A [dasp](https://docs.rs/dasp_signal) `Signal` of mono frames as a
/// party's audio: a test tone, a prompt or hold music built with dasp's
/// generators and adaptors, played into the call one frame per tick. When
/// the signal is exhausted the rest of that frame is silence and the
/// source says [`Fill::Ended`] from the next frame on.
///
/// ```
/// use barge::media::{Driver, Leg, MemorySink, SignalSource};
/// use barge::{Format, Role, Session};
/// use dasp_signal::{self as signal, Signal};
///
/// let format = Format::NARROWBAND_20MS;
/// let mut call = Session::<f32>::new(format);
/// let (tone, agent) = (call.join(Role::Customer)?, call.join(Role::Agent)?);
/// // A 400 Hz tone at half scale, for one second.
/// let beep = signal::rate(8000.0).const_hz(400.0).sine().scale_amp(0.5).map(|x| x as f32);
/// let mut source = SignalSource::new(signal::from_iter(beep.take(8000)));
/// let mut heard = MemorySink::with_capacity(8000);
/// let mut driver = Driver::new(format);
/// for _ in 0..10 {
///     driver.tick(&mut call, &mut [Leg::talk_only(tone, &mut source), Leg::listen_only(agent, &mut heard)])?;
/// }
/// assert!(heard.samples().iter().any(|&x| x > 0.45));
/// # Ok::<(), barge::Error>(())
/// ```
#[cfg(feature = "dasp")]
#[cfg_attr(docsrs, doc(cfg(feature = "dasp")))]
#[derive(Debug, Clone)]
pub struct SignalSource<G> {
    signal: G,
    ended: bool,
}

#[cfg(feature = "dasp")]
impl<G> SignalSource<G> {
    /// Plays `signal`.
    pub fn new(signal: G) -> SignalSource<G> {
        SignalSource {
            signal,
            ended: false,
        }
    }

    /// The signal it plays.
    pub fn into_inner(self) -> G {
        self.signal
    }
}

#[cfg(feature = "dasp")]
impl<S, G> Source<S> for SignalSource<G>
where
    S: Sample,
    G: dasp_signal::Signal<Frame = S>,
{
    fn fill(&mut self, frame: &mut [S]) -> Fill {
        if self.ended {
            return Fill::Ended;
        }
        for x in frame.iter_mut() {
            if self.signal.is_exhausted() {
                self.ended = true;
                *x = S::SILENCE;
            } else {
                *x = self.signal.next();
            }
        }
        Fill::Frame
    }
}
