/**
 * The policy (`meta/policy`, compare-and-set on `version`) and the pending guard-rail change
 * waiting for its second permanent admin (`meta/policy-change`, compare-and-set on `version` =
 * its `seq`). Each write carries its audit records in the same transaction.
 */
import { kvs } from '@forge/kvs';
import type { PolicyChangeSlot, PolicyDoc, PolicyStore } from '../../ports';
import { appendAudit, headMoved } from './audit';
import type { InvocationCache } from './cache';
import { execute, MAX_TRANSACTION_OPS, meta, versionIs, type MetaEntity } from './kvs';

/** `meta/policy-change`: an emptied slot keeps its `seq` and has no `change`. */
interface StoredSlot {
  seq: number;
  change?: NonNullable<PolicyChangeSlot['change']>;
}

/** The policy and its pending change on KVS; `cache`: the invocation's (the policy is read once). */
export function createPolicyStore(cache: InvocationCache): PolicyStore {
  return {
    async policy() {
      const cached = cache.policy();
      if (cached) return cached;
      const read = meta<PolicyDoc>()
        .get('policy')
        .then((e) => e?.value ?? null);
      cache.keepPolicy(read);
      return (await cache.policy())!;
    },

    async savePolicy(doc, expectedVersion, audit, expectedHead) {
      const tx = kvs.transact();
      tx.set('policy', { version: doc.version, value: doc }, { entityName: 'meta', conditions: versionIs<MetaEntity<PolicyDoc>>(expectedVersion) });
      appendAudit(tx, audit, expectedHead);
      return execute(tx, async () => ((await meta<PolicyDoc>().get('policy'))?.version ?? 0) !== expectedVersion || (audit.length > 0 && headMoved(expectedHead)));
    },

    async policyChangeSlot() {
      const e = await meta<StoredSlot>().get('policy-change');
      return { seq: e?.version ?? 0, change: e?.value.change ?? null };
    },

    async commitPolicyChange({ policy, slot, audit, expectedHead }) {
      if (!policy && !slot && audit.length === 0) return 'ok';
      if (audit.length + 3 > MAX_TRANSACTION_OPS) throw new Error(`a policy change produced ${audit.length} audit records, more than one transaction holds`);
      const tx = kvs.transact();
      if (policy) tx.set('policy', { version: policy.doc.version, value: policy.doc }, { entityName: 'meta', conditions: versionIs<MetaEntity<PolicyDoc>>(policy.expectedVersion) });
      if (slot) {
        // The slot is never deleted, only emptied, so its revision never repeats (no ABA).
        const seq = slot.expectedSeq + 1;
        const value: StoredSlot = slot.change ? { seq, change: slot.change } : { seq };
        tx.set('policy-change', { version: seq, value }, { entityName: 'meta', conditions: versionIs<MetaEntity<StoredSlot>>(slot.expectedSeq) });
      }
      appendAudit(tx, audit, expectedHead);
      return execute(tx, async () => {
        if (policy && ((await meta<PolicyDoc>().get('policy'))?.version ?? 0) !== policy.expectedVersion) return true;
        if (slot && ((await meta<StoredSlot>().get('policy-change'))?.version ?? 0) !== slot.expectedSeq) return true;
        return audit.length > 0 && headMoved(expectedHead);
      });
    },
  };
}
