import { InfoCard } from '@backstage/core-components';
import { SourceStatus } from '@central-config/backstage-plugin-central-config-common';
import Box from '@material-ui/core/Box';
import Grid from '@material-ui/core/Grid';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import { ReactNode } from 'react';
import { interval, publishedCounts } from '../format';
import { ReasonCode } from '../ReasonCode';
import { Revision } from '../Revision';
import { StateBadge } from '../StateBadge';
import { SyncNowButton } from '../SyncNowButton';
import { Time } from '../Time';
import { FileErrorsTable } from './FileErrorsTable';
import { RunHistory } from './RunHistory';

const Fact = ({ label, children }: { label: string; children: ReactNode }) => (
  <Grid item xs={12} sm={6} md={4}>
    <Typography variant="overline" color="textSecondary" component="div">
      {label}
    </Typography>
    <Typography variant="body1" component="div" data-testid={label}>
      {children}
    </Typography>
  </Grid>
);

function lastChanges(source: SourceStatus): string {
  const run = source.lastRun;
  if (!run || run.outcome === 'failed' || run.outcome === 'running') return '';
  const c = run.counts;
  return ` (last run: ${c.added} added, ${c.changed} changed, ${c.removed} removed)`;
}

/** Why the source is not simply synced, and what to do. */
const Explanation = ({ source }: { source: SourceStatus }) => {
  switch (source.state) {
    case 'never':
      return (
        <Alert severity="info">
          This source has never finished a sync. The engine syncs every source
          when it starts; if this stays, look at the engine's log.
        </Alert>
      );
    case 'failed':
      return (
        <Alert severity="error">
          The last sync failed
          {source.consecutiveFailures > 1
            ? ` (${source.consecutiveFailures} times in a row)`
            : ''}
          : {source.lastRun?.reason ?? 'no reason recorded'}
          <ReasonCode code={source.lastRun?.reasonCode ?? null} />. The catalog
          keeps what was published before; the engine retries with backoff.
        </Alert>
      );
    case 'degraded':
      return (
        <Alert severity="warning">
          {source.failedFiles} file
          {source.failedFiles === 1 ? ' has' : 's have'} errors:{' '}
          {source.failedFiles === 1 ? 'it keeps' : 'they keep'} the entities of
          the last good revision; every other file is synced. Fix the files
          below and commit.
        </Alert>
      );
    default:
      return null;
  }
};

/** One source: state, freshness, revision, counts, errors and history. */
export const SourcePanel = ({
  source,
  onChange,
}: {
  source: SourceStatus;
  onChange: () => void;
}) => (
  <InfoCard
    title={
      <Box display="flex" alignItems="center" style={{ gap: 16 }}>
        <span>Source {source.id}</span>
        <StateBadge state={source.state} />
      </Box>
    }
    action={
      <Box pt={2} pr={2}>
        <SyncNowButton source={source.id} onFinished={onChange} />
      </Box>
    }
  >
    <Box display="flex" flexDirection="column" style={{ gap: 16 }}>
      <Explanation source={source} />
      <Grid container spacing={2}>
        <Fact label="Last success">
          <Time iso={source.lastSuccessAt} />
        </Fact>
        <Fact label="Revision">
          <Revision revision={source.revision} url={source.revisionUrl} />
        </Fact>
        <Fact label="Next sync">
          {source.runningRunId !== null ? (
            `running now (run #${source.runningRunId})`
          ) : (
            <Time iso={source.nextDueAt} none="not scheduled" />
          )}
        </Fact>
        <Fact label="Entities">
          {publishedCounts(source.entityCount, source.locationCount)}
          {lastChanges(source)}
        </Fact>
        <Fact label="Last attempt">
          <Time iso={source.lastAttemptAt} />
        </Fact>
        <Fact label="Interval">{interval(source.intervalSeconds)}</Fact>
      </Grid>
      <FileErrorsTable errors={source.fileErrors} />
      <RunHistory source={source.id} latestRunId={source.lastRun?.id ?? null} />
    </Box>
  </InfoCard>
);
