//! The contract in TypeScript (feature `ts`): every input and answer type, derived from the Rust
//! types with ts-rs, and the constants the TypeScript side must not copy (audit event names, role
//! names, the policy's defaults, the panel's actions). `core/tests/contract_types.rs` fails when
//! [`CONTRACT_TS_PATH`] differs from [`contract_ts`]; the hand-written answer envelopes and export
//! signatures are in `forge-app/src/decision/answers.ts`.
//!
//! How the serde attributes come out: `rename_all` and `tag = "type"` as serde writes them; a
//! field with `#[serde(default)]` may be left out of an input, so it is optional (`x?: T`, and
//! `x?: T | null` for an `Option`, whose `null` the core reads as absent; ts-rs spells that
//! `optional = nullable`); a field the core leaves out when empty (`skip_serializing_if`) is
//! optional without `null`. Types serde reads or writes by hand (`Timestamp`, `Event`,
//! `AuditEvent`) and JSON values carry an explicit TypeScript type.

use std::any::TypeId;
use std::fmt::Write as _;

use serde::Serialize;
use serde_json::{json, Value};
use ts_rs::{Config, Dependency, TS};

use crate::action::{Action, ActionError, RevokeReason, Severity};
use crate::audit::{AuditEntry, AuditHead, AuditOutcome, AuditRecord, BrokenLink, Verification};
use crate::audit_event::AuditEvent;
use crate::boundary::{ChangeRefusalExtras, RefusalExtras, ValidateInput, Validity, VerifyInput};
use crate::comment::{CommentBlock, Inline};
use crate::decision::{Coalesce, Decision};
use crate::eligibility::Actor;
use crate::error::ErrorBody;
use crate::event::{Event, EVENT_TYPES};
use crate::evidence::{
    ActionCount, Attachment, AuditLogRead, EvidenceInput, EvidenceReport, OrgEvent,
    INGEST_LAG_MINUTES, MAX_EVIDENCE_EVENTS,
};
use crate::gate::{Divergence, Gate, GateAnswer, GateEntry, GateInput, StatusCategory};
use crate::grant::{
    AccessState, Activation, Approval, Ending, Extension, ExtensionStatus, Grant, Notices, Outcome,
    PendingAction, PendingKind, Provisioning, Status,
};
use crate::health::{
    CountProbe, HealthCheck, HealthCheckKind, HealthInput, HealthReport, HealthStatus, KeyProbe,
    OrgAdminHolding, PermanentAdminProbe, ProbeError, ProbeOutcome, QueueProbe, StorageProbe,
    SweepProbe, TargetKind, TargetProbe,
};
use crate::input::{Context, DecideInput, OpenGrant, RefusalTally, Source};
use crate::policy::authorization::{
    AdminAccess, AdminAccessInput, AdminCall, AdminViewer, Approvers, PendingState, PendingStatus,
    Permission,
};
use crate::policy::change::{
    ChangeOutcome, PendingWrite, PolicyChangeDecision, PolicyChangeInput, PolicyCommand,
};
use crate::policy::diff::PolicyDiff;
use crate::policy::evidence::{EvidenceSettings, DEFAULT_HIGH_RISK_ACTIONS};
use crate::policy::state::{
    FormerPermanentAdmin, OrgAdminsRead, PendingPolicyChange, PolicyState, CHANGE_TTL_HOURS,
    GRACE_DAYS,
};
use crate::policy::validation::PolicyProblem;
use crate::policy::{
    Access, DriftMode, JustificationRule, Policy, Principals, ServiceAccount, Target,
    ORG_ADMIN_ROLE, RESOURCE_ROLES,
};
use crate::sweep::drift::{Disposition, Finding, FindingKind};
use crate::sweep::floor::FloorReport;
use crate::sweep::guard::{GuardInput, GuardOutcome};
use crate::sweep::holders::{Holder, HolderReason, HoldersExplained, HoldersInput};
use crate::sweep::snapshot::{GroupHolders, HolderSnapshot, TargetHolders};
use crate::sweep::{SweepInput, SweepOutcome};
use crate::time::Timestamp;
use crate::view::{ActionOption, GrantView, TargetOption, View, ViewInput, ViewerRoles, ACTIONS};
use crate::window::Window;
use crate::VersionInfo;

/// Where the generated file lives, from the repository root.
pub const CONTRACT_TS_PATH: &str = "forge-app/src/decision/contract.ts";

/// How the file is regenerated after a deliberate change.
pub const REGENERATE: &str =
    "UPDATE_CONTRACT_TS=1 cargo test -p jit-admin-core --test contract_types";

/// The declarations and constants, in the order the contract reads (what a grant is made of,
/// then each export's input and answer).
pub fn contract_ts() -> String {
    let mut out = Declarations::new();
    writeln!(
        out.text,
        "// GENERATED from the Rust types of jit-admin-core (core/src/typescript.rs, ts-rs); do not edit.\n\
         // Regenerate: {REGENERATE}\n\
         // The meaning of every field: core/CONTRACT.md. Answer envelopes: ./answers.ts.\n"
    )
    .ok();
    declare_all(&mut out);
    out.constants();
    out.text
}

/// The dependencies of the declared types that are not declared themselves (empty when the file
/// is complete: every type an input or answer mentions is in it).
pub fn undeclared() -> Vec<String> {
    let mut out = Declarations::new();
    declare_all(&mut out);
    out.dependencies
        .iter()
        .filter(|d| !out.declared.contains(&d.type_id))
        .map(|d| d.ts_name.clone())
        .collect()
}

/// Every type of the contract, in order.
fn declare_all(out: &mut Declarations) {
    out.alias(
        "AccountId",
        "An Atlassian account id (`5b10ac8d82e05b22cc7d4ef5`, `557058:f58131cb-…`).",
        "string",
    );
    declare!(out;
        Timestamp, ErrorBody,
        // the policy
        Access, Principals, JustificationRule, Target, ServiceAccount, DriftMode,
        EvidenceSettings, Policy,
        // the grant and what happens to it
        Inline, CommentBlock, RevokeReason, Severity, ActionError, Action,
        Status, Outcome, AccessState, ExtensionStatus, Approval, Window, Activation, Ending,
        Extension, PendingKind, PendingAction, Provisioning, Notices, Grant, Event,
        // the audit chain
        AuditEvent, AuditOutcome, AuditEntry, AuditRecord, AuditHead, Verification, BrokenLink,
        // decide
        Actor, Source, OpenGrant, RefusalTally, Context, DecideInput, Coalesce, Decision,
        RefusalExtras,
        // gate and view
        StatusCategory, GateInput, GateEntry, Gate, Divergence, GateAnswer,
        ViewInput, ViewerRoles, GrantView, ActionOption, TargetOption, View,
        // the sweep, holders and the revocation guard
        GroupHolders, TargetHolders, HolderSnapshot, HolderReason, Holder, HoldersInput,
        HoldersExplained, FindingKind, Disposition, Finding, FloorReport, FormerPermanentAdmin,
        SweepInput, SweepOutcome, GuardInput, GuardOutcome,
        // validatePolicy, verifyAudit, version
        PolicyProblem, ValidateInput, Validity, VerifyInput, VersionInfo,
        // the admin page
        AdminCall, PolicyState, PolicyDiff, PendingPolicyChange, OrgAdminsRead, AdminAccessInput,
        Permission, AdminViewer, PendingState, Approvers, PendingStatus, AdminAccess,
        PolicyCommand, PolicyChangeInput, ChangeOutcome, PendingWrite, PolicyChangeDecision,
        ChangeRefusalExtras,
        // the Health view
        ProbeOutcome, ProbeError, KeyProbe, CountProbe, TargetKind, TargetProbe, OrgAdminHolding,
        PermanentAdminProbe, StorageProbe, QueueProbe, SweepProbe, HealthInput, HealthStatus,
        HealthCheckKind, HealthCheck, HealthReport,
        // the evidence pack
        OrgEvent, AuditLogRead, EvidenceInput, ActionCount, Attachment, EvidenceReport
    );
}

/// Declares each type, in order.
macro_rules! declare {
    ($out:expr; $($ty:ty),+ $(,)?) => {
        $($out.declare::<$ty>();)+
    };
}
use declare;

struct Declarations {
    cfg: Config,
    text: String,
    declared: Vec<TypeId>,
    dependencies: Vec<Dependency>,
}

impl Declarations {
    fn new() -> Self {
        Self {
            cfg: Config::new().with_large_int("number"),
            text: String::new(),
            declared: Vec::new(),
            dependencies: Vec::new(),
        }
    }

    fn declare<T: TS + 'static>(&mut self) {
        let mut decl = T::docs().unwrap_or_default();
        decl.push_str("export ");
        decl.push_str(&T::decl(&self.cfg));
        self.text.push_str(&indent(&decl));
        self.text.push_str("\n\n");
        self.declared.push(TypeId::of::<T>());
        self.dependencies.extend(T::dependencies(&self.cfg));
    }

    fn alias(&mut self, name: &str, doc: &str, ty: &str) {
        if !doc.is_empty() {
            writeln!(self.text, "/** {doc} */").ok();
        }
        writeln!(self.text, "export type {name} = {ty};\n").ok();
    }

    fn constant(&mut self, name: &str, doc: &str, value: &impl Serialize) {
        let json = serde_json::to_string_pretty(value).unwrap_or_default();
        writeln!(
            self.text,
            "/** {doc} */\nexport const {name} = {json} as const;\n"
        )
        .ok();
    }

    /// Values the core owns, written from the core's own constants and from what it reads an
    /// empty policy and a bare target as (its defaults).
    fn constants(&mut self) {
        let names: Vec<&str> = AuditEvent::ALL.iter().map(AuditEvent::as_str).collect();
        self.constant(
            "AUDIT_EVENTS",
            "Every audit event the core writes, in the order the admin page lists them.",
            &names,
        );
        self.constant(
            "ORG_ADMIN_ROLE",
            "The org-level role that makes someone an organization admin.",
            &ORG_ADMIN_ROLE,
        );
        self.constant(
            "RESOURCE_ROLES",
            "The resource roles a `resourceRole` target may grant.",
            &RESOURCE_ROLES,
        );
        self.alias(
            "ResourceRole",
            "One of `RESOURCE_ROLES`.",
            "(typeof RESOURCE_ROLES)[number]",
        );
        self.constant(
            "ACTIONS",
            "The issue panel's actions, in the order its buttons appear.",
            &ACTIONS,
        );
        self.alias(
            "ActionName",
            "One of `ACTIONS`: a panel resolver call.",
            "(typeof ACTIONS)[number]",
        );
        self.constant(
            "POLICY_DEFAULTS",
            "What the core reads a field left out of the policy (`policy`) or of a target (`target`) as.",
            &policy_defaults(),
        );
        self.constant(
            "GRACE_DAYS",
            "Days a permanent admin dropped by an approved change is kept (and reported) before counting as drift.",
            &GRACE_DAYS,
        );
        self.constant(
            "CHANGE_TTL_HOURS",
            "Hours a proposed guard-rail change waits for its second permanent admin.",
            &CHANGE_TTL_HOURS,
        );
        self.constant(
            "EVIDENCE_DEFAULTS",
            "What the core reads a policy without `evidence` as (the default high-risk audit-log actions among them).",
            &EvidenceSettings::default(),
        );
        self.constant(
            "DEFAULT_HIGH_RISK_ACTIONS",
            "The audit-log actions that are high-risk when the policy names none (a trailing `*` matches a prefix).",
            &DEFAULT_HIGH_RISK_ACTIONS,
        );
        self.constant(
            "MAX_EVIDENCE_EVENTS",
            "Most audit-log events one evidence pack holds: stop reading there and report the read as partial.",
            &MAX_EVIDENCE_EVENTS,
        );
        self.constant(
            "INGEST_LAG_MINUTES",
            "Minutes a collection waits after its span for the audit log to show the last events.",
            &INGEST_LAG_MINUTES,
        );
    }
}

/// ts-rs writes a declaration on one line, with each field's doc comment on lines of its own:
/// indented by the depth of `{`, and without trailing blanks, it reads like hand-written
/// TypeScript.
fn indent(decl: &str) -> String {
    let mut depth: usize = 0;
    let mut out = String::with_capacity(decl.len() * 2);
    for line in decl.lines() {
        let line = line.trim_end();
        let doc = line.starts_with("/**") || line.starts_with(" *");
        let opens = if doc { 0 } else { line.matches('{').count() };
        let closes = if doc { 0 } else { line.matches('}').count() };
        let at = if line.starts_with('}') {
            depth.saturating_sub(1)
        } else {
            depth
        };
        if !out.is_empty() {
            out.push('\n');
        }
        for _ in 0..at {
            out.push_str("  ");
        }
        out.push_str(line);
        depth = (depth + opens).saturating_sub(closes);
    }
    out
}

/// The policy's defaults, as the core applies them: an empty policy and a target with only its
/// required fields, read and written back, without the fields that have no default.
fn policy_defaults() -> Value {
    let policy = serde_json::from_value::<Policy>(json!({}))
        .ok()
        .and_then(|p| serde_json::to_value(p).ok());
    let target = serde_json::from_value::<Target>(json!({
        "key": "k", "label": "l", "access": {"type": "orgRole", "role": ORG_ADMIN_ROLE}
    }))
    .ok()
    .and_then(|t| serde_json::to_value(t).ok());
    let strip = |value: Option<Value>, required: &[&str]| {
        let mut map = match value {
            Some(Value::Object(map)) => map,
            _ => serde_json::Map::new(),
        };
        for key in required {
            map.remove(*key);
        }
        Value::Object(map)
    };
    json!({
        "policy": strip(policy, &["targets"]),
        "target": strip(target, &["key", "label", "access"]),
    })
}

/// `AuditEvent` is read and written by hand (as its name): its TypeScript type is the union of
/// the names the core writes, from the same list.
impl TS for AuditEvent {
    type WithoutGenerics = Self;
    type OptionInnerType = Self;

    fn docs() -> Option<String> {
        Some(
            "/**\n * What an audit record is about, written as its name (`AUDIT_EVENTS` lists them).\n */\n"
                .to_owned(),
        )
    }

    fn name(_: &Config) -> String {
        "AuditEvent".to_owned()
    }

    fn inline(_: &Config) -> String {
        AuditEvent::ALL
            .iter()
            .map(|e| format!("\"{}\"", e.as_str()))
            .collect::<Vec<_>>()
            .join(" | ")
    }

    fn decl(cfg: &Config) -> String {
        format!(
            "type AuditEvent =\n  | {};",
            Self::inline(cfg).replace(" | ", "\n  | ")
        )
    }

    fn decl_concrete(cfg: &Config) -> String {
        Self::decl(cfg)
    }

    fn output_path() -> Option<std::path::PathBuf> {
        Some("AuditEvent.ts".into())
    }
}

/// The fields of each event type as the core reads them (`event.rs`'s `wire` structs): a field
/// with a default may be left out, `null` is read as absent only for `subject`, `start` and
/// `reason`, and never for minutes.
fn event_fields(tag: &str) -> Option<&'static str> {
    Some(match tag {
        "submit" => "grantId: string, issueKey: string, target: string, subject?: AccountId | null, start?: string | null, durationMinutes?: number, justification?: string",
        "approve" | "cancel" | "activate" | "complete" | "approveExtension" | "tick" | "policyCheck" => "",
        "reject" | "revoke" | "rejectExtension" => "reason?: string | null",
        "requestExtension" => "minutes: number, justification?: string",
        "actionSucceeded" => "action: Action",
        "actionFailed" => "action: Action, error: ActionError",
        _ => return None,
    })
}

/// One object type per event type.
fn event_variants() -> Vec<String> {
    EVENT_TYPES
        .iter()
        .map(|tag| match event_fields(tag) {
            Some("") | None => format!("{{ \"type\": \"{tag}\" }}"),
            Some(fields) => format!("{{ \"type\": \"{tag}\", {fields} }}"),
        })
        .collect()
}

/// Event types the core reads that have no TypeScript fields written above (empty when complete).
pub fn unwritten_event_types() -> Vec<&'static str> {
    EVENT_TYPES
        .iter()
        .copied()
        .filter(|tag| event_fields(tag).is_none())
        .collect()
}

/// `Event` is read by hand (to report the path of a bad field): its TypeScript type is written
/// from the fields each event type accepts, one variant per type the reader knows.
impl TS for Event {
    type WithoutGenerics = Self;
    type OptionInnerType = Self;

    fn docs() -> Option<String> {
        Some(
            "/**\n * An event for `decide`: everything that can happen to a grant.\n */\n"
                .to_owned(),
        )
    }

    fn name(_: &Config) -> String {
        "Event".to_owned()
    }

    fn inline(_: &Config) -> String {
        event_variants().join(" | ")
    }

    fn decl(_: &Config) -> String {
        format!("type Event =\n  | {};", event_variants().join("\n  | "))
    }

    fn decl_concrete(cfg: &Config) -> String {
        Self::decl(cfg)
    }

    fn visit_dependencies(v: &mut impl ts_rs::TypeVisitor)
    where
        Self: 'static,
    {
        v.visit::<Action>();
        v.visit::<ActionError>();
    }

    fn output_path() -> Option<std::path::PathBuf> {
        Some("Event.ts".into())
    }
}
