import type { PanelData } from '../../src/shared/types';

/** The panel's data with the moment it arrived, so countdowns follow the server's clock, not the browser's. */
export interface Snapshot {
  data: PanelData;
  /** performance.now() when the data arrived. */
  receivedAt: number;
}

/** Server time now, in ms: the server's `now` plus the time elapsed since it arrived (monotonic clock). */
export function serverNow(s: Snapshot): number {
  return Date.parse(s.data.now) + (performance.now() - s.receivedAt);
}
