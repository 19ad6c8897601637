//! A tiny HTTP/1.1 server on `std::net`: one thread per connection, one
//! request per connection (`Connection: close`), bodies up to 64 KiB. Enough
//! for a page, a JSON state, server-sent events and a few POSTs on loopback.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// The largest request body read (an SDP offer is a few KiB).
const MAX_BODY: usize = 64 * 1024;

/// One request: method, path (without the query) and body.
#[derive(Debug)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub body: String,
}

/// Reads one request from `stream`; `Err` with a status line for a request
/// that cannot be read.
pub fn read_request(stream: &TcpStream) -> Result<Request, &'static str> {
    // A client that connects and says nothing does not keep a thread.
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).map_err(|_| "400 Bad Request")?;
    let mut words = line.split_whitespace();
    let (Some(method), Some(target)) = (words.next(), words.next()) else {
        return Err("400 Bad Request");
    };
    let path = target.split('?').next().unwrap_or("/").to_string();
    let method = method.to_string();
    let mut length = 0usize;
    loop {
        let mut header = String::new();
        let n = reader
            .read_line(&mut header)
            .map_err(|_| "400 Bad Request")?;
        if n == 0 || header == "\r\n" || header == "\n" {
            break;
        }
        if header.len() > 8192 {
            return Err("431 Request Header Fields Too Large");
        }
        if let Some((name, value)) = header.split_once(':') {
            if name.trim().eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().map_err(|_| "400 Bad Request")?;
            }
        }
    }
    if length > MAX_BODY {
        return Err("413 Content Too Large");
    }
    let mut body = vec![0u8; length];
    reader
        .read_exact(&mut body)
        .map_err(|_| "400 Bad Request")?;
    let body = String::from_utf8(body).map_err(|_| "400 Bad Request")?;
    Ok(Request { method, path, body })
}

/// Writes a whole response and closes the exchange.
pub fn respond(mut stream: &TcpStream, status: &str, content_type: &str, body: &[u8]) {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body);
    let _ = stream.flush();
}

/// Starts a response of server-sent events; then write `data: …\n\n`.
pub fn start_events(mut stream: &TcpStream) -> std::io::Result<()> {
    stream.write_all(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n\
          Connection: close\r\n\r\n",
    )?;
    stream.flush()
}
