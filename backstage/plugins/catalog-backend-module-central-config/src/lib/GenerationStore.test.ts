import { TestDatabases } from '@backstage/backend-test-utils';
import { DatabaseGenerationStore } from './GenerationStore';

// PostgreSQL runs when BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING
// points at a server (scripts/test.sh starts one); SQLite always.
const databases = TestDatabases.create({
  ids: ['POSTGRES_15', 'SQLITE_3'],
  disableDocker: true,
});

describe.each(databases.eachSupportedId())(
  'DatabaseGenerationStore on %s',
  databaseId => {
    async function open() {
      const knex = await databases.init(databaseId);
      const database = { getClient: async () => knex };
      return {
        knex,
        store: await DatabaseGenerationStore.create({ database }),
      };
    }

    it('has nothing for a provider that never applied a generation', async () => {
      const { store } = await open();
      expect(
        await store.get('central-config-provider:backstage'),
      ).toBeUndefined();
    });

    it('keeps the last generation per provider', async () => {
      const { store } = await open();
      await store.set('central-config-provider:a', {
        baseUrl: 'http://engine:7080',
        generation: 3,
      });
      await store.set('central-config-provider:a', {
        baseUrl: 'http://engine:7080',
        generation: 5,
      });
      await store.set('central-config-provider:b', {
        baseUrl: 'http://other:7080',
        generation: 1,
      });
      expect(await store.get('central-config-provider:a')).toEqual({
        baseUrl: 'http://engine:7080',
        generation: 5,
      });
      expect(await store.get('central-config-provider:b')).toEqual({
        baseUrl: 'http://other:7080',
        generation: 1,
      });
    });

    it('reads back generations past 32 bits as numbers', async () => {
      const { store } = await open();
      const generation = 2 ** 40 + 7;
      await store.set('p', { baseUrl: 'http://engine:7080', generation });
      expect(await store.get('p')).toEqual({
        baseUrl: 'http://engine:7080',
        generation,
      });
    });

    it('opens an existing database again (a restart) and keeps its rows', async () => {
      const { knex, store } = await open();
      await store.set('p', { baseUrl: 'http://engine:7080', generation: 9 });
      const database = { getClient: async () => knex };
      const reopened = await DatabaseGenerationStore.create({ database });
      expect(await reopened.get('p')).toEqual({
        baseUrl: 'http://engine:7080',
        generation: 9,
      });
      // Its migrations live in their own table, apart from the catalog's.
      expect(
        await knex.schema.hasTable('central_config_provider__knex_migrations'),
      ).toBe(true);
      expect(await knex.schema.hasTable('knex_migrations')).toBe(false);
    });

    it('leaves the schema alone when the database skips migrations', async () => {
      const knex = await databases.init(databaseId);
      await DatabaseGenerationStore.create({
        database: { getClient: async () => knex, migrations: { skip: true } },
      });
      expect(await knex.schema.hasTable('central_config_provider_state')).toBe(
        false,
      );
    });
  },
);
