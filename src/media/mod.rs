//! The media edge: how a host's legs plug into a [`Session`](crate::Session).
//!
//! A *leg* is one party's media as the host carries it: an RTP stream
//! behind a jitter buffer, a WebRTC track, a PBX channel, a prerecorded
//! prompt. `barge` owns none of them. The host implements two small traits
//! for each leg:
//!
//! - [`Source`]: fill the frame `barge` hands over with the leg's next frame
//!   of audio, or say that this tick's frame is [`Fill::Lost`] (lost or
//!   late in transit: the host's jitter buffer decides; concealed for a
//!   party that conceals loss), [`Fill::Missing`] (absent on purpose:
//!   silence) or that the leg has
//!   [`Fill::Ended`];
//! - [`Sink`]: take the frame the leg's party must hear this tick.
//!
//! Once per tick, [`Driver::tick`] reads every source, mixes, and writes
//! every sink; a source that has ended makes its party leave the call (with
//! its [`Event::Left`](crate::Event::Left)). A tick allocates nothing, locks
//! nothing and reads no clock. The plain [`Session`](crate::Session) API stays available:
//! the driver is only a short way of calling [`Session::put_frame`](crate::Session::put_frame),
//! [`Session::mix`](crate::Session::mix), [`Session::output`](crate::Session::output) and [`Session::leave`](crate::Session::leave).
//!
//! Ready-made legs: [`MemorySource`] and [`MemorySink`] (prompts, tests,
//! recordings of bounded length) and [`G711Source`] / [`G711Sink`], which
//! turn a leg's PCMU or PCMA payload into PCM and back (with
//! [`PayloadSource`] and [`PayloadSink`] for the bytes). Closures implement
//! every trait.
//!
//! ```
//! use barge::media::{Driver, Fill, Leg, MemorySink, MemorySource};
//! use barge::{Format, Join, Mode, Role, Session};
//!
//! let format = Format::NARROWBAND_20MS;
//! let mut call = Session::<i16>::new(format);
//! let customer = call.join(Role::Customer)?;
//! let agent = call.join(Role::Agent)?;
//! let supervisor = call.join(Join::supervisor(Mode::Whisper))?;
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

mod convert;
#[cfg(feature = "dasp")]
mod dasp;
mod driver;
mod g711;
mod memory;
#[cfg(test)]
mod tests;

pub use crate::error::LegEnd;
pub use convert::Converted;
#[cfg(feature = "dasp")]
pub use dasp::SignalSource;
pub use driver::{Driver, Tick};
pub use g711::{G711Sink, G711Source, PayloadSink, PayloadSource};
pub use memory::{MemorySink, MemorySource};

use crate::dsp::kernel::Sample;
use crate::format::Format;
use crate::id::PartyId;

/// What a [`Source`] made of this tick's frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[must_use]
pub enum Fill {
    /// The frame holds the leg's audio for this tick.
    Frame,
    /// There is no audio for this tick, on purpose (on hold, muted,
    /// discontinuous transmission, nothing sent): the party is silence to
    /// everyone this tick, and the frame's contents are ignored.
    Missing,
    /// The tick's audio was lost in transit (a packet the jitter buffer
    /// gave up on): for a party that conceals loss
    /// ([`Join::conceal_loss`](crate::Join::conceal_loss)) the frame is
    /// filled from the party's earlier audio ([`Session::lose_frame`](crate::Session::lose_frame)),
    /// else it is silence, as [`Fill::Missing`]. The frame's contents are
    /// ignored.
    ///
    /// ```
    /// use barge::media::{Driver, Fill, Leg};
    /// use barge::{Format, Join, Session};
    /// let format = Format::NARROWBAND_20MS;
    /// let mut call = Session::<i16>::new(format);
    /// let customer = call.join(Join::customer().conceal_loss())?;
    /// let mut n = 0;
    /// // Every fifth packet lost on the way.
    /// let mut network = |frame: &mut [i16]| {
    ///     n += 1;
    ///     if n % 5 == 0 {
    ///         return Fill::Lost;
    ///     }
    ///     frame.fill(1000);
    ///     Fill::Frame
    /// };
    /// let mut driver = Driver::new(format);
    /// for _ in 0..10 {
    ///     driver.tick(&mut call, &mut [Leg::talk_only(customer, &mut network)])?;
    /// }
    /// assert_eq!(call.party(customer)?.stats.frames_concealed, 2);
    /// # Ok::<(), barge::Error>(())
    /// ```
    Lost,
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

    /// The first end built for a format that is not `format`, with the
    /// format it was built for.
    fn other_format(&self, format: Format) -> Option<(LegEnd, Format)> {
        let (source, sink) = match &self.ends {
            Ends::Split { source, sink } => (
                source.as_ref().and_then(|s| s.format()),
                sink.as_ref().and_then(|s| s.format()),
            ),
            Ends::Duplex(d) => (Source::format(&**d), Sink::format(&**d)),
        };
        [(LegEnd::Source, source), (LegEnd::Sink, sink)]
            .into_iter()
            .find_map(|(end, f)| f.filter(|&f| f != format).map(|f| (end, f)))
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
