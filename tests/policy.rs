//! Permissions (issue #12): who may use which mode on which agent, and what
//! a refusal says. The scenario of the issue as a table, the decision
//! against a plain model of it, labels at their bounds, and (feature
//! `serde`) a policy read from a config file.

use std::collections::BTreeSet;

use barge::policy::{AgentKeys, Agents};
use barge::{Error, Grant, Identity, Label, Mode, ModeSet, Policy, Reason, Refusal};
use proptest::prelude::*;

fn label(text: &str) -> Label {
    Label::new(text).unwrap()
}

fn person(key: &str, groups: &[&str]) -> Identity {
    groups.iter().fold(Identity::new(label(key)), |id, g| {
        id.with_group(label(g)).unwrap()
    })
}

/// The issue's call centre: team leads may monitor, whisper and barge on
/// their own team; QA may only monitor, on every agent; Tess (a trainer)
/// may whisper to two named agents; Alex-2 has opted out.
fn centre() -> Policy {
    Policy::new()
        .grant(
            Grant::group(label("team-lead"))
                .may([Mode::Monitor, Mode::Whisper, Mode::Barge])
                .on_own_team(),
        )
        .grant(
            Grant::group(label("qa"))
                .may(Mode::Monitor)
                .on_every_agent(),
        )
        .grant(
            Grant::supervisor(label("tess"))
                .may(Mode::Whisper)
                .on_agents([label("alex"), label("bo")])
                .unwrap(),
        )
        .opt_out(label("alex-2"))
}

const M: Mode = Mode::Monitor;
const W: Mode = Mode::Whisper;
const P: Mode = Mode::PrivateWhisper;
const C: Mode = Mode::CustomerOnly;
const B: Mode = Mode::Barge;

#[test]
fn the_issues_call_centre() {
    let policy = centre();
    let sam = person("sam", &["team-lead", "team-a"]);
    let lee = person("lee", &["team-lead", "team-b"]);
    let quinn = person("quinn", &["qa"]);
    let tess = person("tess", &["trainers"]);
    let alex = person("alex", &["team-a"]);
    let bo = person("bo", &["team-b"]);
    let alex2 = person("alex-2", &["team-a"]);

    // (supervisor, agent, the modes that must be allowed; all others refused)
    let table: &[(&Identity, &Identity, &[Mode])] = &[
        (&sam, &alex, &[M, W, B]),
        (&sam, &bo, &[]),
        (&lee, &bo, &[M, W, B]),
        (&lee, &alex, &[]),
        (&quinn, &alex, &[M]),
        (&quinn, &bo, &[M]),
        (&tess, &alex, &[W]),
        (&tess, &bo, &[W]),
        (&sam, &alex2, &[]),
        (&quinn, &alex2, &[]),
    ];
    for &(supervisor, agent, allowed) in table {
        for mode in Mode::ALL {
            let got = policy.allows(supervisor, agent, mode);
            assert_eq!(
                got.is_ok(),
                allowed.contains(&mode),
                "{supervisor} {mode} on {agent}: {got:?}"
            );
            if let Err(refusal) = got {
                assert_eq!(refusal.supervisor, Some(supervisor.key()));
                assert_eq!(refusal.agent, Some(agent.key()));
                assert_eq!(refusal.mode, mode);
                let expected = if agent.key() == label("alex-2") {
                    Reason::OptedOut
                } else {
                    Reason::NotGranted {
                        granted: ModeSet::of(allowed),
                    }
                };
                assert_eq!(refusal.reason, expected, "{supervisor} on {agent}");
            }
        }
    }
}

#[test]
fn refusals_say_who_what_and_why() {
    let policy = centre();
    let sam = person("sam", &["team-lead", "team-a"]);
    let quinn = person("quinn", &["qa"]);
    let alex = person("alex", &["team-a"]);
    let bo = person("bo", &["team-b"]);
    let alex2 = person("alex-2", &["team-a"]);
    for (refusal, message) in [
        (
            policy.allows(&quinn, &alex, Mode::Whisper),
            r#"supervisor "quinn" may not use whisper on agent "alex": granted on that agent: monitor"#,
        ),
        (
            policy.allows(&sam, &bo, Mode::Barge),
            r#"supervisor "sam" may not use barge on agent "bo": no mode is granted on that agent"#,
        ),
        (
            policy.allows(&sam, &alex, Mode::CustomerOnly),
            r#"supervisor "sam" may not use customer only on agent "alex": granted on that agent: monitor, whisper, barge"#,
        ),
        (
            policy.allows(&sam, &alex2, Mode::Monitor),
            r#"supervisor "sam" may not use monitor on agent "alex-2": the agent has opted out of being monitored"#,
        ),
        (
            policy.allows_on_call(None, [Some(&alex)], Mode::Monitor),
            r#"a supervisor without a key may not use monitor on agent "alex": a policy is set, and it grants modes only to and on parties with a key"#,
        ),
    ] {
        let refusal = refusal.unwrap_err();
        assert_eq!(refusal.to_string(), message);
        assert_eq!(Error::Refused { refusal }.to_string(), message);
    }
}

#[test]
fn grants_add_up_and_none_takes_away() {
    let sam = person("sam", &["team-lead", "team-a"]);
    let alex = person("alex", &["team-a", "night"]);
    let policy = Policy::new()
        .grant(
            Grant::supervisor(label("sam"))
                .may(Mode::Monitor)
                .on_team(label("team-a")),
        )
        .grant(
            Grant::group(label("team-lead"))
                .may(Mode::Whisper)
                .on_team(label("night")),
        )
        .grant(
            Grant::any_supervisor()
                .may(Mode::Barge)
                .on_agents([label("alex")])
                .unwrap(),
        )
        // A grant on another team gives nothing here, and takes nothing away.
        .grant(
            Grant::group(label("team-lead"))
                .may(ModeSet::ALL)
                .on_team(label("team-z")),
        );
    assert_eq!(policy.granted(&sam, &alex), ModeSet::of(&[M, W, B]));
    for mode in [M, W, B] {
        assert_eq!(policy.allows(&sam, &alex, mode), Ok(()));
    }
    for mode in [P, C] {
        assert_eq!(
            policy.allows(&sam, &alex, mode).unwrap_err().reason,
            Reason::NotGranted {
                granted: ModeSet::of(&[M, W, B])
            }
        );
    }
    // The order of grants does not matter.
    let reversed = policy
        .grants()
        .iter()
        .rev()
        .cloned()
        .fold(Policy::new(), Policy::grant);
    assert_eq!(reversed.granted(&sam, &alex), ModeSet::of(&[M, W, B]));
}

#[test]
fn whisper_does_not_imply_monitor() {
    let policy = Policy::new().grant(Grant::any_supervisor().may(Mode::Whisper).on_every_agent());
    let sam = person("sam", &[]);
    let alex = person("alex", &[]);
    assert_eq!(policy.allows(&sam, &alex, Mode::Whisper), Ok(()));
    assert!(policy.allows(&sam, &alex, Mode::Monitor).is_err());
}

#[test]
fn an_explicit_list_names_agents_by_key_only() {
    let policy = Policy::new().grant(
        Grant::supervisor(label("sam"))
            .may(Mode::Monitor)
            .on_agents([label("kim"), label("alex"), label("kim")])
            .unwrap(),
    );
    let sam = person("sam", &["alex"]);
    let Agents::Keys(keys) = &policy.grants()[0].on else {
        panic!("a list: {:?}", policy.grants()[0].on);
    };
    assert_eq!(keys.as_slice(), [label("alex"), label("kim")]);
    assert!(policy.allows(&sam, &person("alex", &[]), M).is_ok());
    assert!(policy.allows(&sam, &person("kim", &["x"]), M).is_ok());
    // A group named like a listed key is not the key.
    assert!(policy
        .allows(&sam, &person("jo", &["alex", "kim"]), M)
        .is_err());
    // Another supervisor with the same group is not sam.
    assert!(policy
        .allows(&person("sal", &["alex"]), &person("alex", &[]), M)
        .is_err());
    assert!(AgentKeys::new([]).unwrap().is_empty());
}

#[test]
fn an_empty_policy_refuses_everything() {
    let policy = Policy::new();
    assert_eq!(policy, Policy::default());
    let sam = person("sam", &["team-lead", "team-a"]);
    let alex = person("alex", &["team-a"]);
    for mode in Mode::ALL {
        assert_eq!(
            policy.allows(&sam, &alex, mode),
            Err(Refusal {
                supervisor: Some(label("sam")),
                agent: Some(label("alex")),
                mode,
                reason: Reason::NotGranted {
                    granted: ModeSet::NONE
                },
            })
        );
    }
}

#[test]
fn a_supervisor_needs_the_grant_on_every_agent_of_the_call() {
    let policy = centre();
    let sam = person("sam", &["team-lead", "team-a"]);
    let alex = person("alex", &["team-a"]);
    let ann = person("ann", &["team-a"]);
    let bo = person("bo", &["team-b"]);
    assert_eq!(policy.allows_on_all(&sam, [&alex, &ann], W), Ok(()));
    assert_eq!(policy.allows_on_all(&sam, [], W), Ok(()));
    let refusal = policy
        .allows_on_all(&sam, [&alex, &bo, &ann], W)
        .unwrap_err();
    assert_eq!(
        refusal.agent,
        Some(label("bo")),
        "the agent it may not whisper to"
    );
    let opted = person("alex-2", &["team-a"]);
    let refusal = policy.allows_on_all(&sam, [&bo, &opted], W).unwrap_err();
    assert_eq!(
        refusal.agent,
        Some(label("bo")),
        "the first, in the order given"
    );
}

#[test]
fn an_identity_that_opts_out_is_refused_by_any_policy() {
    let policy = Policy::new().grant(Grant::any_supervisor().may(ModeSet::ALL).on_every_agent());
    let alex = person("alex", &["team-a"]).with_opt_out();
    assert!(policy.is_opted_out(&alex));
    assert!(policy.opted_out().is_empty());
    for mode in Mode::ALL {
        assert_eq!(
            policy
                .allows(&person("sam", &[]), &alex, mode)
                .unwrap_err()
                .reason,
            Reason::OptedOut
        );
    }
}

#[test]
fn labels_at_their_bounds() {
    assert_eq!(Label::new(""), Err(Error::EmptyLabel { max: 32 }));
    assert_eq!(Label::new("a").unwrap().as_str(), "a");
    let thirty_two = "k".repeat(32);
    assert_eq!(Label::new(&thirty_two).unwrap().as_str(), thirty_two);
    assert_eq!(
        Label::new(&"k".repeat(33)),
        Err(Error::LabelTooLong { given: 33, max: 32 })
    );
    // "ü" is two bytes: 31 + 2 = 33 is one too many, 30 + 2 = 32 fits.
    assert_eq!(
        Label::new(&format!("{}ü", "k".repeat(31))),
        Err(Error::LabelTooLong { given: 33, max: 32 })
    );
    assert!(Label::new(&format!("{}ü", "k".repeat(30))).is_ok());
    // Sixteen two-byte characters are 32 bytes.
    assert!(Label::new(&"ü".repeat(16)).is_ok());
    assert_eq!(
        Label::new(&"ü".repeat(17)),
        Err(Error::LabelTooLong { given: 34, max: 32 })
    );
    assert_eq!(
        Label::new("sam\r\nINJECTED"),
        Err(Error::LabelCharacter {
            character: '\r',
            at: 3
        })
    );
    // Looked up by its text in a map keyed by labels.
    let mut teams = std::collections::HashMap::new();
    teams.insert(label("alex"), "team-a");
    assert_eq!(teams.get("alex"), Some(&"team-a"));
    assert_eq!(
        Label::new(&"k".repeat(33)).unwrap_err().to_string(),
        "label of 33 bytes: expected 1 to 32 bytes of UTF-8"
    );
}

#[test]
fn identities_hold_four_groups() {
    let full = person("sam", &["a", "b", "c", "d"]);
    let err = full.with_group(label("e")).unwrap_err();
    assert_eq!(
        err,
        Error::TooManyGroups {
            key: label("sam"),
            group: label("e"),
            max: 4
        }
    );
    assert_eq!(
        err.to_string(),
        r#"group "e" for "sam": expected at most 4 groups, and "sam" has 4 already"#
    );
}

#[test]
fn agent_lists_are_bounded() {
    let keys: Vec<Label> = (0..1025).map(|i| label(&format!("a{i}"))).collect();
    let err = Grant::any_supervisor()
        .may(M)
        .on_agents(keys.iter().copied())
        .unwrap_err();
    assert_eq!(
        err,
        Error::TooManyAgents {
            given: 1025,
            max: 1024
        }
    );
    assert_eq!(
        err.to_string(),
        "grant on a list of 1025 agents: expected at most 1024"
    );
    assert_eq!(
        AgentKeys::new(keys[..1024].iter().copied()).unwrap().len(),
        1024
    );
}

// --- The decision against a plain model -------------------------------------

#[allow(dead_code)]
#[path = "support/grants.rs"]
mod grants;
use grants::{On, Person, PlainGrant, PlainPolicy, Who, GROUPS, KEYS};

fn mode() -> impl Strategy<Value = Mode> {
    proptest::sample::select(Mode::ALL.to_vec())
}

fn party() -> impl Strategy<Value = Person> {
    (
        proptest::sample::select(KEYS.to_vec()),
        proptest::sample::subsequence(GROUPS.to_vec(), 0..=4),
        proptest::bool::weighted(0.1),
    )
        .prop_map(|(key, groups, opted_out)| Person {
            key,
            groups,
            opted_out,
        })
}

fn plain_grant() -> impl Strategy<Value = PlainGrant> {
    let who = prop_oneof![
        proptest::sample::select(KEYS.to_vec()).prop_map(Who::Key),
        proptest::sample::select(GROUPS.to_vec()).prop_map(Who::Group),
        Just(Who::Anyone),
    ];
    let on = prop_oneof![
        proptest::sample::select(GROUPS.to_vec()).prop_map(On::Team),
        proptest::collection::vec(proptest::sample::select(KEYS.to_vec()), 0..4).prop_map(On::Keys),
        Just(On::Every),
        Just(On::OwnTeam),
    ];
    (who, proptest::collection::vec(mode(), 0..4), on).prop_map(|(who, modes, on)| PlainGrant {
        who,
        modes,
        on,
    })
}

/// The rule of `support/grants.rs`, and who is named in the refusal.
fn model(
    grants: &[PlainGrant],
    opted_out: &[&'static str],
    sup: &Person,
    agent: &Person,
    asked: Mode,
) -> Result<(), (Option<Vec<Mode>>, &'static str, &'static str)> {
    if agent.opted_out || opted_out.contains(&agent.key) {
        return Err((None, sup.key, agent.key));
    }
    let plain = PlainPolicy {
        grants: grants.to_vec(),
        opted_out: opted_out.to_vec(),
    };
    let granted = plain.granted(sup, agent);
    if granted.contains(&asked) {
        Ok(())
    } else {
        Err((Some(granted), sup.key, agent.key))
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn allows_is_the_model(
        grants in proptest::collection::vec(plain_grant(), 0..6),
        opted_out in proptest::sample::subsequence(KEYS.to_vec(), 0..=1),
        sup in party(),
        agent in party(),
        asked in mode(),
    ) {
        let policy = grants
            .iter()
            .map(PlainGrant::grant)
            .fold(Policy::new(), Policy::grant);
        let policy = opted_out.iter().fold(policy, |p, k| p.opt_out(label(k)));
        let got = policy.allows(&sup.identity(), &agent.identity(), asked);
        let expected = model(&grants, &opted_out, &sup, &agent, asked);
        match (got, expected) {
            (Ok(()), Ok(())) => {}
            (Err(refusal), Err((granted, s, a))) => {
                prop_assert_eq!(refusal.supervisor, Some(label(s)));
                prop_assert_eq!(refusal.agent, Some(label(a)));
                prop_assert_eq!(refusal.mode, asked);
                match granted {
                    None => prop_assert_eq!(refusal.reason, Reason::OptedOut),
                    Some(modes) => {
                        let Reason::NotGranted { granted } = refusal.reason else {
                            return Err(TestCaseError::fail(format!("{refusal:?}")));
                        };
                        prop_assert_eq!(granted.iter().collect::<Vec<_>>(), modes);
                    }
                }
            }
            (got, expected) => prop_assert!(false, "got {:?}, the model says {:?}", got, expected),
        }
    }

    #[test]
    fn on_every_agent_is_each_agent_in_turn(
        grants in proptest::collection::vec(plain_grant(), 0..6),
        sup in party(),
        agents in proptest::collection::vec(party(), 0..4),
        asked in mode(),
    ) {
        let policy = grants.iter().map(PlainGrant::grant).fold(Policy::new(), Policy::grant);
        let first_refused = agents
            .iter()
            .find(|a| model(&grants, &[], &sup, a, asked).is_err())
            .map(|a| label(a.key));
        let identities: Vec<Identity> = agents.iter().map(Person::identity).collect();
        let got = policy.allows_on_all(&sup.identity(), &identities, asked);
        prop_assert_eq!(got.err().and_then(|r| r.agent), first_refused);
    }

    #[test]
    fn mode_sets_are_sets(modes in proptest::collection::vec(mode(), 0..8), probe in mode()) {
        let set = ModeSet::of(&modes);
        let plain: BTreeSet<usize> = modes
            .iter()
            .map(|m| Mode::ALL.iter().position(|x| x == m).unwrap())
            .collect();
        prop_assert_eq!(set.len(), plain.len());
        prop_assert_eq!(set.contains(probe), modes.contains(&probe));
        let listed: Vec<Mode> = plain.iter().map(|&i| Mode::ALL[i]).collect();
        prop_assert_eq!(set.iter().collect::<Vec<_>>(), listed.clone());
        let names: Vec<String> = listed.iter().map(|m| m.to_string()).collect();
        let shown = if names.is_empty() { "none".to_string() } else { names.join(", ") };
        prop_assert_eq!(set.to_string(), shown);
    }

    #[test]
    fn labels_keep_any_text_they_accept(text in "\\PC{0,40}") {
        match Label::new(&text) {
            Ok(l) => {
                prop_assert!(!text.is_empty() && text.len() <= 32);
                prop_assert_eq!(l.as_str(), text.as_str());
            }
            Err(Error::EmptyLabel { .. }) => prop_assert!(text.is_empty()),
            Err(Error::LabelTooLong { given, max }) => {
                prop_assert_eq!(given, text.len());
                prop_assert_eq!(max, 32);
                prop_assert!(text.len() > 32);
            }
            Err(Error::LabelCharacter { character, at }) => {
                prop_assert_eq!(text[at..].chars().next(), Some(character));
            }
            Err(e) => prop_assert!(false, "{}", e),
        }
    }
}

// --- A policy from a config file --------------------------------------------

#[cfg(feature = "serde")]
mod config {
    use super::*;

    const CONFIG: &str = r#"{
        "grants": [
            {"to": {"group": "team-lead"}, "modes": ["monitor", "whisper", "barge"], "on": "own_team"},
            {"to": {"group": "qa"}, "modes": ["monitor"], "on": "every"},
            {"to": {"key": "tess"}, "modes": ["whisper"], "on": {"keys": ["alex", "bo"]}}
        ],
        "opted_out": ["alex-2"]
    }"#;

    #[test]
    fn the_centre_reads_from_json() {
        let policy: Policy = serde_json::from_str(CONFIG).unwrap();
        assert_eq!(policy, centre());
    }

    #[test]
    fn policies_round_trip() {
        let policy = centre().grant(
            Grant::any_supervisor()
                .may([Mode::PrivateWhisper, Mode::CustomerOnly])
                .on_team(label("night")),
        );
        let json = serde_json::to_string(&policy).unwrap();
        assert!(
            json.contains(r#""modes":["private_whisper","customer_only"]"#),
            "{json}"
        );
        assert!(json.contains(r#""to":"any""#), "{json}");
        assert_eq!(serde_json::from_str::<Policy>(&json).unwrap(), policy);
        assert_eq!(serde_json::from_str::<Policy>("{}").unwrap(), Policy::new());
    }

    #[test]
    fn bad_config_is_an_error_naming_it() {
        let long = format!(r#"{{"opted_out": ["{}"]}}"#, "x".repeat(33));
        let err = serde_json::from_str::<Policy>(&long)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("label of 33 bytes: expected 1 to 32 bytes"),
            "{err}"
        );
        let err = serde_json::from_str::<Policy>(r#"{"grnats": []}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown field `grnats`"), "{err}");
        let err = serde_json::from_str::<ModeSet>(r#"["monitor", "shout"]"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("shout"), "{err}");
        let err = serde_json::from_str::<Label>(r#""a\nb""#)
            .unwrap_err()
            .to_string();
        assert!(err.contains(r"label with '\n' at byte 1"), "{err}");
        assert!(serde_json::from_str::<Label>(r#""""#).is_err());
    }

    #[test]
    fn identities_and_refusals_round_trip() {
        let sam: Identity =
            serde_json::from_str(r#"{"key": "sam", "groups": ["team-lead", "team-a"]}"#).unwrap();
        assert_eq!(sam, person("sam", &["team-a", "team-lead"]));
        assert_eq!(
            serde_json::to_string(&sam).unwrap(),
            r#"{"key":"sam","groups":["team-a","team-lead"],"opted_out":false}"#
        );
        let err = serde_json::from_str::<Identity>(
            r#"{"key": "sam", "groups": ["a", "b", "c", "d", "e"]}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("expected at most 4 groups"), "{err}");

        let refusal = centre()
            .allows(&person("quinn", &["qa"]), &person("alex", &["team-a"]), W)
            .unwrap_err();
        let json = serde_json::to_string(&refusal).unwrap();
        assert_eq!(
            json,
            r#"{"supervisor":"quinn","agent":"alex","mode":"whisper","reason":{"not_granted":{"granted":["monitor"]}}}"#
        );
        assert_eq!(serde_json::from_str::<Refusal>(&json).unwrap(), refusal);
        assert_eq!(
            serde_json::to_string(&barge::Role::Supervisor).unwrap(),
            r#""supervisor""#
        );
    }
}
