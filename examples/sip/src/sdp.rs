//! Just enough SDP (RFC 4566, RFC 3264) for audio calls: read an offer or
//! an answer (the audio stream's address, its payload types and what they
//! are), pick a codec, and write an offer or answer of our own.

use std::fmt;
use std::net::{IpAddr, SocketAddr};

/// The codecs the PBX speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Codec {
    /// G.711 μ-law, payload type 0.
    Pcmu,
    /// G.711 A-law, payload type 8.
    Pcma,
    /// G.722 (16 kHz audio, an RTP clock of 8000), payload type 9.
    G722,
}

impl Codec {
    /// Every codec, in the order the PBX prefers them when it offers.
    pub const ALL: [Codec; 3] = [Codec::G722, Codec::Pcmu, Codec::Pcma];

    /// The static payload type (RFC 3551).
    pub fn payload_type(self) -> u8 {
        match self {
            Codec::Pcmu => 0,
            Codec::Pcma => 8,
            Codec::G722 => 9,
        }
    }

    /// The encoding name and clock rate of `a=rtpmap`.
    pub fn rtpmap(self) -> &'static str {
        match self {
            Codec::Pcmu => "PCMU/8000",
            Codec::Pcma => "PCMA/8000",
            Codec::G722 => "G722/8000",
        }
    }

    /// The audio's sample rate (not the RTP clock's).
    pub fn sample_rate(self) -> u32 {
        match self {
            Codec::G722 => 16000,
            _ => 8000,
        }
    }

    fn from_name(name: &str) -> Option<Codec> {
        let mut parts = name.split('/');
        let (enc, rate) = (parts.next()?, parts.next().unwrap_or("8000"));
        if rate != "8000" {
            return None;
        }
        match enc.to_ascii_uppercase().as_str() {
            "PCMU" => Some(Codec::Pcmu),
            "PCMA" => Some(Codec::Pcma),
            "G722" => Some(Codec::G722),
            _ => None,
        }
    }
}

impl fmt::Display for Codec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Codec::Pcmu => "PCMU",
            Codec::Pcma => "PCMA",
            Codec::G722 => "G.722",
        })
    }
}

/// What an SDP body says of its audio stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Audio {
    /// Where the stream's RTP goes.
    pub addr: SocketAddr,
    /// The codecs it lists that the PBX speaks, with their payload types,
    /// in its order of preference.
    pub codecs: Vec<(Codec, u8)>,
    /// The payload type of `telephone-event/8000`, if it lists it.
    pub telephone_event: Option<u8>,
}

/// Why an SDP body was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SdpError {
    /// It is not SDP as RFC 4566 writes it: answered with 400.
    Malformed(String),
    /// It is, but offers no codec the PBX speaks: answered with 488.
    NoCodec,
}

impl fmt::Display for SdpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SdpError::Malformed(why) => write!(f, "malformed SDP: {why}"),
            SdpError::NoCodec => f.write_str("no codec in common (PCMU, PCMA, G722)"),
        }
    }
}

/// The most bytes of SDP read.
pub const MAX_SDP: usize = 8192;

fn malformed(why: impl Into<String>) -> SdpError {
    SdpError::Malformed(why.into())
}

/// The audio stream as read: its port, payload types, address, rtpmaps.
type Stream = (u16, Vec<u8>, Option<IpAddr>, Vec<(u8, String)>);

/// Reads the first audio stream of an SDP body.
pub fn parse(body: &[u8]) -> Result<Audio, SdpError> {
    if body.len() > MAX_SDP {
        return Err(malformed(format!(
            "{} bytes, more than {MAX_SDP}",
            body.len()
        )));
    }
    let text = std::str::from_utf8(body).map_err(|_| malformed("not UTF-8"))?;
    let mut lines = text.lines().map(|l| l.trim_end_matches('\r'));
    if lines.next().map(str::trim) != Some("v=0") {
        return Err(malformed("expected v=0 on the first line"));
    }
    let mut session_ip = None;
    let mut audio: Option<Stream> = None;
    let mut in_audio = false;
    let mut seen_media = false;
    for line in lines.filter(|l| !l.trim().is_empty()) {
        let (kind, value) = line
            .split_once('=')
            .filter(|(k, _)| k.len() == 1)
            .ok_or_else(|| malformed(format!("expected TYPE=VALUE, got {line:?}")))?;
        match kind {
            "m" => {
                seen_media = true;
                let f: Vec<&str> = value.split_whitespace().collect();
                if f.len() < 4 {
                    return Err(malformed(format!("m= line {value:?}")));
                }
                in_audio = f[0] == "audio" && audio.is_none();
                if in_audio {
                    if !f[2].starts_with("RTP/AVP") {
                        return Err(malformed(format!("transport {:?}, expected RTP/AVP", f[2])));
                    }
                    let port: u16 = f[1]
                        .split('/')
                        .next()
                        .and_then(|p| p.parse().ok())
                        .ok_or_else(|| malformed(format!("port {:?}", f[1])))?;
                    let pts = f[3..]
                        .iter()
                        .map(|p| p.parse::<u8>().ok().filter(|&p| p < 128))
                        .collect::<Option<Vec<u8>>>()
                        .ok_or_else(|| malformed(format!("payload types in {value:?}")))?;
                    audio = Some((port, pts, None, Vec::new()));
                }
            }
            "c" => {
                let f: Vec<&str> = value.split_whitespace().collect();
                let ip = match f.as_slice() {
                    ["IN", "IP4" | "IP6", addr] => addr
                        .split('/')
                        .next()
                        .and_then(|a| a.parse::<IpAddr>().ok()),
                    _ => None,
                }
                .ok_or_else(|| malformed(format!("c= line {value:?}")))?;
                if !seen_media {
                    session_ip = Some(ip);
                } else if in_audio {
                    if let Some(a) = audio.as_mut() {
                        a.2 = Some(ip);
                    }
                }
            }
            "a" if in_audio => {
                if let Some(map) = value.strip_prefix("rtpmap:") {
                    let (pt, name) = map
                        .split_once(' ')
                        .and_then(|(pt, name)| Some((pt.parse::<u8>().ok()?, name.trim())))
                        .ok_or_else(|| malformed(format!("rtpmap {map:?}")))?;
                    if let Some(a) = audio.as_mut() {
                        a.3.push((pt, name.to_string()));
                    }
                }
            }
            _ => {}
        }
    }
    let (port, pts, ip, maps) = audio.ok_or_else(|| malformed("no m=audio line"))?;
    let ip = ip
        .or(session_ip)
        .ok_or_else(|| malformed("no c= line for the audio stream"))?;
    let name_of = |pt: u8| maps.iter().find(|(p, _)| *p == pt).map(|(_, n)| n.as_str());
    let mut codecs = Vec::new();
    let mut telephone_event = None;
    for &pt in &pts {
        let codec = match name_of(pt) {
            Some(name) if name.eq_ignore_ascii_case("telephone-event/8000") => {
                telephone_event.get_or_insert(pt);
                None
            }
            Some(name) => Codec::from_name(name),
            None => Codec::ALL.into_iter().find(|c| c.payload_type() == pt),
        };
        if let Some(c) = codec {
            if !codecs.iter().any(|(have, _)| *have == c) {
                codecs.push((c, pt));
            }
        }
    }
    if port == 0 {
        return Err(SdpError::NoCodec);
    }
    if codecs.is_empty() {
        return Err(SdpError::NoCodec);
    }
    Ok(Audio {
        addr: SocketAddr::new(ip, port),
        codecs,
        telephone_event,
    })
}

/// Our SDP: an audio stream at `addr` with `codecs` (payload types
/// included) and telephone events of payload type `telephone_event`.
pub fn write(
    addr: SocketAddr,
    session_id: u64,
    codecs: &[(Codec, u8)],
    telephone_event: Option<u8>,
) -> Vec<u8> {
    let ip = addr.ip();
    let family = if ip.is_ipv4() { "IP4" } else { "IP6" };
    let mut pts: Vec<String> = codecs.iter().map(|(_, pt)| pt.to_string()).collect();
    pts.extend(telephone_event.map(|pt| pt.to_string()));
    let mut s = format!(
        "v=0\r\no=barge-sip {session_id} {session_id} IN {family} {ip}\r\ns=barge\r\nc=IN {family} {ip}\r\nt=0 0\r\nm=audio {} RTP/AVP {}\r\n",
        addr.port(),
        pts.join(" ")
    );
    for (codec, pt) in codecs {
        s.push_str(&format!("a=rtpmap:{pt} {}\r\n", codec.rtpmap()));
    }
    if let Some(pt) = telephone_event {
        s.push_str(&format!(
            "a=rtpmap:{pt} telephone-event/8000\r\na=fmtp:{pt} 0-16\r\n"
        ));
    }
    s.push_str("a=ptime:20\r\na=sendrecv\r\n");
    s.into_bytes()
}

#[cfg(test)]
mod test {
    use super::*;

    const BARESIP: &str =
        "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
        m=audio 10000 RTP/AVP 9 0 101\r\na=rtpmap:9 G722/8000\r\na=rtpmap:0 PCMU/8000\r\n\
        a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=ptime:20\r\n";

    #[test]
    fn an_offer_reads_with_its_codecs_and_events() {
        let a = parse(BARESIP.as_bytes()).unwrap();
        assert_eq!(a.addr, "127.0.0.1:10000".parse().unwrap());
        assert_eq!(a.codecs, [(Codec::G722, 9), (Codec::Pcmu, 0)]);
        assert_eq!(a.telephone_event, Some(101));
        // Our own writing reads back.
        let ours = write(a.addr, 7, &[(Codec::Pcma, 8)], Some(96));
        let b = parse(&ours).unwrap();
        assert_eq!(
            (b.codecs, b.telephone_event),
            (vec![(Codec::Pcma, 8)], Some(96))
        );
    }

    #[test]
    fn static_types_need_no_rtpmap_and_media_level_c_wins() {
        let sdp = "v=0\r\nc=IN IP4 127.0.0.2\r\nm=video 5000 RTP/AVP 96\r\nc=IN IP4 127.0.0.9\r\n\
                   m=audio 4000 RTP/AVP 18 8\r\nc=IN IP4 127.0.0.3\r\n";
        let a = parse(sdp.as_bytes()).unwrap();
        assert_eq!(a.addr, "127.0.0.3:4000".parse().unwrap());
        assert_eq!(a.codecs, [(Codec::Pcma, 8)]);
    }

    #[test]
    fn malformed_sdp_is_refused_and_says_why() {
        for (sdp, says) in [
            ("", "expected v=0"),
            ("hello", "expected v=0"),
            ("v=0\r\nc=IN IP4 127.0.0.1\r\n", "no m=audio"),
            ("v=0\r\nm=audio 4000 RTP/AVP 0\r\n", "no c= line"),
            (
                "v=0\r\nc=IN IP4 nowhere\r\nm=audio 4000 RTP/AVP 0\r\n",
                "c= line",
            ),
            (
                "v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 99999 RTP/AVP 0\r\n",
                "port",
            ),
            (
                "v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 4000 RTP/AVP zero\r\n",
                "payload types",
            ),
            ("v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 4000\r\n", "m= line"),
            (
                "v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 4000 RTP/AVP 96\r\na=rtpmap:x\r\n",
                "rtpmap",
            ),
            ("v=0\r\njunk\r\n", "expected TYPE=VALUE"),
        ] {
            match parse(sdp.as_bytes()) {
                Err(SdpError::Malformed(why)) => assert!(why.contains(says), "{sdp:?}: {why}"),
                other => panic!("{sdp:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn an_offer_without_a_codec_we_speak_is_no_codec() {
        let sdp = "v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 4000 RTP/AVP 18 96\r\na=rtpmap:96 opus/48000/2\r\n";
        assert_eq!(parse(sdp.as_bytes()), Err(SdpError::NoCodec));
        let sdp =
            "v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 4000 RTP/AVP 96\r\na=rtpmap:96 PCMU/16000\r\n";
        assert_eq!(parse(sdp.as_bytes()), Err(SdpError::NoCodec));
    }
}
