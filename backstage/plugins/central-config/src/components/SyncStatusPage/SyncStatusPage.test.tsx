import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { SourceStatus } from '@central-config/backstage-plugin-central-config-common';
import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  errorOfAnswer,
  expectEngineAnswered,
} from '@internal/central-config-test-utils';
import { centralConfigApiRef, EngineUnreachableError } from '../../api';
import {
  FakeCentralConfigApi,
  fileError,
  lastSync,
  NEW_REVISION,
  REVISION,
  run,
  source,
} from '../../__testUtils__/fakeEngine';
import { POLL_MS } from '../useLastSync';
import { SyncStatusPage } from './SyncStatusPage';

function renderPage(api: FakeCentralConfigApi) {
  return renderInTestApp(<SyncStatusPage />, {
    apis: [
      [centralConfigApiRef, api],
      mockApis.permission({ authorize: AuthorizeResult.ALLOW }),
    ],
  });
}

/** The page showing one source, `overrides` on a synced one. */
function renderSource(overrides: Partial<SourceStatus>) {
  const api = new FakeCentralConfigApi();
  api.status = lastSync({ sources: [source(overrides)] });
  return renderPage(api);
}

/** The table or panel whose title is `title`. */
async function section(title: string) {
  return (await screen.findByText(title)).closest('table, [class*=MuiPaper]')!;
}

/** Jest's clock, moving on its own, for the page's refreshes. */
async function withClock(test: () => Promise<void>) {
  jest.useFakeTimers({ advanceTimers: true });
  try {
    await test();
  } finally {
    jest.useRealTimers();
  }
}

const webWarning = fileError({
  file: 'services/web.yaml',
  line: 5,
  column: 16,
  severity: 'warning',
  code: 'dangling-ref',
  message: 'spec.consumesApis[0] refers to api:default/nowhere',
});

describe('SyncStatusPage', () => {
  it('shows a synced source: state, revision linked to its commit, counts, next sync, catalog up to date', async () => {
    const api = new FakeCentralConfigApi();
    renderPage(api);

    expect(await screen.findByText('Synced')).toBeInTheDocument();
    const revision = within(screen.getByTestId('Revision')).getByText(
      REVISION.slice(0, 8),
    );
    expect(revision.closest('a')).toHaveAttribute(
      'href',
      `https://git.example.com/acme/config/commit/${REVISION}`,
    );
    expect(screen.getByTestId('Entities')).toHaveTextContent(
      '90 entities (last run: 3 added, 1 changed, 2 removed)',
    );
    expect(screen.getByTestId('Last success')).toHaveTextContent(
      /2 minutes ago/,
    );
    expect(screen.getByTestId('Next sync')).toHaveTextContent(/in 3 minutes/);
    // The generation and the time apart: "generation 4, 2 minutes ago".
    expect(screen.getByTestId('ack-backstage')).toHaveTextContent(
      /applied generation 4, \d+ minutes? ago/,
    );
    expect(screen.getByTestId('ack-backstage')).toHaveTextContent(
      'it is up to date',
    );
    expect(await screen.findAllByTestId('run')).toHaveLength(1);
    expect(screen.queryByText(/File errors/)).not.toBeInTheDocument();
  });

  it('shows a run in progress', async () => {
    renderSource({ state: 'syncing', runningRunId: 8 });

    expect(await screen.findByText('Syncing')).toBeInTheDocument();
    expect(screen.getByTestId('Next sync')).toHaveTextContent(
      'running now (run #8)',
    );
  });

  it('shows a degraded source with each file error: file linked at its revision, line, column, message', async () => {
    const inventory = fileError({
      file: 'rules/legacy/inventory.yaml',
      line: 2,
      column: 3,
      url: `https://git.example.com/acme/config/blob/${REVISION}/rules/legacy/inventory.yaml#L2`,
    });
    renderSource({
      state: 'degraded',
      failedFiles: 1,
      errorCount: 1,
      fileErrors: [inventory],
      lastRun: run({ outcome: 'unchanged' }),
    });

    expect(await screen.findByText('Degraded')).toBeInTheDocument();
    expect(
      screen.getByText(
        /1 file has errors: it keeps the entities of the last good revision/,
      ),
    ).toBeInTheDocument();
    expect(screen.getByText('File errors (1)')).toBeInTheDocument();
    const link = screen.getByRole('link', {
      name: /^rules\/legacy\/inventory\.yaml/,
    });
    expect(link).toHaveAttribute('href', inventory.url);
    const row = link.closest('tr')!;
    expect(row).toHaveTextContent('2');
    expect(row).toHaveTextContent('3');
    expect(row).toHaveTextContent('yaml-syntax');
    expect(row).toHaveTextContent('did not find expected node content');
  });

  it('lists warnings apart from errors: only files with errors keep their last good entities', async () => {
    renderSource({
      state: 'degraded',
      failedFiles: 1,
      errorCount: 1,
      warningCount: 1,
      fileErrors: [fileError(), webWarning],
      lastRun: run({ outcome: 'degraded' }),
    });

    const errors = await section('File errors (1)');
    expect(errors).toHaveTextContent('services/shipping.yaml');
    expect(errors).not.toHaveTextContent('services/web.yaml');
    const warnings = await section('Warnings (1)');
    expect(warnings).toHaveTextContent('services/web.yaml');
    expect(warnings).toHaveTextContent('a warning holds nothing back');
    expect(warnings).not.toHaveTextContent('last good revision');
  });

  it('lists notes (severity info) apart from warnings and errors', async () => {
    renderSource({
      state: 'synced',
      warningCount: 1,
      fileErrors: [
        webWarning,
        fileError({
          file: 'apis/payments-api.yaml',
          line: 15,
          column: 12,
          severity: 'info',
          code: 'placeholder-url',
          message:
            '$text "https://github.com/acme/payments/blob/main/openapi.yaml" is left in the entity for Backstage',
        }),
      ],
    });

    const warnings = await section('Warnings (1)');
    expect(warnings).not.toHaveTextContent('apis/payments-api.yaml');
    const notes = await section('Notes (1)');
    expect(notes).toHaveTextContent('apis/payments-api.yaml');
    expect(notes).toHaveTextContent('placeholder-url');
    expect(notes).toHaveTextContent('Nothing to fix');
    expect(screen.queryByText(/^File errors/)).toBeNull();
  });

  it('shows why a source failed and that the catalog keeps what it had', async () => {
    renderSource({
      state: 'failed',
      consecutiveFailures: 3,
      lastRun: run({
        outcome: 'failed',
        reason: 'fetch: authentication required',
        generation: 0,
      }),
    });

    expect(await screen.findByText('Failed')).toBeInTheDocument();
    expect(
      screen.getByText(
        /The last sync failed \(3 times in a row\): fetch: authentication required/,
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText(/keeps what was published before/),
    ).toBeInTheDocument();
  });

  it("shows a failed run's reason code beside its reason, in the panel and in the run history", async () => {
    const failed = run({
      id: 9,
      outcome: 'failed',
      reason: 'fetch: authentication required',
      reasonCode: 'fetch-failed',
      generation: 0,
    });
    const api = new FakeCentralConfigApi();
    api.status = lastSync({
      sources: [source({ state: 'failed', lastRun: failed })],
    });
    api.runs = [failed, run()];
    renderPage(api);

    const explanation = await screen.findByText(/The last sync failed/);
    expect(within(explanation).getByTestId('reason-code')).toHaveTextContent(
      'fetch-failed',
    );
    const [history] = await screen.findAllByTestId('run');
    expect(history).toHaveTextContent('fetch: authentication required');
    expect(within(history).getByTestId('reason-code')).toHaveTextContent(
      'fetch-failed',
    );
    // A run without a reason has no code either.
    expect(
      within(screen.getAllByTestId('run')[1]).queryByTestId('reason-code'),
    ).not.toBeInTheDocument();
  });

  it('shows a source that never synced', async () => {
    const api = new FakeCentralConfigApi();
    api.status = lastSync({
      generation: 0,
      catalog: { acks: [] },
      sources: [
        source({
          state: 'never',
          revision: null,
          revisionUrl: null,
          lastAttemptAt: null,
          lastSuccessAt: null,
          lastSuccessRevision: null,
          entityCount: 0,
          lastRun: null,
        }),
      ],
    });
    api.runs = [];
    renderPage(api);

    expect(await screen.findByText('Never synced')).toBeInTheDocument();
    expect(screen.getByText(/has never finished a sync/)).toBeInTheDocument();
    expect(screen.getByTestId('Last success')).toHaveTextContent('never');
    expect(screen.getByTestId('Revision')).toHaveTextContent('none');
    expect(
      screen.getByText(/No Backstage catalog has reported a generation yet/),
    ).toBeInTheDocument();
    expect(await screen.findByText('No runs yet.')).toBeInTheDocument();
  });

  it('shows progress until the engine answers', async () => {
    const api = new FakeCentralConfigApi();
    const open = api.hold();
    renderPage(api);
    expect(await screen.findByRole('progressbar')).toBeInTheDocument();

    open();
    expect(await screen.findByText('Synced')).toBeInTheDocument();
    expect(screen.queryByRole('progressbar')).not.toBeInTheDocument();
  });

  it('says what to do when the engine cannot be reached', async () => {
    const api = new FakeCentralConfigApi();
    api.status = new EngineUnreachableError(
      'The central-config engine does not answer (HTTP 504)',
      504,
    );
    renderPage(api);

    expect(
      await screen.findByText('The central-config engine cannot be reached'),
    ).toBeInTheDocument();
    expect(screen.getByText(/Check that the engine runs/)).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Retry' })).toBeInTheDocument();

    api.status = lastSync();
    await userEvent.click(screen.getByRole('button', { name: 'Retry' }));
    expect(await screen.findByText('Synced')).toBeInTheDocument();
  });

  it('keeps the status it shows when a refresh fails, says since when, and Retry reads again', () =>
    withClock(async () => {
      const api = new FakeCentralConfigApi();
      renderPage(api);
      expect(await screen.findByText('Synced')).toBeInTheDocument();

      api.status = new EngineUnreachableError(
        'The central-config engine does not answer (HTTP 502)',
        502,
      );
      await act(() => jest.advanceTimersByTimeAsync(POLL_MS));
      expect(
        await screen.findByText(/Showing the status read at/),
      ).toBeInTheDocument();
      expect(
        screen.getByText(/Check that the engine runs/),
      ).toBeInTheDocument();
      expect(screen.getByText('Synced')).toBeInTheDocument();

      api.status = lastSync({ sources: [source({ state: 'degraded' })] });
      const user = userEvent.setup({
        advanceTimers: jest.advanceTimersByTime,
      });
      await user.click(screen.getByRole('button', { name: 'Retry' }));
      expect(await screen.findByText('Degraded')).toBeInTheDocument();
      expect(
        screen.queryByText(/Showing the status read at/),
      ).not.toBeInTheDocument();
    }));

  it('reads the status again when Sync now starts a run during a refresh', () =>
    withClock(async () => {
      const api = new FakeCentralConfigApi();
      api.runsById.set(8, run({ id: 8, outcome: 'running', finishedAt: null }));
      renderPage(api);
      expect(await screen.findByText('Synced')).toBeInTheDocument();

      const open = api.hold();
      await act(() => jest.advanceTimersByTimeAsync(POLL_MS));
      const user = userEvent.setup({
        advanceTimers: jest.advanceTimersByTime,
      });
      await user.click(
        screen.getByRole('button', { name: 'Sync example now' }),
      );
      expect(await screen.findByText('Run #8 running…')).toBeInTheDocument();

      api.status = lastSync({
        sources: [source({ state: 'syncing', runningRunId: 8 })],
      });
      open();
      // Long before the next refresh (POLL_MS) would read it.
      expect(
        await screen.findByText('Syncing', {}, { timeout: POLL_MS / 4 }),
      ).toBeInTheDocument();
    }));

  it('refreshes while open and stops reading the engine once closed', () =>
    withClock(async () => {
      const api = new FakeCentralConfigApi();
      const { unmount } = renderPage(api);
      expect(await screen.findByText('Synced')).toBeInTheDocument();

      api.status = lastSync({ sources: [source({ state: 'failed' })] });
      await act(() => jest.advanceTimersByTimeAsync(POLL_MS));
      expect(await screen.findByText('Failed')).toBeInTheDocument();

      const reads = api.reads;
      unmount();
      await act(() => jest.advanceTimersByTimeAsync(5 * POLL_MS));
      expect(api.reads).toBe(reads);
    }));

  it("shows the engine's own 503 (not-ready) as its error, not as an engine that cannot be reached", async () => {
    const api = new FakeCentralConfigApi();
    // The error the client makes of the engine's answer.
    api.status = await errorOfAnswer(503, {
      error: { code: 'not-ready', message: 'store: connection refused' },
    });
    renderPage(api);

    expect(
      await screen.findByText('Cannot read the sync status'),
    ).toBeInTheDocument();
    await expectEngineAnswered(
      /answered HTTP 503 not-ready: store: connection refused/,
    );
  });

  it('warns when the catalog lags the engine for longer than a catch-up', async () => {
    const api = new FakeCentralConfigApi();
    const published = new Date(Date.now() - 10 * 60_000).toISOString();
    api.status = lastSync({
      generation: 6,
      sources: [
        source({ lastRun: run({ generation: 6, finishedAt: published }) }),
      ],
      catalog: {
        acks: [
          {
            consumer: 'backstage',
            generation: 4,
            ackedAt: new Date(Date.now() - 20 * 60_000).toISOString(),
            lagging: true,
          },
        ],
      },
    });
    renderPage(api);

    const ack = await screen.findByTestId('ack-backstage');
    expect(ack).toHaveTextContent('lags the engine');
    expect(ack).toHaveTextContent(/applied generation 4, 20 minutes ago/);
    expect(ack).toHaveTextContent('the engine is at 6');
  });

  it('shows a generation published seconds ago as being applied, not as a lag', async () => {
    const api = new FakeCentralConfigApi();
    api.status = lastSync({
      generation: 5,
      sources: [
        source({
          lastRun: run({ generation: 5, finishedAt: new Date().toISOString() }),
        }),
      ],
      catalog: {
        acks: [
          {
            consumer: 'backstage',
            generation: 4,
            ackedAt: new Date().toISOString(),
            lagging: true,
          },
        ],
      },
    });
    renderPage(api);

    const ack = await screen.findByTestId('ack-backstage');
    expect(ack).toHaveTextContent('is applying generation 5');
    expect(ack).not.toHaveTextContent('lags');
  });

  it('says how to add a source when none is configured', async () => {
    const api = new FakeCentralConfigApi();
    api.status = lastSync({ sources: [] });
    renderPage(api);

    expect(
      await screen.findByText('No sources configured'),
    ).toBeInTheDocument();
    expect(screen.getByText(/centralConfig.sources/)).toBeInTheDocument();
  });

  it('shows the newest ten runs and older ones on demand', async () => {
    const api = new FakeCentralConfigApi();
    api.runs = Array.from({ length: 12 }, (_, i) => run({ id: 12 - i }));
    renderPage(api);
    await waitFor(() => expect(screen.getAllByTestId('run')).toHaveLength(10));

    await userEvent.click(screen.getByRole('button', { name: 'Older runs' }));
    await waitFor(() => expect(screen.getAllByTestId('run')).toHaveLength(12));
    expect(screen.getAllByTestId('run')[11]).toHaveTextContent(/#1(?!\d)/);
    expect(
      screen.queryByRole('button', { name: 'Older runs' }),
    ).not.toBeInTheDocument();
  });

  it('keeps the runs it shows when older ones cannot be read, and Retry reads them', async () => {
    const api = new FakeCentralConfigApi();
    api.runs = Array.from({ length: 25 }, (_, i) => run({ id: 25 - i }));
    renderPage(api);
    await waitFor(() => expect(screen.getAllByTestId('run')).toHaveLength(10));
    await userEvent.click(screen.getByRole('button', { name: 'Older runs' }));
    await waitFor(() => expect(screen.getAllByTestId('run')).toHaveLength(20));

    api.runsError = new Error('The engine answered HTTP 500');
    await userEvent.click(screen.getByRole('button', { name: 'Older runs' }));
    expect(
      await screen.findByText(/Cannot read the run history: .*HTTP 500/),
    ).toBeInTheDocument();
    expect(screen.getAllByTestId('run')).toHaveLength(20);

    api.runsError = undefined;
    await userEvent.click(screen.getByRole('button', { name: 'Retry' }));
    await waitFor(() => expect(screen.getAllByTestId('run')).toHaveLength(25));
    expect(
      screen.queryByText(/Cannot read the run history/),
    ).not.toBeInTheDocument();
  });

  it('keeps the runs it shows when a refresh of them fails, and Retry reads them again', () =>
    withClock(async () => {
      const api = new FakeCentralConfigApi();
      renderPage(api);
      expect(await screen.findByTestId('run')).toHaveTextContent(/#7(?!\d)/);

      // A run finished: the history is read again, and that read fails.
      const finished = run({ id: 8 });
      api.status = lastSync({ sources: [source({ lastRun: finished })] });
      api.runsError = new Error('The engine answered HTTP 500');
      await act(() => jest.advanceTimersByTimeAsync(POLL_MS));
      expect(
        await screen.findByText(/Cannot read the run history: .*HTTP 500/),
      ).toBeInTheDocument();
      expect(screen.getByTestId('run')).toHaveTextContent(/#7(?!\d)/);

      api.runsError = undefined;
      api.runs = [finished, ...api.runs];
      const user = userEvent.setup({
        advanceTimers: jest.advanceTimersByTime,
      });
      await user.click(screen.getByRole('button', { name: 'Retry' }));
      await waitFor(() => expect(screen.getAllByTestId('run')).toHaveLength(2));
      expect(
        screen.queryByText(/Cannot read the run history/),
      ).not.toBeInTheDocument();
    }));

  it('Sync now starts a run, follows it and shows its result without a reload', async () => {
    const api = new FakeCentralConfigApi();
    renderPage(api);
    await screen.findByText('Synced');

    api.runsById.set(8, run({ id: 8, outcome: 'running', finishedAt: null }));
    await userEvent.click(
      screen.getByRole('button', { name: 'Sync example now' }),
    );
    expect(await screen.findByText('Run #8 running…')).toBeInTheDocument();
    expect(api.syncRequests).toEqual(['example']);

    const finished = run({
      id: 8,
      trigger: 'manual',
      outcome: 'degraded',
      errorCount: 1,
      revision: NEW_REVISION,
    });
    api.runsById.set(8, finished);
    api.runs = [finished, ...api.runs];
    api.status = lastSync({
      sources: [
        source({ state: 'degraded', failedFiles: 1, lastRun: finished }),
      ],
    });
    expect(
      await screen.findByText(
        'Run #8 degraded: 1 file error; the other files are synced',
        {},
        { timeout: 3000 },
      ),
    ).toBeInTheDocument();
    expect(await screen.findByText('Degraded')).toBeInTheDocument();
    await waitFor(() => expect(screen.getAllByTestId('run')).toHaveLength(2));
  });
});
