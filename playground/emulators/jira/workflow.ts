/** The default request workflow of the Jira emulator, and the types to define another one. */

export type StatusCategoryKey = 'new' | 'indeterminate' | 'done';

export interface JiraStatus {
  id: string;
  name: string;
  category: StatusCategoryKey;
}

export interface JiraTransitionDef {
  id: string;
  name: string;
  /** Status ids the transition is available from. */
  from: string[];
  /** Target status id. */
  to: string;
  /**
   * Workflow validators, run before the transition in this order; the first that fails stops it
   * (the issue stays, no post-function runs, and its message is the error). None by default, as
   * in a team-managed workflow nobody configured.
   */
  validators?: JiraValidatorDef[];
}

/**
 * A Forge `jira:workflowValidator` configured on a transition: a Jira expression (evaluated by
 * the emulator's subset evaluator, which refuses what it does not support) or a function
 * (invoked through the function registered for its module key; none registered = the app is not
 * installed, which fails the validator as in Jira).
 */
export type JiraValidatorDef =
  | { type: 'expression'; moduleKey: string; expression: string; errorMessage?: string }
  | { type: 'function'; moduleKey: string };

/** What a validator function answers (Forge docs: `{result, errorMessage}`). */
export interface ValidatorFunctionResult {
  result: boolean;
  errorMessage?: string;
}

/** The argument a validator function receives (Forge docs, "Validating with lambda functions"). */
export interface ValidatorFunctionEvent {
  issue: { key: string };
  configuration: Record<string, unknown>;
  transition: { from: { id: string }; to: { id: string }; modifiedFields: Record<string, unknown> };
}

export interface JiraWorkflow {
  id: string;
  name: string;
  /** Status of a newly created issue. */
  initialStatus: string;
  statuses: JiraStatus[];
  transitions: JiraTransitionDef[];
}

export const STATUS_CATEGORIES: Record<StatusCategoryKey, { id: number; key: StatusCategoryKey; colorName: string; name: string }> = {
  new: { id: 2, key: 'new', colorName: 'blue-gray', name: 'To Do' },
  indeterminate: { id: 4, key: 'indeterminate', colorName: 'yellow', name: 'In Progress' },
  done: { id: 3, key: 'done', colorName: 'green', name: 'Done' },
};

/**
 * Open → Waiting for approval → Approved → In progress → Done, with Reject (from Waiting for
 * approval) and Cancel (from any open status).
 */
export const DEFAULT_REQUEST_WORKFLOW: JiraWorkflow = {
  id: 'jit-admin-request-workflow',
  name: 'JIT admin request workflow',
  initialStatus: '1',
  statuses: [
    { id: '1', name: 'Open', category: 'new' },
    { id: '10001', name: 'Waiting for approval', category: 'new' },
    { id: '10002', name: 'Approved', category: 'indeterminate' },
    { id: '3', name: 'In progress', category: 'indeterminate' },
    { id: '10003', name: 'Done', category: 'done' },
    { id: '10004', name: 'Rejected', category: 'done' },
    { id: '10005', name: 'Cancelled', category: 'done' },
  ],
  transitions: [
    { id: '11', name: 'Submit for approval', from: ['1'], to: '10001' },
    { id: '21', name: 'Approve', from: ['10001'], to: '10002' },
    { id: '31', name: 'Reject', from: ['10001'], to: '10004' },
    { id: '41', name: 'Start progress', from: ['10002'], to: '3' },
    { id: '51', name: 'Done', from: ['3'], to: '10003' },
    { id: '61', name: 'Cancel', from: ['1', '10001', '10002', '3'], to: '10005' },
  ],
};
