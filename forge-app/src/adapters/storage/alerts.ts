/** Alerts (one `alert` entity per alert key, indexed by time) and the last sweep's findings (`meta/sweep`). */
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
      return (await meta<SweepState>().get('sweep'))?.value ?? null;
    },

    async saveSweepState(state) {
      await meta<SweepState>().set('sweep', { version: 1, value: state });
    },
  };
}
