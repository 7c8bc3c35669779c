import { renderInTestApp } from '@backstage/frontend-test-utils';
import { screen, within } from '@testing-library/react';
import { centralConfigApiRef } from '../api';
import {
  FakeCentralConfigApi,
  lastSync,
  source,
} from '../__testUtils__/fakeEngine';
import { SyncStatusCard } from './SyncStatusCard';

const minutesAgo = (m: number) =>
  new Date(Date.now() - m * 60_000).toISOString();

describe('SyncStatusCard', () => {
  it('shows one line per source with its state and last success', async () => {
    const api = new FakeCentralConfigApi();
    api.status = lastSync({
      sources: [
        source({ id: 'platform' }),
        source({ id: 'kafka', state: 'degraded', failedFiles: 1 }),
      ],
    });
    renderInTestApp(<SyncStatusCard />, { apis: [[centralConfigApiRef, api]] });

    const platform = await screen.findByTestId('source-platform');
    expect(platform).toHaveTextContent('platform: Synced');
    expect(platform).toHaveTextContent('last success 2 minutes ago');
    expect(screen.getByTestId('source-kafka')).toHaveTextContent(
      'kafka: Degraded',
    );
    expect(screen.queryByText(/No successful sync/)).not.toBeInTheDocument();
  });

  it('warns when the last success is older than the configured number of intervals', async () => {
    const api = new FakeCentralConfigApi();
    api.status = lastSync({
      sources: [
        // 5 minute interval: 16 minutes is past 3 intervals, not past 4.
        source({ id: 'old', state: 'failed', lastSuccessAt: minutesAgo(16) }),
      ],
    });
    const { unmount } = renderInTestApp(<SyncStatusCard />, {
      apis: [[centralConfigApiRef, api]],
    });
    const line = await screen.findByTestId('source-old');
    expect(
      within(line).getByText(/No successful sync for more than 3 intervals/),
    ).toBeInTheDocument();
    unmount();

    renderInTestApp(<SyncStatusCard staleAfterIntervals={4} />, {
      apis: [[centralConfigApiRef, api]],
    });
    expect(await screen.findByTestId('source-old')).not.toHaveTextContent(
      'No successful sync',
    );
  });

  it('says when the engine cannot be read', async () => {
    const api = new FakeCentralConfigApi();
    api.status = new Error('boom');
    renderInTestApp(<SyncStatusCard />, { apis: [[centralConfigApiRef, api]] });
    expect(
      await screen.findByText('Cannot read the sync status'),
    ).toBeInTheDocument();
  });
});
