/**
 * Emulator of the Atlassian organizations (admin) API, for the endpoints JIT Admin uses.
 * Written from the published OpenAPI shapes (`admin-organization.v3.json`); see README.md for what
 * is taken from the spec and what is guessed.
 */

export { startOrgAdminEmulator } from './server';
export {
  defaultOrgSeed,
  DEFAULT_ORG_ID,
  DEFAULT_DIRECTORY_ID,
  type OrgAdminEmulator,
  type OrgAdminEmulatorOptions,
  type EmulatorTarget,
  type EmulatorSnapshot,
  type HoldersView,
  type RequestLogEntry,
  type FaultHook,
} from './types';
export { ORG_ADMIN_ROUTES, routeKey, type RouteDef, type RouteId } from './routes';
export { FAULT_KINDS, type FaultKind, type FaultOptions, type FaultConfig, type EmulatorStats, type ContractFaults } from './faults';
export { orgAri, siteAri, productAri, siteAriIn, SITE_ARI_FORMS, type SiteAriForm, type OrgSeed, type Directory } from './model';
export type { ApiKeyRecord } from './api';
