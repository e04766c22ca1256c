//! Policy validation: every problem, each at its path, so the admin page can show it at its field.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::error::DecisionError;
use crate::limits::{id_problem, MAX_APPROVERS_NOTIFIED, MAX_POLICY_MINUTES};
use crate::policy::{Access, Policy, Principals, Target, ORG_ADMIN_ROLE, RESOURCE_ROLES};

/// One problem in a policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct PolicyProblem {
    /// Dotted path with indexes, e.g. `targets[0].maxDurationMinutes`.
    pub path: String,
    /// Stable code.
    pub code: String,
    /// What is wrong.
    pub message: String,
}

/// Every problem in the policy; empty when valid.
///
/// Runs on every submit, approval and extension step and every sweep, nearly always on a valid
/// policy: paths and messages are built only for a problem found (a path is a closure until then).
pub fn validate(policy: &Policy) -> Vec<PolicyProblem> {
    let mut v = Problems::default();
    check_permanent_admins(policy, &mut v);
    if policy.min_org_admins < 1 {
        v.add(
            "minOrgAdmins",
            "FLOOR_TOO_LOW",
            "at least 1 org admin must always remain",
        );
    }
    if let Some(key) = &policy.alert_issue_key {
        v.id(|| "alertIssueKey".into(), key);
    }
    for (field, code, message) in policy.evidence.problems() {
        v.add(format!("evidence.{field}"), code, message);
    }
    let mut sa_seen = HashSet::new();
    for (i, sa) in policy.service_accounts.iter().enumerate() {
        let at = |field: &str| format!("serviceAccounts[{i}].{field}");
        v.id(|| at("accountId"), &sa.account_id);
        if !sa_seen.insert(sa.account_id.as_str()) {
            v.add(
                at("accountId"),
                "DUPLICATE",
                format!("`{}` is listed twice", sa.account_id),
            );
        }
        if sa.owners.is_empty() {
            v.add(
                at("owners"),
                "NO_OWNERS",
                "a service account needs at least one owner",
            );
        }
        for (j, o) in sa.owners.iter().enumerate() {
            v.id(|| format!("serviceAccounts[{i}].owners[{j}]"), o);
        }
        if policy.is_permanent(&sa.account_id) {
            v.add(
                at("accountId"),
                "PERMANENT_ADMIN",
                "a permanent admin cannot be an elevated service account",
            );
        }
    }
    if policy.targets.is_empty() {
        v.add(
            "targets",
            "NO_TARGETS",
            "the policy needs at least one target",
        );
    }
    if policy.targets.len() > 200 {
        v.add("targets", "TOO_MANY", "at most 200 targets");
    }
    let mut keys = HashSet::new();
    for (i, t) in policy.targets.iter().enumerate() {
        if !keys.insert(t.key.as_str()) {
            v.add(
                format!("targets[{i}].key"),
                "DUPLICATE",
                format!("the key `{}` is used twice", t.key),
            );
        }
        check_target(t, i, &mut v);
    }
    v.0
}

/// `Ok` when the policy is valid; otherwise the first problem.
pub fn require_valid(policy: &Policy) -> Result<(), DecisionError> {
    match validate(policy).into_iter().next() {
        None => Ok(()),
        Some(p) => Err(DecisionError::InvalidPolicy {
            first: p.message,
            path: p.path,
        }),
    }
}

fn check_permanent_admins(policy: &Policy, v: &mut Problems) {
    let n = policy.permanent_admins.len();
    if n == 0 {
        v.add(
            "permanentAdmins",
            "NO_PERMANENT_ADMINS",
            "list at least one permanent admin, or the org could be left without an admin",
        );
    }
    if u32::try_from(n).unwrap_or(u32::MAX) > policy.max_permanent_admins {
        v.add(
            "permanentAdmins",
            "TOO_MANY_PERMANENT_ADMINS",
            format!(
                "{n} permanent admins listed; at most {} allowed (maxPermanentAdmins)",
                policy.max_permanent_admins
            ),
        );
    }
    if u32::try_from(n).unwrap_or(u32::MAX) < policy.min_org_admins {
        v.add(
            "minOrgAdmins",
            "FLOOR_ABOVE_PERMANENT",
            format!(
                "{} org admins must remain but only {n} permanent admins are listed",
                policy.min_org_admins
            ),
        );
    }
    let mut seen = HashSet::new();
    for (i, a) in policy.permanent_admins.iter().enumerate() {
        v.id(|| format!("permanentAdmins[{i}]"), a);
        if !seen.insert(a.as_str()) {
            v.add(
                format!("permanentAdmins[{i}]"),
                "DUPLICATE",
                format!("`{a}` is listed twice"),
            );
        }
    }
}

fn check_target(t: &Target, i: usize, v: &mut Problems) {
    let at = |field: &str| format!("targets[{i}].{field}");
    v.id(|| at("key"), &t.key);
    if !t
        .key
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
    {
        v.add(
            at("key"),
            "BAD_KEY",
            "use lower-case letters, digits, `-` and `_`",
        );
    }
    if t.label.trim().is_empty() {
        v.add(at("label"), "REQUIRED", "a label is required");
    }
    match &t.access {
        Access::OrgRole { role } if role != ORG_ADMIN_ROLE => v.add(
            at("access.role"),
            "BAD_ROLE",
            format!("the org role must be `{ORG_ADMIN_ROLE}`"),
        ),
        Access::ResourceRole { role, resource } => {
            if !RESOURCE_ROLES.contains(&role.as_str()) {
                v.add(
                    at("access.role"),
                    "BAD_ROLE",
                    format!("`{role}` is not one of {}", RESOURCE_ROLES.join(", ")),
                );
            }
            if !resource.starts_with("ari:cloud:") {
                v.add(
                    at("access.resource"),
                    "BAD_RESOURCE",
                    "the resource must be an ARI such as `ari:cloud:jira::site/<id>`",
                );
            }
            v.id(|| at("access.resource"), resource);
        }
        Access::GroupMembership { group_id, .. } => v.id(|| at("access.groupId"), group_id),
        Access::OrgRole { .. } => {}
    }
    principals(&t.requesters, &|| at("requesters"), "requesters", v);
    principals(&t.approvers, &|| at("approvers"), "approvers", v);
    let minutes = |field: &str, value: u32, v: &mut Problems| {
        if !(1..=MAX_POLICY_MINUTES).contains(&value) {
            v.add(
                at(field),
                "OUT_OF_RANGE",
                format!("must be between 1 and {MAX_POLICY_MINUTES} minutes"),
            );
        }
    };
    minutes("defaultDurationMinutes", t.default_duration_minutes, v);
    minutes("maxDurationMinutes", t.max_duration_minutes, v);
    minutes("approvalDeadlineMinutes", t.approval_deadline_minutes, v);
    if t.max_start_ahead_minutes > 90 * 24 * 60 {
        v.add(
            at("maxStartAheadMinutes"),
            "OUT_OF_RANGE",
            "must be at most 90 days",
        );
    }
    if t.default_duration_minutes > t.max_duration_minutes {
        v.add(
            at("defaultDurationMinutes"),
            "DEFAULT_ABOVE_MAX",
            "the default duration is longer than the maximum",
        );
    }
    if let Some(total) = t.max_total_minutes {
        if total < t.max_duration_minutes {
            v.add(
                at("maxTotalMinutes"),
                "TOTAL_BELOW_MAX",
                "the total window is shorter than the maximum duration",
            );
        }
        if total > MAX_POLICY_MINUTES {
            v.add(
                at("maxTotalMinutes"),
                "OUT_OF_RANGE",
                format!("must be at most {MAX_POLICY_MINUTES} minutes"),
            );
        }
    }
    if t.max_extensions > 10 {
        v.add(at("maxExtensions"), "OUT_OF_RANGE", "at most 10 extensions");
    }
    if t.required_approvals < 1 || t.required_approvals > 5 {
        v.add(
            at("requiredApprovals"),
            "OUT_OF_RANGE",
            "between 1 and 5 approvals",
        );
    }
    if t.justification.min_length > 1000 {
        v.add(
            at("justification.minLength"),
            "OUT_OF_RANGE",
            "at most 1000 characters",
        );
    }
    // With approvers named one by one, someone must be left to approve: the request needs
    // `requiredApprovals` of them and each extension as many who have not approved before.
    if t.approvers.group_ids.is_empty() && !t.approvers.account_ids.is_empty() {
        let named = t.approvers.account_ids.len();
        let need = usize::try_from(t.required_approvals).unwrap_or(usize::MAX);
        let with_extension = if t.max_extensions > 0 {
            need.saturating_mul(2)
        } else {
            need
        };
        if named < need {
            v.add(
                at("approvers"),
                "TOO_FEW_APPROVERS",
                format!("{need} approvals are required but only {named} approvers are listed"),
            );
        } else if named < with_extension {
            v.add(
                at("approvers"),
                "TOO_FEW_APPROVERS",
                format!("extensions need approvers who did not approve the request: list at least {with_extension} approvers or set maxExtensions to 0"),
            );
        }
    }
    check_notices(t, &at, v);
    for (j, a) in t.break_glass.iter().enumerate() {
        v.id(|| format!("targets[{i}].breakGlass[{j}]"), a);
    }
    for (j, a) in t.standing_holders.iter().enumerate() {
        v.id(|| format!("targets[{i}].standingHolders[{j}]"), a);
    }
}

/// The notice settings. A reminder or warning longer than what it warns about is not an error:
/// it is simply not sent (see `lifecycle::notice`), so policies saved before these settings
/// existed, with short deadlines, stay valid under the defaults.
fn check_notices(t: &Target, at: &dyn Fn(&str) -> String, v: &mut Problems) {
    if !(1..=MAX_APPROVERS_NOTIFIED).contains(&t.max_approvers_notified) {
        v.add(
            at("maxApproversNotified"),
            "OUT_OF_RANGE",
            format!("between 1 and {MAX_APPROVERS_NOTIFIED} approvers"),
        );
    }
    for (field, value) in [
        (
            "approvalReminderBeforeMinutes",
            t.approval_reminder_before_minutes,
        ),
        ("windowEndWarningMinutes", t.window_end_warning_minutes),
    ] {
        if value > MAX_POLICY_MINUTES {
            v.add(
                at(field),
                "OUT_OF_RANGE",
                format!("must be between 0 (none) and {MAX_POLICY_MINUTES} minutes"),
            );
        }
    }
}

fn principals(p: &Principals, at: &dyn Fn() -> String, what: &str, v: &mut Problems) {
    if p.is_empty() {
        v.add(
            at(),
            "REQUIRED",
            format!("list at least one of the {what} (an account or a group)"),
        );
    }
    for (i, a) in p.account_ids.iter().enumerate() {
        v.id(|| format!("{}.accountIds[{i}]", at()), a);
    }
    for (i, g) in p.group_ids.iter().enumerate() {
        v.id(|| format!("{}.groupIds[{i}]", at()), g);
    }
    if p.account_ids.len() + p.group_ids.len() > 500 {
        v.add(at(), "TOO_MANY", "at most 500 entries");
    }
}

#[derive(Default)]
struct Problems(Vec<PolicyProblem>);

impl Problems {
    fn add(&mut self, path: impl Into<String>, code: &str, message: impl Into<String>) {
        self.0.push(PolicyProblem {
            path: path.into(),
            code: code.to_owned(),
            message: message.into(),
        });
    }

    /// Checks an id; its path is built only when the id is bad.
    fn id(&mut self, path: impl FnOnce() -> String, value: &str) {
        if let Some(message) = id_problem(value) {
            self.add(path(), "BAD_ID", message);
        }
    }
}
