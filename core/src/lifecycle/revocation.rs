//! Revocation: access ends at once on completion or revocation, and at the window end otherwise.
//! A grant is finished only when an action result confirms the revoke; until then it retries.

use serde_json::{Map, Value};

use crate::action::{Action, ActionError, RevokeReason, Severity};
use crate::audit::details;
use crate::audit::{AuditEntry, AuditOutcome};
use crate::comment::Comment;
use crate::eligibility::{may_revoke, standing, Actor, Standing};
use crate::error::DecisionError;
use crate::grant::{AccessState, Ending, Outcome, PendingAction, PendingKind, Status};
use crate::input::DecideInput;
use crate::lifecycle::activation::issue_grant;
use crate::lifecycle::request::end_without_access;
use crate::policy::validation;
use crate::step::{lapse_extension, Step, SYSTEM};

/// How long to wait for an action's result before issuing it again.
pub const RESULT_TIMEOUT_SECONDS: i64 = 10 * 60;
/// Retries of a failing grant before the grant is declared failed.
pub const MAX_GRANT_ATTEMPTS: u32 = 3;
/// First retry delay; doubles per attempt.
pub const RETRY_BASE_SECONDS: i64 = 30;
/// Longest retry delay.
pub const RETRY_CAP_SECONDS: i64 = 15 * 60;

/// Seconds to wait before attempt `attempt + 1`, after `attempt` failures: 30 s, 60 s, 120 s, …
/// up to 15 minutes.
pub fn backoff_seconds(attempt: u32) -> i64 {
    let exponent = attempt.saturating_sub(1).min(16);
    RETRY_BASE_SECONDS
        .saturating_mul(1_i64 << exponent)
        .min(RETRY_CAP_SECONDS)
}

/// The requester says the work is done.
pub(crate) fn complete(step: &mut Step<'_>, actor: &Actor) -> Result<(), DecisionError> {
    let g = &step.grant;
    if actor.account_id != g.requester {
        return Err(DecisionError::NotRequester {
            requester: g.requester.clone(),
            step: "mark this grant done".into(),
        });
    }
    match (g.status, g.outcome) {
        (Status::Active, _) => {}
        (Status::Ended, Some(Outcome::Completed)) => return Ok(()),
        _ => return Err(DecisionError::state("complete", g.state_word())),
    }
    step.comment(
        Comment::new()
            .mention(&actor.account_id)
            .text(" marked the work done.")
            .finish(),
    );
    end_with_revoke(step, Outcome::Completed, None);
    step.record("complete", details([]));
    Ok(())
}

/// An approver or permanent admin ends the grant early.
pub(crate) fn revoke(
    step: &mut Step<'_>,
    actor: &Actor,
    reason: Option<&str>,
) -> Result<(), DecisionError> {
    let g = &step.grant;
    if !may_revoke(actor, step.policy.target(&g.target), step.policy) {
        return Err(DecisionError::NotApprover {
            account: actor.account_id.clone(),
            target: g.target.clone(),
        });
    }
    let said = |what: &str| {
        Comment::new()
            .mention(&actor.account_id)
            .text(what)
            .user_text("Reason", reason.unwrap_or_default())
            .finish()
    };
    match (g.status, g.outcome) {
        (Status::Active, _) => {
            step.comment(said(" revoked this grant."));
            end_with_revoke(step, Outcome::Revoked, reason);
        }
        (Status::Approved, _) => {
            end_without_access(step, Outcome::Revoked, reason);
            step.comment(said(" revoked the approval before activation."));
        }
        (Status::Ended, Some(Outcome::Revoked)) => return Ok(()),
        _ => return Err(DecisionError::state("revoke", g.state_word())),
    }
    step.record(
        "revoke",
        details([("reason", reason.map_or(Value::Null, Value::from))]),
    );
    Ok(())
}

/// Ends an active grant and removes its access.
pub(crate) fn end_with_revoke(step: &mut Step<'_>, outcome: Outcome, reason: Option<&str>) {
    let now = step.now;
    let g = &mut step.grant;
    g.status = Status::Ended;
    g.outcome = Some(outcome);
    g.ending = Some(Ending {
        at: now,
        by: step.actor.to_owned(),
        reason: reason.map(str::to_owned),
    });
    step.changed = true;
    lapse_extension(step);
    let why = match outcome {
        Outcome::Completed => RevokeReason::Completed,
        Outcome::Expired => RevokeReason::Expired,
        Outcome::Failed => RevokeReason::Cleanup,
        Outcome::Ineligible => RevokeReason::Ineligible,
        _ => RevokeReason::Revoked,
    };
    match step.grant.provisioning.state {
        AccessState::Granting | AccessState::Granted => issue_revoke(step, why),
        AccessState::NotGranted
        | AccessState::Revoking
        | AccessState::Revoked
        | AccessState::Retained => {}
    }
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
            "revocationSkipped",
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
                "retryRevoke",
                details([(
                    "attempt",
                    Value::from(step.grant.provisioning.revoke_attempts),
                )]),
            );
        }
        PendingKind::Grant if step.grant.status == Status::Active => {
            issue_grant(step);
            step.record(
                "retryGrant",
                details([(
                    "attempt",
                    Value::from(step.grant.provisioning.grant_attempts),
                )]),
            );
        }
        PendingKind::Grant => {
            // The grant ended while its grant action was unanswered: make sure nothing stays.
            issue_revoke(step, RevokeReason::Cleanup);
            step.record("cleanup", details([]));
        }
    }
}

fn revoke_reason(outcome: Option<Outcome>) -> RevokeReason {
    match outcome {
        Some(Outcome::Completed) => RevokeReason::Completed,
        Some(Outcome::Expired) => RevokeReason::Expired,
        Some(Outcome::Revoked) => RevokeReason::Revoked,
        Some(Outcome::Ineligible) => RevokeReason::Ineligible,
        _ => RevokeReason::Cleanup,
    }
}

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
                    "accessGranted",
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
                "lateGrant",
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
        step.record("accessGranted", details([("lateGrant", Value::from(true))]));
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
    step.record("accessGranted", details([]));
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
            "grantFailed",
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
        "grantFailed",
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
    let body = Comment::new()
        .text("Access removed: ")
        .mention(&step.grant.subject)
        .text(format!(
            " no longer holds {} (verified).",
            step.grant.target_label
        ))
        .finish();
    step.comment(body);
    step.record("accessRevoked", details([("verified", Value::from(true))]));
}

/// The kill switch (`policyCheck`): an open grant that the current policy no longer allows ends
/// now. A no-op for a grant it allows, for one whose requester's groups are unknown and decide
/// it, for an ended grant, and under an invalid policy (which ends nothing until it is fixed).
pub(crate) fn apply_policy(step: &mut Step<'_>) {
    if step.grant.status == Status::Ended || !validation::validate(step.policy).is_empty() {
        return;
    }
    if let Standing::Disallowed(reason) = standing(step.policy, &step.grant, step.requester) {
        end_ineligible(step, &reason);
    }
}

/// Ends a grant the current policy no longer allows: one that never started ends without
/// access, an active one is revoked (from its own copy of the access, whatever the policy says
/// now). Commented on the issue and recorded as `endedByPolicy` with the reason.
pub(crate) fn end_ineligible(step: &mut Step<'_>, reason: &DecisionError) {
    let why = reason.to_string();
    let active = step.grant.status == Status::Active;
    let body = Comment::new()
        .text("The current policy no longer allows this grant of ")
        .mention(&step.grant.requester)
        .text(format!(
            ": {why} ({}). {}",
            reason.code(),
            if active {
                "It ends now and the access is being removed."
            } else {
                "It ends now, without access."
            }
        ))
        .finish();
    step.comment(body);
    if active {
        end_with_revoke(step, Outcome::Ineligible, Some(&why));
    } else {
        end_without_access(step, Outcome::Ineligible, Some(&why));
    }
    step.record(
        "endedByPolicy",
        details([
            ("code", Value::from(reason.code())),
            ("reason", Value::from(why)),
            ("hadAccess", Value::from(active)),
        ]),
    );
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
        "revokeFailed",
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
        None => ("accessRevoked", AuditOutcome::Noted),
        Some(e) => {
            d.insert("code".into(), Value::from(e.code.clone()));
            d.insert("message".into(), Value::from(e.message.clone()));
            ("revokeFailed", AuditOutcome::Noted)
        }
    };
    let entry = AuditEntry {
        at: input.now,
        actor: SYSTEM.into(),
        event: event.into(),
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
