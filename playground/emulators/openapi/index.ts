/**
 * The first thing every request to the org-admin and Jira emulators passes: the published OpenAPI operation it
 * calls must allow it (path parameters, query parameters, required headers, content type, body schema), or the
 * emulator answers the way Atlassian does and serves nothing. Always on, in the playground and in every test.
 *
 * The specs are the generated subsets in specs/ (scripts/refresh-specs.ts), so nothing outside the repository is
 * needed. Each emulator calls its gate once at its request entry:
 *
 *   const refused = orgApiGate({ method, url: req.url, headers: req.headers, body });
 *   if (refused) return send(res, refused);
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createOrgApiRefuser, jiraRefusal, type Refusal } from './refusals';
import type { Json } from './schema';
import { OpenApiRequestValidator, type IncomingRequest, type ValidatorAmendment } from './validator';

export { OpenApiRequestValidator, type IncomingRequest, type Problem, type SpecOperation, type Verdict, type ValidatorAmendment } from './validator';
export { createOrgApiRefuser, jiraRefusal, type Refusal } from './refusals';
export { sanitizeSchema, getPointer, resolvePointer } from './schema';

/** The repo's generated spec subsets. */
export const SPECS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'specs');
export const ORG_API_SUBSET = 'admin-organization.subset.json';
export const JIRA_SUBSET = 'jira-platform.subset.json';

export const loadSubset = (file: string): Json => JSON.parse(readFileSync(path.join(SPECS_DIR, file), 'utf8')) as Json;

const V1_ROLE_OPERATIONS = ['role-assignments/assign', 'role-assignments/revoke', 'roles/assign', 'roles/revoke'].map(
  (tail) => `/v1/orgs/{orgId}/users/{userId}/${tail}`,
);

/**
 * Organizations API amendments. The v1 role operations type `userId` as `format: uuid`, yet the same spec calls it
 * the account id from the users endpoints, and Atlassian account ids are not UUIDs (`5b10ac8d82e05b22cc7d4ef5`,
 * `712020:…`). Enforcing it would refuse every real grant, so the format is not enforced (a Guess in
 * docs/platform-rules.md); `orgId`'s `format: uuid` on the same operations is.
 */
export const ORG_API_AMENDMENTS: readonly ValidatorAmendment[] = V1_ROLE_OPERATIONS.map((template) => ({
  kind: 'ignoreFormat' as const,
  method: 'POST',
  template,
  parameter: 'userId',
  format: 'uuid',
}));

/**
 * Jira amendments. Add attachment's description: "The request must have a `X-Atlassian-Token: no-check` header, if
 * not it is blocked" (Jira's XSRF check: 403 "XSRF check failed").
 */
export const JIRA_AMENDMENTS: readonly ValidatorAmendment[] = [
  {
    kind: 'requireHeader',
    method: 'POST',
    template: '/rest/api/3/issue/{issueIdOrKey}/attachments',
    header: 'X-Atlassian-Token',
    value: 'no-check',
    status: 403,
    message: 'XSRF check failed',
  },
];

let orgValidator: OpenApiRequestValidator | undefined;
let jiraValidatorInstance: OpenApiRequestValidator | undefined;
let orgRefuser: ((verdict: ReturnType<OpenApiRequestValidator['check']>) => Refusal | null) | undefined;

/** The organizations API validator (one per process: compiled schemas are cached in it). */
export function orgApiValidator(): OpenApiRequestValidator {
  return (orgValidator ??= new OpenApiRequestValidator(loadSubset(ORG_API_SUBSET), ORG_API_AMENDMENTS));
}

/** The Jira platform validator (one per process). */
export function jiraValidator(): OpenApiRequestValidator {
  return (jiraValidatorInstance ??= new OpenApiRequestValidator(loadSubset(JIRA_SUBSET), JIRA_AMENDMENTS));
}

/** The organizations API's answer to a request its spec refuses, or null to serve it. */
export function orgApiGate(req: IncomingRequest): Refusal | null {
  const validator = orgApiValidator();
  orgRefuser ??= createOrgApiRefuser(validator, `specs/${ORG_API_SUBSET}`);
  return orgRefuser(validator.check(req));
}

/** Jira's answer to a request its spec refuses, or null to serve it. */
export function jiraGate(req: IncomingRequest): Refusal | null {
  return jiraRefusal(jiraValidator().check(req), `specs/${JIRA_SUBSET}`);
}
