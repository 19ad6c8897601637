//! Lost frames concealed: a party that conceals loss
//! ([`Join::conceal_loss`](super::Join::conceal_loss)) has a
//! [`Concealer`] at its leg's format, which hears every frame of the party
//! and fills the frames the host says were lost ([`Session::lose_frame`]).
//!
//! Concealed audio is made from the party's earlier audio, so it counts as
//! audio of the tick it was made from: the tick records, for each frame,
//! the tick of the oldest audio in it ([`Conceal::stale_from`]), and a
//! route that opened after that tick does not carry it
//! ([`next_route`](super::routes::next_route)).

use super::frames::NOT_BORROWED;
use super::{Session, MAX_PARTIES};
use crate::dsp::kernel::Sample;
use crate::dsp::plc::Concealer;
use crate::error::Error;
use crate::format::Format;
use crate::id::PartyId;

/// Leg frames whose ages are kept: the history's 60 ms in 10 ms frames, and
/// the frame being played.
const AGES: usize = 8;

/// A party's concealment.
#[derive(Debug)]
pub(super) struct Conceal<S> {
    plc: Concealer<S>,
    /// Bit `k`: the tick's `k`-th leg frame (the only one, for a leg of one
    /// frame a tick) was lost, or skipped.
    pub(super) lost: u8,
    pub(super) skipped: u8,
    /// Whether the tick's one frame was lost: its leg counts it missing.
    pub(super) whole_lost: bool,
    /// Per leg frame played, newest last (ring at `next`): the tick of the
    /// oldest audio in it, `u64::MAX` for silence.
    ages: [u64; AGES],
    next: usize,
    /// How many of `ages` the concealer's history spans.
    span: usize,
    /// For the tick `stale_tick`: the tick of the oldest concealed audio in
    /// the party's frame (`None`: none; its own audio, or silence).
    stale: Option<u64>,
    stale_tick: u64,
    /// The same of the last leg frame, which a leg's resampler still
    /// holds a few ms of in the next.
    last_stale: Option<u64>,
}

clone_by_fields!(impl[S: Clone] Conceal<S> {
    plc,
    lost,
    skipped,
    whole_lost,
    ages,
    next,
    span,
    stale,
    stale_tick,
    last_stale,
});

impl<S: Sample> Conceal<S> {
    /// Concealment for a party whose leg is in `format`.
    pub(super) fn new(format: Format) -> Conceal<S> {
        let history = Concealer::<S>::SILENT_AFTER.as_millis() as usize;
        let ms = format.ptime().ms() as usize;
        Conceal {
            plc: Concealer::new(format.rate()),
            lost: 0,
            skipped: 0,
            whole_lost: false,
            ages: [u64::MAX; AGES],
            next: 0,
            span: (history.div_ceil(ms) + 1).min(AGES),
            stale: None,
            stale_tick: 0,
            last_stale: None,
        }
    }
}

impl<S> Conceal<S> {
    /// Where the party's frame of the tick `tick` carries concealed audio:
    /// the tick of the oldest audio in it.
    #[inline]
    pub(super) fn stale_from(&self, tick: u64) -> Option<u64> {
        self.stale.filter(|_| self.stale_tick == tick)
    }

    /// Whether a frame of the tick under way was lost.
    #[inline]
    pub(super) fn has_lost(&self) -> bool {
        self.lost != 0
    }
}

impl<S: Sample> Conceal<S> {
    /// The oldest audio in the concealer's history.
    fn oldest(&self) -> u64 {
        (1..=self.span)
            .map(|back| self.ages[(self.next + AGES - back) % AGES])
            .min()
            .unwrap_or(u64::MAX)
    }

    /// Plays the tick's `frames` leg frames of `n` samples in `buf`, of
    /// which the first `handed` were handed in, lost (`lost`) or skipped
    /// (`skipped`): a lost one is concealed, a handed one heard (the first
    /// after a loss begins with the concealment's end), the others are
    /// silence. Returns the tick of the oldest concealed audio in them.
    fn play(
        &mut self,
        buf: &mut [S],
        n: usize,
        frames: usize,
        handed: usize,
        tick: u64,
    ) -> Option<u64> {
        let mut stale: Option<u64> = None;
        for (k, sub) in buf.chunks_exact_mut(n.max(1)).take(frames).enumerate() {
            let bit = 1u8 << k.min(7);
            let from = self.oldest().min(tick);
            let age = if self.lost & bit != 0 {
                self.plc.lost(sub);
                Some(from)
            } else if k < handed && self.skipped & bit == 0 {
                let blends = self.plc.in_loss();
                self.plc.good(sub);
                blends.then_some(from)
            } else {
                self.plc.absent(n);
                None
            };
            let silent = k >= handed || self.skipped & bit != 0;
            self.ages[self.next] = match age {
                Some(from) => from,
                None if silent && self.lost & bit == 0 => u64::MAX,
                None => tick,
            };
            self.next = (self.next + 1) % AGES;
            stale = match (stale, age) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            self.last_stale = age;
        }
        stale
    }
}

/// # Lost frames
///
/// A frame lost in transit is concealed (for a party that conceals loss);
/// a frame absent on purpose is silence.
impl<S: Sample> Session<S> {
    /// Says that `party`'s next frame was lost in transit (a packet the
    /// jitter buffer gave up on), as opposed to absent on purpose (on hold,
    /// muted, discontinuous transmission: hand in nothing, or
    /// [`Session::skip_frame`], and it is silence).
    ///
    /// For a party that conceals loss ([`Join::conceal_loss`](crate::Join::conceal_loss)), the frame
    /// is filled from the party's own earlier audio (see [`crate::plc`]):
    /// its voice goes on for the first 10 ms of a loss and fades to silence
    /// by 60 ms, and the next frame it hands in begins with a blend out of
    /// the concealment. It is counted in
    /// [`PartyStats::frames_concealed`](crate::PartyStats::frames_concealed)
    /// (and, as it was not handed in, in `frames_missing`). Concealed audio
    /// counts as audio of the tick it was made from: a listener whose route
    /// from the party opened after that tick (a supervisor who moved from
    /// whisper to barge, a party that joined since) hears silence in its
    /// place. For a party that does not conceal loss this is
    /// [`Session::skip_frame`]: silence.
    ///
    /// The errors are those of [`Session::skip_frame`]: a party that has
    /// handed in (or lost) every frame it takes this tick is
    /// [`Error::DuplicateFrame`], a frame not due is [`Error::FrameNotDue`].
    ///
    /// ```
    /// use barge::{Format, Join, Session};
    /// let mut call = Session::<i16>::new(Format::NARROWBAND_20MS);
    /// call.set_ramp(std::time::Duration::ZERO)?;
    /// let customer = call.join(Join::customer().conceal_loss())?;
    /// let agent = call.join(Join::agent())?;
    /// let voice: Vec<i16> = (0..160).map(|n| if n % 40 < 20 { 4000 } else { -4000 }).collect();
    /// call.put_frame(customer, &voice)?;
    /// call.mix();
    /// call.lose_frame(customer)?; // the next packet never came
    /// call.mix();
    /// let heard = call.output(agent)?;
    /// assert_eq!(heard[..40], voice[..40]); // the voice goes on, not a hole
    /// assert_eq!(call.party(customer)?.stats.frames_concealed, 1);
    /// # Ok::<(), barge::Error>(())
    /// ```
    pub fn lose_frame(&mut self, party: PartyId) -> Result<(), Error> {
        let i = self.index(party)?;
        if self.parties[i].conceal.is_none() {
            return self.skip_frame(party);
        }
        self.check_due(i)?;
        if self.has_its_frames(i) {
            return Err(Error::DuplicateFrame {
                party,
                tick: self.tick,
            });
        }
        self.mark_lost(i);
        Ok(())
    }

    /// Party `i`'s next frame of the tick is lost: checked due and not yet
    /// handed in.
    fn mark_lost(&mut self, i: usize) {
        let p = &mut self.parties[i];
        let Some(c) = p.conceal.as_deref_mut() else {
            return;
        };
        match p.leg.as_deref_mut() {
            Some(leg) if leg.frames > 1 => {
                let n = leg.format.samples_per_frame();
                let at = leg.next * n;
                if let Some(frame) = leg.input.get_mut(at..at + n) {
                    frame.fill(S::SILENCE);
                }
                c.lost |= 1 << leg.next.min(7);
                leg.next += 1;
            }
            _ => c.lost |= 1,
        }
    }

    /// For [`Session::skip_frame`] of a party that conceals loss: its next
    /// frame (the `k`-th of the tick) is absent, silence.
    pub(super) fn mark_skipped(&mut self, i: usize, k: usize) {
        if let Some(c) = self.parties[i].conceal.as_deref_mut() {
            c.skipped |= 1 << k.min(7);
        }
    }

    /// For [`Driver::tick`](crate::media::Driver::tick): the frame
    /// [`Session::next_input`] gave the party at `at` was lost.
    pub(crate) fn lose_input(&mut self, at: usize) {
        if self.parties[at].conceal.is_some() {
            self.mark_lost(at);
        } else {
            self.count_input(at, false);
        }
    }

    /// Whether party `i` lost its frame of the tick (or, of a shorter leg,
    /// one of them).
    #[inline]
    pub(super) fn lost_now(&self, i: usize) -> bool {
        self.parties[i]
            .conceal
            .as_deref()
            .is_some_and(Conceal::has_lost)
    }

    /// The tick's stage for parties that conceal loss, before the routes of
    /// the tick: every frame such a party handed in is heard by its
    /// concealer (a frame lent, `lent[at[i]]`, is copied into the party's
    /// own buffer for that, and `at[i]` says so), every frame it lost is
    /// concealed there (bit `i` of `has`, for a party on no leg, says it
    /// has a frame). Returns whether a frame carries concealed audio: then
    /// the routes of the tick are worked out again, so that none that
    /// opened since that audio carries it.
    pub(super) fn conceal_frames(
        &mut self,
        lent: &[(PartyId, &[S])],
        at: &mut [u8; MAX_PARTIES],
        has: &mut u32,
    ) -> bool {
        let (spf, tick, rate) = (self.spf, self.tick, self.format.rate());
        let mut stale_any = false;
        for (i, p) in self.parties.iter_mut().enumerate() {
            let Some(c) = p.conceal.as_deref_mut() else {
                continue;
            };
            c.stale_tick = tick;
            c.whole_lost = false;
            let k = at.get(i).copied().unwrap_or(NOT_BORROWED);
            let borrowed = lent.get(usize::from(k)).map(|&(_, f)| f);
            let lost = c.lost;
            let (buf, n, frames, handed, resampled) = match p.leg.as_deref_mut() {
                // Between the frames of a longer leg: its frame plays on.
                Some(leg) if leg.phase != 0 => {
                    stale_any |= c.stale.is_some();
                    continue;
                }
                Some(leg) => {
                    if let Some(frame) = borrowed.filter(|f| f.len() == leg.input.len()) {
                        leg.input.copy_from_slice(frame);
                        (leg.next, leg.count) = (leg.frames, leg.frames);
                        p.has_input = true;
                    }
                    let handed = if leg.frames > 1 {
                        leg.next
                    } else {
                        usize::from(p.has_input)
                    };
                    let n = leg.format.samples_per_frame();
                    let resampled = leg.format.rate() != rate;
                    (&mut leg.input[..], n, leg.frames, handed, resampled)
                }
                None => {
                    let Some(own) = self.inputs.get_mut(i * spf..(i + 1) * spf) else {
                        continue;
                    };
                    if let Some(frame) = borrowed.filter(|f| f.len() == spf) {
                        own.copy_from_slice(frame);
                        p.has_input = true;
                    }
                    (own, spf, 1, usize::from(p.has_input), false)
                }
            };
            if borrowed.is_some() {
                if let Some(a) = at.get_mut(i) {
                    *a = NOT_BORROWED;
                }
            }
            // Non-finite samples are silence before the concealer hears
            // them (it blends the first frame after a loss into them), and
            // counted as the party's, once.
            let len = (handed * n).min(buf.len());
            let given = &mut buf[..len];
            if S::needs_sanitizing(given) {
                p.stats.samples_non_finite += S::sanitize(given) as u64;
            }
            let memory = if resampled { c.last_stale } else { None };
            let stale = c.play(buf, n, frames, handed, tick);
            c.stale = match (stale, memory) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            if lost != 0 {
                p.stats.frames_concealed += u64::from(lost.count_ones());
                if p.leg.is_some() {
                    // Its leg converts it as a frame handed in, and counts
                    // it missing.
                    c.whole_lost = frames == 1;
                    p.has_input = true;
                } else {
                    *has |= 1 << i.min(31);
                }
            }
            (c.lost, c.skipped) = (0, 0);
            stale_any |= c.stale.is_some();
        }
        stale_any
    }
}
