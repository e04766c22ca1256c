/**
 * The Wasm decision core, loaded once per cold start.
 *
 * Forge's bundler (webpack) ships no `.wasm` file, so the build inlines the module's bytes as
 * base64 (`generated/wasm-bytes.ts`) and `initSync` compiles them here, synchronously, the first
 * time a decision is asked for. This loader lives outside the wasm-pack output folder: that
 * folder's package.json declares `sideEffects: false`, which would let webpack drop the init call.
 */
import {
  authorizeAdmin as wasmAuthorizeAdmin,
  decide as wasmDecide,
  gate as wasmGate,
  guardRevocation as wasmGuard,
  initSync,
  policyChange as wasmPolicyChange,
  sweep as wasmSweep,
  validatePolicy as wasmValidate,
  verifyAudit as wasmVerify,
  version as wasmVersion,
  view as wasmView,
  type AdminAccessInput,
  type AuthorizeAdminAnswer,
  type DecideAnswer,
  type DecideInput,
  type GateAnswer,
  type GateInput,
  type GuardAnswer,
  type GuardInput,
  type PolicyChangeAnswer,
  type PolicyChangeInput,
  type SweepAnswer,
  type SweepInput,
  type ValidateAnswer,
  type ValidateInput,
  type VerifyAnswer,
  type VerifyInput,
  type VersionInfo,
  type ViewAnswer,
  type ViewInput,
} from '../../generated/jit_admin_wasm/jit_admin_wasm.js';
import { WASM_BASE64 } from '../../generated/wasm-bytes';

export type * from '../../generated/jit_admin_wasm/jit_admin_wasm.js';

let loaded = false;

function ensureLoaded(): void {
  if (loaded) return;
  initSync({ module: Buffer.from(WASM_BASE64, 'base64') });
  loaded = true;
}

/** The core's entry points. Each takes and returns plain JSON-compatible objects. */
export const core = {
  decide(input: DecideInput): DecideAnswer {
    ensureLoaded();
    return wasmDecide(input);
  },
  sweep(input: SweepInput): SweepAnswer {
    ensureLoaded();
    return wasmSweep(input);
  },
  view(input: ViewInput): ViewAnswer {
    ensureLoaded();
    return wasmView(input);
  },
  gate(input: GateInput): GateAnswer {
    ensureLoaded();
    return wasmGate(input);
  },
  validatePolicy(input: ValidateInput): ValidateAnswer {
    ensureLoaded();
    return wasmValidate(input);
  },
  verifyAudit(input: VerifyInput): VerifyAnswer {
    ensureLoaded();
    return wasmVerify(input);
  },
  guardRevocation(input: GuardInput): GuardAnswer {
    ensureLoaded();
    return wasmGuard(input);
  },
  version(): VersionInfo {
    ensureLoaded();
    return wasmVersion();
  },
  authorizeAdmin(input: AdminAccessInput): AuthorizeAdminAnswer {
    ensureLoaded();
    return wasmAuthorizeAdmin(input);
  },
  policyChange(input: PolicyChangeInput): PolicyChangeAnswer {
    ensureLoaded();
    return wasmPolicyChange(input);
  },
};
