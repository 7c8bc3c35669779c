import { component, FakeEngine } from '../testUtils/FakeEngine';
import { EngineClient } from './EngineClient';

describe('EngineClient', () => {
  let engine: FakeEngine;
  let client: EngineClient;

  beforeEach(async () => {
    engine = await FakeEngine.start();
    client = new EngineClient({ baseUrl: engine.baseUrl, token: engine.token });
  });

  afterEach(async () => {
    await engine.stop();
  });

  it('reads the full list', async () => {
    engine.publish({ upsert: [component('orders')] });
    await expect(client.getFull({})).resolves.toEqual({
      kind: 'full',
      generation: 1,
      entities: [component('orders')],
    });
    expect(engine.requests[0].headers).toMatchObject({
      accept: 'application/json',
      authorization: 'Bearer engine-token',
    });
    expect(engine.requests[0].headers['if-none-match']).toBeUndefined();
  });

  it('asks for changes with since and the ETag, and reads 304 as nothing new', async () => {
    engine.publish({ upsert: [component('orders')] });
    await expect(client.getChanges({ since: 1 })).resolves.toEqual({
      kind: 'not-modified',
    });
    expect(engine.requests[0].url).toBe('/central-config/entities?since=1');
    expect(engine.requests[0].headers['if-none-match']).toBe('"1"');
  });

  it.each([
    ['410 generation-too-old', 410, 'generation-too-old'],
    ['400 generation-ahead', 400, 'generation-ahead'],
  ])(
    'tells the caller to read the full list on %s',
    async (_name, status, code) => {
      engine.override = () => ({
        status,
        body: JSON.stringify({
          error: { code, message: 'read the full list' },
        }),
      });
      await expect(client.getChanges({ since: 3 })).resolves.toEqual({
        kind: 'read-full',
        code,
        message: 'read the full list',
      });
    },
  );

  it('fails on any other 400', async () => {
    engine.override = () => ({
      status: 400,
      body: '{"error":{"code":"bad-request","message":"since is not a number"}}',
    });
    await expect(client.getChanges({ since: 3 })).rejects.toThrow(
      /answered 400 \(bad-request: since is not a number\)/,
    );
  });

  it('fails when a delta is not since the generation asked for', async () => {
    engine.override = () => ({
      status: 200,
      body: '{"kind":"delta","generation":5,"since":2,"upserts":[],"removals":[]}',
    });
    await expect(client.getChanges({ since: 3 })).rejects.toThrow(
      /answered a delta since 2, expected since 3/,
    );
  });

  it('fails when the changes come as a full list or the full list as a delta', async () => {
    engine.override = () => ({
      status: 200,
      body: '{"kind":"full","generation":5,"entities":[]}',
    });
    await expect(client.getChanges({ since: 3 })).rejects.toThrow(
      /answered the full list, expected a delta/,
    );
    engine.override = () => ({
      status: 200,
      body: '{"kind":"delta","generation":5,"since":2,"upserts":[],"removals":[]}',
    });
    await expect(client.getFull({})).rejects.toThrow(
      /answered a delta, expected the full list/,
    );
  });

  it('does not take a 304 or a 410 as an answer to a full read', async () => {
    engine.override = () => ({ status: 304 });
    await expect(client.getFull({})).rejects.toThrow(/answered 304/);
    engine.override = () => ({
      status: 410,
      body: '{"error":{"code":"generation-too-old","message":"x"}}',
    });
    await expect(client.getFull({})).rejects.toThrow(/answered 410/);
  });

  it('does not take a full list the engine served from memory during a database outage', async () => {
    engine.override = () => ({
      status: 200,
      headers: { 'x-central-config-store': 'unavailable' },
      body: JSON.stringify({
        kind: 'full',
        generation: 1,
        entities: [component('orders')],
      }),
    });
    await expect(client.getFull({})).rejects.toThrow(
      /answered the list the engine kept in memory while its database is unavailable \(X-Central-Config-Store: unavailable\)/,
    );
  });

  it('posts an acknowledgement with the token', async () => {
    engine.publish({ upsert: [component('orders')] });
    await client.ack({ consumer: 'backstage', generation: 1 });
    expect(engine.requests[0]).toMatchObject({
      method: 'POST',
      url: '/central-config/catalog-acks',
      body: { consumer: 'backstage', generation: 1 },
    });
    expect(engine.requests[0].headers).toMatchObject({
      authorization: 'Bearer engine-token',
      'content-type': 'application/json',
    });
    expect(engine.acks).toEqual([{ consumer: 'backstage', generation: 1 }]);
  });

  it('reports a refused acknowledgement without the token', async () => {
    const wrong = new EngineClient({
      baseUrl: engine.baseUrl,
      token: 'wrong-token',
    });
    const error: Error = await wrong
      .ack({ consumer: 'backstage', generation: 0 })
      .then(() => new Error('the ack was accepted'))
      .catch(e => e);
    expect(error.message).toMatch(
      /^POST http:\/\/127\.0\.0\.1:\d+\/central-config\/catalog-acks answered 401 \(unauthorized: bearer token missing or wrong\)$/,
    );
    expect(error.message).not.toContain('wrong-token');
  });

  it('keeps a path prefix of the base URL', async () => {
    const prefixed = new EngineClient({ baseUrl: `${engine.baseUrl}/cc` });
    await expect(prefixed.getFull({})).rejects.toThrow(/answered 404/);
    expect(engine.requests[0].url).toBe('/cc/central-config/entities');
    expect(engine.requests[0].headers.authorization).toBeUndefined();
  });
});
