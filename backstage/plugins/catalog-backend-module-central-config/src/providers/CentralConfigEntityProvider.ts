import {
  DatabaseService,
  LoggerService,
  SchedulerService,
  SchedulerServiceTaskRunner,
} from '@backstage/backend-plugin-api';
import {
  ANNOTATION_LOCATION,
  ANNOTATION_ORIGIN_LOCATION,
  Entity,
} from '@backstage/catalog-model';
import { Config } from '@backstage/config';
import {
  DeferredEntity,
  EntityProvider,
  EntityProviderConnection,
} from '@backstage/plugin-catalog-node';
import { EventsService } from '@backstage/plugin-events-node';
import { EngineClient } from '@central-config/backstage-plugin-central-config-node';
import {
  DatabaseGenerationStore,
  GenerationStore,
} from '../lib/GenerationStore';
import { OutageLog } from '../lib/OutageLog';
import {
  CentralConfigEntityProviderConfig,
  centralConfigProviderName,
  DEFAULT_EVENTS_TOPIC,
  readCentralConfigEntityProviderConfigs,
} from '@central-config/backstage-plugin-central-config-node';

/**
 * The events topic the engine publishes to (through the events backend's
 * HTTP ingress, POST /api/events/http/central-config) after a sync that
 * published a new generation: the default of each instance's
 * `eventsTopic`.
 *
 * @public
 */
export const CENTRAL_CONFIG_EVENT_TOPIC = DEFAULT_EVENTS_TOPIC;

// The events backend's list of the topics its HTTP ingress accepts.
const HTTP_TOPICS_KEY = 'events.http.topics';

/**
 * Options of {@link CentralConfigEntityProvider}.
 *
 * @public
 */
export type CentralConfigEntityProviderOptions = {
  config: CentralConfigEntityProviderConfig;
  logger: LoggerService;
  /** Keeps the applied generation across restarts. */
  store: GenerationStore;
  /** Runs the refresh on the configured schedule; absent, only events and direct calls do. */
  taskRunner?: SchedulerServiceTaskRunner;
  /** Delivers the engine's announcements of new generations. */
  events?: EventsService;
  /**
   * The events backend's `events.http.topics`, the topics its HTTP ingress
   * accepts; when given and without the instance's topic, connect warns.
   */
  httpTopics?: string[];
};

/**
 * Keeps the catalog in step with the entities the central-config engine
 * publishes: the full list on the first run (and once more on the second
 * when the provider name had no stored generation), then only what changed since
 * the generation last applied (kept in the catalog's database, so a restart
 * resumes with a delta), acknowledging each applied generation to the
 * engine. A failed run changes nothing in the catalog.
 *
 * @public
 */
export class CentralConfigEntityProvider implements EntityProvider {
  private readonly config: CentralConfigEntityProviderConfig;
  private readonly logger: LoggerService;
  private readonly store: GenerationStore;
  private readonly taskRunner?: SchedulerServiceTaskRunner;
  private readonly events?: EventsService;
  private readonly httpTopics?: string[];
  private readonly client: EngineClient;
  private readonly syncLog: OutageLog;
  private readonly ackLog: OutageLog;
  private connection?: EntityProviderConnection;
  private inFlight?: Promise<void>;
  private rerun = false;
  private ackedGeneration?: number;
  // Set after the first full read of a provider name that had no stored
  // generation: the next run reads the full list again (see sync).
  private provisional = false;

  /**
   * Builds one provider per engine of `catalog.providers.centralConfig`
   * (none when that key is absent), each on its own schedule, sharing one
   * generation store in which each keeps its own row.
   */
  static async fromConfig(
    config: Config,
    deps: {
      logger: LoggerService;
      scheduler: SchedulerService;
      database: DatabaseService;
      events?: EventsService;
    },
  ): Promise<CentralConfigEntityProvider[]> {
    const configs = readCentralConfigEntityProviderConfigs(config);
    if (configs.length === 0) {
      return [];
    }
    const httpTopics = config.getOptionalStringArray(HTTP_TOPICS_KEY);
    const store = await DatabaseGenerationStore.create({
      database: deps.database,
    });
    return configs.map(
      providerConfig =>
        new CentralConfigEntityProvider({
          config: providerConfig,
          logger: deps.logger,
          store,
          taskRunner: deps.scheduler.createScheduledTaskRunner(
            providerConfig.schedule,
          ),
          events: deps.events,
          httpTopics,
        }),
    );
  }

  constructor(options: CentralConfigEntityProviderOptions) {
    this.config = options.config;
    this.store = options.store;
    this.taskRunner = options.taskRunner;
    this.events = options.events;
    this.httpTopics = options.httpTopics;
    this.logger = options.logger.child({ target: this.getProviderName() });
    this.client = new EngineClient({
      baseUrl: this.config.baseUrl,
      token: this.config.token,
    });
    this.syncLog = new OutageLog(
      this.logger,
      'Reading entities from the central-config engine',
      'the catalog keeps the entities it has',
    );
    this.ackLog = new OutageLog(
      this.logger,
      'Acknowledging the applied generation to the central-config engine',
      "the engine's status shows this catalog as lagging",
      'warn',
    );
  }

  /**
   * `central-config-provider:<consumer>` for the instance `default` (the
   * single form), `central-config-provider:<id>` for the others; stable
   * across restarts.
   */
  getProviderName(): string {
    return centralConfigProviderName(this.config);
  }

  async connect(connection: EntityProviderConnection): Promise<void> {
    this.connection = connection;
    if (!this.config.token) {
      this.logger.warn(
        `No ${this.config.configKey}.token: the provider reads entities but does not acknowledge them to the engine`,
      );
    }
    if (this.httpTopics && !this.httpTopics.includes(this.config.eventsTopic)) {
      this.logger.warn(
        `${HTTP_TOPICS_KEY} does not list ${this.config.configKey}'s events topic "${this.config.eventsTopic}": the events backend refuses the engine's announcements (POST /api/events/http/${this.config.eventsTopic}) and the catalog follows the engine only on the schedule; add "${this.config.eventsTopic}" to ${HTTP_TOPICS_KEY}`,
      );
    }
    await this.taskRunner?.run({
      id: `${this.getProviderName()}:refresh`,
      fn: signal => this.refresh({ signal }),
    });
    await this.events?.subscribe({
      id: this.getProviderName(),
      topics: [this.config.eventsTopic],
      onEvent: async () => {
        this.logger.debug('The engine announced a new generation');
        await this.refresh();
      },
    });
  }

  /**
   * Brings the catalog up to the engine's current generation. Runs one at a
   * time: a call while a run is in progress (an event during a scheduled
   * run) makes one more run follow it, since the running one may have read
   * the engine before the change. Never throws; failures are logged once
   * per outage and the next run retries.
   */
  refresh(options: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.inFlight) {
      this.rerun = true;
      return this.inFlight;
    }
    this.inFlight = this.runUntilCurrent(options.signal).finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async runUntilCurrent(signal?: AbortSignal): Promise<void> {
    do {
      this.rerun = false;
      await this.runOnce(signal);
    } while (this.rerun && !signal?.aborted);
  }

  private async runOnce(taskSignal?: AbortSignal): Promise<void> {
    const timeout = AbortSignal.timeout(this.config.timeoutMs);
    const signal = taskSignal
      ? AbortSignal.any([taskSignal, timeout])
      : timeout;
    let generation: number;
    try {
      generation = await this.sync(signal);
      this.syncLog.succeeded();
    } catch (error) {
      this.syncLog.failed(errorMessage(error));
      return;
    }
    await this.ack(generation, signal);
  }

  // Applies what the engine has beyond the stored generation and returns
  // the generation the catalog is now at.
  private async sync(signal: AbortSignal): Promise<number> {
    const connection = this.connection;
    if (!connection) {
      throw new Error('the provider is not connected to the catalog yet');
    }
    const name = this.getProviderName();
    const { baseUrl } = this.config;
    const stored = await this.store.get(name);

    if (stored && this.provisional) {
      // A new provider name (an instance renamed, or a new consumer): at
      // start-up the catalog deletes the entities of the provider no longer
      // configured, but the first read may have come before that deletion,
      // and its entities were then skipped as conflicting with the old
      // copies. A delta would never bring them back.
      this.logger.info(
        `Reading the full list once more: the first read of the new provider name ${name} may have raced the catalog's removal of a renamed provider's entities`,
      );
    } else if (stored && stored.baseUrl !== baseUrl) {
      this.logger.info(
        `The engine URL changed from ${stored.baseUrl} to ${baseUrl}: reading the full list`,
      );
    } else if (stored) {
      const changes = await this.client.getChanges({
        since: stored.generation,
        signal,
      });
      if (changes.kind === 'not-modified') {
        this.logger.debug(`Up to date at generation ${stored.generation}`);
        return stored.generation;
      }
      if (changes.kind === 'delta') {
        await connection.applyMutation({
          type: 'delta',
          added: changes.upserts.map(e => this.deferred(e)),
          removed: changes.removals.map(entityRef => ({ entityRef })),
        });
        await this.store.set(name, { baseUrl, generation: changes.generation });
        this.logger.info(
          `Applied the changes from generation ${changes.since} to ${changes.generation}: ${changes.upserts.length} added or changed, ${changes.removals.length} removed`,
        );
        return changes.generation;
      }
      this.logger.info(
        `The engine has no delta since generation ${stored.generation} (${changes.code}: ${changes.message}): reading the full list`,
      );
    }

    const full = await this.client.getFull({ signal });
    await connection.applyMutation({
      type: 'full',
      entities: full.entities.map(e => this.deferred(e)),
    });
    await this.store.set(name, { baseUrl, generation: full.generation });
    this.provisional = stored === undefined;
    this.logger.info(
      `Applied the full list: ${full.entities.length} entities at generation ${full.generation}`,
    );
    return full.generation;
  }

  // Acknowledges each generation once per process; a restart acks again,
  // which the engine takes as a no-op.
  private async ack(generation: number, signal: AbortSignal): Promise<void> {
    if (!this.config.token || this.ackedGeneration === generation) {
      return;
    }
    try {
      await this.client.ack({
        consumer: this.config.consumer,
        generation,
        signal,
      });
      this.ackedGeneration = generation;
      this.ackLog.succeeded();
    } catch (error) {
      this.ackLog.failed(errorMessage(error));
    }
  }

  // The catalog needs to know where an entity is managed; the engine sets
  // both annotations to the file in the config repository, and an entity
  // without them is attributed to the engine's entity list.
  private deferred(entity: Entity): DeferredEntity {
    const annotations = entity.metadata.annotations ?? {};
    if (
      annotations[ANNOTATION_LOCATION] &&
      annotations[ANNOTATION_ORIGIN_LOCATION]
    ) {
      return { entity, locationKey: this.getProviderName() };
    }
    const location = `url:${this.config.baseUrl}/central-config/entities`;
    return {
      entity: {
        ...entity,
        metadata: {
          ...entity.metadata,
          annotations: {
            [ANNOTATION_LOCATION]: location,
            [ANNOTATION_ORIGIN_LOCATION]: location,
            ...annotations,
          },
        },
      },
      locationKey: this.getProviderName(),
    };
  }
}

function errorMessage(error: unknown): string {
  const message = (error as { message?: unknown })?.message;
  return typeof message === 'string' ? message : String(error);
}
