/**
 * The policy's evidence-pack settings (`policy.evidence`): whether an ended grant gets a pack of its
 * holder's org audit-log events, how far past the revoke it looks, and which audit-log actions are
 * high-risk. A guard rail: a change waits for a second permanent admin. The defaults are the core's.
 */
import { EVIDENCE_DEFAULTS } from '../../src/decision/contract';
import type { Policy, PolicyProblem } from '../../src/shared/types';
import type { Seg } from './policyModel';
import { CheckField, ChipList, NumberField, Problems } from './fields';
import { problemsAt } from './policyModel';

export function EvidenceCard({ policy, problems, edit }: { policy: Policy; problems: PolicyProblem[]; edit: (segs: Seg[], v: unknown) => void }) {
  const e = policy.evidence ?? null;
  return (
    <section class="card" aria-labelledby="evidence-title" data-testid="policy-evidence">
      <h3 id="evidence-title">Evidence pack (guard rail)</h3>
      <p class="subtle">
        When a grant ends, the app reads what the elevated person did in the organization's audit log (needs Atlassian Guard) and
        attaches it to the request issue as CSV and JSON, with a summary comment. High-risk actions raise an alert.
      </p>
      <Problems path="evidence" problems={problemsAt(problems, 'evidence')} />
      <div class="grid">
        <CheckField
          path="evidence.enabled"
          label="Collect an evidence pack when a grant ends"
          problems={problems}
          checked={e?.enabled ?? EVIDENCE_DEFAULTS.enabled}
          onChange={(v) => edit(['evidence', 'enabled'], v)}
        />
        <NumberField
          path="evidence.afterRevokeMinutes"
          label="Look past the revoke"
          unit="min"
          problems={problems}
          value={e?.afterRevokeMinutes ?? undefined}
          defaultValue={EVIDENCE_DEFAULTS.afterRevokeMinutes}
          onChange={(v) => edit(['evidence', 'afterRevokeMinutes'], v)}
        />
        <ChipList
          class="span-all"
          path="evidence.highRiskActions"
          label="High-risk audit-log actions (a trailing * matches a prefix)"
          problems={problems}
          values={e?.highRiskActions ?? [...EVIDENCE_DEFAULTS.highRiskActions]}
          onChange={(v) => edit(['evidence', 'highRiskActions'], v)}
          hint="Every event is in the pack; these only decide the alert. Compare with your org's action ids (GET /v1/orgs/{orgId}/event-actions)."
        />
      </div>
    </section>
  );
}
