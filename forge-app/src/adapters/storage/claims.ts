/**
 * Claims and leases. A claim is a plain key `claim:<action key>`, created with FAIL_IF_EXISTS (and
 * kept 30 days), so an action delivered twice runs once. A lease is a `lease` entity whose
 * `until` has passed or is absent before it can be taken again: a crashed holder blocks nobody long.
 */
import { Filter, FilterConditions, kvs } from '@forge/kvs';
import type { ClaimStore } from '../../ports';
import { classifyWriteError, execute, isoAttr, safeKey, type Now } from './kvs';

interface LeaseEntity {
  /** ISO-8601 UTC, fixed width. */
  until: string;
  owner: string;
}

const leases = () => kvs.entity<LeaseEntity>('lease');

/** Claims and leases on KVS; leases run on `now`. */
export function createClaimStore(now: Now): ClaimStore {
  return {
    async claim(key) {
      const name = safeKey('claim:', key);
      // A token of our own, so a lost answer to a write that landed is still recognised as ours.
      const token = `${now()}-${Math.random().toString(36).slice(2, 12)}`;
      try {
        await kvs.set(name, token, { keyPolicy: 'FAIL_IF_EXISTS', ttl: { value: 30, unit: 'DAYS' } });
        return true;
      } catch (e) {
        if (classifyWriteError(e) === 'error') throw e;
        const holder = await kvs.get<string>(name);
        if (holder === token) return true;
        if (holder !== undefined) return false;
        throw e;
      }
    },

    async release(key) {
      await kvs.delete(safeKey('claim:', key));
    },

    async tryLease(name, ttlMs) {
      const at = now();
      const key = safeKey('', name);
      const token = `${at}-${Math.random().toString(36).slice(2, 10)}`;
      const tx = kvs.transact();
      tx.set(key, { until: isoAttr(at + ttlMs), owner: token } satisfies LeaseEntity, {
        entityName: 'lease',
        conditions: new Filter<LeaseEntity>().or('until', FilterConditions.notExists()).or('until', FilterConditions.lessThan(isoAttr(at))),
      });
      const held = async () => {
        const lease = await leases().get(key);
        return !!lease && lease.owner !== token && lease.until >= isoAttr(at);
      };
      return (await execute(tx, held)) === 'ok' ? token : null;
    },

    async releaseLease(name, token) {
      const key = safeKey('', name);
      const tx = kvs.transact();
      tx.delete(key, { entityName: 'lease', conditions: new Filter<LeaseEntity>().and('owner', FilterConditions.equalTo(token)) });
      // Someone else's (or nobody's) lease by now: there is nothing of ours to give back.
      await execute(tx, async () => (await leases().get(key))?.owner !== token);
    },
  };
}
