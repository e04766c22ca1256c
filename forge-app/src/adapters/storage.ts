/**
 * Storage on `@forge/kvs` custom entities (declared in manifest.yml `app.storage.entities`), one
 * module per concern under `storage/`, composed here into the app's `Store`:
 * - `storage/grants.ts`  `grant` entities: each grant with its outbox and compare-and-set `rev`;
 * - `storage/audit.ts`   `audit` entities and `meta/audit-head`, the verification checkpoint, the
 *                        refusal tallies;
 * - `storage/policy.ts`  `meta/policy` and the pending guard-rail change `meta/policy-change`;
 * - `storage/claims.ts`  `claim:<action key>` plain keys and `lease` entities;
 * - `storage/alerts.ts`  `alert` entities and the last sweep's findings `meta/sweep`;
 * - `storage/kvs.ts`     what they share: attribute and key rules, conditional writes, paging;
 * - `storage/cache.ts`   the invocation's own reads and writes of grants and the policy, read once.
 *
 * Attribute values follow the Custom Entity Store's types strictly: timestamps are fixed-width
 * ISO-8601 UTC strings (`integer` is 32-bit, epoch milliseconds do not fit), and a `string`
 * attribute without a value is left out rather than written empty. Values stay far below 240 KiB.
 */
import type { Store } from '../ports';
import { createAlertStore } from './storage/alerts';
import { createAuditLog } from './storage/audit';
import { createInvocationCache } from './storage/cache';
import { createClaimStore } from './storage/claims';
import { createGrantStore } from './storage/grants';
import { createHealthStore } from './storage/health';
import { createPolicyStore } from './storage/policy';

export { classifyWriteError, isoAttr, safeKey } from './storage/kvs';

/**
 * The KVS store of one invocation (make one per invocation: it keeps what the invocation read of
 * its grants and the policy). `clockNow` stamps `updatedAt` (the sweep's and admin page's index)
 * and runs the leases.
 */
export function createKvsStore(clockNow: () => number): Store {
  // Whole milliseconds, so equal instants give equal timestamps (a scaled clock has fractions).
  const now = () => Math.floor(clockNow());
  const cache = createInvocationCache();
  const store: Store = {
    ...createGrantStore(now, cache),
    ...createAuditLog(),
    ...createPolicyStore(cache),
    ...createClaimStore(now),
    ...createAlertStore(),
    ...createHealthStore(now),
  };
  // Someone else wrote first (a conflict) or a write failed: what this invocation knows may be
  // stale, so whatever it does next (a retry) reads from the store.
  for (const [name, method] of Object.entries(store) as Array<[keyof Store, (...args: unknown[]) => Promise<unknown>]>) {
    if (name === 'grant' || name === 'policy') continue;
    (store as unknown as Record<string, unknown>)[name] = async (...args: unknown[]) => {
      try {
        const result = await method(...args);
        // This invocation's own policy write: the next read sees it.
        if (result === 'conflict' || name === 'savePolicy' || name === 'commitPolicyChange') cache.clear();
        return result;
      } catch (e) {
        cache.clear();
        throw e;
      }
    };
  }
  return store;
}
