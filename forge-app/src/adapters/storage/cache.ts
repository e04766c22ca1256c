/**
 * What one invocation has already read or written of its grants and the policy, so it reads each
 * once: Forge bills every byte read, and a lifecycle's invocations re-read the same grant and
 * policy some twenty times. A `Store` is made per invocation (`adapters/forge.ts`), so nothing here
 * outlives one: a policy saved by another invocation is read by the next one, never missed.
 *
 * It never replaces a read that guards against a concurrent change: every write still carries its
 * compare-and-set condition (the grant's `rev`, the policy's `version`, the audit head), and a
 * write that loses (a `conflict`) or fails empties the cache, so the retry that follows reads
 * everything fresh from the store.
 */
import type { PolicyDoc, StoredGrant } from '../../ports';

/** One invocation's cache of grants (by id) and the policy. */
export interface InvocationCache {
  /** The grant as last read or written by this invocation; `undefined`: not known. */
  grant(id: string): StoredGrant | null | undefined;
  keepGrant(id: string, stored: StoredGrant | null): void;
  /** The policy as read by this invocation; `undefined`: not read yet. */
  policy(): Promise<PolicyDoc | null> | undefined;
  keepPolicy(read: Promise<PolicyDoc | null>): void;
  /** Forgets everything: the next reads go to the store. */
  clear(): void;
}

export function createInvocationCache(): InvocationCache {
  const grants = new Map<string, StoredGrant | null>();
  let policy: Promise<PolicyDoc | null> | undefined;
  return {
    grant(id) {
      if (!grants.has(id)) return undefined;
      // A copy: a caller that changes what it was given changes nothing the next one reads.
      const s = grants.get(id)!;
      return s ? structuredClone(s) : null;
    },
    keepGrant(id, stored) {
      grants.set(id, stored ? structuredClone(stored) : null);
    },
    policy() {
      return policy?.then((doc) => (doc ? structuredClone(doc) : null));
    },
    keepPolicy(read) {
      policy = read;
      // A failed read is not kept: the next call asks the store again.
      read.catch(() => {
        if (policy === read) policy = undefined;
      });
    },
    clear() {
      grants.clear();
      policy = undefined;
    },
  };
}
