/**
 * The playground's views of the running app: who holds each demo target (with the core's reasons), the issue
 * list, and one issue with its grant, comments, transitions and panel freshness.
 */
import { attachmentList } from '../evidence-routes';
import { adfToPlainText, type JiraSnapshot } from '../emulators/jira/index';
import type { TargetHolders, GroupHolders } from '../../forge-app/src/decision/contract';
import { DEMO_PEOPLE, JIT_WORKFLOW, TRANSITIONS, type LocalApp, type TransitionName } from '../local-app';
import { GRANT_PROPERTY, demoTargets } from './session';

/** Panel freshness: the mirrored grant version the panel last saw per issue, and panel calls in flight. */
export interface PanelState {
  seen: Map<string, number>;
  busy: Map<string, number>;
}

/** The views, over the panel state they report. */
export function createViews(panel: PanelState) {
  const panelSeen = panel.seen;
  const panelBusy = panel.busy;

  // The views below read Jira through one snapshot (a deep copy of every issue): a caller that
  // builds several views for one request takes it once and passes it to each.

  /**
   * Who holds each demo target in the emulated org, each holder with the core's reason
   * (`explainHolders`, from the same inputs as the sweep: the stored policy and the grants).
   */
  const orgView = async (app: LocalApp) => {
    const h = app.org.holders();
    const read = demoTargets().map((t) => {
      let holders: Array<{ accountId: string; method: string }> = [];
      let externallySynced = false;
      let viaGroups: GroupHolders[] = [];
      if (t.access.type === 'orgRole') {
        const role = t.access.role;
        const direct = new Set(h.direct.filter((d) => d.role === role && d.resource === app.org.orgAri).map((d) => d.accountId));
        holders = h.orgAdmins.map((accountId) => ({ accountId, method: direct.has(accountId) ? 'direct' : 'group' }));
        viaGroups = h.groups
          .filter((g) => g.roles.some((r) => r.role === role && r.resource === app.org.orgAri))
          .map((g) => ({ groupId: g.groupId, groupName: g.name, accountIds: g.members }));
      } else if (t.access.type === 'resourceRole') {
        const a = t.access;
        holders = h.direct.filter((d) => d.role === a.role && d.resource === a.resource).map((d) => ({ accountId: d.accountId, method: 'direct' }));
      } else {
        const a = t.access;
        const g = h.groups.find((x) => x.groupId === a.groupId);
        externallySynced = g?.externalSynced ?? false;
        holders = (g?.members ?? []).map((accountId) => ({ accountId, method: 'group' }));
      }
      const direct = holders.filter((x) => t.access.type !== 'orgRole' || x.method === 'direct').map((x) => x.accountId);
      const entry: TargetHolders = { target: t.key, complete: true, externallySynced, holders: direct, viaGroups };
      return { t, holders, externallySynced, entry };
    });
    const explained = await app.explainHolders({ complete: true, targets: read.map((r) => r.entry) });
    // A direct holder's explanation first (the core lists direct holders before groups' members).
    const reasonOf = (target: string, accountId: string) => explained.find((e) => e.target === target && e.accountId === accountId)?.reason ?? null;
    const targets = read.map(({ t, holders, externallySynced }) => ({
      ...t,
      externallySynced,
      holders: holders.map((x) => ({ ...x, name: DEMO_PEOPLE[x.accountId] ?? x.accountId, reason: reasonOf(t.key, x.accountId) })),
    }));
    return { ...h, targets };
  };

  const issueList = (app: LocalApp, jira: JiraSnapshot = app.jira.exportSnapshot()) =>
    jira.issues
      .map((i) => {
        const issue = app.jira.issue(i.key)!;
        return { key: i.key, summary: i.summary, status: issue.status, reporter: i.reporter, created: new Date(i.created).toISOString(), grant: i.properties[GRANT_PROPERTY] ?? null };
      })
      .sort((a, b) => Number(b.key.split('-')[1]) - Number(a.key.split('-')[1]));

  const issueDetail = (app: LocalApp, key: string, jira: JiraSnapshot = app.jira.exportSnapshot()) => {
    const rec = jira.issues.find((i) => i.key === key.toUpperCase());
    const issue = app.jira.issue(key);
    if (!rec || !issue) return null;
    const statusDef = JIT_WORKFLOW.statuses.find((s) => s.name === issue.status);
    const grant = (rec.properties[GRANT_PROPERTY] ?? null) as { version?: number } | null;
    const transitions = (Object.keys(TRANSITIONS) as TransitionName[])
      .map((event) => ({ event, def: JIT_WORKFLOW.transitions.find((t) => t.id === TRANSITIONS[event].transitionId)! }))
      .filter((x) => statusDef && x.def.from.includes(statusDef.id))
      .map((x) => ({ event: x.event, name: x.def.name }));
    return {
      key: issue.key,
      id: issue.id,
      summary: issue.summary,
      status: issue.status,
      statusCategory: statusDef?.category ?? 'new',
      reporter: issue.reporter,
      created: new Date(rec.created).toISOString(),
      description: rec.description ? adfToPlainText(rec.description) : '',
      comments: app.jira.comments(key).map((c) => ({ id: c.id, author: c.author, text: c.text, html: c.html, created: new Date(c.created).toISOString() })),
      attachments: attachmentList(app, issue.key),
      grant,
      transitions,
      panel: {
        seenVersion: panelSeen.get(issue.key) ?? null,
        busy: (panelBusy.get(issue.key) ?? 0) > 0,
        stale: !!grant && (panelBusy.get(issue.key) ?? 0) === 0 && panelSeen.has(issue.key) && panelSeen.get(issue.key) !== grant.version,
      },
    };
  };

  return { orgView, issueList, issueDetail };
}
