import { DependencyList, useCallback, useEffect, useRef } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';

/** What {@link usePolling} gives a component. */
export type PolledState<T> = {
  /** The last answer; kept while a later read is on or after it failed. */
  value?: T;
  /** When value was read (ms since the epoch). */
  readAt?: number;
  /** The last read's error, until a read succeeds. */
  error?: Error;
  /** True until the first answer or error. */
  loading: boolean;
  /** Reads now; the next poll is counted from its answer. */
  retry: () => void;
};

/**
 * `read` now and again while the component is mounted, `delay(answer)`
 * milliseconds after each answer (`delay(undefined)` after a failed read).
 * A failed poll keeps the last answer, so a page does not lose what it
 * shows when the engine stops answering for a moment; it shows the error
 * beside it. Built on react-use's useAsyncRetry: an answer that arrives
 * after unmount or after a newer read is dropped.
 */
export function usePolling<T>(
  read: () => Promise<T>,
  delay: (answer: T | undefined) => number,
  deps: DependencyList,
): PolledState<T> {
  const state = useAsyncRetry(
    async () => ({ answer: await read(), readAt: Date.now() }),
    // read is a new function each render; deps say what it reads.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    deps,
  );
  const last = useRef(state.value);
  if (state.value) last.current = state.value;

  const { loading, retry } = state;
  // useAsyncRetry ignores a retry while a read is on; one asked for then
  // (Sync now finished during a poll) runs as soon as that read ends.
  const asked = useRef(false);
  let wait: number | undefined;
  if (!loading) wait = asked.current ? 0 : delay(state.value?.answer);
  useEffect(() => {
    if (wait === undefined) return undefined;
    const timer = setTimeout(() => {
      asked.current = false;
      retry();
    }, wait);
    return () => clearTimeout(timer);
  }, [wait, retry]);
  const readNow = useCallback(() => {
    if (loading) asked.current = true;
    else retry();
  }, [loading, retry]);

  return {
    value: last.current?.answer,
    readAt: last.current?.readAt,
    error: state.error,
    loading: loading && !last.current && !state.error,
    retry: readNow,
  };
}
