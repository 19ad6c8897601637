//! The PBX's live calls on the console (`--pbx`): the console runs the SIP
//! example's PBX in its own process ([`barge_sip::start`]), lists the
//! calls it has bridged (each call's own view, [`CallView`], which the call
//! publishes five times a second) and puts supervisors on them on legs of
//! their own ([`barge_sip::console`]): the browser's WebRTC audio goes to
//! the call's task and back through bounded channels, 20 ms frames at
//! 48 kHz that barge resamples into the call; neither side ever waits for
//! the other.
//!
//! The page numbers a live call [`LIVE_BASE`] + the PBX's number for it,
//! so that its number never meets a simulated call's.

use std::fmt::Write as _;
use std::sync::Arc;

use barge::{BeforeDisclosure, Consent, Identity, Mode, PartyId, Policy, Reason as Why, Refusal};
use barge_sip::console::CallView;

use crate::attention::Reason;
use crate::calls::{json_string, signals_json};

/// A live call's number on the page: this plus the PBX's number for it.
pub const LIVE_BASE: usize = 100;

/// The page's number for the PBX's call `number`.
pub fn page_number(number: u64) -> usize {
    LIVE_BASE + number as usize
}

/// The PBX's number for the page's call `n`, if `n` names a live call.
pub fn pbx_number(n: usize) -> Option<u64> {
    n.checked_sub(LIVE_BASE)
        .filter(|&k| k > 0)
        .map(|k| k as u64)
}

/// What supervisor `identity` may do on the live call `view` in `mode`:
/// for one on the call (`party`), what the call's session said in its
/// view ([`barge::Session::modes_for`]); for one who is not, what a join
/// would check (the consent gate where it refuses joins, then `policy` on
/// the call's agent).
pub fn may(
    view: &CallView,
    party: Option<PartyId>,
    identity: &Identity,
    policy: Option<&Arc<Policy>>,
    mode: Mode,
) -> Result<(), Refusal> {
    if let Some(p) = party.and_then(|id| view.parties.iter().find(|p| p.id == id)) {
        if let Some((_, allowed)) = p.modes.iter().find(|(m, _)| *m == mode) {
            return *allowed;
        }
    }
    if view.consent == Consent::Pending(BeforeDisclosure::RefuseJoins) {
        return Err(Refusal {
            supervisor: Some(identity.key()),
            agent: Some(view.agent.key()),
            mode,
            reason: Why::ConsentPending,
        });
    }
    match policy {
        Some(policy) => policy.allows_on_call(Some(identity), [Some(&view.agent)], mode),
        None => Ok(()),
    }
}

/// The live call `view` as JSON for the page, with its `reasons` for
/// attention (the simulated calls' fields; `live` is true, and a party on
/// a console's leg is named by its user).
pub fn json(view: &CallView, reasons: &[Reason], out: &mut String) {
    let n = page_number(view.number);
    let _ = write!(out, "{{\"n\":{n},\"live\":true,\"name\":");
    json_string(out, &format!("Ext {} (call {})", view.ext, view.number));
    out.push_str(",\"caller\":");
    json_string(out, &view.caller);
    let _ = write!(out, ",\"tick\":{},\"parties\":[", view.tick);
    for (i, p) in view.parties.iter().enumerate() {
        let who = p
            .name
            .split_once(' ')
            .map_or(p.name.as_str(), |(_, who)| who);
        let _ = write!(
            out,
            "{}{{\"id\":\"{}\",\"role\":\"{}\",\"who\":",
            if i > 0 { "," } else { "" },
            p.id,
            p.role
        );
        json_string(out, who);
        let _ = write!(
            out,
            ",\"console\":{},\"mode\":{},\"said_db\":{:.1},\"heard_db\":{:.1}}}",
            p.console,
            p.mode.map_or("null".into(), |m| format!("\"{m}\"")),
            p.said_db,
            p.heard_db
        );
    }
    out.push_str("],\"events\":[");
    for (i, line) in view.timeline.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        json_string(out, line);
    }
    out.push_str("],\"silent\":false,\"scenario\":\"live\",");
    signals_json(out, view.consent, &view.signals, reasons);
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn live_calls_are_numbered_apart_from_the_simulated_ones() {
        assert_eq!(page_number(7), 107);
        assert_eq!(pbx_number(107), Some(7));
        assert_eq!(pbx_number(100), None);
        assert_eq!(pbx_number(4), None);
    }
}
