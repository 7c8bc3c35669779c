/**
 * The catalog module that feeds the catalog from the central-config engine.
 *
 * @packageDocumentation
 */

export { catalogModuleCentralConfigEntityProvider as default } from './module';
export {
  CentralConfigEntityProvider,
  CENTRAL_CONFIG_EVENT_TOPIC,
  type CentralConfigEntityProviderOptions,
} from './providers/CentralConfigEntityProvider';
export type { AppliedGeneration, GenerationStore } from './lib/GenerationStore';
