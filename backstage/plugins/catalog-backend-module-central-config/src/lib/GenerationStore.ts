import {
  DatabaseService,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import { Knex } from 'knex';

/** The generation a provider last applied, and the engine it came from. */
export type AppliedGeneration = {
  baseUrl: string;
  generation: number;
};

/** Where a provider keeps the generation it applied, across restarts. */
export interface GenerationStore {
  get(providerName: string): Promise<AppliedGeneration | undefined>;
  set(providerName: string, applied: AppliedGeneration): Promise<void>;
}

const TABLE = 'central_config_provider_state';

// Our own migrations table: the module shares the catalog's database and
// must not mix its migrations into the catalog's knex_migrations.
const MIGRATIONS_TABLE = 'central_config_provider__knex_migrations';

const migrationsDir = resolvePackagePath(
  '@central-config/backstage-plugin-catalog-backend-module-central-config',
  'migrations',
);

/**
 * Keeps the applied generation in a table of the catalog's database, beside
 * the entities it describes: a catalog whose database is new (or in memory)
 * has no generation either and reads the full list, and one that kept its
 * entities resumes with a delta.
 */
export class DatabaseGenerationStore implements GenerationStore {
  /** Opens the store, applying its migrations unless the database skips them. */
  static async create(options: {
    database: DatabaseService;
  }): Promise<DatabaseGenerationStore> {
    const knex = await options.database.getClient();
    if (!options.database.migrations?.skip) {
      await knex.migrate.latest({
        directory: migrationsDir,
        tableName: MIGRATIONS_TABLE,
      });
    }
    return new DatabaseGenerationStore(knex);
  }

  private constructor(private readonly knex: Knex) {}

  async get(providerName: string): Promise<AppliedGeneration | undefined> {
    const row = await this.knex(TABLE)
      .where({ provider_name: providerName })
      .first(['base_url', 'generation']);
    if (!row) {
      return undefined;
    }
    // PostgreSQL returns bigint columns as strings.
    return { baseUrl: row.base_url, generation: Number(row.generation) };
  }

  async set(providerName: string, applied: AppliedGeneration): Promise<void> {
    await this.knex(TABLE)
      .insert({
        provider_name: providerName,
        base_url: applied.baseUrl,
        generation: applied.generation,
        updated_at: this.knex.fn.now(),
      })
      .onConflict('provider_name')
      .merge(['base_url', 'generation', 'updated_at']);
  }
}
