//! The console's web server: axum on tokio (HTTPS by rustls where it serves
//! TLS, see `tls.rs`).
//!
//! | request | what it does | refused with |
//! |---|---|---|
//! | `GET /` | the page (it shows the sign-in form until signed in) | |
//! | `POST /login` `{"user", "password"}` | signs in: a session cookie, and the CSRF token | 401 wrong (with `failures`, `retry_after`), 429 too soon |
//! | `POST /logout` | signs out: leaves the call, hangs up | 401 |
//! | `GET /me` | who is signed in, and the CSRF token | 401 |
//! | `GET /state`, `GET /events` (server-sent) | the calls, and what this supervisor may do on each | 401 |
//! | `POST /offer` (SDP) | connects the browser's microphone and speaker: the SDP answer | 401 |
//! | `POST /hangup` | hangs the browser up: it leaves its call, which goes on | 401 |
//! | `POST /calls/N/{monitor,whisper,barge,leave}` | joins, switches, leaves, as the supervisor's barge identity | 401, 403 refused by barge's policy (on the call's audit trail), 404, 409 |
//! | `POST /calls/N/{silence,talk}` | the simulated call's parties go silent, or talk again | 401 |
//! | `POST /quit` (with `--record` only) | completes the recording and stops | 401 |
//!
//! Every request must name this console's host (an IP address,
//! `localhost` or one of the config's `hostnames`: a DNS-rebound name is
//! refused, 403). Every `POST` must come from the console's own page: a
//! browser's `Sec-Fetch-Site` must say `same-origin` and its `Origin` must be
//! the console's (403 otherwise); and every `POST` of a signed-in
//! supervisor must carry the sign-in's CSRF token in `X-CSRF-Token` (403
//! otherwise). The cookie is `HttpOnly`, `SameSite=Strict`, and `Secure`
//! (with the `__Host-` prefix) over TLS. Bodies are at most 64 KiB.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr, TcpListener};
use std::sync::{mpsc, Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequestParts, Path, Request, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use barge::Mode;
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::{oneshot, watch, Semaphore};

use crate::auth::{Gate, SignIn, SignIns, Throttle, User, Users};
use crate::media::{Command, Failure, Published};
use crate::tls::Serving;

const PAGE: &str = include_str!("index.html");

/// The largest request body (an SDP offer is a few KiB).
const MAX_BODY: usize = 64 * 1024;
/// Passwords checked at once (argon2 takes 19 MiB each).
pub const CHECKS: usize = 2;
/// How long the media loop has to answer.
const LOOP_ANSWERS_IN: Duration = Duration::from_secs(5);
/// How often expired sign-ins are ended.
const EXPIRE_EVERY: Duration = Duration::from_secs(1);

/// What every request shares.
pub struct App {
    /// Who may sign in.
    pub users: Users,
    /// Who is signed in.
    pub sign_ins: Mutex<SignIns>,
    /// Failed sign-ins.
    pub throttle: Mutex<Throttle>,
    /// Passwords being checked.
    pub checks: Semaphore,
    /// Whether the page is served over TLS.
    pub tls: bool,
    /// Host names the page may be reached by, besides addresses and
    /// `localhost`.
    pub hostnames: Vec<String>,
    /// How long a sign-in lasts.
    pub sign_in_lasts: Duration,
    /// The media loop's commands.
    pub commands: mpsc::Sender<Command>,
    /// What the media loop last published.
    pub snapshot: watch::Receiver<Arc<Published>>,
    /// Whether `--record` is on (and `/quit` with it).
    pub recording: bool,
    /// Stops the server (`/quit`).
    pub stop: axum_server::Handle<SocketAddr>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Each holder leaves the value consistent at every step.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl App {
    /// The session cookie's name: `__Host-` over TLS (the browser then
    /// takes it only if it is `Secure`, for this host, on `/`).
    fn cookie_name(&self) -> &'static str {
        if self.tls {
            "__Host-barge_session"
        } else {
            "barge_session"
        }
    }

    /// Sends the media loop the command `make` builds around its answer's
    /// channel, and waits for the answer.
    async fn ask(
        &self,
        make: impl FnOnce(crate::media::Answer) -> Command,
    ) -> Result<String, Fail> {
        let (reply, answer) = oneshot::channel();
        self.commands.send(make(reply)).map_err(|_| {
            Fail::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "the media loop has stopped",
            )
        })?;
        match tokio::time::timeout(LOOP_ANSWERS_IN, answer).await {
            Ok(Ok(Ok(text))) => Ok(text),
            Ok(Ok(Err(Failure::Refused(why)))) => Err(Fail::new(StatusCode::FORBIDDEN, why)),
            Ok(Ok(Err(Failure::NotFound(why)))) => Err(Fail::new(StatusCode::NOT_FOUND, why)),
            Ok(Ok(Err(Failure::Conflict(why)))) => Err(Fail::new(StatusCode::CONFLICT, why)),
            Ok(Err(_)) | Err(_) => Err(Fail::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "the media loop did not answer",
            )),
        }
    }

    /// Tells the media loop that these supervisors' sign-ins ended.
    fn bye(&self, sups: impl IntoIterator<Item = u64>) {
        for sup in sups {
            let _ = self.commands.send(Command::Bye { sup });
        }
    }
}

/// A refusal: its status and a line saying why (`{"error": …}`).
#[derive(Debug)]
pub struct Fail(StatusCode, String);

impl Fail {
    fn new(status: StatusCode, why: impl Into<String>) -> Fail {
        Fail(status, why.into())
    }
}

impl IntoResponse for Fail {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

/// Serves `app` on `listener` as `serving` says, until `/quit`.
pub async fn serve(app: Arc<App>, listener: TcpListener, serving: Serving) -> Result<(), String> {
    listener
        .set_nonblocking(true)
        .map_err(|e| format!("cannot listen: {e}"))?;
    tokio::spawn(expire(app.clone()));
    let handle = app.stop.clone();
    let service = router(app).into_make_service_with_connect_info::<SocketAddr>();
    let served = match serving {
        Serving::Plain => {
            axum_server::from_tcp(listener)
                .map_err(|e| format!("cannot listen: {e}"))?
                .handle(handle)
                .serve(service)
                .await
        }
        Serving::Tls { config, .. } => {
            axum_server::tls_rustls::from_tcp_rustls(listener, config)
                .map_err(|e| format!("cannot listen: {e}"))?
                .handle(handle)
                .serve(service)
                .await
        }
    };
    served.map_err(|e| format!("the web server failed: {e}"))
}

/// The server: every route, behind the host and same-origin checks.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/index.html", get(page))
        .route("/login", post(login))
        .route("/logout", post(logout))
        .route("/me", get(me))
        .route("/state", get(state))
        .route("/events", get(events))
        .route("/offer", post(offer))
        .route("/hangup", post(hangup))
        .route("/calls/{n}/{action}", post(action))
        .route("/quit", post(quit))
        .layer(middleware::from_fn_with_state(app.clone(), guard))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(app)
}

/// The host the request names (`Host`, or HTTP/2's authority).
fn host_of(req: &Request) -> Option<String> {
    req.headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_string)
        .or_else(|| req.uri().authority().map(|a| a.to_string()))
}

/// Whether `host` (with its port) names this console: an IP address,
/// `localhost`, or one of `names`.
fn known_host(host: &str, names: &[String]) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => {
            return rest
                .split(']')
                .next()
                .is_some_and(|ip| ip.parse::<IpAddr>().is_ok())
        }
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    name.parse::<IpAddr>().is_ok()
        || name.eq_ignore_ascii_case("localhost")
        || names.iter().any(|n| n.eq_ignore_ascii_case(name))
}

/// Whether a request that changes something comes from the console's own
/// page: `Sec-Fetch-Site` (where the browser sends it) must say so, and
/// `Origin` (where it sends it) must be the console's. A request with
/// neither is no browser's, and carries no victim's cookie.
fn same_origin(headers: &HeaderMap, tls: bool, host: &str) -> Result<(), &'static str> {
    if let Some(site) = headers.get("sec-fetch-site") {
        if site.as_bytes() != b"same-origin" {
            return Err("a request from another site");
        }
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let scheme = if tls { "https" } else { "http" };
        if origin.to_str().ok() != Some(&format!("{scheme}://{host}")) {
            return Err("a request from another origin");
        }
    }
    Ok(())
}

async fn guard(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let Some(host) = host_of(&req).filter(|h| known_host(h, &app.hostnames)) else {
        return Fail::new(StatusCode::FORBIDDEN, "unknown host").into_response();
    };
    if req.method() != Method::GET && req.method() != Method::HEAD {
        if let Err(why) = same_origin(req.headers(), app.tls, &host) {
            return Fail::new(StatusCode::FORBIDDEN, why).into_response();
        }
    }
    let mut response = next.run(req).await;
    let h = response.headers_mut();
    let set = |h: &mut HeaderMap, name: &'static str, value: &'static str| {
        h.insert(name, HeaderValue::from_static(value));
    };
    set(h, "cache-control", "no-store");
    set(h, "x-content-type-options", "nosniff");
    set(h, "referrer-policy", "no-referrer");
    set(h, "x-frame-options", "DENY");
    set(
        h,
        "content-security-policy",
        "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; \
         media-src 'self' blob:; img-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    );
    if app.tls {
        set(h, "strict-transport-security", "max-age=31536000");
    }
    response
}

async fn page() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], PAGE)
}

/// A signed-in request: its cookie's token and its sign-in. For a `POST`,
/// the sign-in's CSRF token must be in `X-CSRF-Token`.
struct Auth {
    token: String,
    sign_in: SignIn,
}

impl FromRequestParts<Arc<App>> for Auth {
    type Rejection = Fail;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Auth, Fail> {
        let jar = CookieJar::from_headers(&parts.headers);
        let token = jar
            .get(app.cookie_name())
            .map(|c| c.value().to_string())
            .ok_or_else(|| Fail::new(StatusCode::UNAUTHORIZED, "not signed in"))?;
        let sign_in = lock(&app.sign_ins)
            .get(&token, Instant::now())
            .cloned()
            .ok_or_else(|| {
                Fail::new(
                    StatusCode::UNAUTHORIZED,
                    "not signed in (or the sign-in expired)",
                )
            })?;
        if parts.method != Method::GET && parts.method != Method::HEAD {
            let sent = parts.headers.get("x-csrf-token").map(HeaderValue::as_bytes);
            if sent != Some(sign_in.csrf.as_bytes()) {
                return Err(Fail::new(
                    StatusCode::FORBIDDEN,
                    "missing or wrong X-CSRF-Token",
                ));
            }
        }
        Ok(Auth { token, sign_in })
    }
}

#[derive(Deserialize)]
struct Credentials {
    user: String,
    password: String,
}

/// Clears "being checked" for an attempt that ends before its answer
/// (the client went away).
struct Checking<'a> {
    throttle: &'a Mutex<Throttle>,
    user: &'a str,
    done: bool,
}

impl Drop for Checking<'_> {
    fn drop(&mut self) {
        if !self.done {
            lock(self.throttle).release(self.user);
        }
    }
}

async fn login(
    State(app): State<Arc<App>>,
    ConnectInfo(from): ConnectInfo<SocketAddr>,
    jar: CookieJar,
    Json(body): Json<Credentials>,
) -> Result<Response, Fail> {
    if body.user.is_empty() || body.user.len() > 64 || body.password.len() > 1024 {
        return Err(Fail::new(
            StatusCode::BAD_REQUEST,
            "expected a user and a password",
        ));
    }
    let known = app.users.knows(&body.user);
    let gate = lock(&app.throttle).check(&body.user, known, from.ip(), Instant::now());
    if let Gate::Wait {
        retry_after,
        failures,
    } = gate
    {
        return Ok(too_soon(retry_after, failures));
    }
    let mut checking = Checking {
        throttle: &app.throttle,
        user: &body.user,
        done: false,
    };
    let verified = {
        let _permit = app
            .checks
            .acquire()
            .await
            .map_err(|_| Fail::new(StatusCode::SERVICE_UNAVAILABLE, "stopping"))?;
        let (app2, user, password) = (app.clone(), body.user.clone(), body.password.clone());
        tokio::task::spawn_blocking(move || app2.users.verify(&user, &password))
            .await
            .map_err(|_| Fail::new(StatusCode::INTERNAL_SERVER_ERROR, "the check failed"))?
    };
    let now = Instant::now();
    let Some(user) = verified else {
        let (failures, wait) = lock(&app.throttle).failed(&body.user, known, from.ip(), now);
        checking.done = true;
        let retry_after = wait.as_secs();
        let mut response = (
            StatusCode::UNAUTHORIZED,
            Json(json!({
                "error": "wrong user or password",
                "failures": failures,
                "retry_after": retry_after,
            })),
        )
            .into_response();
        if retry_after > 0 {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
        }
        return Ok(response);
    };
    lock(&app.throttle).succeeded(&user.name);
    checking.done = true;
    let added = lock(&app.sign_ins).add(user.clone(), now, now + app.sign_in_lasts);
    let (token, sign_in, ended) =
        added.map_err(|e| Fail::new(StatusCode::SERVICE_UNAVAILABLE, e))?;
    app.bye(ended);
    let _ = app.commands.send(Command::Hello {
        sup: sign_in.sup,
        user: user.name.clone(),
        identity: user.identity,
    });
    let cookie = Cookie::build((app.cookie_name(), token))
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(app.tls)
        .path("/");
    Ok((jar.add(cookie), Json(me_json(&sign_in))).into_response())
}

/// 429: too soon after failed sign-ins.
fn too_soon(retry_after: u64, failures: u32) -> Response {
    let mut response = (
        StatusCode::TOO_MANY_REQUESTS,
        Json(json!({
            "error": format!("too many failed sign-ins: try again in {retry_after} s"),
            "failures": failures,
            "retry_after": retry_after,
        })),
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
    response
}

fn me_json(sign_in: &SignIn) -> Value {
    let user: &User = &sign_in.user;
    json!({
        "user": user.name,
        "key": user.identity.key().as_str(),
        "groups": user.identity.groups().map(|g| g.as_str().to_string()).collect::<Vec<_>>(),
        "csrf": sign_in.csrf,
    })
}

async fn logout(State(app): State<Arc<App>>, auth: Auth, jar: CookieJar) -> Response {
    if let Some(s) = lock(&app.sign_ins).remove(&auth.token) {
        app.bye([s.sup]);
    }
    let gone = Cookie::build((app.cookie_name(), "")).path("/");
    (jar.remove(gone), Json(json!({ "signed_out": true }))).into_response()
}

async fn me(auth: Auth) -> Json<Value> {
    Json(me_json(&auth.sign_in))
}

/// The page's state for supervisor `sup`: the calls, then where it is and
/// what it may do.
fn state_text(published: &Published, sup: u64) -> String {
    if published.common.is_empty() {
        return "{\"calls\":[],\"supervisor\":null,\"actions\":{}}".into();
    }
    let mine = published
        .mine
        .get(&sup)
        .map_or("\"supervisor\":null,\"actions\":{}", String::as_str);
    format!("{},{mine}}}", published.common)
}

async fn state(State(app): State<Arc<App>>, auth: Auth) -> Response {
    let text = state_text(&app.snapshot.borrow(), auth.sign_in.sup);
    ([(header::CONTENT_TYPE, "application/json")], text).into_response()
}

async fn events(
    State(app): State<Arc<App>>,
    auth: Auth,
) -> Sse<impl futures_util::Stream<Item = Result<SseEvent, Infallible>>> {
    let mut snapshot = app.snapshot.clone();
    snapshot.mark_changed();
    let seed = (app, snapshot, auth.token, auth.sign_in.sup);
    let events = futures_util::stream::unfold(seed, |(app, mut snapshot, token, sup)| async move {
        snapshot.changed().await.ok()?;
        // A sign-in that ended or expired ends its stream.
        lock(&app.sign_ins).get(&token, Instant::now())?;
        let data = state_text(&snapshot.borrow_and_update(), sup);
        Some((
            Ok(SseEvent::default().data(data)),
            (app, snapshot, token, sup),
        ))
    });
    Sse::new(events).keep_alive(KeepAlive::default())
}

async fn offer(State(app): State<Arc<App>>, auth: Auth, sdp: String) -> Result<Response, Fail> {
    let sup = auth.sign_in.sup;
    let answer = app.ask(|reply| Command::Offer { sup, sdp, reply }).await?;
    Ok(([(header::CONTENT_TYPE, "application/sdp")], answer).into_response())
}

async fn hangup(State(app): State<Arc<App>>, auth: Auth) -> Result<Json<Value>, Fail> {
    let sup = auth.sign_in.sup;
    let done = app.ask(|reply| Command::HangUp { sup, reply }).await?;
    Ok(Json(json!({ "done": done })))
}

async fn action(
    State(app): State<Arc<App>>,
    auth: Auth,
    Path((n, action)): Path<(String, String)>,
) -> Result<Json<Value>, Fail> {
    // The page's number: a simulated call's, or a live call's.
    let call = match n.parse::<usize>() {
        Ok(n) if n > 0 => n,
        _ => return Err(Fail::new(StatusCode::NOT_FOUND, "no such call")),
    };
    let sup = auth.sign_in.sup;
    let mode = match action.as_str() {
        "monitor" => Mode::Monitor,
        "whisper" => Mode::Whisper,
        "barge" => Mode::Barge,
        "leave" => {
            let done = app.ask(|reply| Command::Leave { sup, call, reply }).await?;
            return Ok(Json(json!({ "done": done })));
        }
        "silence" | "talk" => {
            let silent = action == "silence";
            let done = app
                .ask(|reply| Command::Silence {
                    call,
                    silent,
                    reply,
                })
                .await?;
            return Ok(Json(json!({ "done": done })));
        }
        _ => return Err(Fail::new(StatusCode::NOT_FOUND, "no such action")),
    };
    let done = app
        .ask(|reply| Command::Mode {
            sup,
            call,
            mode,
            reply,
        })
        .await?;
    Ok(Json(json!({ "done": done })))
}

async fn quit(State(app): State<Arc<App>>, _auth: Auth) -> Result<Json<Value>, Fail> {
    if !app.recording {
        return Err(Fail::new(StatusCode::NOT_FOUND, "not recording"));
    }
    let done = app.ask(|reply| Command::Quit { reply }).await?;
    app.stop.graceful_shutdown(Some(Duration::from_secs(2)));
    Ok(Json(json!({ "done": done })))
}

/// Ends expired sign-ins every second: their supervisors leave their
/// calls and hang up.
async fn expire(app: Arc<App>) {
    let mut tick = tokio::time::interval(EXPIRE_EVERY);
    loop {
        tick.tick().await;
        let ended = lock(&app.sign_ins).expire(Instant::now());
        app.bye(ended);
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn hosts_are_addresses_localhost_or_named() {
        let names = vec!["console.example.com".to_string()];
        for ok in [
            "127.0.0.1:8000",
            "[::1]:8000",
            "localhost:8000",
            "LOCALHOST",
            "console.example.com:8443",
            "192.0.2.10",
        ] {
            assert!(known_host(ok, &names), "{ok}");
        }
        for bad in ["evil.example:8000", "127.0.0.1.nip.io:8000", "[nope]:1", ""] {
            assert!(!known_host(bad, &names), "{bad}");
        }
    }

    #[test]
    fn only_the_consoles_own_page_changes_anything() {
        let headers = |pairs: &[(&'static str, &'static str)]| {
            let mut h = HeaderMap::new();
            for (k, v) in pairs {
                h.insert(*k, HeaderValue::from_static(v));
            }
            h
        };
        let host = "127.0.0.1:8000";
        let page = headers(&[
            ("sec-fetch-site", "same-origin"),
            ("origin", "http://127.0.0.1:8000"),
        ]);
        assert!(same_origin(&page, false, host).is_ok());
        assert!(same_origin(&page, true, host).is_err(), "the scheme counts");
        assert!(
            same_origin(&headers(&[]), false, host).is_ok(),
            "not a browser"
        );
        for bad in [
            headers(&[("sec-fetch-site", "cross-site")]),
            headers(&[("sec-fetch-site", "same-site")]),
            headers(&[("origin", "http://evil.example")]),
            headers(&[("origin", "null")]),
            headers(&[
                ("sec-fetch-site", "same-origin"),
                ("origin", "http://127.0.0.1:9000"),
            ]),
        ] {
            assert!(same_origin(&bad, false, host).is_err(), "{bad:?}");
        }
    }
}
