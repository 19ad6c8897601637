//! The console's sign-in and its refusals, over HTTP (no browser): the
//! example runs with the SIP example's sample config
//! (`examples/sip/pbx.toml`, whose passwords are `USER-sample-password`).
//!
//! - No cookie, a forged cookie, an expired cookie: 401; a cross-site
//!   request, or one without the sign-in's CSRF token, with a good cookie:
//!   403; and after all of them nobody is on any call. A cross-site
//!   sign-in: 403. A supervisor whose sign-in expires leaves its call.
//! - A wrong password five times: the answers say to wait (429 or a
//!   `Retry-After`); once the wait is over, the right password signs in.
//! - A QA supervisor's forced whisper: 403, and the call's audit trail has
//!   the refusal.
//! - On an address that is not loopback, without TLS in the config, the
//!   console refuses to start, in one line.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::sample_config;
use wait_timeout::ChildExt;

/// The console, killed when dropped.
struct Console {
    child: Child,
    at: SocketAddr,
    /// What it printed before its address.
    said: Vec<String>,
}

impl Drop for Console {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Console {
    /// Starts the console on a free loopback port with `config`.
    fn start(config: &Path) -> Console {
        let mut child = Command::new(env!("CARGO_BIN_EXE_dashboard"))
            .args(["--listen", "127.0.0.1:0", "--config"])
            .arg(config)
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the console");
        let stdout = child.stdout.take().expect("piped stdout");
        let (lines, said) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = lines.send(line);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut before = Vec::new();
        let at = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = said
                .recv_timeout(left)
                .expect("the console printed no address");
            if let Some(i) = line.find("://") {
                let url = line[i + 3..].split_whitespace().next().unwrap();
                break url.trim_end_matches('/').parse().expect("an address");
            }
            before.push(line);
        };
        Console {
            child,
            at,
            said: before,
        }
    }

    /// One request; the status, the headers (lower-case names) and the body.
    fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> (u16, Vec<(String, String)>, String) {
        let mut stream = TcpStream::connect(self.at).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\nConnection: close\r\n",
            self.at,
            body.len()
        );
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(body.as_bytes()).unwrap();
        let mut reader = BufReader::new(stream);
        let mut status = String::new();
        reader.read_line(&mut status).unwrap();
        let status = status
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let mut found = Vec::new();
        let mut length = None;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap() == 0 || line.trim().is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                let (k, v) = (k.trim().to_ascii_lowercase(), v.trim().to_string());
                if k == "content-length" {
                    length = v.parse::<usize>().ok();
                }
                found.push((k, v));
            }
        }
        let mut body = vec![0; length.unwrap_or(0)];
        reader.read_exact(&mut body).unwrap();
        (status, found, String::from_utf8_lossy(&body).into_owned())
    }

    /// Signs `user` in with `password`: the status, the cookie (`name=value`)
    /// and the answer.
    fn login(&self, user: &str, password: &str) -> (u16, Option<String>, Value) {
        let body = json!({"user": user, "password": password}).to_string();
        let (status, headers, text) = self.request(
            "POST",
            "/login",
            &[("Content-Type", "application/json")],
            &body,
        );
        let cookie = headers
            .iter()
            .find(|(k, _)| k == "set-cookie")
            .map(|(_, v)| v.split(';').next().unwrap_or_default().to_string());
        (
            status,
            cookie,
            serde_json::from_str(&text).unwrap_or(Value::Null),
        )
    }

    /// A signed-in `POST`, as the page makes it: cookie, CSRF token, Origin.
    fn post(&self, cookie: &str, csrf: &str, path: &str) -> (u16, String) {
        let origin = format!("http://{}", self.at);
        let (status, _, body) = self.request(
            "POST",
            path,
            &[
                ("Cookie", cookie),
                ("X-CSRF-Token", csrf),
                ("Origin", &origin),
            ],
            "",
        );
        (status, body)
    }

    fn state(&self, cookie: &str) -> (u16, Value) {
        let (status, _, body) = self.request("GET", "/state", &[("Cookie", cookie)], "");
        (status, serde_json::from_str(&body).unwrap_or(Value::Null))
    }
}

/// Polls `ready` every 100 ms until it gives a value or `within` passes.
fn wait_for<T>(within: Duration, what: &str, mut ready: impl FnMut() -> Option<T>) -> T {
    support::wait_for(Instant::now() + within, what, || {
        ready().ok_or("nothing yet")
    })
}

/// Every supervisor on every call, as `state` lists them.
fn supervisors_on_calls(state: &Value) -> Vec<String> {
    let mut on = Vec::new();
    for call in state["calls"].as_array().into_iter().flatten() {
        for p in call["parties"].as_array().into_iter().flatten() {
            if p["role"] == "supervisor" {
                on.push(format!("call {}: {}", call["n"], p["who"]));
            }
        }
    }
    on
}

#[test]
fn requests_without_a_good_sign_in_are_refused_and_change_nothing() {
    // A copy of the sample whose sign-ins last 2 s.
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("console-signin");
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("pbx.toml");
    let sample = std::fs::read_to_string(sample_config()).unwrap();
    assert!(sample.trim_end().ends_with("# session_seconds = 28800"));
    std::fs::write(&config, format!("{sample}session_seconds = 2\n")).unwrap();
    let console = Console::start(&config);

    let (status, cookie, me) = console.login("sam", "sam-sample-password");
    assert_eq!(status, 200, "{me}");
    let cookie = cookie.expect("a session cookie");
    let csrf = me["csrf"].as_str().expect("a CSRF token").to_string();
    let (_, headers, _) = console.request(
        "POST",
        "/login",
        &[("Content-Type", "application/json")],
        &json!({"user": "quinn", "password": "quinn-sample-password"}).to_string(),
    );
    let set = &headers.iter().find(|(k, _)| k == "set-cookie").unwrap().1;
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );

    // No cookie, a forged one: 401, for reading and for changing.
    for cookie in [None, Some("barge_session=0123456789abcdef")] {
        let headers: Vec<(&str, &str)> = cookie.iter().map(|c| ("Cookie", *c)).collect();
        for (method, path) in [
            ("GET", "/state"),
            ("GET", "/me"),
            ("POST", "/calls/2/barge"),
            ("POST", "/offer"),
        ] {
            let (status, _, body) = console.request(method, path, &headers, "");
            assert_eq!(status, 401, "{method} {path} with {cookie:?}: {body}");
        }
    }
    // A good cookie without the CSRF token, with a wrong one, or from
    // another site: 403.
    let (status, _, _) = console.request("POST", "/calls/2/monitor", &[("Cookie", &cookie)], "");
    assert_eq!(status, 403, "no CSRF token");
    let (status, _) = console.post(&cookie, "forged", "/calls/2/monitor");
    assert_eq!(status, 403, "a wrong CSRF token");
    for (name, value) in [
        ("Origin", "http://evil.example"),
        ("Sec-Fetch-Site", "cross-site"),
    ] {
        let (status, _, body) = console.request(
            "POST",
            "/calls/2/silence",
            &[("Cookie", &cookie), ("X-CSRF-Token", &csrf), (name, value)],
            "",
        );
        assert_eq!(status, 403, "{name}: {value}: {body}");
    }
    assert_eq!(console.state(&cookie).0, 200);
    let state = wait_for(Duration::from_secs(10), "a state with calls", || {
        let (_, s) = console.state(&cookie);
        s["calls"]
            .as_array()
            .is_some_and(|c| c.len() == 4)
            .then_some(s)
    });
    assert_eq!(supervisors_on_calls(&state), Vec::<String>::new());
    assert!(
        state["calls"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["silent"] == json!(false)),
        "a cross-site request silenced a call"
    );

    // A sign-in from another site is refused too.
    let (status, _, body) = console.request(
        "POST",
        "/login",
        &[
            ("Content-Type", "application/json"),
            ("Origin", "http://evil.example"),
        ],
        &json!({"user": "sam", "password": "sam-sample-password"}).to_string(),
    );
    assert_eq!(status, 403, "{body}");

    // Sam monitors call 2 (from the page, as it would); the sign-in
    // expires (2 s): then 401, and sam is off the call.
    let (status, body) = console.post(&cookie, &csrf, "/calls/2/monitor");
    assert_eq!(status, 200, "{body}");
    wait_for(Duration::from_secs(10), "the sign-in expired", || {
        (console.state(&cookie).0 == 401).then_some(())
    });
    let (status, _) = console.post(&cookie, &csrf, "/calls/2/monitor");
    assert_eq!(status, 401, "an expired cookie");
    let (status, lee, _) = console.login("lee", "lee-sample-password");
    assert_eq!(status, 200);
    let lee = lee.unwrap();
    wait_for(Duration::from_secs(10), "sam off call 2", || {
        let (_, s) = console.state(&lee);
        (s["calls"].is_array() && supervisors_on_calls(&s).is_empty()).then_some(())
    });
}

#[test]
fn failed_sign_ins_are_slowed_down_and_the_right_password_still_works() {
    let console = Console::start(&sample_config());
    let mut answers = Vec::new();
    for _ in 0..5 {
        let (status, _, body) = console.login("lee", "not-lees-password");
        answers.push((status, body));
    }
    let statuses: Vec<u16> = answers.iter().map(|a| a.0).collect();
    assert!(
        statuses.iter().all(|&s| s == 401 || s == 429),
        "{answers:?}"
    );
    let slowed: Vec<u64> = answers
        .iter()
        .filter_map(|(_, b)| b["retry_after"].as_u64())
        .collect();
    assert!(
        statuses.contains(&429) || slowed.iter().any(|&s| s > 0),
        "five wrong passwords were not slowed down: {answers:?}"
    );
    // Right away: to wait, even with the right password.
    let (status, cookie, body) = console.login("lee", "lee-sample-password");
    assert_eq!(status, 429, "{body}");
    assert!(cookie.is_none());
    // Once the wait is over the right password signs in.
    let wait = body["retry_after"].as_u64().expect("retry_after");
    assert!((1..=300).contains(&wait), "{body}");
    let (cookie, me) = wait_for(
        Duration::from_secs(wait + 10),
        "the right password signed in",
        || match console.login("lee", "lee-sample-password") {
            (200, Some(cookie), me) => Some((cookie, me)),
            (429, _, _) => None,
            other => panic!("{other:?}"),
        },
    );
    assert_eq!(me["user"], "lee");
    assert_eq!(console.state(&cookie).0, 200);
    // Another user was never slowed down by lee's failures.
    assert_eq!(console.login("sam", "sam-sample-password").0, 200);
}

#[test]
fn a_forced_request_beyond_the_grant_is_refused_and_audited() {
    let console = Console::start(&sample_config());
    let (status, cookie, me) = console.login("quinn", "quinn-sample-password");
    assert_eq!(status, 200);
    let cookie = cookie.unwrap();
    let csrf = me["csrf"].as_str().unwrap();
    // The page is told whisper and barge are not quinn's on call 2.
    let state = wait_for(Duration::from_secs(10), "quinn's actions", || {
        let (_, s) = console.state(&cookie);
        s["actions"]["2"].is_object().then_some(s)
    });
    let may = &state["actions"]["2"];
    assert_eq!(may["monitor"], Value::Null, "{may}");
    for mode in ["whisper", "barge"] {
        let why = may[mode].as_str().unwrap_or_default();
        assert!(why.contains("may not use"), "{mode}: {may}");
    }
    // Forced with quinn's cookie and token: 403, and the refusal on the
    // call's audit trail; nobody joined.
    let (status, body) = console.post(&cookie, csrf, "/calls/2/whisper");
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("may not use whisper"), "{body}");
    let state = wait_for(Duration::from_secs(10), "the refusal on the trail", || {
        let (_, s) = console.state(&cookie);
        let events = s["calls"][1]["events"].as_array()?.clone();
        events
            .iter()
            .any(|e| e.as_str().unwrap_or_default().contains("REFUSED"))
            .then_some(s)
    });
    assert_eq!(supervisors_on_calls(&state), Vec::<String>::new());
    assert_eq!(state["supervisor"]["call"], Value::Null);
}

#[test]
fn a_plain_http_console_off_loopback_refuses_to_start() {
    for listen in ["192.0.2.10:8443", "0.0.0.0:8000"] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_dashboard"))
            .args(["--listen", listen, "--config"])
            .arg(sample_config())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let status = child
            .wait_timeout(Duration::from_secs(30))
            .unwrap()
            .expect("the console exited");
        let mut err = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        assert_eq!(status.code(), Some(2), "{listen}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{listen}: {err}");
        assert!(err.starts_with("dashboard: refusing to"), "{listen}: {err}");
    }
}

/// Accepts the one certificate whose SHA-256 is `fingerprint` (as the
/// console prints it), and checks its signatures as rustls does.
#[derive(Debug)]
struct Pinned {
    fingerprint: String,
    provider: rustls::crypto::CryptoProvider,
}

impl rustls::client::danger::ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        use sha2::Digest as _;
        let seen: Vec<String> = sha2::Sha256::digest(end_entity.as_ref())
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect();
        if seen.join(":") == self.fingerprint {
            Ok(rustls::client::danger::ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(format!(
                "certificate {} is not the one printed",
                seen.join(":")
            )))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[test]
fn a_self_signed_console_serves_https_with_the_certificate_it_prints_and_a_secure_cookie() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("console-tls");
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("pbx.toml");
    let sample = std::fs::read_to_string(sample_config()).unwrap();
    assert!(sample.contains("\n# self_signed = true\n"));
    let tls = sample.replace("\n# self_signed = true\n", "\nself_signed = true\n");
    std::fs::write(&config, tls).unwrap();
    let console = Console::start(&config);
    let printed = console
        .said
        .iter()
        .find_map(|l| l.split("SHA-256 fingerprint ").nth(1))
        .unwrap_or_else(|| panic!("no fingerprint printed: {:?}", console.said))
        .trim()
        .to_string();
    assert_eq!(printed.len(), 32 * 3 - 1, "{printed}");

    // Plain HTTP to it gets no page.
    let (status, _, _) = console.request("GET", "/", &[], "");
    assert_ne!(status, 200, "plain HTTP was served");

    // HTTPS, pinned to what it printed: the sign-in's cookie is Secure.
    let provider = rustls::crypto::aws_lc_rs::default_provider();
    let client = rustls::ClientConfig::builder_with_provider(provider.clone().into())
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(std::sync::Arc::new(Pinned {
            fingerprint: printed,
            provider,
        }))
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let connection = rustls::ClientConnection::new(client.into(), name).unwrap();
    let tcp = TcpStream::connect(console.at).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut stream = rustls::StreamOwned::new(connection, tcp);
    let body = json!({"user": "sam", "password": "sam-sample-password"}).to_string();
    write!(
        stream,
        "POST /login HTTP/1.1\r\nHost: localhost:{}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        console.at.port(),
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    // The server closes the connection after answering (Connection: close);
    // an unclean close after the whole answer is not this test's business.
    let _ = stream.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let cookie = answer
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("set-cookie:"))
        .unwrap_or_else(|| panic!("no cookie: {answer}"));
    for part in [
        "__Host-barge_session=",
        "HttpOnly",
        "SameSite=Strict",
        "Secure",
        "Path=/",
    ] {
        assert!(cookie.contains(part), "{part} missing: {cookie}");
    }
    assert!(
        answer
            .to_ascii_lowercase()
            .contains("strict-transport-security"),
        "{answer}"
    );
}
