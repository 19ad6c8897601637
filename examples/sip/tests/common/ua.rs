//! A small SIP user agent over UDP, written here for the tests that send
//! what no phone sends (bad SDP, bad INFO bodies) and for the load
//! generator: INVITE with retransmission, ACK, BYE, INFO; and the answering
//! side (an agent's phone that answers every INVITE with 200 and its SDP).

use std::collections::HashMap;
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

static NEXT: AtomicU64 = AtomicU64::new(1);

/// A fresh token (branches, tags, Call-IDs).
pub fn token() -> String {
    format!(
        "{:x}{:x}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed) * 7919
    )
}

/// A SIP message as received.
#[derive(Debug, Clone)]
pub struct Message {
    /// The first line.
    pub start: String,
    /// Headers by lower-case name (the first of each).
    pub headers: HashMap<String, String>,
    /// The body.
    pub body: String,
}

impl Message {
    /// Parses a datagram.
    pub fn parse(datagram: &[u8]) -> Option<Message> {
        let text = std::str::from_utf8(datagram).ok()?;
        let (head, body) = text.split_once("\r\n\r\n")?;
        let mut lines = head.split("\r\n");
        let start = lines.next()?.to_string();
        let mut headers = HashMap::new();
        for line in lines {
            if let Some((k, v)) = line.split_once(':') {
                let k = match k.trim().to_ascii_lowercase().as_str() {
                    "v" => "via".to_string(),
                    "f" => "from".to_string(),
                    "t" => "to".to_string(),
                    "i" => "call-id".to_string(),
                    "m" => "contact".to_string(),
                    "c" => "content-type".to_string(),
                    "l" => "content-length".to_string(),
                    other => other.to_string(),
                };
                headers.entry(k).or_insert_with(|| v.trim().to_string());
            }
        }
        Some(Message {
            start,
            headers,
            body: body.to_string(),
        })
    }

    /// The status code of a response.
    pub fn status(&self) -> Option<u16> {
        self.start
            .strip_prefix("SIP/2.0 ")?
            .split_whitespace()
            .next()?
            .parse()
            .ok()
    }

    /// The method of a request.
    pub fn method(&self) -> Option<&str> {
        if self.start.starts_with("SIP/2.0") {
            return None;
        }
        self.start.split_whitespace().next()
    }

    /// A header, or "".
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).map_or("", String::as_str)
    }

    /// The URI inside `<...>` of a header (Contact), else the header.
    pub fn uri_of(&self, name: &str) -> String {
        let h = self.header(name);
        match (h.find('<'), h.find('>')) {
            (Some(a), Some(b)) if a < b => h[a + 1..b].to_string(),
            _ => h.split(';').next().unwrap_or("").to_string(),
        }
    }
}

/// The audio port and address of an SDP body (the tests' own reading).
pub fn sdp_audio(body: &str) -> Option<SocketAddr> {
    let ip = body
        .lines()
        .find_map(|l| l.trim().strip_prefix("c=IN IP4 "))?
        .trim()
        .to_string();
    let port = body
        .lines()
        .find_map(|l| l.trim().strip_prefix("m=audio "))?
        .split_whitespace()
        .next()?
        .to_string();
    format!("{ip}:{port}").parse().ok()
}

/// An SDP offer or answer for PCMU (and telephone events, PT 101) at `rtp`.
pub fn pcmu_sdp(rtp: SocketAddr) -> String {
    format!(
        "v=0\r\no=- 1 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\nm=audio {port} RTP/AVP 0 101\r\n\
         a=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=ptime:20\r\n",
        ip = rtp.ip(),
        port = rtp.port()
    )
}

/// One side of a dialog: what in-dialog requests need.
#[derive(Debug, Clone)]
pub struct Dialog {
    /// Where requests go (the remote Contact).
    pub target: String,
    /// Our From (with our tag).
    pub from: String,
    /// Their To (with their tag).
    pub to: String,
    /// The Call-ID.
    pub call_id: String,
    /// The next CSeq.
    pub cseq: u32,
    /// Their SDP's audio address.
    pub remote_rtp: Option<SocketAddr>,
}

/// A user agent client: one socket, one user.
pub struct Uac {
    /// Its SIP socket.
    pub socket: UdpSocket,
    /// Its address.
    pub local: SocketAddr,
    /// The PBX.
    pub pbx: SocketAddr,
    /// Its SIP user.
    pub user: String,
}

impl Uac {
    /// A client for `user` on a fresh loopback port.
    pub fn new(user: &str, pbx: SocketAddr) -> Uac {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("bind a SIP socket");
        let local = socket.local_addr().expect("its address");
        Uac {
            socket,
            local,
            pbx,
            user: user.to_string(),
        }
    }

    fn send(&self, text: &str) {
        let _ = self.socket.send_to(text.as_bytes(), self.pbx);
    }

    /// The next message until `deadline`.
    pub fn recv(&self, deadline: Instant) -> Option<Message> {
        let mut buf = [0u8; 8192];
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            self.socket
                .set_read_timeout(Some(left.max(Duration::from_millis(1))))
                .ok()?;
            match self.socket.recv_from(&mut buf) {
                Ok((n, _)) => {
                    if let Some(m) = Message::parse(&buf[..n]) {
                        return Some(m);
                    }
                }
                Err(_) => return None,
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn request(
        &self,
        method: &str,
        uri: &str,
        from: &str,
        to: &str,
        call_id: &str,
        cseq: u32,
        branch: &str,
        extra: &str,
        body: &str,
    ) -> String {
        format!(
            "{method} {uri} SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bK{branch};rport\r\n\
             Max-Forwards: 70\r\nFrom: {from}\r\nTo: {to}\r\nCall-ID: {call_id}\r\nCSeq: {cseq} {method}\r\n\
             Contact: <sip:{user}@{local}>\r\n{extra}Content-Length: {len}\r\n\r\n{body}",
            local = self.local,
            user = self.user,
            len = body.len()
        )
    }

    /// Sends an INVITE to `dialed` with `sdp` (as given: the tests send bad
    /// ones), retransmitting until a final response or `deadline`. On 2xx
    /// it sends the ACK and returns the dialog; on another final response
    /// it ACKs it and returns the status.
    pub fn invite(&self, dialed: &str, sdp: &str, deadline: Instant) -> Result<Dialog, u16> {
        let uri = format!("sip:{dialed}@{}", self.pbx);
        let from = format!("<sip:{}@{}>;tag={}", self.user, self.local, token());
        let to = format!("<{uri}>");
        let call_id = format!("{}@barge-test", token());
        let branch = token();
        let invite = self.request(
            "INVITE",
            &uri,
            &from,
            &to,
            &call_id,
            1,
            &branch,
            "Content-Type: application/sdp\r\n",
            sdp,
        );
        self.send(&invite);
        let mut resend = Instant::now() + Duration::from_millis(500);
        let mut provisional = false;
        loop {
            let wait = if provisional {
                deadline
            } else {
                resend.min(deadline)
            };
            let Some(m) = self.recv(wait) else {
                if Instant::now() >= deadline {
                    return Err(408);
                }
                self.send(&invite);
                resend = Instant::now() + Duration::from_millis(500);
                continue;
            };
            if m.header("call-id") != call_id {
                continue;
            }
            let Some(status) = m.status() else { continue };
            if status < 200 {
                provisional = true;
                continue;
            }
            let their_to = m.header("to").to_string();
            if status < 300 {
                let target = m.uri_of("contact");
                let ack = self.request(
                    "ACK",
                    &target,
                    &from,
                    &their_to,
                    &call_id,
                    1,
                    &token(),
                    "",
                    "",
                );
                self.send(&ack);
                return Ok(Dialog {
                    target,
                    from,
                    to: their_to,
                    call_id,
                    cseq: 2,
                    remote_rtp: sdp_audio(&m.body),
                });
            }
            let ack = self.request("ACK", &uri, &from, &their_to, &call_id, 1, &branch, "", "");
            self.send(&ack);
            return Err(status);
        }
    }

    /// Sends an in-dialog request and returns the final response's status
    /// (retransmitting every 500 ms until `deadline`).
    pub fn in_dialog(
        &self,
        d: &mut Dialog,
        method: &str,
        extra: &str,
        body: &str,
        deadline: Instant,
    ) -> Option<u16> {
        let cseq = d.cseq;
        d.cseq += 1;
        let branch = token();
        let req = self.request(
            method, &d.target, &d.from, &d.to, &d.call_id, cseq, &branch, extra, body,
        );
        self.send(&req);
        let mut resend = Instant::now() + Duration::from_millis(500);
        loop {
            let Some(m) = self.recv(resend.min(deadline)) else {
                if Instant::now() >= deadline {
                    return None;
                }
                self.send(&req);
                resend = Instant::now() + Duration::from_millis(500);
                continue;
            };
            if m.header("call-id") != d.call_id {
                continue;
            }
            if m.method().is_some() {
                // A request from the PBX in this dialog (a BYE): answer it.
                self.answer(&m, 200, "");
                continue;
            }
            let expected_cseq = format!("{cseq} {method}");
            match m.status() {
                Some(s) if s >= 200 && m.header("cseq") == expected_cseq => return Some(s),
                _ => {}
            }
        }
    }

    /// Answers request `m` with `status` (and an SDP body if given).
    pub fn answer(&self, m: &Message, status: u16, sdp: &str) {
        let to = if m.header("to").contains("tag=") {
            m.header("to").to_string()
        } else {
            format!("{};tag={}", m.header("to"), token())
        };
        let ct = if sdp.is_empty() {
            ""
        } else {
            "Content-Type: application/sdp\r\n"
        };
        let text = format!(
            "SIP/2.0 {status} X\r\nVia: {}\r\nFrom: {}\r\nTo: {to}\r\nCall-ID: {}\r\nCSeq: {}\r\n\
             Contact: <sip:{}@{}>\r\n{ct}Content-Length: {}\r\n\r\n{sdp}",
            m.header("via"),
            m.header("from"),
            m.header("call-id"),
            m.header("cseq"),
            self.user,
            self.local,
            sdp.len()
        );
        // Responses go where the request came from (the PBX's socket).
        let _ = self.socket.send_to(text.as_bytes(), self.pbx);
    }
}

/// An agent's phone: answers each INVITE with 200 and the SDP `sdp`,
/// BYE with 200; calls `on` with each request it took.
pub fn answer_calls(uas: &Uac, sdp: &str, until: Instant, mut on: impl FnMut(&Message) -> bool) {
    // The answer to each INVITE, by Call-ID, for retransmissions.
    let mut to_tags: HashMap<String, String> = HashMap::new();
    while let Some(m) = uas.recv(until) {
        match m.method() {
            Some("INVITE") => {
                let tag = to_tags
                    .entry(m.header("call-id").to_string())
                    .or_insert_with(token)
                    .clone();
                let mut m2 = m.clone();
                if !m2.header("to").contains("tag=") {
                    let to = format!("{};tag={tag}", m2.header("to"));
                    m2.headers.insert("to".into(), to);
                }
                uas.answer(&m2, 200, sdp);
                if !on(&m) {
                    return;
                }
            }
            Some("ACK") if !on(&m) => return,
            Some("ACK") => {}
            Some(_) => {
                uas.answer(&m, 200, "");
                if !on(&m) {
                    return;
                }
            }
            None => {}
        }
    }
}
