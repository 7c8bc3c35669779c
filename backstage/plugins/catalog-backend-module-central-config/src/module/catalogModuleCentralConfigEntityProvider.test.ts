import {
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { catalogProcessingExtensionPoint } from '@backstage/plugin-catalog-node';
import { EntityProvider } from '@backstage/plugin-catalog-node';
import { catalogModuleCentralConfigEntityProvider } from './catalogModuleCentralConfigEntityProvider';

const databases = TestDatabases.create({
  ids: ['SQLITE_3'],
  disableDocker: true,
});

describe('catalogModuleCentralConfigEntityProvider', () => {
  async function start(config: object) {
    const providers: EntityProvider[] = [];
    const knex = await databases.init('SQLITE_3');
    await startTestBackend({
      extensionPoints: [
        [
          catalogProcessingExtensionPoint,
          {
            addEntityProvider: (
              ...p: Array<EntityProvider | EntityProvider[]>
            ) => providers.push(...p.flat()),
          },
        ],
      ],
      features: [
        catalogModuleCentralConfigEntityProvider,
        mockServices.rootConfig.factory({ data: config }),
        mockServices.database.factory({ knex }),
        mockServices.events.factory(),
      ],
    });
    return { providers, knex };
  }

  it('registers the provider, its schedule and its table', async () => {
    const { providers, knex } = await start({
      catalog: {
        providers: {
          centralConfig: {
            baseUrl: 'http://127.0.0.1:1',
            consumer: 'portal',
            schedule: { frequency: { hours: 1 }, timeout: { minutes: 1 } },
          },
        },
      },
    });
    expect(providers.map(p => p.getProviderName())).toEqual([
      'central-config-provider:portal',
    ]);
    expect(await knex.schema.hasTable('central_config_provider_state')).toBe(
      true,
    );
  });

  it('registers a provider per named instance', async () => {
    const schedule = { frequency: { hours: 1 }, timeout: { minutes: 1 } };
    const { providers, knex } = await start({
      catalog: {
        providers: {
          centralConfig: {
            production: { baseUrl: 'http://127.0.0.1:1', schedule },
            staging: { baseUrl: 'http://127.0.0.1:2', schedule },
          },
        },
      },
    });
    expect(providers.map(p => p.getProviderName())).toEqual([
      'central-config-provider:production',
      'central-config-provider:staging',
    ]);
    expect(await knex.schema.hasTable('central_config_provider_state')).toBe(
      true,
    );
  });

  it('registers nothing when catalog.providers.centralConfig is absent', async () => {
    const { providers } = await start({ catalog: {} });
    expect(providers).toEqual([]);
  });

  it('refuses to start with a broken configuration', async () => {
    await expect(
      start({ catalog: { providers: { centralConfig: { consumer: 'x' } } } }),
    ).rejects.toThrow(/catalog\.providers\.centralConfig\.baseUrl/);
  });

  it('refuses to start with a broken instance, naming it', async () => {
    await expect(
      start({
        catalog: {
          providers: {
            centralConfig: {
              production: { baseUrl: 'http://127.0.0.1:1' },
              staging: { baseUrl: 'ftp://127.0.0.1:2' },
            },
          },
        },
      }),
    ).rejects.toThrow(
      /catalog\.providers\.centralConfig\.staging\.baseUrl "ftp:\/\/127\.0\.0\.1:2": must be an http or https URL/,
    );
  });
});
