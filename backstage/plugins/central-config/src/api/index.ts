export * from './CentralConfigApi';
export {
  CentralConfigEngineClient,
  EngineUnreachableError,
} from '@central-config/backstage-plugin-central-config-common';
