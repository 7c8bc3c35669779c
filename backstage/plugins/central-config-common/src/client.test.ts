import { ResponseError } from '@backstage/errors';
import { createServer, IncomingMessage, Server } from 'http';
import { AddressInfo } from 'net';
import {
  CentralConfigEngineClient,
  EngineUnreachableError,
  isEngineUnreachableError,
} from './client';

type Seen = { method?: string; url?: string; body: string };
type Answer = { status: number; body: string };

// A real HTTP server in the place of Backstage (its proxy and the backend
// plugin): it records each request and answers with answer(url).
async function startBackstage(answer: (url: string) => Answer) {
  const seen: Seen[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', chunk => {
      body += chunk;
    });
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, body });
      const a = answer(req.url ?? '');
      res.writeHead(a.status, { 'Content-Type': 'application/json' });
      res.end(a.body);
    });
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    seen,
    close: () => new Promise(resolve => server.close(resolve)),
  };
}

function clientFor(baseUrl: string) {
  return new CentralConfigEngineClient({
    fetchApi: { fetch: (input, init) => fetch(input, init) },
    discoveryApi: { getBaseUrl: async id => `${baseUrl}/api/${id}` },
  });
}

const ok = (body: unknown): Answer => ({
  status: 200,
  body: JSON.stringify(body),
});

// Every call the frontend plugins make: each maps errors the same way.
const EVERY_CALL: [
  string,
  (c: CentralConfigEngineClient) => Promise<object>,
][] = [
  ['getLastSync', c => c.getLastSync()],
  ['getRuns', c => c.getRuns({ source: 'example' })],
  ['getRun', c => c.getRun(42)],
  ['syncNow', c => c.syncNow('example')],
  ['getKafkaTopology', c => c.getKafkaTopology()],
  ['getKafkaClusters', c => c.getKafkaClusters()],
];

describe('CentralConfigEngineClient', () => {
  let backstage: Awaited<ReturnType<typeof startBackstage>>;
  let answer: (url: string) => Answer;

  beforeEach(async () => {
    answer = () => ok({});
    backstage = await startBackstage(url => answer(url));
  });
  afterEach(async () => {
    await backstage.close();
  });

  it('reads the status, runs and the Kafka topology through the proxy entry', async () => {
    const client = clientFor(backstage.baseUrl);
    answer = url =>
      url.startsWith('/api/proxy/central-config/kafka/clusters')
        ? ok({ clusters: [{ name: 'acme-events' }] })
        : ok({ generation: 7 });

    await expect(client.getLastSync()).resolves.toEqual({ generation: 7 });
    await client.getRuns({ source: 'example', before: 12, limit: 10 });
    await client.getRun(42);
    await client.getKafkaTopology({ cluster: 'acme-events', search: '' });
    await expect(client.getKafkaClusters()).resolves.toEqual([
      { name: 'acme-events' },
    ]);

    expect(backstage.seen.map(s => `${s.method} ${s.url}`)).toEqual([
      'GET /api/proxy/central-config/last-sync',
      'GET /api/proxy/central-config/syncs?source=example&before=12&limit=10',
      'GET /api/proxy/central-config/syncs/42',
      'GET /api/proxy/central-config/kafka/topology?cluster=acme-events',
      'GET /api/proxy/central-config/kafka/clusters',
    ]);
  });

  it('starts runs through the backend plugin, one source or all', async () => {
    const client = clientFor(backstage.baseUrl);
    const runs = { runs: [{ source: 'example', runId: 9 }] };
    answer = () => ({ status: 202, body: JSON.stringify(runs) });

    await expect(client.syncNow('example')).resolves.toEqual(runs);
    await client.syncNow();

    expect(backstage.seen).toEqual([
      {
        method: 'POST',
        url: '/api/central-config/sync',
        body: '{"source":"example"}',
      },
      { method: 'POST', url: '/api/central-config/sync', body: '{}' },
    ]);
  });

  describe.each(EVERY_CALL)('%s', (_, call) => {
    it.each([502, 503, 504])(
      "reports HTTP %i without the engine's error body as an engine that cannot be reached",
      async status => {
        answer = () => ({
          status,
          body: JSON.stringify({ error: { message: 'connect ECONNREFUSED' } }),
        });

        const error = await call(clientFor(backstage.baseUrl)).catch(e => e);
        expect(error).toBeInstanceOf(EngineUnreachableError);
        expect(error.status).toBe(status);
        expect(error.message).toBe(
          `The central-config engine does not answer (HTTP ${status}): connect ECONNREFUSED`,
        );
      },
    );

    it("reports the engine's own 503 as the engine's error", async () => {
      answer = () => ({
        status: 503,
        body: '{"error":{"code":"not-ready","message":"store: connection refused"}}',
      });

      const error = await call(clientFor(backstage.baseUrl)).catch(e => e);
      expect(isEngineUnreachableError(error)).toBe(false);
      expect(error.message).toBe(
        'The central-config engine answered HTTP 503 not-ready: store: connection refused',
      );
    });

    it('reports a Backstage that does not answer as unreachable', async () => {
      const { baseUrl } = backstage;
      await backstage.close();
      backstage = await startBackstage(() => ok({})); // for afterEach

      const error = await call(clientFor(baseUrl)).catch(e => e);
      expect(error).toBeInstanceOf(EngineUnreachableError);
      expect(error.message).toMatch(/^Backstage cannot be reached: /);
    });
  });

  it.each([
    ['kafka-unavailable', 'this engine serves no Kafka topology'],
    ['not-ready', 'store: connection refused'],
    ['too-many-connections', 'the engine has 512 connections open'],
  ])(
    "reports the engine's own 503 %s as the engine's error, not as an engine that cannot be reached",
    async (code, message) => {
      const client = clientFor(backstage.baseUrl);
      answer = () => ({
        status: 503,
        body: JSON.stringify({ error: { code, message } }),
      });

      const error = await client.getKafkaTopology().catch(e => e);
      expect(isEngineUnreachableError(error)).toBe(false);
      expect(error.name).toBe('ResponseError');
      expect(error.statusCode).toBe(503);
      expect(error.cause.name).toBe(code);
      expect(error.cause.message).toBe(message);
      expect(error.message).toBe(
        `The central-config engine answered HTTP 503 ${code}: ${message}`,
      );
    },
  );

  it('tells an unreachable engine by the error name, whichever copy of this package made it', () => {
    const fromAnotherCopy = Object.assign(new Error('no engine'), {
      name: 'EngineUnreachableError',
    });
    expect(isEngineUnreachableError(fromAnotherCopy)).toBe(true);
    expect(isEngineUnreachableError(new EngineUnreachableError('x'))).toBe(
      true,
    );
    expect(isEngineUnreachableError(new Error('x'))).toBe(false);
    expect(isEngineUnreachableError(undefined)).toBe(false);
  });

  it('reports any other failure as the HTTP error it is', async () => {
    const client = clientFor(backstage.baseUrl);
    answer = () => ({
      status: 403,
      body: JSON.stringify({
        error: { name: 'NotAllowedError', message: 'You may not start syncs' },
      }),
    });

    const error = await client.syncNow('example').catch(e => e);
    expect(error).toBeInstanceOf(ResponseError);
    expect(error).not.toBeInstanceOf(EngineUnreachableError);
    expect(error.response.status).toBe(403);
  });
});
