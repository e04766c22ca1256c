export * from '../forge-app/src/index';
