//! Keys sent as SIP INFO: `application/dtmf-relay` (`Signal=5` and
//! `Duration=160` lines, as Cisco and most phones send it) and
//! `application/dtmf` (the key alone).

use barge::dtmf::Digit;
use rsipstack::sip::{Header, Request};

/// The most bytes of an INFO body read.
const MAX_BODY: usize = 1024;

/// Why an INFO's key was not taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InfoError {
    /// A DTMF body that says no key, or not as the format writes it: 400.
    Malformed(String),
    /// Another content type: 415.
    Unsupported(String),
}

/// The content type of `request`, without parameters, in lower case.
fn content_type(request: &Request) -> Option<String> {
    request
        .headers
        .iter()
        .find_map(|h| match h {
            Header::ContentType(c) => Some(c.to_string()),
            _ => None,
        })
        .map(|c| {
            let value = c.split_once(':').map_or(c.as_str(), |(_, v)| v);
            value
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
}

/// A key as the body writes it: one of 0-9 * # A-D, or the event codes
/// 10 and 11 some phones send for * and #.
fn digit(text: &str) -> Result<Digit, InfoError> {
    let text = text.trim();
    let code = |c: u8| Digit::from_event_code(c).map_err(|e| InfoError::Malformed(e.to_string()));
    match text {
        "10" => code(10),
        "11" => code(11),
        _ => {
            let mut chars = text.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => {
                    Digit::from_char(c).map_err(|e| InfoError::Malformed(e.to_string()))
                }
                _ => Err(InfoError::Malformed(format!(
                    "expected one key (0-9 * # A-D), got {text:?}"
                ))),
            }
        }
    }
}

/// The key an INFO request carries.
pub fn parse(request: &Request) -> Result<Digit, InfoError> {
    let kind = content_type(request).unwrap_or_default();
    parse_body(&kind, request.body())
}

/// The key of a body of content type `kind`.
pub fn parse_body(kind: &str, body: &[u8]) -> Result<Digit, InfoError> {
    if kind != "application/dtmf-relay" && kind != "application/dtmf" {
        return Err(InfoError::Unsupported(kind.to_string()));
    }
    if body.len() > MAX_BODY {
        return Err(InfoError::Malformed(format!(
            "{} bytes, more than {MAX_BODY}",
            body.len()
        )));
    }
    let text = std::str::from_utf8(body)
        .map_err(|_| InfoError::Malformed("the body is not UTF-8".into()))?;
    if kind == "application/dtmf" {
        return digit(text);
    }
    let mut signal = None;
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (name, value) = line
            .split_once('=')
            .ok_or_else(|| InfoError::Malformed(format!("expected NAME=VALUE, got {line:?}")))?;
        match name.trim().to_ascii_lowercase().as_str() {
            "signal" => {
                if signal.is_some() {
                    return Err(InfoError::Malformed("Signal given twice".into()));
                }
                signal = Some(digit(value)?);
            }
            "duration" => {
                value.trim().parse::<u32>().map_err(|_| {
                    InfoError::Malformed(format!(
                        "Duration: expected milliseconds, got {:?}",
                        value.trim()
                    ))
                })?;
            }
            _ => {}
        }
    }
    signal.ok_or_else(|| InfoError::Malformed("no Signal= line".into()))
}

#[cfg(test)]
mod test {
    use super::*;

    const RELAY: &str = "application/dtmf-relay";

    #[test]
    fn keys_read_from_both_formats() {
        let d = |b: &str| parse_body(RELAY, b.as_bytes()).map(|d| d.as_char());
        assert_eq!(d("Signal=5\r\nDuration=160\r\n"), Ok('5'));
        assert_eq!(d("signal= #\nduration=250"), Ok('#'));
        assert_eq!(d("Signal=10\r\n"), Ok('*'));
        assert_eq!(d("Signal=B\r\n"), Ok('B'));
        assert_eq!(
            parse_body("application/dtmf", b"6").map(|d| d.as_char()),
            Ok('6')
        );
    }

    #[test]
    fn malformed_bodies_and_other_types_are_refused() {
        for body in [
            "",
            "Duration=160",
            "Signal=",
            "Signal=55",
            "Signal=x",
            "Signal=5\r\nSignal=6",
            "Signal=5\r\nDuration=long",
            "Signal 5",
        ] {
            assert!(
                matches!(
                    parse_body(RELAY, body.as_bytes()),
                    Err(InfoError::Malformed(_))
                ),
                "{body:?}"
            );
        }
        assert!(matches!(
            parse_body(RELAY, &[0xff, 0xfe]),
            Err(InfoError::Malformed(_))
        ));
        assert!(matches!(
            parse_body(RELAY, "Signal=5\n".repeat(200).as_bytes()),
            Err(InfoError::Malformed(_))
        ));
        assert_eq!(
            parse_body("application/media_control+xml", b"<x/>"),
            Err(InfoError::Unsupported(
                "application/media_control+xml".into()
            ))
        );
    }
}
