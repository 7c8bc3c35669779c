import {
  readSchedulerServiceTaskScheduleDefinitionFromConfig,
  SchedulerServiceTaskScheduleDefinition,
} from '@backstage/backend-plugin-api';
import { Config, readDurationFromConfig } from '@backstage/config';
import { durationToMilliseconds, HumanDuration } from '@backstage/types';

/**
 * Where the engines' settings live in app-config.
 *
 * @public
 */
export const CONFIG_KEY = 'catalog.providers.centralConfig';

/**
 * The id of the single form's engine (`catalog.providers.centralConfig:
 * { baseUrl, ... }`), as in Backstage's own providers.
 */
export const DEFAULT_INSTANCE_ID = 'default';

/** The consumer name used when none is configured. */
export const DEFAULT_CONSUMER = 'backstage';

/**
 * The events topic the engine publishes to (through the events backend's
 * HTTP ingress, POST /api/events/http/central-config) after a sync that
 * published a new generation; an instance listens to it unless its
 * `eventsTopic` says otherwise.
 */
export const DEFAULT_EVENTS_TOPIC = 'central-config';

/**
 * The schedule used when none is configured.
 *
 * @public
 */
export const DEFAULT_SCHEDULE = {
  frequency: { minutes: 1 },
  timeout: { minutes: 10 },
  initialDelay: { seconds: 3 },
} satisfies SchedulerServiceTaskScheduleDefinition;

// The keys of one engine's settings: their presence directly under
// CONFIG_KEY means the single form.
const INSTANCE_KEYS = [
  'baseUrl',
  'token',
  'consumer',
  'schedule',
  'eventsTopic',
];

// The engine's own pattern for a consumer (AckRequest.consumer).
const CONSUMER_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/;

// An instance id becomes part of the provider name, the task id and the
// events subscriber id: Backstage's config key pattern, without ':'.
const ID_PATTERN = /^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*$/i;

// An events topic is a path segment of the HTTP ingress
// (POST /api/events/http/<topic>).
const TOPIC_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/**
 * The checked settings of one central-config entity provider instance.
 *
 * @public
 */
export type CentralConfigEntityProviderConfig = {
  /**
   * The instance id: `default` for the single form, the key of the map
   * form (`catalog.providers.centralConfig.<id>`).
   */
  id: string;
  /** Where the instance's settings live, for messages. */
  configKey: string;
  /** The engine's base URL, without a trailing slash. */
  baseUrl: string;
  /** The engine's bearer token; absent, the provider reads but never acks. */
  token?: string;
  /** The name the provider acknowledges under. */
  consumer: string;
  /** The events topic that triggers a run (the engine's announcements). */
  eventsTopic: string;
  /** When the provider polls the engine. */
  schedule: SchedulerServiceTaskScheduleDefinition;
  /** How long one run may take, the schedule's timeout in milliseconds. */
  timeoutMs: number;
};

/**
 * The provider name of an instance, stable across restarts: it keys the
 * instance's entities in the catalog (their location key) and its stored
 * generation. The instance `default` (the single form, or a map entry
 * named `default`) keeps the name the single form always had,
 * `central-config-provider:<consumer>`; any other instance is
 * `central-config-provider:<id>`.
 *
 * @public
 */
export function centralConfigProviderName(
  config: Pick<CentralConfigEntityProviderConfig, 'id' | 'consumer'>,
): string {
  return `central-config-provider:${
    config.id === DEFAULT_INSTANCE_ID ? config.consumer : config.id
  }`;
}

/**
 * Reads and checks `catalog.providers.centralConfig`: one engine (`{
 * baseUrl, token, ... }`, id `default`) or a map of named instances (`{
 * production: { baseUrl, ... }, staging: { ... } }`). Returns an empty list
 * when the key is absent (the provider is off) and throws, naming the key,
 * when a value is missing or wrong, or when two instances would read the
 * same engine or share a provider name.
 *
 * @public
 */
export function readCentralConfigEntityProviderConfigs(
  config: Config,
): CentralConfigEntityProviderConfig[] {
  const c = config.getOptionalConfig(CONFIG_KEY);
  if (!c) {
    return [];
  }
  const keys = c.keys();
  if (keys.length === 0) {
    // `{ baseUrl: ${CENTRAL_CONFIG_URL}, ... }` with the variables unset:
    // the config loader drops unset substitutions, leaving an empty object.
    // Not "no instances" (that would switch the provider off quietly): the
    // reader's own error for the missing baseUrl.
    c.getString('baseUrl');
  }
  if (keys.some(key => INSTANCE_KEYS.includes(key))) {
    // Also what a config file with instances gives over one with the
    // single form: Backstage merges the two objects.
    const others = keys.filter(key => !INSTANCE_KEYS.includes(key));
    if (others.length > 0) {
      throw new Error(
        `Invalid ${CONFIG_KEY}: it mixes one engine's keys (${keys
          .filter(key => INSTANCE_KEYS.includes(key))
          .join(', ')}) with other keys (${others.join(
          ', ',
        )}); give either one engine's keys (${INSTANCE_KEYS.join(
          ', ',
        )}) or only named instances. Config files merge: a file with instances over one with a single engine keeps both`,
      );
    }
    return [readInstance(DEFAULT_INSTANCE_ID, CONFIG_KEY, c)];
  }

  const instances = keys.map(id => {
    const key = `${CONFIG_KEY}.${id}`;
    if (!ID_PATTERN.test(id)) {
      throw new Error(
        `Invalid ${key}: an instance id is letters and digits, words joined by '-' or '_', starting with a letter (or give baseUrl for a single engine)`,
      );
    }
    const value = c.getOptional(id);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new Error(
        `Invalid ${key}: expected an engine's settings ({ baseUrl, token, ... }), or the single form's keys (${INSTANCE_KEYS.join(
          ', ',
        )}) directly under ${CONFIG_KEY}`,
      );
    }
    return readInstance(id, key, c.getConfig(id));
  });

  const byUrl = new Map<string, string>();
  const byName = new Map<string, string>();
  for (const instance of instances) {
    const sameUrl = byUrl.get(instance.baseUrl);
    if (sameUrl) {
      throw new Error(
        `Invalid ${instance.configKey}.baseUrl: ${CONFIG_KEY}.${sameUrl} reads the same engine (${instance.baseUrl}); every entity would be published twice`,
      );
    }
    byUrl.set(instance.baseUrl, instance.id);
    const name = centralConfigProviderName(instance);
    const sameName = byName.get(name);
    if (sameName) {
      throw new Error(
        `Invalid ${CONFIG_KEY}.${DEFAULT_INSTANCE_ID}.consumer: the instances ${sameName} and ${instance.id} would both be the provider ${name}; the instance ${DEFAULT_INSTANCE_ID} is named after its consumer`,
      );
    }
    byName.set(name, instance.id);
  }
  return instances;
}

/**
 * Reads one engine of `catalog.providers.centralConfig`, for plugins that
 * talk to one engine (Sync now): the single form's engine; in the map form
 * the only instance, or with several the instance `default`. Undefined when
 * the key is absent; throws like {@link readCentralConfigEntityProviderConfigs},
 * and when there are several instances and none is named `default` (which
 * one is meant cannot be guessed: the status page reads the engine behind
 * the proxy entry `/central-config`).
 *
 * @public
 */
export function readCentralConfigEntityProviderConfig(
  config: Config,
): CentralConfigEntityProviderConfig | undefined {
  const instances = readCentralConfigEntityProviderConfigs(config);
  if (instances.length <= 1) {
    return instances[0];
  }
  const engine = instances.find(i => i.id === DEFAULT_INSTANCE_ID);
  if (!engine) {
    throw new Error(
      `Missing required config value at '${CONFIG_KEY}.${DEFAULT_INSTANCE_ID}': with several instances (${instances
        .map(i => i.id)
        .join(
          ', ',
        )}), Sync now starts runs on the instance named ${DEFAULT_INSTANCE_ID}; rename the one whose engine the proxy entry /central-config points at (the status page) to ${DEFAULT_INSTANCE_ID}`,
    );
  }
  return engine;
}

function readInstance(
  id: string,
  key: string,
  c: Config,
): CentralConfigEntityProviderConfig {
  const baseUrl = readBaseUrl(key, c.getString('baseUrl'));

  const consumer = c.getOptionalString('consumer') ?? DEFAULT_CONSUMER;
  if (!CONSUMER_PATTERN.test(consumer)) {
    throw new Error(
      `Invalid ${key}.consumer "${consumer}": use 1 to 100 letters, digits, '.', '_', ':' or '-', starting with a letter or digit`,
    );
  }

  // An empty token (CENTRAL_CONFIG_TOKEN="") means none, like an unset one.
  const rawToken = c.getOptional('token');
  if (rawToken !== undefined && typeof rawToken !== 'string') {
    throw new Error(`Invalid ${key}.token: must be a string`);
  }
  const token = rawToken?.trim() || undefined;

  const eventsTopic =
    c.getOptionalString('eventsTopic') ?? DEFAULT_EVENTS_TOPIC;
  if (!TOPIC_PATTERN.test(eventsTopic)) {
    throw new Error(
      `Invalid ${key}.eventsTopic "${eventsTopic}": use 1 to 100 letters, digits, '.', '_' or '-', starting with a letter or digit (it is a path segment of /api/events/http/<topic>)`,
    );
  }

  let schedule: SchedulerServiceTaskScheduleDefinition = DEFAULT_SCHEDULE;
  let timeout: HumanDuration = DEFAULT_SCHEDULE.timeout;
  const scheduleConfig = c.getOptionalConfig('schedule');
  if (scheduleConfig) {
    schedule =
      readSchedulerServiceTaskScheduleDefinitionFromConfig(scheduleConfig);
    timeout = readDurationFromConfig(scheduleConfig, { key: 'timeout' });
  }

  return {
    id,
    configKey: key,
    baseUrl,
    token,
    consumer,
    eventsTopic,
    schedule,
    timeoutMs: durationToMilliseconds(timeout),
  };
}

function readBaseUrl(key: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(
      `Invalid ${key}.baseUrl "${value}": not a URL (expected e.g. http://127.0.0.1:7080)`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(
      `Invalid ${key}.baseUrl "${value}": must be an http or https URL`,
    );
  }
  if (url.username || url.password) {
    // The value is not repeated: it holds a credential.
    throw new Error(
      `Invalid ${key}.baseUrl: must not hold credentials (the token goes in ${key}.token)`,
    );
  }
  if (url.search || url.hash) {
    throw new Error(
      `Invalid ${key}.baseUrl "${value}": give the engine's base URL only, without query or fragment`,
    );
  }
  return url.toString().replace(/\/+$/, '');
}
