//! What the console's browser tests share: HTTP/1.1 on loopback, waiting
//! with a deadline, and headless Chromium driven over W3C WebDriver as a
//! supervisor uses the page (sign-in, clicks, the page's state, a request
//! forced past the page with its sign-in).

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// Finds `name` on the PATH.
pub fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// The SIP example's sample config: its supervisors and their passwords
/// (`USER-sample-password`), teams and grants.
pub fn sample_config() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../sip/pbx.toml")
}

/// One HTTP/1.1 request on loopback with `headers` beside the usual ones;
/// the status and the body.
pub fn http(
    to: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
    timeout_s: u64,
) -> std::io::Result<(u16, String)> {
    let timeout = Duration::from_secs(timeout_s);
    let mut stream = TcpStream::connect_timeout(&to, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    let extra: String = headers
        .iter()
        .map(|(k, v)| format!("{k}: {v}\r\n"))
        .collect();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {to}\r\nContent-Type: application/json\r\n\
         {extra}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut reader = BufReader::new(stream);
    let mut status_line = String::new();
    reader.read_line(&mut status_line)?;
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut length = None;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            if name.trim().eq_ignore_ascii_case("content-length") {
                length = value.trim().parse::<usize>().ok();
            }
        }
    }
    let mut response = Vec::new();
    match length {
        Some(n) => {
            response.resize(n, 0);
            reader.read_exact(&mut response)?;
        }
        None => {
            reader.read_to_end(&mut response)?;
        }
    }
    Ok((status, String::from_utf8_lossy(&response).into_owned()))
}

/// Waits until `ready` gives a value, polling every 100 ms; fails with
/// `what` (and the last thing `ready` saw) at `deadline`.
pub fn wait_for<T, S: std::fmt::Debug>(
    deadline: Instant,
    what: &str,
    mut ready: impl FnMut() -> Result<T, S>,
) -> T {
    loop {
        match ready() {
            Ok(value) => return value,
            Err(seen) => assert!(Instant::now() < deadline, "{what} in time; last: {seen:?}"),
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Decodes standard base64 (a WebDriver screenshot).
pub fn base64(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let digits: Vec<u8> = text.bytes().filter_map(value).collect();
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    for chunk in digits.chunks(4) {
        let mut n = 0u32;
        for (i, &d) in chunk.iter().enumerate() {
            n |= u32::from(d) << (18 - 6 * i);
        }
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    out
}

/// Waits until the chromedriver at `at` is ready, by `deadline`.
pub fn chromedriver_ready(at: SocketAddr, deadline: Instant) {
    wait_for(deadline, "chromedriver ready", || {
        match http(at, "GET", "/status", &[], "", 5) {
            Ok((200, body)) if body.contains("\"ready\":true") => Ok(()),
            other => Err(other.map(|(status, _)| status).map_err(|e| e.kind())),
        }
    });
}

/// A W3C WebDriver session on chromedriver: one headless Chromium.
pub struct Browser {
    pub driver: SocketAddr,
    pub session: String,
}

impl Browser {
    /// A headless Chromium (profile in `profile`, microphone playing `mic`
    /// if given, media and the page on loopback) on `page`.
    pub fn open(
        driver: SocketAddr,
        chromium: &Path,
        page: &str,
        profile: &Path,
        mic: Option<&Path>,
    ) -> Browser {
        let mut args = vec![
            "--headless=new".to_string(),
            "--no-sandbox".to_string(),
            "--disable-gpu".to_string(),
            "--disable-quic".to_string(),
            "--no-first-run".to_string(),
            "--disable-background-networking".to_string(),
            "--disable-component-update".to_string(),
            "--disable-sync".to_string(),
            format!("--user-data-dir={}", profile.display()),
            "--window-size=1280,800".to_string(),
            "--use-fake-ui-for-media-stream".to_string(),
            "--use-fake-device-for-media-stream".to_string(),
            "--autoplay-policy=no-user-gesture-required".to_string(),
            // The page's server is on loopback, and so is its media.
            "--allow-loopback-in-peer-connection".to_string(),
        ];
        if let Some(mic) = mic {
            args.push(format!(
                "--use-file-for-fake-audio-capture={}",
                mic.display()
            ));
        }
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium.to_string_lossy(),
                "args": args,
            }
        }}});
        let (status, text) = http(driver, "POST", "/session", &[], &caps.to_string(), 60)
            .expect("a new WebDriver session");
        assert_eq!(status, 200, "chromedriver refused the session: {text}");
        let created: Value = serde_json::from_str(&text).expect("JSON");
        let session = created["value"]["sessionId"]
            .as_str()
            .expect("a session id")
            .to_string();
        let browser = Browser { driver, session };
        browser.call("POST", "/url", json!({ "url": page }));
        browser
    }

    /// A WebDriver command of this session; its value (fails the test
    /// unless it succeeded).
    pub fn call(&self, method: &str, path: &str, body: Value) -> Value {
        let path = format!("/session/{}{path}", self.session);
        let body = if method == "GET" {
            String::new()
        } else {
            body.to_string()
        };
        let (status, text) = http(self.driver, method, &path, &[], &body, 60)
            .unwrap_or_else(|e| panic!("WebDriver {method} {path}: {e}"));
        let value: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("WebDriver {method} {path}: {e}: {text}"));
        assert_eq!(status, 200, "WebDriver {method} {path}: {text}");
        value["value"].clone()
    }

    /// The element `css`, if it is on the page.
    pub fn find(&self, css: &str) -> Option<String> {
        let path = format!("/session/{}/element", self.session);
        let body = json!({"using": "css selector", "value": css}).to_string();
        let (status, text) = http(self.driver, "POST", &path, &[], &body, 60).ok()?;
        if status != 200 {
            return None;
        }
        let value: Value = serde_json::from_str(&text).ok()?;
        value["value"]
            .as_object()?
            .values()
            .next()?
            .as_str()
            .map(String::from)
    }

    /// Clicks `css` as a user would, once it is there and enabled (by
    /// `deadline`).
    pub fn click(&self, css: &str, deadline: Instant) {
        let id = wait_for(deadline, &format!("an enabled {css}"), || {
            let id = self.find(css).ok_or("not there")?;
            match self.call("GET", &format!("/element/{id}/enabled"), Value::Null) {
                Value::Bool(true) => Ok(id),
                _ => Err("disabled"),
            }
        });
        self.call("POST", &format!("/element/{id}/click"), json!({}));
    }

    /// Runs `js` in the page; what it returns.
    pub fn script(&self, js: &str) -> Value {
        self.call("POST", "/execute/sync", json!({"script": js, "args": []}))
    }

    /// Types `text` into the element `css`.
    pub fn type_into(&self, css: &str, text: &str, deadline: Instant) {
        let id = wait_for(deadline, &format!("{css} on the page"), || {
            self.find(css).ok_or(())
        });
        self.call(
            "POST",
            &format!("/element/{id}/value"),
            json!({ "text": text }),
        );
    }

    /// Signs in on the page as `user` with `password`, and waits until the
    /// console shows.
    pub fn sign_in(&self, user: &str, password: &str, deadline: Instant) {
        self.type_into("#user", user, deadline);
        self.type_into("#password", password, deadline);
        self.click("#btn-signin", deadline);
        wait_for(deadline, &format!("{user} signed in"), || {
            let me = self.script("return window.dashboard.me && window.dashboard.me.user;");
            let listed = self
                .script("return !!(window.dashboard.state && window.dashboard.state.supervisor);");
            if me == json!(user) && listed == json!(true) {
                Ok(())
            } else {
                Err((me, listed))
            }
        });
    }

    /// The state as the page last received it (for its supervisor).
    pub fn state(&self) -> Value {
        self.script("return window.dashboard.state;")
    }

    /// The page's session cookie (`name=value`), as WebDriver reads it
    /// (it is `HttpOnly`: the page's script cannot).
    pub fn cookie(&self) -> String {
        let c = self.call("GET", "/cookie/barge_session", Value::Null);
        format!(
            "barge_session={}",
            c["value"].as_str().expect("the session cookie")
        )
    }

    /// A `POST` to the console at `app` with this browser's sign-in
    /// (cookie and CSRF token) sent from outside the page, as one forced
    /// past it would be.
    pub fn forced_post(&self, app: SocketAddr, path: &str) -> (u16, String) {
        let cookie = self.cookie();
        let csrf = self.script("return window.dashboard.me.csrf;");
        let csrf = csrf.as_str().expect("a CSRF token").to_string();
        let origin = format!("http://{app}");
        http(
            app,
            "POST",
            path,
            &[
                ("Cookie", &cookie),
                ("X-CSRF-Token", &csrf),
                ("Origin", &origin),
            ],
            "",
            10,
        )
        .unwrap_or_else(|e| panic!("POST {path}: {e}"))
    }

    /// Waits until the selected call's Whisper and Barge buttons are
    /// disabled (by `deadline`), and checks that each says why ("may not
    /// use") while Monitor stays enabled: a supervisor who may only
    /// listen.
    pub fn assert_may_only_listen(&self, deadline: Instant) {
        let buttons = wait_for(deadline, "Whisper and Barge disabled", || {
            let b = self.script(
                "return ['monitor', 'whisper', 'barge'].map((a) => { \
                   const b = document.querySelector('#btn-' + a); return [b.disabled, b.title]; });",
            );
            if b[1][0] == json!(true) && b[2][0] == json!(true) {
                Ok(b)
            } else {
                Err(b)
            }
        });
        assert_eq!(buttons[0][0], json!(false), "{buttons}");
        for i in [1, 2] {
            let why = buttons[i][1].as_str().unwrap_or_default();
            assert!(why.contains("may not use"), "{buttons}");
        }
    }

    /// A screenshot of the page, written to `path` as PNG.
    pub fn screenshot(&self, path: &Path) {
        let png = self.call("GET", "/screenshot", Value::Null);
        let png = base64(png.as_str().expect("a base64 screenshot"));
        assert!(png.starts_with(b"\x89PNG"), "the screenshot is a PNG");
        std::fs::write(path, png).expect("write the screenshot");
    }
}
