//! Parties and their modes: who is on the call, in which role, a
//! supervisor's mode, a party's volume, joins and leaves.

use alloc::boxed::Box;

use smallvec::SmallVec;

use super::conceal::Conceal;
use super::cue::CueOn;
use super::events::Event;
use super::legs::Leg;
use super::{Session, MAX_PARTIES};
use crate::dsp::dtmf::DtmfDetector;
use crate::dsp::kernel::{RouteGain, Sample};
use crate::dsp::resample::Resampler;
use crate::dsp::tone::ToneGenerator;
use crate::error::Error;
use crate::format::Format;
use crate::gain::{Gain, MaybeGain};
use crate::id::PartyId;
use crate::label::Label;
use crate::policy::Identity;
use crate::route::{Audience, Mode, Role, Seat};
use crate::tap::TapLayout;

/// Counters for one party, since it joined.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PartyStats {
    /// Ticks in which the party handed in a frame that was mixed.
    pub frames_mixed: u64,
    /// Ticks in which the party was on the call but handed in no frame (and
    /// was silence for everyone). `frames_mixed + frames_missing` is the
    /// number of ticks the party was present for.
    pub frames_missing: u64,
    /// Samples of what this party heard that were clipped to full scale.
    pub samples_clipped: u64,
    /// Non-finite `f32` samples this party sent, replaced by silence.
    pub samples_non_finite: u64,
    /// Frames the host said were lost ([`Session::lose_frame`]) and that
    /// were concealed from the party's earlier audio (a party that
    /// conceals loss, [`Join::conceal_loss`]); each is also counted in
    /// `frames_missing`. A dashboard tells a network problem (frames
    /// concealed) from a party that went quiet (frames missing).
    pub frames_concealed: u64,
}

/// What a party is, as [`Session::party`] reports it.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct PartyInfo {
    /// The party's id.
    pub id: PartyId,
    /// Its role.
    pub role: Role,
    /// Its mode, for a supervisor.
    pub mode: Option<Mode>,
    /// For a recorder: whether it hears whispers.
    pub records_whisper: bool,
    /// The volume at which everyone hears this party.
    pub volume: Gain,
    /// The host's key and groups for it, if it joined with them
    /// ([`Join::identity`]).
    pub identity: Option<Identity>,
    /// For an announcement: who hears it.
    pub audience: Option<Audience>,
    /// For an announcement: whether it is playing a tone
    /// ([`Session::play`]).
    pub playing: bool,
    /// Whether its lost frames are concealed ([`Join::conceal_loss`]).
    pub conceals_loss: bool,
    /// Its counters.
    pub stats: PartyStats,
}

/// One route as the listener's row keeps it.
#[derive(Debug, Clone, Copy)]
pub(super) struct RouteState {
    /// The gain reached at the end of the last tick.
    pub(super) current: Gain,
    /// The host's route gain, if any: applies only where the modes open
    /// the route.
    pub(super) adjusted: MaybeGain,
    /// While the route is held closed after the change that opens it: the
    /// tick from which it may open (see [`Session::compile_routes`]); 0
    /// when it is not held (a route is held only until a tick after the
    /// one it is worked out for).
    pub(super) held_until: u64,
    /// What `held_until` becomes once the tick the routes were last worked
    /// out for is mixed ([`Session::commit_routes`]): a cache, as
    /// `tick_gains` is, not compared.
    pub(super) next_held: u64,
    /// The tick from which the route has been open (while `current` is not
    /// muted): only concealed audio made from audio of that tick or later
    /// may reach the listener ([`next_route`](super::routes::next_route)).
    pub(super) opened: u64,
}

impl PartialEq for RouteState {
    fn eq(&self, other: &RouteState) -> bool {
        self.current == other.current
            && self.adjusted == other.adjusted
            && self.held_until == other.held_until
            && (self.current.is_muted() || self.opened == other.opened)
    }
}

impl RouteState {
    pub(super) const NEW: RouteState = RouteState {
        current: Gain::MUTED,
        adjusted: MaybeGain::NONE,
        held_until: 0,
        next_held: 0,
        opened: 0,
    };
}

/// One party of the call.
///
/// What a settled tick reads and writes of a party (its id, whether it
/// handed in a frame, whether it is [plain](Party::is_plain), its counters, and
/// its leg, which [`Session::output`] looks at) comes first, in the
/// party's first cache line; the rest, which control calls and ticks that
/// are not settled use, after it.
#[derive(Debug)]
#[repr(C, align(64))]
pub(super) struct Party<S> {
    pub(super) id: PartyId,
    pub(super) stats: PartyStats,
    /// For a leg at another rate than the call's: its conversions.
    pub(super) leg: Option<Box<Leg<S>>>,
    pub(super) seat: Seat,
    pub(super) has_input: bool,
    /// Whether the party plays no tone, is on no leg, has no digits
    /// detected and is no disclosure being listened to: kept by
    /// [`Party::update_plain`] whenever one of them changes, so that a
    /// settled tick need not look at them.
    pub(super) plain: bool,
    /// Whether the party is the call's disclosure while the consent gate
    /// is pending: each tick notes whether the customer heard it.
    pub(super) watched: bool,
    /// Whether the call's signals are on ([`Session::enable_signals`]):
    /// each tick they look at the party's frame, so no tick of the call is
    /// a settled one that looks at nothing but the plan.
    pub(super) observed: bool,
    pub(super) volume: Gain,
    /// How this party hears each other party, indexed like `parties`.
    pub(super) heard: SmallVec<[RouteState; 4]>,
    /// For an announcement playing a tone: the tone, which is its frame
    /// every tick until it ends.
    pub(super) tone: Option<Box<ToneGenerator>>,
    /// The allocation of the last tone that ended or stopped, kept for the
    /// next one ([`Party::start_tone`]): a tone ends, and a cue starts,
    /// inside a tick, which frees and allocates nothing.
    pub(super) spare_tone: Option<Box<ToneGenerator>>,
    /// For a supervisor whose digits are detected in its audio.
    pub(super) dtmf: Option<Box<DtmfDetector>>,
    /// The host's key and groups for the party, given at join.
    pub(super) identity: Option<Box<Identity>>,
    /// For a party that conceals loss: its concealer.
    pub(super) conceal: Option<Box<Conceal<S>>>,
}

impl<S: Sample> Clone for Party<S> {
    fn clone(&self) -> Party<S> {
        Party {
            id: self.id,
            stats: self.stats,
            leg: self.leg.clone(),
            seat: self.seat,
            has_input: self.has_input,
            plain: self.plain,
            watched: self.watched,
            observed: self.observed,
            volume: self.volume,
            heard: self.heard.clone(),
            tone: self.tone.clone(),
            spare_tone: self.spare_tone.clone(),
            dtmf: self.dtmf.clone(),
            identity: self.identity.clone(),
            conceal: self.conceal.clone(),
        }
    }

    /// Reuses the memory of `self`: its leg's, its routes', and its tones'
    /// (either of its two tone allocations serves either of `source`'s, as
    /// a tone that ends and one that starts share one in the session).
    fn clone_from(&mut self, source: &Party<S>) {
        let Party {
            id,
            stats,
            ref leg,
            seat,
            has_input,
            plain,
            watched,
            observed,
            volume,
            ref heard,
            ref tone,
            ref spare_tone,
            ref dtmf,
            ref identity,
            ref conceal,
        } = *source;
        (self.id, self.stats, self.seat, self.volume) = (id, stats, seat, volume);
        (self.has_input, self.plain) = (has_input, plain);
        (self.watched, self.observed) = (watched, observed);
        self.leg.clone_from(leg);
        self.heard.clone_from(heard);
        let mut boxes = [self.tone.take(), self.spare_tone.take()]
            .into_iter()
            .flatten();
        let mut place = |t: &Option<Box<ToneGenerator>>| {
            let t = t.as_deref()?;
            Some(match boxes.next() {
                Some(mut b) => {
                    (*b).clone_from(t);
                    b
                }
                None => Box::new(t.clone()),
            })
        };
        self.tone = place(tone);
        self.spare_tone = place(spare_tone);
        self.dtmf.clone_from(dtmf);
        self.identity.clone_from(identity);
        self.conceal.clone_from(conceal);
    }
}

impl<S> Party<S> {
    /// Whether the party needs nothing of a tick but the plan: it plays no
    /// tone, is on no leg at another format, has no digits detected and is
    /// no disclosure being listened to.
    #[inline(always)]
    pub(super) fn is_plain(&self) -> bool {
        debug_assert_eq!(
            self.plain,
            self.works_out_plain(),
            "plain is kept up to date"
        );
        self.plain
    }

    fn works_out_plain(&self) -> bool {
        self.tone.is_none()
            && self.leg.is_none()
            && self.dtmf.is_none()
            && !self.watched
            && !self.observed
            && self.conceal.is_none()
    }

    /// Works out [`Party::plain`] again, after a change of its tone, its
    /// leg, its digit detector or whether it is watched.
    pub(super) fn update_plain(&mut self) {
        self.plain = self.works_out_plain();
    }

    /// Plays `generator` from the next tick, in the allocation of the tone
    /// playing or of the last one where there is one.
    pub(super) fn start_tone(&mut self, generator: ToneGenerator) {
        if let Some(tone) = self.tone.as_deref_mut() {
            *tone = generator;
            return;
        }
        self.tone = Some(match self.spare_tone.take() {
            Some(mut spare) => {
                *spare = generator;
                spare
            }
            None => Box::new(generator),
        });
        self.update_plain();
    }

    /// Ends the tone playing, if any, keeping its allocation; returns
    /// whether one played.
    pub(super) fn end_tone(&mut self) -> bool {
        match self.tone.take() {
            Some(tone) => {
                self.spare_tone = Some(tone);
                self.update_plain();
                true
            }
            None => false,
        }
    }

    /// The host's key and groups for the party, if it joined with them.
    pub(super) fn identity(&self) -> Option<&Identity> {
        self.identity.as_deref()
    }
}

impl<S: Sample> PartialEq for Party<S> {
    fn eq(&self, other: &Party<S>) -> bool {
        #[allow(clippy::type_complexity)]
        fn leg<S: Sample>(
            p: &Party<S>,
        ) -> Option<(Format, usize, bool, (usize, usize), &[S], &[S], &[S])> {
            p.leg.as_ref().map(|l| {
                // Of a leg of several frames a tick, the frames handed in
                // or skipped so far.
                let n = if l.frames > 1 {
                    l.next * l.format.samples_per_frame()
                } else {
                    l.input.len()
                };
                let pending: &[S] = if p.has_input { &l.input[..n] } else { &[] };
                (
                    l.format,
                    l.phase,
                    l.handed,
                    (l.next, l.count),
                    pending,
                    &l.heard[..],
                    &l.output[..],
                )
            })
        }
        // What the leg will still play: its converted frame and what its
        // resamplers remember.
        #[allow(clippy::type_complexity)]
        fn memory<S: Sample>(p: &Party<S>) -> Option<(&[S], &Resampler, &Resampler)> {
            p.leg
                .as_ref()
                .map(|l| (&l.call_in[..], &l.into_call, &l.out_of_call))
        }
        leg(self) == leg(other)
            && memory(self) == memory(other)
            && self.id == other.id
            && self.seat == other.seat
            && self.volume == other.volume
            // `plain` follows from the tone, the leg and the detector.
            && self.has_input == other.has_input
            && self.stats == other.stats
            && self.heard == other.heard
            // `spare_tone` is an allocation kept for later, not state.
            && self.tone == other.tone
            && self.dtmf == other.dtmf
            && self.identity == other.identity
            // Its concealer's history is what it heard: not compared.
            && self.conceal.as_ref().map(|c| (c.lost, c.skipped))
                == other.conceal.as_ref().map(|c| (c.lost, c.skipped))
    }
}

pub(super) fn info<S>(p: &Party<S>) -> PartyInfo {
    PartyInfo {
        id: p.id,
        role: p.seat.role,
        mode: (p.seat.role == Role::Supervisor).then_some(p.seat.mode),
        records_whisper: p.seat.role == Role::Recorder && p.seat.records_whisper,
        volume: p.volume,
        identity: p.identity().copied(),
        audience: (p.seat.role == Role::Announcement).then_some(p.seat.audience),
        playing: p.tone.is_some(),
        conceals_loss: p.conceal.is_some(),
        stats: p.stats,
    }
}

/// What a party is when it joins a call ([`Session::join`]): its role and
/// what goes with it. A [`Role`] converts into the join of that role with
/// nothing else given.
///
/// ```
/// use barge::{Audience, Format, Identity, Join, Label, Mode};
/// let sam = Identity::new(Label::new("sam")?);
/// let joins = [
///     Join::customer().leg(Format::NARROWBAND_20MS),
///     Join::agent().identity(Identity::new(Label::new("alex")?)),
///     Join::supervisor(Mode::Whisper).identity(sam).leg(Format::WEBRTC_10MS),
///     Join::recorder(true), // records whispers too
///     Join::announcement(Audience::CUSTOMERS),
/// ];
/// # let _ = joins;
/// # Ok::<(), barge::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Join {
    seat: Seat,
    identity: Option<Identity>,
    leg: Option<Format>,
    conceal: bool,
}

impl Join {
    const fn of(seat: Seat) -> Join {
        Join {
            seat,
            identity: None,
            leg: None,
            conceal: false,
        }
    }

    /// A customer.
    pub const fn customer() -> Join {
        Join::of(Seat::new(Role::Customer))
    }

    /// An agent.
    pub const fn agent() -> Join {
        Join::of(Seat::new(Role::Agent))
    }

    /// A supervisor, in `mode` from its first tick.
    pub const fn supervisor(mode: Mode) -> Join {
        Join::of(Seat {
            mode,
            ..Seat::new(Role::Supervisor)
        })
    }

    /// A recorder: a party that hears the call and is heard by no one.
    /// With `records_whisper` it also hears supervisors who whisper (as the
    /// agent does); without, it hears what the customer would, plus the
    /// customer.
    pub const fn recorder(records_whisper: bool) -> Join {
        Join::of(Seat {
            records_whisper,
            ..Seat::new(Role::Recorder)
        })
    }

    /// An announcement: a party that talks to `audience` and hears nobody
    /// (a prompt, hold music, a tone). Its audio is what the host hands in,
    /// as for any party, or a tone the session plays ([`Session::play`]).
    /// The privacy rules hold for it as for everyone: it hears nothing, so
    /// it carries nothing of a whisper to anyone. A recording tap records
    /// it if `audience` includes [`Audience::RECORDERS`], on the agent's
    /// side.
    pub const fn announcement(audience: Audience) -> Join {
        Join::of(Seat {
            audience,
            ..Seat::new(Role::Announcement)
        })
    }

    /// With the host's key and groups for the party: the key names it on
    /// the audit trail ([`Event::Joined`], [`Timeline`](crate::audit::Timeline))
    /// and in [`Session::routes`], and a [`Policy`](crate::Policy)
    /// ([`Session::set_policy`]) decides by its key and groups what a
    /// supervisor may do.
    pub fn identity(mut self, identity: Identity) -> Join {
        self.identity = Some(identity);
        self
    }

    /// On a leg of another format than the call's
    /// ([`Session::set_leg_format`]): from its first frame.
    pub const fn leg(mut self, format: Format) -> Join {
        self.leg = Some(format);
        self
    }

    /// Conceals the party's lost frames ([`Session::lose_frame`],
    /// [`Fill::Lost`](crate::media::Fill::Lost)): each is filled from its
    /// own earlier audio at its leg's rate ([`crate::plc`]) instead of
    /// being silence. A frame absent on purpose (none handed in,
    /// [`Session::skip_frame`]) stays silence. Its concealer (about 60 ms
    /// of audio at its leg's rate) is allocated at the join, and every
    /// tick it hears the party's frames: a party that conceals loss costs
    /// a little more per tick than one that does not.
    ///
    /// ```
    /// use barge::{Format, Join, Session};
    /// let mut call = Session::<i16>::new(Format::NARROWBAND_20MS);
    /// let customer = call.join(Join::customer().conceal_loss())?;
    /// assert!(call.party(customer)?.conceals_loss);
    /// # Ok::<(), barge::Error>(())
    /// ```
    pub const fn conceal_loss(mut self) -> Join {
        self.conceal = true;
        self
    }

    /// A supervisor in `mode` instead; nothing for another role.
    pub const fn mode(mut self, mode: Mode) -> Join {
        self.seat.mode = mode;
        self
    }

    /// The role of the party that joins.
    pub const fn role(&self) -> Role {
        self.seat.role
    }
}

impl From<Role> for Join {
    /// The join of a party in `role`, with nothing else given: a supervisor
    /// in [`Mode::Monitor`], a recorder without whispers, an announcement
    /// heard by nobody.
    fn from(role: Role) -> Join {
        Join::of(Seat::new(role))
    }
}

/// # Joining, leaving and modes
///
/// Who is on the call, in which role, a supervisor's mode, a party's
/// volume.
impl<S: Sample> Session<S> {
    /// Adds a party and returns its id: what the party is ([`Join`]: its
    /// role, a supervisor's first mode, a recorder's choice about
    /// whispers, an announcement's audience, its identity, its leg's
    /// format), or just its [`Role`] (a supervisor then joins in
    /// [`Mode::Monitor`], a recorder without whispers, an announcement
    /// heard by nobody). Its routes open at the next tick, with the ramp.
    ///
    /// The join is checked whole before anything changes: a leg format
    /// the call cannot take ([`Session::set_leg_format`]'s errors), a call
    /// with [`MAX_PARTIES`] parties ([`Error::TooManyParties`]) or a
    /// session that has handed out every id ([`Error::PartyIdsExhausted`])
    /// leaves no party and no event; with a policy set
    /// ([`Session::set_policy`]), a supervisor outside its grant (or
    /// without an identity), or an agent whom a supervisor on the call may
    /// not supervise in its mode, is [`Error::Refused`], which leaves no
    /// party and one [`Event::Refused`] on the audit trail.
    ///
    /// ```
    /// use barge::{Format, Grant, Identity, Join, Label, Mode, Policy, Role, Session, Error};
    /// let team = Label::new("team-a")?;
    /// let policy = Policy::new()
    ///     .grant(Grant::group(Label::new("qa")?).may([Mode::Monitor]).on_every_agent());
    /// let mut call = Session::<i16>::new(Format::NARROWBAND_20MS);
    /// call.set_policy(Some(policy.into()))?;
    /// let customer = call.join(Role::Customer)?;
    /// call.join(Join::agent().identity(Identity::new(Label::new("alex")?).with_group(team)?))?;
    /// let quinn = Identity::new(Label::new("quinn")?).with_group(Label::new("qa")?)?;
    /// // QA in the browser: 48 kHz, 10 ms frames.
    /// let browser = Join::supervisor(Mode::Whisper).identity(quinn).leg(Format::WEBRTC_10MS);
    /// let e = call.join(browser.clone()).unwrap_err();
    /// assert!(matches!(e, Error::Refused { .. }));
    /// assert_eq!(
    ///     e.to_string(),
    ///     "supervisor \"quinn\" may not use whisper on agent \"alex\": granted on that agent: monitor"
    /// );
    /// let q = call.join(browser.mode(Mode::Monitor))?;
    /// assert_eq!(call.leg_format(q)?, Format::WEBRTC_10MS);
    /// # let _ = customer;
    /// # Ok::<(), barge::Error>(())
    /// ```
    pub fn join(&mut self, join: impl Into<Join>) -> Result<PartyId, Error> {
        let join = join.into();
        let id = self.add(join.seat, join.identity, join.leg)?;
        if join.conceal {
            let format = join.leg.unwrap_or(self.format);
            if let Some(p) = self.parties.last_mut() {
                p.conceal = Some(Box::new(Conceal::new(format)));
                p.update_plain();
            }
        }
        Ok(id)
    }

    /// [`Session::join`]: everything checked before anything changes.
    pub(super) fn add(
        &mut self,
        seat: Seat,
        identity: Option<Identity>,
        leg: Option<Format>,
    ) -> Result<PartyId, Error> {
        if let Some(leg) = leg {
            self.check_leg_format(leg)?;
        }
        if self.parties.len() >= MAX_PARTIES {
            return Err(Error::TooManyParties { max: MAX_PARTIES });
        }
        let Some(next_id) = self.next_id.checked_add(1) else {
            return Err(Error::PartyIdsExhausted {
                joins: u64::from(self.next_id),
            });
        };
        // Last, as it records a refusal.
        self.check_join(seat, identity.as_ref())?;
        let id = PartyId {
            call: self.call,
            n: self.next_id,
        };
        let n = self.parties.len();
        // Reserve everything first: after this point nothing can fail, so
        // the join is applied whole or not at all.
        self.inputs.reserve_exact(self.spf);
        self.outputs.reserve_exact(self.spf);
        let rows = n + 1 + self.tap_rows(n + 1);
        self.tick_gains
            .reserve_exact((rows * (n + 1)).saturating_sub(self.tick_gains.len()));
        for p in self.parties.iter_mut() {
            p.heard.reserve_exact(1);
        }
        self.plan.reserve(rows);
        let label = identity.map(|i| i.key());
        let identity = identity.map(Box::new);
        self.next_id = next_id;
        for p in self.parties.iter_mut() {
            p.heard.push(RouteState::NEW);
        }
        for t in self.taps.iter_mut() {
            for row in t.heard.iter_mut() {
                row.push(RouteState::NEW);
            }
            if t.tap.layout() == TapLayout::Stems {
                t.add_channel(n + 1, self.format);
            }
        }
        self.parties.push(Party {
            id,
            seat,
            volume: Gain::UNITY,
            has_input: false,
            plain: true,
            watched: false,
            observed: self.signals.is_some(),
            stats: PartyStats::default(),
            heard: core::iter::repeat(RouteState::NEW).take(n + 1).collect(),
            leg: leg
                .filter(|&leg| leg != self.format)
                .map(|leg| Box::new(Leg::new(leg, self.format))),
            tone: None,
            spare_tone: None,
            dtmf: None,
            identity,
            conceal: None,
        });
        if let Some(p) = self.parties.last_mut() {
            p.update_plain();
        }
        self.tick_gains.resize(rows * (n + 1), RouteGain::MUTED);
        self.inputs.resize(self.inputs.len() + self.spf, S::SILENCE);
        self.outputs
            .resize(self.outputs.len() + self.spf, S::SILENCE);
        self.record(Event::Joined {
            party: id,
            role: seat.role,
            mode: (seat.role == Role::Supervisor).then_some(seat.mode),
            records_whisper: seat.role == Role::Recorder && seat.records_whisper,
            audience: (seat.role == Role::Announcement).then_some(seat.audience),
            label,
            at: self.tick,
        });
        if seat.role == Role::Supervisor {
            self.cue(CueOn::Join, id, false);
        }
        self.prepare();
        Ok(id)
    }

    /// Removes a party. From the next tick nobody hears it, and the others
    /// hear each other as the table says without it: when the agent leaves a
    /// barging supervisor and the customer go on talking; when the supervisor
    /// leaves the call is the two parties again. Its frame, output and
    /// route gains are gone; its id stays unused.
    pub fn leave(&mut self, party: PartyId) -> Result<(), Error> {
        let i = self.index(party)?;
        if self.cue_player == Some(party) {
            self.cue_player = None;
            self.cues = [None; 4];
        }
        let gone = self.parties.remove(i);
        for p in self.parties.iter_mut() {
            p.heard.remove(i);
        }
        let range = i * self.spf..(i + 1) * self.spf;
        self.inputs.drain(range.clone());
        self.outputs.drain(range);
        for t in self.taps.iter_mut() {
            for row in t.heard.iter_mut() {
                row.remove(i);
            }
            if t.tap.layout() == TapLayout::Stems {
                t.remove_channel(i, self.spf);
            }
        }
        let n = self.parties.len();
        self.tick_gains.truncate((n + self.tap_rows(n)) * n);
        self.record(Event::Left {
            party,
            role: gone.seat.role,
            label: gone.identity().map(|i| i.key()),
            at: self.tick,
        });
        if gone.seat.role == Role::Supervisor {
            self.cue(CueOn::Leave, party, false);
        }
        self.prepare();
        Ok(())
    }

    /// Switches a supervisor to `mode` from the next tick. Setting the mode
    /// it is already in is accepted and records nothing. A party that is not
    /// a supervisor is [`Error::NotASupervisor`].
    pub fn set_mode(&mut self, party: PartyId, mode: Mode) -> Result<(), Error> {
        let i = self.index(party)?;
        let seat = &mut self.parties[i].seat;
        if seat.role != Role::Supervisor {
            return Err(Error::NotASupervisor {
                party,
                role: seat.role,
            });
        }
        if let Err(refusal) = self.check_mode(i, mode) {
            return Err(self.refuse(refusal));
        }
        self.change_mode(i, mode, false);
        self.prepare();
        Ok(())
    }

    /// Switches supervisor `i` to `mode` from the next tick: from a control
    /// call, or (`in_tick`) from a digit found in the tick being mixed.
    pub(super) fn change_mode(&mut self, i: usize, mode: Mode, in_tick: bool) {
        let (party, from) = (self.parties[i].id, self.parties[i].seat.mode);
        if from == mode {
            return;
        }
        self.parties[i].seat.mode = mode;
        let at = self.tick + u64::from(in_tick);
        let label = self.label(i);
        self.log(
            Event::ModeChanged {
                party,
                label,
                from,
                to: mode,
                at,
            },
            in_tick,
        );
        let whispers = |m: Mode| matches!(m, Mode::Whisper | Mode::PrivateWhisper);
        let barges = |m: Mode| matches!(m, Mode::Barge | Mode::CustomerOnly);
        if whispers(mode) && !whispers(from) {
            self.cue(CueOn::Whisper, party, in_tick);
        } else if barges(mode) && !barges(from) {
            self.cue(CueOn::Barge, party, in_tick);
        }
    }

    /// A supervisor's mode; `None` for a party that is not a supervisor.
    pub fn mode(&self, party: PartyId) -> Result<Option<Mode>, Error> {
        let seat = self.parties[self.index(party)?].seat;
        Ok((seat.role == Role::Supervisor).then_some(seat.mode))
    }

    /// The host's key for party `i`, if it gave one.
    pub(super) fn label(&self, i: usize) -> Option<Label> {
        self.parties.get(i)?.identity().map(|id| id.key())
    }

    /// Sets the volume at which everyone hears `party`, in dB from muted
    /// (`f32::NEG_INFINITY`) up to [`Gain::MAX_DB`]; default 0 dB. The change
    /// ramps in at the next tick.
    pub fn set_volume(&mut self, party: PartyId, db: f32) -> Result<(), Error> {
        let i = self.index(party)?;
        let to = Gain::from_db(db)?;
        let p = &mut self.parties[i];
        let from = p.volume;
        if from != to {
            p.volume = to;
            let label = self.label(i);
            self.record(Event::VolumeChanged {
                party,
                label,
                from,
                to,
                at: self.tick,
            });
        }
        self.prepare();
        Ok(())
    }

    /// A party's role, mode, volume and counters.
    pub fn party(&self, party: PartyId) -> Result<PartyInfo, Error> {
        Ok(info(&self.parties[self.index(party)?]))
    }

    /// Every party on the call, in order of joining.
    pub fn parties(&self) -> impl Iterator<Item = PartyInfo> + '_ {
        self.parties.iter().map(info)
    }
}
