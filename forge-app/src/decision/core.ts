/**
 * The Wasm decision core, loaded once per cold start.
 *
 * Forge's bundler (webpack) ships no `.wasm` file, so the build inlines the module's bytes as
 * base64 (`generated/wasm-bytes.ts`) and `initSync` compiles them here, synchronously, the first
 * time a decision is asked for. This loader lives outside the wasm-pack output folder: that
 * folder's package.json declares `sideEffects: false`, which would let webpack drop the init call.
 *
 * The types are the core's own: generated from its Rust types (`./contract.ts`), with the answer
 * envelopes and export signatures in `./answers.ts`.
 */
import * as wasm from '../../generated/jit_admin_wasm/jit_admin_wasm.js';
import { WASM_BASE64 } from '../../generated/wasm-bytes';
import type { CoreExports } from './answers';

export type * from './answers';
export * from './contract';

let loaded = false;

function ensureLoaded(): void {
  if (loaded) return;
  wasm.initSync({ module: Buffer.from(WASM_BASE64, 'base64') });
  loaded = true;
}

/** Each export, run after the module is loaded. */
function loading<K extends keyof CoreExports>(name: K): CoreExports[K] {
  const run = wasm[name] as (...args: unknown[]) => unknown;
  return ((...args: unknown[]) => {
    ensureLoaded();
    return run(...args);
  }) as CoreExports[K];
}

/** The core's entry points. Each takes and returns plain JSON-compatible objects. */
export const core: CoreExports = {
  decide: loading('decide'),
  sweep: loading('sweep'),
  explainHolders: loading('explainHolders'),
  view: loading('view'),
  gate: loading('gate'),
  validatePolicy: loading('validatePolicy'),
  verifyAudit: loading('verifyAudit'),
  guardRevocation: loading('guardRevocation'),
  authorizeAdmin: loading('authorizeAdmin'),
  policyChange: loading('policyChange'),
  judgeHealth: loading('judgeHealth'),
  version: loading('version'),
  evidenceReport: loading('evidenceReport'),
};
