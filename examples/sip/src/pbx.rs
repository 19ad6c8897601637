//! The signalling: every request the PBX receives, answered or handed to
//! the call it belongs to.
//!
//! | request | answer |
//! |---|---|
//! | INVITE to an extension | 180, then 200 once the agent's phone answers; 404 unknown extension, 486 a call on it already, 480 the agent's phone does not answer |
//! | INVITE to `*222<ext>` or `88<ext>` from a supervisor | 200, in monitor; 403 not a supervisor or outside its grant, 404 unknown extension, 480 no call on it |
//! | an INVITE's SDP | 400 malformed, 488 no codec in common |
//! | INFO in a call (`application/dtmf-relay`) | 200, the key taken; 400 malformed, 415 another type |
//! | BYE, re-INVITE, OPTIONS in a call | handled by the call |
//! | a request in no dialog we know | 481 |

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use rsipstack::dialog::dialog::DialogStateSender;
use rsipstack::dialog::dialog_layer::DialogLayer;
use rsipstack::sip::prelude::HeadersExt;
use rsipstack::sip::{Method, StatusCode, Uri};
use rsipstack::transaction::transaction::Transaction;
use rsipstack::transaction::TransactionReceiver;
use tokio::sync::mpsc;

use crate::call::{self, Command, COMMANDS};
use crate::config::Config;
use crate::console::{CallView, ConsoleCommand, LiveCall};
use crate::media::LegSetup;
use crate::sdp::{self, SdpError};

/// An extension's call, as the signalling sees it.
pub enum Slot {
    /// The customer's INVITE is in; the agent's phone rings.
    Ringing,
    /// Bridged: its task takes commands, its dialogs report to it.
    Bridged {
        /// The call's commands.
        commands: mpsc::Sender<Command>,
        /// Where its dialogs report.
        states: DialogStateSender,
    },
}

/// What every task of the PBX shares.
pub struct Pbx {
    /// The config file, checked.
    pub config: Config,
    /// The address RTP binds to (the SIP address's).
    pub ip: IpAddr,
    /// Where SIP listens.
    pub sip_addr: SocketAddr,
    /// Our Contact.
    pub contact: Uri,
    /// rsipstack's dialogs.
    pub dialogs: Arc<DialogLayer>,
    calls: Mutex<HashMap<String, Slot>>,
    /// The bridged calls as a console shows them, by number: each call
    /// replaces its own entry five times a second (never on its media
    /// path's way: it holds the lock only to swap the entry).
    live: Mutex<BTreeMap<u64, LiveCall>>,
    next: AtomicU64,
}

/// The feature codes: `*222<ext>` (an Asterisk site convention) and
/// `88<ext>` (FreeSWITCH's eavesdrop); the extension dialled, if `dialed`
/// is one.
pub fn feature_code(dialed: &str) -> Option<&str> {
    ["*222", "88"]
        .iter()
        .find_map(|p| dialed.strip_prefix(p))
        .filter(|ext| !ext.is_empty())
}

impl Pbx {
    /// The PBX for `config`, listening at `sip_addr`.
    pub fn new(config: Config, sip_addr: SocketAddr, dialogs: Arc<DialogLayer>) -> Pbx {
        let contact = format!("sip:barge@{sip_addr}")
            .as_str()
            .try_into()
            .unwrap_or_default();
        Pbx {
            config,
            ip: sip_addr.ip(),
            sip_addr,
            contact,
            dialogs,
            calls: Mutex::new(HashMap::new()),
            live: Mutex::new(BTreeMap::new()),
            next: AtomicU64::new(1),
        }
    }

    fn calls(&self) -> std::sync::MutexGuard<'_, HashMap<String, Slot>> {
        // A task that panicked while holding it left the map consistent
        // (each change is one insert or remove).
        self.calls.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The extension's call is over.
    pub fn release(&self, ext: &str) {
        self.calls().remove(ext);
    }

    /// The extension's call is bridged.
    pub fn bridged(&self, ext: &str, commands: mpsc::Sender<Command>, states: DialogStateSender) {
        self.calls()
            .insert(ext.to_string(), Slot::Bridged { commands, states });
    }

    fn live(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, LiveCall>> {
        // Each change is one insert or remove.
        self.live.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A bridged call shows `view`, and takes a console's commands on
    /// `commands`.
    pub fn publish(&self, view: CallView, commands: &mpsc::Sender<ConsoleCommand>) {
        let number = view.number;
        let live = LiveCall {
            view: Arc::new(view),
            commands: commands.clone(),
        };
        self.live().insert(number, live);
    }

    /// Call `number` has ended.
    pub fn unpublish(&self, number: u64) {
        self.live().remove(&number);
    }

    /// The live bridged calls, oldest first, as of their last views.
    pub fn live_calls(&self) -> Vec<LiveCall> {
        self.live().values().cloned().collect()
    }

    /// Live call `number`, as of its last view.
    pub fn live_call(&self, number: u64) -> Option<LiveCall> {
        self.live().get(&number).cloned()
    }

    /// How many calls are up or ringing.
    pub fn active(&self) -> usize {
        self.calls().len()
    }
}

/// Answers every transaction that comes in, until the endpoint stops.
pub async fn serve(pbx: Arc<Pbx>, mut incoming: TransactionReceiver) {
    while let Some(tx) = incoming.recv().await {
        let pbx = pbx.clone();
        tokio::spawn(async move { handle(pbx, tx).await });
    }
}

/// The user part of a URI.
fn user(uri: &Uri) -> Option<String> {
    uri.auth.as_ref().map(|a| a.user.clone())
}

async fn handle(pbx: Arc<Pbx>, mut tx: Transaction) {
    let in_dialog = tx
        .original
        .to_header()
        .ok()
        .and_then(|to| to.tag().ok().flatten())
        .is_some();
    if in_dialog {
        match pbx.dialogs.match_dialog(&tx) {
            Some(mut d) => {
                let _ = d.handle(&mut tx).await;
            }
            None if tx.original.method == Method::Ack => {}
            None => {
                let _ = tx.reply(StatusCode::CallTransactionDoesNotExist).await;
            }
        }
        return;
    }
    match tx.original.method {
        Method::Invite => invite(pbx, tx).await,
        Method::Ack => {}
        Method::Options => {
            let _ = tx.reply(StatusCode::OK).await;
        }
        Method::Bye | Method::Info | Method::Cancel => {
            let _ = tx.reply(StatusCode::CallTransactionDoesNotExist).await;
        }
        _ => {
            let _ = tx.reply(StatusCode::MethodNotAllowed).await;
        }
    }
}

/// Refuses an INVITE with `code`, and says so.
async fn refuse(tx: &mut Transaction, code: StatusCode, why: &str) {
    let _ = writeln_out(format!(
        "refused {} from {}: {} {why}",
        tx.original.uri,
        tx.original
            .from_header()
            .ok()
            .and_then(|f| f.uri().ok())
            .map_or_else(|| "?".to_string(), |u| u.to_string()),
        u16::from(code.clone())
    ));
    let _ = tx.reply(code).await;
}

fn writeln_out(line: String) -> std::io::Result<()> {
    use std::io::Write as _;
    writeln!(std::io::stdout(), "{line}")
}

/// The offer's audio stream, or the answer for a bad one.
async fn offer(tx: &mut Transaction) -> Option<sdp::Audio> {
    match sdp::parse(tx.original.body()) {
        Ok(a) => Some(a),
        Err(SdpError::NoCodec) => {
            refuse(tx, StatusCode::NotAcceptableHere, "no codec in common").await;
            None
        }
        Err(e @ SdpError::Malformed(_)) => {
            refuse(tx, StatusCode::BadRequest, &e.to_string()).await;
            None
        }
    }
}

/// The offer's leg with a local RTP port for it, or the answer that says
/// why not (a bad offer, or no port).
async fn leg_for(pbx: &Pbx, tx: &mut Transaction) -> Option<LegSetup> {
    let audio = offer(tx).await?;
    let Ok(socket) = LegSetup::bind(pbx.ip) else {
        refuse(tx, StatusCode::ServiceUnavailable, "no RTP port").await;
        return None;
    };
    Some(LegSetup {
        socket,
        remote: audio.addr,
        codec: audio.codecs[0],
        telephone_event: audio.telephone_event,
    })
}

async fn invite(pbx: Arc<Pbx>, mut tx: Transaction) {
    let dialed = user(&tx.original.uri).unwrap_or_default();
    let caller = tx
        .original
        .from_header()
        .ok()
        .and_then(|f| f.uri().ok())
        .and_then(|u| user(&u))
        .unwrap_or_default();
    if !pbx.config.extensions.contains_key(&dialed) {
        if let Some(ext) = feature_code(&dialed) {
            let ext = ext.to_string();
            return supervise(pbx, tx, caller, ext).await;
        }
    }
    let Some(ext) = pbx.config.extensions.get(&dialed).cloned() else {
        return refuse(&mut tx, StatusCode::NotFound, "no such extension").await;
    };
    let busy = pbx.calls().contains_key(&dialed);
    if busy {
        return refuse(&mut tx, StatusCode::BusyHere, "a call on it already").await;
    }
    let Some(setup) = leg_for(&pbx, &mut tx).await else {
        return;
    };
    // The extension is taken from here on (a second INVITE is busy).
    let taken = {
        let mut calls = pbx.calls();
        let busy = calls.contains_key(&dialed);
        if !busy {
            calls.insert(dialed.clone(), Slot::Ringing);
        }
        !busy
    };
    if !taken {
        return refuse(&mut tx, StatusCode::BusyHere, "a call on it already").await;
    }
    let (states_tx, states) = pbx.dialogs.new_dialog_state_channel();
    let dialog = match pbx.dialogs.get_or_create_server_invite(
        &tx,
        states_tx.clone(),
        None,
        Some(pbx.contact.clone()),
    ) {
        Ok(d) => d,
        Err(_) => {
            pbx.release(&dialed);
            return refuse(&mut tx, StatusCode::ServerInternalError, "no dialog").await;
        }
    };
    let _ = dialog.ringing(None, None);
    let number = pbx.next.fetch_add(1, Ordering::Relaxed);
    let (commands_tx, commands) = mpsc::channel(COMMANDS);
    tokio::spawn(call::run(
        pbx.clone(),
        number,
        dialed,
        ext,
        caller,
        dialog.clone(),
        setup,
        states,
        states_tx,
        commands,
        commands_tx,
    ));
    let mut dialog = dialog;
    let _ = dialog.handle(&mut tx).await;
}

async fn supervise(pbx: Arc<Pbx>, mut tx: Transaction, user: String, ext: String) {
    let Some(identity) = pbx.config.supervisors.get(&user).cloned() else {
        return refuse(&mut tx, StatusCode::Forbidden, "not a supervisor").await;
    };
    if !pbx.config.extensions.contains_key(&ext) {
        return refuse(&mut tx, StatusCode::NotFound, "no such extension").await;
    }
    let slot = {
        let calls = pbx.calls();
        match calls.get(&ext) {
            Some(Slot::Bridged { commands, states }) => Some((commands.clone(), states.clone())),
            _ => None,
        }
    };
    let Some((commands, states)) = slot else {
        return refuse(&mut tx, StatusCode::TemporarilyUnavailable, "no call on it").await;
    };
    let Some(setup) = leg_for(&pbx, &mut tx).await else {
        return;
    };
    let mut dialog =
        match pbx
            .dialogs
            .get_or_create_server_invite(&tx, states, None, Some(pbx.contact.clone()))
        {
            Ok(d) => d,
            Err(_) => {
                return refuse(&mut tx, StatusCode::ServerInternalError, "no dialog").await;
            }
        };
    let command = Command::Supervise {
        user,
        identity,
        setup,
        dialog: dialog.clone(),
    };
    if commands.try_send(command).is_err() {
        let _ = dialog.reject(Some(StatusCode::TemporarilyUnavailable), None);
        pbx.dialogs.remove_dialog(&dialog.id());
    }
    let _ = dialog.handle(&mut tx).await;
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn feature_codes_name_the_extension() {
        assert_eq!(feature_code("*2221001"), Some("1001"));
        assert_eq!(feature_code("881001"), Some("1001"));
        assert_eq!(feature_code("*222"), None);
        assert_eq!(feature_code("1001"), None);
        assert_eq!(feature_code("*2211001"), None);
    }
}
