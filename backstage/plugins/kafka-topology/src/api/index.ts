export * from './KafkaTopologyApi';
export * from './types';
