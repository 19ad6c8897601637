//! `session_ops`: an arbitrary sequence of every control call the API has,
//! frames, event draining and ticks on one [`Session`], checked after every
//! call and every tick against a reference model ([`Model`]), five
//! shadow sessions, a twin and a twin without taps.
//!
//! - Every call returns what the model predicts, error for error: joins in
//!   every role and mode, leaves, all five modes, route gains and volumes on
//!   any pair or party (supervisors and recorders included), ramps, event
//!   limits, frames of wrong lengths and duplicate frames, and ids of
//!   parties that left, of another session (a second session the harness
//!   keeps, whose ids have the same numbers: [`Error::ForeignParty`]) and
//!   of a snapshot's later joins ([`Error::UnknownParty`]). A call that
//!   fails leaves the session exactly as it was (`==`, and its full `Debug`
//!   state for a small session).
//! - The audit trail holds what the model's bounded trail holds: events
//!   only for real changes, the oldest dropped when full, and one
//!   [`Event::Dropped`] (count, ticks of the first and last dropped) before
//!   the events kept; `events_pending` and `event_limit` after every call.
//! - Every output of every tick matches the reference mixer bit for bit,
//!   and so do the per-party statistics; `frames_mixed + frames_missing`
//!   is the number of ticks the party was present for. Route gains apply
//!   only where the modes open a route; a route the modes close closes at
//!   once, routes that open and gains that change ramp.
//! - Privacy, with no exemption: in a shadow session in which some talkers
//!   send no frame or a different one, every listener that the mode table
//!   keeps from all of those talkers (or that is one of them) hears the
//!   same output bit for bit. The shadows hide, each tick: one talker (in
//!   turn); everyone kept from one listener (in turn); every talker kept
//!   from everyone (monitoring supervisors, recorders); every talker kept
//!   from a customer. So a monitoring supervisor or a recorder reaches
//!   nobody, a whisper never reaches a customer, and nobody hears
//!   themselves.
//! - Legs of shorter frames than the call's (a 10 ms leg on a 20 ms or
//!   60 ms call, at the call's rate or another): each frame of a tick taken
//!   one by one (`put_frame`, `frame_mut`, `skip_frame`, `lose_frame`) or
//!   all at once lent to `mix_frames`; one too many, a lent tick, a new
//!   leg format or a tone after any of them is [`Error::DuplicateFrame`];
//!   `frame_due` until all are taken; the output all the tick's frames
//!   back to back; statistics per frame. At the call's rate such a leg is
//!   predicted bit for bit, and the twins and shadows take its frames as
//!   the session did, so the privacy checks cover it.
//! - An `f32` output is always finite and within full scale.
//! - Recording taps: `add_tap` in every layout, with and without whispers
//!   and supervisors, swapped or not, at every rate (the call's among
//!   them; an unsupported one is refused by `Tap::at_rate`), up to
//!   [`MAX_TAPS`]; `remove_tap`; `tap_frame`, `tap_channel` (both channels,
//!   [`Error::NotStereo`] on stems), `tap_stem` ([`Error::NotStems`] on
//!   stereo) with parties present, gone or foreign, `tap_format`, `tap`
//!   and `taps`; with ids of taps on the call, removed, of a snapshot's
//!   later adds ([`Error::UnknownTap`]) and of other sessions
//!   ([`Error::ForeignTap`]). Every result and error as the model says, a
//!   failing call changes nothing, and `TapAdded` / `TapRemoved` are on the
//!   trail. After every tick: a tap's frame is 2 × its samples per frame
//!   (stereo, interleaved left first as `swapped` says) or one stem per
//!   party in order, every sample valid; a channel at the call's rate on
//!   which no leg at another rate is heard is the reference mix of the
//!   talkers it records at their volume (ramping in, closing at once), and
//!   so is its clipped count; every tap is as in the twin. Every party
//!   hears what it hears in a twin that never had a tap, bit for bit, with
//!   the same statistics. And every channel that records none of what a
//!   shadow hid this tick (a fifth shadow hides every supervisor) is as in
//!   that shadow: a tap without whispers holds nothing of a supervisor in
//!   whisper or private whisper, one without supervisors nothing of any
//!   supervisor, none anything of a monitoring supervisor or a recorder,
//!   and a stem nothing but its own party. Each shadow is a copy of the
//!   twin made for one tick (none where it would check nothing), so that a
//!   resampler's or a concealer's memory holds nothing it hid before.
//! - Announcements, cues, the keypad and compliance: `join_announcement`,
//!   `set_audience`, `play`, `stop`, `set_cue`, `set_dtmf_map`, `press`,
//!   `detect_dtmf` (with DTMF tones in a supervisor's frames), `join_as`,
//!   `join_supervisor_as`, `set_policy`, `require_disclosure`,
//!   `record_consent`, `set_disclosure`, `consent`, `routes`,
//!   `media_time`. The model plays tones with its own [`ToneGenerator`]
//!   and listens for digits with its own [`DtmfDetector`], so every
//!   listener of an announcement is predicted bit for bit (exactly its
//!   audience, taps on the agent side iff recorders are in it), a digit is
//!   muted from the frame that recognises it and switches the mode from the
//!   next tick. Refusals follow the grant rule of [`PolicyArg::granted`],
//!   written from the policy docs; a refused call changes nothing but the
//!   trail. After every operation each supervisor on a call with a policy
//!   is in a mode granted on every agent there; while the consent gate is
//!   pending no supervisor, recorder or tap hears anything.

//!
//! # Where each part lives
//!
//! One file per concern, named as the session's own files in
//! `barge/src/session/` are, so that the model of a rule and its checks
//! sit in the file named after the rule:
//!
//! - `input.rs`: the operations, their arguments and the byte format they
//!   are decoded from (and encoded to, for seeds).
//! - `runner.rs`: [`run`], the harness (the session, its shadows, twins and
//!   the sessions whose ids it must refuse), a control call applied to all
//!   of them and checked, and the check that a failed call changed nothing.
//! - `model.rs`: the reference model's state.
//! - `party.rs`: joins, leaves, modes and volumes; ids and their errors;
//!   the queries of a party.
//! - `routes.rs`: route gains, what a route is heading for (the modes
//!   close it whatever the host set), ramps.
//! - `tick.rs`: the reference tick, and a tick of the session checked
//!   against it (outputs bit for bit, statistics, the twins).
//! - `shadows.rs`: the privacy checks: what each shadow hides this tick and
//!   who must hear the same in it.
//! - `frames.rs`: `put_frame`, `frame_mut` and `mix_frames`.
//! - `legs.rs`: legs at another format (rate, or frames shorter than the
//!   call's).
//! - `taps.rs`: recording taps, their calls and what they record.
//! - `announce.rs` and `cue.rs`: announcements, tones and cues.
//! - `digits.rs`: the keypad, pressed and in band.
//! - `consent.rs`: identities, the policy and its grant rule, the consent
//!   gate and the disclosure.
//! - `events.rs`: the bounded audit trail, floods of it and draining it.

#[cfg(doc)]
use barge::{dtmf::DtmfDetector, Error, Event, Session, ToneGenerator, MAX_TAPS};

mod announce;
mod consent;
mod cue;
mod digits;
mod events;
mod frames;
mod input;
mod legs;
mod model;
mod party;
mod routes;
mod runner;
mod shadows;
mod taps;
mod tick;

pub use consent::{GROUPS, KEYS};
pub use events::{FLOOD_BUDGET, FLOOD_WORK};
pub use input::{
    AudArg, DbArg, Fault, FrameArg, IdArg, Input, LegArg, LenArg, LimitArg, MixArg, ModeArg, Op,
    PolicyArg, RampArg, RoleArg, TapArg, TapWho, ToneArg, Who, PARTY_CAPS,
};
pub use model::Model;
pub use runner::run;
