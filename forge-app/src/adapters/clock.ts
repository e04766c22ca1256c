/** The system clock: real time (the same clock the retry helper uses for conflict back-off). */
import type { Clock } from '../ports';
import { wallClock } from '../shared/retry';

export const systemClock: Clock = wallClock;
