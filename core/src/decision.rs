//! The dispatcher, `decide`: one event applied to one grant, yielding the next grant, actions and
//! audit records. It checks the input, hands the event to its lifecycle step (an action result to
//! provisioning), finishes the step (version, next wake-up, audit chain), and turns a refusal
//! worth keeping into an audit record and a comment, coalesced per hour.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::action::Action;
use crate::audit::{chain, AuditEntry, AuditHead, AuditOutcome, AuditRecord};
use crate::comment::Comment;
use crate::eligibility::Actor;
use crate::error::{DecisionError, ErrorBody};
use crate::event::Event;
use crate::grant::Grant;
use crate::input::{check_decide_input, DecideInput, Source};
use crate::lifecycle::{
    activation, approval, extension, policy_check, request, revocation, schedule,
};
use crate::provisioning::results;
use crate::step::{Step, SYSTEM};

/// How a refusal that is worth keeping (audited, or commented on the issue) counts: the first of
/// its period is recorded, the rest are only counted, so repeated refusals cannot flood the audit
/// trail, the grant's timeline or the issue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Coalesce {
    /// Who was refused what, on which grant, why, and in which hour (UTC):
    /// `refused:{grant or issue}:{actor}:{event}:{code}:{YYYY-MM-DDTHH}`.
    pub key: String,
    /// Whether this refusal's audit record and comment are in the answer (the first of its
    /// period): the wrapper then starts the count at 1; otherwise it adds 1 to it.
    pub recorded: bool,
    /// Refusals under this key in the period, this one included.
    pub count: u64,
}

/// An accepted event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Decision {
    /// Whether anything changed. A duplicate delivery changes nothing and yields nothing.
    pub changed: bool,
    /// The grant to store (unchanged when `changed` is false).
    pub grant: Option<Grant>,
    /// What to execute, in order.
    pub actions: Vec<Action>,
    /// Records to append to the audit chain.
    pub audit: Vec<AuditRecord>,
    /// The chain's head after those records.
    pub audit_head: AuditHead,
}

/// A refused event: the error, and for refusals worth keeping, an audit record and a comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// Why.
    pub error: DecisionError,
    /// What to execute (a comment explaining a refused workflow transition).
    pub actions: Vec<Action>,
    /// Records to append (authorization refusals are audited).
    pub audit: Vec<AuditRecord>,
    /// The chain's head after those records.
    pub audit_head: AuditHead,
    /// For a refusal worth keeping: how it counts in its period.
    pub coalesce: Option<Coalesce>,
}

impl Refusal {
    /// The error as a plain value.
    pub fn body(&self) -> ErrorBody {
        self.error.to_body()
    }
}

/// Applies one event to one grant.
///
/// Pure: the same input always gives the same output, including the actions' idempotency keys.
/// Never panics, whatever the input.
#[allow(
    clippy::result_large_err,
    reason = "called once per invocation; a refusal carries its audit record by value"
)]
pub fn decide(input: DecideInput) -> Result<Decision, Refusal> {
    let head = input.audit_head.clone().unwrap_or_default();
    if input.grant.is_none() {
        // Results of actions that belong to no grant (the sweep's revocations) are only recorded.
        let result = match &input.event {
            Event::ActionSucceeded { action } => Some((action, None)),
            Event::ActionFailed { action, error } => Some((action, Some(error))),
            _ => None,
        };
        if let Some((action, error)) = result {
            if let Err(e) = check_decide_input(&input) {
                return Err(refuse(&input, e, &head));
            }
            let (actions, entries) = results::ungranted_result(&input, action, error);
            let changed = !entries.is_empty();
            let (audit, audit_head) = chain(&head, entries);
            return Ok(Decision {
                changed,
                grant: None,
                actions,
                audit,
                audit_head,
            });
        }
    }
    match decide_inner(&input) {
        Ok(Some(step)) => Ok(finish(step, &head)),
        Ok(None) => Ok(Decision {
            changed: false,
            grant: input.grant,
            actions: Vec::new(),
            audit: Vec::new(),
            audit_head: head,
        }),
        Err(error) => Err(refuse(&input, error, &head)),
    }
}

/// `Ok(None)` means a no-op (a duplicate or nothing due). The view's probes stop here: whether
/// an event would be accepted needs neither the audit records nor the next wake-up.
pub(crate) fn decide_inner(input: &DecideInput) -> Result<Option<Step<'_>>, DecisionError> {
    check_decide_input(input)?;
    let actor = match (&input.actor, input.event.needs_actor()) {
        (Some(actor), _) => actor.account_id.as_str(),
        (None, true) => {
            return Err(DecisionError::invalid(
                "actor",
                "this event needs the acting account",
            ))
        }
        (None, false) => SYSTEM,
    };
    let Some(stored) = &input.grant else {
        return match &input.event {
            Event::Submit { .. } => request::submit(input).map(Some),
            other if other.needs_actor() => Err(DecisionError::state(
                other.audit_event().as_str(),
                "not requested yet",
            )),
            other => Err(DecisionError::invalid(
                "grant",
                format!("`{}` needs an existing grant", other.audit_event()),
            )),
        };
    };
    let mut step = Step::new(input, stored.clone(), actor);
    let acted = match &input.event {
        Event::Submit { .. } => Err(DecisionError::state(
            "submit a new request for",
            "already requested",
        )),
        Event::Approve {} => approval::approve(&mut step, actor_of(input)?),
        Event::Reject { reason } => {
            approval::reject(&mut step, actor_of(input)?, clean(reason).as_deref())
        }
        Event::Cancel {} => request::cancel(&mut step, actor_of(input)?),
        Event::Activate {} => activation::activate(&mut step, actor_of(input)?),
        Event::Complete {} => revocation::complete(&mut step, actor_of(input)?),
        Event::Revoke { reason } => {
            revocation::revoke(&mut step, actor_of(input)?, clean(reason).as_deref())
        }
        Event::RequestExtension {
            minutes,
            justification,
        } => extension::request(&mut step, actor_of(input)?, *minutes, justification),
        Event::ApproveExtension {} => extension::approve(&mut step, actor_of(input)?),
        Event::RejectExtension { reason } => {
            extension::reject(&mut step, actor_of(input)?, clean(reason).as_deref())
        }
        Event::Tick {} => {
            schedule::tick(&mut step);
            Ok(())
        }
        Event::PolicyCheck {} => {
            policy_check::apply_policy(&mut step);
            Ok(())
        }
        Event::ActionSucceeded { action } => {
            results::action_result(&mut step, action, None);
            Ok(())
        }
        Event::ActionFailed { action, error } => {
            results::action_result(&mut step, action, Some(error));
            Ok(())
        }
    };
    acted?;
    Ok(step.changed.then_some(step))
}

/// A person's reason as a reader sees it (the same cleaning as justifications: no control or
/// invisible formatting characters, one line); none when nothing visible is left.
fn clean(reason: &Option<String>) -> Option<String> {
    reason
        .as_deref()
        .map(request::visible_text)
        .filter(|r| !r.is_empty())
}

fn actor_of(input: &DecideInput) -> Result<&Actor, DecisionError> {
    input
        .actor
        .as_ref()
        .ok_or_else(|| DecisionError::invalid("actor", "this event needs the acting account"))
}

fn refuse(input: &DecideInput, error: DecisionError, head: &AuditHead) -> Refusal {
    let grant = input.grant.as_ref();
    let actor = input
        .actor
        .as_ref()
        .map_or(SYSTEM, |a| a.account_id.as_str());
    let issue_key = grant
        .map(|g| g.issue_key.clone())
        .or_else(|| match &input.event {
            Event::Submit { issue_key, .. } => Some(issue_key.clone()),
            _ => None,
        });
    let coalesce_key = format!(
        "refused:{}:{actor}:{}:{}:{}",
        grant
            .map(|g| g.id.as_str())
            .or(issue_key.as_deref())
            .unwrap_or("-"),
        input.event.audit_event(),
        error.code(),
        input.now.hour()
    );
    let seen = input
        .context
        .refusals
        .iter()
        .find(|t| t.key == coalesce_key)
        .map(|t| t.count);
    let mut entries = Vec::new();
    if error.is_authorization() {
        let mut details = Map::new();
        details.insert("code".into(), Value::from(error.code()));
        details.insert("message".into(), Value::from(error.to_string()));
        details.insert(
            "source".into(),
            serde_json::to_value(input.source).unwrap_or(Value::Null),
        );
        details.insert("coalesceKey".into(), Value::from(coalesce_key.clone()));
        entries.push(AuditEntry {
            at: input.now,
            actor: actor.to_owned(),
            event: input.event.audit_event(),
            outcome: AuditOutcome::Refused,
            grant_id: grant.map(|g| g.id.clone()),
            issue_key: issue_key.clone(),
            target: grant.map(|g| g.target.clone()),
            details,
        });
    }
    let mut actions = Vec::new();
    if let (Source::Workflow, Some(issue_key)) = (input.source, issue_key) {
        let version = grant.map_or(0, |g| g.version);
        let body = Comment::new()
            .text(format!(
                "JIT Admin refused the {} transition by ",
                input.event.audit_event()
            ))
            .mention(actor)
            .text(format!(
                ": {error} ({}). Nothing was changed.",
                error.code()
            ))
            .finish();
        actions.push(Action::Comment {
            key: format!(
                "{issue_key}:refused:{}:{actor}:{version}",
                input.event.audit_event()
            ),
            issue_key,
            body,
        });
    }
    let coalesce = if entries.is_empty() && actions.is_empty() {
        None
    } else if let Some(count) = seen {
        // Already recorded this period: counted by the wrapper, not recorded again.
        entries.clear();
        actions.clear();
        Some(Coalesce {
            key: coalesce_key,
            recorded: false,
            count: count.saturating_add(1),
        })
    } else {
        Some(Coalesce {
            key: coalesce_key,
            recorded: true,
            count: 1,
        })
    };
    let (audit, audit_head) = chain(head, entries);
    Refusal {
        error,
        actions,
        audit,
        audit_head,
        coalesce,
    }
}

/// Completes an accepted step: the grant's new version, its next wake-up, and the audit records
/// chained after `head`.
fn finish(mut step: Step<'_>, head: &AuditHead) -> Decision {
    step.grant.version = step.version;
    schedule::reschedule(&mut step);
    let (audit, audit_head) = chain(head, std::mem::take(&mut step.entries));
    Decision {
        changed: true,
        grant: Some(step.grant),
        actions: step.actions,
        audit,
        audit_head,
    }
}
