/**
 * The central-config frontend plugin: sync status in Backstage.
 *
 * @packageDocumentation
 */

export { default } from './plugin';
export * from './api';
export { SyncStatusPage } from './components/SyncStatusPage';
export { SyncStatusCard } from './components/SyncStatusCard';
export {
  EntitySyncCard,
  isCentralConfigEntity,
} from './components/EntitySyncCard';
