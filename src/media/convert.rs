//! Legs of the other sample type: an `f32` leg on an `i16` call, or the
//! reverse.

use alloc::vec;
use alloc::vec::Vec;

use super::*;
use crate::dsp::g711::f32_to_i16;
use crate::dsp::kernel::Sample;
use crate::format::Format;

/// A leg whose samples are of the other type than the call's: an `f32`
/// source or sink (a WebRTC stack's decoded Opus) on an `i16` call, or an
/// `i16` one on an `f32` call. It converts each frame, with no code of the
/// host's: `i16` to `f32` divides by 32768; `f32` to `i16` multiplies by
/// 32768, rounds half away from zero and clamps to full scale (NaN is 0).
///
/// It holds one frame of the leg's samples, allocated when built;
/// converting allocates nothing.
///
/// ```
/// use barge::media::{Converted, Driver, Fill, Leg};
/// use barge::{Format, Role, Session};
///
/// let format = Format::NARROWBAND_20MS;
/// let mut call = Session::<i16>::new(format);
/// let (c, a) = (call.join(Role::Customer)?, call.join(Role::Agent)?);
/// // The agent's browser leg hands in and takes f32.
/// let mut mic = Converted::new(|f: &mut [f32]| { f.fill(0.5); Fill::Frame }, format);
/// let mut heard = Vec::new();
/// let mut speaker = Converted::new(|f: &[f32]| heard.extend_from_slice(f), format);
/// let mut customer = |f: &mut [i16]| { f.fill(1000); Fill::Frame };
/// Driver::new(format).tick(&mut call, &mut [
///     Leg::talk_only(c, &mut customer),
///     Leg::new(a, &mut mic, &mut speaker),
/// ])?;
/// assert_eq!(call.output(c)?[159], 16384); // 0.5 of full scale, once faded in
/// drop(speaker);
/// assert_eq!(heard[159], 1000.0 / 32768.0);
/// # Ok::<(), barge::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Converted<T, U> {
    inner: T,
    format: Format,
    frame: Vec<U>,
}

impl<T, U: Sample> Converted<T, U> {
    /// Wraps `inner`, a source or sink of `U` samples, for a leg whose
    /// frames are of `format`: [`Driver::tick`] takes it only for a party
    /// whose leg has that format ([`Error::LegFormat`](crate::Error::LegFormat) otherwise).
    pub fn new(inner: T, format: Format) -> Converted<T, U> {
        Converted {
            inner,
            format,
            frame: vec![U::SILENCE; format.samples_per_frame()],
        }
    }

    /// The source or sink it wraps.
    pub fn inner(&self) -> &T {
        &self.inner
    }

    /// The source or sink it wraps.
    pub fn inner_mut(&mut self) -> &mut T {
        &mut self.inner
    }

    /// Unwraps it.
    pub fn into_inner(self) -> T {
        self.inner
    }
}

/// Converts samples between `i16` and `f32`.
fn to_f32(pcm: &[i16], out: &mut [f32]) {
    for (o, &x) in out.iter_mut().zip(pcm) {
        *o = f32::from(x) / 32768.0;
    }
}

fn to_i16(pcm: &[f32], out: &mut [i16]) {
    for (o, &x) in out.iter_mut().zip(pcm) {
        *o = f32_to_i16(x);
    }
}

impl<T: Source<f32>> Source<i16> for Converted<T, f32> {
    fn format(&self) -> Option<Format> {
        Some(self.format)
    }

    fn fill(&mut self, frame: &mut [i16]) -> Fill {
        let n = frame.len().min(self.frame.len());
        let buf = &mut self.frame[..n];
        buf.fill(0.0);
        let fill = self.inner.fill(buf);
        if fill == Fill::Frame {
            to_i16(buf, frame);
        }
        fill
    }
}

impl<T: Source<i16>> Source<f32> for Converted<T, i16> {
    fn format(&self) -> Option<Format> {
        Some(self.format)
    }

    fn fill(&mut self, frame: &mut [f32]) -> Fill {
        let n = frame.len().min(self.frame.len());
        let buf = &mut self.frame[..n];
        buf.fill(0);
        let fill = self.inner.fill(buf);
        if fill == Fill::Frame {
            to_f32(buf, frame);
        }
        fill
    }
}

impl<T: Sink<f32>> Sink<i16> for Converted<T, f32> {
    fn format(&self) -> Option<Format> {
        Some(self.format)
    }

    fn take(&mut self, frame: &[i16]) {
        let n = frame.len().min(self.frame.len());
        to_f32(frame, &mut self.frame[..n]);
        self.inner.take(&self.frame[..n]);
    }
}

impl<T: Sink<i16>> Sink<f32> for Converted<T, i16> {
    fn format(&self) -> Option<Format> {
        Some(self.format)
    }

    fn take(&mut self, frame: &[f32]) {
        let n = frame.len().min(self.frame.len());
        to_i16(frame, &mut self.frame[..n]);
        self.inner.take(&self.frame[..n]);
    }
}
