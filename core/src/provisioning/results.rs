//! The results of grant and revoke actions: a grant that landed (even late, even twice), a grant
//! that failed (retried with back-off, or the request fails and anything applied is cleaned up),
//! a revoke confirmed or failing (retried with back-off and alerted), and the results of the
//! sweep's revokes, which belong to no grant.

use serde_json::{Map, Value};

use crate::action::{Action, ActionError, RevokeReason, Severity};
use crate::audit::{details, AuditEntry, AuditOutcome};
use crate::audit_event::AuditEvent;
use crate::comment::Comment;
use crate::grant::{AccessState, Ending, Outcome, PendingKind, Status};
use crate::input::DecideInput;
use crate::provisioning::backoff::{backoff_seconds, MAX_GRANT_ATTEMPTS};
use crate::provisioning::issue::{issue_revoke, revoke_reason};
use crate::step::{lapse_extension, Step, SYSTEM};

/// Applies the result of a grant or revoke action to its grant.
pub(crate) fn action_result(step: &mut Step<'_>, action: &Action, error: Option<&ActionError>) {
    match (action, error) {
        (Action::Grant { key, grant_id, .. }, None) if *grant_id == step.grant.id => {
            grant_landed(step, key);
        }
        (Action::Grant { key, .. }, Some(e)) if is_pending(step, key, PendingKind::Grant) => {
            grant_failed(step, e);
        }
        (Action::Revoke { key, .. }, None) if is_pending(step, key, PendingKind::Revoke) => {
            revoke_succeeded(step);
        }
        (Action::Revoke { key, .. }, Some(e)) if is_pending(step, key, PendingKind::Revoke) => {
            revoke_failed(step, e);
        }
        // Anything else is a duplicate, a superseded attempt's failure or revoke, or a result
        // that does not concern the grant (comments, wakes, alerts): the pending attempt decides.
        _ => {}
    }
}

fn is_pending(step: &Step<'_>, key: &str, kind: PendingKind) -> bool {
    step.grant
        .provisioning
        .pending
        .as_ref()
        .is_some_and(|p| p.key == key && p.kind == kind)
}

/// Any attempt's success means the access is now held, whatever the grant believed.
fn grant_landed(step: &mut Step<'_>, key: &str) {
    let first_report = !step
        .grant
        .provisioning
        .landed_grants
        .iter()
        .any(|k| k == key);
    match step.grant.provisioning.state {
        AccessState::Granting => {
            step.grant.provisioning.landed_grants.push(key.to_owned());
            grant_succeeded(step);
        }
        AccessState::Granted | AccessState::Retained => {
            if first_report {
                step.grant.provisioning.landed_grants.push(key.to_owned());
                step.record_as(
                    AuditEvent::AccessGranted,
                    AuditOutcome::Noted,
                    details([("duplicateAttempt", Value::from(key))]),
                );
            }
        }
        AccessState::NotGranted | AccessState::Revoking | AccessState::Revoked => {
            // The access landed after the app stopped expecting it: a superseded attempt, or an
            // execution of the same action that outlived a verified revoke (a slow retry). A
            // report seen before cannot be told apart from such a second landing, so every one
            // is answered with a revoke: a needless revoke costs a call, a missed one leaves admin.
            if first_report {
                step.grant.provisioning.landed_grants.push(key.to_owned());
            }
            let reason = revoke_reason(step.grant.outcome);
            issue_revoke(step, reason);
            step.record_as(
                AuditEvent::LateGrant,
                AuditOutcome::Noted,
                details([("key", Value::from(key))]),
            );
        }
    }
}

fn grant_succeeded(step: &mut Step<'_>) {
    let now = step.now;
    let p = &mut step.grant.provisioning;
    p.state = AccessState::Granted;
    p.pending = None;
    p.granted_at = Some(now);
    p.last_error = None;
    if step.grant.status == Status::Ended {
        // The grant ended while the grant action was in flight; it has just landed, so revoke.
        let reason = revoke_reason(step.grant.outcome);
        issue_revoke(step, reason);
        step.record(
            AuditEvent::AccessGranted,
            details([("lateGrant", Value::from(true))]),
        );
        return;
    }
    let end = step
        .grant
        .window
        .map(|w| w.end.to_string())
        .unwrap_or_default();
    let body = Comment::new()
        .text("Access granted: ")
        .mention(&step.grant.subject)
        .text(format!(
            " now holds {} until {end}.",
            step.grant.target_label
        ))
        .finish();
    step.comment(body);
    step.record(AuditEvent::AccessGranted, details([]));
}

fn grant_failed(step: &mut Step<'_>, error: &ActionError) {
    step.grant.provisioning.last_error = Some(error.clone());
    let attempts = step.grant.provisioning.grant_attempts;
    let in_window = step.grant.window.is_some_and(|w| step.now < w.end);
    if step.grant.status == Status::Active
        && error.retryable
        && attempts < MAX_GRANT_ATTEMPTS
        && in_window
    {
        let retry_at = step
            .now
            .plus_seconds(backoff_seconds(attempts))
            .unwrap_or(step.now);
        if let Some(p) = step.grant.provisioning.pending.as_mut() {
            p.retry_at = retry_at;
        }
        step.record_as(
            AuditEvent::GrantFailed,
            AuditOutcome::Noted,
            error_details(error, attempts, Some(retry_at.to_string())),
        );
        return;
    }
    if step.grant.status != Status::Ended {
        let now = step.now;
        let g = &mut step.grant;
        g.status = Status::Ended;
        g.outcome = Some(Outcome::Failed);
        g.ending = Some(Ending {
            at: now,
            by: SYSTEM.into(),
            reason: Some(error.message.clone()),
        });
        lapse_extension(step);
        step.comment(
            Comment::new()
                .text(format!(
                    "Access could not be granted: {} ({}). The request has failed; nothing is held.",
                    error.message, error.code
                ))
                .finish(),
        );
        let key = step.key("alert");
        let grant_id = step.grant.id.clone();
        let issue_key = step.grant.issue_key.clone();
        step.act(Action::Alert {
            key,
            severity: Severity::Warning,
            code: "GRANT_FAILED".into(),
            message: format!(
                "granting {} to {} failed: {}",
                step.grant.target_label, step.grant.subject, error.message
            ),
            grant_id: Some(grant_id),
            issue_key: Some(issue_key),
        });
    }
    // A retryable failure may have been applied (a dropped response), and so may any earlier
    // attempt that failed retryably or never answered: clean up unless this was the only attempt
    // and it was refused outright.
    if error.retryable || attempts > 1 {
        issue_revoke(step, RevokeReason::Cleanup);
    } else {
        let p = &mut step.grant.provisioning;
        p.state = AccessState::NotGranted;
        p.pending = None;
    }
    step.record_as(
        AuditEvent::GrantFailed,
        AuditOutcome::Noted,
        error_details(error, attempts, None),
    );
}

fn revoke_succeeded(step: &mut Step<'_>) {
    let now = step.now;
    let p = &mut step.grant.provisioning;
    p.state = AccessState::Revoked;
    p.pending = None;
    p.revoked_at = Some(now);
    p.last_error = None;
    let mut body = Comment::new()
        .text("Access removed: ")
        .mention(&step.grant.subject)
        .text(format!(
            " no longer holds {} (verified).",
            step.grant.target_label
        ));
    // The requester of a service account's elevation is told too: a mention notifies.
    if step.grant.requester != step.grant.subject {
        body = body
            .text(" Requested by ")
            .mention(&step.grant.requester)
            .text(".");
    }
    let body = body.finish();
    step.comment(body);
    step.record(
        AuditEvent::AccessRevoked,
        details([("verified", Value::from(true))]),
    );
    if let Some(collect) = crate::evidence::collection(step.policy, &step.grant, now) {
        step.act(collect);
    }
}

fn revoke_failed(step: &mut Step<'_>, error: &ActionError) {
    let attempts = step.grant.provisioning.revoke_attempts;
    let retry_at = step
        .now
        .plus_seconds(backoff_seconds(attempts))
        .unwrap_or(step.now);
    step.grant.provisioning.last_error = Some(error.clone());
    if let Some(p) = step.grant.provisioning.pending.as_mut() {
        p.retry_at = retry_at;
    }
    if attempts == 3 || (!error.retryable && attempts == 1) {
        let key = step.key("alert");
        let message = format!(
            "revoking {} from {} keeps failing ({} after {attempts} attempt(s)): {}; retrying with back-off",
            step.grant.target_label, step.grant.subject, error.code, error.message
        );
        let (grant_id, issue_key) = (step.grant.id.clone(), step.grant.issue_key.clone());
        step.act(Action::Alert {
            key,
            severity: Severity::Critical,
            code: "REVOKE_FAILING".into(),
            message,
            grant_id: Some(grant_id),
            issue_key: Some(issue_key),
        });
    }
    step.record_as(
        AuditEvent::RevokeFailed,
        AuditOutcome::Noted,
        error_details(error, attempts, Some(retry_at.to_string())),
    );
}

fn error_details(
    error: &ActionError,
    attempt: u32,
    retry_at: Option<String>,
) -> Map<String, Value> {
    details([
        ("code", Value::from(error.code.clone())),
        ("message", Value::from(error.message.clone())),
        ("retryable", Value::from(error.retryable)),
        ("attempt", Value::from(attempt)),
        ("retryAt", retry_at.map_or(Value::Null, Value::from)),
    ])
}

/// Records the result of an action that belongs to no grant (the sweep's revocations).
pub(crate) fn ungranted_result(
    input: &DecideInput,
    action: &Action,
    error: Option<&ActionError>,
) -> (Vec<Action>, Vec<AuditEntry>) {
    let Action::Revoke {
        key,
        target,
        account_id,
        reason,
        ..
    } = action
    else {
        return (Vec::new(), Vec::new());
    };
    let mut d = details([
        ("key", Value::from(key.clone())),
        ("accountId", Value::from(account_id.clone())),
        (
            "reason",
            serde_json::to_value(reason).unwrap_or(Value::Null),
        ),
    ]);
    let (event, outcome) = match error {
        None => (AuditEvent::AccessRevoked, AuditOutcome::Noted),
        Some(e) => {
            d.insert("code".into(), Value::from(e.code.clone()));
            d.insert("message".into(), Value::from(e.message.clone()));
            (AuditEvent::RevokeFailed, AuditOutcome::Noted)
        }
    };
    let entry = AuditEntry {
        at: input.now,
        actor: SYSTEM.into(),
        event,
        outcome,
        grant_id: None,
        issue_key: None,
        target: Some(target.clone()),
        details: d,
    };
    let mut actions = Vec::new();
    if let Some(e) = error {
        actions.push(Action::Alert {
            key: format!("{key}:failed"),
            severity: Severity::Warning,
            code: "REVOKE_FAILING".into(),
            message: format!(
                "revoking {target} from {account_id} failed: {}; the next sweep retries",
                e.message
            ),
            grant_id: None,
            issue_key: None,
        });
    }
    (actions, vec![entry])
}
