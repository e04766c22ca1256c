/**
 * The only way the Custom UI talks to the backend: `invoke` from @forge/bridge, typed by the resolver
 * contract in forge-app/src/shared/types.ts. A bridge failure (no connection, a resolver that threw)
 * becomes the same `{ok:false,error}` envelope as a refusal, so every caller handles one shape.
 */
import { invoke, view } from '@forge/bridge';
import type {
  AdminCalls,
  AlertRecord,
  AuditExport,
  AuditPage,
  DriftReport,
  GrantList,
  HealthReport,
  HoldingsData,
  PanelCalls,
  PanelData,
  PolicyData,
  PolicyProblem,
  Result,
} from '../../src/shared/types';

/**
 * What each admin call answers with. types.ts declares the payloads (AdminCalls) but not the results;
 * this is this UI's reading of it, checked by tsc against nothing on the server: keep it in step
 * with `handlers/admin.ts`.
 */
export interface AdminResults {
  getPolicy: PolicyData;
  savePolicy: PolicyData;
  validatePolicy: { valid: boolean; problems: PolicyProblem[] };
  listGrants: GrantList;
  getAudit: AuditPage;
  exportAudit: AuditExport;
  getDrift: DriftReport;
  getAlerts: AlertRecord[];
  getHoldings: HoldingsData;
  approvePolicyChange: PolicyData;
  withdrawPolicyChange: PolicyData;
  getHealth: HealthReport;
}

function bridgeFailure<T>(e: unknown): Result<T> {
  const message = e instanceof Error ? e.message.trim() : String(e);
  return { ok: false, error: { code: 'BRIDGE_ERROR', message: message || 'the call did not reach the app' } };
}

async function call<T>(name: string, payload: object): Promise<Result<T>> {
  try {
    const answer = (await invoke(name, payload as Record<string, unknown>)) as unknown;
    if (answer && typeof answer === 'object' && 'ok' in answer) return answer as Result<T>;
    return { ok: false, error: { code: 'BAD_ANSWER', message: `the resolver \`${name}\` answered without an {ok} envelope` } };
  } catch (e) {
    return bridgeFailure<T>(e);
  }
}

/** An issue-panel call; every one answers with the panel's data (or a refusal). */
export function panelCall<K extends keyof PanelCalls>(name: K, payload: PanelCalls[K]): Promise<Result<PanelData>> {
  return call<PanelData>(name, payload);
}

/** An admin-page call. */
export function adminCall<K extends keyof AdminCalls>(name: K, payload: AdminCalls[K]): Promise<Result<AdminResults[K]>> {
  return call<AdminResults[K]>(name, payload);
}

/** What the UI uses of the Forge context. */
export interface UiContext {
  accountId?: string;
  timezone: string;
  locale?: string;
  moduleKey?: string;
  issueKey?: string;
}

/** Resolves a usable IANA zone: the context's (the user's Atlassian profile), else the browser's. */
export function usableZone(tz: string | undefined): string {
  const browser = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  if (!tz) return browser;
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return tz;
  } catch {
    return browser;
  }
}

function usableLocale(locale: string | undefined): string | undefined {
  if (!locale) return undefined;
  const tag = locale.replace('_', '-');
  try {
    return Intl.DateTimeFormat.supportedLocalesOf([tag]).length ? tag : undefined;
  } catch {
    return undefined;
  }
}

/** Turns on Atlassian design tokens (and dark mode) and reads the context; never throws. */
export async function startUi(): Promise<UiContext> {
  try {
    await view.theme.enable();
  } catch {
    // Not every host supports theming; the CSS falls back to the light palette.
  }
  try {
    const c = (await view.getContext()) as unknown as {
      accountId?: string;
      timezone?: string;
      locale?: string;
      moduleKey?: string;
      extension?: { issue?: { key?: string }; request?: { key?: string } };
    };
    return {
      accountId: c.accountId,
      timezone: usableZone(c.timezone),
      locale: usableLocale(c.locale),
      moduleKey: c.moduleKey,
      // The issue panel names its issue; the portal's request page its request (an issue key too).
      issueKey: c.extension?.issue?.key ?? c.extension?.request?.key,
    };
  } catch {
    return { timezone: usableZone(undefined) };
  }
}
