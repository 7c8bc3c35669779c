import { SchedulerServiceTaskScheduleDefinitionConfig } from '@backstage/backend-plugin-api';

export interface Config {
  catalog?: {
    providers?: {
      /**
       * The central-config entity provider: reads the entities the
       * central-config engine publishes and keeps the catalog in step.
       * Absent: the provider is not started.
       */
      centralConfig?: {
        /**
         * The engine's base URL, e.g. http://127.0.0.1:7080 (the provider
         * calls /central-config/entities and /central-config/catalog-acks
         * under it).
         */
        baseUrl: string;
        /**
         * The engine's bearer token (its server.token). Needed to
         * acknowledge applied generations, and to read when the engine sets
         * server.protectReads. Without it the provider reads but never acks.
         * @visibility secret
         */
        token?: string;
        /**
         * The name this catalog acknowledges under, and the suffix of the
         * provider name (central-config-provider:<consumer>). Default
         * "backstage".
         */
        consumer?: string;
        /**
         * How often the provider polls the engine. Default: every minute,
         * 10 minute timeout, first run after 3 seconds. The engine's events
         * (topic central-config) trigger a run in between.
         */
        schedule?: SchedulerServiceTaskScheduleDefinitionConfig;
      };
    };
  };
}
