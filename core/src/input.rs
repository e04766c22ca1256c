//! What `decide` is given: the input the wrapper loads ([`DecideInput`]: policy, grant, event,
//! actor, time, audit head, source and looked-up context), and the checks on it that typed
//! reading cannot make.

use serde::{Deserialize, Serialize};

use crate::audit::AuditHead;
use crate::eligibility::Actor;
use crate::error::DecisionError;
use crate::event::Event;
use crate::grant::Grant;
use crate::limits::{check_id, check_key_safe_id, check_text, MAX_EXTENSION_REQUESTS};
use crate::policy::{AccountId, Policy};
use crate::time::Timestamp;

/// Everything `decide` needs. The caller loads it; the core never looks anything up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DecideInput {
    /// The current policy.
    pub policy: Policy,
    /// The grant as stored, or none before a request exists.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub grant: Option<Grant>,
    /// What happened.
    pub event: Event,
    /// Who did it; required for every event a person causes.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub actor: Option<Actor>,
    /// The current time, RFC 3339 with an offset.
    pub now: Timestamp,
    /// Where new audit records attach; the genesis when absent.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub audit_head: Option<AuditHead>,
    /// Where the event came from; refusals of workflow transitions are commented on the issue.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub source: Source,
    /// Facts the wrapper looked up for this event.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub context: Context,
}

/// Where an event came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum Source {
    /// A button on the issue panel or the admin page.
    #[default]
    Panel,
    /// A Jira workflow transition (post-function).
    Workflow,
    /// A timer, queue event or sweep.
    System,
    /// A button on the Jira Service Management portal's request page (the customer's view).
    Portal,
}

/// Facts the wrapper looked up for this event.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Context {
    /// Open grants (not finished) that involve the same subject, for the duplicate check on submit.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub open_grants: Vec<OpenGrant>,
    /// The grant's requester as the platform knows them now (account id and groups), for the
    /// rules that re-check the requester's eligibility when someone else acts: approvals,
    /// automatic activation and `policyCheck`. Absent (the lookup failed): eligibility is judged
    /// on account ids alone, and one that rests on groups counts as unknown — approvals are
    /// refused with `ELIGIBILITY_UNKNOWN`, automatic activation waits, `policyCheck` ends nothing.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub requester: Option<Actor>,
    /// Refusals already recorded in the current period, as the wrapper counted them (by the
    /// `coalesce.key` of earlier refused answers). A refusal whose key is here is counted, not
    /// recorded again: no audit record, no comment.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub refusals: Vec<RefusalTally>,
}

/// How many refusals with one coalescing key the wrapper has counted in their period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RefusalTally {
    /// The key, as a refused answer's `coalesce.key` gave it.
    pub key: String,
    /// Refusals counted under it so far (the recorded one included).
    pub count: u64,
}

/// An open grant, as far as the duplicate check needs to know it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OpenGrant {
    /// Grant id.
    pub id: String,
    /// Who holds or will hold the access.
    pub subject: AccountId,
    /// Policy target key.
    pub target: String,
}

/// Checks the parts of a `decide` input that typed deserialization cannot.
pub(crate) fn check_decide_input(input: &DecideInput) -> Result<(), DecisionError> {
    if let Some(actor) = &input.actor {
        check_id("actor.accountId", &actor.account_id)?;
        if actor.group_ids.len() > 1000 {
            return Err(DecisionError::invalid(
                "actor.groupIds",
                "must list at most 1000 groups",
            ));
        }
    }
    match &input.event {
        Event::Submit {
            grant_id,
            issue_key,
            target,
            subject,
            justification,
            start,
            ..
        } => {
            check_key_safe_id("event.grantId", grant_id)?;
            check_id("event.issueKey", issue_key)?;
            check_id("event.target", target)?;
            if let Some(subject) = subject {
                check_id("event.subject", subject)?;
            }
            if let Some(start) = start {
                if start.chars().count() > 64 {
                    return Err(DecisionError::invalid("event.start", "is not a date-time"));
                }
            }
            check_text("event.justification", justification)?;
        }
        Event::Reject { reason: Some(r) }
        | Event::Revoke { reason: Some(r) }
        | Event::RejectExtension { reason: Some(r) } => check_text("event.reason", r)?,
        Event::RequestExtension { justification, .. } => {
            check_text("event.justification", justification)?;
        }
        _ => {}
    }
    if let Some(requester) = &input.context.requester {
        check_id("context.requester.accountId", &requester.account_id)?;
        if requester.group_ids.len() > 1000 {
            return Err(DecisionError::invalid(
                "context.requester.groupIds",
                "must list at most 1000 groups",
            ));
        }
    }
    if input.context.refusals.len() > 100 {
        return Err(DecisionError::invalid(
            "context.refusals",
            "must list at most 100 tallies",
        ));
    }
    if let Some(grant) = &input.grant {
        if grant.extensions.len() > MAX_EXTENSION_REQUESTS {
            return Err(DecisionError::invalid(
                "grant.extensions",
                "has too many entries",
            ));
        }
        if grant.approvals.len() > 100 {
            return Err(DecisionError::invalid(
                "grant.approvals",
                "has too many entries",
            ));
        }
    }
    Ok(())
}
