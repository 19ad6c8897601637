//! The way in for a supervisor console that runs this PBX in its own
//! process (examples/dashboard): the live calls as it shows them
//! ([`CallView`], published by each call five times a second), and
//! supervisors put on a call on legs of the console's own
//! ([`ConsoleCommand`]): a browser's WebRTC track rather than a phone.
//!
//! A console's leg is two bounded channels of frames in the leg's format
//! ([`ConsoleLeg`]): each tick the call takes the frame that is waiting,
//! if one is (else the supervisor is silent that tick), and offers what the
//! supervisor hears (dropped if the console has not taken the last ones).
//! Neither side ever waits for the other: the call's tick never blocks on
//! the console. A leg whose frames' sender is gone (the browser went away,
//! the console stopped) leaves the call, which goes on.
//!
//! Every join and mode change is made with the supervisor's [`Identity`],
//! so that the call's policy decides it and its audit trail names the
//! person; a refusal is [`Error::Refused`] and an `Event::Refused` on the
//! call's audit trail, and changes nothing.

use std::sync::mpsc::{Receiver, SyncSender};
use std::sync::Arc;

use barge::{CallSignals, Consent, Error, Format, Identity, Mode, PartyId, Refusal, Role};
use tokio::sync::oneshot;

/// Frames a console leg's channels hold, each way (100 ms).
pub const LEG_FRAMES: usize = 5;

/// A supervisor's leg from a console: what it says, what it hears.
pub struct ConsoleLeg {
    /// Its frames, in `format`.
    pub said: Receiver<Vec<i16>>,
    /// What it hears, in `format`.
    pub heard: SyncSender<Vec<i16>>,
    /// Its format (a browser's Opus: 48 kHz, 20 ms).
    pub format: Format,
}

/// What a console asks of a call. Each carries where the answer goes.
pub enum ConsoleCommand {
    /// Join as supervisor `identity` in `mode` on `leg`, named `name` on
    /// the call's timeline. The answer is the new party, or why not.
    Join {
        /// Who joins (boxed: an identity holds its groups inline).
        identity: Box<Identity>,
        /// The console's name for it (its user).
        name: String,
        /// In which mode.
        mode: Mode,
        /// Its audio.
        leg: ConsoleLeg,
        /// The answer.
        reply: oneshot::Sender<Result<PartyId, Error>>,
    },
    /// Switch console party `party` to `mode`.
    SetMode {
        /// The party, as `Join` answered it.
        party: PartyId,
        /// The new mode.
        mode: Mode,
        /// The answer.
        reply: oneshot::Sender<Result<(), Error>>,
    },
    /// Take console party `party` off the call (the call goes on).
    Leave {
        /// The party, as `Join` answered it.
        party: PartyId,
        /// The answer.
        reply: oneshot::Sender<Result<(), Error>>,
    },
}

/// One party of a [`CallView`].
#[derive(Debug, Clone)]
pub struct PartyView {
    /// Its id in the call.
    pub id: PartyId,
    /// Its role.
    pub role: Role,
    /// How the call names it (`customer 5550101`, `agent alex`,
    /// `supervisor lee`).
    pub name: String,
    /// Its mode, for a supervisor.
    pub mode: Option<Mode>,
    /// What it said and heard since the last view, in dBFS.
    pub said_db: f64,
    /// See `said_db`.
    pub heard_db: f64,
    /// Whether it is on a console's leg (not a phone).
    pub console: bool,
    /// For a supervisor: each mode and whether it may switch to it now.
    pub modes: Vec<(Mode, Result<(), Refusal>)>,
}

/// A live call as a console shows it, made by the call between two ticks.
#[derive(Debug, Clone)]
pub struct CallView {
    /// The PBX's number for the call (unique while the PBX runs).
    pub number: u64,
    /// The extension dialled.
    pub ext: String,
    /// The caller (its SIP user).
    pub caller: String,
    /// The extension's agent.
    pub agent: Identity,
    /// The tick the call mixes next.
    pub tick: u64,
    /// Its media time, in seconds.
    pub seconds: f64,
    /// Whether anyone may listen yet.
    pub consent: Consent,
    /// The call signals as of the last tick.
    pub signals: CallSignals,
    /// Its parties, in the order they joined.
    pub parties: Vec<PartyView>,
    /// The last lines of its timeline, oldest first.
    pub timeline: Vec<String>,
}

/// A live call for a console: what it last showed, and where its commands go.
#[derive(Clone)]
pub struct LiveCall {
    /// The call as of its last view (shared: a console's copy of the
    /// list costs no copy of the views).
    pub view: Arc<CallView>,
    /// Its commands.
    pub commands: tokio::sync::mpsc::Sender<ConsoleCommand>,
}
