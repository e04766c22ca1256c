//! The workflow gate: for every event a Jira workflow transition can carry, who may take it on
//! this grant now — so a workflow validator can refuse, before the issue moves, a transition the
//! core would refuse afterwards — and whether the issue's status disagrees with the grant.
//!
//! Jira evaluates a workflow validator before the transition, with the transitioning user in
//! hand only inside a Jira expression; the expression reads what the wrapper mirrored into the
//! issue property. So the answer must be a list, not a yes/no for one actor: the accounts that
//! may take the event, the groups whose members may, and the accounts refused even so (with the
//! reason each one sees). It is computed by probing `decide` itself, so it cannot drift from the
//! rules: every account named in the policy or the grant is probed, then a stand-in account that
//! is named nowhere, alone and in each policy group. `decide` treats every account it has never
//! heard of alike and never lets a group membership take a right away, so the stand-in's answer
//! is the answer for everyone else.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::action::{Action, Severity};
use crate::comment::Comment;
use crate::decision::decide_inner;
use crate::eligibility::Actor;
use crate::event::Event;
use crate::grant::{Grant, Status};
use crate::input::{Context, DecideInput, Source};
use crate::policy::{AccountId, Policy};
use crate::time::Timestamp;

/// Everything `gate` needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GateInput {
    /// The current policy.
    pub policy: Policy,
    /// The grant on the issue, if any.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub grant: Option<Grant>,
    /// The current time.
    pub now: Timestamp,
    /// The issue's status category as Jira reports it, when the caller read it (the sweep).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub status_category: Option<StatusCategory>,
}

/// Jira's three status categories (`statusCategory.key`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum StatusCategory {
    /// To do.
    New,
    /// In progress.
    Indeterminate,
    /// Done.
    Done,
}

/// The events a workflow transition can carry, each with who may take it now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Gate {
    /// Approve the request.
    pub approve: GateEntry,
    /// Reject the request.
    pub reject: GateEntry,
    /// Mark the work done (ends an active grant).
    pub complete: GateEntry,
    /// End the grant early.
    pub revoke: GateEntry,
    /// Approve the pending extension.
    pub approve_extension: GateEntry,
}

/// Who may take one event now.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct GateEntry {
    /// Accounts that may, by themselves.
    pub accounts: Vec<AccountId>,
    /// Whether any account not named in the policy or the grant may (no rule allows this today).
    pub anyone: bool,
    /// Groups whose members may (unless listed in `deny`).
    pub group_ids: Vec<String>,
    /// Accounts named in the policy or the grant that are refused with a reason of their own, or
    /// although a group would let them through: account → the reason that account is told.
    pub deny: BTreeMap<AccountId, String>,
    /// What everybody else is told.
    pub reason: String,
}

/// The issue's status says something the grant does not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Divergence {
    /// Stable code: `STATUS_AHEAD_OF_GRANT`.
    pub code: String,
    /// How bad.
    pub severity: Severity,
    /// What disagrees, for people.
    pub message: String,
}

/// The gate, and what to do about a divergence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
// In TypeScript `GateAnswer` is the envelope of `gate`'s answer (`answers.ts`), as for every export.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "GateOutcome"))]
#[serde(rename_all = "camelCase")]
pub struct GateAnswer {
    /// Who may take each transition event now.
    pub gate: Gate,
    /// Set when `status_category` was given and disagrees with the grant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub divergence: Option<Divergence>,
    /// An alert and a comment about the divergence, keyed so that one divergence is reported
    /// once per grant version.
    pub actions: Vec<Action>,
}

/// The stand-in for "an account named nowhere". Not an Atlassian account id form.
const STAND_IN: &str = "jit-admin:anyone-else";

/// Who may take each transition event on this grant now, and whether the status disagrees.
pub fn gate(input: &GateInput) -> GateAnswer {
    let Some(grant) = input.grant.as_ref() else {
        let nobody = GateEntry {
            reason: "there is no JIT Admin request on this issue yet".into(),
            ..GateEntry::default()
        };
        return GateAnswer {
            gate: Gate {
                approve: nobody.clone(),
                reject: nobody.clone(),
                complete: nobody.clone(),
                revoke: nobody.clone(),
                approve_extension: nobody,
            },
            divergence: None,
            actions: Vec::new(),
        };
    };
    let mut prober = Prober::new(input, grant);
    let gate = Gate {
        approve: prober.entry(Event::Approve {}, "approve"),
        reject: prober.entry(Event::Reject { reason: None }, "reject"),
        complete: prober.entry(Event::Complete {}, "mark done"),
        revoke: prober.entry(Event::Revoke { reason: None }, "revoke"),
        approve_extension: prober.entry(Event::ApproveExtension {}, "approve the extension of"),
    };
    let divergence = input
        .status_category
        .and_then(|category| divergence(grant, category));
    let actions = divergence
        .as_ref()
        .map(|d| report(grant, d))
        .unwrap_or_default();
    GateAnswer {
        gate,
        divergence,
        actions,
    }
}

/// Probes `decide` for one grant, one event at a time.
struct Prober {
    probe: DecideInput,
    /// Every account named in the policy or the grant.
    named: BTreeSet<AccountId>,
    /// Every group named in the policy.
    groups: BTreeSet<String>,
    stand_in: String,
}

impl Prober {
    fn new(input: &GateInput, grant: &Grant) -> Self {
        let policy = &input.policy;
        let mut named: BTreeSet<AccountId> = BTreeSet::new();
        let mut groups = BTreeSet::new();
        named.extend(policy.permanent_admins.iter().cloned());
        for s in &policy.service_accounts {
            named.insert(s.account_id.clone());
            named.extend(s.owners.iter().cloned());
        }
        for t in &policy.targets {
            for p in [&t.requesters, &t.approvers] {
                named.extend(p.account_ids.iter().cloned());
                groups.extend(p.group_ids.iter().cloned());
            }
            named.extend(t.break_glass.iter().cloned());
        }
        named.insert(grant.requester.clone());
        named.insert(grant.subject.clone());
        named.extend(grant.all_approvers().map(str::to_owned));
        named.extend(
            grant
                .extensions
                .iter()
                .filter_map(|e| e.rejected_by.clone()),
        );
        if let Some(a) = &grant.activation {
            named.insert(a.by.clone());
        }
        if let Some(e) = &grant.ending {
            named.insert(e.by.clone());
        }
        // `system` is how the core names itself (expiry, automatic activation), never a person.
        named.remove(crate::step::SYSTEM);
        // The stand-in must be named nowhere, or it would not stand for everyone else.
        let mut stand_in = STAND_IN.to_owned();
        while named.contains(&stand_in) {
            stand_in.push('_');
        }
        Self {
            probe: DecideInput {
                policy: policy.clone(),
                grant: Some(grant.clone()),
                event: Event::Tick {},
                actor: None,
                now: input.now,
                audit_head: None,
                source: Source::Workflow,
                context: Context::default(),
            },
            named,
            groups,
            stand_in,
        }
    }

    /// `Ok` when `decide` would change the grant for this actor; a no-op counts as a refusal,
    /// as it does for the panel's buttons: the transition would move the issue for nothing.
    fn accepts(&mut self, account: &str, groups: &[String]) -> Result<(), String> {
        self.probe.actor = Some(Actor {
            account_id: account.to_owned(),
            group_ids: groups.to_vec(),
        });
        match decide_inner(&self.probe) {
            Ok(Some(_)) => Ok(()),
            Ok(None) => Err("JIT Admin already recorded this; nothing would change".into()),
            Err(e) => Err(e.to_string()),
        }
    }

    fn entry(&mut self, event: Event, step: &str) -> GateEntry {
        self.probe.event = event;
        let mut entry = GateEntry::default();
        let stand_in = self.stand_in.clone();
        let everyone_else = self.accepts(&stand_in, &[]);
        for g in self.groups.clone() {
            if self.accepts(&stand_in, std::slice::from_ref(&g)).is_ok() {
                entry.group_ids.push(g);
            }
        }
        entry.anyone = everyone_else.is_ok();
        let reason = match &everyone_else {
            Ok(()) => String::new(),
            Err(message) if message.contains(&stand_in) => {
                format!("you may not {step} this grant under the JIT Admin policy")
            }
            Err(message) => message.clone(),
        };
        for account in self.named.clone() {
            if self.accepts(&account, &[]).is_ok() {
                entry.accounts.push(account);
                continue;
            }
            // Refused alone; refused by name too when a group (or being anybody) would let them
            // through, and told their own reason when it differs from everybody else's (the
            // requester asking to mark an unactivated grant done, an earlier approver, …).
            let groups = entry.group_ids.clone();
            match self.accepts(&account, &groups) {
                Err(own) if own != reason || !groups.is_empty() || entry.anyone => {
                    entry.deny.insert(account, own);
                }
                _ => {}
            }
        }
        entry.reason = reason;
        entry
    }
}

/// Whether the issue's status claims more than the grant: a status the core never reached.
/// A status behind the grant is normal (the panel decides without moving the issue, and an
/// expiry does not close it), so only a status ahead of the grant is a divergence.
fn divergence(grant: &Grant, category: StatusCategory) -> Option<Divergence> {
    let ahead = |severity, message: String| {
        Some(Divergence {
            code: "STATUS_AHEAD_OF_GRANT".into(),
            severity,
            message,
        })
    };
    match (category, grant.status) {
        (StatusCategory::Done, Status::Active) => ahead(
            Severity::Critical,
            format!(
                "{} is closed in Jira, but its grant is still active: the access of {} was not revoked by the transition",
                grant.issue_key, grant.subject
            ),
        ),
        (StatusCategory::Done, Status::Approved | Status::Requested) => ahead(
            Severity::Warning,
            format!(
                "{} is closed in Jira, but its grant is still {} in JIT Admin",
                grant.issue_key,
                grant.status.word()
            ),
        ),
        (StatusCategory::Indeterminate, Status::Requested) => ahead(
            Severity::Warning,
            format!(
                "{} has moved past approval in Jira, but JIT Admin recorded no approval: no access was granted",
                grant.issue_key
            ),
        ),
        _ => None,
    }
}

fn report(grant: &Grant, d: &Divergence) -> Vec<Action> {
    let key = format!("divergence:{}:{}:{}", grant.id, d.code, grant.version);
    vec![
        Action::Alert {
            key: format!("{key}:alert"),
            severity: d.severity,
            code: d.code.clone(),
            message: d.message.clone(),
            grant_id: Some(grant.id.clone()),
            issue_key: Some(grant.issue_key.clone()),
        },
        Action::Comment {
            key: format!("{key}:comment"),
            issue_key: grant.issue_key.clone(),
            body: Comment::new()
                .text(format!(
                    "JIT Admin: this issue's status does not match its grant. {}. JIT Admin acts only on a decision it can attribute to a person: use the JIT Admin panel on this issue to take the step the status shows, or move the issue back.",
                    d.message
                ))
                .finish(),
        },
    ]
}
