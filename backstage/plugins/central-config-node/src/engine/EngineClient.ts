import {
  DeltaEntityList,
  FullEntityList,
  MalformedResponseError,
  parseEntitiesResponse,
} from './responses';

/**
 * What GET /central-config/entities?since=S answered: the changes, nothing
 * new (304), or that the client must read the full list instead (410
 * generation-too-old: the engine pruned that history; 400
 * generation-ahead: the engine's generation went back, e.g. a new
 * database).
 *
 * @public
 */
export type ChangesResult =
  | DeltaEntityList
  | { kind: 'not-modified' }
  | { kind: 'read-full'; code: string; message: string };

/**
 * The header the engine sets on an answer served from memory while its
 * database cannot be read.
 */
const STORE_HEADER = 'X-Central-Config-Store';

/**
 * A request to the engine that failed: unreachable, an unexpected status,
 * or a body that breaks the contract. The message says which, and never
 * holds the token.
 *
 * @public
 */
export class EngineRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EngineRequestError';
  }
}

/**
 * Options of {@link EngineClient}.
 *
 * @public
 */
export type EngineClientOptions = {
  /** The engine's base URL, without a trailing slash. */
  baseUrl: string;
  /** The bearer token sent with every request, when set. */
  token?: string;
};

/**
 * What POST /central-config/sync answered: the status and the body as the
 * engine sent them (202 with the runs, or the engine's error).
 *
 * @public
 */
export type TriggerSyncAnswer = { status: number; body: string };

/**
 * The central-config engine's HTTP API as Backstage's backend calls it,
 * with the engine's bearer token: the entity provider's reads and
 * acknowledgements, and the backend plugin's Sync now.
 *
 * @public
 */
export class EngineClient {
  private readonly baseUrl: string;
  private readonly token?: string;

  constructor(options: EngineClientOptions) {
    this.baseUrl = options.baseUrl;
    this.token = options.token;
  }

  /** Reads every published entity. */
  async getFull(options: { signal?: AbortSignal }): Promise<FullEntityList> {
    const list = await this.getEntities(undefined, options.signal);
    if (list.kind !== 'full') {
      throw new EngineRequestError(
        `GET ${this.entitiesUrl()} answered ${describeKind(
          list,
        )}, expected the full list`,
      );
    }
    return list;
  }

  /**
   * Reads what changed after generation `since` (sent as `?since=` and as
   * the `If-None-Match` ETag).
   */
  async getChanges(options: {
    since: number;
    signal?: AbortSignal;
  }): Promise<ChangesResult> {
    const list = await this.getEntities(options.since, options.signal);
    if (list.kind === 'delta' && list.since !== options.since) {
      throw new EngineRequestError(
        `GET ${this.entitiesUrl(options.since)} answered a delta since ${
          list.since
        }, expected since ${options.since}`,
      );
    }
    if (list.kind === 'full') {
      throw new EngineRequestError(
        `GET ${this.entitiesUrl(
          options.since,
        )} answered the full list, expected a delta`,
      );
    }
    return list;
  }

  private entitiesUrl(since?: number): URL {
    const url = new URL(`${this.baseUrl}/central-config/entities`);
    if (since !== undefined) {
      url.searchParams.set('since', String(since));
    }
    return url;
  }

  private async getEntities(
    since: number | undefined,
    signal: AbortSignal | undefined,
  ): Promise<FullEntityList | ChangesResult> {
    const url = this.entitiesUrl(since);
    const headers: Record<string, string> = {
      ...this.authHeader(),
      accept: 'application/json',
    };
    if (since !== undefined) {
      headers['if-none-match'] = `"${since}"`;
    }
    const what = `GET ${url}`;
    const res = await this.send(what, url, { headers, signal });

    if (res.status === 304 && since !== undefined) {
      await res.body?.cancel();
      return { kind: 'not-modified' };
    }
    if ((res.status === 410 || res.status === 400) && since !== undefined) {
      const error = await readError(res);
      if (
        error.code === 'generation-too-old' ||
        error.code === 'generation-ahead'
      ) {
        return { kind: 'read-full', code: error.code, message: error.message };
      }
      throw new EngineRequestError(describeStatus(what, res, error));
    }
    if (res.status !== 200) {
      throw new EngineRequestError(
        describeStatus(what, res, await readError(res)),
      );
    }
    if (
      since === undefined &&
      res.headers.get(STORE_HEADER)?.toLowerCase() === 'unavailable'
    ) {
      // The engine's database is down and this is the list it kept in
      // memory: another replica may have published newer entities, and
      // applying an older list would remove them from the catalog.
      await res.body?.cancel();
      throw new EngineRequestError(
        `${what} answered the list the engine kept in memory while its database is unavailable (${STORE_HEADER}: unavailable); it may miss newer entities, so it is not applied`,
      );
    }

    let body: unknown;
    try {
      body = JSON.parse(await res.text());
    } catch (error) {
      throw new EngineRequestError(
        `${what} returned a broken or malformed body: ${errorText(error)}`,
      );
    }
    try {
      return parseEntitiesResponse(body);
    } catch (error) {
      if (error instanceof MalformedResponseError) {
        throw new EngineRequestError(
          `${what} returned an invalid body: ${error.message}`,
        );
      }
      throw error;
    }
  }

  /** Reports that this catalog applied `generation`. */
  async ack(options: {
    consumer: string;
    generation: number;
    signal?: AbortSignal;
  }): Promise<void> {
    const url = new URL(`${this.baseUrl}/central-config/catalog-acks`);
    const what = `POST ${url}`;
    const res = await this.send(what, url, {
      method: 'POST',
      headers: { ...this.authHeader(), 'content-type': 'application/json' },
      body: JSON.stringify({
        consumer: options.consumer,
        generation: options.generation,
      }),
      signal: options.signal,
    });
    if (res.status !== 204 && res.status !== 200) {
      throw new EngineRequestError(
        describeStatus(what, res, await readError(res)),
      );
    }
    await res.body?.cancel();
  }

  /**
   * Asks the engine to start runs now: of `source`, or of every source
   * without one. Any answer is returned as it came; only a failure to get
   * one (unreachable, timed out) throws.
   */
  async triggerSync(options: {
    source?: string;
    signal?: AbortSignal;
  }): Promise<TriggerSyncAnswer> {
    const url = new URL(`${this.baseUrl}/central-config/sync`);
    const res = await this.send(`POST ${url}`, url, {
      method: 'POST',
      headers: {
        ...this.authHeader(),
        'content-type': 'application/json',
        accept: 'application/json',
      },
      body: options.source
        ? JSON.stringify({ source: options.source })
        : undefined,
      signal: options.signal,
    });
    return { status: res.status, body: await res.text() };
  }

  private authHeader(): Record<string, string> {
    return this.token ? { authorization: `Bearer ${this.token}` } : {};
  }

  private async send(
    what: string,
    url: URL,
    init: RequestInit,
  ): Promise<Response> {
    try {
      return await fetch(url, init);
    } catch (error) {
      throw new EngineRequestError(`${what} failed: ${errorText(error)}`);
    }
  }
}

type EngineError = { code: string; message: string };

// Reads the engine's {"error": {"code", "message"}} body, or what there is.
async function readError(res: Response): Promise<EngineError> {
  let text = '';
  try {
    text = await res.text();
    const body = JSON.parse(text);
    if (
      typeof body?.error?.code === 'string' &&
      typeof body?.error?.message === 'string'
    ) {
      return { code: body.error.code, message: body.error.message };
    }
  } catch {
    // Not the engine's error shape; fall through to the raw text.
  }
  return { code: '', message: text.slice(0, 200).trim() };
}

function describeKind(result: FullEntityList | ChangesResult): string {
  return result.kind === 'delta' ? 'a delta' : result.kind;
}

function describeStatus(what: string, res: Response, error: EngineError) {
  const detail = [error.code, error.message].filter(Boolean).join(': ');
  return `${what} answered ${res.status}${detail ? ` (${detail})` : ''}`;
}

// fetch reports network failures as "fetch failed" with the reason in
// `cause` (ECONNREFUSED, a DNS failure, a reset connection); an abort says
// why in its name (TimeoutError when the run's time is up). Errors are read
// by shape: they may come from another realm (a test VM) than this module.
function errorText(error: unknown): string {
  const e = error as { name?: unknown; message?: unknown; cause?: unknown };
  if (typeof e?.message !== 'string') {
    return String(error);
  }
  if (e.name === 'TimeoutError' || e.name === 'AbortError') {
    return `${e.name}: ${e.message}`;
  }
  const cause = e.cause as { message?: unknown; code?: unknown } | undefined;
  const causeText =
    (typeof cause?.message === 'string' && cause.message) ||
    (typeof cause?.code === 'string' && cause.code) ||
    '';
  return causeText ? `${e.message}: ${causeText}` : e.message;
}
