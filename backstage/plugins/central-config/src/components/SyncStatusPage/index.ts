export { SyncStatusPage } from './SyncStatusPage';
