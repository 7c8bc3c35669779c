export { KafkaTopologyPage, DEFAULT_INITIAL_LIMIT } from './KafkaTopologyPage';
