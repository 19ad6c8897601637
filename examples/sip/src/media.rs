//! One party's RTP leg: its socket, the jitter buffer and packetizer of
//! `barge-rtp`, and the codec between RTP payloads and PCM.

use std::io;
use std::net::{SocketAddr, UdpSocket};

use barge::g711::Law;
use barge::media::{Fill, PayloadSink, PayloadSource, Sink, Source};
use barge::tone::{Cadence, ToneGenerator};
use barge::{Format, ToneSpec};
use barge_rtp::{receive, JitterBuffer, Keypad, RtpSender, MAX_DATAGRAM};

use crate::g722;
use crate::sdp::Codec;

/// The jitter buffer's playout delay, in samples of the 8000 Hz RTP clock
/// (60 ms).
const JITTER_DELAY: u64 = 480;
/// What a jitter buffer holds, in samples of the RTP clock (2 s).
const JITTER_CAPACITY: usize = 16_000;
/// RTP payload bytes per 20 ms frame: 160 for G.711 and for G.722.
pub const PAYLOAD: usize = 160;

/// The tone a refused key press plays to the supervisor who pressed it:
/// three short beeps at 480 Hz.
const REFUSED: ToneSpec = ToneSpec::single(
    480.0,
    -10.0,
    Cadence::new(80, 60, barge::tone::Repeat::Times(3)),
);

/// What a leg needs to start: its socket (bound), where its phone listens,
/// and the codec and event payload types both ends agreed on.
#[derive(Debug)]
pub struct LegSetup {
    /// The socket, bound to the PBX's address and a port of its own.
    pub socket: UdpSocket,
    /// The phone's RTP address.
    pub remote: SocketAddr,
    /// The codec and its payload type.
    pub codec: (Codec, u8),
    /// The payload type of telephone events, if the phone sends them.
    pub telephone_event: Option<u8>,
}

impl LegSetup {
    /// Binds a socket for a new leg on `ip`, any free port.
    pub fn bind(ip: std::net::IpAddr) -> io::Result<UdpSocket> {
        let socket = UdpSocket::bind(SocketAddr::new(ip, 0))?;
        socket.set_nonblocking(true)?;
        Ok(socket)
    }
}

enum Coder {
    G711(Law),
    G722(Box<(g722::Encoder, g722::Decoder)>),
}

/// One party's RTP leg: a [`Source`] and a [`Sink`] of 20 ms frames at
/// the codec's rate (8 kHz for G.711, 16 kHz for G.722).
pub struct RtpLeg {
    socket: UdpSocket,
    /// The incoming stream.
    pub jitter: JitterBuffer,
    /// The outgoing stream.
    pub sender: RtpSender,
    coder: Coder,
    format: Format,
    payload: [u8; PAYLOAD],
    scratch: Vec<i16>,
    /// A tone playing over what the party hears (a refused key).
    tone: Option<ToneGenerator>,
    datagram: Box<[u8; MAX_DATAGRAM]>,
    /// Socket errors while reading, other than "nothing to read".
    pub read_errors: u64,
}

impl RtpLeg {
    /// A leg from its setup.
    pub fn new(setup: LegSetup) -> Result<RtpLeg, String> {
        let (codec, pt) = setup.codec;
        let (coder, silence) = match codec {
            Codec::Pcmu => (Coder::G711(Law::Ulaw), Law::Ulaw.silence()),
            Codec::Pcma => (Coder::G711(Law::Alaw), Law::Alaw.silence()),
            Codec::G722 => (
                Coder::G722(Box::new((g722::Encoder::new(), g722::Decoder::new()))),
                0xff,
            ),
        };
        let format = Format::new(codec.sample_rate(), 20).map_err(|e| e.to_string())?;
        let mut jitter = JitterBuffer::new(pt, silence, JITTER_DELAY, JITTER_CAPACITY);
        jitter.keypad = setup.telephone_event.map(Keypad::new);
        let sending = setup.socket.try_clone().map_err(|e| e.to_string())?;
        let sender = RtpSender::new(sending, setup.remote, pt);
        let socket = setup.socket;
        Ok(RtpLeg {
            socket,
            jitter,
            sender,
            coder,
            format,
            payload: [0; PAYLOAD],
            scratch: vec![0; format.samples_per_frame()],
            tone: None,
            datagram: Box::new([0; MAX_DATAGRAM]),
            read_errors: 0,
        })
    }

    /// The leg's format: the codec's rate, 20 ms.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Reads what came on the socket during `tick`.
    pub fn receive(&mut self, tick: u64) {
        if receive(&self.socket, &mut self.jitter, &mut self.datagram[..], tick).is_err() {
            self.read_errors += 1;
        }
    }

    /// Plays the refusal tone over what the party hears.
    pub fn refuse_tone(&mut self) {
        self.tone = ToneGenerator::new(&REFUSED, self.format.rate()).ok();
    }
}

impl Source<i16> for RtpLeg {
    fn fill(&mut self, frame: &mut [i16]) -> Fill {
        let fill = self.jitter.fill_payload(&mut self.payload);
        if fill != Fill::Frame {
            return fill;
        }
        match &mut self.coder {
            Coder::G711(law) => {
                if law.decode(&self.payload, frame).is_err() {
                    return Fill::Missing;
                }
            }
            Coder::G722(c) => {
                c.1.decode(&self.payload, frame);
            }
        }
        Fill::Frame
    }

    fn format(&self) -> Option<Format> {
        Some(self.format)
    }
}

impl Sink<i16> for RtpLeg {
    fn take(&mut self, frame: &[i16]) {
        let pcm: &[i16] = match self.tone.as_mut() {
            Some(tone) => {
                tone.fill_i16(&mut self.scratch);
                for (s, &f) in self.scratch.iter_mut().zip(frame) {
                    *s = s.saturating_add(f / 4);
                }
                if tone.is_finished() {
                    self.tone = None;
                }
                &self.scratch
            }
            None => frame,
        };
        match &mut self.coder {
            Coder::G711(law) => {
                if law.encode(pcm, &mut self.payload).is_err() {
                    return;
                }
            }
            Coder::G722(c) => {
                c.0.encode(pcm, &mut self.payload);
            }
        }
        self.sender.take_payload(&self.payload);
    }

    fn format(&self) -> Option<Format> {
        Some(self.format)
    }
}
