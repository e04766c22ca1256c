//! The view: what a viewer sees of a grant and which buttons they get, decided by the same rules
//! as `decide` so the UI can never offer what the core would refuse.

use serde::{Deserialize, Serialize};

use crate::decision::decide_inner;
use crate::eligibility::{may_approve, may_request, Actor};
use crate::error::{DecisionError, ErrorBody};
use crate::event::Event;
use crate::grant::Grant;
use crate::input::{Context, DecideInput, Source};
use crate::policy::{AccountId, Policy, ServiceAccount};
use crate::time::Timestamp;

/// Everything `view` needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ViewInput {
    /// The current policy.
    pub policy: Policy,
    /// The grant on this issue, if any.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub grant: Option<Grant>,
    /// Who is looking.
    pub viewer: Actor,
    /// The current time.
    pub now: Timestamp,
    /// The grant's requester as the platform knows them now, with their groups, when the viewer
    /// is someone else: the buttons that re-check the requester's eligibility (approvals) are
    /// judged as `decide` will judge them. Absent: judged as `decide` judges without it.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub requester: Option<Actor>,
}

/// What the viewer sees.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct View {
    /// The viewer and their relation to the grant.
    pub viewer: ViewerRoles,
    /// The grant, with derived figures, if there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub grant: Option<GrantView>,
    /// Every action, whether this viewer may take it now, and why not.
    pub actions: Vec<ActionOption>,
    /// Targets the viewer may request (for the request form), when a request can be made here.
    pub requestable: Vec<TargetOption>,
}

/// The viewer's relation to the grant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ViewerRoles {
    /// The viewer.
    pub account_id: AccountId,
    /// Asked for this grant.
    pub is_requester: bool,
    /// May approve this grant's target.
    pub is_approver: bool,
    /// A permanent admin.
    pub is_permanent_admin: bool,
}

/// A grant with the figures the panel shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct GrantView {
    /// The stored grant.
    pub grant: Grant,
    /// The state in words.
    pub state: String,
    /// Seconds until the window ends (0 when over or not yet approved).
    pub seconds_remaining: i64,
    /// Seconds until the window starts (0 when started).
    pub seconds_until_start: i64,
    /// Whether the access is confirmed gone (or was never granted) and the grant is over.
    pub finished: bool,
}

/// One action and whether the viewer may take it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ActionOption {
    /// The resolver call: `approve`, `activate`, …
    #[cfg_attr(feature = "ts", ts(type = "ActionName"))]
    pub action: String,
    /// Whether the viewer may take it now.
    pub allowed: bool,
    /// Why not, when not allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub reason: Option<ErrorBody>,
}

/// A target the viewer may request, with the limits the form needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct TargetOption {
    /// Target key.
    pub key: String,
    /// Label.
    pub label: String,
    /// What it grants, in words.
    pub description: String,
    /// Default minutes.
    pub default_duration_minutes: u32,
    /// Most minutes.
    pub max_duration_minutes: u32,
    /// Furthest start ahead, minutes.
    pub max_start_ahead_minutes: u32,
    /// Whether a justification is required.
    pub justification_required: bool,
    /// Its minimum length.
    pub justification_min_length: u32,
    /// Service accounts the viewer may elevate instead of themselves.
    pub service_accounts: Vec<ServiceAccount>,
    /// Whether the viewer may break glass on this target.
    pub break_glass: bool,
}

/// The panel's actions, in the order buttons appear.
pub const ACTIONS: [&str; 10] = [
    "submitRequest",
    "approve",
    "reject",
    "activate",
    "complete",
    "requestExtension",
    "approveExtension",
    "rejectExtension",
    "revoke",
    "cancel",
];

/// What `viewer` sees of the grant at `now`.
pub fn view(input: &ViewInput) -> View {
    let policy = &input.policy;
    let viewer = &input.viewer;
    let grant = input.grant.as_ref();
    let target = grant.and_then(|g| policy.target(&g.target));
    let roles = ViewerRoles {
        account_id: viewer.account_id.clone(),
        is_requester: grant.is_some_and(|g| g.requester == viewer.account_id),
        is_approver: target.is_some_and(|t| may_approve(viewer, t)),
        is_permanent_admin: policy.is_permanent(&viewer.account_id),
    };
    // One probe input for every button, the event swapped in for each (the policy and the grant
    // are copied once, not once per button).
    let mut probe = grant.map(|g| DecideInput {
        policy: policy.clone(),
        grant: Some(g.clone()),
        event: Event::Tick {},
        actor: Some(viewer.clone()),
        now: input.now,
        audit_head: None,
        source: Source::Panel,
        context: Context {
            requester: input.requester.clone(),
            ..Context::default()
        },
    });
    let actions = ACTIONS
        .iter()
        .map(|name| {
            let reason = check(input, probe.as_mut(), name).err();
            ActionOption {
                action: (*name).to_owned(),
                allowed: reason.is_none(),
                reason,
            }
        })
        .collect();
    let requestable = if grant.is_none() {
        policy
            .targets
            .iter()
            .filter(|t| may_request(viewer, t))
            .map(|t| TargetOption {
                key: t.key.clone(),
                label: t.label.clone(),
                description: t.access.describe(),
                default_duration_minutes: t.default_duration_minutes,
                max_duration_minutes: t.max_duration_minutes,
                max_start_ahead_minutes: t.max_start_ahead_minutes,
                justification_required: t.justification.required,
                justification_min_length: t.justification.min_length,
                service_accounts: policy
                    .service_accounts
                    .iter()
                    .filter(|s| s.owners.contains(&viewer.account_id))
                    .cloned()
                    .collect(),
                break_glass: t.break_glass.contains(&viewer.account_id),
            })
            .collect()
    } else {
        Vec::new()
    };
    let grant = grant.map(|g| {
        let (remaining, until_start) = match g.window {
            Some(w) => (
                w.seconds_remaining(input.now),
                input.now.seconds_until(w.start).max(0),
            ),
            None => (0, 0),
        };
        GrantView {
            grant: g.clone(),
            state: g.state_word().to_owned(),
            seconds_remaining: remaining,
            seconds_until_start: until_start,
            finished: g.is_finished(),
        }
    });
    View {
        viewer: roles,
        grant,
        actions,
        requestable,
    }
}

/// Runs `decide` with a well-formed probe of the action: a refusal about who or when is the
/// reason the button is off; a refusal about the form's contents is left to the form.
fn check(input: &ViewInput, probe: Option<&mut DecideInput>, name: &str) -> Result<(), ErrorBody> {
    let form_error = |e: &DecisionError| {
        matches!(
            e,
            DecisionError::InvalidInput { .. }
                | DecisionError::DurationTooLong { .. }
                | DecisionError::StartTooFar { .. }
                | DecisionError::JustificationRequired { .. }
        ) && name != "submitRequest"
    };
    if name == "submitRequest" {
        return probe_submit(input);
    }
    let justification = || {
        input
            .grant
            .as_ref()
            .and_then(|g| input.policy.target(&g.target))
            .map(|t| {
                "x".repeat(
                    usize::try_from(t.justification.min_length)
                        .unwrap_or(0)
                        .max(1),
                )
            })
            .unwrap_or_default()
    };
    let event = match name {
        "approve" => Event::Approve {},
        "reject" => Event::Reject { reason: None },
        "activate" => Event::Activate {},
        "complete" => Event::Complete {},
        "requestExtension" => Event::RequestExtension {
            minutes: 1,
            justification: justification(),
        },
        "approveExtension" => Event::ApproveExtension {},
        "rejectExtension" => Event::RejectExtension { reason: None },
        "revoke" => Event::Revoke { reason: None },
        _ => Event::Cancel {},
    };
    let Some(probe) = probe else {
        return Err(DecisionError::state(&label(name), "not requested yet").to_body());
    };
    probe.event = event;
    // `decide` without its bookkeeping: a step means a change, `None` a no-op; a refusal's
    // audit record and comment are not needed here.
    match decide_inner(probe) {
        Ok(Some(_)) => Ok(()),
        Ok(None) => Err(DecisionError::state(&label(name), "already acted on by you").to_body()),
        Err(e) if form_error(&e) => Ok(()),
        Err(e) => Err(e.to_body()),
    }
}

fn probe_submit(input: &ViewInput) -> Result<(), ErrorBody> {
    if let Some(g) = &input.grant {
        return Err(DecisionError::state("submit another request on", g.state_word()).to_body());
    }
    if input
        .policy
        .targets
        .iter()
        .any(|t| may_request(&input.viewer, t))
    {
        Ok(())
    } else {
        Err(DecisionError::NotEligible {
            account: input.viewer.account_id.clone(),
            target: "any target".into(),
        }
        .to_body())
    }
}

fn label(name: &str) -> String {
    match name {
        "requestExtension" => "ask for an extension of".into(),
        "approveExtension" => "approve an extension of".into(),
        "rejectExtension" => "reject an extension of".into(),
        other => other.to_owned(),
    }
}
