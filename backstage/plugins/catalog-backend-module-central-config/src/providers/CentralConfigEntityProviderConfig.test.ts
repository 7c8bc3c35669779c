import { ConfigReader } from '@backstage/config';
import { JsonValue } from '@backstage/types';
import { loadConfigSchema } from '@backstage/config-loader';
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import {
  DEFAULT_SCHEDULE,
  readCentralConfigEntityProviderConfig,
} from './CentralConfigEntityProviderConfig';

function read(centralConfig: JsonValue) {
  return readCentralConfigEntityProviderConfig(
    new ConfigReader({ catalog: { providers: { centralConfig } } }),
  );
}

describe('readCentralConfigEntityProviderConfig', () => {
  it('is off when catalog.providers.centralConfig is absent', () => {
    expect(
      readCentralConfigEntityProviderConfig(new ConfigReader({ catalog: {} })),
    ).toBeUndefined();
  });

  it('fills in the consumer and the schedule', () => {
    expect(read({ baseUrl: 'http://127.0.0.1:7080/' })).toEqual({
      baseUrl: 'http://127.0.0.1:7080',
      token: undefined,
      consumer: 'backstage',
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

  it('declares the token secret in the config schema', async () => {
    const schema = await loadConfigSchema({
      dependencies: [],
      packagePaths: [
        resolvePackagePath(
          '@internal/plugin-catalog-backend-module-central-config',
          'package.json',
        ),
      ],
    });
    const processed = schema.process(
      [
        {
          context: 'test',
          data: {
            catalog: {
              providers: {
                centralConfig: {
                  baseUrl: 'http://engine:7080',
                  token: 's3cret',
                },
              },
            },
          },
        },
      ],
      {
        visibility: ['frontend', 'backend'],
        withFilteredKeys: true,
        ignoreSchemaErrors: true,
      },
    );
    // Secret values are filtered out of everything but the backend's view.
    expect(processed[0].filteredKeys).toContain(
      'catalog.providers.centralConfig.token',
    );
    expect(processed[0].filteredKeys).not.toContain(
      'catalog.providers.centralConfig.baseUrl',
    );
  });
});
