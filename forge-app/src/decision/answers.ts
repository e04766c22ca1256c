/**
 * The answers of the core's exports and their signatures: the only hand-written part of the core's
 * TypeScript. Everything inside an answer is generated from the Rust types (`./contract.ts`).
 *
 * Every export answers `{ok: true, ...answer}` or `{ok: false, error, ...extras}`
 * (`core/src/boundary/answer.rs`). A refusal of input that could not be read carries only `error`,
 * so a refusal's extras are optional.
 */
import type {
  AdminAccess,
  AdminAccessInput,
  ChangeRefusalExtras,
  DecideInput,
  Decision,
  ErrorBody,
  EvidenceInput,
  EvidenceReport,
  GateInput,
  GateOutcome,
  GuardInput,
  GuardOutcome,
  HealthInput,
  HealthReport,
  HoldersExplained,
  HoldersInput,
  PolicyChangeDecision,
  PolicyChangeInput,
  RefusalExtras,
  SweepInput,
  SweepOutcome,
  ValidateInput,
  Validity,
  Verification,
  VerifyInput,
  VersionInfo,
  View,
  ViewInput,
} from './contract';

/** `{ok: true, ...T}`, or a refusal with its error and (when the input was read) `Extras`. */
export type Answer<T, Extras = object> = ({ ok: true } & T) | ({ ok: false; error: ErrorBody } & Partial<Extras>);

export type DecideAnswer = Answer<Decision, RefusalExtras>;
export type SweepAnswer = Answer<SweepOutcome>;
export type ExplainHoldersAnswer = Answer<HoldersExplained>;
export type ViewAnswer = Answer<View>;
export type GateAnswer = Answer<GateOutcome>;
export type ValidateAnswer = Answer<Validity>;
export type VerifyAnswer = Answer<Verification>;
export type GuardAnswer = Answer<GuardOutcome>;
export type AuthorizeAdminAnswer = Answer<AdminAccess>;
export type PolicyChangeAnswer = Answer<PolicyChangeDecision, ChangeRefusalExtras>;
export type JudgeHealthAnswer = Answer<HealthReport>;
export type EvidenceReportAnswer = Answer<EvidenceReport>;

/** The Wasm module's exports (`core/wasm/src/lib.rs`), each one plain object in and out. */
export interface CoreExports {
  decide(input: DecideInput): DecideAnswer;
  sweep(input: SweepInput): SweepAnswer;
  explainHolders(input: HoldersInput): ExplainHoldersAnswer;
  view(input: ViewInput): ViewAnswer;
  gate(input: GateInput): GateAnswer;
  validatePolicy(input: ValidateInput): ValidateAnswer;
  verifyAudit(input: VerifyInput): VerifyAnswer;
  guardRevocation(input: GuardInput): GuardAnswer;
  authorizeAdmin(input: AdminAccessInput): AuthorizeAdminAnswer;
  policyChange(input: PolicyChangeInput): PolicyChangeAnswer;
  judgeHealth(input: HealthInput): JudgeHealthAnswer;
  /** No envelope. */
  version(): VersionInfo;
  evidenceReport(input: EvidenceInput): EvidenceReportAnswer;
}
