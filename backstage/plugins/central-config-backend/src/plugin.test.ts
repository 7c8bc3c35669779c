import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { createServer, IncomingMessage, Server } from 'http';
import { AddressInfo } from 'net';
import request from 'supertest';
import { centralConfigPlugin } from './plugin';

const ENGINE_TOKEN = 'engine-secret-7d1c';

type Seen = { url?: string; authorization?: string; body: string };

/** An engine that records what reached it and answers with `answer`. */
async function startEngine(answer: { status: number; body: string }) {
  const seen: Seen[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', chunk => {
      body += chunk;
    });
    req.on('end', () => {
      seen.push({
        url: req.url,
        authorization: req.headers.authorization,
        body,
      });
      res.writeHead(answer.status, { 'Content-Type': 'application/json' });
      res.end(answer.body);
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

async function startBackend(options: {
  baseUrl?: string;
  result?: AuthorizeResult.ALLOW | AuthorizeResult.DENY;
}) {
  const data = options.baseUrl
    ? {
        catalog: {
          providers: {
            centralConfig: { baseUrl: options.baseUrl, token: ENGINE_TOKEN },
          },
        },
      }
    : {};
  const { server } = await startTestBackend({
    features: [
      centralConfigPlugin,
      mockServices.rootConfig.factory({ data }),
      mockServices.permissions.factory({
        result: options.result ?? AuthorizeResult.ALLOW,
      }),
    ],
  });
  return server;
}

describe('POST /api/central-config/sync', () => {
  const accepted = { runs: [{ source: 'example', runId: 42 }] };

  it('starts a run of one source on the engine, with the engine token added server side', async () => {
    const engine = await startEngine({
      status: 202,
      body: JSON.stringify(accepted),
    });
    try {
      const server = await startBackend({ baseUrl: engine.baseUrl });
      const res = await request(server)
        .post('/api/central-config/sync')
        .set('Authorization', mockCredentials.user.header())
        .send({ source: 'example' });
      expect(res.status).toBe(202);
      expect(res.body).toEqual(accepted);
      expect(engine.seen).toEqual([
        {
          url: '/central-config/sync',
          authorization: `Bearer ${ENGINE_TOKEN}`,
          body: '{"source":"example"}',
        },
      ]);
      expect(JSON.stringify(res.body)).not.toContain(ENGINE_TOKEN);
    } finally {
      await engine.close();
    }
  });

  it('syncs every source without a body', async () => {
    const engine = await startEngine({ status: 202, body: '{"runs":[]}' });
    try {
      const server = await startBackend({ baseUrl: engine.baseUrl });
      const res = await request(server)
        .post('/api/central-config/sync')
        .set('Authorization', mockCredentials.user.header());
      expect(res.status).toBe(202);
      expect(engine.seen[0].body).toBe('');
    } finally {
      await engine.close();
    }
  });

  it('refuses users the permission policy denies, without calling the engine', async () => {
    const engine = await startEngine({ status: 202, body: '{"runs":[]}' });
    try {
      const server = await startBackend({
        baseUrl: engine.baseUrl,
        result: AuthorizeResult.DENY,
      });
      const res = await request(server)
        .post('/api/central-config/sync')
        .set('Authorization', mockCredentials.user.header())
        .send({ source: 'example' });
      expect(res.status).toBe(403);
      expect(res.body.error.message).toContain('central-config.sync.run');
      expect(engine.seen).toHaveLength(0);
    } finally {
      await engine.close();
    }
  });

  it('refuses callers without Backstage credentials', async () => {
    const engine = await startEngine({ status: 202, body: '{"runs":[]}' });
    try {
      const server = await startBackend({ baseUrl: engine.baseUrl });
      const res = await request(server)
        .post('/api/central-config/sync')
        .set('Authorization', mockCredentials.none.header());
      expect(res.status).toBe(401);
      expect(engine.seen).toHaveLength(0);
    } finally {
      await engine.close();
    }
  });

  it.each([
    ['that is not an id', '../entities'],
    ['ending in "-", which the engine refuses in its config', 'team-'],
    ['longer than 63 characters', 'a'.repeat(64)],
  ])('rejects a source %s, without calling the engine', async (_, source) => {
    const engine = await startEngine({ status: 202, body: '{"runs":[]}' });
    try {
      const server = await startBackend({ baseUrl: engine.baseUrl });
      const res = await request(server)
        .post('/api/central-config/sync')
        .set('Authorization', mockCredentials.user.header())
        .send({ source });
      expect(res.status).toBe(400);
      expect(res.body.error.message).toContain('source');
      expect(engine.seen).toHaveLength(0);
    } finally {
      await engine.close();
    }
  });

  it("passes the engine's own answer on, e.g. an unknown source", async () => {
    const notFound = {
      error: { code: 'not-found', message: 'no source "nope"' },
    };
    const engine = await startEngine({
      status: 404,
      body: JSON.stringify(notFound),
    });
    try {
      const server = await startBackend({ baseUrl: engine.baseUrl });
      const res = await request(server)
        .post('/api/central-config/sync')
        .set('Authorization', mockCredentials.user.header())
        .send({ source: 'nope' });
      expect(res.status).toBe(404);
      expect(res.body).toEqual(notFound);
    } finally {
      await engine.close();
    }
  });

  it('says the engine refused its token as a server problem, not a sign-in problem', async () => {
    const engine = await startEngine({
      status: 401,
      body: '{"error":{"code":"unauthorized","message":"bad token"}}',
    });
    try {
      const server = await startBackend({ baseUrl: engine.baseUrl });
      const res = await request(server)
        .post('/api/central-config/sync')
        .set('Authorization', mockCredentials.user.header());
      expect(res.status).toBe(503);
      expect(res.body.error.message).toContain(
        'catalog.providers.centralConfig.token',
      );
      expect(JSON.stringify(res.body)).not.toContain(ENGINE_TOKEN);
    } finally {
      await engine.close();
    }
  });

  it('answers 503 with what to do when the engine is down', async () => {
    const engine = await startEngine({ status: 202, body: '{}' });
    await engine.close();
    const server = await startBackend({ baseUrl: engine.baseUrl });
    const res = await request(server)
      .post('/api/central-config/sync')
      .set('Authorization', mockCredentials.user.header());
    expect(res.status).toBe(503);
    expect(res.body.error.message).toContain('cannot be reached');
    expect(res.body.error.message).toContain(engine.baseUrl);
  });

  it('answers 503 when no engine is configured', async () => {
    const server = await startBackend({});
    const res = await request(server)
      .post('/api/central-config/sync')
      .set('Authorization', mockCredentials.user.header());
    expect(res.status).toBe(503);
    expect(res.body.error.message).toContain(
      'catalog.providers.centralConfig.baseUrl',
    );
  });

  it('refuses to start with several engines and none named default', async () => {
    await expect(
      startTestBackend({
        features: [
          centralConfigPlugin,
          mockServices.rootConfig.factory({
            data: {
              catalog: {
                providers: {
                  centralConfig: {
                    production: { baseUrl: 'http://engine-a:7080' },
                    staging: { baseUrl: 'http://engine-b:7080' },
                  },
                },
              },
            },
          }),
        ],
      }),
    ).rejects.toThrow(
      /catalog\.providers\.centralConfig\.default.*Sync now starts runs on the instance named default/,
    );
  });

  it('starts runs on the instance default among several', async () => {
    const engine = await startEngine({
      status: 202,
      body: JSON.stringify({ runs: [] }),
    });
    try {
      const { server } = await startTestBackend({
        features: [
          centralConfigPlugin,
          mockServices.rootConfig.factory({
            data: {
              catalog: {
                providers: {
                  centralConfig: {
                    staging: { baseUrl: 'http://127.0.0.1:9' },
                    default: { baseUrl: engine.baseUrl, token: ENGINE_TOKEN },
                  },
                },
              },
            },
          }),
          mockServices.permissions.factory({ result: AuthorizeResult.ALLOW }),
        ],
      });
      const res = await request(server)
        .post('/api/central-config/sync')
        .set('Authorization', mockCredentials.user.header());
      expect(res.status).toBe(202);
      expect(engine.seen.map(s => s.authorization)).toEqual([
        `Bearer ${ENGINE_TOKEN}`,
      ]);
    } finally {
      await engine.close();
    }
  });
});
