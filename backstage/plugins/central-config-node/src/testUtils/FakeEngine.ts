import { Entity } from '@backstage/catalog-model';
import { createServer, IncomingMessage, Server, ServerResponse } from 'http';
import { AddressInfo } from 'net';

/** A request the fake engine received. */
export type RecordedRequest = {
  method: string;
  /** Path and query, e.g. /central-config/entities?since=3 */
  url: string;
  headers: IncomingMessage['headers'];
  body?: unknown;
};

/**
 * Answers a request in place of the engine's model: a response to send,
 * 'destroy' to break the connection mid-body, 'hang' to never answer, or
 * undefined to let the model answer.
 */
export type Override = (
  req: RecordedRequest,
) =>
  | { status: number; body?: string; headers?: Record<string, string> }
  | 'destroy'
  | 'hang'
  | undefined;

type Change = { generation: number; ref: string; entity?: Entity };

/**
 * A central-config engine on a local port that follows the engine's API
 * contract (internal/httpapi/openapi.yaml) for entities and acks: every
 * publish bumps the generation, deltas are computed from the kept history,
 * `since` older than the kept history answers 410, ahead of it 400.
 */
export class FakeEngine {
  generation = 0;
  /** Deltas since a generation below this answer 410 generation-too-old. */
  oldestDelta = 0;
  readonly token = 'engine-token';
  readonly requests: RecordedRequest[] = [];
  readonly acks: Array<{ consumer: string; generation: number }> = [];
  override?: Override;

  private readonly entities = new Map<string, Entity>();
  private readonly changes: Change[] = [];
  private server?: Server;
  private port = 0;

  static async start(): Promise<FakeEngine> {
    const engine = new FakeEngine();
    await engine.listen();
    return engine;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Publishes a new generation with these upserts and removals. */
  publish(change: { upsert?: Entity[]; remove?: string[] }): number {
    this.generation += 1;
    for (const entity of change.upsert ?? []) {
      const ref = refOf(entity);
      this.entities.set(ref.toLowerCase(), entity);
      this.changes.push({ generation: this.generation, ref, entity });
    }
    for (const ref of change.remove ?? []) {
      this.entities.delete(ref.toLowerCase());
      this.changes.push({ generation: this.generation, ref });
    }
    return this.generation;
  }

  /** Requests to GET /central-config/entities, as path and query. */
  entityReads(): string[] {
    return this.requests
      .filter(r => r.url.startsWith('/central-config/entities'))
      .map(r => r.url);
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>(resolve => server.close(() => resolve()));
    }
  }

  /** Starts listening again on the same port after stop(). */
  async listen(): Promise<void> {
    const server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of req) {
      chunks.push(chunk as Buffer);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    const recorded: RecordedRequest = {
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      body: text ? JSON.parse(text) : undefined,
    };
    this.requests.push(recorded);

    const forced = this.override?.(recorded);
    if (forced === 'hang') {
      return;
    }
    if (forced === 'destroy') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"kind":"full","generation":1,"entities":[{"apiVer');
      setTimeout(() => res.destroy(), 10);
      return;
    }
    if (forced) {
      res.writeHead(forced.status, {
        'content-type': 'application/json',
        ...forced.headers,
      });
      res.end(forced.body);
      return;
    }
    const answer = this.answer(recorded);
    res.writeHead(answer.status, {
      'content-type': 'application/json',
      ...answer.headers,
    });
    res.end(
      answer.body === undefined ? undefined : JSON.stringify(answer.body),
    );
  }

  private answer(req: RecordedRequest): {
    status: number;
    headers?: Record<string, string>;
    body?: unknown;
  } {
    const url = new URL(req.url, 'http://engine');
    if (
      req.method === 'POST' &&
      url.pathname === '/central-config/catalog-acks'
    ) {
      if (req.headers.authorization !== `Bearer ${this.token}`) {
        return error(401, 'unauthorized', 'bearer token missing or wrong');
      }
      const ack = req.body as { consumer: string; generation: number };
      if (ack.generation > this.generation) {
        return error(400, 'bad-request', 'generation ahead');
      }
      this.acks.push({ consumer: ack.consumer, generation: ack.generation });
      return { status: 204 };
    }
    if (req.method !== 'GET' || url.pathname !== '/central-config/entities') {
      return error(404, 'not-found', 'no such route');
    }
    const etag = { etag: `"${this.generation}"`, 'cache-control': 'no-cache' };
    const sinceParam = url.searchParams.get('since');
    if (sinceParam === null) {
      return {
        status: 200,
        headers: etag,
        body: {
          kind: 'full',
          generation: this.generation,
          entities: [...this.entities.values()],
        },
      };
    }
    const since = Number(sinceParam);
    if (
      since === this.generation ||
      req.headers['if-none-match'] === `"${this.generation}"`
    ) {
      return { status: 304, headers: etag };
    }
    if (since > this.generation) {
      return error(400, 'generation-ahead', `generation ${since} is ahead`);
    }
    if (since < this.oldestDelta) {
      return error(410, 'generation-too-old', `generation ${since} is too old`);
    }
    const latest = new Map<string, Change>();
    for (const change of this.changes) {
      if (change.generation > since) {
        latest.set(change.ref.toLowerCase(), change);
      }
    }
    const changed = [...latest.values()];
    return {
      status: 200,
      headers: etag,
      body: {
        kind: 'delta',
        generation: this.generation,
        since,
        upserts: changed.filter(c => c.entity).map(c => c.entity),
        removals: changed.filter(c => !c.entity).map(c => c.ref),
      },
    };
  }
}

function error(status: number, code: string, message: string) {
  return { status, body: { error: { code, message } } };
}

// The engine's ref form: kind and namespace lower case, name as written.
function refOf(entity: Entity): string {
  const namespace = entity.metadata.namespace ?? 'default';
  return `${entity.kind.toLowerCase()}:${namespace.toLowerCase()}/${
    entity.metadata.name
  }`;
}

/** A Component entity as the engine publishes it. */
export function component(name: string, description = ''): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name,
      namespace: 'default',
      description,
      annotations: {
        'backstage.io/managed-by-location': `url:https://git.example/config/blob/main/services/${name}.yaml`,
        'backstage.io/managed-by-origin-location': `url:https://git.example/config/blob/main/services/${name}.yaml`,
        'central-config.io/source': 'example',
        'central-config.io/file': `services/${name}.yaml`,
      },
    },
    spec: {
      type: 'service',
      lifecycle: 'production',
      owner: 'group:default/platform',
    },
  };
}
