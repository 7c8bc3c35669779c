import { SchedulerServiceTaskScheduleDefinitionConfig } from '@backstage/backend-plugin-api';

/**
 * One central-config engine the catalog reads.
 */
interface CentralConfigEngineConfig {
  /**
   * The engine's base URL, e.g. http://127.0.0.1:7080 (the provider
   * calls /central-config/entities and /central-config/catalog-acks
   * under it).
   */
  baseUrl: string;
  /**
   * The engine's bearer token (its server.token). Needed to acknowledge
   * applied generations, and to read when the engine sets
   * server.protectReads. Without it the provider reads but never acks.
   * @visibility secret
   */
  token?: string;
  /**
   * The name this catalog acknowledges under at the engine. Default
   * "backstage". The single form's provider (and a map entry named
   * "default") is named after it: central-config-provider:<consumer>;
   * the other entries are central-config-provider:<id>.
   */
  consumer?: string;
  /**
   * The events topic whose events trigger a run: the engine posts to
   * /api/events/http/<topic> after publishing a new generation (list the
   * topic in events.http.topics). Default "central-config".
   */
  eventsTopic?: string;
  /**
   * How often the provider polls the engine. Default: every minute,
   * 10 minute timeout, first run after 3 seconds. The engine's events
   * trigger a run in between.
   */
  schedule?: SchedulerServiceTaskScheduleDefinitionConfig;
}

export interface Config {
  catalog?: {
    providers?: {
      /**
       * The central-config entity provider: reads the entities the
       * central-config engine publishes and keeps the catalog in step.
       * One engine ({ baseUrl, token, ... }, the instance "default"), or a
       * map of named instances ({ production: { baseUrl, ... }, staging:
       * { ... } }), each with its own provider, schedule and generation.
       * Absent: the provider is not started.
       */
      centralConfig?:
        | CentralConfigEngineConfig
        | { [id: string]: CentralConfigEngineConfig };
    };
  };
}
