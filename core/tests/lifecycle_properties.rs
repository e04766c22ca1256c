//! Model-based property tests of the grant lifecycle: random people doing random things at
//! random times, with a simulated organization executing (or failing) the actions. After every
//! step the invariants of the mission hold; at the end, nobody holds access after the grant.

#![allow(clippy::result_large_err, reason = "mirrors decide()'s own signature")]

use jit_admin_core::*;
use proptest::prelude::*;
use std::collections::BTreeSet;

/// `PROPTEST_CASES` runs longer on demand; the default keeps `cargo test` quick.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

const PEOPLE: [&str; 8] = [
    "alice", "erin", "bob", "carol", "dan", "perm-1", "mallory", "svc-ci",
];

fn policy(required: u32, auto: bool) -> Policy {
    let mut p: Policy = serde_json::from_value(serde_json::json!({
        "permanentAdmins": ["perm-1", "perm-2", "perm-3"],
        "serviceAccounts": [{"accountId": "svc-ci", "owners": ["alice"]}],
        "targets": [{
            "key": "org-admin", "label": "Organization admin",
            "access": {"type": "orgRole", "role": "atlassian/org-admin"},
            "requesters": {"accountIds": ["alice", "erin"]},
            "approvers": {"accountIds": ["bob", "carol", "dan", "erin", "frank", "gina"]},
            "defaultDurationMinutes": 60, "maxDurationMinutes": 240, "maxExtensions": 2,
            "breakGlass": ["erin"]
        }]
    }))
    .expect("policy");
    p.targets[0].required_approvals = required;
    p.targets[0].auto_activate = auto;
    p
}

#[derive(Debug, Clone)]
enum Step {
    /// Someone does something.
    Act { who: usize, what: u8, minutes: i64 },
    /// Time passes, then the timer fires.
    Wait { seconds: i64 },
    /// The org executes the oldest outstanding grant/revoke action, with this outcome.
    Execute {
        fail: bool,
        retryable: bool,
        duplicate: bool,
    },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (0..PEOPLE.len(), 0u8..12, -5i64..300).prop_map(|(who, what, minutes)| Step::Act { who, what, minutes }),
        2 => (0i64..5400).prop_map(|seconds| Step::Wait { seconds }),
        3 => (any::<bool>(), any::<bool>(), any::<bool>()).prop_map(|(fail, retryable, duplicate)| Step::Execute { fail, retryable, duplicate }),
    ]
}

fn event(what: u8, minutes: i64) -> Event {
    match what {
        0 => Event::Submit {
            grant_id: "REQ-1".into(),
            issue_key: "REQ-1".into(),
            target: "org-admin".into(),
            subject: if minutes % 7 == 0 {
                Some("svc-ci".into())
            } else {
                None
            },
            start: None,
            duration_minutes: Some(minutes),
            justification: "a good enough reason".into(),
        },
        1 => Event::Approve {},
        2 => Event::Reject { reason: None },
        3 => Event::Cancel {},
        4 => Event::Activate {},
        5 => Event::Complete {},
        6 => Event::Revoke { reason: None },
        7 => Event::RequestExtension {
            minutes,
            justification: "need more time please".into(),
        },
        8 => Event::ApproveExtension {},
        9 => Event::RejectExtension { reason: None },
        _ => Event::Tick {},
    }
}

struct World {
    policy: Policy,
    grant: Option<Grant>,
    now: Timestamp,
    head: AuditHead,
    audit: Vec<AuditRecord>,
    /// Grant/revoke actions issued and not yet executed by the org.
    outstanding: Vec<Action>,
    /// Whether the subject holds the access in the simulated org.
    held: bool,
    ever_granted_after_reject: bool,
}

impl World {
    fn apply(&mut self, actor: Option<&str>, event: Event) -> Result<Decision, Refusal> {
        let input = DecideInput {
            policy: self.policy.clone(),
            grant: self.grant.clone(),
            event,
            actor: actor.map(Actor::new),
            now: self.now,
            audit_head: Some(self.head.clone()),
            source: Source::Panel,
            context: Context::default(),
        };
        let before = self.grant.clone();
        let result = decide(input);
        match &result {
            Ok(d) => {
                if d.changed {
                    let v0 = before.as_ref().map_or(0, |g| g.version);
                    let v1 = d.grant.as_ref().map_or(0, |g| g.version);
                    assert!(v1 > v0, "a change bumps the version");
                } else {
                    assert_eq!(d.grant, before, "a no-op returns the grant unchanged");
                    assert!(
                        d.actions.is_empty() && d.audit.is_empty(),
                        "a no-op yields nothing"
                    );
                }
                self.grant = d.grant.clone();
                self.head = d.audit_head.clone();
                self.audit.extend(d.audit.iter().cloned());
                for a in &d.actions {
                    if let Action::Revoke { account_id, .. } = a {
                        assert!(
                            !self.policy.is_permanent(account_id),
                            "a permanent admin is never revoked"
                        );
                    }
                    if matches!(a, Action::Grant { .. })
                        && before
                            .as_ref()
                            .is_some_and(|g| g.outcome == Some(Outcome::Rejected))
                    {
                        self.ever_granted_after_reject = true;
                    }
                    if matches!(a, Action::Grant { .. } | Action::Revoke { .. }) {
                        self.outstanding.push(a.clone());
                    }
                }
            }
            Err(r) => {
                self.head = r.audit_head.clone();
                self.audit.extend(r.audit.iter().cloned());
            }
        }
        result
    }

    fn execute(&mut self, fail: bool, retryable: bool, duplicate: bool) {
        if self.outstanding.is_empty() {
            return;
        }
        let action = self.outstanding.remove(0);
        if !fail || retryable {
            // A retryable failure may still have been applied (a dropped response).
            match &action {
                Action::Grant { .. } if !fail || duplicate => self.held = true,
                Action::Revoke { .. } if !fail => self.held = false,
                _ => {}
            }
        }
        let event = if fail {
            let error = ActionError {
                code: "X".into(),
                message: "simulated".into(),
                retryable,
            };
            Event::ActionFailed {
                action: action.clone(),
                error,
            }
        } else {
            Event::ActionSucceeded {
                action: action.clone(),
            }
        };
        let _ = self.apply(None, event.clone());
        if duplicate {
            let again = self.apply(None, event).expect("results are never refused");
            // A repeated success changes nothing, except that a grant reported as landed while
            // the grant no longer expects its access must be revoked (again): a repeated report
            // cannot be told from a slow second landing.
            let revokes_again = matches!(action, Action::Grant { .. })
                && again
                    .actions
                    .iter()
                    .any(|a| matches!(a, Action::Revoke { .. }));
            assert!(
                !again.changed || fail || revokes_again,
                "a duplicated success changes nothing"
            );
        }
    }

    fn check_invariants(&self) {
        let Some(g) = &self.grant else { return };
        assert_ne!(g.requester, "perm-1");
        for a in &g.approvals {
            assert_ne!(a.approver, g.requester, "never self-approved");
        }
        let mut earlier: BTreeSet<&str> = g.approvals.iter().map(|a| a.approver.as_str()).collect();
        for e in &g.extensions {
            for a in &e.approvals {
                assert!(
                    !earlier.contains(a.approver.as_str()),
                    "an extension approver approved this grant before"
                );
                assert_ne!(a.approver, g.requester);
            }
            earlier.extend(e.approvals.iter().map(|a| a.approver.as_str()));
        }
        if let Some(w) = g.window {
            assert!(w.start < w.end);
            assert!(
                w.minutes() <= 240 * 3,
                "the window never exceeds the total allowed"
            );
        }
        if g.status == Status::Ended {
            let ok = g.is_finished()
                || (g.provisioning.state == AccessState::Revoking
                    && g.provisioning.pending.is_some());
            assert!(
                ok,
                "an ended grant is finished or still retrying its revoke: {:?}",
                g.provisioning
            );
        }
        assert!(
            !self.ever_granted_after_reject,
            "a rejected request never yields a grant action"
        );
        if g.outcome == Some(Outcome::Rejected) {
            assert!(g.activation.is_none());
        }
    }

    /// Lets time run out and the org execute everything successfully.
    fn settle(&mut self) {
        for _ in 0..100 {
            self.now = self.now.plus_seconds(60 * 60).expect("in range");
            let _ = self.apply(None, Event::Tick {});
            while !self.outstanding.is_empty() {
                self.execute(false, false, false);
            }
            if self.grant.as_ref().is_none_or(Grant::is_finished) {
                break;
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(512), ..ProptestConfig::default() })]

    #[test]
    fn random_lifecycles_keep_every_invariant_and_leave_nothing_held(
        steps in prop::collection::vec(step(), 1..60),
        required in 1u32..3,
        auto in any::<bool>(),
    ) {
        let mut w = World {
            policy: policy(required, auto),
            grant: None,
            now: Timestamp::parse("2026-06-01T09:00:00Z").expect("time"),
            head: AuditHead::default(),
            audit: Vec::new(),
            outstanding: Vec::new(),
            held: false,
            ever_granted_after_reject: false,
        };
        for s in steps {
            match s {
                Step::Act { who, what, minutes } => {
                    let event = event(what, minutes);
                    let actor = if matches!(event, Event::Tick {}) { None } else { Some(PEOPLE[who]) };
                    let _ = w.apply(actor, event);
                }
                Step::Wait { seconds } => {
                    w.now = w.now.plus_seconds(seconds).expect("in range");
                    let _ = w.apply(None, Event::Tick {});
                }
                Step::Execute { fail, retryable, duplicate } => w.execute(fail, retryable, duplicate),
            }
            w.check_invariants();
        }
        w.settle();
        w.check_invariants();
        prop_assert!(verify_audit(&w.audit, None).valid, "the audit chain verifies");
        if let Some(g) = &w.grant {
            prop_assert!(g.is_finished(), "settled grants are finished: {:?}", g);
            if g.subject != "perm-1" {
                prop_assert!(!w.held, "nobody holds the access after a settled grant");
            }
        }
    }

    #[test]
    fn view_offers_exactly_the_actions_decide_accepts(
        steps in prop::collection::vec(step(), 0..30),
        viewer in 0..PEOPLE.len(),
    ) {
        let mut w = World {
            policy: policy(1, false),
            grant: None,
            now: Timestamp::parse("2026-06-01T09:00:00Z").expect("time"),
            head: AuditHead::default(),
            audit: Vec::new(),
            outstanding: Vec::new(),
            held: false,
            ever_granted_after_reject: false,
        };
        for s in steps {
            match s {
                Step::Act { who, what, minutes } => { let _ = w.apply(Some(PEOPLE[who]), event(what, minutes)); }
                Step::Wait { seconds } => { w.now = w.now.plus_seconds(seconds).expect("in range"); }
                Step::Execute { fail, retryable, duplicate } => w.execute(fail, retryable, duplicate),
            }
        }
        let who = PEOPLE[viewer];
        let v = view(&ViewInput { policy: w.policy.clone(), grant: w.grant.clone(), viewer: Actor::new(who), now: w.now, requester: None });
        for option in v.actions.iter().filter(|o| o.action != "submitRequest") {
            let event = match option.action.as_str() {
                "approve" => Event::Approve {},
                "reject" => Event::Reject { reason: None },
                "activate" => Event::Activate {},
                "complete" => Event::Complete {},
                "requestExtension" => Event::RequestExtension { minutes: 1, justification: "need more time please".into() },
                "approveExtension" => Event::ApproveExtension {},
                "rejectExtension" => Event::RejectExtension { reason: None },
                "revoke" => Event::Revoke { reason: None },
                _ => Event::Cancel {},
            };
            let input = DecideInput {
                policy: w.policy.clone(), grant: w.grant.clone(), event, actor: Some(Actor::new(who)),
                now: w.now, audit_head: None, source: Source::Panel, context: Context::default(),
            };
            let accepted = decide(input).map(|d| d.changed).unwrap_or(false);
            prop_assert_eq!(option.allowed, accepted, "{} for {}", option.action, who);
        }
    }
}
