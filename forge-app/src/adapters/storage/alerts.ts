/**
 * Alerts (one `alert` entity per alert key, indexed by time) and the last sweep: what it found
 * (`meta/sweep`, rewritten only when that changes) and when it ran (`meta/sweep-at`, written by every
 * sweep and the one record of that time: the sweep's next read and the Health view's sweep age both
 * come from it).
 */
import { kvs, Sort } from '@forge/kvs';
import type { AlertStore, SweepState } from '../../ports';
import type { AlertRecord } from '../../shared/types';
import { isoText, meta, PAGE, real, safeKey, text } from './kvs';

interface AlertEntity {
  /** ISO-8601 UTC, fixed width. */
  at: string;
  severity?: string;
  code?: string;
  record: AlertRecord;
}

const alerts = () => kvs.entity<AlertEntity>('alert');

/** Alerts and sweep state on KVS. */
export function createAlertStore(): AlertStore {
  return {
    async saveAlert(alert) {
      await alerts().set(safeKey('', alert.key), { at: isoText(alert.at), severity: text(alert.severity), code: text(alert.code), record: alert });
    },

    async alerts(limit) {
      const { results } = await alerts().query().index('by-at').sort(Sort.DESC).limit(Math.min(limit, PAGE)).getMany();
      return real(results).map((r) => r.value.record);
    },

    async sweepState() {
      const [state, at] = await Promise.all([meta<SweepState>().get('sweep'), meta<string>().get('sweep-at')]);
      if (!state) return null;
      // A `meta/sweep` written before `sweep-at` existed carries its own time; once `sweep-at`
      // exists it alone says when the sweep ran.
      const { at: legacyAt, ...found } = state.value;
      const when = at?.value ?? legacyAt;
      return { ...found, ...(when ? { at: when } : {}) };
    },

    async saveSweepState(state) {
      const { at, ...found } = state;
      await meta<SweepState>().set('sweep', { version: 1, value: found });
      if (at) await meta<string>().set('sweep-at', { version: 1, value: at });
    },

    async touchSweep(at) {
      await meta<string>().set('sweep-at', { version: 1, value: at });
    },
  };
}
