//! G.711 legs: a leg's PCMU or PCMA payload turned into PCM and back.

use alloc::vec;
use alloc::vec::Vec;

use super::*;
use crate::dsp::g711::Law;
use crate::dsp::kernel::Sample;
use crate::error::Error;
use crate::format::Format;

/// Where a leg's encoded payload comes from, one frame per tick: G.711 code
/// bytes out of the host's jitter buffer, one byte per sample.
///
/// `payload` has exactly one byte per sample of the frame and holds the
/// law's silence. Any `FnMut(&mut [u8]) -> Fill` closure is a payload
/// source.
pub trait PayloadSource {
    /// Writes the leg's next payload into `payload` and says whether there
    /// was one: [`Fill::Lost`] marks a payload lost in transit (the
    /// jitter buffer gave up on it), which a party that conceals loss
    /// conceals; [`Fill::Missing`] one absent on purpose (silence).
    fn fill_payload(&mut self, payload: &mut [u8]) -> Fill;
}

impl<F: FnMut(&mut [u8]) -> Fill> PayloadSource for F {
    fn fill_payload(&mut self, payload: &mut [u8]) -> Fill {
        self(payload)
    }
}

/// Where a leg's encoded payload goes: the G.711 bytes of the frame its
/// party must hear, for the host to packetize and send. Any `FnMut(&[u8])`
/// closure is a payload sink.
pub trait PayloadSink {
    /// Takes the payload of one frame.
    fn take_payload(&mut self, payload: &[u8]);
}

impl<F: FnMut(&[u8])> PayloadSink for F {
    fn take_payload(&mut self, payload: &[u8]) {
        self(payload)
    }
}

/// Checks that G.711 can carry `format`: 8000 Hz only.
fn g711_format(law: Law, format: Format) -> Result<(), Error> {
    let hz = format.rate().hz();
    if hz == 8000 {
        Ok(())
    } else {
        Err(Error::CodecRate {
            codec: law.encoding_name(),
            given: hz,
            expected: 8000,
        })
    }
}

/// What [`G711Source`] and [`G711Sink`] share: the law, the format and one
/// frame of payload, allocated when built. Every sample goes through the
/// slice functions of [`crate::g711`], with the law chosen once per frame.
#[derive(Debug, Clone)]
struct G711Codec {
    law: Law,
    format: Format,
    payload: Vec<u8>,
}

impl G711Codec {
    fn new(law: Law, format: Format) -> Result<G711Codec, Error> {
        g711_format(law, format)?;
        Ok(G711Codec {
            law,
            format,
            payload: vec![law.silence(); format.samples_per_frame()],
        })
    }

    /// The first `len` bytes of the payload (at most a frame), as silence.
    fn silent_payload(&mut self, len: usize) -> &mut [u8] {
        let n = len.min(self.payload.len());
        let payload = &mut self.payload[..n];
        payload.fill(self.law.silence());
        payload
    }
}

/// A sample type the G.711 adapters convert: `i16` or `f32`.
trait G711Sample: Sample {
    /// Decodes `codes` into `pcm` (as long as `codes`).
    fn decode(law: Law, codes: &[u8], pcm: &mut [Self]);
    /// Encodes `pcm` into `codes` (as long as `pcm`).
    fn encode(law: Law, pcm: &[Self], codes: &mut [u8]);
}

impl G711Sample for i16 {
    fn decode(law: Law, codes: &[u8], pcm: &mut [i16]) {
        // The lengths are equal by construction: no error to handle.
        let _ = law.decode(codes, pcm);
    }
    fn encode(law: Law, pcm: &[i16], codes: &mut [u8]) {
        let _ = law.encode(pcm, codes);
    }
}

impl G711Sample for f32 {
    fn decode(law: Law, codes: &[u8], pcm: &mut [f32]) {
        let _ = law.decode_f32(codes, pcm);
    }
    fn encode(law: Law, pcm: &[f32], codes: &mut [u8]) {
        let _ = law.encode_f32(pcm, codes);
    }
}

/// A [`Source`] that decodes a leg's G.711 payload (PCMU or PCMA) into
/// `i16` or `f32` frames.
///
/// It holds one frame of payload, allocated when built; decoding
/// allocates nothing.
#[derive(Debug, Clone)]
pub struct G711Source<P> {
    inner: P,
    codec: G711Codec,
}

impl<P: PayloadSource> G711Source<P> {
    /// Decodes the payload `inner` gives in `law`, for a leg in `format`,
    /// which must be 8 kHz ([`Error::CodecRate`] otherwise).
    /// [`Driver::tick`] takes it only for a party whose leg is in that
    /// format ([`Error::LegFormat`] otherwise): the call's, or the one the
    /// party joined with ([`Join::leg`](crate::Join::leg)).
    pub fn new(law: Law, format: Format, inner: P) -> Result<G711Source<P>, Error> {
        Ok(G711Source {
            inner,
            codec: G711Codec::new(law, format)?,
        })
    }

    /// The law it decodes.
    pub fn law(&self) -> Law {
        self.codec.law
    }

    /// The payload source it wraps.
    pub fn inner(&self) -> &P {
        &self.inner
    }

    /// The payload source it wraps, to feed it.
    pub fn inner_mut(&mut self) -> &mut P {
        &mut self.inner
    }

    /// Unwraps the payload source.
    pub fn into_inner(self) -> P {
        self.inner
    }

    fn fill_as<S: G711Sample>(&mut self, frame: &mut [S]) -> Fill {
        let law = self.codec.law;
        let payload = self.codec.silent_payload(frame.len());
        let fill = self.inner.fill_payload(payload);
        if fill == Fill::Frame {
            let n = payload.len();
            S::decode(law, payload, &mut frame[..n]);
        }
        fill
    }
}

impl<P: PayloadSource> Source<i16> for G711Source<P> {
    fn format(&self) -> Option<Format> {
        Some(self.codec.format)
    }

    fn fill(&mut self, frame: &mut [i16]) -> Fill {
        self.fill_as(frame)
    }
}

impl<P: PayloadSource> Source<f32> for G711Source<P> {
    fn format(&self) -> Option<Format> {
        Some(self.codec.format)
    }

    fn fill(&mut self, frame: &mut [f32]) -> Fill {
        self.fill_as(frame)
    }
}

/// A [`Sink`] that encodes what a leg's party hears as G.711 (PCMU or
/// PCMA) and hands the payload on.
///
/// It holds one frame of payload, allocated when built; encoding
/// allocates nothing.
#[derive(Debug, Clone)]
pub struct G711Sink<P> {
    inner: P,
    codec: G711Codec,
}

impl<P: PayloadSink> G711Sink<P> {
    /// Encodes in `law` for `inner`, for a leg in `format`, which must be
    /// 8 kHz ([`Error::CodecRate`] otherwise). [`Driver::tick`] takes it
    /// only for a party whose leg is in that format ([`Error::LegFormat`]
    /// otherwise).
    pub fn new(law: Law, format: Format, inner: P) -> Result<G711Sink<P>, Error> {
        Ok(G711Sink {
            inner,
            codec: G711Codec::new(law, format)?,
        })
    }

    /// The law it encodes.
    pub fn law(&self) -> Law {
        self.codec.law
    }

    /// The payload sink it wraps.
    pub fn inner(&self) -> &P {
        &self.inner
    }

    /// The payload sink it wraps.
    pub fn inner_mut(&mut self) -> &mut P {
        &mut self.inner
    }

    /// Unwraps the payload sink.
    pub fn into_inner(self) -> P {
        self.inner
    }

    fn take_as<S: G711Sample>(&mut self, frame: &[S]) {
        let law = self.codec.law;
        let payload = self.codec.silent_payload(frame.len());
        let n = payload.len();
        S::encode(law, &frame[..n], payload);
        self.inner.take_payload(payload);
    }
}

impl<P: PayloadSink> Sink<i16> for G711Sink<P> {
    fn format(&self) -> Option<Format> {
        Some(self.codec.format)
    }

    fn take(&mut self, frame: &[i16]) {
        self.take_as(frame)
    }
}

impl<P: PayloadSink> Sink<f32> for G711Sink<P> {
    fn format(&self) -> Option<Format> {
        Some(self.codec.format)
    }

    fn take(&mut self, frame: &[f32]) {
        self.take_as(frame)
    }
}
