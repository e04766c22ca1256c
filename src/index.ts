export { adminResolver, consumer, panelResolver, postApprove, postApproveExtension, postComplete, postReject, postRevoke, sweep, validateRecord } from '../forge-app/src/index';
