/**
 * The queue consumer: "wake me at T" events (chained in hops of at most 900 s, and never acted
 * on early, so a window ends on time), "finish this outbox" events, and the pages of evidence
 * collections.
 */
import { MAX_DELAY_SECONDS, type Ports, type QueueEvent } from '../ports';
import { dispatch, drain } from './dispatch';
import { runEvidence } from './evidence';

export type ConsumeOutcome = { done: true } | { done: false; retryAfterSeconds: number; reason: string };

export async function onQueueEvent(ports: Ports, body: unknown): Promise<ConsumeOutcome> {
  if ((body as Partial<QueueEvent> | undefined)?.kind === 'health') {
    // The Health view's queue probe: its delivery is the finding.
    await ports.store.saveHealthQueueDelivery(new Date(ports.clock.now()).toISOString());
    return { done: true };
  }
  const event = body as Partial<Exclude<QueueEvent, { kind: 'health' }>> | undefined;
  if (!event || typeof event.grantId !== 'string' || !event.grantId) {
    ports.log.warn('queue event without a grant id; dropped', { body });
    return { done: true };
  }
  try {
    if (event.kind === 'wake' && typeof event.at === 'string') {
      const remainingMs = Date.parse(event.at) - ports.clock.now();
      if (remainingMs > 0) {
        // A chain the core no longer asks for (the grant was approved, ended or rescheduled since,
        // so its `wakeAt` moved) stops here instead of hopping on for up to a day: the core emits
        // a wake action whenever `wakeAt` changes, saved before the action runs, so the live
        // chain is the one whose `at` is the stored `wakeAt`. The five-minute sweep backs both.
        const stored = await ports.store.grant(event.grantId);
        const wakeAt = stored?.grant.wakeAt;
        if (!wakeAt || Date.parse(wakeAt) !== Date.parse(event.at)) {
          ports.log.info('superseded wake-up dropped', { grantId: event.grantId, at: event.at, wakeAt: wakeAt ?? null });
          return { done: true };
        }
        // Not yet: the queue's delay is capped and whole seconds, so hop again. Acting early
        // would find nothing due and leave no timer behind.
        await ports.queue.push({ kind: 'wake', grantId: event.grantId, at: event.at }, Math.min(Math.ceil(remainingMs / 1000), MAX_DELAY_SECONDS));
        return { done: true };
      }
      await dispatch(ports, { grantId: event.grantId, event: { type: 'tick' }, actor: null, source: 'system' });
      return { done: true };
    }
    if (event.kind === 'drain') {
      await drain(ports, event.grantId);
      return { done: true };
    }
    if (event.kind === 'evidence') {
      await runEvidence(ports, event.grantId, typeof event.hop === 'number' ? event.hop : 0);
      return { done: true };
    }
    ports.log.warn('unknown queue event; dropped', { body });
    return { done: true };
  } catch (error) {
    ports.log.error('queue event failed; asking for a retry', { grantId: event.grantId, error: String(error) });
    return { done: false, retryAfterSeconds: 10, reason: String(error) };
  }
}
