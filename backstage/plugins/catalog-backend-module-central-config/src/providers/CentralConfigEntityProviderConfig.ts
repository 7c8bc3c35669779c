import {
  readSchedulerServiceTaskScheduleDefinitionFromConfig,
  SchedulerServiceTaskScheduleDefinition,
} from '@backstage/backend-plugin-api';
import { Config, readDurationFromConfig } from '@backstage/config';
import { durationToMilliseconds, HumanDuration } from '@backstage/types';

/** Where the provider's settings live in app-config. */
export const CONFIG_KEY = 'catalog.providers.centralConfig';

/** The consumer name used when none is configured. */
export const DEFAULT_CONSUMER = 'backstage';

/** The schedule used when none is configured. */
export const DEFAULT_SCHEDULE = {
  frequency: { minutes: 1 },
  timeout: { minutes: 10 },
  initialDelay: { seconds: 3 },
} satisfies SchedulerServiceTaskScheduleDefinition;

// The engine's own pattern for a consumer (AckRequest.consumer).
const CONSUMER_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/;

/**
 * The checked settings of the central-config entity provider.
 *
 * @public
 */
export type CentralConfigEntityProviderConfig = {
  /** The engine's base URL, without a trailing slash. */
  baseUrl: string;
  /** The engine's bearer token; absent, the provider reads but never acks. */
  token?: string;
  /** The name the provider acknowledges under. */
  consumer: string;
  /** When the provider polls the engine. */
  schedule: SchedulerServiceTaskScheduleDefinition;
  /** How long one run may take, the schedule's timeout in milliseconds. */
  timeoutMs: number;
};

/**
 * Reads and checks `catalog.providers.centralConfig`. Returns undefined when
 * the key is absent (the provider is off) and throws, naming the key, when
 * a value is missing or wrong.
 *
 * @public
 */
export function readCentralConfigEntityProviderConfig(
  config: Config,
): CentralConfigEntityProviderConfig | undefined {
  const c = config.getOptionalConfig(CONFIG_KEY);
  if (!c) {
    return undefined;
  }

  const baseUrl = readBaseUrl(c.getString('baseUrl'));

  const consumer = c.getOptionalString('consumer') ?? DEFAULT_CONSUMER;
  if (!CONSUMER_PATTERN.test(consumer)) {
    throw new Error(
      `Invalid ${CONFIG_KEY}.consumer "${consumer}": use 1 to 100 letters, digits, '.', '_', ':' or '-', starting with a letter or digit`,
    );
  }

  // An empty token (CENTRAL_CONFIG_TOKEN="") means none, like an unset one.
  const rawToken = c.getOptional('token');
  if (rawToken !== undefined && typeof rawToken !== 'string') {
    throw new Error(`Invalid ${CONFIG_KEY}.token: must be a string`);
  }
  const token = rawToken?.trim() || undefined;

  let schedule: SchedulerServiceTaskScheduleDefinition = DEFAULT_SCHEDULE;
  let timeout: HumanDuration = DEFAULT_SCHEDULE.timeout;
  const scheduleConfig = c.getOptionalConfig('schedule');
  if (scheduleConfig) {
    schedule =
      readSchedulerServiceTaskScheduleDefinitionFromConfig(scheduleConfig);
    timeout = readDurationFromConfig(scheduleConfig, { key: 'timeout' });
  }

  return {
    baseUrl,
    token,
    consumer,
    schedule,
    timeoutMs: durationToMilliseconds(timeout),
  };
}

function readBaseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(
      `Invalid ${CONFIG_KEY}.baseUrl "${value}": not a URL (expected e.g. http://127.0.0.1:7080)`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(
      `Invalid ${CONFIG_KEY}.baseUrl "${value}": must be an http or https URL`,
    );
  }
  if (url.username || url.password) {
    // The value is not repeated: it holds a credential.
    throw new Error(
      `Invalid ${CONFIG_KEY}.baseUrl: must not hold credentials (the token goes in ${CONFIG_KEY}.token)`,
    );
  }
  if (url.search || url.hash) {
    throw new Error(
      `Invalid ${CONFIG_KEY}.baseUrl "${value}": give the engine's base URL only, without query or fragment`,
    );
  }
  return url.toString().replace(/\/+$/, '');
}
