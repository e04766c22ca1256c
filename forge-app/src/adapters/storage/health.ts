/**
 * The Health view's own records: a probe record per entity kind (written, read back and removed)
 * and the queue probe's two timestamps in `meta`, one writer each.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- probe records carry only a marker, in any entity */
import { kvs } from '@forge/kvs';
import type { HealthStore, StorageProbeResult } from '../../ports';
import { HEALTH_PROBE_KEY, isoText, meta, type Now } from './kvs';

const PROBE_EPOCH = '1970-01-01T00:00:00.000Z';

export function createHealthStore(clockNow: Now): HealthStore {
  const now = () => Math.floor(clockNow());
  return {
    async probeStorage() {
      const token = `${now()}-${Math.random().toString(36).slice(2, 10)}`;
      const marker = { healthProbe: token };
      // Each kind with values it accepts (the manifest's attribute types) and that no query of the
      // app selects: seq -1, a 1970 timestamp, `open` 0, no subject or grant id.
      const probes: Array<{ entity: string; write(): Promise<void>; read(): Promise<unknown>; remove(): Promise<void> }> = [
        {
          entity: 'grant',
          write: () => kvs.entity<any>('grant').set(HEALTH_PROBE_KEY, { rev: 0, version: 0, open: 0, updatedAt: PROBE_EPOCH, record: marker }),
          read: async () => (await kvs.entity<any>('grant').get(HEALTH_PROBE_KEY))?.record,
          remove: () => kvs.entity<any>('grant').delete(HEALTH_PROBE_KEY),
        },
        {
          entity: 'audit',
          write: () => kvs.entity<any>('audit').set(HEALTH_PROBE_KEY, { seq: -1, at: PROBE_EPOCH, record: marker }),
          read: async () => (await kvs.entity<any>('audit').get(HEALTH_PROBE_KEY))?.record,
          remove: () => kvs.entity<any>('audit').delete(HEALTH_PROBE_KEY),
        },
        {
          entity: 'meta',
          write: () => meta<typeof marker>().set(HEALTH_PROBE_KEY, { version: 0, value: marker }),
          read: async () => (await meta<typeof marker>().get(HEALTH_PROBE_KEY))?.value,
          remove: () => meta().delete(HEALTH_PROBE_KEY),
        },
        {
          entity: 'lease',
          write: () => kvs.entity<any>('lease').set(HEALTH_PROBE_KEY, { until: PROBE_EPOCH, owner: token }),
          read: async () => {
            const l = await kvs.entity<any>('lease').get(HEALTH_PROBE_KEY);
            return l ? { healthProbe: l.owner } : undefined;
          },
          remove: () => kvs.entity<any>('lease').delete(HEALTH_PROBE_KEY),
        },
        {
          entity: 'alert',
          write: () => kvs.entity<any>('alert').set(HEALTH_PROBE_KEY, { at: PROBE_EPOCH, record: marker }),
          read: async () => (await kvs.entity<any>('alert').get(HEALTH_PROBE_KEY))?.record,
          remove: () => kvs.entity<any>('alert').delete(HEALTH_PROBE_KEY),
        },
        {
          entity: 'kvs',
          write: () => kvs.set(HEALTH_PROBE_KEY, marker),
          read: () => kvs.get(HEALTH_PROBE_KEY),
          remove: () => kvs.delete(HEALTH_PROBE_KEY),
        },
      ];
      const describe = (e: unknown) => {
        const err = e as { code?: unknown; message?: unknown } | null;
        return { code: typeof err?.code === 'string' ? err.code : 'STORAGE_ERROR', message: String(typeof err?.message === 'string' ? err.message : e).slice(0, 300) };
      };
      return Promise.all(
        probes.map(async (p): Promise<StorageProbeResult> => {
          try {
            await p.write();
            const back = (await p.read()) as { healthProbe?: unknown } | undefined;
            await p.remove();
            if (back?.healthProbe !== token) return { entity: p.entity, ok: false, error: { code: 'READ_BACK_MISMATCH', message: 'the probe record read back is not the one written' } };
            return { entity: p.entity, ok: true };
          } catch (e) {
            // Whatever was written goes again; a failed removal changes nothing the app reads.
            await p.remove().catch(() => undefined);
            return { entity: p.entity, ok: false, error: describe(e) };
          }
        }),
      );
    },

    async healthQueue() {
      const [pushed, delivered] = await Promise.all([meta<string>().get('health-queue-pushed'), meta<string>().get('health-queue-delivered')]);
      return { ...(pushed ? { pushedAt: pushed.value } : {}), ...(delivered ? { deliveredAt: delivered.value } : {}) };
    },

    // Two keys, one writer each (the Health call and the consumer), so neither overwrites the other.
    async saveHealthQueuePush(at) {
      await meta<string>().set('health-queue-pushed', { version: 1, value: isoText(at) });
    },

    async saveHealthQueueDelivery(at) {
      await meta<string>().set('health-queue-delivered', { version: 1, value: isoText(at) });
    },
  };
}
