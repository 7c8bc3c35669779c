import { ConfigReader } from '@backstage/config';
import { JsonValue } from '@backstage/types';
import { loadConfigSchema } from '@backstage/config-loader';
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import {
  centralConfigProviderName,
  DEFAULT_SCHEDULE,
  readCentralConfigEntityProviderConfig,
  readCentralConfigEntityProviderConfigs,
} from './CentralConfigEntityProviderConfig';

function readAll(centralConfig: JsonValue) {
  return readCentralConfigEntityProviderConfigs(
    new ConfigReader({ catalog: { providers: { centralConfig } } }),
  );
}

function read(centralConfig: JsonValue) {
  return readCentralConfigEntityProviderConfig(
    new ConfigReader({ catalog: { providers: { centralConfig } } }),
  );
}

const ENGINE_A = { baseUrl: 'http://engine-a:7080' };
const ENGINE_B = { baseUrl: 'http://engine-b:7080' };
/** Two instances, neither named default. */
const TWO_ENGINES = { production: ENGINE_A, staging: ENGINE_B };

// What other packages' schemas require, so that only our part can fail.
const BASE_CONFIG = {
  app: { baseUrl: 'http://localhost:3000' },
  backend: {
    baseUrl: 'http://localhost:7007',
    database: { client: 'better-sqlite3', connection: ':memory:' },
  },
};

/**
 * catalog.providers.centralConfig through the package's config schema, as
 * Backstage checks it at start-up; throws what Backstage would refuse.
 */
async function checkSchema(centralConfig: JsonValue) {
  const schema = await loadConfigSchema({
    dependencies: [],
    packagePaths: [
      resolvePackagePath(
        '@central-config/backstage-plugin-central-config-node',
        'package.json',
      ),
    ],
  });
  return schema.process(
    [
      {
        context: 'test',
        data: { ...BASE_CONFIG, catalog: { providers: { centralConfig } } },
      },
    ],
    { visibility: ['frontend', 'backend'], withFilteredKeys: true },
  );
}

describe('readCentralConfigEntityProviderConfig', () => {
  it('is off when catalog.providers.centralConfig is absent', () => {
    expect(
      readCentralConfigEntityProviderConfig(new ConfigReader({ catalog: {} })),
    ).toBeUndefined();
  });

  it('fills in the consumer, the events topic and the schedule', () => {
    expect(read({ baseUrl: 'http://127.0.0.1:7080/' })).toEqual({
      id: 'default',
      configKey: 'catalog.providers.centralConfig',
      baseUrl: 'http://127.0.0.1:7080',
      token: undefined,
      consumer: 'backstage',
      eventsTopic: 'central-config',
      schedule: DEFAULT_SCHEDULE,
      timeoutMs: 10 * 60 * 1000,
    });
  });

  it('keeps a path prefix of the engine URL', () => {
    expect(read({ baseUrl: 'https://engine.example/cc//' })?.baseUrl).toBe(
      'https://engine.example/cc',
    );
  });

  it('reads the schedule as human durations', () => {
    const c = read({
      baseUrl: 'http://engine:7080',
      schedule: {
        frequency: { seconds: 30 },
        timeout: '2m',
        initialDelay: { seconds: 1 },
      },
    });
    expect(c?.schedule).toEqual({
      frequency: { seconds: 30 },
      timeout: { minutes: 2 },
      initialDelay: { seconds: 1 },
      scope: undefined,
    });
    expect(c?.timeoutMs).toBe(120_000);
  });

  it('reads ISO 8601 and cron schedules', () => {
    const c = read({
      baseUrl: 'http://engine:7080',
      schedule: { frequency: { cron: '*/5 * * * *' }, timeout: 'PT90S' },
    });
    expect(c?.schedule.frequency).toEqual({ cron: '*/5 * * * *' });
    expect(c?.timeoutMs).toBe(90_000);
  });

  it('rejects a schedule without a timeout', () => {
    expect(() =>
      read({ baseUrl: 'http://engine:7080', schedule: { frequency: '1m' } }),
    ).toThrow(/timeout/);
  });

  it('does not take an empty key for no engine (unset variables leave it empty)', () => {
    // `{ baseUrl: ${CENTRAL_CONFIG_URL}, token: ${CENTRAL_CONFIG_TOKEN} }`
    // with both unset: the config loader drops the substitutions.
    expect(() => readAll({})).toThrow(
      "Missing required config value at 'catalog.providers.centralConfig.baseUrl'",
    );
    expect(() => read({})).toThrow(
      "Missing required config value at 'catalog.providers.centralConfig.baseUrl'",
    );
  });

  it('requires baseUrl, naming the key', () => {
    expect(() => read({ consumer: 'backstage' })).toThrow(
      "Missing required config value at 'catalog.providers.centralConfig.baseUrl'",
    );
  });

  it.each([
    ['not a url', /not a URL/],
    ['ftp://engine:21', /http or https/],
    ['http://engine:7080/?x=1', /without query/],
  ])('rejects the baseUrl %s', (baseUrl, message) => {
    expect(() => read({ baseUrl })).toThrow(message);
  });

  it('rejects credentials in baseUrl without repeating them', () => {
    let message = '';
    try {
      read({ baseUrl: 'http://user:hunter2@engine:7080' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/must not hold credentials/);
    expect(message).not.toContain('hunter2');
  });

  it('reads the token and a consumer', () => {
    const c = read({
      baseUrl: 'http://engine:7080',
      token: ' s3cret\n',
      consumer: 'portal.eu-1',
    });
    expect(c?.token).toBe('s3cret');
    expect(c?.consumer).toBe('portal.eu-1');
  });

  it('takes an empty token as none', () => {
    expect(read({ baseUrl: 'http://engine:7080', token: '' })?.token).toBe(
      undefined,
    );
  });

  it('rejects a consumer the engine would refuse', () => {
    expect(() =>
      read({ baseUrl: 'http://engine:7080', consumer: 'has space' }),
    ).toThrow(/Invalid catalog.providers.centralConfig.consumer "has space"/);
  });

  it('accepts the single form in the config schema, its token secret', async () => {
    const processed = await checkSchema({
      baseUrl: 'http://engine:7080',
      token: 's3cret',
      consumer: 'backstage',
      eventsTopic: 'central-config',
      schedule: { frequency: { minutes: 1 }, timeout: '10m' },
    });
    // Secret values are filtered out of everything but the backend's view.
    expect(processed[0].filteredKeys).toContain(
      'catalog.providers.centralConfig.token',
    );
    expect(processed[0].filteredKeys).not.toContain(
      'catalog.providers.centralConfig.baseUrl',
    );
  });
});

describe('readCentralConfigEntityProviderConfigs', () => {
  it('is off when catalog.providers.centralConfig is absent', () => {
    expect(
      readCentralConfigEntityProviderConfigs(new ConfigReader({ catalog: {} })),
    ).toEqual([]);
  });

  it('reads the single form as the instance default, named after its consumer', () => {
    const instances = readAll({
      baseUrl: 'http://engine:7080',
      consumer: 'portal',
    });
    expect(instances.map(i => [i.id, i.configKey, i.baseUrl])).toEqual([
      ['default', 'catalog.providers.centralConfig', 'http://engine:7080'],
    ]);
    // The provider name (and so the location key and the stored
    // generation's key) the single form has always had.
    expect(centralConfigProviderName(instances[0])).toBe(
      'central-config-provider:portal',
    );
  });

  it('reads a map of named instances, each with its own settings', () => {
    const instances = readAll({
      production: {
        baseUrl: 'https://engine.prod.example',
        token: 'prod-token',
        schedule: { frequency: { minutes: 5 }, timeout: { minutes: 2 } },
      },
      staging: {
        baseUrl: 'https://engine.staging.example',
        consumer: 'portal-staging',
        eventsTopic: 'central-config-staging',
      },
    });
    expect(instances).toEqual([
      {
        id: 'production',
        configKey: 'catalog.providers.centralConfig.production',
        baseUrl: 'https://engine.prod.example',
        token: 'prod-token',
        consumer: 'backstage',
        eventsTopic: 'central-config',
        schedule: {
          frequency: { minutes: 5 },
          timeout: { minutes: 2 },
          initialDelay: undefined,
          scope: undefined,
        },
        timeoutMs: 120_000,
      },
      {
        id: 'staging',
        configKey: 'catalog.providers.centralConfig.staging',
        baseUrl: 'https://engine.staging.example',
        token: undefined,
        consumer: 'portal-staging',
        eventsTopic: 'central-config-staging',
        schedule: DEFAULT_SCHEDULE,
        timeoutMs: 10 * 60 * 1000,
      },
    ]);
    expect(instances.map(centralConfigProviderName)).toEqual([
      'central-config-provider:production',
      'central-config-provider:staging',
    ]);
  });

  it('names a map entry called default after its consumer, as the single form', () => {
    const instances = readAll({
      default: ENGINE_A,
      staging: ENGINE_B,
    });
    expect(instances.map(centralConfigProviderName)).toEqual([
      'central-config-provider:backstage',
      'central-config-provider:staging',
    ]);
  });

  it.each([
    [
      { baseUrl: 'not a url' },
      'Invalid catalog.providers.centralConfig.staging.baseUrl "not a url": not a URL',
    ],
    [
      { baseUrl: 'http://engine:7080', consumer: 'has space' },
      'Invalid catalog.providers.centralConfig.staging.consumer "has space"',
    ],
    [
      { baseUrl: 'http://engine:7080', eventsTopic: 'a/b' },
      'Invalid catalog.providers.centralConfig.staging.eventsTopic "a/b"',
    ],
    [
      { baseUrl: 'http://engine:7080', token: 7 },
      'Invalid catalog.providers.centralConfig.staging.token: must be a string',
    ],
  ])(
    'names the instance id in the key of a wrong value: %j',
    (staging, message) => {
      expect(() =>
        readAll({ production: { baseUrl: 'http://prod:7080' }, staging }),
      ).toThrow(message);
    },
  );

  it.each<[string, JsonValue, string | RegExp]>([
    [
      'names the instance id in the key of a missing value',
      {
        production: { baseUrl: 'http://engine:7080' },
        staging: { token: 'x' },
      },
      "Missing required config value at 'catalog.providers.centralConfig.staging.baseUrl'",
    ],
    [
      'names the instance id in a schedule error',
      {
        staging: {
          baseUrl: 'http://engine:7080',
          schedule: { frequency: '1m' },
        },
      },
      /catalog\.providers\.centralConfig\.staging\.schedule\.timeout/,
    ],
    [
      'rejects a mix of the single form and instances, as two merged config files give',
      { baseUrl: 'http://engine:7080', token: 'x', production: ENGINE_A },
      "Invalid catalog.providers.centralConfig: it mixes one engine's keys (baseUrl, token) with other keys (production)",
    ],
    [
      'rejects a map entry that is not an engine',
      { production: 'http://engine:7080' },
      /^Invalid catalog\.providers\.centralConfig\.production: expected an engine's settings/,
    ],
    [
      'rejects two instances that read the same engine',
      {
        production: { baseUrl: 'http://engine:7080/' },
        staging: { baseUrl: 'http://engine:7080' },
      },
      'Invalid catalog.providers.centralConfig.staging.baseUrl: catalog.providers.centralConfig.production reads the same engine (http://engine:7080)',
    ],
    [
      'rejects two instances that would share a provider name',
      {
        default: { baseUrl: 'http://engine-a:7080', consumer: 'staging' },
        staging: ENGINE_B,
      },
      /the instances default and staging would both be the provider central-config-provider:staging/,
    ],
  ])('%s', (_, centralConfig, message) => {
    expect(() => readAll(centralConfig)).toThrow(message);
  });

  it('gives Sync now the only instance, or the instance default', () => {
    expect(
      read({
        production: ENGINE_A,
        default: ENGINE_B,
      })?.baseUrl,
    ).toBe('http://engine-b:7080');
    expect(read({ production: ENGINE_A })?.id).toBe('production');
  });

  it('refuses to guess the engine of Sync now among several without default', () => {
    expect(() => read(TWO_ENGINES)).toThrow(
      "Missing required config value at 'catalog.providers.centralConfig.default': with several instances (production, staging), Sync now starts runs on the instance named default",
    );
    // The catalog module itself runs them all.
    expect(readAll(TWO_ENGINES).map(i => i.id)).toEqual([
      'production',
      'staging',
    ]);
  });

  it('accepts both forms in the config schema and keeps every token secret', async () => {
    const processed = await checkSchema({
      production: {
        baseUrl: 'http://engine-a:7080',
        token: 'a',
        eventsTopic: 'central-config-production',
        schedule: { frequency: { minutes: 1 }, timeout: '1m' },
      },
      staging: { baseUrl: 'http://engine-b:7080', token: 'b' },
    });
    expect(processed[0].filteredKeys).toEqual(
      expect.arrayContaining([
        'catalog.providers.centralConfig.production.token',
        'catalog.providers.centralConfig.staging.token',
      ]),
    );
    expect(processed[0].filteredKeys).not.toContain(
      'catalog.providers.centralConfig.production.baseUrl',
    );
  });

  it('refuses an engine without baseUrl in the config schema', async () => {
    await expect(checkSchema({ staging: { token: 'b' } })).rejects.toThrow(
      "Config must have required property 'baseUrl' { missingProperty=baseUrl } at /catalog/providers/centralConfig/staging",
    );
  });
});
