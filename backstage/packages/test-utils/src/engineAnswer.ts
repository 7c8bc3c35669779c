import { CentralConfigEngineClient } from '@central-config/backstage-plugin-central-config-common';
import { screen } from '@testing-library/react';

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

/**
 * Waits until the page shows the engine's own error (`message`: it
 * answered, even with a 503), and checks the page does not take it for an
 * engine that cannot be reached.
 */
export async function expectEngineAnswered(message: RegExp): Promise<void> {
  await screen.findByText(message);
  expect(
    screen.queryByText(/cannot be reached|Check that the engine runs/),
  ).toBeNull();
}
