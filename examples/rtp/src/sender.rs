//! The packetizer: one RTP packet per frame.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::net::{SocketAddr, UdpSocket};

use barge::media::PayloadSink;
use rtp_rs::{RtpPacketBuilder, Seq};

use crate::MAX_DATAGRAM;

/// A random 64-bit number from the standard library's hasher keys.
pub fn random() -> u64 {
    RandomState::new().build_hasher().finish()
}

/// Sends one RTP packet per frame to the leg's REMOTE, with the leg's own
/// SSRC, sequence numbers and timestamps.
pub struct RtpSender {
    socket: UdpSocket,
    /// Where the packets go.
    pub remote: SocketAddr,
    payload_type: u8,
    ssrc: u32,
    seq: Seq,
    timestamp: u32,
    first: bool,
    packet: Vec<u8>,
    /// Whether the socket is connected to `remote` (then it must `send`:
    /// some systems refuse `send_to` on a connected socket).
    pub connected: bool,
    /// Packets sent.
    pub sent: u64,
    /// Packets that could not be built or sent.
    pub send_errors: u64,
}

impl RtpSender {
    /// A sender on `socket` to `remote`, of payload type `payload_type`,
    /// with a random SSRC, first sequence number and first timestamp.
    pub fn new(socket: UdpSocket, remote: SocketAddr, payload_type: u8) -> RtpSender {
        let r = random();
        RtpSender {
            socket,
            remote,
            payload_type,
            ssrc: r as u32,
            seq: Seq::from((r >> 32) as u16),
            timestamp: random() as u32,
            first: true,
            packet: vec![0; MAX_DATAGRAM],
            connected: false,
            sent: 0,
            send_errors: 0,
        }
    }
}

impl PayloadSink for RtpSender {
    fn take_payload(&mut self, payload: &[u8]) {
        let built = RtpPacketBuilder::new()
            .payload_type(self.payload_type)
            .ssrc(self.ssrc)
            .sequence(self.seq)
            .timestamp(self.timestamp)
            .marked(self.first)
            .payload(payload)
            .build_into(&mut self.packet);
        match built {
            Ok(len) => {
                let packet = &self.packet[..len];
                let sent = if self.connected {
                    self.socket.send(packet)
                } else {
                    self.socket.send_to(packet, self.remote)
                };
                match sent {
                    Ok(_) => self.sent += 1,
                    Err(_) => self.send_errors += 1,
                }
            }
            Err(_) => self.send_errors += 1,
        }
        self.first = false;
        self.seq = self.seq.next();
        self.timestamp = self.timestamp.wrapping_add(payload.len() as u32);
    }
}
