import { InfoCard } from '@backstage/core-components';
import { LastSync } from '@central-config/backstage-plugin-central-config-common';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import { Time } from '../Time';

/**
 * A catalog normally applies a new generation within seconds (the engine's
 * event) or a poll interval; only a lag older than this is a warning.
 */
export const CATCH_UP_MS = 90_000;

function severity(lagging: boolean, fresh: boolean) {
  if (!lagging) return 'success';
  return fresh ? 'info' : 'warning';
}

// When the engine published its current generation, from the runs that did.
function publishedTime(status: LastSync): number | undefined {
  const times = status.sources
    .map(s => s.lastRun)
    .filter(r => r && r.generation === status.generation && r.finishedAt)
    .map(r => new Date(r!.finishedAt!).getTime());
  return times.length ? Math.max(...times) : undefined;
}

/**
 * What the Backstage catalogs applied of the engine's generations: the end
 * of the path from a commit to the catalog.
 */
export const CatalogPanel = ({ status }: { status: LastSync }) => {
  const { acks } = status.catalog;
  const publishedAt = publishedTime(status);
  const fresh =
    publishedAt !== undefined && Date.now() - publishedAt < CATCH_UP_MS;
  return (
    <InfoCard title="Backstage catalog">
      <Typography variant="body1" data-testid="engine-generation">
        The engine publishes generation {status.generation}.
      </Typography>
      {acks.length === 0 && (
        <Alert severity="warning">
          No Backstage catalog has reported a generation yet. The provider
          reports after it applies one; check that
          catalog.providers.centralConfig.token is the engine's token.
        </Alert>
      )}
      {acks.map(ack => (
        <Alert
          key={ack.consumer}
          severity={severity(ack.lagging, fresh)}
          data-testid={`ack-${ack.consumer}`}
        >
          {ack.lagging && fresh && (
            <>
              Catalog "{ack.consumer}" is applying generation{' '}
              {status.generation}, published{' '}
              <Time iso={new Date(publishedAt!).toISOString()} compact />; it
              has generation {ack.generation}.
            </>
          )}
          {ack.lagging && !fresh && (
            <>
              Catalog "{ack.consumer}" lags the engine: it applied generation{' '}
              {ack.generation}, <Time iso={ack.ackedAt} compact />; the engine
              is at {status.generation}. Entities changed since then are not in
              the catalog yet.
            </>
          )}
          {!ack.lagging && (
            <>
              Catalog "{ack.consumer}" applied generation {ack.generation},{' '}
              <Time iso={ack.ackedAt} compact />: it is up to date.
            </>
          )}
        </Alert>
      ))}
    </InfoCard>
  );
};
