import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { centralConfigApiRef } from '../api';
import { FakeCentralConfigApi, run } from '../__testUtils__/fakeEngine';
import { SyncNowButton } from './SyncNowButton';

// In a file of its own: the permission hook caches answers per permission
// for the whole module (SyncNowButton.test.tsx denies it).
describe('SyncNowButton following a run', () => {
  const allow = mockApis.permission({
    authorize: () => AuthorizeResult.ALLOW,
  });

  it('stops waiting for a run that never finishes, and says so', async () => {
    const api = new FakeCentralConfigApi();
    api.runsById.set(8, run({ id: 8, outcome: 'running', finishedAt: null }));
    renderInTestApp(<SyncNowButton source="example" followLimitMs={1000} />, {
      apis: [[centralConfigApiRef, api], allow],
    });
    await userEvent.click(
      await screen.findByRole('button', { name: 'Sync example now' }),
    );
    expect(
      await screen.findByText(
        /Could not sync: run #8 is still running after 1 s; the history shows how it ends/,
        {},
        { timeout: 3000 },
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('button', { name: 'Sync example now' }),
    ).toBeEnabled();
  });

  it('says a run was abandoned by an engine that ended', async () => {
    const api = new FakeCentralConfigApi();
    api.runsById.set(
      8,
      run({
        id: 8,
        outcome: 'abandoned',
        reason: 'the engine process running it ended',
      }),
    );
    renderInTestApp(<SyncNowButton source="example" />, {
      apis: [[centralConfigApiRef, api], allow],
    });
    await userEvent.click(
      await screen.findByRole('button', { name: 'Sync example now' }),
    );
    expect(
      await screen.findByText(
        'Run #8 did not finish: the engine process running it ended',
      ),
    ).toBeInTheDocument();
  });
});
