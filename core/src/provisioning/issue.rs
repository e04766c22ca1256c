//! Issuing and re-issuing the grant and revoke actions: each attempt gets a fresh idempotency key
//! and is pending until its result arrives or its retry is due; no revoke ever names a
//! permanent admin.

use serde_json::Value;

use crate::action::{Action, RevokeReason};
use crate::audit::{details, AuditOutcome};
use crate::audit_event::AuditEvent;
use crate::grant::{AccessState, Outcome, PendingAction, PendingKind, Status};
use crate::provisioning::backoff::RESULT_TIMEOUT_SECONDS;
use crate::step::Step;

/// Issues (or re-issues) the grant action and marks it pending.
pub(crate) fn issue_grant(step: &mut Step<'_>) {
    let key = step.key("grant");
    let attempt = step.grant.provisioning.grant_attempts.saturating_add(1);
    let now = step.now;
    let p = &mut step.grant.provisioning;
    p.grant_attempts = attempt;
    p.state = AccessState::Granting;
    p.pending = Some(PendingAction {
        key: key.clone(),
        kind: PendingKind::Grant,
        issued_at: now,
        retry_at: now.plus_seconds(RESULT_TIMEOUT_SECONDS).unwrap_or(now),
    });
    let action = Action::Grant {
        key,
        grant_id: step.grant.id.clone(),
        issue_key: step.grant.issue_key.clone(),
        access: step.grant.access.clone(),
        account_id: step.grant.subject.clone(),
        attempt,
    };
    step.act(action);
}

/// Issues (or re-issues) the revoke action, unless the subject is a permanent admin.
pub(crate) fn issue_revoke(step: &mut Step<'_>, reason: RevokeReason) {
    let now = step.now;
    if step.policy.is_permanent(&step.grant.subject) {
        // INVARIANT: no revoke action ever names a permanent admin.
        let p = &mut step.grant.provisioning;
        p.state = AccessState::Retained;
        p.pending = None;
        step.record_as(
            AuditEvent::RevocationSkipped,
            AuditOutcome::Noted,
            details([("reason", Value::from("the subject is a permanent admin"))]),
        );
        return;
    }
    let key = step.key("revoke");
    let attempt = step.grant.provisioning.revoke_attempts.saturating_add(1);
    let p = &mut step.grant.provisioning;
    p.revoke_attempts = attempt;
    p.state = AccessState::Revoking;
    p.pending = Some(PendingAction {
        key: key.clone(),
        kind: PendingKind::Revoke,
        issued_at: now,
        retry_at: now.plus_seconds(RESULT_TIMEOUT_SECONDS).unwrap_or(now),
    });
    let action = Action::Revoke {
        key,
        grant_id: Some(step.grant.id.clone()),
        issue_key: Some(step.grant.issue_key.clone()),
        target: step.grant.target.clone(),
        access: step.grant.access.clone(),
        account_id: step.grant.subject.clone(),
        reason,
        attempt,
    };
    step.act(action);
}

/// Re-issues a pending action whose result did not arrive, or whose retry is due.
pub(crate) fn retry_due(step: &mut Step<'_>) {
    let Some(pending) = step.grant.provisioning.pending.clone() else {
        return;
    };
    if step.now < pending.retry_at {
        return;
    }
    match pending.kind {
        PendingKind::Revoke => {
            let reason = revoke_reason(step.grant.outcome);
            issue_revoke(step, reason);
            step.record(
                AuditEvent::RetryRevoke,
                details([(
                    "attempt",
                    Value::from(step.grant.provisioning.revoke_attempts),
                )]),
            );
        }
        PendingKind::Grant if step.grant.status == Status::Active => {
            issue_grant(step);
            step.record(
                AuditEvent::RetryGrant,
                details([(
                    "attempt",
                    Value::from(step.grant.provisioning.grant_attempts),
                )]),
            );
        }
        PendingKind::Grant => {
            // The grant ended while its grant action was unanswered: make sure nothing stays.
            issue_revoke(step, RevokeReason::Cleanup);
            step.record(AuditEvent::Cleanup, details([]));
        }
    }
}

pub(crate) fn revoke_reason(outcome: Option<Outcome>) -> RevokeReason {
    match outcome {
        Some(Outcome::Completed) => RevokeReason::Completed,
        Some(Outcome::Expired) => RevokeReason::Expired,
        Some(Outcome::Revoked) => RevokeReason::Revoked,
        Some(Outcome::Ineligible) => RevokeReason::Ineligible,
        _ => RevokeReason::Cleanup,
    }
}
