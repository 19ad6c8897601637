//! `session_ops`: an arbitrary sequence of control calls, frames and ticks on
//! one [`Session`], checked after every call and every tick against a
//! reference model ([`Model`]) and three shadow sessions.
//!
//! - Every call returns what the model predicts, error for error; a call
//!   that fails leaves the session exactly as it was (its full `Debug`
//!   state, events included); the audit trail matches the model's.
//! - Every output of every tick matches the reference mixer bit for bit,
//!   and so do the per-party statistics; `frames_mixed + frames_missing`
//!   is the number of ticks the party was present for.
//! - Whisper never reaches a customer and a monitoring supervisor (or a
//!   recorder) reaches nobody: a shadow session that never receives their
//!   frames gives those listeners bit-identical outputs (routes the host
//!   overrode are exempt, as the host asked for them).
//! - Nobody hears themselves: a shadow session in which one party sends a
//!   different frame (non-finite for `f32`) gives that party the same output.
//! - An `f32` output is always finite and within full scale.

use std::collections::{BTreeMap, VecDeque};
use std::sync::OnceLock;
use std::time::Duration;

use arbitrary::{Arbitrary, Unstructured};
use barge::{Error, Event, Format, Gain, Mode, PartyId, Role, Session, MAX_PARTIES};

use crate::cycle;
use crate::reference::{table_allows, RefRole, RefSample, RefTalker};

/// One fuzz case: a format, a sample type and a sequence of operations.
#[derive(Debug, Clone)]
pub struct Input {
    /// `f32` samples instead of `i16`.
    pub float: bool,
    /// Below 192: 8 kHz; else an index into the supported rates.
    pub rate: u8,
    /// Index into the supported frame durations (10 or 20 ms at 8 kHz).
    pub ptime: u8,
    /// What the host does, in order.
    pub ops: Vec<Op>,
}

/// A party as the fuzzer picks it: mostly one this session handed out (on
/// the call or gone), sometimes any id at all.
#[derive(Debug, Clone, Copy)]
pub struct Who(pub u8);

/// A role to join as.
#[derive(Debug, Clone, Copy)]
pub enum RoleArg {
    /// `Role::Customer`.
    Customer,
    /// `Role::Agent`.
    Agent,
    /// `Role::Supervisor`.
    Supervisor,
    /// `Role::Recorder`.
    Recorder,
}

/// A supervisor mode.
#[derive(Debug, Clone, Copy)]
pub enum ModeArg {
    /// `Mode::Monitor`.
    Monitor,
    /// `Mode::Whisper`.
    Whisper,
    /// `Mode::Barge`.
    Barge,
}

/// A gain in dB as a host might pass it, valid or not.
#[derive(Debug, Clone, Copy)]
pub enum DbArg {
    /// 0 dB.
    Zero,
    /// -inf dB.
    Muted,
    /// +12 dB.
    Max,
    /// Tenths of a dB.
    Tenths(i16),
    /// Any `f32`: NaN, +inf, too loud, negative zero...
    Raw(u32),
}

/// A ramp duration, valid or not.
#[derive(Debug, Clone, Copy)]
pub enum RampArg {
    /// Zero.
    Zero,
    /// Microseconds.
    Micros(u16),
    /// Any duration in nanoseconds.
    Nanos(u64),
    /// Exactly one frame.
    Frame,
    /// One nanosecond more than one frame.
    FramePlusOne,
}

/// A frame as the host might hand it in.
#[derive(Debug, Clone)]
pub struct FrameArg {
    /// Its length.
    pub len: LenArg,
    /// How `bits` become samples.
    pub kind: u8,
    /// Cycled over the frame.
    pub bits: Vec<u32>,
}

/// A frame length.
#[derive(Debug, Clone, Copy)]
pub enum LenArg {
    /// Samples per frame, as it must be.
    Exact,
    /// Fewer.
    Short(u16),
    /// More.
    Long(u16),
}

/// One thing the host does.
#[derive(Debug, Clone)]
pub enum Op {
    /// `join`.
    Join(RoleArg),
    /// `join_supervisor`.
    JoinSupervisor(ModeArg),
    /// `join_recorder`.
    JoinRecorder(bool),
    /// `leave`.
    Leave(Who),
    /// `set_mode`.
    SetMode(Who, ModeArg),
    /// `set_route_gain`.
    Override(Who, Who, DbArg),
    /// `clear_route_gain`.
    Clear(Who, Who),
    /// `set_volume`.
    SetVolume(Who, DbArg),
    /// `set_ramp`.
    SetRamp(RampArg),
    /// `put_frame`.
    Put(Who, FrameArg),
    /// `frame_mut`, then the frame written into it.
    FrameMut(Who, FrameArg),
    /// `mix`, and every check of a tick.
    Tick,
    /// `output`, `party`, `mode` and `route_gain`.
    Query(Who, Who),
}

/// Operations of one case beyond this many are ignored.
const MAX_OPS: usize = 2048;

/// Ids `0..=MAX_OPS`, obtained from the public API (ids are not
/// constructible).
fn any_id(n: usize) -> PartyId {
    static IDS: OnceLock<Vec<PartyId>> = OnceLock::new();
    IDS.get_or_init(|| {
        let mut s = Session::<i16>::new(Format::NARROWBAND_20MS);
        (0..=MAX_OPS)
            .map(|_| {
                let id = s.join(Role::Agent).unwrap();
                s.leave(id).unwrap();
                id
            })
            .collect()
    })[n]
}

fn role_of(r: RoleArg) -> Role {
    match r {
        RoleArg::Customer => Role::Customer,
        RoleArg::Agent => Role::Agent,
        RoleArg::Supervisor => Role::Supervisor,
        RoleArg::Recorder => Role::Recorder,
    }
}

fn mode_of(m: ModeArg) -> Mode {
    match m {
        ModeArg::Monitor => Mode::Monitor,
        ModeArg::Whisper => Mode::Whisper,
        ModeArg::Barge => Mode::Barge,
    }
}

fn db_of(d: DbArg) -> f32 {
    match d {
        DbArg::Zero => 0.0,
        DbArg::Muted => f32::NEG_INFINITY,
        DbArg::Max => Gain::MAX_DB,
        DbArg::Tenths(t) => t as f32 / 10.0,
        DbArg::Raw(bits) => f32::from_bits(bits),
    }
}

fn ramp_of(r: RampArg, frame: Duration) -> Duration {
    match r {
        RampArg::Zero => Duration::ZERO,
        RampArg::Micros(us) => Duration::from_micros(us as u64),
        RampArg::Nanos(ns) => Duration::from_nanos(ns),
        RampArg::Frame => frame,
        RampArg::FramePlusOne => frame + Duration::from_nanos(1),
    }
}

/// Errors compared by their `Debug` form, so that a NaN they carry
/// compares equal to itself.
fn same<T: std::fmt::Debug>(got: &Result<T, Error>, want: &Result<T, Error>) -> bool {
    format!("{got:?}") == format!("{want:?}")
}

/// The model's view of one party.
#[derive(Debug, Clone)]
struct RefParty<S> {
    id: PartyId,
    role: RefRole,
    volume: Gain,
    frame: Option<Vec<S>>,
    output: Vec<S>,
    present: u64,
    mixed: u64,
    missing: u64,
    clipped: u64,
    non_finite: u64,
}

impl<S> RefParty<S> {
    fn public_role(&self) -> Role {
        match self.role {
            RefRole::Customer => Role::Customer,
            RefRole::Agent => Role::Agent,
            RefRole::Supervisor(_) => Role::Supervisor,
            RefRole::Recorder { .. } => Role::Recorder,
        }
    }
    fn mode(&self) -> Option<Mode> {
        match self.role {
            RefRole::Supervisor(m) => Some(m),
            _ => None,
        }
    }
}

/// The reference model of a session: what every call must return, what
/// every tick must output.
#[derive(Debug, Clone)]
pub struct Model<S> {
    format: Format,
    spf: usize,
    ramp: Duration,
    ramp_samples: usize,
    tick: u64,
    /// Every id handed out, in order; ids are never reused.
    issued: Vec<PartyId>,
    parties: Vec<RefParty<S>>,
    overrides: BTreeMap<(PartyId, PartyId), Gain>,
    /// Gain each route reached at the end of the last tick.
    current: BTreeMap<(PartyId, PartyId), f32>,
    events: VecDeque<Event>,
}

/// Samples in `d` at `hz`, rounded to nearest (as documented for
/// `Format::samples_in`).
fn samples_in(d: Duration, hz: u32) -> usize {
    ((d.as_nanos() * hz as u128 + 500_000_000) / 1_000_000_000) as usize
}

impl<S: RefSample> Model<S> {
    /// A model of `Session::new(format)`.
    pub fn new(format: Format) -> Model<S> {
        let frame = format.ptime().duration();
        let ramp = Duration::from_millis(5).min(frame);
        Model {
            format,
            spf: (format.rate().hz() / 1000 * format.ptime().ms()) as usize,
            ramp,
            ramp_samples: samples_in(ramp, format.rate().hz()),
            tick: 0,
            issued: Vec::new(),
            parties: Vec::new(),
            overrides: BTreeMap::new(),
            current: BTreeMap::new(),
            events: VecDeque::new(),
        }
    }

    fn index(&self, id: PartyId) -> Result<usize, Error> {
        match self.parties.iter().position(|p| p.id == id) {
            Some(i) => Ok(i),
            None if self.issued.contains(&id) => Err(Error::PartyLeft { party: id }),
            None => Err(Error::UnknownParty { party: id }),
        }
    }

    fn route(&self, l: PartyId, t: PartyId) -> Result<(), Error> {
        self.index(l)?;
        self.index(t)?;
        if l == t {
            return Err(Error::SelfRoute { party: l });
        }
        Ok(())
    }

    fn join(&mut self, role: RefRole) -> Result<PartyId, Error> {
        if self.parties.len() >= MAX_PARTIES {
            return Err(Error::TooManyParties { max: MAX_PARTIES });
        }
        let id = any_id(self.issued.len());
        self.issued.push(id);
        let p = RefParty {
            id,
            role,
            volume: Gain::UNITY,
            frame: None,
            output: vec![S::SILENCE; self.spf],
            present: 0,
            mixed: 0,
            missing: 0,
            clipped: 0,
            non_finite: 0,
        };
        self.events.push_back(Event::Joined {
            party: id,
            role: p.public_role(),
            mode: p.mode(),
            at: self.tick,
        });
        self.parties.push(p);
        Ok(id)
    }

    fn leave(&mut self, id: PartyId) -> Result<(), Error> {
        let i = self.index(id)?;
        let p = self.parties.remove(i);
        self.overrides.retain(|&(l, t), _| l != id && t != id);
        self.current.retain(|&(l, t), _| l != id && t != id);
        self.events.push_back(Event::Left {
            party: id,
            role: p.public_role(),
            at: self.tick,
        });
        Ok(())
    }

    fn set_mode(&mut self, id: PartyId, mode: Mode) -> Result<(), Error> {
        let i = self.index(id)?;
        let p = &mut self.parties[i];
        let RefRole::Supervisor(from) = p.role else {
            return Err(Error::NotASupervisor {
                party: id,
                role: p.public_role(),
            });
        };
        if from != mode {
            p.role = RefRole::Supervisor(mode);
            self.events.push_back(Event::ModeChanged {
                party: id,
                from,
                to: mode,
                at: self.tick,
            });
        }
        Ok(())
    }

    fn set_route_gain(&mut self, l: PartyId, t: PartyId, db: f32) -> Result<(), Error> {
        self.route(l, t)?;
        let gain = Gain::from_db(db)?;
        self.overrides.insert((l, t), gain);
        self.events.push_back(Event::RouteGainSet {
            listener: l,
            talker: t,
            gain,
            at: self.tick,
        });
        Ok(())
    }

    fn clear(&mut self, l: PartyId, t: PartyId) -> Result<(), Error> {
        self.route(l, t)?;
        if self.overrides.remove(&(l, t)).is_some() {
            self.events.push_back(Event::RouteGainCleared {
                listener: l,
                talker: t,
                at: self.tick,
            });
        }
        Ok(())
    }

    fn set_volume(&mut self, id: PartyId, db: f32) -> Result<(), Error> {
        let i = self.index(id)?;
        let to = Gain::from_db(db)?;
        let from = self.parties[i].volume;
        if from != to {
            self.parties[i].volume = to;
            self.events.push_back(Event::VolumeChanged {
                party: id,
                from,
                to,
                at: self.tick,
            });
        }
        Ok(())
    }

    fn set_ramp(&mut self, ramp: Duration) -> Result<(), Error> {
        let max = self.format.ptime().duration();
        if ramp > max {
            return Err(Error::RampTooLong { given: ramp, max });
        }
        self.ramp = ramp;
        self.ramp_samples = samples_in(ramp, self.format.rate().hz());
        Ok(())
    }

    fn slot(&self, id: PartyId) -> Result<usize, Error> {
        let i = self.index(id)?;
        if self.parties[i].frame.is_some() {
            return Err(Error::DuplicateFrame {
                party: id,
                tick: self.tick,
            });
        }
        Ok(i)
    }

    fn put(&mut self, id: PartyId, frame: &[S]) -> Result<(), Error> {
        if frame.len() != self.spf {
            return Err(Error::FrameLength {
                given: frame.len(),
                expected: self.spf,
                format: self.format,
            });
        }
        let i = self.slot(id)?;
        self.parties[i].frame = Some(frame.to_vec());
        Ok(())
    }

    /// The gains (from, to) at which `l` hears `t` this tick.
    fn gains(&self, l: usize, t: usize) -> (f32, f32) {
        let (lp, tp) = (&self.parties[l], &self.parties[t]);
        let cur = self.current.get(&(lp.id, tp.id)).copied().unwrap_or(0.0);
        let vol = tp.volume.linear();
        match self.overrides.get(&(lp.id, tp.id)) {
            Some(o) => (cur, (o.linear() * vol).min(Gain::MAX.linear())),
            None if table_allows(lp.role, tp.role) => (cur, vol),
            None => (0.0, 0.0),
        }
    }

    /// One tick of the reference mixer.
    fn mix(&mut self) {
        for p in self.parties.iter_mut() {
            if let Some(f) = p.frame.as_mut() {
                for s in f.iter_mut() {
                    if s.is_bad() {
                        p.non_finite += 1;
                        *s = S::SILENCE;
                    }
                }
            }
        }
        let n = self.parties.len();
        let mut outs = Vec::with_capacity(n);
        let mut next = Vec::new();
        for l in 0..n {
            let mut talkers = Vec::new();
            for t in 0..n {
                if t == l {
                    continue;
                }
                let (from, to) = self.gains(l, t);
                next.push(((self.parties[l].id, self.parties[t].id), to));
                if let Some(f) = &self.parties[t].frame {
                    talkers.push(RefTalker {
                        samples: f,
                        from,
                        to,
                        ramp: self.ramp_samples,
                    });
                }
            }
            let mut out = vec![S::SILENCE; self.spf];
            let clipped = S::reference_mix(&mut out, &talkers);
            outs.push((out, clipped));
        }
        self.current.extend(next);
        for (p, (out, clipped)) in self.parties.iter_mut().zip(outs) {
            p.output = out;
            p.clipped += clipped as u64;
            p.present += 1;
            if p.frame.take().is_some() {
                p.mixed += 1;
            } else {
                p.missing += 1;
            }
        }
        self.tick += 1;
    }

    fn has_override_from(&self, l: PartyId, talkers: &[PartyId]) -> bool {
        talkers
            .iter()
            .any(|&t| self.overrides.contains_key(&(l, t)))
    }
}

/// Runs one fuzz case, panicking on the first disagreement.
pub fn run(input: &Input) {
    let rates = [8000, 16000, 24000, 32000, 48000];
    let ptimes = [10, 20, 30, 40, 60];
    // Three cases in four are narrowband 10 or 20 ms, which already span
    // two kernel blocks and keep the slow reference fast; the rest pick
    // any format.
    let format = if input.rate < 192 {
        Format::new(8000, ptimes[input.ptime as usize % 2]).unwrap()
    } else {
        Format::new(
            rates[input.rate as usize % 5],
            ptimes[input.ptime as usize % 5],
        )
        .unwrap()
    };
    if input.float {
        Harness::<f32>::new(format).run(&input.ops);
    } else {
        Harness::<i16>::new(format).run(&input.ops);
    }
}

/// The session under test, its model and three shadows.
struct Harness<S: RefSample> {
    s: Session<S>,
    model: Model<S>,
    /// Never receives the frames of monitoring supervisors and recorders.
    no_silent: Session<S>,
    /// Never receives the frames of supervisors who whisper or monitor,
    /// nor of recorders: what a customer may hear.
    no_whisper: Session<S>,
    /// One party (a different one each tick) sends a probe frame instead.
    probe: Session<S>,
}

/// Checks that a call that failed left the session as it was: for a small
/// session its whole `Debug` state, hidden fields included; for a large one
/// what the API shows (events are checked against the model either way).
fn check_unchanged<S: RefSample>(before: &Session<S>, after: &Session<S>, what: &str) {
    let fail = |part: &str| panic!("{what} failed but changed the session: {part}");
    if (before.tick(), before.ramp(), before.format(), before.len())
        != (after.tick(), after.ramp(), after.format(), after.len())
    {
        fail("tick, ramp, format or parties");
    }
    if before.format().samples_per_frame() * before.len() <= 1000 {
        if format!("{before:?}") != format!("{after:?}") {
            fail("its state");
        }
        return;
    }
    let infos: Vec<_> = before.parties().collect();
    if infos != after.parties().collect::<Vec<_>>() {
        fail("parties");
    }
    for l in &infos {
        if !same_frame(before.output(l.id).unwrap(), after.output(l.id).unwrap()) {
            fail("an output");
        }
    }
    for l in infos.iter().take(4) {
        for t in &infos {
            if before.route_gain(l.id, t.id) != after.route_gain(l.id, t.id) {
                fail("an override");
            }
        }
    }
}

impl<S: RefSample> Harness<S> {
    fn new(format: Format) -> Self {
        let s = Session::new(format);
        Harness {
            no_silent: s.clone(),
            no_whisper: s.clone(),
            probe: s.clone(),
            s,
            model: Model::new(format),
        }
    }

    fn who(&self, w: Who) -> PartyId {
        let issued = &self.model.issued;
        if w.0 < 224 && !issued.is_empty() {
            issued[w.0 as usize % issued.len()]
        } else {
            any_id(w.0 as usize * 7)
        }
    }

    /// Applies a control call to the session, the model and the shadows;
    /// checks the result, the unchanged state on failure, and the events.
    fn control<T: std::fmt::Debug + PartialEq>(
        &mut self,
        what: &str,
        call: impl Fn(&mut Session<S>) -> Result<T, Error>,
        model: impl FnOnce(&mut Model<S>) -> Result<T, Error>,
    ) {
        let before = self.s.clone();
        let got = call(&mut self.s);
        let want = model(&mut self.model);
        assert!(same(&got, &want), "{what}: got {got:?}, expected {want:?}");
        if got.is_err() {
            check_unchanged(&before, &self.s, what);
        }
        for shadow in [&mut self.no_silent, &mut self.no_whisper, &mut self.probe] {
            let r = call(shadow);
            assert!(same(&r, &got), "{what}: shadow got {r:?}, session {got:?}");
            while shadow.poll_event().is_some() {}
        }
        self.check_events(what);
    }

    fn check_events(&mut self, what: &str) {
        while let Some(want) = self.model.events.pop_front() {
            let got = self.s.poll_event();
            assert_eq!(got, Some(want), "after {what}: audit trail");
        }
        assert_eq!(self.s.poll_event(), None, "after {what}: event too many");
    }

    fn frame(&self, f: &FrameArg) -> Vec<S> {
        let spf = self.model.spf;
        let len = match f.len {
            LenArg::Exact => spf,
            LenArg::Short(d) => spf.saturating_sub(1 + d as usize % spf),
            LenArg::Long(d) => spf + 1 + d as usize % 64,
        };
        let kind = f.kind;
        cycle(&f.bits, len, |b| S::from_fuzz(b, kind), S::SILENCE)
    }

    fn run(mut self, ops: &[Op]) {
        for op in ops.iter().take(MAX_OPS) {
            self.step(op);
        }
        // Every case ends on a tick so that its last changes are mixed.
        self.step(&Op::Tick);
    }

    fn step(&mut self, op: &Op) {
        match *op {
            Op::Join(r) => {
                let role = match r {
                    RoleArg::Customer => RefRole::Customer,
                    RoleArg::Agent => RefRole::Agent,
                    RoleArg::Supervisor => RefRole::Supervisor(Mode::Monitor),
                    RoleArg::Recorder => RefRole::Recorder { whisper: false },
                };
                self.control("join", |s| s.join(role_of(r)), |m| m.join(role));
            }
            Op::JoinSupervisor(mode) => {
                let mode = mode_of(mode);
                self.control(
                    "join_supervisor",
                    |s| s.join_supervisor(mode),
                    |m| m.join(RefRole::Supervisor(mode)),
                );
            }
            Op::JoinRecorder(whisper) => self.control(
                "join_recorder",
                |s| s.join_recorder(whisper),
                |m| m.join(RefRole::Recorder { whisper }),
            ),
            Op::Leave(w) => {
                let id = self.who(w);
                self.control("leave", |s| s.leave(id), |m| m.leave(id));
            }
            Op::SetMode(w, mode) => {
                let (id, mode) = (self.who(w), mode_of(mode));
                self.control(
                    "set_mode",
                    |s| s.set_mode(id, mode),
                    |m| m.set_mode(id, mode),
                );
            }
            Op::Override(l, t, db) => {
                let (l, t, db) = (self.who(l), self.who(t), db_of(db));
                self.control(
                    "set_route_gain",
                    |s| s.set_route_gain(l, t, db),
                    |m| m.set_route_gain(l, t, db),
                );
            }
            Op::Clear(l, t) => {
                let (l, t) = (self.who(l), self.who(t));
                self.control(
                    "clear_route_gain",
                    |s| s.clear_route_gain(l, t),
                    |m| m.clear(l, t),
                );
            }
            Op::SetVolume(w, db) => {
                let (id, db) = (self.who(w), db_of(db));
                self.control(
                    "set_volume",
                    |s| s.set_volume(id, db),
                    |m| m.set_volume(id, db),
                );
            }
            Op::SetRamp(r) => {
                let ramp = ramp_of(r, self.model.format.ptime().duration());
                self.control("set_ramp", |s| s.set_ramp(ramp), |m| m.set_ramp(ramp));
                assert_eq!(self.s.ramp(), self.model.ramp);
            }
            Op::Put(w, ref f) => {
                let id = self.who(w);
                let frame = self.frame(f);
                let before = self.s.clone();
                let got = self.s.put_frame(id, &frame);
                let want = self.model.put(id, &frame);
                assert!(
                    same(&got, &want),
                    "put_frame: got {got:?}, expected {want:?}"
                );
                if got.is_err() {
                    check_unchanged(&before, &self.s, "put_frame");
                }
                self.check_events("put_frame");
            }
            Op::FrameMut(w, ref f) => {
                let id = self.who(w);
                let mut frame = self.frame(f);
                frame.resize(self.model.spf, S::SILENCE);
                let before = self.s.clone();
                let got = self.s.frame_mut(id).map(|buf| {
                    assert!(
                        buf.iter().all(|&x| x.same(S::SILENCE)),
                        "frame_mut not zeroed"
                    );
                    buf.copy_from_slice(&frame);
                });
                let want = self.model.slot(id).map(|i| {
                    self.model.parties[i].frame = Some(frame.clone());
                });
                assert!(
                    same(&got, &want),
                    "frame_mut: got {got:?}, expected {want:?}"
                );
                if got.is_err() {
                    check_unchanged(&before, &self.s, "frame_mut");
                }
                self.check_events("frame_mut");
            }
            Op::Query(a, b) => self.query(self.who(a), self.who(b)),
            Op::Tick => self.tick(),
        }
    }

    fn query(&self, a: PartyId, b: PartyId) {
        let m = &self.model;
        let want = m.index(a).map(|i| &m.parties[i]);
        match (self.s.output(a), &want) {
            (Ok(out), Ok(p)) => assert!(
                out.len() == p.output.len() && out.iter().zip(&p.output).all(|(x, y)| x.same(*y)),
                "output of {a} between ticks"
            ),
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
            }
            (got, want) => assert_eq!(got.err(), want.as_ref().err().cloned(), "party({a})"),
        }
        let mode = want.as_ref().map(|p| p.mode()).map_err(Clone::clone);
        assert_eq!(self.s.mode(a), mode, "mode({a})");
        let o = m.route(a, b).map(|()| m.overrides.get(&(a, b)).copied());
        assert_eq!(self.s.route_gain(a, b), o, "route_gain({a}, {b})");
        assert_eq!(self.s.len(), m.parties.len());
        assert_eq!(self.s.is_empty(), m.parties.is_empty());
        assert_eq!(self.s.tick(), m.tick);
    }

    fn tick(&mut self) {
        let m = &self.model;
        let tick = m.tick;
        let n = m.parties.len();
        let probe = (n > 0).then(|| m.parties[tick as usize % n].id);
        for p in &m.parties {
            let silent = matches!(
                p.role,
                RefRole::Supervisor(Mode::Monitor) | RefRole::Recorder { .. }
            );
            let whispers = matches!(p.role, RefRole::Supervisor(Mode::Whisper));
            if Some(p.id) == probe {
                let f: Vec<S> = (0..m.spf).map(S::probe).collect();
                self.probe.put_frame(p.id, &f).unwrap();
            }
            let Some(f) = &p.frame else { continue };
            if !silent {
                self.no_silent.put_frame(p.id, f).unwrap();
            }
            if !silent && !whispers {
                self.no_whisper.put_frame(p.id, f).unwrap();
            }
            if Some(p.id) != probe {
                self.probe.put_frame(p.id, f).unwrap();
            }
        }
        // Who must not be heard, unless the host overrode the route.
        let silent: Vec<PartyId> = m
            .parties
            .iter()
            .filter(|p| {
                matches!(
                    p.role,
                    RefRole::Supervisor(Mode::Monitor) | RefRole::Recorder { .. }
                )
            })
            .map(|p| p.id)
            .collect();
        let whisper_or_silent: Vec<PartyId> = m
            .parties
            .iter()
            .filter(|p| {
                matches!(
                    p.role,
                    RefRole::Supervisor(Mode::Monitor | Mode::Whisper) | RefRole::Recorder { .. }
                )
            })
            .map(|p| p.id)
            .collect();

        self.s.mix();
        self.no_silent.mix();
        self.no_whisper.mix();
        self.probe.mix();
        self.model.mix();

        let m = &self.model;
        assert_eq!(self.s.tick(), m.tick);
        for p in &m.parties {
            let out = self.s.output(p.id).unwrap();
            for (i, (x, y)) in out.iter().zip(&p.output).enumerate() {
                assert!(
                    x.valid_output(),
                    "tick {tick}: {} hears invalid {x:?}",
                    p.id
                );
                assert!(
                    x.same(*y),
                    "tick {tick}: {} hears {x:?} at sample {i}, reference {y:?}",
                    p.id
                );
            }
            if !m.has_override_from(p.id, &silent) {
                assert!(
                    same_frame(out, self.no_silent.output(p.id).unwrap()),
                    "tick {tick}: a monitoring supervisor or recorder reached {}",
                    p.id
                );
            }
            if p.role == RefRole::Customer && !m.has_override_from(p.id, &whisper_or_silent) {
                assert!(
                    same_frame(out, self.no_whisper.output(p.id).unwrap()),
                    "tick {tick}: a whisper reached customer {}",
                    p.id
                );
            }
            if Some(p.id) == probe {
                assert!(
                    same_frame(out, self.probe.output(p.id).unwrap()),
                    "tick {tick}: {} hears itself",
                    p.id
                );
            }
            let st = self.s.party(p.id).unwrap().stats;
            assert_eq!(
                st.frames_mixed + st.frames_missing,
                p.present,
                "ticks present"
            );
            assert_eq!(
                (
                    st.frames_mixed,
                    st.frames_missing,
                    st.samples_clipped,
                    st.samples_non_finite
                ),
                (p.mixed, p.missing, p.clipped, p.non_finite),
                "tick {tick}: stats of {}",
                p.id
            );
        }
        self.check_events("mix");
        for shadow in [&mut self.no_silent, &mut self.no_whisper, &mut self.probe] {
            while shadow.poll_event().is_some() {}
        }
    }
}

fn same_frame<S: RefSample>(a: &[S], b: &[S]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same(*y))
}

// The byte format of a case. Hand-written rather than derived so that one
// byte picks an operation (mutations stay meaningful) and so that seeds can
// be written from Rust with `Input::encode` (see `tests/scenarios.rs`).
//
//   case  := flags rate ptime op*            flags bit 0: f32 samples
//   op    := tag(u8 % 13) args               in the order of `Op`'s variants
//   who   := u8        db := tag(u8 % 5) [i16 | u32]
//   ramp  := tag(u8 % 5) [u16 | u64]
//   frame := len(u8 % 4: exact, exact, short u16, long u16) kind(u8)
//            count(u8 % 17) u32 × count
// Missing bytes at the end read as zeros. Integers are little-endian.

type R<T> = arbitrary::Result<T>;

fn byte(u: &mut Unstructured<'_>) -> R<u8> {
    u8::arbitrary(u)
}

impl<'a> Arbitrary<'a> for Input {
    fn arbitrary(u: &mut Unstructured<'a>) -> R<Input> {
        let float = byte(u)? & 1 == 1;
        let (rate, ptime) = (byte(u)?, byte(u)?);
        let mut ops = Vec::new();
        while !u.is_empty() && ops.len() < MAX_OPS {
            ops.push(Op::arbitrary(u)?);
        }
        Ok(Input {
            float,
            rate,
            ptime,
            ops,
        })
    }
}

impl<'a> Arbitrary<'a> for Who {
    fn arbitrary(u: &mut Unstructured<'a>) -> R<Who> {
        Ok(Who(byte(u)?))
    }
}

impl<'a> Arbitrary<'a> for RoleArg {
    fn arbitrary(u: &mut Unstructured<'a>) -> R<RoleArg> {
        use RoleArg::*;
        Ok([Customer, Agent, Supervisor, Recorder][byte(u)? as usize % 4])
    }
}

impl<'a> Arbitrary<'a> for ModeArg {
    fn arbitrary(u: &mut Unstructured<'a>) -> R<ModeArg> {
        use ModeArg::*;
        Ok([Monitor, Whisper, Barge][byte(u)? as usize % 3])
    }
}

impl<'a> Arbitrary<'a> for DbArg {
    fn arbitrary(u: &mut Unstructured<'a>) -> R<DbArg> {
        Ok(match byte(u)? % 5 {
            0 => DbArg::Zero,
            1 => DbArg::Muted,
            2 => DbArg::Max,
            3 => DbArg::Tenths(i16::arbitrary(u)?),
            _ => DbArg::Raw(u32::arbitrary(u)?),
        })
    }
}

impl<'a> Arbitrary<'a> for RampArg {
    fn arbitrary(u: &mut Unstructured<'a>) -> R<RampArg> {
        Ok(match byte(u)? % 5 {
            0 => RampArg::Zero,
            1 => RampArg::Micros(u16::arbitrary(u)?),
            2 => RampArg::Nanos(u64::arbitrary(u)?),
            3 => RampArg::Frame,
            _ => RampArg::FramePlusOne,
        })
    }
}

impl<'a> Arbitrary<'a> for FrameArg {
    fn arbitrary(u: &mut Unstructured<'a>) -> R<FrameArg> {
        let len = match byte(u)? % 4 {
            0 | 1 => LenArg::Exact,
            2 => LenArg::Short(u16::arbitrary(u)?),
            _ => LenArg::Long(u16::arbitrary(u)?),
        };
        let kind = byte(u)?;
        let count = byte(u)? % 17;
        let bits = (0..count)
            .map(|_| u32::arbitrary(u))
            .collect::<R<Vec<u32>>>()?;
        Ok(FrameArg { len, kind, bits })
    }
}

impl<'a> Arbitrary<'a> for Op {
    fn arbitrary(u: &mut Unstructured<'a>) -> R<Op> {
        let w = |u: &mut Unstructured<'a>| Who::arbitrary(u);
        Ok(match byte(u)? % 13 {
            0 => Op::Join(RoleArg::arbitrary(u)?),
            1 => Op::JoinSupervisor(ModeArg::arbitrary(u)?),
            2 => Op::JoinRecorder(byte(u)? & 1 == 1),
            3 => Op::Leave(w(u)?),
            4 => Op::SetMode(w(u)?, ModeArg::arbitrary(u)?),
            5 => Op::Override(w(u)?, w(u)?, DbArg::arbitrary(u)?),
            6 => Op::Clear(w(u)?, w(u)?),
            7 => Op::SetVolume(w(u)?, DbArg::arbitrary(u)?),
            8 => Op::SetRamp(RampArg::arbitrary(u)?),
            9 => Op::Put(w(u)?, FrameArg::arbitrary(u)?),
            10 => Op::FrameMut(w(u)?, FrameArg::arbitrary(u)?),
            11 => Op::Tick,
            _ => Op::Query(w(u)?, w(u)?),
        })
    }
}

impl Input {
    /// The bytes that decode to this case: for writing seeds.
    pub fn encode(&self) -> Vec<u8> {
        let mut b = vec![self.float as u8, self.rate, self.ptime];
        for op in &self.ops {
            op.encode(&mut b);
        }
        b
    }
}

impl DbArg {
    fn encode(self, b: &mut Vec<u8>) {
        match self {
            DbArg::Zero => b.push(0),
            DbArg::Muted => b.push(1),
            DbArg::Max => b.push(2),
            DbArg::Tenths(t) => {
                b.push(3);
                b.extend(t.to_le_bytes());
            }
            DbArg::Raw(x) => {
                b.push(4);
                b.extend(x.to_le_bytes());
            }
        }
    }
}

impl RampArg {
    fn encode(self, b: &mut Vec<u8>) {
        match self {
            RampArg::Zero => b.push(0),
            RampArg::Micros(us) => {
                b.push(1);
                b.extend(us.to_le_bytes());
            }
            RampArg::Nanos(ns) => {
                b.push(2);
                b.extend(ns.to_le_bytes());
            }
            RampArg::Frame => b.push(3),
            RampArg::FramePlusOne => b.push(4),
        }
    }
}

impl FrameArg {
    fn encode(&self, b: &mut Vec<u8>) {
        match self.len {
            LenArg::Exact => b.push(0),
            LenArg::Short(d) => {
                b.push(2);
                b.extend(d.to_le_bytes());
            }
            LenArg::Long(d) => {
                b.push(3);
                b.extend(d.to_le_bytes());
            }
        }
        b.push(self.kind);
        let bits = &self.bits[..self.bits.len().min(16)];
        b.push(bits.len() as u8);
        for x in bits {
            b.extend(x.to_le_bytes());
        }
    }
}

impl Op {
    fn encode(&self, b: &mut Vec<u8>) {
        match self {
            Op::Join(r) => b.extend([0, *r as u8]),
            Op::JoinSupervisor(m) => b.extend([1, *m as u8]),
            Op::JoinRecorder(w) => b.extend([2, *w as u8]),
            Op::Leave(w) => b.extend([3, w.0]),
            Op::SetMode(w, m) => b.extend([4, w.0, *m as u8]),
            Op::Override(l, t, db) => {
                b.extend([5, l.0, t.0]);
                db.encode(b);
            }
            Op::Clear(l, t) => b.extend([6, l.0, t.0]),
            Op::SetVolume(w, db) => {
                b.extend([7, w.0]);
                db.encode(b);
            }
            Op::SetRamp(r) => {
                b.push(8);
                r.encode(b);
            }
            Op::Put(w, f) => {
                b.extend([9, w.0]);
                f.encode(b);
            }
            Op::FrameMut(w, f) => {
                b.extend([10, w.0]);
                f.encode(b);
            }
            Op::Tick => b.push(11),
            Op::Query(a, c) => b.extend([12, a.0, c.0]),
        }
    }
}
