/**
 * Alerts (one `alert` entity per alert key, indexed by time) and the last sweep's findings
 * (`meta/sweep`, rewritten when they change; `meta/sweep-at`, when the sweep last ran, on every sweep).
 */
import { kvs, Sort } from '@forge/kvs';
import type { AlertStore, SweepState } from '../../ports';
import type { AlertRecord } from '../../shared/types';
import { isoText, meta, PAGE, safeKey, text } from './kvs';

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
      return results.map((r) => r.value.record);
    },

    async sweepState() {
      const [state, at] = await Promise.all([meta<SweepState>().get('sweep'), meta<string>().get('sweep-at')]);
      if (!state) return null;
      // `sweep-at` moves on every sweep, `sweep` only when what the sweep found changed.
      return at?.value && (!state.value.at || at.value > state.value.at) ? { ...state.value, at: at.value } : state.value;
    },

    async saveSweepState(state) {
      await meta<SweepState>().set('sweep', { version: 1, value: state });
    },

    async touchSweep(at) {
      await meta<string>().set('sweep-at', { version: 1, value: at });
    },
  };
}
