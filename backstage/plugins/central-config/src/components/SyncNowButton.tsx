import { useApi } from '@backstage/frontend-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  centralConfigSyncPermission,
  SyncRun,
} from '@central-config/backstage-plugin-central-config-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import CircularProgress from '@material-ui/core/CircularProgress';
import Typography from '@material-ui/core/Typography';
import SyncIcon from '@material-ui/icons/Sync';
import { useEffect, useRef, useState } from 'react';
import { centralConfigApiRef } from '../api';

/** How often a started run is looked at until it finishes. */
export const FOLLOW_MS = 700;

/**
 * How long a started run is followed: the engine bounds a run by its
 * timeout (at most 10 minutes by default); past that the button stops
 * waiting and says so, instead of spinning for ever.
 */
export const FOLLOW_LIMIT_MS = 11 * 60 * 1000;

type Progress =
  | { phase: 'idle' }
  | { phase: 'starting' }
  | { phase: 'running'; runId: number }
  | { phase: 'done'; run: SyncRun }
  | { phase: 'error'; message: string };

function summary(run: SyncRun): string {
  const c = run.counts;
  switch (run.outcome) {
    case 'failed':
      return `Run #${run.id} failed: ${run.reason ?? 'see the history'}`;
    case 'degraded':
      return `Run #${run.id} degraded: ${run.errorCount} file error${
        run.errorCount === 1 ? '' : 's'
      }; the other files are synced`;
    case 'unchanged':
      return `Run #${run.id}: nothing changed`;
    case 'abandoned':
      return `Run #${run.id} did not finish: ${
        run.reason ?? 'the engine process ended'
      }`;
    default:
      return `Run #${run.id} succeeded: ${c.added} added, ${c.changed} changed, ${c.removed} removed`;
  }
}

/**
 * Starts a run of the source and follows it to its end, without a page
 * reload. Hidden for users the central-config.sync.run permission denies.
 */
export const SyncNowButton = ({
  source,
  onFinished,
  followLimitMs = FOLLOW_LIMIT_MS,
}: {
  source: string;
  onFinished?: () => void;
  followLimitMs?: number;
}) => {
  const api = useApi(centralConfigApiRef);
  const { allowed, loading } = usePermission({
    permission: centralConfigSyncPermission,
  });
  const [progress, setProgress] = useState<Progress>({ phase: 'idle' });
  const alive = useRef(true);
  useEffect(
    () => () => {
      alive.current = false;
    },
    [],
  );

  if (loading || !allowed) {
    return null;
  }

  const start = async () => {
    setProgress({ phase: 'starting' });
    try {
      const { runs } = await api.syncNow(source);
      const runId = runs.find(r => r.source === source)?.runId;
      if (!runId) {
        throw new Error('the engine started no run of this source');
      }
      onFinished?.();
      setProgress({ phase: 'running', runId });
      const giveUpAt = Date.now() + followLimitMs;
      for (;;) {
        const run = await api.getRun(runId);
        if (!alive.current) return;
        if (run.outcome !== 'running' && run.finishedAt) {
          setProgress({ phase: 'done', run });
          onFinished?.();
          return;
        }
        if (Date.now() >= giveUpAt) {
          setProgress({
            phase: 'error',
            message: `run #${runId} is still running after ${Math.round(
              followLimitMs / 1000,
            )} s; the history shows how it ends`,
          });
          return;
        }
        await new Promise(resolve =>
          setTimeout(resolve, Math.min(FOLLOW_MS, followLimitMs)),
        );
      }
    } catch (error) {
      if (alive.current) {
        setProgress({ phase: 'error', message: (error as Error).message });
      }
    }
  };

  const busy = progress.phase === 'starting' || progress.phase === 'running';
  return (
    <Box display="flex" alignItems="center" style={{ gap: 12 }}>
      <Button
        variant="outlined"
        color="primary"
        size="small"
        startIcon={busy ? <CircularProgress size={16} /> : <SyncIcon />}
        disabled={busy}
        onClick={start}
        aria-label={`Sync ${source} now`}
      >
        Sync now
      </Button>
      <Typography variant="body2" role="status" aria-live="polite">
        {progress.phase === 'starting' && 'Starting…'}
        {progress.phase === 'running' && `Run #${progress.runId} running…`}
        {progress.phase === 'done' && summary(progress.run)}
        {progress.phase === 'error' && `Could not sync: ${progress.message}`}
      </Typography>
    </Box>
  );
};
