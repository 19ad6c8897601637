//! The RTP side of barge's examples (`rtp_call` and the SIP example): what a
//! host puts between its UDP sockets and a [`barge::Session`]. Not part of
//! barge's API; a package of the workspace so that both examples share one
//! copy.
//!
//! - [`JitterBuffer`]: one incoming RTP stream on the sample timeline of the
//!   payload (G.711's 8000 Hz, and G.722's, whose RTP clock is 8000 Hz too:
//!   one byte per tick of the clock in both), with source latching and
//!   probation of new SSRCs. It is a [`barge::media::PayloadSource`]: each
//!   tick it hands over the payload bytes due, or says they are missing.
//! - [`Keypad`]: RFC 4733 telephone events on a leg, one key press per
//!   event, due when the event's start plays out; the leg's audio over the
//!   event's span is silence.
//! - [`RtpSender`]: one RTP packet per frame, with the leg's own SSRC,
//!   sequence numbers and timestamps; a [`barge::media::PayloadSink`].
//! - [`receive`]: reads what waits on a non-blocking socket, at most
//!   [`MAX_READS_PER_TICK`] datagrams a tick.
//!
//! # Whose packets are played
//!
//! - **Source latching.** A leg plays media from one source address: the
//!   first one whose stream passes probation (below), which need not be the
//!   address it sends to (many senders send from another port than the one
//!   they receive on). From then on, for the whole call, datagrams from any
//!   other address are dropped unread as RTP and counted
//!   ([`RxStats::foreign`]). A sender that changes address mid-call (a NAT
//!   rebinding) is not followed.
//! - **Probation of a new SSRC** (RFC 3550, Appendix A.1). A packet with an
//!   SSRC other than the one playing is held, not played: `MIN_SEQUENTIAL`
//!   (2) packets of that SSRC in sequence must come before the first stream
//!   plays; to replace a playing stream they must also span
//!   `QUIET_BEFORE_SWITCH` (100 ms) with no packet of the playing stream in
//!   between (a sender that restarted with a new SSRC). The held packets
//!   then play, at the delay of the first one, so a jitter buffer of 100 ms
//!   or more loses nothing of a new stream. A stray packet with a new SSRC,
//!   a run of junk, or a second stream interleaved with the playing one
//!   changes nothing that is heard.
//! - **Bounded reads.** Each tick reads at most [`MAX_READS_PER_TICK`]
//!   datagrams per socket; the rest wait in the kernel's receive buffer.
//! - **Late packets are dropped, never re-anchored on.** After a sender's
//!   stall, its catch-up burst is partly too late to play: those packets
//!   are dropped and the rest plays at the original delay. Only a run of
//!   packets that fit nowhere for at least `STRAY_RUN_SAMPLES` (100 ms) of
//!   playout (a sender that jumped) starts the stream over.
//!
//! None of this authenticates anyone: a stranger who can send from the
//! latched address with the playing stream's SSRC is heard. That needs
//! SRTP.
//!
//! Memory is bounded: a buffer holds its capacity of samples, the streams
//! on probation at most that much each, four of them, and a keypad a few
//! events.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod events;
mod jitter;
mod sender;
#[cfg(test)]
mod tests;

pub use events::{parse_telephone_event, EventStats, Keypad, TelephoneEvent};
pub use jitter::{receive, JitterBuffer, RxStats, MAX_READS_PER_TICK};
pub use sender::{random, RtpSender};

/// The largest UDP datagram read.
pub const MAX_DATAGRAM: usize = 2048;
