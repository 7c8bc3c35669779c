import {
  AuditorService,
  HttpAuthService,
  LoggerService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import {
  InputError,
  NotAllowedError,
  ServiceUnavailableError,
} from '@backstage/errors';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  centralConfigSyncPermission,
  isSourceId,
} from '@central-config/backstage-plugin-central-config-common';
import {
  EngineClient,
  EngineRequestError,
} from '@central-config/backstage-plugin-central-config-node';
import express from 'express';
import Router from 'express-promise-router';

/** The engine this plugin starts runs on. */
export type EngineConnection = {
  /** The engine's base URL, without a trailing slash. */
  baseUrl: string;
  /** The engine's server.token, sent as a bearer token. */
  token?: string;
};

export type RouterOptions = {
  /** Undefined when no engine is configured: every request answers 503. */
  engine?: EngineConnection;
  logger: LoggerService;
  auditor: AuditorService;
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  /** How long to wait for the engine; default 10 seconds. */
  timeoutMs?: number;
};

/**
 * POST /sync with an optional JSON body `{ "source": "<id>" }` asks the
 * engine to start runs now (all sources without a source). The answer is
 * the engine's: 202 with the run ids to follow, or its error. The engine
 * token is added here and never reaches the browser.
 */
export async function createRouter(
  options: RouterOptions,
): Promise<express.Router> {
  const { engine, logger, auditor, httpAuth, permissions } = options;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const router = Router();
  router.use(express.json({ limit: '4kb' }));

  router.post('/sync', async (req, res) => {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const source: unknown = req.body?.source;
    if (source !== undefined && !isSourceId(source)) {
      throw new InputError(
        'source must be the id of a configured source (lower-case letters, digits and "-", starting and ending with a letter or digit, at most 63 characters)',
      );
    }
    const auditorEvent = await auditor.createEvent({
      eventId: 'sync-now',
      severityLevel: 'medium',
      request: req,
      meta: { source: source ?? 'all' },
    });
    try {
      const [decision] = await permissions.authorize(
        [{ permission: centralConfigSyncPermission }],
        { credentials },
      );
      if (decision.result !== AuthorizeResult.ALLOW) {
        throw new NotAllowedError(
          `You may not start syncs (permission ${centralConfigSyncPermission.name})`,
        );
      }
      if (!engine) {
        throw new ServiceUnavailableError(
          'No central-config engine is configured (catalog.providers.centralConfig.baseUrl)',
        );
      }
      const answer = await triggerSync(engine, source, timeoutMs);
      if (answer.status === 401 || answer.status === 403) {
        // Not the user's fault, and not to be read as "sign in again".
        logger.warn(
          `The central-config engine refused the token of catalog.providers.centralConfig.token (HTTP ${answer.status})`,
        );
        throw new ServiceUnavailableError(
          'The central-config engine refused the token Backstage has for it; ask the portal admin to check catalog.providers.centralConfig.token',
        );
      }
      await auditorEvent.success({ meta: { status: answer.status } });
      res.status(answer.status).type('application/json').send(answer.body);
    } catch (error) {
      await auditorEvent.fail({ error: error as Error });
      throw error;
    }
  });

  return router;
}

async function triggerSync(
  engine: EngineConnection,
  source: string | undefined,
  timeoutMs: number,
) {
  try {
    return await new EngineClient(engine).triggerSync({
      source,
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    if (error instanceof EngineRequestError) {
      // The URL holds no credentials (the provider config refuses them).
      throw new ServiceUnavailableError(
        `The central-config engine at ${engine.baseUrl} cannot be reached: ${error.message}`,
      );
    }
    throw error;
  }
}
