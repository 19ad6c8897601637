//! The supervisor's browser as a WebRTC peer: str0m (sans-IO, like barge)
//! for ICE, DTLS-SRTP and RTP, opus-rs (pure Rust) for the codec. The media loop owns
//! the UDP socket and feeds this peer what arrives; the peer hands back the
//! datagrams to send and the time it next wants to be woken.

use std::collections::VecDeque;
use std::net::{SocketAddr, UdpSocket};
use std::time::Instant;

use str0m::change::SdpOffer;
use str0m::format::Codec;
use str0m::media::{Frequency, MediaKind, MediaTime, Mid};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, IceConnectionState, Input, Output, Rtc, RtcConfig};

use super::calls::SUPERVISOR_SPF;

/// At most this much decoded audio (80 ms) waits for the call: more is
/// dropped from the oldest, so that the supervisor's delay stays short.
const MAX_QUEUED: usize = 4 * SUPERVISOR_SPF;
/// The longest Opus packet, 120 ms at 48 kHz.
const MAX_OPUS_SAMPLES: usize = 5760;

/// Counters shown on the page.
#[derive(Debug, Default, Clone, Copy)]
pub struct PeerStats {
    /// Opus packets received and decoded.
    pub packets_in: u64,
    /// Packets sent.
    pub packets_out: u64,
    /// Ticks at which no decoded frame was ready (silence was mixed).
    pub underruns: u64,
    /// Samples dropped because too much was queued.
    pub dropped: u64,
    /// Packets that did not decode.
    pub decode_errors: u64,
    /// Packets without payload, ignored.
    pub empty: u64,
}

pub struct Peer {
    rtc: Rtc,
    mid: Option<Mid>,
    encoder: opus_rs::OpusEncoder,
    decoder: opus_rs::OpusDecoder,
    queued: VecDeque<i16>,
    decoded: Vec<f32>,
    packet: Vec<u8>,
    rtp_time: u64,
    /// Until the first decoded audio arrives the supervisor's frames are
    /// not counted as underruns.
    started: bool,
    pub state: &'static str,
    pub stats: PeerStats,
}

impl Peer {
    /// A peer for the browser's `offer`, reachable at `local` (the media
    /// loop's socket); returns it with the SDP answer.
    pub fn accept(offer: &str, local: SocketAddr, now: Instant) -> Result<(Peer, String), String> {
        let offer = SdpOffer::from_sdp_string(offer).map_err(|e| format!("bad offer: {e}"))?;
        let mut rtc = RtcConfig::new()
            .clear_codecs()
            .enable_opus(true, false)
            .build(now);
        let candidate =
            Candidate::host(local, "udp").map_err(|e| format!("bad candidate {local}: {e}"))?;
        rtc.add_local_candidate(candidate)
            .ok_or("the candidate was refused")?;
        let answer = rtc
            .sdp_api()
            .accept_offer(offer)
            .map_err(|e| format!("cannot accept the offer: {e}"))?;
        let mut encoder = opus_rs::OpusEncoder::new(48000, 1, opus_rs::Application::Voip)
            .map_err(|e| format!("opus encoder: {e}"))?;
        encoder.bitrate_bps = 32000;
        let decoder =
            opus_rs::OpusDecoder::new(48000, 1).map_err(|e| format!("opus decoder: {e}"))?;
        let peer = Peer {
            rtc,
            mid: None,
            encoder,
            decoder,
            queued: VecDeque::with_capacity(MAX_QUEUED + MAX_OPUS_SAMPLES),
            decoded: vec![0.0; MAX_OPUS_SAMPLES],
            packet: vec![0; 1500],
            rtp_time: 0,
            started: false,
            state: "connecting",
            stats: PeerStats::default(),
        };
        Ok((peer, answer.to_sdp_string()))
    }

    /// Whether the peer has gone away (ICE disconnected or the peer closed).
    pub fn is_closed(&self) -> bool {
        !self.rtc.is_alive()
    }

    /// A datagram from the socket: `false` if it is not this peer's (each
    /// supervisor's browser has a peer of its own on the one socket).
    pub fn receive(
        &mut self,
        now: Instant,
        source: SocketAddr,
        local: SocketAddr,
        data: &[u8],
    ) -> bool {
        let Ok(contents) = data.try_into() else {
            return false; // neither STUN, DTLS nor RTP: not for us
        };
        let input = Input::Receive(
            now,
            Receive {
                proto: Protocol::Udp,
                source,
                destination: local,
                contents,
            },
        );
        if !self.rtc.accepts(&input) {
            return false;
        }
        if let Err(e) = self.rtc.handle_input(input) {
            eprintln!("dashboard: webrtc: {e}");
        }
        true
    }

    /// Ends the connection (the supervisor hung up or signed out).
    pub fn close(&mut self) {
        self.rtc.disconnect();
        self.state = "closed";
    }

    /// Lets time pass to `now`, sends what is due, handles events; returns
    /// when the peer next wants to be woken.
    pub fn poll(&mut self, now: Instant, socket: &UdpSocket) -> Instant {
        if let Err(e) = self.rtc.handle_input(Input::Timeout(now)) {
            eprintln!("dashboard: webrtc: {e}");
        }
        loop {
            match self.rtc.poll_output() {
                Ok(Output::Timeout(at)) => return at,
                Ok(Output::Transmit(t)) => {
                    let _ = socket.send_to(&t.contents, t.destination);
                }
                Ok(Output::Event(e)) => self.event(e),
                Err(e) => {
                    eprintln!("dashboard: webrtc: {e}");
                    self.rtc.disconnect();
                    self.state = "failed";
                    return now;
                }
            }
        }
    }

    fn event(&mut self, e: Event) {
        match e {
            Event::Connected => self.state = "connected",
            Event::IceConnectionStateChange(IceConnectionState::Disconnected) => {
                self.state = "disconnected";
                self.rtc.disconnect();
            }
            Event::MediaAdded(m) if m.kind == MediaKind::Audio => self.mid = Some(m.mid),
            // An empty payload is no audio (Chrome sends some, e.g. when
            // it pads for bandwidth probing); a decoder would take it for a
            // lost packet and conceal 120 ms.
            Event::MediaData(data) if data.data.is_empty() => self.stats.empty += 1,
            Event::MediaData(data) => {
                match self
                    .decoder
                    .decode(&data.data, MAX_OPUS_SAMPLES, &mut self.decoded)
                {
                    Ok(n) => {
                        self.stats.packets_in += 1;
                        self.started = true;
                        let pcm = self.decoded[..n.min(MAX_OPUS_SAMPLES)].iter();
                        self.queued.extend(
                            pcm.map(|&x| (x * 32768.0).round().clamp(-32768.0, 32767.0) as i16),
                        );
                        let over = self.queued.len().saturating_sub(MAX_QUEUED);
                        self.queued.drain(..over);
                        self.stats.dropped += over as u64;
                    }
                    Err(_) => self.stats.decode_errors += 1,
                }
            }
            _ => {}
        }
    }

    /// The supervisor's next 20 ms at 48 kHz into `frame`; silence (and
    /// an underrun, once audio has started) when none is ready.
    pub fn take_frame(&mut self, frame: &mut [i16]) {
        let n = frame.len();
        if self.queued.len() >= n {
            for (f, s) in frame.iter_mut().zip(self.queued.drain(..n)) {
                *f = s;
            }
        } else {
            frame.fill(0);
            if self.started {
                self.stats.underruns += 1;
            }
        }
    }

    /// Encodes what the supervisor hears (20 ms at 48 kHz) and sends it.
    pub fn send_frame(&mut self, frame: &[i16], now: Instant) {
        let Some(mid) = self.mid else { return };
        if self.state != "connected" {
            return;
        }
        let Ok(n) = self
            .encoder
            .encode_i16(frame, frame.len(), &mut self.packet)
        else {
            return;
        };
        let rtp_time = MediaTime::new(self.rtp_time, Frequency::FORTY_EIGHT_KHZ);
        self.rtp_time += frame.len() as u64;
        let Some(writer) = self.rtc.writer(mid) else {
            return;
        };
        let Some(pt) = writer
            .payload_params()
            .find(|p| p.spec().codec == Codec::Opus)
            .map(|p| p.pt())
        else {
            return;
        };
        match writer.write(pt, now, rtp_time, self.packet[..n].to_vec()) {
            Ok(()) => self.stats.packets_out += 1,
            Err(e) => eprintln!("dashboard: webrtc: {e}"),
        }
    }
}
