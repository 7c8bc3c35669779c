import { InfoCard, Link, Progress } from '@backstage/core-components';
import { SourceStatus } from '@central-config/backstage-plugin-central-config-common';
import List from '@material-ui/core/List';
import ListItem from '@material-ui/core/ListItem';
import ListItemText from '@material-ui/core/ListItemText';
import { makeStyles } from '@material-ui/core/styles';
import Alert from '@material-ui/lab/Alert';
import { EngineError } from './EngineError';
import { isStale, publishedCounts } from './format';
import { StateBadge } from './StateBadge';
import { Time } from './Time';
import { useLastSync } from './useLastSync';

// Backstage's theme keeps dense list items on one line, clipped with an
// ellipsis; in the catalog's narrow filter column that cut the time
// ("last success 1 second a"). The card's lines wrap instead.
const useStyles = makeStyles({ wrap: { whiteSpace: 'normal' } });

/** Default of staleAfterIntervals. */
export const DEFAULT_STALE_AFTER_INTERVALS = 3;

const SourceLine = ({
  source,
  staleAfterIntervals,
}: {
  source: SourceStatus;
  staleAfterIntervals: number;
}) => {
  const classes = useStyles();
  const stale = isStale(
    source.lastSuccessAt,
    source.intervalSeconds,
    staleAfterIntervals,
  );
  return (
    <ListItem dense disableGutters data-testid={`source-${source.id}`}>
      <ListItemText
        className={classes.wrap}
        primary={
          <>
            {source.id}: <StateBadge state={source.state} />
          </>
        }
        secondary={
          <>
            last success <Time iso={source.lastSuccessAt} compact />
            {source.state !== 'never' &&
              ` · ${publishedCounts(source.entityCount, source.locationCount)}`}
            {stale && (
              <Alert severity="warning" style={{ marginTop: 4 }}>
                No successful sync for more than {staleAfterIntervals}{' '}
                intervals: the catalog may be out of date.
              </Alert>
            )}
          </>
        }
        secondaryTypographyProps={{ component: 'div' }}
      />
    </ListItem>
  );
};

/**
 * One line per source with its state and last success, for the catalog
 * index and home pages. A source turns to a warning when its last success
 * is older than staleAfterIntervals of its sync intervals.
 */
export const SyncStatusCard = ({
  staleAfterIntervals = DEFAULT_STALE_AFTER_INTERVALS,
  statusPath = '/central-config',
}: {
  staleAfterIntervals?: number;
  /** Where the sync status page is. */
  statusPath?: string;
}) => {
  const { value, error, loading } = useLastSync();
  return (
    <InfoCard
      title="Config sync"
      deepLink={{ title: 'Sync status', link: statusPath }}
      noPadding={false}
    >
      {loading && <Progress />}
      {!value && error && <EngineError error={error} />}
      {value && value.sources.length === 0 && (
        <>No sources configured in the central-config engine.</>
      )}
      {value && (
        <List dense disablePadding>
          {value.sources.map(s => (
            <SourceLine
              key={s.id}
              source={s}
              staleAfterIntervals={staleAfterIntervals}
            />
          ))}
        </List>
      )}
      {value && error && (
        <Link to={statusPath}>The engine does not answer now.</Link>
      )}
    </InfoCard>
  );
};
