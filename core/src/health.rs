//! The Health view's judgement ([`judge_health`]): what each probe of the live installation found
//! (the organizations API key and organization, its directories, the role endpoints, each target,
//! each permanent admin, storage, the queue and the sweep), turned into one check per subject with
//! a status, a stable code, what was found and how to fix it. The wrapper runs the probes (they
//! are I/O) within the invocation's budgets and hands over what came back; a probe that did not
//! finish is `unfinished` and judged `unknown`, never `ok`.

use serde::{Deserialize, Serialize};

use crate::policy::AccountId;
use crate::time::Timestamp;

/// How long the sweep may be silent before the check fails (it runs every five minutes).
pub const SWEEP_LATE_MINUTES: i64 = 10;
/// How long a queue probe may wait for its delivery before the check fails.
pub const QUEUE_LATE_MINUTES: i64 = 5;

/// The organizations API key, and where to create the right kind.
const KEY_FIX: &str = "create an organization API key WITHOUT scopes (admin.atlassian.com > Settings > API keys > Create API key > API key without scopes; it lasts at most a year), store it with `forge variables set --encrypt ORG_API_KEY <key> -e production`, then `forge deploy -e production`";

/// How a probe ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum ProbeOutcome {
    /// It answered, and the answer is in the probe's other fields.
    Ok,
    /// It answered with an error (`error`).
    Failed,
    /// It did not finish within its time or request budget.
    Unfinished,
}

/// The error a probe met, as the adapter reported it (stable adapter codes such as
/// `UNAUTHORIZED`, `API_KEY_SCOPED`, `NOT_FOUND`, `FORBIDDEN`, `ORG_API_CONTRACT_CHANGED`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProbeError {
    /// The adapter's code.
    pub code: String,
    /// Its message (never holds the key).
    pub message: String,
}

/// The key probe: the organizations the key can see (`GET /v1/orgs`, an operation without
/// scopes, so a key with scopes is refused).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KeyProbe {
    /// How it ended.
    pub outcome: ProbeOutcome,
    /// What went wrong.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub error: Option<ProbeError>,
    /// The organization ids the key answered with.
    #[serde(default)]
    pub org_ids: Vec<String>,
    /// The configured `ORG_ID` (empty when unset).
    pub configured_org_id: String,
}

/// A probe that only answers or fails (the directories, the role endpoints).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CountProbe {
    /// How it ended.
    pub outcome: ProbeOutcome,
    /// What went wrong.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub error: Option<ProbeError>,
    /// How many were found (directories), when it answered.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub count: Option<u32>,
}

/// What a target's access is made of, as far as the Health view checks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum TargetKind {
    /// The org-admin role: nothing to look up.
    OrgRole,
    /// A role on a site or product: the resource must exist.
    ResourceRole,
    /// Membership of a group: the group must exist and not be synced by SCIM.
    GroupMembership,
}

/// One policy target, looked up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TargetProbe {
    /// The target's key.
    pub target: String,
    /// Its kind.
    pub kind: TargetKind,
    /// The group id or resource ARI looked up (empty for the org-admin role).
    #[serde(default)]
    pub subject: String,
    /// How the look-up ended.
    pub outcome: ProbeOutcome,
    /// What went wrong (`NOT_FOUND`: no such group).
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub error: Option<ProbeError>,
    /// Whether the group or resource exists, when the look-up answered.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub exists: Option<bool>,
    /// Whether the group is synced from an identity provider (SCIM).
    #[serde(default)]
    pub externally_synced: bool,
}

/// How a permanent admin holds org admin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum OrgAdminHolding {
    /// Assigned directly.
    Direct,
    /// Only through a group (or another method the app does not manage).
    Indirect,
    /// Not at all.
    None,
}

/// One permanent admin's org-admin role, read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PermanentAdminProbe {
    /// The account.
    pub account_id: AccountId,
    /// How the read ended.
    pub outcome: ProbeOutcome,
    /// What went wrong.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub error: Option<ProbeError>,
    /// How they hold org admin, when the read answered.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub holding: Option<OrgAdminHolding>,
}

/// One storage entity kind, written and read back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StorageProbe {
    /// The entity (or `kvs` for plain keys).
    pub entity: String,
    /// How the write, read-back and clean-up ended.
    pub outcome: ProbeOutcome,
    /// What went wrong.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub error: Option<ProbeError>,
}

/// The queue probe: the previous health event's push and delivery, and this run's push.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QueueProbe {
    /// This run's push of a health event.
    pub push: ProbeOutcome,
    /// Why the push failed.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub error: Option<ProbeError>,
    /// The oldest health event pushed and not yet delivered (or the last one pushed), before this run.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub pushed_at: Option<Timestamp>,
    /// When the consumer last recorded a health event's delivery.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub delivered_at: Option<Timestamp>,
}

/// The sweep's last run, as it recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SweepProbe {
    /// When the policy was last saved (absent: no policy, so the sweep has nothing to do).
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub policy_saved_at: Option<Timestamp>,
    /// When the sweep last finished comparing the holders with the policy.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub last_run_at: Option<Timestamp>,
    /// Whether reading the sweep's record finished.
    pub outcome: ProbeOutcome,
}

/// Input of [`judge_health`]: everything the probes found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HealthInput {
    /// When the probes ran.
    pub now: Timestamp,
    /// The key (and the organizations it sees).
    pub key: KeyProbe,
    /// The organization's directories.
    pub directory: CountProbe,
    /// A harmless call of a role endpoint (a revoke for an account that cannot exist).
    pub role_endpoints: CountProbe,
    /// Each policy target.
    #[serde(default)]
    pub targets: Vec<TargetProbe>,
    /// Each permanent admin of the policy.
    #[serde(default)]
    pub permanent_admins: Vec<PermanentAdminProbe>,
    /// Each storage entity kind.
    #[serde(default)]
    pub storage: Vec<StorageProbe>,
    /// The queue.
    pub queue: QueueProbe,
    /// The sweep.
    pub sweep: SweepProbe,
}

/// Where a check stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum HealthStatus {
    /// Works.
    Ok,
    /// Works, with something to look at.
    Warning,
    /// Could not be decided (a probe did not finish, or an earlier check failed).
    Unknown,
    /// Broken: the fix says what to do.
    Failed,
}

/// What a check is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum HealthCheckKind {
    /// The organizations API key.
    ApiKey,
    /// `ORG_ID`.
    Organization,
    /// The organization's directories.
    Directory,
    /// The role assign/revoke endpoints.
    RoleEndpoints,
    /// One policy target.
    Target,
    /// One permanent admin.
    PermanentAdmin,
    /// One storage entity kind.
    Storage,
    /// The app's queue.
    Queue,
    /// The five-minute sweep.
    Sweep,
}

impl HealthCheckKind {
    /// The check's name, as the deploy guide's table (step 4) names it.
    pub fn title(self) -> &'static str {
        match self {
            Self::ApiKey => "API key",
            Self::Organization => "organization",
            Self::Directory => "directory",
            Self::RoleEndpoints => "role endpoints",
            Self::Target => "targets",
            Self::PermanentAdmin => "permanent admins",
            Self::Storage => "storage",
            Self::Queue => "queue",
            Self::Sweep => "sweep",
        }
    }
}

/// One row of the Health view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct HealthCheck {
    /// What it checks.
    pub check: HealthCheckKind,
    /// Its name, as the deploy guide's table names it (`API key`, `permanent admins`, …).
    pub title: String,
    /// Which one (a target key, an account id, an entity), for checks with several rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub subject: Option<String>,
    /// Where it stands.
    pub status: HealthStatus,
    /// A stable code (`KEY_SCOPED`, `TARGET_GROUP_SCIM`, …).
    pub code: String,
    /// What was found, in words.
    pub found: String,
    /// What to do, when it is not ok.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub fix: Option<String>,
}

/// The answer of [`judge_health`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct HealthReport {
    /// The worst status of all checks.
    pub status: HealthStatus,
    /// When the probes ran.
    pub at: Timestamp,
    /// One row per check, in the order the deploy guide lists them.
    pub checks: Vec<HealthCheck>,
}

fn row(
    check: HealthCheckKind,
    subject: Option<&str>,
    status: HealthStatus,
    code: &str,
    found: String,
    fix: Option<&str>,
) -> HealthCheck {
    HealthCheck {
        check,
        title: check.title().to_owned(),
        subject: subject.map(str::to_owned),
        status,
        code: code.to_owned(),
        found,
        fix: fix.map(str::to_owned),
    }
}

/// Why an org-API check cannot be judged: the key or the organization failed first.
#[derive(Clone, Copy)]
enum Blocked {
    Key,
    Organization,
}

fn blocked(check: HealthCheckKind, subject: Option<&str>, by: Blocked) -> HealthCheck {
    let (code, found, fix) = match by {
        Blocked::Key => (
            "BLOCKED_BY_KEY",
            "not checked: the API key check failed",
            "fix the API key first",
        ),
        Blocked::Organization => (
            "BLOCKED_BY_ORGANIZATION",
            "not checked: the organization check failed",
            "fix ORG_ID first",
        ),
    };
    row(
        check,
        subject,
        HealthStatus::Unknown,
        code,
        found.to_owned(),
        Some(fix),
    )
}

fn unfinished(check: HealthCheckKind, subject: Option<&str>, what: &str) -> HealthCheck {
    row(
        check,
        subject,
        HealthStatus::Unknown,
        "PROBE_UNFINISHED",
        format!("{what} did not finish within this run's time or request budget"),
        Some("run the checks again; if it keeps happening, the organizations API is slow or rate-limited (see `forge logs`)"),
    )
}

fn error_text(error: Option<&ProbeError>) -> String {
    error.map_or_else(
        || "no reason given".to_owned(),
        |e| format!("{}: {}", e.code, e.message),
    )
}

fn error_code(error: Option<&ProbeError>) -> &str {
    error.map_or("", |e| e.code.as_str())
}

/// Judges what the probes found: one check per subject, each with a status, a stable code, what
/// was found and the fix. Checks that need the organizations API are `unknown` (blocked) when the
/// key or the organization failed, since their own probes then fail for that reason alone.
pub fn judge_health(input: &HealthInput) -> HealthReport {
    let mut checks = Vec::new();
    let key = judge_key(&input.key);
    let org = judge_organization(&input.key);
    let block = if key.status != HealthStatus::Ok {
        Some(Blocked::Key)
    } else if org.status != HealthStatus::Ok {
        Some(Blocked::Organization)
    } else {
        None
    };
    checks.push(key);
    checks.push(match (block, org.status) {
        (Some(Blocked::Key), _) => blocked(HealthCheckKind::Organization, None, Blocked::Key),
        _ => org,
    });
    // With a failed key or organization every org-API probe fails (or answers for the wrong
    // organization) for that reason alone, so its own verdict would mislead.
    let gated = |check: HealthCheck| match block {
        Some(by) => blocked(check.check, check.subject.as_deref(), by),
        None => check,
    };
    checks.push(gated(judge_directory(&input.directory)));
    checks.push(gated(judge_role_endpoints(&input.role_endpoints)));
    for t in &input.targets {
        checks.push(gated(judge_target(t)));
    }
    for p in &input.permanent_admins {
        checks.push(gated(judge_permanent_admin(p)));
    }
    for s in &input.storage {
        checks.push(judge_storage(s));
    }
    checks.push(judge_queue(&input.queue, input.now));
    checks.push(judge_sweep(&input.sweep, input.now));
    HealthReport {
        status: checks
            .iter()
            .map(|c| c.status)
            .max()
            .unwrap_or(HealthStatus::Ok),
        at: input.now,
        checks,
    }
}

fn judge_key(p: &KeyProbe) -> HealthCheck {
    use HealthStatus::*;
    let kind = HealthCheckKind::ApiKey;
    match (p.outcome, error_code(p.error.as_ref())) {
        (ProbeOutcome::Ok, _) => row(
            kind,
            None,
            Ok,
            "KEY_OK",
            "the key authenticates and reaches an operation without scopes, so it is an API key without scopes".to_owned(),
            None,
        ),
        (ProbeOutcome::Unfinished, _) => unfinished(kind, None, "asking the organizations API which organizations the key sees"),
        (ProbeOutcome::Failed, "UNAUTHORIZED") => row(
            kind,
            None,
            Failed,
            "KEY_UNAUTHORIZED",
            "the organizations API answered 401: ORG_API_KEY is unknown, expired (keys last at most a year) or revoked".to_owned(),
            Some(KEY_FIX),
        ),
        (ProbeOutcome::Failed, "API_KEY_SCOPED") => row(
            kind,
            None,
            Failed,
            "KEY_SCOPED",
            "the organizations API answered 403 to an operation without scopes: ORG_API_KEY is an API key WITH scopes, and the user-management and role endpoints accept only a key without scopes".to_owned(),
            Some(KEY_FIX),
        ),
        (ProbeOutcome::Failed, _) => row(
            kind,
            None,
            Unknown,
            "KEY_UNCHECKED",
            format!("the organizations API could not be asked about the key ({})", error_text(p.error.as_ref())),
            Some("run the checks again; if it keeps failing, check `forge logs` and Atlassian's status page"),
        ),
    }
}

fn judge_organization(p: &KeyProbe) -> HealthCheck {
    use HealthStatus::*;
    let kind = HealthCheckKind::Organization;
    if p.outcome != ProbeOutcome::Ok {
        return blocked(kind, None, Blocked::Key);
    }
    let configured = p.configured_org_id.trim();
    let seen = if p.org_ids.is_empty() {
        "none".to_owned()
    } else {
        p.org_ids
            .iter()
            .map(|o| format!("`{o}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if configured.is_empty() {
        return row(
            kind,
            None,
            Failed,
            "ORG_ID_MISSING",
            format!("ORG_ID is not set; the key's organization: {seen}"),
            Some("copy the organization id from admin.atlassian.com's URL (`admin.atlassian.com/o/<orgId>/…`), `forge variables set -e production ORG_ID <orgId>`, then `forge deploy -e production`"),
        );
    }
    if p.org_ids.iter().any(|o| o == configured) {
        row(
            kind,
            None,
            Ok,
            "ORG_OK",
            format!("ORG_ID `{configured}` is the key's organization"),
            None,
        )
    } else {
        row(
            kind,
            None,
            Failed,
            "ORG_MISMATCH",
            format!("ORG_ID `{configured}` is not an organization of this key; the key's organization: {seen}"),
            Some("set ORG_ID to the organization the key was created in (admin.atlassian.com's URL: `admin.atlassian.com/o/<orgId>/…`) with `forge variables set -e production ORG_ID <orgId>`, then `forge deploy -e production`"),
        )
    }
}

fn judge_directory(p: &CountProbe) -> HealthCheck {
    use HealthStatus::*;
    let kind = HealthCheckKind::Directory;
    match p.outcome {
        ProbeOutcome::Unfinished => unfinished(kind, None, "reading the organization's directories"),
        ProbeOutcome::Failed => row(
            kind,
            None,
            Failed,
            "DIRECTORY_UNREADABLE",
            format!("the organization's directories could not be read ({})", error_text(p.error.as_ref())),
            Some("usually the key: run the checks again after fixing the API key check; otherwise see `forge logs`"),
        ),
        ProbeOutcome::Ok => match p.count.unwrap_or(0) {
            0 => row(
                kind,
                None,
                Failed,
                "DIRECTORY_NONE",
                "the organization has no directory this key can manage, so group memberships cannot be changed".to_owned(),
                Some("create the key as an organization admin of this organization (step 2 of the deploy guide)"),
            ),
            n => row(
                kind,
                None,
                Ok,
                "DIRECTORY_OK",
                format!("{n} director{} the key can manage", if n == 1 { "y" } else { "ies" }),
                None,
            ),
        },
    }
}

const SUPPORT_FIX: &str = "ask Atlassian Support to enable user role management through the organizations API for this organization (one vendor reports this is needed; unverified)";

fn judge_role_endpoints(p: &CountProbe) -> HealthCheck {
    use HealthStatus::*;
    let kind = HealthCheckKind::RoleEndpoints;
    match (p.outcome, error_code(p.error.as_ref())) {
        (ProbeOutcome::Ok, _) => row(
            kind,
            None,
            Ok,
            "ROLE_API_OK",
            "the org-admin role endpoint answers as documented (a revoke for an account that does not exist: not found, nothing changed)".to_owned(),
            None,
        ),
        (ProbeOutcome::Unfinished, _) => unfinished(kind, None, "calling the role endpoint"),
        (ProbeOutcome::Failed, "ORG_API_CONTRACT_CHANGED") => row(
            kind,
            None,
            Failed,
            "ORG_API_CONTRACT_CHANGED",
            format!("the role endpoint answered outside its documented contract ({})", error_text(p.error.as_ref())),
            Some("if the operation is still in Atlassian's API reference, ask Atlassian Support to enable user role management through the organizations API for this organization; otherwise JIT Admin needs an update for the changed endpoint"),
        ),
        (ProbeOutcome::Failed, "FORBIDDEN" | "NOT_FOUND") => row(
            kind,
            None,
            Failed,
            "ROLE_API_REFUSED",
            format!("the role endpoint refused a working key ({})", error_text(p.error.as_ref())),
            Some(SUPPORT_FIX),
        ),
        (ProbeOutcome::Failed, _) => row(
            kind,
            None,
            Failed,
            "ROLE_API_FAILED",
            format!("the role endpoint could not be called ({})", error_text(p.error.as_ref())),
            Some("run the checks again; if it keeps failing, see `forge logs`"),
        ),
    }
}

fn judge_target(p: &TargetProbe) -> HealthCheck {
    use HealthStatus::*;
    let kind = HealthCheckKind::Target;
    let subject = Some(p.target.as_str());
    let what = match p.kind {
        TargetKind::OrgRole => "the org-admin role".to_owned(),
        TargetKind::ResourceRole => format!("resource `{}`", p.subject),
        TargetKind::GroupMembership => format!("group `{}`", p.subject),
    };
    if p.kind == TargetKind::OrgRole {
        return row(
            kind,
            subject,
            Ok,
            "TARGET_OK",
            "the org-admin role needs no look-up (the role endpoints check covers it)".to_owned(),
            None,
        );
    }
    match p.outcome {
        ProbeOutcome::Unfinished => unfinished(kind, subject, &format!("looking up {what}")),
        ProbeOutcome::Failed if error_code(p.error.as_ref()) != "NOT_FOUND" => row(
            kind,
            subject,
            Unknown,
            "TARGET_UNCHECKED",
            format!("{what} could not be looked up ({})", error_text(p.error.as_ref())),
            Some("run the checks again; if it keeps failing, see `forge logs`"),
        ),
        _ if p.exists != Some(true) => {
            let (code, fix) = if p.kind == TargetKind::GroupMembership {
                ("TARGET_GROUP_MISSING", "fix the target in the policy: use the id of an existing group (admin.atlassian.com > Directory > Groups; the id is in the group's URL)")
            } else {
                ("TARGET_RESOURCE_MISSING", "fix the target in the policy: use a resource id from the organization's sites and products (the organizations API's workspaces list)")
            };
            row(kind, subject, Failed, code, format!("{what} does not exist in the organization"), Some(fix))
        }
        _ if p.externally_synced => row(
            kind,
            subject,
            Failed,
            "TARGET_GROUP_SCIM",
            format!("{what} is synced from your identity provider (SCIM), so the organizations API cannot change its members"),
            Some("fix the target in the policy: SCIM groups cannot be changed through the API; use a role target or a group that is not synced"),
        ),
        _ => row(kind, subject, Ok, "TARGET_OK", format!("{what} exists"), None),
    }
}

fn judge_permanent_admin(p: &PermanentAdminProbe) -> HealthCheck {
    use HealthStatus::*;
    let kind = HealthCheckKind::PermanentAdmin;
    let subject = Some(p.account_id.as_str());
    let who = &p.account_id;
    match (p.outcome, p.holding) {
        (ProbeOutcome::Unfinished, _) => unfinished(kind, subject, &format!("reading `{who}`'s roles")),
        (ProbeOutcome::Failed, _) if error_code(p.error.as_ref()) == "NOT_FOUND" => row(
            kind,
            subject,
            Failed,
            "PERMANENT_ADMIN_UNKNOWN",
            format!("`{who}` is not a user of the organization"),
            Some("fix the account id in the policy's permanent admins"),
        ),
        (ProbeOutcome::Failed, _) | (ProbeOutcome::Ok, None) => row(
            kind,
            subject,
            Unknown,
            "PERMANENT_ADMIN_UNCHECKED",
            format!("`{who}`'s roles could not be read ({})", error_text(p.error.as_ref())),
            Some("run the checks again; if it keeps failing, see `forge logs`"),
        ),
        (ProbeOutcome::Ok, Some(OrgAdminHolding::Direct)) => row(
            kind,
            subject,
            Ok,
            "PERMANENT_ADMIN_OK",
            format!("`{who}` holds org admin directly"),
            None,
        ),
        (ProbeOutcome::Ok, Some(OrgAdminHolding::Indirect)) => row(
            kind,
            subject,
            Warning,
            "PERMANENT_ADMIN_VIA_GROUP",
            format!("`{who}` holds org admin only through a group, which the app does not manage"),
            Some("give them the org-admin role directly (admin.atlassian.com > Directory > Users > the user > Roles), so a change to the group cannot lock the organization out"),
        ),
        (ProbeOutcome::Ok, Some(OrgAdminHolding::None)) => row(
            kind,
            subject,
            Failed,
            "PERMANENT_ADMIN_NOT_ORG_ADMIN",
            format!("`{who}` is listed as a permanent admin but does not hold org admin"),
            Some("give them the org-admin role (admin.atlassian.com > Directory > Users > the user > Roles), or fix the account id in the policy's permanent admins"),
        ),
    }
}

fn judge_storage(p: &StorageProbe) -> HealthCheck {
    use HealthStatus::*;
    let kind = HealthCheckKind::Storage;
    let subject = Some(p.entity.as_str());
    match p.outcome {
        ProbeOutcome::Ok => row(
            kind,
            subject,
            Ok,
            "STORAGE_OK",
            format!("`{}`: written, read back and removed", p.entity),
            None,
        ),
        ProbeOutcome::Unfinished => unfinished(kind, subject, &format!("the `{}` storage probe", p.entity)),
        ProbeOutcome::Failed => row(
            kind,
            subject,
            Failed,
            "STORAGE_FAILED",
            format!("`{}` could not be written and read back ({})", p.entity, error_text(p.error.as_ref())),
            Some("redeploy (`forge deploy -e production`) and wait until `forge storage entities indexes list -e production` shows every index ACTIVE (step 3)"),
        ),
    }
}

fn judge_queue(p: &QueueProbe, now: Timestamp) -> HealthCheck {
    use HealthStatus::*;
    let kind = HealthCheckKind::Queue;
    const LOGS: &str = "check the app's logs (`forge logs -e production`) for the queue consumer";
    if p.push != ProbeOutcome::Ok {
        return row(
            kind,
            None,
            if p.push == ProbeOutcome::Unfinished {
                Unknown
            } else {
                Failed
            },
            "QUEUE_PUSH_FAILED",
            format!(
                "a health event could not be pushed to the queue ({})",
                error_text(p.error.as_ref())
            ),
            Some(LOGS),
        );
    }
    match (p.pushed_at, p.delivered_at) {
        (Some(pushed), Some(delivered)) if delivered >= pushed => row(
            kind,
            None,
            Ok,
            "QUEUE_OK",
            format!(
                "the last health event was delivered at {delivered} ({} s after it was pushed)",
                pushed.seconds_until(delivered)
            ),
            None,
        ),
        (Some(pushed), _) if pushed.minutes_until(now) >= QUEUE_LATE_MINUTES => row(
            kind,
            None,
            Failed,
            "QUEUE_NOT_DELIVERED",
            format!("a health event pushed at {pushed} has not been delivered"),
            Some(LOGS),
        ),
        (Some(pushed), _) => row(
            kind,
            None,
            Unknown,
            "QUEUE_PENDING",
            format!("a health event pushed at {pushed} has not been delivered yet"),
            Some("check again in a minute"),
        ),
        (None, _) => row(
            kind,
            None,
            Unknown,
            "QUEUE_PENDING",
            "the first health event was pushed now; its delivery shows on the next run".to_owned(),
            Some("check again in a minute"),
        ),
    }
}

fn judge_sweep(p: &SweepProbe, now: Timestamp) -> HealthCheck {
    use HealthStatus::*;
    let kind = HealthCheckKind::Sweep;
    const LOGS: &str = "check `forge logs -e production` for the sweep (`jit-sweep`); the scheduled trigger starts after install, and a redeploy restarts it";
    if p.outcome != ProbeOutcome::Ok {
        return unfinished(kind, None, "reading the sweep's record");
    }
    let Some(saved) = p.policy_saved_at else {
        return row(
            kind,
            None,
            Warning,
            "SWEEP_IDLE",
            "no policy is saved yet, so the sweep has nothing to compare".to_owned(),
            Some("save the first policy (Policy tab)"),
        );
    };
    match p.last_run_at {
        Some(last) if last.minutes_until(now) < SWEEP_LATE_MINUTES => row(
            kind,
            None,
            Ok,
            "SWEEP_OK",
            format!("the sweep last ran at {last}"),
            None,
        ),
        Some(last) => row(
            kind,
            None,
            Failed,
            "SWEEP_LATE",
            format!("the sweep last ran at {last}, more than {SWEEP_LATE_MINUTES} minutes ago (it runs every five)"),
            Some(LOGS),
        ),
        None if saved.minutes_until(now) < SWEEP_LATE_MINUTES => row(
            kind,
            None,
            Unknown,
            "SWEEP_PENDING",
            "the sweep has not run since the policy was saved".to_owned(),
            Some("check again in five minutes"),
        ),
        None => row(
            kind,
            None,
            Failed,
            "SWEEP_NEVER_RAN",
            format!("the sweep has not run since the policy was saved at {saved}"),
            Some(LOGS),
        ),
    }
}
