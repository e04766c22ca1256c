export { adminResolver, consumer, panelResolver, portalResolver, postApprove, postApproveExtension, postComplete, postReject, postRevoke, sweep, validateRecord } from '../forge-app/src/index';
