//! Recording taps: listeners of the mix who talk to no one, each channel a
//! row of the route matrix.

use alloc::vec::Vec;

use smallvec::SmallVec;

use super::events::Event;
use super::party::Party;
use super::party::RouteState;
use super::Session;
use crate::dsp::kernel::{RouteGain, Sample};
use crate::dsp::resample::Resampler;
use crate::error::Error;
use crate::format::Format;
use crate::id::{PartyId, TapId};
use crate::tap::{Tap, TapChannel, TapLayout, MAX_TAPS};

/// A recording tap, as [`Session::tap`] reports it.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct TapInfo {
    /// The tap's id.
    pub id: TapId,
    /// What it records, and how.
    pub config: Tap,
    /// The format of its channels.
    pub format: Format,
    /// Samples clipped on their way to the tap, since it was added: a
    /// talker's volume above unity can clip its channel, as it can clip
    /// what a listener hears.
    pub samples_clipped: u64,
}

/// A recording tap on the call: its channels are listeners of the mix who
/// talk to no one.
#[derive(Debug, PartialEq)]
pub(super) struct TapState<S> {
    pub(super) id: TapId,
    pub(super) tap: Tap,
    /// The tap's format: its rate, the call's frame duration.
    pub(super) format: Format,
    /// Per channel, how it hears each party (indexed like `parties`).
    pub(super) heard: SmallVec<[SmallVec<[RouteState; 4]>; 2]>,
    /// Per channel, what it heard in the last tick at the call's rate.
    pub(super) mixed: Vec<S>,
    /// At another rate than the call's: per channel, its resampler, and
    /// what it heard at the tap's rate.
    pub(super) resamplers: Vec<Resampler>,
    pub(super) rated: Vec<S>,
    /// A stereo tap's frame, interleaved.
    pub(super) interleaved: Vec<S>,
    /// Samples clipped on the way to the tap (a talker's volume above
    /// unity).
    pub(super) clipped: u64,
}

clone_by_fields!(impl[S: Clone] TapState<S> {
    id,
    tap,
    format,
    heard,
    mixed,
    resamplers,
    rated,
    interleaved,
    clipped,
});

impl<S: Sample> TapState<S> {
    pub(super) fn resampled(&self) -> bool {
        !self.resamplers.is_empty()
    }

    /// Channel `c` at the tap's rate.
    pub(super) fn channel(&self, c: usize) -> &[S] {
        let (frames, len) = if self.resampled() {
            (&self.rated, self.format.samples_per_frame())
        } else {
            (&self.mixed, self.mixed.len() / self.heard.len().max(1))
        };
        &frames[c * len..(c + 1) * len]
    }

    /// Adds channel room for one more party's stem, silent.
    pub(super) fn add_channel(&mut self, parties: usize, call: Format) {
        self.heard
            .push(core::iter::repeat(RouteState::NEW).take(parties).collect());
        self.mixed
            .resize(self.mixed.len() + call.samples_per_frame(), S::SILENCE);
        if self.format.rate() != call.rate() {
            self.resamplers
                .push(Resampler::new(call.rate(), self.format.rate()));
            self.rated.resize(
                self.rated.len() + self.format.samples_per_frame(),
                S::SILENCE,
            );
        }
    }

    /// After the mix: the channels at the tap's rate, and a stereo tap's
    /// frame interleaved.
    pub(super) fn finish(&mut self, spf: usize) {
        if self.resampled() {
            let n = self.format.samples_per_frame();
            let channels = self.mixed.chunks_exact(spf.max(1));
            let rated = self.rated.chunks_exact_mut(n.max(1));
            for ((r, from), to) in self.resamplers.iter_mut().zip(channels).zip(rated) {
                self.clipped += S::resample(r, from, to, true) as u64;
            }
        }
        if self.tap.layout() == TapLayout::Stereo {
            let (l, r) = if self.tap.left() == Some(TapChannel::Customer) {
                (0, 1)
            } else {
                (1, 0)
            };
            let (frames, len) = if self.resampled() {
                (&self.rated, self.format.samples_per_frame())
            } else {
                (&self.mixed, spf)
            };
            interleave(
                &mut self.interleaved,
                &frames[l * len..][..len],
                &frames[r * len..][..len],
            );
        }
    }

    /// Removes channel `c` (frames of `spf` samples at the call's rate).
    pub(super) fn remove_channel(&mut self, c: usize, spf: usize) {
        self.heard.remove(c);
        self.mixed.drain(c * spf..(c + 1) * spf);
        if self.resampled() {
            self.resamplers.remove(c);
            let n = self.format.samples_per_frame();
            self.rated.drain(c * n..(c + 1) * n);
        }
    }
}

/// The samples a tick clipped, counted as the plan reports them by row:
/// a party's on its statistics, a tap channel's on its tap.
pub(super) struct TapClips {
    /// Where each tap's rows end (the rows after the parties', in order).
    pub(super) ends: [usize; MAX_TAPS],
    pub(super) clips: [u64; MAX_TAPS],
}

impl TapClips {
    #[inline(always)]
    pub(super) fn new<S>(parties: usize, taps: &[TapState<S>]) -> TapClips {
        let mut ends = [0usize; MAX_TAPS];
        let mut end = parties;
        for (t, e) in taps.iter().zip(&mut ends) {
            end += t.heard.len();
            *e = end;
        }
        TapClips {
            ends,
            clips: [0; MAX_TAPS],
        }
    }

    /// `k` samples of row `l` clipped.
    #[inline(always)]
    pub(super) fn count<S>(&mut self, parties: &mut [Party<S>], l: usize, k: usize) {
        if let Some(p) = parties.get_mut(l) {
            p.stats.samples_clipped += k as u64;
        } else if let Some(t) = self.ends.iter().position(|&e| l < e) {
            self.clips[t] += k as u64;
        }
    }

    /// After the mix: each tap counts its clips and finishes its frame.
    #[inline(always)]
    pub(super) fn finish<S: Sample>(self, taps: &mut [TapState<S>], spf: usize) {
        for (t, clips) in taps.iter_mut().zip(self.clips) {
            t.clipped += clips;
            t.finish(spf);
        }
    }
}

pub(super) fn tap_info<S>(t: &TapState<S>) -> TapInfo {
    TapInfo {
        id: t.id,
        config: t.tap,
        format: t.format,
        samples_clipped: t.clipped,
    }
}

/// Writes `left` and `right` into `out` as pairs, left first.
pub(super) fn interleave<S: Copy>(out: &mut [S], left: &[S], right: &[S]) {
    let n = left.len().min(right.len()).min(out.len() / 2);
    let (out, left, right) = (&mut out[..2 * n], &left[..n], &right[..n]);
    // Fixed-size pairs and equal lengths: the loop runs without bounds
    // checks, and vectorises.
    for (pair, (&a, &b)) in out.chunks_exact_mut(2).zip(left.iter().zip(right)) {
        pair[0] = a;
        pair[1] = b;
    }
}

/// # Recording taps
///
/// Listeners of the mix that are not parties: stereo or one stem per
/// party, at any rate, with or without whispers.
impl<S: Sample> Session<S> {
    /// How many channels the taps have on a call of `parties` parties: the
    /// rows of the route matrix after the parties'.
    pub(super) fn tap_rows(&self, parties: usize) -> usize {
        self.taps.iter().map(|t| t.tap.rows(parties)).sum()
    }

    /// Adds a recording tap: from the next tick it records the call as
    /// `config` says (see [`crate::tap`] for who is recorded on which
    /// channel). It changes nothing anybody hears. The tap's channels open
    /// with the session's ramp, as routes do; a tap added to a call under
    /// way starts with a few ms of fade-in. After [`MAX_TAPS`] taps the next
    /// is [`Error::TooManyTaps`].
    ///
    /// ```
    /// use barge::{Format, Join, Mode, Role, Session, Tap, TapChannel};
    /// let mut call = Session::<i16>::new(Format::NARROWBAND_20MS);
    /// call.set_ramp(std::time::Duration::ZERO)?;
    /// let (c, a) = (call.join(Role::Customer)?, call.join(Role::Agent)?);
    /// let boss = call.join(Join::supervisor(Mode::Whisper))?;
    /// let tap = call.add_tap(Tap::stereo())?; // whispers not recorded
    /// call.mix_frames(&[(c, &[100; 160]), (a, &[20; 160]), (boss, &[3; 160])])?;
    /// assert_eq!(call.tap_channel(tap, TapChannel::Customer)?[0], 100);
    /// assert_eq!(call.tap_channel(tap, TapChannel::Agent)?[0], 20);
    /// assert_eq!(&call.tap_frame(tap)?[..4], &[100, 20, 100, 20]); // left, right
    /// # Ok::<(), barge::Error>(())
    /// ```
    pub fn add_tap(&mut self, config: Tap) -> Result<TapId, Error> {
        if self.taps.len() >= MAX_TAPS {
            return Err(Error::TooManyTaps { max: MAX_TAPS });
        }
        let Some(next_tap) = self.next_tap.checked_add(1) else {
            return Err(Error::TapIdsExhausted {
                taps: u64::from(self.next_tap),
            });
        };
        let rate = config.rate().unwrap_or(self.format.rate());
        let format = Format::from_parts(rate, self.format.ptime());
        let id = TapId {
            call: self.call,
            n: self.next_tap,
        };
        let n = self.parties.len();
        let rows = config.rows(n);
        let mut tap = TapState {
            id,
            tap: config,
            format,
            heard: SmallVec::new(),
            mixed: Vec::new(),
            resamplers: Vec::new(),
            rated: Vec::new(),
            interleaved: Vec::new(),
            clipped: 0,
        };
        for _ in 0..rows {
            tap.add_channel(n, self.format);
        }
        if config.layout() == TapLayout::Stereo {
            tap.interleaved = alloc::vec![S::SILENCE; 2 * format.samples_per_frame()];
        }
        let all_rows = n + self.tap_rows(n) + rows;
        self.tick_gains.resize(all_rows * n, RouteGain::MUTED);
        self.plan.reserve(all_rows);
        self.next_tap = next_tap;
        self.taps.push(tap);
        self.record(Event::TapAdded {
            tap: id,
            config,
            at: self.tick,
        });
        self.prepare();
        Ok(id)
    }

    /// Removes a tap: from the next tick it records nothing, and its
    /// frames are gone. Its id is never reused.
    pub fn remove_tap(&mut self, tap: TapId) -> Result<(), Error> {
        let k = self.tap_index(tap)?;
        self.taps.remove(k);
        let n = self.parties.len();
        self.tick_gains.truncate((n + self.tap_rows(n)) * n);
        self.record(Event::TapRemoved { tap, at: self.tick });
        self.prepare();
        Ok(())
    }

    /// What `tap` recorded in the last tick, at its format ([`Session::tap_format`]):
    /// for a stereo tap both channels interleaved (left first: see
    /// [`Tap::left`]), for stems every party's stem one after the other, in
    /// the order of [`Session::parties`]. Silence before the tap's first
    /// tick.
    pub fn tap_frame(&self, tap: TapId) -> Result<&[S], Error> {
        let t = &self.taps[self.tap_index(tap)?];
        Ok(match t.tap.layout() {
            TapLayout::Stereo => &t.interleaved,
            TapLayout::Stems if t.resampled() => &t.rated,
            TapLayout::Stems => &t.mixed,
        })
    }

    /// One channel of a stereo tap, as it recorded it in the last tick. A
    /// tap of stems is [`Error::NotStereo`].
    pub fn tap_channel(&self, tap: TapId, channel: TapChannel) -> Result<&[S], Error> {
        let t = &self.taps[self.tap_index(tap)?];
        if t.tap.layout() != TapLayout::Stereo {
            return Err(Error::NotStereo { tap });
        }
        Ok(t.channel(match channel {
            TapChannel::Customer => 0,
            TapChannel::Agent => 1,
        }))
    }

    /// What `tap` recorded of `party` in the last tick: what the party said,
    /// after its volume, or silence where it said nothing or the tap does
    /// not record it. A stereo tap is [`Error::NotStems`].
    pub fn tap_stem(&self, tap: TapId, party: PartyId) -> Result<&[S], Error> {
        let t = &self.taps[self.tap_index(tap)?];
        let i = self.index(party)?;
        if t.tap.layout() != TapLayout::Stems {
            return Err(Error::NotStems { tap });
        }
        Ok(t.channel(i))
    }

    /// The format of `tap`'s channels: the rate it was added at, the call's
    /// frame duration.
    pub fn tap_format(&self, tap: TapId) -> Result<Format, Error> {
        Ok(self.taps[self.tap_index(tap)?].format)
    }

    /// What `tap` records, and how.
    pub fn tap(&self, tap: TapId) -> Result<TapInfo, Error> {
        Ok(tap_info(&self.taps[self.tap_index(tap)?]))
    }

    /// Every tap on the call, in order of adding.
    pub fn taps(&self) -> impl Iterator<Item = TapInfo> + '_ {
        self.taps.iter().map(tap_info)
    }

    pub(super) fn tap_index(&self, tap: TapId) -> Result<usize, Error> {
        if tap.call != self.call {
            return Err(Error::ForeignTap { tap });
        }
        self.taps
            .iter()
            .position(|t| t.id == tap)
            .ok_or(Error::UnknownTap { tap })
    }
}
