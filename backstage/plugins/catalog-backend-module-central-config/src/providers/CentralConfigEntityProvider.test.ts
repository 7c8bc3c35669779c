import { TestDatabases } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import {
  EntityProviderConnection,
  EntityProviderMutation,
} from '@backstage/plugin-catalog-node';
import { EventsService } from '@backstage/plugin-events-node';
import {
  SchedulerService,
  SchedulerServiceTaskRunner,
} from '@backstage/backend-plugin-api';
import { CapturingLogger } from '../__testUtils__/CapturingLogger';
import {
  component,
  FakeEngine,
} from '@central-config/backstage-plugin-central-config-node/testUtils';
import {
  DatabaseGenerationStore,
  GenerationStore,
} from '../lib/GenerationStore';
import {
  CENTRAL_CONFIG_EVENT_TOPIC,
  CentralConfigEntityProvider,
} from './CentralConfigEntityProvider';
import {
  CentralConfigEntityProviderConfig,
  DEFAULT_SCHEDULE,
  readCentralConfigEntityProviderConfigs,
} from '@central-config/backstage-plugin-central-config-node';

const LOCATION_KEY = 'central-config-provider:backstage';

const databases = TestDatabases.create({
  ids: ['SQLITE_3'],
  disableDocker: true,
});

describe('CentralConfigEntityProvider', () => {
  let engine: FakeEngine;
  let store: GenerationStore;
  let logger: CapturingLogger;

  beforeEach(async () => {
    engine = await FakeEngine.start();
    const knex = await databases.init('SQLITE_3');
    store = await DatabaseGenerationStore.create({
      database: { getClient: async () => knex },
    });
    logger = new CapturingLogger();
  });

  afterEach(async () => {
    await engine.stop();
  });

  function config(
    overrides: Partial<CentralConfigEntityProviderConfig> = {},
  ): CentralConfigEntityProviderConfig {
    return {
      id: 'default',
      configKey: 'catalog.providers.centralConfig',
      baseUrl: engine.baseUrl,
      token: engine.token,
      consumer: 'backstage',
      eventsTopic: CENTRAL_CONFIG_EVENT_TOPIC,
      schedule: DEFAULT_SCHEDULE,
      timeoutMs: 5_000,
      ...overrides,
    };
  }

  // A provider connected to a catalog that records the mutations.
  async function connected(
    overrides: Partial<CentralConfigEntityProviderConfig> = {},
  ) {
    const provider = new CentralConfigEntityProvider({
      config: config(overrides),
      logger,
      store,
    });
    const mutations: EntityProviderMutation[] = [];
    const connection: EntityProviderConnection = {
      applyMutation: jest.fn(async (m: EntityProviderMutation) => {
        mutations.push(m);
      }),
      refresh: jest.fn(),
    };
    await provider.connect(connection);
    return { provider, mutations, connection };
  }

  // A connected provider whose catalog refuses the first mutation, after
  // the engine published orders.
  async function refusedOnce(error: Error) {
    engine.publish({ upsert: [component('orders')] });
    const c = await connected();
    (c.connection.applyMutation as jest.Mock).mockRejectedValueOnce(error);
    return c;
  }

  // The first two runs of a provider name without a stored generation: both
  // read the full list (see 'a new provider name'); deltas come after.
  async function firstRuns(provider: CentralConfigEntityProvider) {
    await provider.refresh();
    await provider.refresh();
  }

  it('has a stable name with the consumer', () => {
    const provider = new CentralConfigEntityProvider({
      config: config({ consumer: 'portal-eu' }),
      logger,
      store,
    });
    expect(provider.getProviderName()).toBe(
      'central-config-provider:portal-eu',
    );
  });

  it('applies the full list on the first run, with its location key, and acks it', async () => {
    engine.publish({ upsert: [component('orders'), component('payments')] });
    const { provider, mutations } = await connected();

    await provider.refresh();

    expect(engine.entityReads()).toEqual(['/central-config/entities']);
    expect(mutations).toEqual([
      {
        type: 'full',
        entities: [
          { entity: component('orders'), locationKey: LOCATION_KEY },
          { entity: component('payments'), locationKey: LOCATION_KEY },
        ],
      },
    ]);
    expect(engine.acks).toEqual([{ consumer: 'backstage', generation: 1 }]);
    expect(await store.get(LOCATION_KEY)).toEqual({
      baseUrl: engine.baseUrl,
      generation: 1,
    });
    expect(logger.at('info')).toContain(
      'Applied the full list: 2 entities at generation 1',
    );
  });

  it('sends the token on reads and acks', async () => {
    engine.publish({ upsert: [component('orders')] });
    const { provider } = await connected();
    await provider.refresh();
    expect(engine.requests.map(r => r.headers.authorization)).toEqual([
      'Bearer engine-token',
      'Bearer engine-token',
    ]);
  });

  it('does nothing when the engine answers 304', async () => {
    engine.publish({ upsert: [component('orders')] });
    const { provider, mutations } = await connected();
    await firstRuns(provider);

    await provider.refresh();

    const read = engine.requests[engine.requests.length - 1];
    expect(read.url).toBe('/central-config/entities?since=1');
    expect(read.headers['if-none-match']).toBe('"1"');
    expect(mutations).toHaveLength(2);
    // Generation 1 was acknowledged already.
    expect(engine.acks).toEqual([{ consumer: 'backstage', generation: 1 }]);
  });

  it('applies a delta: upserts with the location key, removals as catalog refs', async () => {
    engine.publish({
      upsert: [component('orders'), component('Payments'), component('stock')],
    });
    const { provider, mutations } = await connected();
    await firstRuns(provider);

    engine.publish({ upsert: [component('orders', 'changed')] });
    engine.publish({
      upsert: [component('invoices')],
      remove: ['component:default/Payments'],
    });
    await provider.refresh();

    expect(engine.entityReads()[2]).toBe('/central-config/entities?since=1');
    expect(mutations[2]).toEqual({
      type: 'delta',
      added: [
        { entity: component('orders', 'changed'), locationKey: LOCATION_KEY },
        { entity: component('invoices'), locationKey: LOCATION_KEY },
      ],
      removed: [{ entityRef: 'component:default/payments' }],
    });
    expect(engine.acks.map(a => a.generation)).toEqual([1, 3]);
    expect((await store.get(LOCATION_KEY))?.generation).toBe(3);
    expect(logger.at('info')).toContain(
      'Applied the changes from generation 1 to 3: 2 added or changed, 1 removed',
    );
  });

  it('reads the full list when the engine answers 410 generation-too-old', async () => {
    engine.publish({ upsert: [component('orders')] });
    const { provider, mutations } = await connected();
    await firstRuns(provider);

    engine.publish({ upsert: [component('payments')] });
    engine.publish({ remove: ['component:default/orders'] });
    engine.oldestDelta = 2;
    await provider.refresh();

    expect(engine.entityReads()).toEqual([
      '/central-config/entities',
      '/central-config/entities',
      '/central-config/entities?since=1',
      '/central-config/entities',
    ]);
    expect(mutations[2]).toEqual({
      type: 'full',
      entities: [{ entity: component('payments'), locationKey: LOCATION_KEY }],
    });
    expect(engine.acks.map(a => a.generation)).toEqual([1, 3]);
    expect(logger.at('info').join('\n')).toMatch(
      /no delta since generation 1 \(generation-too-old/,
    );
  });

  it('reads the full list when the engine is behind the stored generation', async () => {
    await store.set(LOCATION_KEY, { baseUrl: engine.baseUrl, generation: 40 });
    engine.publish({ upsert: [component('orders')] });
    const { provider, mutations } = await connected();

    await provider.refresh();

    expect(engine.entityReads()).toEqual([
      '/central-config/entities?since=40',
      '/central-config/entities',
    ]);
    expect(mutations.map(m => m.type)).toEqual(['full']);
    expect((await store.get(LOCATION_KEY))?.generation).toBe(1);
  });

  it('resumes from the stored generation after a restart', async () => {
    engine.publish({ upsert: [component('orders')] });
    const first = await connected();
    await first.provider.refresh();

    engine.publish({ upsert: [component('payments')] });
    const second = await connected();
    await second.provider.refresh();

    expect(engine.entityReads()).toEqual([
      '/central-config/entities',
      '/central-config/entities?since=1',
    ]);
    expect(second.mutations).toEqual([
      {
        type: 'delta',
        added: [{ entity: component('payments'), locationKey: LOCATION_KEY }],
        removed: [],
      },
    ]);
  });

  it('acks the stored generation after a restart even when nothing changed', async () => {
    engine.publish({ upsert: [component('orders')] });
    await (await connected()).provider.refresh();

    const restarted = await connected();
    await restarted.provider.refresh();

    expect(restarted.mutations).toEqual([]);
    expect(engine.acks.map(a => a.generation)).toEqual([1, 1]);
  });

  it('reads the full list when the engine URL changed', async () => {
    await store.set(LOCATION_KEY, {
      baseUrl: 'http://old-engine:7080',
      generation: 7,
    });
    engine.publish({ upsert: [component('orders')] });
    const { provider, mutations } = await connected();

    await provider.refresh();

    expect(engine.entityReads()).toEqual(['/central-config/entities']);
    expect(mutations.map(m => m.type)).toEqual(['full']);
  });

  describe('when the engine fails', () => {
    it.each([
      [
        'a server error',
        () => ({
          status: 500,
          body: '{"error":{"code":"internal","message":"database is locked"}}',
        }),
        /answered 500 \(internal: database is locked\)/,
      ],
      [
        'a rejected token',
        () => ({
          status: 401,
          body: '{"error":{"code":"unauthorized","message":"bearer token missing or wrong"}}',
        }),
        /answered 401 \(unauthorized/,
      ],
      [
        'malformed JSON',
        () => ({ status: 200, body: '{"kind":"full","generation":' }),
        /malformed body/,
      ],
      [
        'a body of the wrong shape',
        () => ({
          status: 200,
          body: '{"kind":"full","generation":2,"entities":[{"kind":"Component"}]}',
        }),
        /invalid body: entities\[0\]\.apiVersion is not a non-empty string/,
      ],
      [
        'a body without its entity list',
        () => ({ status: 200, body: '{"kind":"full","generation":2}' }),
        /invalid body: entities is not an array/,
      ],
      [
        'a full list served from memory while its database is down',
        () => ({
          status: 200,
          headers: { 'x-central-config-store': 'unavailable' },
          body: '{"kind":"full","generation":1,"entities":[]}',
        }),
        /kept in memory while its database is unavailable/,
      ],
      [
        'a database outage with an old list in memory',
        () => ({
          status: 503,
          headers: { 'x-central-config-store': 'unavailable' },
          body: '{"error":{"code":"store-unavailable","message":"the engine\'s database cannot be read"}}',
        }),
        /answered 503 \(store-unavailable: the engine's database cannot be read\)/,
      ],
      [
        'a transfer that breaks off',
        () => 'destroy' as const,
        /broken or malformed body/,
      ],
    ])(
      'keeps the catalog as it is on %s, and logs it once per outage',
      async (_name, override, reason) => {
        engine.publish({ upsert: [component('orders')] });
        const { provider, mutations } = await connected();
        engine.override = override;

        await provider.refresh();
        await provider.refresh();
        await provider.refresh();

        expect(mutations).toEqual([]);
        expect(engine.acks).toEqual([]);
        expect(await store.get(LOCATION_KEY)).toBeUndefined();
        expect(logger.at('error')).toHaveLength(1);
        expect(logger.at('error')[0]).toMatch(reason);
        expect(logger.at('error')[0]).toMatch(
          /the catalog keeps the entities it has/,
        );
        expect(logger.at('error')[0]).not.toContain(engine.token);

        engine.override = undefined;
        await provider.refresh();

        expect(mutations.map(m => m.type)).toEqual(['full']);
        expect(logger.at('info').join('\n')).toMatch(
          /recovered after 3 failed attempts/,
        );
        expect(logger.at('error')).toHaveLength(1);
      },
    );

    it('keeps the catalog when the engine is unreachable, and recovers', async () => {
      engine.publish({ upsert: [component('orders')] });
      const { provider, mutations } = await connected();
      await firstRuns(provider);
      await engine.stop();

      await provider.refresh();
      await provider.refresh();

      expect(mutations).toHaveLength(2);
      expect(logger.at('error')).toHaveLength(1);
      expect(logger.at('error')[0]).toMatch(
        // A pooled connection sees the close; a new one is refused.
        /GET http:\/\/127\.0\.0\.1:\d+\/central-config\/entities\?since=1 failed: fetch failed: (other side closed|.*ECONNREFUSED)/,
      );

      await engine.listen();
      engine.publish({ upsert: [component('payments')] });
      await provider.refresh();

      expect(mutations.map(m => m.type)).toEqual(['full', 'full', 'delta']);
      expect(logger.at('info').join('\n')).toMatch(
        /recovered after 2 failed attempts/,
      );
    });

    it('keeps the catalog when a delta is malformed', async () => {
      engine.publish({ upsert: [component('orders')] });
      const { provider, mutations } = await connected();
      await firstRuns(provider);
      engine.publish({ remove: ['component:default/orders'] });
      engine.override = req =>
        req.url.includes('since')
          ? {
              status: 200,
              body: '{"kind":"delta","generation":2,"since":1,"upserts":[],"removals":["orders"]}',
            }
          : undefined;

      await provider.refresh();

      expect(mutations).toHaveLength(2);
      expect(logger.at('error')[0]).toMatch(
        /removals\[0\] "orders" is not a full ref/,
      );
      expect((await store.get(LOCATION_KEY))?.generation).toBe(1);
    });

    it('does not store the generation when the catalog refuses the mutation', async () => {
      const { provider } = await refusedOnce(
        new TypeError('Malformed entity envelope'),
      );

      await provider.refresh();

      expect(await store.get(LOCATION_KEY)).toBeUndefined();
      expect(engine.acks).toEqual([]);
      expect(logger.at('error')[0]).toMatch(/Malformed entity envelope/);
    });
  });

  describe('acknowledgements', () => {
    it('retries a failed ack on the next run, logging it once', async () => {
      engine.publish({ upsert: [component('orders')] });
      const { provider } = await connected();
      engine.override = req =>
        req.method === 'POST'
          ? { status: 503, body: 'upstream unavailable' }
          : undefined;

      await provider.refresh();
      await provider.refresh();

      expect(logger.at('warn')).toHaveLength(1);
      expect(logger.at('warn')[0]).toMatch(
        /Acknowledging .* failed: POST .*catalog-acks answered 503 \(upstream unavailable\)/,
      );

      engine.override = undefined;
      await provider.refresh();

      expect(engine.acks).toEqual([{ consumer: 'backstage', generation: 1 }]);
      expect(logger.at('info').join('\n')).toMatch(
        /Acknowledging .* recovered after 2 failed attempts/,
      );
    });

    it('reads without a token and never acks', async () => {
      engine.publish({ upsert: [component('orders')] });
      const { provider, mutations } = await connected({ token: undefined });

      await provider.refresh();

      expect(mutations.map(m => m.type)).toEqual(['full']);
      expect(engine.requests.map(r => r.method)).toEqual(['GET']);
      expect(engine.requests[0].headers.authorization).toBeUndefined();
      expect(logger.at('warn')[0]).toMatch(/does not acknowledge/);
    });
  });

  it('fills in the location annotations the catalog needs when the engine leaves them out', async () => {
    const bare = component('orders');
    bare.metadata.annotations = { 'central-config.io/file': 'x.yaml' };
    engine.publish({ upsert: [bare] });
    const { provider, mutations } = await connected();

    await provider.refresh();

    const [mutation] = mutations;
    expect(
      mutation.type === 'full' &&
        mutation.entities[0].entity.metadata.annotations,
    ).toEqual({
      'backstage.io/managed-by-location': `url:${engine.baseUrl}/central-config/entities`,
      'backstage.io/managed-by-origin-location': `url:${engine.baseUrl}/central-config/entities`,
      'central-config.io/file': 'x.yaml',
    });
  });

  it('runs on its schedule and on the engine events', async () => {
    const taskRunner: jest.Mocked<SchedulerServiceTaskRunner> = {
      run: jest.fn(),
    };
    const events: jest.Mocked<EventsService> = {
      publish: jest.fn(),
      subscribe: jest.fn(),
    };
    const provider = new CentralConfigEntityProvider({
      config: config(),
      logger,
      store,
      taskRunner,
      events,
    });
    const connection = { applyMutation: jest.fn(), refresh: jest.fn() };
    await provider.connect(connection);

    expect(taskRunner.run).toHaveBeenCalledWith({
      id: 'central-config-provider:backstage:refresh',
      fn: expect.any(Function),
    });
    expect(events.subscribe).toHaveBeenCalledWith({
      id: 'central-config-provider:backstage',
      topics: [CENTRAL_CONFIG_EVENT_TOPIC],
      onEvent: expect.any(Function),
    });

    engine.publish({ upsert: [component('orders')] });
    const { fn } = taskRunner.run.mock.calls[0][0];
    await fn(new AbortController().signal);
    await fn(new AbortController().signal);
    expect(connection.applyMutation).toHaveBeenCalledTimes(2);

    engine.publish({ upsert: [component('payments')] });
    const { onEvent } = events.subscribe.mock.calls[0][0];
    await onEvent({ topic: CENTRAL_CONFIG_EVENT_TOPIC, eventPayload: {} });
    expect(connection.applyMutation).toHaveBeenCalledTimes(3);
    expect(connection.applyMutation.mock.calls[2][0].type).toBe('delta');
  });

  it('runs once more when called during a run, since that run may have read too early', async () => {
    engine.publish({ upsert: [component('orders')] });
    const { provider, mutations } = await connected();
    const generation1 = JSON.stringify({
      kind: 'full',
      generation: 1,
      entities: [component('orders')],
    });
    engine.override = req => {
      if (req.url !== '/central-config/entities') {
        return undefined;
      }
      // A commit lands while the first run reads generation 1.
      engine.override = undefined;
      engine.publish({ upsert: [component('payments')] });
      return { status: 200, body: generation1 };
    };

    await Promise.all([
      provider.refresh(),
      provider.refresh(),
      provider.refresh(),
    ]);

    // One run, then exactly one follow-up for the two calls made during it
    // (a full read too: the first run of a new provider name is confirmed
    // by a second full read).
    expect(engine.entityReads()).toEqual([
      '/central-config/entities',
      '/central-config/entities',
    ]);
    expect(mutations.map(m => m.type)).toEqual(['full', 'full']);
    expect(engine.acks.map(a => a.generation)).toEqual([1, 2]);
  });

  it('gives up a run that exceeds the timeout, keeping the catalog', async () => {
    engine.publish({ upsert: [component('orders')] });
    const { provider, mutations } = await connected({ timeoutMs: 200 });
    engine.override = () => 'hang';

    await provider.refresh();

    expect(mutations).toEqual([]);
    expect(logger.at('error')[0]).toMatch(
      /GET .*\/central-config\/entities failed: TimeoutError/,
    );
  });

  describe('several instances', () => {
    let staging: FakeEngine;

    beforeEach(async () => {
      staging = await FakeEngine.start();
    });

    afterEach(async () => {
      await staging.stop();
    });

    function instances(): CentralConfigEntityProviderConfig[] {
      return readCentralConfigEntityProviderConfigs(
        new ConfigReader({
          catalog: {
            providers: {
              centralConfig: {
                production: { baseUrl: engine.baseUrl, token: engine.token },
                staging: {
                  baseUrl: staging.baseUrl,
                  token: staging.token,
                  eventsTopic: 'central-config-staging',
                },
              },
            },
          },
        }),
      ).map(c => ({ ...c, timeoutMs: 5_000 }));
    }

    async function connectAll(options: { events?: EventsService } = {}) {
      return Promise.all(
        instances().map(async c => {
          const provider = new CentralConfigEntityProvider({
            config: c,
            logger,
            store,
            events: options.events,
          });
          const mutations: EntityProviderMutation[] = [];
          await provider.connect({
            applyMutation: async m => {
              mutations.push(m);
            },
            refresh: jest.fn(),
          });
          return { provider, mutations };
        }),
      );
    }

    it('are named after their ids, the single form after its consumer', () => {
      const name = (c: Partial<CentralConfigEntityProviderConfig>) =>
        new CentralConfigEntityProvider({
          config: config(c),
          logger,
          store,
        }).getProviderName();
      expect(name({ id: 'default', consumer: 'portal' })).toBe(
        'central-config-provider:portal',
      );
      expect(name({ id: 'staging', consumer: 'portal' })).toBe(
        'central-config-provider:staging',
      );
    });

    it('apply their own entities and ack their own generations', async () => {
      engine.publish({ upsert: [component('orders')] });
      engine.publish({ upsert: [component('payments')] });
      staging.publish({ upsert: [component('orders-staging')] });
      const [prod, stage] = await connectAll();

      await Promise.all([prod.provider.refresh(), stage.provider.refresh()]);

      expect(prod.mutations).toEqual([
        {
          type: 'full',
          entities: [
            {
              entity: component('orders'),
              locationKey: 'central-config-provider:production',
            },
            {
              entity: component('payments'),
              locationKey: 'central-config-provider:production',
            },
          ],
        },
      ]);
      expect(stage.mutations).toEqual([
        {
          type: 'full',
          entities: [
            {
              entity: component('orders-staging'),
              locationKey: 'central-config-provider:staging',
            },
          ],
        },
      ]);
      expect(engine.acks).toEqual([{ consumer: 'backstage', generation: 2 }]);
      expect(staging.acks).toEqual([{ consumer: 'backstage', generation: 1 }]);
      expect(await store.get('central-config-provider:production')).toEqual({
        baseUrl: engine.baseUrl,
        generation: 2,
      });
      expect(await store.get('central-config-provider:staging')).toEqual({
        baseUrl: staging.baseUrl,
        generation: 1,
      });

      // Their second runs read the full lists again (new provider names).
      await Promise.all([prod.provider.refresh(), stage.provider.refresh()]);

      // A change in one engine moves only its instance.
      staging.publish({ remove: ['component:default/orders-staging'] });
      await Promise.all([prod.provider.refresh(), stage.provider.refresh()]);

      expect(engine.entityReads()).toEqual([
        '/central-config/entities',
        '/central-config/entities',
        '/central-config/entities?since=2',
      ]);
      expect(prod.mutations).toHaveLength(2);
      expect(stage.mutations[2]).toEqual({
        type: 'delta',
        added: [],
        removed: [{ entityRef: 'component:default/orders-staging' }],
      });
      expect(engine.acks.map(a => a.generation)).toEqual([2]);
      expect(staging.acks.map(a => a.generation)).toEqual([1, 2]);
    });

    it('resume from their own generations after a restart', async () => {
      engine.publish({ upsert: [component('orders')] });
      engine.publish({ upsert: [component('payments')] });
      staging.publish({ upsert: [component('orders-staging')] });
      await Promise.all((await connectAll()).map(i => i.provider.refresh()));

      engine.publish({ upsert: [component('stock')] });
      staging.publish({ upsert: [component('stock-staging')] });
      const restarted = await connectAll();
      await Promise.all(restarted.map(i => i.provider.refresh()));

      expect(engine.entityReads()[1]).toBe('/central-config/entities?since=2');
      expect(staging.entityReads()[1]).toBe('/central-config/entities?since=1');
      expect(restarted.map(i => i.mutations.map(m => m.type))).toEqual([
        ['delta'],
        ['delta'],
      ]);
    });

    it('name the instance key when they have no token', async () => {
      const c = instances()[1];
      const provider = new CentralConfigEntityProvider({
        config: { ...c, token: undefined },
        logger,
        store,
      });
      await provider.connect({ applyMutation: jest.fn(), refresh: jest.fn() });
      expect(logger.at('warn')).toEqual([
        'No catalog.providers.centralConfig.staging.token: the provider reads entities but does not acknowledge them to the engine',
      ]);
    });

    it('each listen to their own events topic', async () => {
      const events: jest.Mocked<EventsService> = {
        publish: jest.fn(),
        subscribe: jest.fn(),
      };
      engine.publish({ upsert: [component('orders')] });
      staging.publish({ upsert: [component('orders-staging')] });
      const [prod, stage] = await connectAll({ events });

      expect(
        events.subscribe.mock.calls.map(([s]) => [s.id, s.topics]),
      ).toEqual([
        ['central-config-provider:production', ['central-config']],
        ['central-config-provider:staging', ['central-config-staging']],
      ]);

      const { onEvent } = events.subscribe.mock.calls[1][0];
      await onEvent({ topic: 'central-config-staging', eventPayload: {} });

      expect(prod.mutations).toEqual([]);
      expect(engine.requests).toEqual([]);
      expect(stage.mutations.map(m => m.type)).toEqual(['full']);
    });
  });

  describe('a new provider name', () => {
    it('reads the full list again on its second run: its first may have come before the catalog evicted the old name', async () => {
      engine.publish({ upsert: [component('orders'), component('payments')] });
      // The renamed instance: the catalog still holds the old name's
      // copies, so it skips these (it records the call and keeps nothing),
      // then its start-up eviction deletes the old copies.
      const { provider, mutations } = await connected({
        id: 'production',
        configKey: 'catalog.providers.centralConfig.production',
      });
      await provider.refresh();
      expect(
        await store.get('central-config-provider:production'),
      ).toMatchObject({ generation: 1 });

      await provider.refresh();

      expect(engine.entityReads()).toEqual([
        '/central-config/entities',
        '/central-config/entities',
      ]);
      expect(mutations.map(m => m.type)).toEqual(['full', 'full']);
      expect(mutations[1]).toEqual(mutations[0]);
      expect(logger.at('info').join('\n')).toMatch(
        /Reading the full list once more: the first read of the new provider name central-config-provider:production/,
      );

      // Once only: then deltas.
      engine.publish({ upsert: [component('stock')] });
      await provider.refresh();
      expect(engine.entityReads()[2]).toBe('/central-config/entities?since=1');
      expect(mutations.map(m => m.type)).toEqual(['full', 'full', 'delta']);
    });

    it('reads the full list again after a first run the catalog refused', async () => {
      const { provider } = await refusedOnce(new Error('database is locked'));
      await provider.refresh();
      await provider.refresh();
      await provider.refresh();

      // Refused (nothing stored), the provisional read, its confirmation.
      expect(engine.entityReads()).toEqual([
        '/central-config/entities',
        '/central-config/entities',
        '/central-config/entities',
      ]);
    });

    it('is not a name with a stored generation (a restart)', async () => {
      await store.set(LOCATION_KEY, { baseUrl: engine.baseUrl, generation: 1 });
      engine.publish({ upsert: [component('orders')] });
      const { provider } = await connected();
      await provider.refresh();
      await provider.refresh();
      expect(engine.entityReads()).toEqual([
        '/central-config/entities?since=1',
        '/central-config/entities?since=1',
      ]);
    });
  });

  describe('events.http.topics', () => {
    async function connectWith(httpTopics?: string[]) {
      const provider = new CentralConfigEntityProvider({
        config: config({
          id: 'staging',
          configKey: 'catalog.providers.centralConfig.staging',
          eventsTopic: 'central-config-staging',
        }),
        logger,
        store,
        httpTopics,
      });
      await provider.connect({ applyMutation: jest.fn(), refresh: jest.fn() });
    }

    it("warns at connect when the list lacks the instance's topic", async () => {
      await connectWith(['central-config']);
      expect(logger.at('warn')).toEqual([
        'events.http.topics does not list catalog.providers.centralConfig.staging\'s events topic "central-config-staging": the events backend refuses the engine\'s announcements (POST /api/events/http/central-config-staging) and the catalog follows the engine only on the schedule; add "central-config-staging" to events.http.topics',
      ]);
    });

    it('is quiet when the list has the topic, or is not configured', async () => {
      await connectWith(['central-config', 'central-config-staging']);
      await connectWith(undefined);
      expect(logger.at('warn')).toEqual([]);
    });

    it('is read from the config by fromConfig', async () => {
      const knex = await databases.init('SQLITE_3');
      const providers = await CentralConfigEntityProvider.fromConfig(
        new ConfigReader({
          catalog: {
            providers: {
              centralConfig: { baseUrl: engine.baseUrl, token: engine.token },
            },
          },
          events: { http: { topics: ['other'] } },
        }),
        {
          logger,
          database: { getClient: async () => knex },
          scheduler: {
            createScheduledTaskRunner: () => ({ run: jest.fn() }),
          } as unknown as SchedulerService,
        },
      );
      await providers[0].connect({
        applyMutation: jest.fn(),
        refresh: jest.fn(),
      });
      expect(logger.at('warn')).toEqual([
        expect.stringMatching(
          /^events.http.topics does not list catalog.providers.centralConfig's events topic "central-config"/,
        ),
      ]);
    });
  });

  it('keeps the generation the single form stored before the upgrade', async () => {
    // A row written by the version before instances existed.
    await store.set('central-config-provider:backstage', {
      baseUrl: engine.baseUrl,
      generation: 1,
    });
    engine.publish({ upsert: [component('orders')] });
    engine.publish({ upsert: [component('payments')] });
    const [single] = readCentralConfigEntityProviderConfigs(
      new ConfigReader({
        catalog: {
          providers: {
            centralConfig: { baseUrl: engine.baseUrl, token: engine.token },
          },
        },
      }),
    );
    const provider = new CentralConfigEntityProvider({
      config: single,
      logger,
      store,
    });
    const connection = { applyMutation: jest.fn(), refresh: jest.fn() };
    await provider.connect(connection);

    await provider.refresh();

    expect(provider.getProviderName()).toBe(
      'central-config-provider:backstage',
    );
    expect(engine.entityReads()).toEqual(['/central-config/entities?since=1']);
    expect(connection.applyMutation).toHaveBeenCalledWith({
      type: 'delta',
      added: [{ entity: component('payments'), locationKey: LOCATION_KEY }],
      removed: [],
    });
  });
});
