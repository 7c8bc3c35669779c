import { InfoCard, Link, Progress } from '@backstage/core-components';
import { useEntity } from '@backstage/plugin-catalog-react';
import { CENTRAL_CONFIG_ANNOTATIONS } from '@central-config/backstage-plugin-central-config-common';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import { EngineError } from './EngineError';
import { Revision } from './Revision';
import { StateBadge } from './StateBadge';
import { Time } from './Time';
import { useLastSync } from './useLastSync';

const VIEW_URL = 'backstage.io/view-url';

/** True for entities the central-config engine published. */
export function isCentralConfigEntity(entity: {
  metadata: { annotations?: Record<string, string> };
}): boolean {
  return Boolean(
    entity.metadata.annotations?.[CENTRAL_CONFIG_ANNOTATIONS.source],
  );
}

/**
 * Where an entity came from: the file in the config repository, the
 * revision it was read at, when its source last synced, and any current
 * error in that file (the entity then is the file's last good version).
 */
export const EntitySyncCard = () => {
  const { entity } = useEntity();
  const annotations = entity.metadata.annotations ?? {};
  const sourceId = annotations[CENTRAL_CONFIG_ANNOTATIONS.source];
  const file = annotations[CENTRAL_CONFIG_ANNOTATIONS.file];
  const revision = annotations[CENTRAL_CONFIG_ANNOTATIONS.revision] ?? null;
  const viewUrl = annotations[VIEW_URL];
  const { value, error, loading } = useLastSync();
  const source = value?.sources.find(s => s.id === sourceId);
  // Notes (severity info) need nothing done: not shown as problems.
  const fileErrors =
    source?.fileErrors.filter(e => e.file === file && e.severity !== 'info') ??
    [];

  return (
    <InfoCard
      title="Config repository"
      deepLink={{ title: 'Sync status', link: '/central-config' }}
    >
      <Typography variant="body2" component="div">
        <dl style={{ margin: 0 }}>
          <dt>File</dt>
          <dd data-testid="entity-file">
            {viewUrl ? <Link to={viewUrl}>{file}</Link> : file}
          </dd>
          <dt>Revision</dt>
          <dd>
            <Revision
              revision={revision}
              url={
                source && source.revision === revision
                  ? source.revisionUrl
                  : null
              }
            />
          </dd>
          <dt>Source</dt>
          <dd>
            {sourceId} {source && <StateBadge state={source.state} />}
          </dd>
          <dt>Last synced</dt>
          <dd>
            {loading && <Progress />}
            {source && <Time iso={source.lastSuccessAt} />}
            {!loading &&
              value &&
              !source &&
              'source not configured in the engine'}
          </dd>
        </dl>
      </Typography>
      {!value && error && <EngineError error={error} />}
      {fileErrors.length > 0 && (
        <Alert severity="error">
          This file has errors; the entity shows its last good version.
          <ul>
            {fileErrors.map((e, i) => (
              <li key={i}>
                {e.line !== undefined && `line ${e.line}`}
                {e.column !== undefined && `, column ${e.column}`}
                {e.line !== undefined && ': '}
                {e.message}
              </li>
            ))}
          </ul>
        </Alert>
      )}
    </InfoCard>
  );
};
