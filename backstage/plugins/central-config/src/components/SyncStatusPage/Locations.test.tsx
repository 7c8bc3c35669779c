import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { screen } from '@testing-library/react';
import { centralConfigApiRef } from '../../api';
import {
  FakeCentralConfigApi,
  lastSync,
  run,
  source,
} from '../../__testUtils__/fakeEngine';
import { SyncStatusCard } from '../SyncStatusCard';
import { SyncStatusPage } from './SyncStatusPage';

// A source that publishes Locations (of catalog files kept in other
// repositories): they are counted apart from its entities.
const withLocations = () =>
  lastSync({
    sources: [
      source({
        id: 'platform',
        entityCount: 90,
        locationCount: 2,
        lastRun: run({
          counts: {
            files: 14,
            entities: 90,
            locations: 2,
            added: 2,
            changed: 0,
            removed: 0,
            unchanged: 90,
          },
        }),
      }),
    ],
  });

describe('published Locations', () => {
  it('are shown apart from entities on the status page', async () => {
    const api = new FakeCentralConfigApi();
    api.status = withLocations();
    renderInTestApp(<SyncStatusPage />, {
      apis: [
        [centralConfigApiRef, api],
        mockApis.permission({ authorize: AuthorizeResult.ALLOW }),
      ],
    });

    expect(await screen.findByText('Synced')).toBeInTheDocument();
    expect(screen.getByTestId('Entities')).toHaveTextContent(
      '90 entities · 2 locations (last run: 2 added, 0 changed, 0 removed)',
    );
  });

  it('are shown apart from entities on the catalog card', async () => {
    const api = new FakeCentralConfigApi();
    api.status = withLocations();
    renderInTestApp(<SyncStatusCard />, { apis: [[centralConfigApiRef, api]] });

    expect(await screen.findByTestId('source-platform')).toHaveTextContent(
      /last success 2 minutes ago · 90 entities · 2 locations/,
    );
  });

  it('are left out of the card when there are none', async () => {
    const api = new FakeCentralConfigApi();
    api.status = lastSync({ sources: [source({ id: 'platform' })] });
    renderInTestApp(<SyncStatusCard />, { apis: [[centralConfigApiRef, api]] });

    const line = await screen.findByTestId('source-platform');
    expect(line).toHaveTextContent(/· 90 entities$/);
    expect(line).not.toHaveTextContent(/location/);
  });
});
