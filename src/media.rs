//! The media edge: how a host's legs plug into a [`Session`].
//!
//! A *leg* is one party's media as the host carries it: an RTP stream
//! behind a jitter buffer, a WebRTC track, a PBX channel, a prerecorded
//! prompt. `barge` owns none of them. The host implements two small traits
//! for each leg:
//!
//! - [`Source`]: fill the frame `barge` hands over with the leg's next frame
//!   of audio, or say that this tick's frame is [`Fill::Missing`] (lost or
//!   late: the host's jitter buffer decides) or that the leg has
//!   [`Fill::Ended`];
//! - [`Sink`]: take the frame the leg's party must hear this tick.
//!
//! Once per tick, [`Driver::tick`] reads every source, mixes, and writes
//! every sink; a source that has ended makes its party leave the call (with
//! its [`Event::Left`](crate::Event::Left)). A tick allocates nothing, locks
//! nothing and reads no clock. The plain [`Session`] API stays available:
//! the driver is only a short way of calling [`Session::put_frame`],
//! [`Session::mix`], [`Session::output`] and [`Session::leave`].
//!
//! Ready-made legs: [`MemorySource`] and [`MemorySink`] (prompts, tests,
//! recordings of bounded length) and [`G711Source`] / [`G711Sink`], which
//! turn a leg's PCMU or PCMA payload into PCM and back (with
//! [`PayloadSource`] and [`PayloadSink`] for the bytes). Closures implement
//! every trait.
//!
//! ```
//! use barge::media::{Driver, Fill, Leg, MemorySink, MemorySource};
//! use barge::{Format, Mode, Role, Session};
//!
//! let format = Format::NARROWBAND_20MS;
//! let mut call = Session::<i16>::new(format);
//! let customer = call.join(Role::Customer)?;
//! let agent = call.join(Role::Agent)?;
//! let supervisor = call.join_supervisor(Mode::Whisper)?;
//!
//! let mut customer_says = MemorySource::new(vec![1000i16; 160 * 50]);
//! let mut agent_says = MemorySource::new(vec![200i16; 160 * 50]);
//! let mut supervisor_says = |frame: &mut [i16]| {
//!     frame.fill(30);
//!     Fill::Frame
//! };
//! let mut customer_hears = MemorySink::with_capacity(160 * 50);
//! let mut agent_hears = MemorySink::with_capacity(160 * 50);
//! let mut supervisor_hears = |_frame: &[i16]| {};
//!
//! let mut driver = Driver::new(format);
//! for _ in 0..50 {
//!     driver.tick(&mut call, &mut [
//!         Leg::new(customer, &mut customer_says, &mut customer_hears),
//!         Leg::new(agent, &mut agent_says, &mut agent_hears),
//!         Leg::new(supervisor, &mut supervisor_says, &mut supervisor_hears),
//!     ])?;
//! }
//! // After the first frame's ramp, the customer hears the agent, never the
//! // whisper.
//! assert!(customer_hears.samples()[160..].iter().all(|&x| x == 200));
//! assert_eq!(agent_hears.samples().last(), Some(&1030));
//! # Ok::<(), barge::Error>(())
//! ```

use alloc::vec;
use alloc::vec::Vec;
use core::marker::PhantomData;

use crate::g711::{f32_to_i16, Law};
use crate::{Error, Format, PartyId, Sample, Session};

/// What a [`Source`] made of this tick's frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[must_use]
pub enum Fill {
    /// The frame holds the leg's audio for this tick.
    Frame,
    /// There is no audio for this tick (lost, late, not sent): the party is
    /// silence to everyone this tick, and the frame's contents are ignored.
    Missing,
    /// The leg has ended (hung up, stream closed, prompt over): the party
    /// leaves the call and the frame's contents are ignored.
    Ended,
}

/// Where a leg's audio comes from: the host's side of one party's input.
///
/// `fill` is called once per tick with a frame of exactly
/// [`Format::samples_per_frame`] samples, all silence. It must not block:
/// what has not arrived by now is [`Fill::Missing`]. Any `FnMut(&mut [S]) ->
/// Fill` closure is a source.
pub trait Source<S: Sample> {
    /// Writes the leg's next frame into `frame` and says whether there was
    /// one.
    fn fill(&mut self, frame: &mut [S]) -> Fill;

    /// The format this source was built for, if it was built for one (a
    /// [`G711Source`] is): [`Driver::tick`] checks it against its own.
    /// `None`, the default, fits any format.
    fn format(&self) -> Option<Format> {
        None
    }
}

impl<S: Sample, F: FnMut(&mut [S]) -> Fill> Source<S> for F {
    fn fill(&mut self, frame: &mut [S]) -> Fill {
        self(frame)
    }
}

/// Where a leg's audio goes: the host's side of what one party hears.
///
/// `take` is called once per tick with the frame the party must hear, of
/// exactly [`Format::samples_per_frame`] samples. It must not block. Any
/// `FnMut(&[S])` closure is a sink.
pub trait Sink<S: Sample> {
    /// Takes the frame the leg's party must hear this tick.
    fn take(&mut self, frame: &[S]);

    /// The format this sink was built for, if it was built for one (a
    /// [`G711Sink`] is): [`Driver::tick`] checks it against its own.
    /// `None`, the default, fits any format.
    fn format(&self) -> Option<Format> {
        None
    }
}

impl<S: Sample, F: FnMut(&[S])> Sink<S> for F {
    fn take(&mut self, frame: &[S]) {
        self(frame)
    }
}

/// A host type that is both a leg's [`Source`] and its [`Sink`] (a WebRTC
/// track, an RTP session, a PBX channel), for [`Leg::duplex`]. Implemented
/// for every such type.
pub trait Duplex<S: Sample>: Source<S> + Sink<S> {}

impl<S: Sample, T: Source<S> + Sink<S>> Duplex<S> for T {}

/// Where a leg's frames come from and go to.
enum Ends<'a, S: Sample> {
    Split {
        source: Option<&'a mut dyn Source<S>>,
        sink: Option<&'a mut dyn Sink<S>>,
    },
    Duplex(&'a mut dyn Duplex<S>),
}

/// One party's media for one tick: who, where its audio comes from, and
/// where what it hears goes. Build the legs on the stack each tick; they
/// only borrow the host's sources and sinks.
pub struct Leg<'a, S: Sample> {
    party: PartyId,
    ends: Ends<'a, S>,
    last: Option<Fill>,
}

impl<'a, S: Sample> Leg<'a, S> {
    /// A leg that talks and listens, through a source and a sink.
    pub fn new(party: PartyId, source: &'a mut dyn Source<S>, sink: &'a mut dyn Sink<S>) -> Self {
        Leg::split(party, Some(source), Some(sink))
    }

    /// A leg that talks and listens through one value that is both its
    /// source and its sink.
    pub fn duplex(party: PartyId, leg: &'a mut dyn Duplex<S>) -> Self {
        Leg {
            party,
            ends: Ends::Duplex(leg),
            last: None,
        }
    }

    /// A leg that only talks (an announcement, a prompt).
    pub fn talk_only(party: PartyId, source: &'a mut dyn Source<S>) -> Self {
        Leg::split(party, Some(source), None)
    }

    /// A leg that only listens (a recorder, a second sink of a party).
    pub fn listen_only(party: PartyId, sink: &'a mut dyn Sink<S>) -> Self {
        Leg::split(party, None, Some(sink))
    }

    fn split(
        party: PartyId,
        source: Option<&'a mut dyn Source<S>>,
        sink: Option<&'a mut dyn Sink<S>>,
    ) -> Self {
        Leg {
            party,
            ends: Ends::Split { source, sink },
            last: None,
        }
    }

    /// The party of this leg.
    pub fn party(&self) -> PartyId {
        self.party
    }

    /// What the source said in the last [`Driver::tick`]; `None` before it,
    /// for a leg without a source, or for a party no longer on the call.
    pub fn last_fill(&self) -> Option<Fill> {
        self.last
    }

    fn has_source(&self) -> bool {
        match &self.ends {
            Ends::Split { source, .. } => source.is_some(),
            Ends::Duplex(_) => true,
        }
    }

    fn has_sink(&self) -> bool {
        match &self.ends {
            Ends::Split { sink, .. } => sink.is_some(),
            Ends::Duplex(_) => true,
        }
    }

    /// The first format its source or sink was built for that is not
    /// `format`.
    fn other_format(&self, format: Format) -> Option<Format> {
        let (source, sink) = match &self.ends {
            Ends::Split { source, sink } => (
                source.as_ref().and_then(|s| s.format()),
                sink.as_ref().and_then(|s| s.format()),
            ),
            Ends::Duplex(d) => (Source::format(&**d), Sink::format(&**d)),
        };
        [source, sink].into_iter().flatten().find(|&f| f != format)
    }

    /// Reads the source, if there is one.
    fn fill(&mut self, frame: &mut [S]) -> Option<Fill> {
        match &mut self.ends {
            Ends::Split { source, .. } => source.as_mut().map(|s| s.fill(frame)),
            Ends::Duplex(d) => Some(d.fill(frame)),
        }
    }

    /// Writes the sink, if there is one; says whether there was.
    fn take(&mut self, frame: &[S]) -> bool {
        match &mut self.ends {
            Ends::Split { sink: Some(s), .. } => s.take(frame),
            Ends::Split { sink: None, .. } => return false,
            Ends::Duplex(d) => d.take(frame),
        }
        true
    }
}

impl<S: Sample> core::fmt::Debug for Leg<'_, S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Leg")
            .field("party", &self.party)
            .field("source", &self.has_source())
            .field("sink", &self.has_sink())
            .field("last", &self.last)
            .finish()
    }
}

/// What one [`Driver::tick`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Tick {
    /// Sources that gave a frame.
    pub frames: usize,
    /// Sources whose frame was missing.
    pub missing: usize,
    /// Sources that ended: their parties left the call before the mix.
    pub ended: usize,
    /// Sinks that were given a frame.
    pub heard: usize,
    /// Legs skipped because their party had left the call before this tick.
    pub gone: usize,
}

/// Runs ticks of a [`Session`] over the host's legs.
///
/// A source writes its frame straight into the session's buffer for its
/// party (no scratch frame, no copy); the frame counts as handed in only when
/// the source says it is one, so that a missing frame is counted as missing.
#[derive(Debug, Clone)]
pub struct Driver<S: Sample> {
    format: Format,
    sample: PhantomData<fn() -> S>,
}

impl<S: Sample> Driver<S> {
    /// A driver for sessions in `format`.
    pub fn new(format: Format) -> Driver<S> {
        Driver {
            format,
            sample: PhantomData,
        }
    }

    /// The format of the sessions this driver runs.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Runs one tick of `session` over `legs`:
    ///
    /// 1. each leg's source fills a frame (given silent), which is handed
    ///    in for the leg's party if it is [`Fill::Frame`];
    /// 2. every party whose source said [`Fill::Ended`] leaves the call
    ///    ([`Session::leave`], which records [`Event::Left`]);
    /// 3. the session mixes ([`Session::mix`]);
    /// 4. each leg's sink takes what its party hears.
    ///
    /// A leg whose frames span several ticks ([`Session::set_leg_format`])
    /// has its source read only in the ticks its next frame is due for, and
    /// its sink written only in the ticks that complete one
    /// ([`Session::frame_due`]).
    ///
    /// Parties without a leg are mixed as the plain API left them (a frame
    /// handed in with [`Session::put_frame`], or silence). A leg whose
    /// party has left the call is skipped and counted in [`Tick::gone`].
    ///
    /// Before anything is read, the legs are checked: a session of another
    /// format, or a source or sink built for another format than its
    /// party's leg ([`Session::leg_format`]: a [`G711Source`] or
    /// [`G711Sink`] is 8 kHz, and takes a party whose leg is 8 kHz on a call
    /// mixed at any rate), is [`Error::FormatMismatch`], a
    /// party of another session is [`Error::ForeignParty`], and two sources for one party, or a source
    /// for a party that has already handed in a frame this tick (with
    /// [`Session::put_frame`] or [`Session::frame_mut`]), are
    /// [`Error::DuplicateFrame`]. On an error nothing has happened: no
    /// source read, no sink written, the session unchanged. (Several sinks
    /// for one party are fine.)
    ///
    /// Reads no clock; calls each source and sink at most once. Allocates
    /// nothing, with one exception: the [`Event::Left`] of a party whose
    /// source ended goes on the audit trail, which grows (up to
    /// [`Session::event_limit`]) when the host has not drained it.
    ///
    /// [`Event::Left`]: crate::Event::Left
    pub fn tick(
        &mut self,
        session: &mut Session<S>,
        legs: &mut [Leg<'_, S>],
    ) -> Result<Tick, Error> {
        if session.format() != self.format {
            return Err(Error::FormatMismatch {
                given: session.format(),
                expected: self.format,
            });
        }
        for (i, leg) in legs.iter().enumerate() {
            let playing = match session.playing(leg.party) {
                Ok(playing) => playing,
                Err(Error::PartyLeft { .. }) => false,
                Err(e) => return Err(e),
            };
            // A leg's ends must be of its party's leg format (the call's
            // unless the party's leg is at another rate).
            let expected = session.leg_format(leg.party).unwrap_or(self.format);
            if let Some(given) = leg.other_format(expected) {
                return Err(Error::FormatMismatch { given, expected });
            }
            let twice = leg.has_source()
                && (session.has_frame(leg.party)
                    || legs[..i]
                        .iter()
                        .any(|l| l.party == leg.party && l.has_source()));
            if twice {
                return Err(Error::DuplicateFrame {
                    party: leg.party,
                    tick: session.tick(),
                });
            }
            // An announcement playing a tone takes no frame from a source.
            if leg.has_source() && playing {
                return Err(Error::TonePlaying { party: leg.party });
            }
        }

        let mut tick = Tick::default();
        for leg in legs.iter_mut() {
            leg.last = None;
            if session.playing(leg.party).is_err() {
                tick.gone += 1;
                continue;
            }
            // A leg whose frames span several ticks is read when its next
            // frame is due, and written when it has heard a whole one.
            if !leg.has_source() || !session.frame_due(leg.party)? {
                continue;
            }
            // The source writes straight into the session's buffer; it
            // counts as handed in only if the source says it is a frame.
            let buffer = session.input_buffer(leg.party)?;
            buffer.fill(S::SILENCE);
            let Some(fill) = leg.fill(buffer) else {
                continue;
            };
            leg.last = Some(fill);
            match fill {
                Fill::Frame => {
                    session.hand_in(leg.party)?;
                    tick.frames += 1;
                }
                Fill::Missing => tick.missing += 1,
                Fill::Ended => tick.ended += 1,
            }
        }
        for leg in legs.iter() {
            if leg.last == Some(Fill::Ended) {
                session.leave(leg.party)?;
            }
        }

        session.mix();

        for leg in legs.iter_mut() {
            if !session.frame_due(leg.party).unwrap_or(false) {
                continue;
            }
            if let Ok(frame) = session.output(leg.party) {
                if leg.take(frame) {
                    tick.heard += 1;
                }
            }
        }
        Ok(tick)
    }
}

/// A source that plays samples it holds: a prompt, hold music, a test
/// signal. It allocates only when built.
///
/// After the last sample it is [`Fill::Ended`] (the last frame is padded
/// with silence), unless built with [`MemorySource::looping`].
#[derive(Debug, Clone)]
pub struct MemorySource<S> {
    samples: Vec<S>,
    position: usize,
    looping: bool,
}

impl<S: Sample> MemorySource<S> {
    /// Plays `samples` once, then ends.
    pub fn new(samples: Vec<S>) -> MemorySource<S> {
        MemorySource {
            samples,
            position: 0,
            looping: false,
        }
    }

    /// Plays `samples` over and over; never ends (an empty one is silence
    /// that never ends).
    pub fn looping(samples: Vec<S>) -> MemorySource<S> {
        MemorySource {
            samples,
            position: 0,
            looping: true,
        }
    }

    /// How many samples have been played (modulo the length when looping).
    pub fn position(&self) -> usize {
        self.position
    }

    /// Whether every sample has been played (never, when looping).
    pub fn is_done(&self) -> bool {
        !self.looping && self.position >= self.samples.len()
    }
}

impl<S: Sample> Source<S> for MemorySource<S> {
    fn fill(&mut self, frame: &mut [S]) -> Fill {
        if self.is_done() {
            return Fill::Ended;
        }
        let mut filled = 0;
        while filled < frame.len() {
            let rest = &self.samples[self.position..];
            let n = rest.len().min(frame.len() - filled);
            frame[filled..filled + n].copy_from_slice(&rest[..n]);
            filled += n;
            self.position += n;
            if self.position == self.samples.len() && self.looping && !self.samples.is_empty() {
                self.position = 0;
            } else if n == 0 || self.position == self.samples.len() {
                break;
            }
        }
        frame[filled..].fill(S::SILENCE);
        Fill::Frame
    }
}

/// A sink that keeps what its party heard, up to a capacity fixed when it
/// is built (so that taking a frame never allocates); what does not fit is
/// counted in [`MemorySink::dropped`].
#[derive(Debug, Clone)]
pub struct MemorySink<S> {
    samples: Vec<S>,
    capacity: usize,
    dropped: u64,
}

impl<S: Sample> MemorySink<S> {
    /// A sink that keeps up to `capacity` samples.
    pub fn with_capacity(capacity: usize) -> MemorySink<S> {
        MemorySink {
            samples: Vec::with_capacity(capacity),
            capacity,
            dropped: 0,
        }
    }

    /// Everything kept so far, oldest first.
    pub fn samples(&self) -> &[S] {
        &self.samples
    }

    /// Samples that did not fit.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Forgets what was kept (keeping the capacity) and the drop count.
    pub fn clear(&mut self) {
        self.samples.clear();
        self.dropped = 0;
    }

    /// The samples kept, as a `Vec`.
    pub fn into_samples(self) -> Vec<S> {
        self.samples
    }
}

impl<S: Sample> Sink<S> for MemorySink<S> {
    fn take(&mut self, frame: &[S]) {
        let room = self.capacity - self.samples.len();
        let n = room.min(frame.len());
        self.samples.extend_from_slice(&frame[..n]);
        self.dropped += (frame.len() - n) as u64;
    }
}

/// Where a leg's encoded payload comes from, one frame per tick: G.711 code
/// bytes out of the host's jitter buffer, one byte per sample.
///
/// `payload` has exactly one byte per sample of the frame and holds the
/// law's silence. Any `FnMut(&mut [u8]) -> Fill` closure is a payload
/// source.
pub trait PayloadSource {
    /// Writes the leg's next payload into `payload` and says whether there
    /// was one.
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
    /// whose leg has that format ([`Error::FormatMismatch`] otherwise).
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
    /// Decodes the payload `inner` gives in `law`, for sessions in
    /// `format`, which must be 8 kHz ([`Error::CodecRate`] otherwise).
    /// [`Driver::tick`] takes it only in a driver of that format
    /// ([`Error::FormatMismatch`] otherwise).
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
    /// Encodes in `law` for `inner`, for sessions in `format`, which must
    /// be 8 kHz ([`Error::CodecRate`] otherwise). [`Driver::tick`] takes
    /// it only in a driver of that format ([`Error::FormatMismatch`]
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

#[cfg(test)]
mod test {
    use super::*;

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
        let v = s.join_supervisor(Mode::Whisper).unwrap();
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
            Err(Error::FormatMismatch {
                given: short,
                expected: F
            })
        );
        assert_eq!(
            drv.tick(&mut s, &mut [Leg::listen_only(c, &mut to_c)]),
            Err(Error::FormatMismatch {
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
}
