//! Legs at another format than the call's: a party that hands in and hears
//! frames at its own rate or frame duration, converted to the call's before
//! the mix and back after it.

use alloc::boxed::Box;
use alloc::vec::Vec;

use super::frames::NOT_BORROWED;
use super::{Session, MAX_PARTIES};
use crate::dsp::kernel::Sample;
use crate::dsp::resample::Resampler;
use crate::error::Error;
use crate::format::Format;
use crate::id::PartyId;

/// A party's leg at another format than the call's: what it hands in is
/// converted to the call's format before the mix, what it hears after.
///
/// A leg's frames last a whole number of the call's ticks (`ticks`: a 20 ms
/// PSTN leg on a call that ticks every 10 ms) or a tick holds a whole number
/// of them (`frames`: a 10 ms WebRTC leg on a 20 ms call).
#[derive(Debug)]
pub(super) struct Leg<S> {
    pub(super) format: Format,
    /// Ticks per leg frame: the leg's frame duration over the call's, or 1.
    pub(super) ticks: usize,
    /// Leg frames per tick: the call's frame duration over the leg's, or 1.
    pub(super) frames: usize,
    /// Which tick of its frame the next tick is, `0..ticks`.
    pub(super) phase: usize,
    /// Whether the party handed in the frame of the leg frame under way.
    pub(super) handed: bool,
    /// Of the next tick's `frames`: which one comes next (`0..=frames`),
    /// and how many of those before it were handed in (the others are
    /// missing).
    pub(super) next: usize,
    pub(super) count: usize,
    pub(super) into_call: Resampler,
    pub(super) out_of_call: Resampler,
    /// The frames handed in, at the leg's rate: one, or the tick's
    /// `frames`, back to back.
    pub(super) input: Vec<S>,
    /// The leg frame under way at the call's rate, `ticks` call frames: the
    /// input converted, then (`heard`) what the party heard of it.
    pub(super) call_in: Vec<S>,
    pub(super) heard: Vec<S>,
    /// What the party heard in the last complete leg frame (or the last
    /// tick's `frames`, back to back), at the leg's rate.
    pub(super) output: Vec<S>,
}

clone_by_fields!(impl[S: Clone] Leg<S> {
    format,
    ticks,
    frames,
    phase,
    handed,
    next,
    count,
    into_call,
    out_of_call,
    input,
    call_in,
    heard,
    output,
});

impl<S: Sample> Leg<S> {
    pub(super) fn new(format: Format, call: Format) -> Leg<S> {
        let (ms, call_ms) = (format.ptime().ms(), call.ptime().ms());
        let ticks = (ms / call_ms).max(1) as usize;
        let frames = (call_ms / ms).max(1) as usize;
        let n = frames * format.samples_per_frame();
        let m = ticks * call.samples_per_frame();
        Leg {
            format,
            ticks,
            frames,
            phase: 0,
            handed: false,
            next: 0,
            count: 0,
            into_call: Resampler::new(format.rate(), call.rate()),
            out_of_call: Resampler::new(call.rate(), format.rate()),
            input: alloc::vec![S::SILENCE; n],
            call_in: alloc::vec![S::SILENCE; m],
            heard: alloc::vec![S::SILENCE; m],
            output: alloc::vec![S::SILENCE; n],
        }
    }
}

impl<S> Leg<S> {
    /// Whether the leg takes a frame now: at a frame boundary (a leg whose
    /// frames span several ticks), with frames of this tick still to come
    /// (a leg of several frames a tick).
    pub(super) fn due(&self) -> bool {
        self.phase == 0 && (self.frames == 1 || self.next < self.frames)
    }

    /// The frames the leg handed in and missed in the tick under way, as
    /// its statistics count them: its frame, once per tick it spans, or
    /// each of the tick's frames.
    pub(super) fn counted(&self) -> (u64, u64) {
        if self.frames > 1 {
            let count = self.count as u64;
            (count, self.frames as u64 - count)
        } else {
            (u64::from(self.handed), u64::from(!self.handed))
        }
    }
}

/// # Legs at another format
///
/// A party that hands in and hears frames at its own rate or frame
/// duration (a browser at 48 kHz, 10 ms on an 8 kHz, 20 ms PSTN call).
impl<S: Sample> Session<S> {
    /// Sets the format of `party`'s leg: the rate at which it hands in its
    /// frames and hears the call, and the duration of those frames. A leg at
    /// another rate than the call's is resampled to the call's rate before
    /// the mix and back after it ([`crate::resample`]); a leg at the call's
    /// rate (the default) is never resampled.
    ///
    /// A leg's frame duration is the call's, a part of it or a multiple of
    /// it ([`Error::LegFrameDuration`] otherwise, which lists the durations
    /// that fit). A shorter one (a browser's 10 ms frames on a 20 ms PSTN
    /// call) takes its frames of a tick one by one ([`Session::put_frame`]
    /// as many times as fill the tick, [`Session::skip_frame`] for one that
    /// is missing) and its [`Session::output`] holds what it heard over the
    /// tick, its frames back to back; what it hands in is heard at most one
    /// of the call's frames later. A longer one (a 20 ms PSTN leg on a call
    /// that ticks every 10 ms for its WebRTC legs) takes a frame
    /// every few ticks, when [`Session::frame_due`] says so
    /// ([`Error::FrameNotDue`] between), is mixed over the ticks it spans,
    /// and its [`Session::output`] is the frame it heard over them, new
    /// whenever [`Session::frame_due`] is true after a tick. That costs the
    /// leg nothing but its own packetization: a 20 ms frame is heard from
    /// the tick it is handed in, and what the party heard is handed out at
    /// the end of its 20 ms, as any 20 ms packetizer would. A missing frame
    /// is silence for all its ticks.
    ///
    /// A route from a party on a leg of another format opens only once what
    /// the party hands in after the change that opens it (a mode change, a
    /// join, a volume or route gain from muted) reaches the call: at its
    /// next frame, and a tick later for a leg at another rate, whose
    /// resampler still holds a few ms of the frame before. So nobody hears
    /// what was said before the change unless they could hear it then.
    /// ([`Session::hears`] reports the gain the route opens to.)
    ///
    /// A party that has handed in its frame for the next tick (or lost it,
    /// or, on a leg of shorter frames, taken any of the tick's frames)
    /// keeps its format until that tick is mixed
    /// ([`Error::DuplicateFrame`]). A new
    /// format starts the leg afresh: its first frame is due at the next
    /// tick, and what it had heard of an unfinished frame is dropped.
    /// Allocates the leg's conversions and frames (a control call, never a
    /// tick); setting the format the leg already has changes nothing.
    ///
    /// ```
    /// use barge::{Format, Role, Session};
    /// // A PSTN call mixed at 8 kHz, with a browser supervisor at 48 kHz.
    /// let mut call = Session::<f32>::new(Format::new(8000, 20)?);
    /// let customer = call.join(Role::Customer)?;
    /// let supervisor = call.join(Role::Supervisor)?;
    /// call.set_leg_format(supervisor, Format::new(48000, 20)?)?;
    /// call.put_frame(customer, &[0.25; 160])?;
    /// call.put_frame(supervisor, &[0.0; 960])?; // 20 ms at 48 kHz
    /// call.mix();
    /// assert_eq!(call.output(supervisor)?.len(), 960);
    /// # Ok::<(), barge::Error>(())
    /// ```
    pub fn set_leg_format(&mut self, party: PartyId, leg: Format) -> Result<(), Error> {
        let i = self.index(party)?;
        self.check_leg_format(leg)?;
        // A frame lost for the next tick is its frame of that tick, as one
        // handed in is; so is one skipped of a leg of shorter frames.
        let taken = self.has_taken_any(i);
        let p = &mut self.parties[i];
        let now = p.leg.as_ref().map_or(self.format, |l| l.format);
        if now == leg {
            return Ok(());
        }
        if p.tone.is_some() {
            return Err(Error::TonePlaying { party });
        }
        if taken {
            return Err(Error::DuplicateFrame {
                party,
                tick: self.tick,
            });
        }
        p.leg = (leg != self.format).then(|| Box::new(Leg::new(leg, self.format)));
        if let Some(c) = p.conceal.as_deref_mut() {
            // Its concealer hears the leg afresh, at the leg's rate.
            *c = super::conceal::Conceal::new(leg);
        }
        p.update_plain();
        self.rework_routes();
        Ok(())
    }

    /// Whether the call can take a leg in `format`.
    pub(super) fn check_leg_format(&self, leg: Format) -> Result<(), Error> {
        let (given_ms, call_ms) = (leg.ptime().ms(), self.format.ptime().ms());
        if given_ms % call_ms != 0 && call_ms % given_ms != 0 {
            return Err(Error::LegFrameDuration {
                given_ms,
                expected_ms: call_ms,
            });
        }
        Ok(())
    }

    /// Whether `party`'s leg takes a frame now, with
    /// [`Session::put_frame`] or [`Session::frame_mut`] (or its frames of
    /// the tick with [`Session::mix_frames`]), and [`Session::output`]
    /// holds what it completed with the last tick. Always true for a leg of
    /// the call's frame duration; for a longer one, every few ticks; for a
    /// shorter one, until the tick's frames are all in
    /// ([`Session::set_leg_format`]).
    pub fn frame_due(&self, party: PartyId) -> Result<bool, Error> {
        let p = &self.parties[self.index(party)?];
        Ok(p.leg.as_ref().map_or(true, |l| l.due()))
    }

    /// [`Error::FrameNotDue`] unless party `i`'s leg takes a frame now.
    pub(super) fn check_due(&self, i: usize) -> Result<(), Error> {
        if self.parties[i].is_plain() {
            return Ok(());
        }
        if self.parties[i].tone.is_some() {
            return Err(Error::TonePlaying {
                party: self.parties[i].id,
            });
        }
        match self.parties[i].leg.as_deref() {
            Some(leg) if leg.phase != 0 => Err(Error::FrameNotDue {
                party: self.parties[i].id,
                next: self.tick + (leg.ticks - leg.phase) as u64,
            }),
            // A leg of several frames a tick: each, once.
            Some(leg) if !leg.due() => Err(Error::DuplicateFrame {
                party: self.parties[i].id,
                tick: self.tick,
            }),
            _ => Ok(()),
        }
    }

    /// The format in which `party` hands in and hears frames: its leg's
    /// ([`Session::set_leg_format`]), else the call's.
    pub fn leg_format(&self, party: PartyId) -> Result<Format, Error> {
        let p = &self.parties[self.index(party)?];
        Ok(p.leg.as_ref().map_or(self.format, |l| l.format))
    }

    /// Before the mix: every leg at another format converted into the
    /// call's, into the party's input buffer there, where `at` then points
    /// the plan (party `i`'s frame is `frames[at[i]]` until then). Its missing frame goes through the filter as silence,
    /// exactly as a silent frame would, so that missing and silent stay the
    /// same.
    pub(super) fn legs_into_call(
        &mut self,
        frames: &[(PartyId, &[S])],
        at: &mut [u8; MAX_PARTIES],
    ) {
        let spf = self.spf;
        for (i, (p, at)) in self.parties.iter_mut().zip(at).enumerate() {
            let k = *at;
            let handed_now = p.has_input || k != NOT_BORROWED;
            let Some(leg) = p.leg.as_deref_mut() else {
                continue;
            };
            *at = NOT_BORROWED;
            let into = &mut self.inputs[i * spf..(i + 1) * spf];
            if leg.phase == 0 {
                // A lost frame concealed is converted, and counted missing.
                leg.handed = handed_now && !p.conceal.as_deref().is_some_and(|c| c.whole_lost);
                let from: &[S] = if k != NOT_BORROWED {
                    // All the frames of the tick, lent at once.
                    leg.count = leg.frames;
                    frames[usize::from(k)].1
                } else {
                    if p.has_input {
                        // The frames of the tick not handed in are silence.
                        let n = leg.format.samples_per_frame();
                        if leg.frames > 1 {
                            leg.input[leg.next * n..].fill(S::SILENCE);
                        }
                        p.stats.samples_non_finite += S::sanitize(&mut leg.input) as u64;
                    } else {
                        leg.input.fill(S::SILENCE);
                    }
                    &leg.input
                };
                if leg.ticks == 1 {
                    S::resample(&mut leg.into_call, from, into, false);
                } else {
                    S::resample(&mut leg.into_call, from, &mut leg.call_in, false);
                }
            }
            if leg.ticks > 1 {
                into.copy_from_slice(&leg.call_in[leg.phase * spf..(leg.phase + 1) * spf]);
            }
        }
    }

    /// After the mix: what every party on a leg at another rate heard,
    /// resampled to its rate once its leg frame is complete.
    pub(super) fn legs_out_of_call(&mut self) {
        let spf = self.spf;
        for (i, p) in self.parties.iter_mut().enumerate() {
            if let Some(leg) = p.leg.as_deref_mut() {
                let heard = &self.outputs[i * spf..(i + 1) * spf];
                let clipped = if leg.ticks == 1 {
                    S::resample(&mut leg.out_of_call, heard, &mut leg.output, true)
                } else {
                    leg.heard[leg.phase * spf..(leg.phase + 1) * spf].copy_from_slice(heard);
                    if leg.phase + 1 == leg.ticks {
                        S::resample(&mut leg.out_of_call, &leg.heard, &mut leg.output, true)
                    } else {
                        0
                    }
                };
                p.stats.samples_clipped += clipped as u64;
            }
        }
    }
}
