export { adminResolver, consumer, panelResolver, postApprove, postApproveExtension, postComplete, postReject, postRevoke, sweep } from '../forge-app/src/index';
