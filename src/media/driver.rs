//! The driver: one tick of a session over the host's legs.

use core::marker::PhantomData;

use super::*;
use crate::dsp::kernel::Sample;
use crate::error::Error;
use crate::format::Format;
use crate::route::Role;
use crate::session::Session;

/// What one [`Driver::tick`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Tick {
    /// Sources that gave a frame.
    pub frames: usize,
    /// Sources whose frame was missing.
    pub missing: usize,
    /// Sources whose frame was lost ([`Fill::Lost`]): concealed for a
    /// party that conceals loss, else silence (counted here, not in
    /// `missing`).
    pub lost: usize,
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
    ///    ([`Session::leave`], which records [`Event::Left`]); for an
    ///    announcement, its prompt has played to its end
    ///    ([`Session::prompt_ended`]: the call's disclosure, if it is);
    /// 3. the session mixes ([`Session::mix`]);
    /// 4. each leg's sink takes what its party hears.
    ///
    /// A leg whose frames span several ticks ([`Session::set_leg_format`])
    /// has its source read only in the ticks its next frame is due for, and
    /// its sink written only in the ticks that complete one
    /// ([`Session::frame_due`]). A leg whose frames are shorter than the
    /// call's has its source read, and its sink written, once for each of
    /// its frames of the tick, in order; a frame its source says is
    /// [`Fill::Missing`] is silence in its place
    /// ([`Session::skip_frame`]), and one it says is [`Fill::Lost`] is
    /// concealed ([`Session::lose_frame`]).
    ///
    /// Parties without a leg are mixed as the plain API left them (a frame
    /// handed in with [`Session::put_frame`], or silence). A leg whose
    /// party has left the call is skipped and counted in [`Tick::gone`].
    ///
    /// Before anything is read, the legs are checked: a session of another
    /// format is [`Error::FormatMismatch`]; a source or sink built for
    /// another format than its party's leg ([`Session::leg_format`]: a
    /// [`G711Source`] or [`G711Sink`] is 8 kHz, and takes a party whose leg
    /// is 8 kHz on a call mixed at any rate) is [`Error::LegFormat`], which
    /// names the party and the end; a party of another session is
    /// [`Error::ForeignParty`]; and two sources for one party, or a source
    /// for a party that has already handed in a frame this tick (with
    /// [`Session::put_frame`] or [`Session::frame_mut`]), are
    /// [`Error::DuplicateFrame`]. On an error nothing has happened: no
    /// source read, no sink written, the session unchanged. (Several sinks
    /// for one party are fine.)
    ///
    /// Reads no clock; calls each source and sink once per frame of its
    /// leg in the tick (at most once for a leg of the call's frames). Allocates
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
            let view = match session.leg_view(leg.party) {
                Ok(view) => view,
                // A party that has left is skipped, whatever its leg.
                Err(Error::PartyLeft { .. }) => continue,
                Err(e) => return Err(e),
            };
            // A leg's ends must be of its party's leg format (the call's
            // unless the party's leg is at another format).
            if let Some((end, given)) = leg.other_format(view.format) {
                return Err(Error::LegFormat {
                    party: leg.party,
                    end,
                    given,
                    expected: view.format,
                });
            }
            if !leg.has_source() {
                continue;
            }
            let twice = view.has_input
                || legs[..i]
                    .iter()
                    .any(|l| l.party == leg.party && l.has_source());
            if twice {
                return Err(Error::DuplicateFrame {
                    party: leg.party,
                    tick: session.tick(),
                });
            }
            // An announcement playing a tone takes no frame from a source.
            if view.playing {
                return Err(Error::TonePlaying { party: leg.party });
            }
        }

        // Every leg checked: from here on nothing fails.
        let mut tick = Tick::default();
        for leg in legs.iter_mut() {
            leg.last = None;
            let Ok(view) = session.leg_view(leg.party) else {
                tick.gone += 1;
                continue;
            };
            // As many frames as the party's leg takes this tick: one; none
            // between the frames of a leg whose frames span several ticks;
            // several for a leg whose frames are shorter than the call's.
            for _ in 0..view.takes {
                // The source writes straight into the session's buffer; it
                // counts as handed in only if the source says it is a frame.
                let Some(fill) = leg.fill(session.next_input(view.at)) else {
                    break;
                };
                leg.last = Some(fill);
                match fill {
                    Fill::Frame => {
                        session.count_input(view.at, true);
                        tick.frames += 1;
                    }
                    Fill::Missing => {
                        session.count_input(view.at, false);
                        tick.missing += 1;
                    }
                    Fill::Lost => {
                        session.lose_input(view.at);
                        tick.lost += 1;
                    }
                    Fill::Ended => {
                        tick.ended += 1;
                        break;
                    }
                }
            }
        }
        for leg in legs.iter() {
            if leg.last == Some(Fill::Ended) {
                // An announcement's prompt played to its end: the
                // disclosure, if it is the call's.
                if session.party(leg.party)?.role == Role::Announcement {
                    session.prompt_ended(leg.party)?;
                }
                session.leave(leg.party)?;
            }
        }

        session.mix();

        for leg in legs.iter_mut() {
            if !leg.has_sink() {
                continue;
            }
            let Some((heard, n)) = session.heard(leg.party) else {
                continue;
            };
            // One frame, or the several frames of the tick of a leg whose
            // frames are shorter than the call's.
            for frame in heard.chunks_exact(n) {
                if leg.take(frame) {
                    tick.heard += 1;
                }
            }
        }
        Ok(tick)
    }
}
