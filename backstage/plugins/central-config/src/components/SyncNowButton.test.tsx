import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { act, screen, waitFor } from '@testing-library/react';
import { centralConfigApiRef } from '../api';
import { FakeCentralConfigApi } from '../__testUtils__/fakeEngine';
import { SyncNowButton } from './SyncNowButton';

// In a file of its own: the permission hook caches answers per permission
// for the whole module, so an allowing test elsewhere would mask this one.
describe('SyncNowButton', () => {
  it('is not shown to users the central-config.sync.run permission denies', async () => {
    const api = new FakeCentralConfigApi();
    const asked: string[] = [];
    const permission = mockApis.permission({
      authorize: request => {
        asked.push(request.permission.name);
        return AuthorizeResult.DENY;
      },
    });
    renderInTestApp(
      <>
        <span>rendered</span>
        <SyncNowButton source="example" />
      </>,
      { apis: [[centralConfigApiRef, api], permission] },
    );
    expect(await screen.findByText('rendered')).toBeInTheDocument();
    await waitFor(() => expect(asked).toEqual(['central-config.sync.run']));
    await act(() => new Promise(resolve => setTimeout(resolve, 50)));
    expect(
      screen.queryByRole('button', { name: 'Sync example now' }),
    ).not.toBeInTheDocument();
  });
});
