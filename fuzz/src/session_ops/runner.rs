//! The harness: the session under test, its model, its shadows and twins,
//! and the sessions whose ids it must refuse; each operation applied to all
//! of them and checked, and a call that fails checked to change nothing.

use std::collections::BTreeMap;
use std::fmt::Write;

use barge::{Error, Format, PartyId, Session, TapId, ToneGenerator};

use super::events::{FLOOD_BUDGET, FLOOD_WORK};
use super::input::{Input, Op, MAX_OPS, PARTY_CAPS, PTIMES, RATES};
use super::model::Model;
use super::shadows::Shadow;
use crate::reference::RefSample;

/// Errors compared by their `Debug` form, so that a NaN they carry
/// compares equal to itself.
pub(super) fn same<T: std::fmt::Debug>(got: &Result<T, Error>, want: &Result<T, Error>) -> bool {
    format!("{got:?}") == format!("{want:?}")
}

/// Runs one fuzz case, panicking on the first disagreement.
pub fn run(input: &Input) {
    let (rates, ptimes) = (RATES, PTIMES);
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
        Harness::<f32>::new(format, input.cap).run(&input.ops);
    } else {
        Harness::<i16>::new(format, input.cap).run(&input.ops);
    }
}

/// The session under test, its model, its shadows and the sessions whose
/// ids it must refuse.
pub(super) struct Harness<S: RefSample> {
    pub(super) s: Tested<S>,
    pub(super) model: Model<S>,
    /// Same control calls (taps included), other frames: see [`SHADOWS`].
    /// Each a copy of the twin made at the start of a tick in which it
    /// checks anything, for that tick only ([`Harness::ready_shadows`]):
    /// what it hid cannot then linger in a resampler's or a concealer's
    /// memory where a later tick checks other listeners. Between ticks they
    /// are `None`, and a control call is made on the twin alone, which
    /// leaves each as it would have left it. (What a tick could carry into
    /// the next where no converter or concealer is heard, the reference
    /// catches: it predicts those listeners bit for bit from the tick's own
    /// frames.)
    pub(super) shadows: [Option<Shadow<S>>; 5],
    /// The memory of the last tick's shadows, for the next tick's.
    pub(super) spare_shadows: Vec<Session<S>>,
    /// Same control calls, the same frames, always through `put_frame`
    /// and `mix`, and an all-silent frame for each missing one: it must
    /// hear what the session hears, bit for bit (`mix_frames` is
    /// `put_frame` and `mix`; a missing frame is a silent one, at every
    /// leg's rate).
    pub(super) twin: Session<S>,
    /// The twin without taps: the same calls but for `add_tap` and
    /// `remove_tap`, the same frames. Every party must hear what it hears
    /// in the session, bit for bit: taps change nothing anyone hears.
    /// `None` until the first `add_tap`: until then it is the twin.
    pub(super) untapped: Option<Session<S>>,
    /// Another call, with a party for each of this session's (joins and
    /// leaves mirrored), so that its ids have the same numbers.
    pub(super) other: Session<S>,
    pub(super) other_ids: Vec<PartyId>,
    /// The other call's taps, added and removed as this session's are, so
    /// that their ids have the same numbers.
    pub(super) other_taps: Vec<TapId>,
    /// A snapshot of the session before its first join, whose joins hand
    /// out `Model::snapshot_ids`.
    pub(super) snapshot: Session<S>,
    /// What is left of [`FLOOD_BUDGET`] and [`FLOOD_WORK`].
    pub(super) flood_left: usize,
    pub(super) flood_work: usize,
    /// The DTMF tone each party's frames of [`Op::PutDtmf`] go on with:
    /// its digit's code and its generator.
    pub(super) keys: BTreeMap<PartyId, (u8, ToneGenerator)>,
    /// The most parties on the call ([`Input::cap`]).
    cap: usize,
}

/// Checks that a call that failed left the session as it was: `==`, and
/// for a small session its whole `Debug` state, caches included.
///
/// A `Session<f32>` holding a frame with a NaN until the next tick is not
/// `==` to itself (its frames compare as `f32`); what its API shows is
/// compared instead, bit for bit.
///
/// `known` is `before`'s `Debug` state if it was formatted already;
/// returns it, for a small session, to be kept with `before`.
#[allow(clippy::eq_op)]
pub(super) fn check_unchanged<S: RefSample>(
    before: &Session<S>,
    after: &Session<S>,
    what: &str,
    known: Option<String>,
    scratch: &mut String,
) -> Option<String> {
    let fail = |part: &str| panic!("{what} failed but changed the session: {part}");
    if before == after {
    } else if before == before {
        fail("==");
    } else {
        let shown = |s: &Session<S>| {
            (
                s.tick(),
                s.ramp(),
                s.format(),
                s.event_limit(),
                s.events_pending(),
                s.parties().collect::<Vec<_>>(),
                s.taps().collect::<Vec<_>>(),
            )
        };
        if shown(before) != shown(after) {
            fail("tick, ramp, format, trail, parties or taps");
        }
        for t in before.taps() {
            if !same_frame(
                before.tap_frame(t.id).unwrap(),
                after.tap_frame(t.id).unwrap(),
            ) {
                fail("a tap's frame");
            }
        }
        let ids: Vec<PartyId> = before.parties().map(|p| p.id).collect();
        for &l in &ids {
            if !same_frame(before.output(l).unwrap(), after.output(l).unwrap()) {
                fail("an output");
            }
            if before.leg_format(l) != after.leg_format(l) {
                fail("a leg's format");
            }
            for &t in &ids {
                if l != t
                    && (before.route_gain(l, t) != after.route_gain(l, t)
                        || before.hears(l, t) != after.hears(l, t))
                {
                    fail("a route");
                }
            }
        }
    }
    // Formatting costs most of a case's time: only small sessions.
    let call = before.format();
    let size = before
        .parties()
        .map(|p| {
            let leg = before.leg_format(p.id).unwrap();
            let converted = leg.rate() != call.rate();
            call.samples_per_frame() + 4 * leg.samples_per_frame() * converted as usize
        })
        .sum::<usize>()
        + before
            .taps()
            .map(|t| {
                let converted = t.format.rate() != call.rate();
                let rows = before.tap_frame(t.id).unwrap().len() / t.format.samples_per_frame();
                rows * (call.samples_per_frame()
                    + 4 * t.format.samples_per_frame() * converted as usize)
            })
            .sum::<usize>()
        + 32 * before.events_pending();
    if size > 500 {
        return None;
    }
    let state = known.unwrap_or_else(|| format!("{before:?}"));
    // Into memory kept from call to call: a state runs to many kilobytes.
    scratch.clear();
    write!(scratch, "{after:?}").unwrap();
    if state != *scratch {
        fail("its state");
    }
    Some(state)
}

/// The session under test, and a copy of it that a call which must fail
/// is checked against: taken before the first such call, and kept for the
/// next while nothing but calls that failed and changed nothing touched the
/// session (anything else reaches it through [`Tested::get_mut`], which
/// drops the copy).
pub(super) struct Tested<S: RefSample> {
    session: Session<S>,
    /// Equal to `session` (`==`, and its `Debug` state where
    /// [`check_unchanged`] compares that), if kept.
    copy: Option<Session<S>>,
    /// The `Debug` state of the copy last handed out by [`Tested::copy`],
    /// once formatted.
    state: Option<String>,
    /// The memory of a copy no longer equal to the session, for the next.
    spare: Option<Session<S>>,
    /// Memory for the `Debug` state of the session after a failed call.
    scratch: String,
}

impl<S: RefSample> std::ops::Deref for Tested<S> {
    type Target = Session<S>;

    fn deref(&self) -> &Session<S> {
        &self.session
    }
}

impl<S: RefSample> Tested<S> {
    /// The session, for anything that may change it.
    pub(super) fn get_mut(&mut self) -> &mut Session<S> {
        if let Some(copy) = self.copy.take() {
            self.spare = Some(copy);
        }
        self.state = None;
        &mut self.session
    }

    /// A copy of the session, in the memory of an earlier one if there is
    /// one.
    fn fresh_copy(&mut self) -> Session<S> {
        match self.spare.take() {
            Some(mut spare) => {
                spare.clone_from(&self.session);
                spare
            }
            None => self.session.clone(),
        }
    }

    /// The session as it is, before a call that must fail; to be handed
    /// back to [`Tested::unchanged`] or [`Tested::failed`].
    pub(super) fn copy(&mut self) -> Session<S> {
        match self.copy.take() {
            Some(copy) => copy,
            None => {
                self.state = None;
                self.fresh_copy()
            }
        }
    }

    /// After a call that must have failed: the session is as `before`
    /// holds it, which stays as its copy.
    pub(super) fn unchanged(&mut self, before: Session<S>, what: &str) {
        self.state = check_unchanged(
            &before,
            &self.session,
            what,
            self.state.take(),
            &mut self.scratch,
        );
        self.copy = Some(before);
    }

    /// After a call that failed: nothing changed, and for a refusal nothing
    /// but the audit trail (which the model checks): the two compared with
    /// their trails drained.
    pub(super) fn failed<T>(&mut self, mut before: Session<S>, what: &str, got: &Result<T, Error>) {
        if let Err(Error::Refused { .. }) = got {
            let mut after = self.fresh_copy();
            while before.poll_event().is_some() {}
            while after.poll_event().is_some() {}
            self.state = None;
            let what = format!("{what} (refused)");
            check_unchanged(&before, &after, &what, None, &mut self.scratch);
            self.spare = Some(after);
        } else {
            self.unchanged(before, what);
        }
    }
}

pub(super) fn same_frame<S: RefSample>(a: &[S], b: &[S]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same(*y))
}

impl<S: RefSample> Harness<S> {
    pub(super) fn new(format: Format, cap: u8) -> Self {
        let s = Session::new(format);
        let mut shadow = s.clone();
        // Their trails are not checked; they keep none.
        shadow.set_event_limit(0);
        let mut other = Session::new(format);
        other.set_event_limit(0);
        Harness {
            shadows: Default::default(),
            spare_shadows: Vec::new(),
            twin: shadow.clone(),
            untapped: None,
            snapshot: shadow,
            other,
            other_ids: Vec::new(),
            other_taps: Vec::new(),
            s: Tested {
                session: s,
                copy: None,
                state: None,
                spare: None,
                scratch: String::new(),
            },
            model: Model::new(format),
            flood_left: FLOOD_BUDGET,
            flood_work: FLOOD_WORK,
            keys: BTreeMap::new(),
            cap: PARTY_CAPS[cap as usize % PARTY_CAPS.len()],
        }
    }

    /// Besides the session, the sessions a control call is made on: the
    /// shadows while they are sessions of their own, the twin, and, but for
    /// a tap's call, the untapped twin once it is one of its own.
    pub(super) fn followers(&mut self, tap: bool) -> impl Iterator<Item = &mut Session<S>> {
        let untapped = self.untapped.as_mut().filter(|_| !tap);
        self.shadows
            .iter_mut()
            .flatten()
            .map(|s| &mut s.session)
            .chain([&mut self.twin])
            .chain(untapped)
    }

    /// Applies a control call to the session, the model and the shadows;
    /// checks the result, and the unchanged state on failure.
    pub(super) fn control<T: std::fmt::Debug>(
        &mut self,
        what: &str,
        call: impl Fn(&mut Session<S>) -> Result<T, Error>,
        model: impl FnOnce(&mut Model<S>) -> Result<T, Error>,
    ) -> Result<T, Error> {
        // The model answers first, so that the session is copied only for
        // a call that must fail (one that fails unforeseen fails the
        // comparison anyway).
        let want = model(&mut self.model);
        let before = want.is_err().then(|| self.s.copy());
        let got = call(self.s.get_mut());
        assert!(same(&got, &want), "{what}: got {got:?}, expected {want:?}");
        if let Some(before) = before {
            self.s.failed(before, what, &got);
        }
        for shadow in self.followers(false) {
            let r = call(shadow);
            assert!(same(&r, &got), "{what}: shadow got {r:?}, session {got:?}");
        }
        got
    }

    fn run(mut self, ops: &[Op]) {
        for op in ops.iter().take(MAX_OPS) {
            self.step(op);
            assert_eq!(
                self.s.events_pending(),
                self.model.trail.pending(),
                "events pending after {op:?}"
            );
            assert_eq!(self.s.event_limit(), self.model.trail.limit);
            self.check_policy_holds();
        }
        // Every case ends on a tick so that its last changes are mixed,
        // and with the whole audit trail drained.
        self.step(&Op::Tick);
        self.poll(usize::MAX);
        assert_eq!(self.s.events_pending(), 0);
    }

    /// One operation, on the session, the model and the others, checked.
    fn step(&mut self, op: &Op) {
        if op.joins() && self.model.parties.len() >= self.cap {
            return;
        }
        match *op {
            Op::Join(r) => self.join_role(r),
            Op::JoinSupervisor(mode) => self.join_supervisor(mode),
            Op::JoinRecorder(whisper) => self.join_recorder(whisper),
            Op::Leave(w) => self.leave(w),
            Op::SetMode(w, mode) => self.set_mode(w, mode),
            Op::SetRouteGain(l, t, db) => self.set_route_gain(l, t, db),
            Op::ClearRouteGain(l, t) => self.clear_route_gain(l, t),
            Op::SetVolume(w, db) => self.set_volume(w, db),
            Op::SetRamp(r) => self.set_ramp(r),
            Op::SetEventLimit(l) => self.set_event_limit(l),
            Op::Poll(n) => self.poll(if n == 255 { usize::MAX } else { n as usize }),
            Op::Flood(w, n) => self.flood(w, n),
            Op::Put(w, ref f) => self.put_frame(w, f),
            Op::PutDtmf(w, d, on) => self.put_dtmf(w, d, on),
            Op::JoinAnnouncement(a) => self.join_announcement(a),
            Op::SetAudience(w, a) => self.set_audience(w, a),
            Op::Play(w, t) => self.play(w, t),
            Op::Stop(w) => self.stop(w),
            Op::SetCue(on, cue) => self.set_cue(on, cue),
            Op::SetDtmfMap(k) => self.set_dtmf_map(k),
            Op::Press(w, d) => self.press(w, d),
            Op::DetectDtmf(w, on) => self.detect_dtmf(w, on),
            Op::JoinAs(r, i) => self.join_as(r, i),
            Op::JoinSupervisorAs(mode, i) => self.join_supervisor_as(mode, i),
            Op::SetPolicy(ref p) => self.set_policy(p),
            Op::RequireDisclosure(refuse) => self.require_disclosure(refuse),
            Op::RecordConsent => self.record_consent(),
            Op::SetDisclosure(w) => self.set_disclosure(w),
            Op::PromptEnded(w) => self.prompt_ended(w),
            Op::SkipFrame(w) => self.skip_frame(w),
            Op::JoinOnLeg(r, l, c) => self.join_on_leg(r, l, c),
            Op::LoseFrame(w) => self.lose_frame(w),
            Op::Compliance(w) => {
                let id = self.who(w);
                self.compliance(id);
            }
            Op::FrameMut(w, ref f) => self.frame_mut(w, f),
            Op::Query(a, b) => {
                let (a, b) = (self.who(a), self.who(b));
                self.query(a, b);
            }
            Op::Tick => self.tick(None),
            Op::SetLegFormat(w, l) => self.set_leg_format(w, l),
            Op::MixFrames(ref a) => self.mix_frames(a),
            Op::AddTap(a) => self.add_tap(a),
            Op::RemoveTap(w) => self.remove_tap(w),
            Op::TapQuery(t, p) => {
                let (t, p) = (self.which_tap(t), self.who(p));
                self.tap_query(t, p);
            }
        }
    }
}
