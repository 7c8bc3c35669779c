import {
  Content,
  ContentHeader,
  EmptyState,
  Progress,
  SupportButton,
} from '@backstage/core-components';
import Box from '@material-ui/core/Box';
import { EngineError } from '../EngineError';
import { useLastSync } from '../useLastSync';
import { CatalogPanel } from './CatalogPanel';
import { SourcePanel } from './SourcePanel';

/**
 * The sync status page: is the catalog fresh, and why not. Refreshes itself
 * while open and keeps what it shows while a refresh is on.
 */
export const SyncStatusPage = () => {
  const { value, error, loading, readAt, retry } = useLastSync();

  let body;
  if (loading) {
    body = <Progress />;
  } else if (!value) {
    body = <EngineError error={error!} onRetry={retry} />;
  } else if (value.sources.length === 0) {
    body = (
      <EmptyState
        missing="data"
        title="No sources configured"
        description="The engine syncs no config repository. Add one under centralConfig.sources in the engine's app-config (see docs/configuration.md) and restart it."
      />
    );
  } else {
    body = (
      <Box display="flex" flexDirection="column" style={{ gap: 24 }}>
        {error && <EngineError error={error} onRetry={retry} stale={readAt} />}
        <CatalogPanel status={value} />
        {value.sources.map(source => (
          <SourcePanel key={source.id} source={source} onChange={retry} />
        ))}
      </Box>
    );
  }

  return (
    <Content>
      <ContentHeader title="Sync status">
        <SupportButton>
          Whether the catalog holds what the config repository says: each
          source's last sync, its revision, file errors and run history, and
          what the Backstage catalog has applied.
        </SupportButton>
      </ContentHeader>
      {body}
    </Content>
  );
};
