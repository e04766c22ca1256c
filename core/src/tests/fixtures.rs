//! A demo policy and a small driver that applies events the way the wrapper does.

use crate::*;

pub const T0: &str = "2026-06-01T09:00:00Z";

pub fn at(text: &str) -> Timestamp {
    Timestamp::parse(text).expect("valid test time")
}

pub fn policy() -> Policy {
    serde_json::from_value(serde_json::json!({
        "permanentAdmins": ["perm-1", "perm-2", "perm-3"],
        "minOrgAdmins": 1,
        "driftMode": "report",
        "serviceAccounts": [{"accountId": "svc-ci", "label": "CI bot", "owners": ["alice"]}],
        "targets": [
            {
                "key": "org-admin", "label": "Organization admin",
                "access": {"type": "orgRole", "role": "atlassian/org-admin"},
                "requesters": {"accountIds": ["alice", "erin"], "groupIds": ["g-engineers"]},
                "approvers": {"accountIds": ["bob", "carol", "dan"], "groupIds": []},
                "defaultDurationMinutes": 60, "maxDurationMinutes": 240, "maxExtensions": 2,
                "breakGlass": ["erin"]
            },
            {
                "key": "site-admin", "label": "Site admin (demo)",
                "access": {"type": "resourceRole", "role": "atlassian/site-admin", "resource": "ari:cloud:jira::site/demo"},
                "requesters": {"accountIds": ["alice", "erin"]},
                "approvers": {"accountIds": ["bob", "carol", "dan"]},
                "maxDurationMinutes": 480, "defaultDurationMinutes": 60
            },
            {
                "key": "jira-admins", "label": "Jira admins (demo)",
                "access": {"type": "groupMembership", "groupId": "jira-admins-demo", "groupName": "jira-admins-demo"},
                "requesters": {"accountIds": ["alice", "erin"]},
                "approvers": {"groupIds": ["g-approvers"]},
                "maxDurationMinutes": 480, "autoActivate": true
            }
        ]
    }))
    .expect("demo policy parses")
}

pub fn actor(id: &str) -> Actor {
    Actor::new(id)
}

/// Drives one grant through events, keeping the audit chain, like the wrapper does.
pub struct Driver {
    pub policy: Policy,
    pub grant: Option<Grant>,
    pub now: Timestamp,
    pub head: AuditHead,
    pub audit: Vec<AuditRecord>,
    pub actions: Vec<Action>,
    pub context: Context,
}

impl Driver {
    pub fn new() -> Self {
        Self {
            policy: policy(),
            grant: None,
            now: at(T0),
            head: AuditHead::default(),
            audit: Vec::new(),
            actions: Vec::new(),
            context: Context::default(),
        }
    }

    pub fn input(&self, who: Option<&str>, event: Event) -> DecideInput {
        DecideInput {
            policy: self.policy.clone(),
            grant: self.grant.clone(),
            event,
            actor: who.map(actor),
            now: self.now,
            audit_head: Some(self.head.clone()),
            source: Source::Panel,
            context: self.context.clone(),
        }
    }

    /// Applies the event; on success stores the grant and returns the decision.
    pub fn try_as(&mut self, who: Option<&str>, event: Event) -> Result<Decision, Refusal> {
        let result = decide(self.input(who, event));
        match &result {
            Ok(d) => {
                self.grant = d.grant.clone();
                self.head = d.audit_head.clone();
                self.audit.extend(d.audit.iter().cloned());
                self.actions.extend(d.actions.iter().cloned());
            }
            Err(r) => {
                self.head = r.audit_head.clone();
                self.audit.extend(r.audit.iter().cloned());
            }
        }
        result
    }

    pub fn ok(&mut self, who: &str, event: Event) -> Decision {
        self.try_as(Some(who), event)
            .unwrap_or_else(|r| panic!("refused: {}", r.error))
    }

    pub fn refused(&mut self, who: &str, event: Event) -> String {
        match self.try_as(Some(who), event) {
            Ok(_) => panic!("expected a refusal"),
            Err(r) => r.error.code().to_owned(),
        }
    }

    pub fn system(&mut self, event: Event) -> Decision {
        self.try_as(None, event)
            .unwrap_or_else(|r| panic!("refused: {}", r.error))
    }

    pub fn advance_minutes(&mut self, minutes: i64) {
        self.now = self.now.plus_seconds(minutes * 60).expect("in range");
    }

    pub fn advance_seconds(&mut self, seconds: i64) {
        self.now = self.now.plus_seconds(seconds).expect("in range");
    }

    pub fn grant(&self) -> &Grant {
        self.grant.as_ref().expect("a grant exists")
    }

    /// Submits `alice`'s default request for org admin.
    pub fn submitted(target: &str) -> Self {
        let mut d = Self::new();
        d.ok("alice", submit(target, Some(60)));
        d
    }

    /// … approved by bob.
    pub fn approved(target: &str) -> Self {
        let mut d = Self::submitted(target);
        d.ok("bob", Event::Approve {});
        d
    }

    /// … activated by alice, with the grant confirmed.
    pub fn active(target: &str) -> Self {
        let mut d = Self::approved(target);
        let decision = d.ok("alice", Event::Activate {});
        let grant_action = only_grant(&decision.actions).clone();
        d.system(Event::ActionSucceeded {
            action: grant_action,
        });
        d
    }

    /// Confirms the pending revoke by reporting its success.
    pub fn confirm_pending(&mut self) -> Decision {
        let action = self.pending_action().expect("an action is pending");
        self.system(Event::ActionSucceeded { action })
    }

    /// The last issued grant or revoke action that is still pending.
    pub fn pending_action(&self) -> Option<Action> {
        let key = self.grant().provisioning.pending.as_ref()?.key.clone();
        self.actions.iter().rev().find(|a| a.key() == key).cloned()
    }
}

pub fn submit(target: &str, minutes: Option<i64>) -> Event {
    Event::Submit {
        grant_id: "REQ-1".into(),
        issue_key: "REQ-1".into(),
        target: target.into(),
        subject: None,
        start: None,
        duration_minutes: minutes,
        justification: "rotate the SAML certificate".into(),
    }
}

pub fn only_grant(actions: &[Action]) -> &Action {
    let grants: Vec<&Action> = actions
        .iter()
        .filter(|a| matches!(a, Action::Grant { .. }))
        .collect();
    assert_eq!(
        grants.len(),
        1,
        "expected exactly one grant action in {actions:?}"
    );
    grants[0]
}

pub fn revokes(actions: &[Action]) -> Vec<&Action> {
    actions
        .iter()
        .filter(|a| matches!(a, Action::Revoke { .. }))
        .collect()
}

/// The comments among `actions`, as plain text (mentions as `@id`, user text as `label: “…”`).
pub fn comments(actions: &[Action]) -> Vec<String> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Comment { body, .. } => Some(plain_text(body)),
            _ => None,
        })
        .collect()
}
