use super::fixtures::*;
use crate::*;

#[test]
fn completion_by_the_requester_emits_the_revoke_at_once() {
    let mut d = Driver::active("org-admin");
    assert_eq!(d.refused("bob", Event::Complete {}), "NOT_REQUESTER");
    let decision = d.ok("alice", Event::Complete {});
    let r = revokes(&decision.actions);
    assert_eq!(r.len(), 1);
    assert!(
        matches!(r[0], Action::Revoke { reason: RevokeReason::Completed, account_id, .. } if account_id == "alice")
    );
    assert_eq!(d.grant().outcome, Some(Outcome::Completed));
}

#[test]
fn a_grant_is_finished_only_once_the_revoke_is_confirmed() {
    let mut d = Driver::active("org-admin");
    d.ok("alice", Event::Complete {});
    assert!(!d.grant().is_finished());
    assert_eq!(d.grant().provisioning.state, AccessState::Revoking);
    d.confirm_pending();
    assert!(d.grant().is_finished());
    assert_eq!(d.grant().provisioning.revoked_at, Some(d.now));
}

#[test]
fn the_window_end_expires_the_grant_and_emits_the_revoke_not_a_second_earlier() {
    let mut d = Driver::active("org-admin");
    let end = d.grant().window.expect("window").end;
    d.now = end.plus_seconds(-10 * 60).expect("in range");
    assert!(
        revokes(&d.system(Event::Tick {}).actions).is_empty(),
        "a warning, no revoke"
    );
    d.now = end.plus_seconds(-1).expect("in range");
    assert!(!d.system(Event::Tick {}).changed);
    d.now = end;
    let decision = d.system(Event::Tick {});
    assert_eq!(revokes(&decision.actions).len(), 1);
    assert_eq!(d.grant().outcome, Some(Outcome::Expired));
}

#[test]
fn an_active_grant_asks_to_be_woken_exactly_at_its_end_of_window_warning() {
    let mut d = Driver::approved("org-admin");
    let decision = d.ok("alice", Event::Activate {});
    let end = d.grant().window.expect("window").end;
    // The wake for the window end was already scheduled at approval; the grant action's
    // result timeout comes first now.
    assert_eq!(
        d.grant().wake_at,
        Some(d.now.plus_seconds(600).expect("in range"))
    );
    assert!(decision
        .actions
        .iter()
        .any(|a| matches!(a, Action::Wake { .. })));
    let confirmed = d.confirm_pending();
    assert!(confirmed.actions.iter().any(
        |a| matches!(a, Action::Wake { at, .. } if *at == end.plus_seconds(-600).expect("in range"))
    ));
}

#[test]
fn an_approver_or_a_permanent_admin_may_revoke_and_an_outsider_may_not() {
    let mut d = Driver::active("org-admin");
    assert_eq!(
        d.refused("mallory", Event::Revoke { reason: None }),
        "NOT_APPROVER"
    );
    d.ok(
        "dan",
        Event::Revoke {
            reason: Some("suspicious activity".into()),
        },
    );
    assert_eq!(d.grant().outcome, Some(Outcome::Revoked));
    let mut d = Driver::active("org-admin");
    let decision = d.ok("perm-2", Event::Revoke { reason: None });
    assert_eq!(revokes(&decision.actions).len(), 1);
}

#[test]
fn a_failed_revoke_stays_pending_and_retries_with_back_off_until_confirmed() {
    let mut d = Driver::active("org-admin");
    d.ok("alice", Event::Complete {});
    let first = d.pending_action().expect("revoke pending");
    let error = ActionError {
        code: "SERVER_ERROR".into(),
        message: "503".into(),
        retryable: true,
    };
    let failed = d.system(Event::ActionFailed {
        action: first.clone(),
        error: error.clone(),
    });
    let retry_at = d.now.plus_seconds(30).expect("in range");
    assert!(failed
        .actions
        .iter()
        .any(|a| matches!(a, Action::Wake { at, .. } if *at == retry_at)));
    assert_eq!(d.grant().provisioning.state, AccessState::Revoking);
    assert!(!d.grant().is_finished());

    d.advance_seconds(29);
    assert!(!d.system(Event::Tick {}).changed);
    d.advance_seconds(1);
    let retried = d.system(Event::Tick {});
    let second = revokes(&retried.actions)[0].clone();
    assert_ne!(second.key(), first.key());
    assert!(matches!(second, Action::Revoke { attempt: 2, .. }));

    // A late success of the superseded first attempt does not count; the pending one decides.
    assert!(!d.system(Event::ActionSucceeded { action: first }).changed);
    let failed2 = d.system(Event::ActionFailed {
        action: second,
        error,
    });
    let retry_at = d.now.plus_seconds(60).expect("in range");
    assert!(failed2
        .actions
        .iter()
        .any(|a| matches!(a, Action::Wake { at, .. } if *at == retry_at)));
    d.now = retry_at;
    d.system(Event::Tick {});
    d.confirm_pending();
    assert!(d.grant().is_finished());
}

#[test]
fn back_off_doubles_from_thirty_seconds_and_caps_at_fifteen_minutes() {
    let seq: Vec<i64> = (1..=8).map(backoff_seconds).collect();
    assert_eq!(seq, [30, 60, 120, 240, 480, 900, 900, 900]);
    assert_eq!(backoff_seconds(u32::MAX), 900);
}

#[test]
fn a_duplicated_success_report_changes_nothing_the_second_time() {
    let mut d = Driver::active("org-admin");
    d.ok("alice", Event::Complete {});
    let action = d.pending_action().expect("pending");
    assert!(
        d.system(Event::ActionSucceeded {
            action: action.clone()
        })
        .changed
    );
    let again = d.system(Event::ActionSucceeded { action });
    assert!(!again.changed);
    assert!(again.audit.is_empty());
}

#[test]
fn a_definitive_grant_failure_fails_the_grant_with_nothing_held_and_no_revoke() {
    let mut d2 = Driver::approved("org-admin");
    let decision = d2.ok("alice", Event::Activate {});
    let grant = only_grant(&decision.actions).clone();
    let error = ActionError {
        code: "SCIM_SYNCED".into(),
        message: "managed by the identity provider".into(),
        retryable: false,
    };
    let failed = d2.system(Event::ActionFailed {
        action: grant,
        error,
    });
    assert_eq!(d2.grant().outcome, Some(Outcome::Failed));
    assert_eq!(d2.grant().provisioning.state, AccessState::NotGranted);
    assert!(revokes(&failed.actions).is_empty());
    assert!(d2.grant().is_finished());
}

#[test]
fn a_retryable_grant_failure_retries_then_fails_and_cleans_up() {
    let mut d = Driver::approved("org-admin");
    d.ok("alice", Event::Activate {});
    let error = ActionError {
        code: "TIMEOUT".into(),
        message: "no answer".into(),
        retryable: true,
    };
    for attempt in 1..MAX_ATTEMPTS_FOR_TEST {
        let pending = d.pending_action().expect("grant pending");
        assert!(matches!(pending, Action::Grant { attempt: a, .. } if a == attempt));
        d.system(Event::ActionFailed {
            action: pending,
            error: error.clone(),
        });
        assert_eq!(d.grant().status, Status::Active);
        d.advance_seconds(backoff_seconds(attempt));
        d.system(Event::Tick {});
    }
    let last = d.pending_action().expect("grant pending");
    let decision = d.system(Event::ActionFailed {
        action: last,
        error,
    });
    assert_eq!(d.grant().outcome, Some(Outcome::Failed));
    let r = revokes(&decision.actions);
    assert_eq!(r.len(), 1, "a possibly-applied grant is revoked");
    assert!(matches!(
        r[0],
        Action::Revoke {
            reason: RevokeReason::Cleanup,
            ..
        }
    ));
}

const MAX_ATTEMPTS_FOR_TEST: u32 = 3;

#[test]
fn a_grant_that_lands_after_completion_is_revoked_again() {
    let mut d = Driver::approved("org-admin");
    let activated = d.ok("alice", Event::Activate {});
    let grant_action = only_grant(&activated.actions).clone();
    d.ok("alice", Event::Complete {});
    let first_revoke = d.pending_action().expect("revoke pending");
    d.system(Event::ActionSucceeded {
        action: first_revoke,
    });
    assert!(d.grant().is_finished());
    let late = d.system(Event::ActionSucceeded {
        action: grant_action.clone(),
    });
    assert_eq!(revokes(&late.actions).len(), 1);
    assert!(!d.grant().is_finished());
    // A repeated report cannot be told from a second landing: it is answered with a revoke too.
    let again = d.system(Event::ActionSucceeded {
        action: grant_action,
    });
    assert_eq!(revokes(&again.actions).len(), 1);
}

#[test]
fn a_lost_grant_result_is_reissued_after_the_result_timeout() {
    let mut d = Driver::approved("org-admin");
    d.ok("alice", Event::Activate {});
    d.advance_minutes(10);
    let decision = d.system(Event::Tick {});
    assert!(matches!(
        only_grant(&decision.actions),
        Action::Grant { attempt: 2, .. }
    ));
}

#[test]
fn a_subject_who_became_a_permanent_admin_is_never_named_in_a_revoke() {
    let mut d = Driver::active("org-admin");
    d.policy.permanent_admins.push("alice".into());
    d.policy.max_permanent_admins = 4;
    let decision = d.ok("alice", Event::Complete {});
    assert!(revokes(&decision.actions).is_empty());
    assert_eq!(d.grant().provisioning.state, AccessState::Retained);
    assert!(d.grant().is_finished());
}

#[test]
fn a_definitive_failure_after_an_unanswered_attempt_still_cleans_up() {
    let mut d = Driver::approved("org-admin");
    d.ok("alice", Event::Activate {});
    // The first attempt never answers; the result timeout re-issues it.
    d.advance_minutes(10);
    d.system(Event::Tick {});
    let second = d.pending_action().expect("second attempt pending");
    let error = ActionError {
        code: "FORBIDDEN".into(),
        message: "refused".into(),
        retryable: false,
    };
    let decision = d.system(Event::ActionFailed {
        action: second,
        error,
    });
    assert_eq!(d.grant().outcome, Some(Outcome::Failed));
    assert_eq!(
        revokes(&decision.actions).len(),
        1,
        "the first attempt may have landed"
    );
}

#[test]
fn a_grant_action_that_lands_again_after_a_verified_revoke_is_revoked_again() {
    let mut d = Driver::approved("org-admin");
    let activated = d.ok("alice", Event::Activate {});
    let grant_action = only_grant(&activated.actions).clone();
    d.system(Event::ActionSucceeded {
        action: grant_action.clone(),
    });
    d.ok("alice", Event::Complete {});
    d.confirm_pending();
    assert!(d.grant().is_finished());
    // A slow retry of the same grant action lands after the revoke was verified.
    let late = d.system(Event::ActionSucceeded {
        action: grant_action,
    });
    assert_eq!(revokes(&late.actions).len(), 1);
    assert!(!d.grant().is_finished());
}
