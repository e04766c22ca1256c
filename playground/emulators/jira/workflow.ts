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
