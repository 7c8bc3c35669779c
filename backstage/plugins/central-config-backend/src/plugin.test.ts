import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { FakeEngine } from '@central-config/backstage-plugin-central-config-node/testUtils';
import request from 'supertest';
import { centralConfigPlugin } from './plugin';

const ENGINE_TOKEN = 'engine-secret-7d1c';

/** An engine that records what reached it and answers its /sync with `answer`. */
async function startEngine(answer: { status: number; body: string }) {
  const engine = await FakeEngine.start();
  engine.override = req =>
    req.url === '/central-config/sync' ? answer : undefined;
  return engine;
}

/** A backend with the plugin, `centralConfig` as its engine config. */
async function startBackend(options: {
  centralConfig?: object;
  result?: AuthorizeResult.ALLOW | AuthorizeResult.DENY;
}) {
  const { centralConfig } = options;
  const { server } = await startTestBackend({
    features: [
      centralConfigPlugin,
      mockServices.rootConfig.factory({
        data: centralConfig
          ? { catalog: { providers: { centralConfig } } }
          : {},
      }),
      mockServices.permissions.factory({
        result: options.result ?? AuthorizeResult.ALLOW,
      }),
    ],
  });
  return server;
}

/** What the engine answers, or: none runs at its URL, none is configured. */
type Engine = { status: number; body: string } | 'down' | 'unconfigured';

/** One request to POST /api/central-config/sync and what must come of it. */
type SyncCase = {
  name: string;
  engine?: Engine;
  result?: AuthorizeResult.ALLOW | AuthorizeResult.DENY;
  credentials?: string;
  send?: object;
  status: number;
  /** The whole answer's body. */
  body?: unknown;
  /** Parts of the answer's error message. */
  message?: (baseUrl: string) => string[];
  /** The bodies of the requests the engine got (none unless said). */
  reached?: (object | undefined)[];
};

const NO_RUNS = { status: 202, body: '{"runs":[]}' };

/** Sends the case's request; returns the answer and the engine's requests. */
async function postSync(c: SyncCase) {
  const answer = typeof c.engine === 'object' ? c.engine : NO_RUNS;
  const engine = await startEngine(answer);
  if (c.engine === 'down') await engine.stop();
  try {
    const server = await startBackend({
      centralConfig:
        c.engine === 'unconfigured'
          ? undefined
          : { baseUrl: engine.baseUrl, token: ENGINE_TOKEN },
      result: c.result,
    });
    let req = request(server)
      .post('/api/central-config/sync')
      .set('Authorization', c.credentials ?? mockCredentials.user.header());
    if (c.send) req = req.send(c.send);
    return { res: await req, seen: engine.requests, baseUrl: engine.baseUrl };
  } finally {
    await engine.stop();
  }
}

/** A request the engine gets as sent and whose answer comes back as is. */
function passedOn(
  name: string,
  send: object,
  answer: { status: number; body: object },
): SyncCase {
  return {
    name,
    engine: { status: answer.status, body: JSON.stringify(answer.body) },
    send,
    status: answer.status,
    body: answer.body,
    reached: [send],
  };
}

describe('POST /api/central-config/sync', () => {
  const accepted = { runs: [{ source: 'example', runId: 42 }] };

  it.each<SyncCase>([
    passedOn(
      'starts a run of one source on the engine, with the engine token added server side',
      { source: 'example' },
      { status: 202, body: accepted },
    ),
    {
      name: 'syncs every source without a body',
      status: 202,
      reached: [undefined],
    },
    {
      name: 'refuses users the permission policy denies, without calling the engine',
      result: AuthorizeResult.DENY,
      send: { source: 'example' },
      status: 403,
      message: () => ['central-config.sync.run'],
    },
    {
      name: 'refuses callers without Backstage credentials',
      credentials: mockCredentials.none.header(),
      status: 401,
    },
    ...[
      ['that is not an id', '../entities'],
      ['ending in "-", which the engine refuses in its config', 'team-'],
      ['longer than 63 characters', 'a'.repeat(64)],
    ].map(([what, source]) => ({
      name: `rejects a source ${what}, without calling the engine`,
      send: { source },
      status: 400,
      message: () => ['source'],
    })),
    passedOn(
      "passes the engine's own answer on, e.g. an unknown source",
      { source: 'nope' },
      {
        status: 404,
        body: { error: { code: 'not-found', message: 'no source "nope"' } },
      },
    ),
    {
      name: 'says the engine refused its token as a server problem, not a sign-in problem',
      engine: {
        status: 401,
        body: '{"error":{"code":"unauthorized","message":"bad token"}}',
      },
      status: 503,
      message: () => ['catalog.providers.centralConfig.token'],
      reached: [undefined],
    },
    {
      name: 'answers 503 with what to do when the engine is down',
      engine: 'down',
      status: 503,
      message: baseUrl => ['cannot be reached', baseUrl],
    },
    {
      name: 'answers 503 when no engine is configured',
      engine: 'unconfigured',
      status: 503,
      message: () => ['catalog.providers.centralConfig.baseUrl'],
    },
  ])('$name', async c => {
    const { res, seen, baseUrl } = await postSync(c);

    expect(res.status).toBe(c.status);
    // A case that names no body checks only the status and the message.
    expect(res.body).toEqual(c.body ?? res.body);
    const message: string = res.body?.error?.message ?? '';
    const missing = (c.message?.(baseUrl) ?? []).filter(
      part => !message.includes(part),
    );
    expect(missing).toEqual([]);
    expect(
      seen.map(r => ({
        url: r.url,
        authorization: r.headers.authorization,
        body: r.body,
      })),
    ).toEqual(
      (c.reached ?? []).map(body => ({
        url: '/central-config/sync',
        authorization: `Bearer ${ENGINE_TOKEN}`,
        body,
      })),
    );
    expect(JSON.stringify(res.body)).not.toContain(ENGINE_TOKEN);
  });

  it('refuses to start with several engines and none named default', async () => {
    await expect(
      startBackend({
        centralConfig: {
          production: { baseUrl: 'http://engine-a:7080' },
          staging: { baseUrl: 'http://engine-b:7080' },
        },
      }),
    ).rejects.toThrow(
      /catalog\.providers\.centralConfig\.default.*Sync now starts runs on the instance named default/,
    );
  });

  it('starts runs on the instance default among several', async () => {
    const engine = await startEngine(NO_RUNS);
    try {
      const server = await startBackend({
        centralConfig: {
          staging: { baseUrl: 'http://127.0.0.1:9' },
          default: { baseUrl: engine.baseUrl, token: ENGINE_TOKEN },
        },
      });
      const res = await request(server)
        .post('/api/central-config/sync')
        .set('Authorization', mockCredentials.user.header());
      expect(res.status).toBe(202);
      expect(engine.requests.map(r => r.headers.authorization)).toEqual([
        `Bearer ${ENGINE_TOKEN}`,
      ]);
    } finally {
      await engine.stop();
    }
  });
});
