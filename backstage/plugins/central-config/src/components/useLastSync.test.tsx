import { TestApiProvider } from '@backstage/frontend-test-utils';
import { act, renderHook } from '@testing-library/react';
import { ReactNode } from 'react';
import { centralConfigApiRef, EngineUnreachableError } from '../api';
import {
  FakeCentralConfigApi,
  lastSync,
  source,
} from '../__testUtils__/fakeEngine';
import { POLL_MS, POLL_RUNNING_MS, useLastSync } from './useLastSync';

/** useLastSync on `api`, and a clock that moves only when told. */
function renderPolling(api: FakeCentralConfigApi) {
  const wrapper = ({ children }: { children: ReactNode }) => (
    <TestApiProvider apis={[[centralConfigApiRef, api]]}>
      {children}
    </TestApiProvider>
  );
  return renderHook(() => useLastSync(), { wrapper });
}

const wait = (ms: number) => act(() => jest.advanceTimersByTimeAsync(ms));

describe('useLastSync', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('reads every POLL_MS, every POLL_RUNNING_MS while a source syncs, at the slow pace again after a failed read', async () => {
    const api = new FakeCentralConfigApi();
    const { result } = renderPolling(api);
    await wait(0);
    expect(result.current.value).toBeDefined();
    expect(api.reads).toBe(1);

    await wait(POLL_MS - 1);
    expect(api.reads).toBe(1);
    api.status = lastSync({
      sources: [source({ state: 'syncing', runningRunId: 8 })],
    });
    await wait(1);
    expect(api.reads).toBe(2);

    await wait(POLL_RUNNING_MS);
    expect(api.reads).toBe(3);
    api.status = new EngineUnreachableError('no answer (HTTP 502)', 502);
    await wait(POLL_RUNNING_MS);
    expect(api.reads).toBe(4);
    expect(result.current.error).toBe(api.status);
    expect(result.current.value?.sources[0].state).toBe('syncing');

    await wait(POLL_MS - 1);
    expect(api.reads).toBe(4);
    await wait(1);
    expect(api.reads).toBe(5);
  });

  it('leaves no timer behind once unmounted', async () => {
    const api = new FakeCentralConfigApi();
    const { unmount } = renderPolling(api);
    await wait(0);
    expect(jest.getTimerCount()).toBe(1);

    unmount();
    expect(jest.getTimerCount()).toBe(0);
  });
});
