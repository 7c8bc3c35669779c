import { useApi } from '@backstage/frontend-plugin-api';
import {
  SyncRun,
  SyncRunList,
} from '@central-config/backstage-plugin-central-config-common';
import Button from '@material-ui/core/Button';
import Typography from '@material-ui/core/Typography';
import Timeline from '@material-ui/lab/Timeline';
import TimelineConnector from '@material-ui/lab/TimelineConnector';
import TimelineContent from '@material-ui/lab/TimelineContent';
import TimelineDot from '@material-ui/lab/TimelineDot';
import TimelineItem from '@material-ui/lab/TimelineItem';
import TimelineOppositeContent from '@material-ui/lab/TimelineOppositeContent';
import TimelineSeparator from '@material-ui/lab/TimelineSeparator';
import { useRef } from 'react';
import useAsyncFn from 'react-use/esm/useAsyncFn';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { centralConfigApiRef } from '../../api';
import { duration } from '../format';
import { ReasonCode } from '../ReasonCode';
import { Revision } from '../Revision';
import { OutcomeBadge } from '../StateBadge';
import { Time } from '../Time';

const PAGE = 10;

const DOT: Record<SyncRun['outcome'], 'primary' | 'secondary' | 'grey'> = {
  succeeded: 'primary',
  unchanged: 'grey',
  degraded: 'secondary',
  failed: 'secondary',
  running: 'grey',
  abandoned: 'secondary',
};

function describe(run: SyncRun): string {
  const parts = [`${run.trigger}`];
  if (run.durationSeconds !== null) parts.push(duration(run.durationSeconds));
  const c = run.counts;
  if (run.outcome === 'succeeded' || run.outcome === 'degraded') {
    parts.push(`${c.added} added, ${c.changed} changed, ${c.removed} removed`);
  }
  if (run.errorCount > 0) {
    parts.push(
      `${run.errorCount} file error${run.errorCount === 1 ? '' : 's'}`,
    );
  }
  if (run.repeats > 0) parts.push(`and ${run.repeats} more like it`);
  return parts.join(' · ');
}

/**
 * The source's runs, newest first, as a timeline; refreshed when a new run
 * finishes (latestRunId changes), older pages on demand.
 */
export const RunHistory = ({
  source,
  latestRunId,
}: {
  source: string;
  latestRunId: number | null;
}) => {
  const api = useApi(centralConfigApiRef);
  const newest = useAsyncRetry(
    () => api.getRuns({ source, limit: PAGE }),
    [api, source, latestRunId],
  );
  // Older pages extend the newest page they were read after; a new newest
  // page (a run finished) starts the list again.
  const [older, loadOlder] = useAsyncFn(
    async (after: SyncRunList, shown: SyncRunList) => {
      const before = shown.runs[shown.runs.length - 1]?.id;
      const page = await api.getRuns({ source, before, limit: PAGE });
      return { after, runs: [...shown.runs, ...page.runs], next: page.next };
    },
    [api, source],
  );
  // A failed read keeps the runs shown (useAsyncFn forgets its value when
  // a read fails): the error and Retry go above them.
  const shownNewest = useRef<SyncRunList>();
  if (newest.value) shownNewest.current = newest.value;
  const shownOlder = useRef<typeof older.value>();
  if (older.value) shownOlder.current = older.value;
  const olderAfter = useRef<SyncRunList>();

  const latest = shownNewest.current;
  const list =
    shownOlder.current && shownOlder.current.after === latest
      ? shownOlder.current
      : latest;
  const runs = list?.runs ?? [];
  const readOlder = () => {
    if (!latest || !list) return;
    olderAfter.current = latest;
    loadOlder(latest, list);
  };
  // An older page's failure is about the list it was to extend, not one a
  // finished run has replaced since.
  const olderError = olderAfter.current === latest ? older.error : undefined;
  const error = newest.error ?? olderError;

  return (
    <div>
      <Typography variant="h6">Run history</Typography>
      {error && (
        <Typography color="error" variant="body2">
          Cannot read the run history: {error.message}{' '}
          <Button
            size="small"
            onClick={newest.error ? newest.retry : readOlder}
          >
            Retry
          </Button>
        </Typography>
      )}
      {latest && runs.length === 0 && (
        <Typography variant="body2">No runs yet.</Typography>
      )}
      <Timeline align="left">
        {runs.map((run, i) => (
          <TimelineItem key={run.id} data-testid="run">
            <TimelineOppositeContent style={{ flex: 0.25 }}>
              <Typography variant="body2" color="textSecondary">
                <Time iso={run.finishedAt ?? run.startedAt} compact />
              </Typography>
            </TimelineOppositeContent>
            <TimelineSeparator>
              <TimelineDot color={DOT[run.outcome]} />
              {i < runs.length - 1 && <TimelineConnector />}
            </TimelineSeparator>
            <TimelineContent>
              <Typography variant="body2" component="div">
                #{run.id} <OutcomeBadge outcome={run.outcome} />{' '}
                <Revision revision={run.revision} url={run.revisionUrl} />
              </Typography>
              <Typography variant="caption" color="textSecondary">
                {describe(run)}
              </Typography>
              {run.reason && (
                <Typography variant="body2" color="error">
                  {run.reason}
                  <ReasonCode code={run.reasonCode} />
                </Typography>
              )}
            </TimelineContent>
          </TimelineItem>
        ))}
      </Timeline>
      {latest && list && list.next !== null && (
        <Button size="small" disabled={older.loading} onClick={readOlder}>
          Older runs
        </Button>
      )}
    </div>
  );
};
