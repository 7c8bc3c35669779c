/**
 * The Kafka topology of the central-config repository in Backstage.
 *
 * @packageDocumentation
 */

export { default } from './plugin';
export * from './api';
export { KafkaTopologyPage } from './components/KafkaTopologyPage';
export { EntityKafkaContent } from './components/EntityKafkaContent';
