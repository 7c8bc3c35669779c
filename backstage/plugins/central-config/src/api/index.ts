export * from './CentralConfigApi';
export * from './CentralConfigClient';
