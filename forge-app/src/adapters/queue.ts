/**
 * Queue adapter on `@forge/events`: the app's own queue carries "wake me at T" events (delayed at
 * most 900 s per hop, so longer waits are chained by the consumer) and "drain this outbox" events.
 */
import { Queue } from '@forge/events';
import { MAX_DELAY_SECONDS, type QueueEvent, type QueuePort } from '../ports';

/** The queue key declared in manifest.yml (`consumer.queue`). */
export const QUEUE_KEY = 'jit-admin-queue';
export { MAX_DELAY_SECONDS } from '../ports';

export function createQueue(key = QUEUE_KEY): QueuePort {
  const queue = new Queue({ key });
  return {
    async push(event: QueueEvent, delaySeconds: number) {
      const delayInSeconds = Math.min(Math.max(Math.ceil(delaySeconds), 0), MAX_DELAY_SECONDS);
      await queue.push({ body: { ...event }, delayInSeconds });
    },
  };
}
