// PLACEHOLDER, written by the toolchain work so that `npm run lint:forge` and the Forge bundle have the
// eight handlers manifest.yml names. The real handlers (load → decide → act → save) replace this file.

/** Custom UI resolver for the issue panel and the admin page. */
export async function resolver(_request?: unknown): Promise<void> {}

/** Workflow post-functions. */
export async function postApprove(_event?: unknown): Promise<void> {}
export async function postReject(_event?: unknown): Promise<void> {}
export async function postComplete(_event?: unknown): Promise<void> {}
export async function postRevoke(_event?: unknown): Promise<void> {}
export async function postApproveExtension(_event?: unknown): Promise<void> {}

/** Scheduled trigger (every five minutes). */
export async function sweep(_event?: unknown): Promise<void> {}

/** Async-events queue consumer. */
export async function consumer(_event?: unknown): Promise<void> {}
