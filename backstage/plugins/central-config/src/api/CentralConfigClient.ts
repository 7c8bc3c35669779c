import { DiscoveryApi, FetchApi } from '@backstage/frontend-plugin-api';
import { ResponseError } from '@backstage/errors';
import {
  LastSync,
  SyncRun,
  SyncRunList,
  TriggeredRuns,
} from '@central-config/backstage-plugin-central-config-common';
import { CentralConfigApi } from './CentralConfigApi';

/**
 * The engine did not answer: the proxy could not reach it (502, 504) or no
 * engine is configured (503). The page says what to do instead of showing
 * a stack of HTTP details.
 *
 * @public
 */
export class EngineUnreachableError extends Error {
  name = 'EngineUnreachableError';
  constructor(message: string, readonly status?: number) {
    super(message);
  }
}

const UNREACHABLE = new Set([502, 503, 504]);

/**
 * The CentralConfigApi over HTTP.
 *
 * @public
 */
export class CentralConfigClient implements CentralConfigApi {
  constructor(
    private readonly options: {
      discoveryApi: DiscoveryApi;
      fetchApi: FetchApi;
    },
  ) {}

  getLastSync(): Promise<LastSync> {
    return this.read('/last-sync');
  }

  getRuns(options: {
    source?: string;
    before?: number;
    limit?: number;
  }): Promise<SyncRunList> {
    const query = new URLSearchParams();
    if (options.source) query.set('source', options.source);
    if (options.before) query.set('before', String(options.before));
    if (options.limit) query.set('limit', String(options.limit));
    const q = query.toString();
    return this.read(`/syncs${q ? `?${q}` : ''}`);
  }

  getRun(id: number): Promise<SyncRun> {
    return this.read(`/syncs/${encodeURIComponent(String(id))}`);
  }

  async syncNow(source: string): Promise<TriggeredRuns> {
    const base = await this.options.discoveryApi.getBaseUrl('central-config');
    return this.send(`${base}/sync`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ source }),
    });
  }

  private async read<T>(path: string): Promise<T> {
    const proxy = await this.options.discoveryApi.getBaseUrl('proxy');
    return this.send(`${proxy}/central-config${path}`, {});
  }

  private async send<T>(url: string, init: RequestInit): Promise<T> {
    let response: Response;
    try {
      response = await this.options.fetchApi.fetch(url, init);
    } catch (error) {
      throw new EngineUnreachableError(
        `Backstage cannot be reached: ${(error as Error).message}`,
      );
    }
    if (UNREACHABLE.has(response.status)) {
      const detail = await response.text().catch(() => '');
      throw new EngineUnreachableError(
        `The central-config engine does not answer (HTTP ${response.status})${
          detail ? `: ${summarize(detail)}` : ''
        }`,
        response.status,
      );
    }
    if (!response.ok) {
      throw await ResponseError.fromResponse(response);
    }
    return (await response.json()) as T;
  }
}

// The message of a Backstage or engine error body, else the text itself.
function summarize(body: string): string {
  try {
    const parsed = JSON.parse(body);
    return parsed?.error?.message ?? body.slice(0, 200);
  } catch {
    return body.slice(0, 200);
  }
}
