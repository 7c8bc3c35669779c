import { Entity } from '@backstage/catalog-model';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { screen } from '@testing-library/react';
import { centralConfigApiRef } from '../api';
import {
  FakeCentralConfigApi,
  lastSync,
  REVISION,
  source,
} from '../__testUtils__/fakeEngine';
import { EntitySyncCard, isCentralConfigEntity } from './EntitySyncCard';

const FILE = 'rules/legacy/inventory.yaml';
const VIEW = `https://git.example.com/acme/config/blob/${REVISION}/${FILE}`;

const entity: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'gift-card-service',
    annotations: {
      'central-config.io/source': 'example',
      'central-config.io/file': FILE,
      'central-config.io/revision': REVISION,
      'backstage.io/view-url': VIEW,
    },
  },
  spec: { type: 'service', lifecycle: 'production', owner: 'payments' },
};

function renderCard(api: FakeCentralConfigApi) {
  return renderInTestApp(
    <EntityProvider entity={entity}>
      <EntitySyncCard />
    </EntityProvider>,
    { apis: [[centralConfigApiRef, api]] },
  );
}

describe('EntitySyncCard', () => {
  it('shows the file it came from (linked), the revision and when its source last synced', async () => {
    const api = new FakeCentralConfigApi();
    renderCard(api);

    expect(await screen.findByText(/2 minutes ago/)).toBeInTheDocument();
    expect(
      screen.getByRole('link', { name: new RegExp(`^${FILE}`) }),
    ).toHaveAttribute('href', VIEW);
    expect(screen.getByText(REVISION.slice(0, 8)).closest('a')).toHaveAttribute(
      'href',
      `https://git.example.com/acme/config/commit/${REVISION}`,
    );
    expect(screen.getByText('Synced')).toBeInTheDocument();
    expect(screen.queryByText(/This file has errors/)).not.toBeInTheDocument();
  });

  it("shows the current errors of the entity's file, and only of that file", async () => {
    const api = new FakeCentralConfigApi();
    const error = (file: string, message: string) => ({
      file,
      line: 14,
      column: 7,
      severity: 'error' as const,
      code: 'invalid-entity',
      message,
      url: null,
    });
    api.status = lastSync({
      sources: [
        source({
          state: 'degraded',
          failedFiles: 2,
          fileErrors: [
            error(FILE, 'spec.owner is required'),
            error('other.yaml', 'elsewhere'),
          ],
        }),
      ],
    });
    renderCard(api);

    expect(
      await screen.findByText(
        /This file has errors; the entity shows its last good version/,
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText('line 14, column 7: spec.owner is required'),
    ).toBeInTheDocument();
    expect(screen.queryByText(/elsewhere/)).not.toBeInTheDocument();
  });

  it('is shown only on entities the engine published', () => {
    expect(isCentralConfigEntity(entity)).toBe(true);
    expect(
      isCentralConfigEntity({
        metadata: { annotations: { 'backstage.io/view-url': VIEW } },
      }),
    ).toBe(false);
    expect(isCentralConfigEntity({ metadata: {} })).toBe(false);
  });
});
