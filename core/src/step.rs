//! The shared toolkit of the lifecycle steps: [`Step`], a decision in progress (the working copy
//! of the grant, the actions and audit entries it emits, its idempotency keys), and the name of
//! the system actor.

use serde_json::{Map, Value};

use crate::action::Action;
use crate::audit::{AuditEntry, AuditOutcome};
use crate::audit_event::AuditEvent;
use crate::comment::CommentBlock;
use crate::eligibility::Actor;
use crate::grant::{ExtensionStatus, Grant};
use crate::input::DecideInput;
use crate::policy::Policy;
use crate::time::Timestamp;

/// The actor name used for events the system causes (timers, action results).
pub const SYSTEM: &str = "system";

/// A decision in progress: the working copy of the grant and what to emit.
pub(crate) struct Step<'a> {
    pub policy: &'a Policy,
    pub now: Timestamp,
    pub actor: &'a str,
    /// The grant's requester with their groups, when known: the actor if they are the
    /// requester, else the wrapper's `context.requester`.
    pub requester: Option<&'a Actor>,
    pub grant: Grant,
    pub changed: bool,
    pub actions: Vec<Action>,
    pub entries: Vec<AuditEntry>,
    /// The version this decision produces; part of every idempotency key.
    pub version: u64,
    counter: u32,
}

impl<'a> Step<'a> {
    pub fn new(input: &'a DecideInput, grant: Grant, actor: &'a str) -> Self {
        let version = grant.version.saturating_add(1);
        let requester = input
            .actor
            .as_ref()
            .filter(|a| a.account_id == grant.requester)
            .or_else(|| {
                input
                    .context
                    .requester
                    .as_ref()
                    .filter(|r| r.account_id == grant.requester)
            });
        Self {
            policy: &input.policy,
            now: input.now,
            actor,
            requester,
            grant,
            changed: false,
            actions: Vec::new(),
            entries: Vec::new(),
            version,
            counter: 0,
        }
    }

    /// A fresh idempotency key for an action of this decision.
    pub fn key(&mut self, kind: &str) -> String {
        self.counter = self.counter.saturating_add(1);
        format!(
            "{}:v{}:{}{}",
            self.grant.id, self.version, kind, self.counter
        )
    }

    /// Records an accepted change.
    pub fn record(&mut self, event: AuditEvent, details: Map<String, Value>) {
        self.record_as(event, AuditOutcome::Accepted, details);
    }

    /// Records a fact with the given outcome.
    pub fn record_as(
        &mut self,
        event: AuditEvent,
        outcome: AuditOutcome,
        mut details: Map<String, Value>,
    ) {
        self.changed = true;
        details.insert("state".into(), Value::from(self.grant.state_word()));
        self.entries.push(AuditEntry {
            at: self.now,
            actor: self.actor.to_owned(),
            event,
            outcome,
            grant_id: Some(self.grant.id.clone()),
            issue_key: Some(self.grant.issue_key.clone()),
            target: Some(self.grant.target.clone()),
            details,
        });
    }

    /// Queues a comment on the request issue.
    pub fn comment(&mut self, body: Vec<CommentBlock>) {
        let key = self.key("comment");
        let issue_key = self.grant.issue_key.clone();
        self.actions.push(Action::Comment {
            key,
            issue_key,
            body,
        });
    }

    /// Queues an action.
    pub fn act(&mut self, action: Action) {
        self.changed = true;
        self.actions.push(action);
    }
}

/// Marks a pending extension as lapsed because the grant ended.
pub(crate) fn lapse_extension(step: &mut Step<'_>) {
    let now = step.now;
    if let Some(ext) = step.grant.extensions.last_mut() {
        if ext.status == ExtensionStatus::Pending {
            ext.status = ExtensionStatus::Lapsed;
            ext.decided_at = Some(now);
        }
    }
}
