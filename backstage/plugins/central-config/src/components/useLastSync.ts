import { useApi } from '@backstage/frontend-plugin-api';
import { LastSync } from '@central-config/backstage-plugin-central-config-common';
import { useCallback, useEffect, useRef, useState } from 'react';
import { centralConfigApiRef } from '../api';

/** How often the status is read while shown; faster while a run is on. */
export const POLL_MS = 10_000;
export const POLL_RUNNING_MS = 1_000;

export type LastSyncState = {
  /** The last answer; kept while a refresh is on or fails (no flicker). */
  value?: LastSync;
  /** The last refresh's error, if it failed. */
  error?: Error;
  /** True until the first answer or error. */
  loading: boolean;
  /** When value was read. */
  readAt?: number;
  /** Reads now. */
  refresh: () => void;
};

/**
 * The engine's status, read now and again every POLL_MS while the
 * component is mounted (every POLL_RUNNING_MS while a source syncs).
 */
export function useLastSync(): LastSyncState {
  const api = useApi(centralConfigApiRef);
  const [state, setState] = useState<Omit<LastSyncState, 'refresh'>>({
    loading: true,
  });
  const timer = useRef<ReturnType<typeof setTimeout>>();
  const alive = useRef(true);

  const read = useCallback(async () => {
    clearTimeout(timer.current);
    let running = false;
    try {
      const value = await api.getLastSync();
      running = value.sources.some(s => s.runningRunId !== null);
      if (alive.current) {
        setState({ value, loading: false, readAt: Date.now() });
      }
    } catch (error) {
      if (alive.current) {
        setState(prev => ({ ...prev, error: error as Error, loading: false }));
      }
    }
    if (alive.current) {
      timer.current = setTimeout(read, running ? POLL_RUNNING_MS : POLL_MS);
    }
  }, [api]);

  useEffect(() => {
    alive.current = true;
    read();
    return () => {
      alive.current = false;
      clearTimeout(timer.current);
    };
  }, [read]);

  return { ...state, refresh: read };
}
