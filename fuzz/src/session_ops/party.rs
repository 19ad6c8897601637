//! Parties: joins in every role, leaves, modes and volumes; the ids a case
//! uses (its own, of parties that left, of another session, of a
//! snapshot's later joins) and their errors; the queries of a party.

use std::sync::OnceLock;

use barge::dtmf::DtmfDetector;
use barge::{
    Audience, CueOn, Error, Event, Format, Gain, Join, Label, Mode, PartyId, Role, Session,
    ToneGenerator, MAX_PARTIES,
};

use super::consent::Ident;
use super::input::{
    db_of, ref_mode, role_of, AudArg, DbArg, IdArg, LegArg, ModeArg, RoleArg, Who, MAX_OPS,
};
use super::model::Model;
use super::runner::{same_frame, Harness};
use crate::reference::{RefMode, RefRole, RefSample};

/// Ids `0..=MAX_OPS` of a session of their own (ids are not
/// constructible): foreign to every session of a case.
fn any_id(n: usize) -> PartyId {
    static IDS: OnceLock<Vec<PartyId>> = OnceLock::new();
    IDS.get_or_init(|| {
        let mut s = Session::<i16>::new(Format::NARROWBAND_20MS);
        s.set_event_limit(0);
        (0..=MAX_OPS)
            .map(|_| {
                let id = s.join(Role::Agent).unwrap();
                s.leave(id).unwrap();
                id
            })
            .collect()
    })[n]
}

/// The model's view of one party.
#[derive(Debug, Clone)]
pub(super) struct RefParty<S> {
    pub(super) id: PartyId,
    pub(super) role: RefRole,
    pub(super) volume: Gain,
    /// Its leg's format: the call's unless set.
    pub(super) leg: Format,
    pub(super) frame: Option<Vec<S>>,
    /// What it heard in the last tick, at its leg's format: as the
    /// reference mixes it where `exact`, else as the session gave it.
    pub(super) output: Vec<S>,
    /// Whether the reference mixer predicts its output (and its clipped
    /// samples) bit for bit this tick: its leg is at the call's rate and
    /// it hears no leg at another rate, not even fading out. Else its
    /// output is checked by its length, its range, the shadows and the
    /// twin only.
    pub(super) exact: bool,
    /// Its leg went back to the call's rate since the last tick: what
    /// `output` shows until the next tick is only checked by its length.
    pub(super) stale: bool,
    /// The last tick its leg was at another rate than the call's. A route
    /// from such a leg opens a tick after the change that opens it, which
    /// this model does not follow: its listeners are not predicted bit for
    /// bit until that is over.
    pub(super) converted_at: Option<u64>,
    pub(super) present: u64,
    pub(super) mixed: u64,
    pub(super) missing: u64,
    pub(super) clipped: u64,
    pub(super) non_finite: u64,
    /// An announcement's tone, generated as the session must.
    pub(super) tone: Option<ToneGenerator>,
    /// A supervisor's in-band digit detector.
    pub(super) dtmf: Option<DtmfDetector>,
    /// Its frame is silence this tick: it holds a digit.
    pub(super) muted: bool,
    pub(super) ident: Option<Ident>,
    /// It joined concealing loss (`Join::conceal_loss`).
    pub(super) conceals: bool,
    /// Its frame of the tick was lost (`lose_frame`), for a party that
    /// conceals.
    pub(super) lost: bool,
    /// Its last frame was lost: the next one it hands in begins with a
    /// blend out of the concealment.
    pub(super) in_loss: bool,
    /// The last tick in which its frame carried concealed audio (lost, or
    /// the blend after a loss). What it sounds like is not modelled, nor
    /// the routes that close for it and ramp open again: its listeners are
    /// not predicted bit for bit until that is over.
    pub(super) concealed_at: Option<u64>,
    pub(super) concealed: u64,
    /// Its leg's frames a tick: the call's frame duration over the leg's
    /// (a 10 ms leg on a 20 ms call takes 2), or 1.
    pub(super) per_tick: usize,
    /// Of a leg of several frames a tick: what became of each of the
    /// tick's frames taken so far, in order. `frame` then holds them all
    /// back to back, silence where none was handed in.
    pub(super) taken: Vec<Taken>,
    /// The frames its statistics count over the ticks it was present for:
    /// `per_tick` a tick.
    pub(super) slots: u64,
}

/// What became of one of the frames of a tick of a leg of shorter frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Taken {
    /// Handed in (`put_frame`, `frame_mut`, lent, or a tone).
    Put,
    /// `skip_frame`, or `lose_frame` of a party that does not conceal.
    Skipped,
    /// `lose_frame` of a party that conceals.
    Lost,
}

impl<S> RefParty<S> {
    /// Whether its frame is its own audio of the tick, as the model knows
    /// it, in and since the tick `tick`.
    pub(super) fn unconcealed(&self, tick: u64) -> bool {
        self.concealed_at.is_none_or(|at| tick - at > 2)
    }

    /// Whether it has its frame of the tick: handed in or lost (of a leg
    /// of several frames a tick: every one of them taken).
    pub(super) fn has_frame(&self) -> bool {
        if self.per_tick > 1 {
            return self.taken.len() >= self.per_tick;
        }
        self.frame.is_some() || self.lost
    }

    /// Whether it has taken any frame of the tick: what the session
    /// refuses lent frames, a new leg format and a tone after.
    pub(super) fn has_taken_any(&self) -> bool {
        if self.per_tick > 1 {
            return !self.taken.is_empty();
        }
        self.has_frame()
    }

    /// Whether it handed in all its audio of the tick (no frame lost or
    /// missing): what makes the disclosure sound.
    pub(super) fn handed_all(&self) -> bool {
        if self.per_tick > 1 {
            return self.taken.len() == self.per_tick
                && self.taken.iter().all(|&t| t == Taken::Put);
        }
        self.frame.is_some()
    }

    /// Its frames of the tick lost (and so concealed).
    pub(super) fn lost_count(&self) -> u64 {
        if self.per_tick > 1 {
            return self.taken.iter().filter(|&&t| t == Taken::Lost).count() as u64;
        }
        self.lost as u64
    }

    /// The samples of its audio in a tick, at its leg's rate: its frames
    /// of the tick back to back.
    pub(super) fn tick_spf(&self) -> usize {
        self.leg.samples_per_frame() * self.per_tick
    }
}

impl<S: RefSample> RefParty<S> {
    /// Its next frame of the tick is `taken` (`frame`: the samples handed
    /// in), once checked due and not yet taken.
    pub(super) fn take(&mut self, taken: Taken, frame: Option<&[S]>) {
        if self.per_tick == 1 {
            match taken {
                Taken::Put => self.frame = frame.map(<[S]>::to_vec),
                Taken::Lost => self.lost = true,
                Taken::Skipped => {}
            }
            return;
        }
        let n = self.leg.samples_per_frame();
        let at = self.taken.len() * n;
        let whole = self.tick_spf();
        let buf = self.frame.get_or_insert_with(|| vec![S::SILENCE; whole]);
        if let Some(f) = frame.filter(|_| taken == Taken::Put) {
            buf[at..at + n].copy_from_slice(f);
        }
        self.lost |= taken == Taken::Lost;
        self.taken.push(taken);
    }
}

impl<S> RefParty<S> {
    pub(super) fn public_role(&self) -> Role {
        match self.role {
            RefRole::Customer => Role::Customer,
            RefRole::Agent => Role::Agent,
            RefRole::Supervisor(_) => Role::Supervisor,
            RefRole::Recorder { .. } => Role::Recorder,
            RefRole::Announcement { .. } => Role::Announcement,
        }
    }
    pub(super) fn audience(&self) -> Option<Audience> {
        match self.role {
            RefRole::Announcement { audience } => Some(AudArg(audience).audience()),
            _ => None,
        }
    }
    /// The key of its identity, as the audit trail names it.
    pub(super) fn label(&self) -> Option<Label> {
        self.ident.map(Ident::key)
    }
    pub(super) fn mode(&self) -> Option<Mode> {
        match self.role {
            RefRole::Supervisor(m) => Some(m.mode()),
            _ => None,
        }
    }
}

impl<S: RefSample> Model<S> {
    pub(super) fn supervisor(&self, id: PartyId) -> Result<usize, Error> {
        let i = self.index(id)?;
        match self.parties[i].role {
            RefRole::Supervisor(_) => Ok(i),
            _ => Err(Error::NotASupervisor {
                party: id,
                role: self.parties[i].public_role(),
            }),
        }
    }

    pub(super) fn change_mode(&mut self, i: usize, mode: RefMode, in_tick: bool) {
        let RefRole::Supervisor(from) = self.parties[i].role else {
            unreachable!()
        };
        if from == mode {
            return;
        }
        let id = self.parties[i].id;
        self.parties[i].role = RefRole::Supervisor(mode);
        self.log(
            Event::ModeChanged {
                party: id,
                label: self.parties[i].label(),
                from: from.mode(),
                to: mode.mode(),
                at: self.tick + in_tick as u64,
            },
            in_tick,
        );
        use RefMode::*;
        let whispers = |m| matches!(m, Whisper | PrivateWhisper);
        let barges = |m| matches!(m, Barge | CustomerOnly);
        if whispers(mode) && !whispers(from) {
            self.cue(CueOn::Whisper, id, in_tick);
        } else if barges(mode) && !barges(from) {
            self.cue(CueOn::Barge, id, in_tick);
        }
    }

    /// The key of `id`'s identity, if it is on the call and has one.
    pub(super) fn label_of(&self, id: PartyId) -> Option<Label> {
        self.index(id).ok().and_then(|i| self.parties[i].label())
    }

    pub(super) fn index(&self, id: PartyId) -> Result<usize, Error> {
        match self.parties.iter().position(|p| p.id == id) {
            Some(i) => Ok(i),
            None if self.issued.contains(&id) => Err(Error::PartyLeft { party: id }),
            None if self.snapshot_ids.contains(&id) => Err(Error::UnknownParty { party: id }),
            None => Err(Error::ForeignParty { party: id }),
        }
    }

    /// A join; `id` is the id a snapshot taken before any join hands
    /// out as its next.
    pub(super) fn join(
        &mut self,
        role: RefRole,
        id: PartyId,
        ident: Option<Ident>,
        leg: Option<Format>,
        conceals: bool,
    ) -> Result<PartyId, Error> {
        if let Some(leg) = leg {
            self.check_leg_format(leg)?;
        }
        if self.parties.len() >= MAX_PARTIES {
            return Err(Error::TooManyParties { max: MAX_PARTIES });
        }
        if let Err(r) = self.check_join(role, ident) {
            return Err(self.refuse(r));
        }
        self.issued.push(id);
        let leg = leg.unwrap_or(self.format);
        let p = RefParty {
            id,
            role,
            volume: Gain::UNITY,
            leg,
            frame: None,
            output: vec![S::SILENCE; leg.samples_per_frame() * self.per_tick(leg)],
            exact: true,
            stale: false,
            converted_at: None,
            present: 0,
            mixed: 0,
            missing: 0,
            clipped: 0,
            non_finite: 0,
            tone: None,
            dtmf: None,
            muted: false,
            ident,
            conceals,
            lost: false,
            in_loss: false,
            concealed_at: None,
            concealed: 0,
            per_tick: self.per_tick(leg),
            taken: Vec::new(),
            slots: 0,
        };
        self.record(Event::Joined {
            party: id,
            role: p.public_role(),
            mode: p.mode(),
            records_whisper: matches!(role, RefRole::Recorder { whisper: true }),
            audience: p.audience(),
            label: p.label(),
            at: self.tick,
        });
        self.parties.push(p);
        for k in 0..self.taps.len() {
            if self.taps[k].arg.stems {
                let spf = self.tap_spf(self.taps[k].format);
                let t = &mut self.taps[k];
                t.channels.push(vec![S::SILENCE; spf]);
                t.exact.push(true);
            }
        }
        if let RefRole::Supervisor(_) = role {
            self.cue(CueOn::Join, id, false);
        }
        Ok(id)
    }

    pub(super) fn leave(&mut self, id: PartyId) -> Result<(), Error> {
        let i = self.index(id)?;
        if self.cue_player == Some(id) {
            self.cue_player = None;
            self.cues = [None; 4];
        }
        let p = self.parties.remove(i);
        self.route_gains.retain(|&(l, t), _| l != id && t != id);
        self.current.retain(|&(l, t), _| l != id && t != id);
        self.tap_current
            .retain(|&((_, owner, _), t), _| t != id && owner != Some(id));
        for t in self.taps.iter_mut().filter(|t| t.arg.stems) {
            t.channels.remove(i);
            t.exact.remove(i);
        }
        self.record(Event::Left {
            party: id,
            role: p.public_role(),
            label: p.label(),
            at: self.tick,
        });
        if let RefRole::Supervisor(_) = p.role {
            self.cue(CueOn::Leave, id, false);
        }
        Ok(())
    }

    pub(super) fn set_mode(&mut self, id: PartyId, mode: RefMode) -> Result<(), Error> {
        let i = self.supervisor(id)?;
        if let Err(r) = self.check_mode(i, mode) {
            return Err(self.refuse(r));
        }
        self.change_mode(i, mode, false);
        Ok(())
    }

    pub(super) fn set_volume(&mut self, id: PartyId, db: f32) -> Result<(), Error> {
        let i = self.index(id)?;
        let to = Gain::from_db(db)?;
        let from = self.parties[i].volume;
        if from != to {
            self.parties[i].volume = to;
            self.record(Event::VolumeChanged {
                party: id,
                label: self.parties[i].label(),
                from,
                to,
                at: self.tick,
            });
        }
        Ok(())
    }
}

impl<S: RefSample> Harness<S> {
    pub(super) fn who(&mut self, w: Who) -> PartyId {
        let n = self.model.issued.len();
        match w.0 {
            _ if n == 0 && w.0 < Who::STRAY => any_id(w.0 as usize * 7),
            0..Who::FOREIGN => self.model.issued[w.0 as usize % n],
            Who::FOREIGN..Who::UNKNOWN => self.other_ids[w.0 as usize % n],
            Who::UNKNOWN..Who::STRAY => self.snapshot_id(n + w.0 as usize % 4),
            _ => any_id(w.0 as usize * 7),
        }
    }

    /// The id that the snapshot hands out as its `n`th.
    pub(super) fn snapshot_id(&mut self, n: usize) -> PartyId {
        while self.model.snapshot_ids.len() <= n {
            let id = self.snapshot.join(Role::Agent).unwrap();
            self.snapshot.leave(id).unwrap();
            self.model.snapshot_ids.push(id);
        }
        self.model.snapshot_ids[n]
    }

    /// A join: the session hands out the id that the snapshot hands out
    /// as its next; the other session joins a party in the same role.
    pub(super) fn join(
        &mut self,
        what: &str,
        role: RefRole,
        ident: Option<Ident>,
        call: impl Fn(&mut Session<S>) -> Result<PartyId, Error>,
    ) {
        self.join_on(what, role, ident, (None, false), call);
    }

    /// [`Harness::join`] on a leg of its own format, concealing loss or not.
    pub(super) fn join_on(
        &mut self,
        what: &str,
        role: RefRole,
        ident: Option<Ident>,
        (leg, conceals): (Option<Format>, bool),
        call: impl Fn(&mut Session<S>) -> Result<PartyId, Error>,
    ) {
        let next = self.snapshot_id(self.model.issued.len());
        if let Ok(id) = self.control(what, &call, |m| m.join(role, next, ident, leg, conceals)) {
            let mirror = call(&mut self.other).unwrap();
            self.mirrored(id, mirror);
        }
    }

    pub(super) fn mirrored(&mut self, id: PartyId, mirror: PartyId) {
        assert_eq!(mirror.get(), id.get(), "ids count joins");
        assert_ne!(mirror, id, "ids of two sessions");
        self.other_ids.push(mirror);
    }

    pub(super) fn query(&self, a: PartyId, b: PartyId) {
        let m = &self.model;
        let want = m.index(a).map(|i| &m.parties[i]);
        match (self.s.output(a), &want) {
            (Ok(out), Ok(p)) if p.stale => {
                assert_eq!(out.len(), p.tick_spf(), "output of {a} at its leg's length")
            }
            (Ok(out), Ok(p)) => assert!(same_frame(out, &p.output), "output of {a} between ticks"),
            (got, want) => assert_eq!(got.err(), want.as_ref().err().cloned(), "output({a})"),
        }
        match (self.s.party(a), &want) {
            (Ok(info), Ok(p)) => {
                assert_eq!(info.id, a);
                assert_eq!(info.role, p.public_role());
                assert_eq!(info.mode, p.mode());
                assert_eq!(
                    info.records_whisper,
                    matches!(p.role, RefRole::Recorder { whisper: true })
                );
                assert_eq!(info.volume, p.volume);
                assert_eq!(info.stats.frames_mixed, p.mixed);
                assert_eq!(info.stats.frames_missing, p.missing);
                assert_eq!(
                    info.stats.frames_concealed, p.concealed,
                    "frames concealed of {a}"
                );
                assert_eq!(info.conceals_loss, p.conceals, "conceals_loss of {a}");
                assert_eq!(
                    info.identity,
                    p.ident.map(Ident::identity),
                    "identity of {a}"
                );
                assert_eq!(info.audience, p.audience(), "audience of {a}");
                assert_eq!(info.playing, p.tone.is_some(), "{a} playing");
            }
            (got, want) => assert_eq!(got.err(), want.as_ref().err().cloned(), "party({a})"),
        }
        let mode = want.as_ref().map(|p| p.mode()).map_err(Clone::clone);
        assert_eq!(self.s.mode(a), mode, "mode({a})");
        let leg = want.as_ref().map(|p| p.leg).map_err(Clone::clone);
        assert_eq!(self.s.leg_format(a), leg, "leg_format({a})");
        // Due until the tick's frames are all taken.
        let due = want.as_ref().map(|p| !p.has_frame() || p.per_tick == 1);
        assert_eq!(
            self.s.frame_due(a),
            due.map_err(Clone::clone),
            "frame_due({a})"
        );
        assert_eq!(
            self.s.route_gain(a, b),
            m.route_gain(a, b),
            "route_gain({a}, {b})"
        );
        assert_eq!(
            self.s.hears(a, b).map(|g| g.linear().to_bits()),
            m.hears(a, b).map(f32::to_bits),
            "hears({a}, {b})"
        );
        let listed: Vec<_> = self
            .s
            .parties()
            .map(|p| {
                (
                    p.id, p.role, p.mode, p.volume, p.identity, p.audience, p.playing,
                )
            })
            .collect();
        let modelled: Vec<_> = m
            .parties
            .iter()
            .map(|p| {
                let id = p.ident.map(Ident::identity);
                let playing = p.tone.is_some();
                (
                    p.id,
                    p.public_role(),
                    p.mode(),
                    p.volume,
                    id,
                    p.audience(),
                    playing,
                )
            })
            .collect();
        assert_eq!(listed, modelled, "parties()");
        assert_eq!(self.s.len(), m.parties.len());
        assert_eq!(self.s.is_empty(), m.parties.is_empty());
        assert_eq!(self.s.tick(), m.tick);
        assert_eq!(self.s.ramp(), m.ramp);
    }
}

/// What a join in `r`'s role makes: a supervisor in monitor, a recorder
/// without whispers.
fn joined_as(r: RoleArg) -> RefRole {
    match r {
        RoleArg::Customer => RefRole::Customer,
        RoleArg::Agent => RefRole::Agent,
        RoleArg::Supervisor => RefRole::Supervisor(RefMode::Monitor),
        RoleArg::Recorder => RefRole::Recorder { whisper: false },
    }
}

impl<S: RefSample> Harness<S> {
    /// [`Op::Join`]: a supervisor joins in monitor, a recorder without whispers.
    pub(super) fn join_role(&mut self, r: RoleArg) {
        let role = joined_as(r);
        self.join("join", role, None, |s| s.join(role_of(r)));
    }

    /// [`Op::JoinSupervisor`].
    pub(super) fn join_supervisor(&mut self, mode: ModeArg) {
        let m = ref_mode(mode);
        self.join("join_supervisor", RefRole::Supervisor(m), None, |s| {
            s.join(Join::supervisor(m.mode()))
        });
    }

    /// [`Op::JoinRecorder`].
    pub(super) fn join_recorder(&mut self, whisper: bool) {
        self.join("join_recorder", RefRole::Recorder { whisper }, None, |s| {
            s.join(Join::recorder(whisper))
        });
    }

    /// [`Op::JoinAs`]: [`Op::Join`] with an identity.
    pub(super) fn join_as(&mut self, r: RoleArg, i: IdArg) {
        let role = joined_as(r);
        let ident = i.ident();
        self.join("join_as", role, Some(ident), |s| {
            s.join(Join::from(role_of(r)).identity(ident.identity()))
        });
    }

    /// [`Op::JoinSupervisorAs`].
    pub(super) fn join_supervisor_as(&mut self, mode: ModeArg, i: IdArg) {
        let (m, ident) = (ref_mode(mode), i.ident());
        self.join(
            "join_supervisor_as",
            RefRole::Supervisor(m),
            Some(ident),
            |s| s.join(Join::supervisor(m.mode()).identity(ident.identity())),
        );
    }

    /// [`Op::JoinOnLeg`]: a join in `r`'s role on the leg `l` picks, which
    /// the call takes or refuses as the model says.
    pub(super) fn join_on_leg(&mut self, r: RoleArg, l: LegArg, conceals: bool) {
        let role = joined_as(r);
        let leg = self.leg_of(l);
        self.join_on("join on a leg", role, None, (Some(leg), conceals), |s| {
            let join = Join::from(role_of(r)).leg(leg);
            s.join(if conceals { join.conceal_loss() } else { join })
        });
    }

    /// [`Op::Leave`], mirrored on the other session.
    pub(super) fn leave(&mut self, w: Who) {
        let id = self.who(w);
        if self
            .control("leave", |s| s.leave(id), |m| m.leave(id))
            .is_ok()
        {
            let mirror = self.other_ids[id.get() as usize];
            self.other.leave(mirror).unwrap();
        }
    }

    /// [`Op::SetMode`].
    pub(super) fn set_mode(&mut self, w: Who, mode: ModeArg) {
        let (id, mode) = (self.who(w), ref_mode(mode));
        let _ = self.control(
            "set_mode",
            |s| s.set_mode(id, mode.mode()),
            |m| m.set_mode(id, mode),
        );
    }

    /// [`Op::SetVolume`].
    pub(super) fn set_volume(&mut self, w: Who, db: DbArg) {
        let (id, db) = (self.who(w), db_of(db));
        let _ = self.control(
            "set_volume",
            |s| s.set_volume(id, db),
            |m| m.set_volume(id, db),
        );
    }
}
