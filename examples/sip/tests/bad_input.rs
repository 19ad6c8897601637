//! Bad input gets the SIP answer a PBX admin expects, and disturbs no
//! other call: each refusal below is sent while a call is up on extension
//! 1001, and the call is still up (its customer still receives its RTP)
//! after all of them. Sent by the tests' own user agent (no phone sends a
//! malformed SDP), in a network namespace of the test's own.
//!
//! | input | answer |
//! |---|---|
//! | an INVITE to an unknown extension | 404 |
//! | an INVITE to an extension with a call on it | 486 |
//! | an SDP offer with no codec in common | 488 |
//! | a malformed SDP offer | 400 |
//! | a feature code for an extension with no call | 480 |
//! | a feature code for an unknown extension | 404 |
//! | a feature code from a user who is no supervisor | 403 |
//! | a feature code from a supervisor outside its grant | 403 |
//! | INFO with a malformed `application/dtmf-relay` body | 400 |
//! | INFO of another content type | 415 |
//!
//! And a config file that does not parse: one line on stderr saying
//! where, exit status 2.

mod common;

use std::net::UdpSocket;
use std::process::Command;
use std::time::{Duration, Instant};

use common::ua::{answer_calls, pcmu_sdp, Uac};
use common::*;

fn config(agent: std::net::SocketAddr) -> String {
    format!(
        r#"
[[extension]]
number = "1001"
agent = "alex"
groups = ["team-a"]
contact = "sip:alex@{agent}"

[[extension]]
number = "1002"
agent = "bo"
groups = ["team-b"]
contact = "sip:bo@127.0.0.1:9"

[[supervisor]]
user = "sam"
groups = ["team-lead", "team-a"]

[[supervisor]]
user = "lee"
groups = ["team-lead", "team-b"]

[policy]
grants = [
  {{ to = {{ group = "team-lead" }}, modes = ["monitor", "whisper", "barge"], on = "own_team" }},
]
"#
    )
}

fn secs(s: u64) -> Instant {
    Instant::now() + Duration::from_secs(s)
}

#[test]
fn bad_input_gets_the_answer_a_pbx_admin_expects_and_disturbs_no_call() {
    let test = "bad_input_gets_the_answer_a_pbx_admin_expects_and_disturbs_no_call";
    if !in_own_netns(test, &[]) {
        return;
    }
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("sip-bad-input");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let pbx_addr: std::net::SocketAddr = ([127, 0, 0, 1], 5060).into();
    let agent = Uac::new("alex", pbx_addr);
    let mut p = Processes::default();
    let mut pbx = Pbx::start(&mut p, &dir, &config(agent.local), pbx_addr);

    // The agent's phone answers for the whole test.
    let agent_rtp = UdpSocket::bind("127.0.0.1:0").unwrap();
    let agent_sdp = pbx_sdp(&agent_rtp);
    let agent_thread = std::thread::spawn(move || {
        answer_calls(&agent, &agent_sdp, secs(60), |m| m.method() != Some("BYE"));
    });

    // A call on 1001.
    let customer = Uac::new("5550100", pbx_addr);
    let customer_rtp = UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut call = customer
        .invite("1001", &pbx_sdp(&customer_rtp), secs(10))
        .expect("the call on 1001 is answered");
    pbx.out.wait_for("bridged", secs(5), "the PBX");

    let good = pbx_sdp(&UdpSocket::bind("127.0.0.1:0").unwrap());
    let no_codec = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
                    m=audio 4000 RTP/AVP 18 96\r\na=rtpmap:96 opus/48000/2\r\n";
    let malformed = "v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio many RTP/AVP 0\r\n";
    let answers = [
        (
            "an unknown extension",
            "5550101",
            "9999",
            good.as_str(),
            404,
        ),
        (
            "an extension with a call on it",
            "5550101",
            "1001",
            good.as_str(),
            486,
        ),
        ("no codec in common", "5550101", "1002", no_codec, 488),
        ("a malformed SDP", "5550101", "1002", malformed, 400),
        (
            "a feature code, no call",
            "sam",
            "*2221002",
            good.as_str(),
            480,
        ),
        (
            "a feature code, unknown extension",
            "sam",
            "*2229999",
            good.as_str(),
            404,
        ),
        (
            "a feature code, no supervisor",
            "mallory",
            "*2221001",
            good.as_str(),
            403,
        ),
        (
            "a feature code outside the grant",
            "lee",
            "881001",
            good.as_str(),
            403,
        ),
        (
            "a malformed SDP to a feature code",
            "sam",
            "*2221001",
            malformed,
            400,
        ),
    ];
    for (what, user, dialed, sdp, expected) in answers {
        let got = Uac::new(user, pbx_addr).invite(dialed, sdp, secs(10));
        println!(
            "{test}: {what}: {:?}",
            got.as_ref().map(|_| 200).unwrap_or_else(|s| *s)
        );
        assert_eq!(got.err(), Some(expected), "{what}");
    }

    // A supervisor on the call; INFO bodies, bad and good.
    let sam = Uac::new("sam", pbx_addr);
    let mut sup = sam
        .invite("*2221001", &good, secs(10))
        .expect("sam joins the call");
    pbx.out.wait_for("supervisor sam joins", secs(5), "the PBX");
    let relay = "Content-Type: application/dtmf-relay\r\n";
    for (what, extra, body, expected) in [
        (
            "a key that is no key",
            relay,
            "Signal=x\r\nDuration=160\r\n",
            400,
        ),
        ("no Signal", relay, "Duration=160\r\n", 400),
        (
            "a Duration that is no number",
            relay,
            "Signal=5\r\nDuration=long\r\n",
            400,
        ),
        (
            "another content type",
            "Content-Type: text/plain\r\n",
            "5",
            415,
        ),
        ("a good key", relay, "Signal=5\r\nDuration=160\r\n", 200),
    ] {
        let got = sam.in_dialog(&mut sup, "INFO", extra, body, secs(5));
        println!("{test}: INFO with {what}: {got:?}");
        assert_eq!(got, Some(expected), "INFO with {what}");
    }
    pbx.out.wait_for(
        "supervisor sam: monitor -> whisper (key 5 by SIP INFO",
        secs(5),
        "the PBX",
    );

    // The call is still up: its customer still gets its RTP.
    customer_rtp
        .set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let mut buf = [0u8; 2048];
    let (mut packets, until) = (0, Instant::now() + Duration::from_millis(300));
    while Instant::now() < until {
        if customer_rtp.recv_from(&mut buf).is_ok() {
            packets += 1;
        }
    }
    assert!(packets >= 5, "the customer gets no RTP after the bad input");
    pbx.out.drain();
    assert!(!pbx.out.all().contains("call ends"), "{}", pbx.out.all());

    assert_eq!(sam.in_dialog(&mut sup, "BYE", "", "", secs(5)), Some(200));
    assert_eq!(
        customer.in_dialog(&mut call, "BYE", "", "", secs(5)),
        Some(200)
    );
    pbx.out
        .wait_for("call ends: the customer hung up", secs(5), "the PBX");
    pbx.out.wait_for("timeline", secs(5), "the PBX");
    agent_thread.join().expect("the agent's phone");
}

fn pbx_sdp(rtp: &UdpSocket) -> String {
    pcmu_sdp(rtp.local_addr().unwrap())
}

#[test]
fn a_config_that_does_not_parse_is_one_line_and_exit_status_2() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("sip-bad-config");
    std::fs::create_dir_all(&dir).unwrap();
    for (text, says) in [
        (
            "[[extension]]\nnumber = \"1001\"\nagent = \"alex\"\ncontact = 5072\n",
            "line 4, column 11",
        ),
        (
            "[[supervisor]]\nuser = \"sam\"\ngroups = [\"a\", \"b\", \"c\", \"d\", \"e\"]\n",
            "expected at most 4 groups",
        ),
        (
            "[policy]\ngrants = [{ to = \"any\", modes = [\"shout\"], on = \"every\" }]\n",
            "line 2",
        ),
    ] {
        let path = dir.join("bad.toml");
        std::fs::write(&path, text).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_barge-sip"))
            .arg("--config")
            .arg(&path)
            .output()
            .expect("run the PBX");
        let err = String::from_utf8_lossy(&out.stderr);
        println!("{err}");
        assert_eq!(out.status.code(), Some(2), "{text:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains(says) && err.contains("bad.toml"),
            "{text:?}: {err}"
        );
    }
}
