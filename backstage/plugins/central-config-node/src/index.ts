/**
 * What the central-config backend packages share: the reader of the engines'
 * settings (catalog.providers.centralConfig) and the engine's HTTP calls.
 *
 * @packageDocumentation
 */

export {
  CONFIG_KEY,
  DEFAULT_EVENTS_TOPIC,
  DEFAULT_SCHEDULE,
  centralConfigProviderName,
  readCentralConfigEntityProviderConfig,
  readCentralConfigEntityProviderConfigs,
  type CentralConfigEntityProviderConfig,
} from './config/CentralConfigEntityProviderConfig';
export {
  EngineClient,
  EngineRequestError,
  type ChangesResult,
  type EngineClientOptions,
  type TriggerSyncAnswer,
} from './engine/EngineClient';
export type { DeltaEntityList, FullEntityList } from './engine/responses';
