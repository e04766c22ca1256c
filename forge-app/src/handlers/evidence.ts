/**
 * The evidence pack of an ended grant, as queued work: the core's `collectEvidence` action
 * starts a job (`startEvidence`), and each `{kind: 'evidence'}` queue event reads one page of the
 * organization's audit log (`runEvidence`), paced at the events API's 10 requests a minute,
 * resuming by cursor, coming back after a 429's `Retry-After`. When the read is over, the core's
 * `evidenceReport` says what to record, attach, comment and alert; this file only carries it out.
 *
 * Pacing: every page read first takes a turn (`EvidenceStore.reserveReadSlot`): turns are
 * `READ_SPACING_MS` apart across the installation and handed out in order, so however many
 * collections run, at most one read of the events path starts per turn. A job whose turn is later
 * comes back on the queue at its time; one that wakes more than `LATE_MS` after it lost its turn
 * and takes a new one (a late read could bunch up with the next turn's).
 */
import { core, MAX_EVIDENCE_EVENTS, type AuditLogRead } from '../decision/core';
import type { CollectEvidence, EvidenceJob, Ports } from '../ports';
import { MAX_DELAY_SECONDS } from '../adapters/queue';
import { act, alertOrgApiProblem } from './act';
import { appendAudit, iso } from './dispatch';

/**
 * "Rate limit per API path: 10 requests per minute" (the events operation's description): one read
 * per 6.5 s keeps any 60 s window at 10, a read up to `LATE_MS` after its turn included.
 */
export const READ_SPACING_MS = 6_500;
/** How late after its turn a read may still start. */
const LATE_MS = 1_000;
/** One job's reads run one at a time (a duplicated queue event finds it held). */
const JOB_LEASE_MS = 150_000;
/** Events per page: the spec allows 1–500; 100 keeps one stored page small. */
const PAGE_SIZE = 100;
/** 429s one pack waits through before it is made from what was read (about an hour at most). */
const MAX_RATE_LIMITED = 30;
/** Retryable failures in a row before giving up on the rest. */
const MAX_FAILURES = 8;
/** Conditional-write attempts for the audit record. */
const MAX_ATTEMPTS = 16;

const key = (c: CollectEvidence) => c.key;

/** Executes a `collectEvidence` action: saves the job (unless one exists) and queues its first read at `at`. */
export async function startEvidence(ports: Ports, action: CollectEvidence): Promise<void> {
  if (!(await ports.evidence.job(action.grantId))) {
    await ports.evidence.saveJob(action.grantId, { collection: action, pages: 0, events: 0, rateLimited: 0, failures: 0 });
  }
  await ports.queue.push({ kind: 'evidence', grantId: action.grantId, hop: 0 }, delayUntil(ports, Date.parse(action.at)));
}

/** Seconds from now until `atMs`, within the queue's 0–900. */
function delayUntil(ports: Ports, atMs: number): number {
  return Math.min(Math.max(0, Math.ceil((atMs - ports.clock.now()) / 1000)), MAX_DELAY_SECONDS);
}

/**
 * Handles one `{kind: 'evidence', hop}` queue event. A job is one chain of hops: each hop saves
 * the job with the next hop number before pushing it, and a delivery of any other hop (a duplicate
 * delivery, a redelivery after the chain moved on) is dropped, so at-least-once delivery never
 * grows a second chain (duplicated chains would each take read turns, pushing the real reads ever
 * later). The next hop is pushed only after the job's lease is given back, so it can never find
 * its own job still held.
 */
export async function runEvidence(ports: Ports, grantId: string, hop = 0): Promise<void> {
  const { store, evidence, log } = ports;
  const leaseName = `lease:evidence:${grantId}`;
  const lease = await store.tryLease(leaseName, JOB_LEASE_MS);
  if (!lease) {
    log.info('evidence: another delivery is working on this job', { grantId, hop });
    return;
  }
  let next = null as { job: EvidenceJob; delay: number } | null;
  try {
    const job = await evidence.job(grantId);
    if (!job || job.reported) return;
    if ((job.hop ?? 0) !== hop) {
      log.info('evidence: a stale or duplicated hop dropped', { grantId, hop, current: job.hop ?? 0 });
      return;
    }
    const c = job.collection;
    if (!job.read) {
      const atMs = Date.parse(c.at);
      // Early (a hop of a delay longer than the queue allows): hop again. Otherwise read a page.
      const again = ports.clock.now() < atMs ? delayUntil(ports, atMs) : await readPage(ports, job);
      if (again !== null) {
        job.hop = hop + 1;
        await evidence.saveJob(grantId, job);
        // Pushed below, once the lease is given back (a `return` here would skip that).
        next = { job, delay: again };
      } else {
        await evidence.saveJob(grantId, job);
      }
    }
    if (!next) {
      await report(ports, job);
      job.reported = true;
      await evidence.saveJob(grantId, job);
    }
  } finally {
    await store.releaseLease(leaseName, lease).catch(() => undefined);
  }
  if (!next) return;
  try {
    await ports.queue.push({ kind: 'evidence', grantId, hop: hop + 1 }, next.delay);
  } catch (e) {
    // Not pushed: the redelivery of this hop must find the job still at it.
    next.job.hop = hop;
    await evidence.saveJob(grantId, next.job).catch(() => undefined);
    throw e;
  }
}

/**
 * Reads one page if the pace allows and records it in `job`. Returns the delay in seconds after
 * which the job must come back, or null once the read is over (`job.read` set).
 */
async function readPage(ports: Ports, job: EvidenceJob): Promise<number | null> {
  const c = job.collection;
  const now = ports.clock.now();
  if (job.slotAt === undefined || now > job.slotAt + LATE_MS) {
    const slot = await ports.evidence.reserveReadSlot(now, READ_SPACING_MS);
    // A contended store: try again in a minute or so (jittered, so the contenders spread out).
    if (slot === null) return 60 + Math.floor(Math.random() * 30);
    job.slotAt = slot;
  }
  if (job.slotAt > now) return Math.min(Math.ceil((job.slotAt - now) / 1000), MAX_DELAY_SECONDS);
  job.slotAt = undefined;
  const page = await ports.auditLog.events({
    actor: c.accountId,
    fromMs: Date.parse(c.from),
    toMs: Date.parse(c.to),
    limit: PAGE_SIZE,
    ...(job.cursor ? { cursor: job.cursor } : {}),
  });
  if (page.ok) {
    job.failures = 0;
    // The page is stored before the job moves past it.
    await ports.evidence.savePage(c.grantId, job.pages, page.events);
    job.pages += 1;
    job.events += page.events.length;
    if (page.next && job.cursor === page.next) {
      job.read = { status: 'partial', reason: 'the audit log returned the same page cursor twice' };
      return null;
    }
    job.cursor = page.next;
    if (!page.next) {
      job.read = { status: 'complete' };
      return null;
    }
    if (job.events >= MAX_EVIDENCE_EVENTS) {
      job.read = { status: 'partial', reason: `more than ${MAX_EVIDENCE_EVENTS} events` };
      return null;
    }
    return 0;
  }
  if (page.kind === 'unavailable') {
    job.read = { status: 'unavailable', httpStatus: page.status };
    ports.log.warn('evidence: the org audit log is not available', { grantId: c.grantId, status: page.status });
    return null;
  }
  if (page.kind === 'rateLimited') {
    job.rateLimited += 1;
    if (job.rateLimited > MAX_RATE_LIMITED) {
      job.read = { status: 'partial', reason: `rate limited ${job.rateLimited} times` };
      return null;
    }
    ports.log.info('evidence: rate limited; coming back after Retry-After', { grantId: c.grantId, retryAfterMs: page.retryAfterMs });
    return Math.min(Math.max(1, Math.ceil(page.retryAfterMs / 1000)), MAX_DELAY_SECONDS);
  }
  job.failures += 1;
  ports.log.warn('evidence: reading the org audit log failed', { grantId: c.grantId, code: page.code, message: page.message });
  if (page.code === 'UNAUTHORIZED') await alertOrgApiProblem(ports, { code: page.code, message: page.message }, { grantId: c.grantId, issueKey: c.issueKey });
  if (!page.retryable || job.failures > MAX_FAILURES) {
    job.read = { status: 'partial', reason: `${page.code}: ${page.message}` };
    return null;
  }
  return Math.min(30 * 2 ** (job.failures - 1), MAX_DELAY_SECONDS);
}

/** Asks the core what the pack says, and carries it out: the record, the files, the comment, the alerts. */
async function report(ports: Ports, job: EvidenceJob): Promise<void> {
  const c = job.collection;
  const [stored, policyDoc, events] = await Promise.all([ports.store.grant(c.grantId), ports.store.policy(), ports.evidence.events(c.grantId, job.pages)]);
  if (!stored || !policyDoc) {
    ports.log.error('evidence: the grant or the policy is gone; no pack', { grantId: c.grantId });
    return;
  }
  const read: AuditLogRead =
    job.read?.status === 'unavailable'
      ? { status: 'unavailable', httpStatus: job.read.httpStatus }
      : job.read?.status === 'partial'
        ? { status: 'partial', pages: job.pages, reason: job.read.reason }
        : { status: 'complete', pages: job.pages };
  for (let attempt = 1; ; attempt++) {
    const head = await ports.store.auditHead();
    const answer = core.evidenceReport({
      policy: policyDoc.policy,
      grant: stored.grant,
      collection: c,
      events: events.slice(0, MAX_EVIDENCE_EVENTS),
      read,
      now: iso(ports.clock.now()),
      auditHead: head,
    });
    if (!answer.ok) {
      ports.log.error('evidence: the core refused the report', { grantId: c.grantId, error: answer.error });
      return;
    }
    // The record once per pack, whatever happens after it (a failed comment is retried alone).
    if (await ports.store.claim(`${key(c)}:audit`)) {
      let committed: 'ok' | 'conflict';
      try {
        committed = await appendAudit(ports, answer.audit, head);
      } catch (e) {
        await ports.store.release(`${key(c)}:audit`).catch(() => undefined);
        throw e;
      }
      if (committed === 'conflict') {
        await ports.store.release(`${key(c)}:audit`);
        if (attempt >= MAX_ATTEMPTS) throw new Error(`evidence: could not record the pack of ${c.grantId}: ${attempt} conflicting writes`);
        continue;
      }
    }
    for (const file of answer.attachments) {
      const claim = `${key(c)}:attach:${file.filename}`;
      if (!(await ports.store.claim(claim))) continue;
      try {
        await ports.jira.attach(c.issueKey, { filename: file.filename, mediaType: file.mediaType, content: file.content });
      } catch (e) {
        await ports.store.release(claim).catch(() => undefined);
        throw e;
      }
    }
    for (const action of answer.actions) {
      const outcome = await act(ports, policyDoc.policy, action);
      if (outcome.keep) throw new Error(`evidence: ${action.type} ${action.key} failed; retrying`);
    }
    ports.log.info('evidence pack made', { grantId: c.grantId, events: answer.events, highRisk: answer.highRisk.length, status: read.status });
    return;
  }
}
