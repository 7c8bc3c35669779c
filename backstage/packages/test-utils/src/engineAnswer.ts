import { CentralConfigEngineClient } from '@central-config/backstage-plugin-central-config-common';

/**
 * The error the engine client makes of an answer of Backstage's proxy
 * (`status` with `body`, JSON-encoded), for a page test to show it as the
 * page would.
 */
export async function errorOfAnswer(
  status: number,
  body: unknown,
): Promise<Error> {
  const client = new CentralConfigEngineClient({
    fetchApi: {
      fetch: async () =>
        new Response(JSON.stringify(body), {
          status,
          headers: { 'Content-Type': 'application/json' },
        }),
    },
    discoveryApi: { getBaseUrl: async id => `http://backstage/api/${id}` },
  });
  return client.getLastSync().then(
    () => {
      throw new Error(`HTTP ${status} did not fail the read`);
    },
    (error: Error) => error,
  );
}
