import {
  Content,
  ContentHeader,
  EmptyState,
  Progress,
  SupportButton,
} from '@backstage/core-components';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Card from '@material-ui/core/Card';
import CardActions from '@material-ui/core/CardActions';
import CardContent from '@material-ui/core/CardContent';
import Grid from '@material-ui/core/Grid';
import MenuItem from '@material-ui/core/MenuItem';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import { useEffect, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import { TopologyQuery } from '../../api';
import { count } from '../count';
import { LayoutName } from '../TopologyGraph';
import { TopologyView } from '../TopologyView';
import { useDebounced } from '../useDebounced';
import { useKafkaClusters, useTopology } from '../useTopology';
import { EngineErrorPanel } from '../EngineErrorPanel';

/** Default of initialLimit. */
export const DEFAULT_INITIAL_LIMIT = 1500;

const PARAMS = ['cluster', 'owner', 'search', 'focus', 'depth'] as const;

/**
 * The Kafka topology page: filters (cluster, owner, search, focus) in the
 * URL, the graph, and a cluster overview instead of the whole graph when
 * the topology has more than initialLimit topics and applications and no
 * filter is set.
 */
export const KafkaTopologyPage = ({
  initialLimit = DEFAULT_INITIAL_LIMIT,
}: {
  initialLimit?: number;
}) => {
  const [params, setParams] = useSearchParams();
  const {
    value: clusters,
    error: clustersError,
    retry: retryClusters,
  } = useKafkaClusters();
  const [searchText, setSearchText] = useState(params.get('search') ?? '');
  const [ownerText, setOwnerText] = useState(params.get('owner') ?? '');
  const search = useDebounced(searchText, 300);
  const owner = useDebounced(ownerText, 300);
  const layout = (params.get('layout') as LayoutName) || 'fcose';

  const set = (changes: Record<string, string | undefined>) =>
    setParams(
      prev => {
        const next = new URLSearchParams(prev);
        for (const [k, v] of Object.entries(changes)) {
          if (v) next.set(k, v);
          else next.delete(k);
        }
        return next;
      },
      { replace: true },
    );

  useEffect(() => {
    if ((params.get('search') ?? '') !== search) set({ search });
    if ((params.get('owner') ?? '') !== owner) set({ owner });
    // set is stable in effect: it reads the latest params itself.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [search, owner]);

  const query: TopologyQuery = {};
  for (const p of PARAMS) {
    const v = params.get(p);
    if (v) (query as Record<string, string>)[p] = v;
  }
  const filtered = Object.keys(query).length > 0;
  const total = (clusters ?? []).reduce(
    (n, c) => n + c.topics + c.applications,
    0,
  );
  const overview =
    !filtered && params.get('all') !== '1' && total > initialLimit;
  const topology = useTopology(query, !clusters || overview);
  useEffect(() => {
    if (overview) performance.mark?.('kafka-overview-painted');
  }, [overview]);

  let body;
  if (clustersError) {
    body = <EngineErrorPanel error={clustersError} onRetry={retryClusters} />;
  } else if (!clusters) {
    body = <Progress />;
  } else if (clusters.length === 0) {
    body = (
      <EmptyState
        missing="data"
        title="No Kafka topology"
        description="The config repository declares no Kafka cluster, topic or client. docs/kafka.md lists the formats the engine reads (its own, Strimzi, JulieOps, kafka-gitops)."
      />
    );
  } else if (overview) {
    body = (
      <Box>
        <Typography variant="body1" paragraph data-testid="kafka-overview">
          {total} topics and applications are too many to draw at once. Pick a
          cluster, an owner or a search, or draw everything anyway.
        </Typography>
        <Grid container spacing={2}>
          {clusters.map(c => (
            <Grid item xs={12} sm={6} md={4} key={c.name}>
              <Card>
                <CardContent>
                  <Typography variant="h6">{c.name}</Typography>
                  <Typography variant="body2" color="textSecondary">
                    {c.environment ? `${c.environment} · ` : ''}
                    {[
                      count(c.topics, 'topic'),
                      count(c.producers, 'producer'),
                      count(c.consumers, 'consumer'),
                    ].join(' · ')}
                  </Typography>
                </CardContent>
                <CardActions>
                  <Button
                    size="small"
                    color="primary"
                    onClick={() => set({ cluster: c.name })}
                  >
                    Draw this cluster
                  </Button>
                </CardActions>
              </Card>
            </Grid>
          ))}
        </Grid>
        <Box mt={2}>
          <Button variant="outlined" onClick={() => set({ all: '1' })}>
            Draw everything
          </Button>
        </Box>
      </Box>
    );
  } else {
    // A failed read keeps the graph it had, under the error.
    body = (
      <Box display="flex" flexDirection="column" style={{ gap: 16 }}>
        {topology.error && (
          <EngineErrorPanel error={topology.error} onRetry={topology.retry} />
        )}
        <TopologyView
          topology={topology.value}
          loading={topology.loading}
          layout={layout}
          onFocus={id => set({ focus: id, depth: params.get('depth') ?? '1' })}
        />
      </Box>
    );
  }

  return (
    <Content>
      <ContentHeader title="Kafka topology">
        <SupportButton>
          The clusters, topics and clients the config repository declares: who
          produces to and who consumes each topic. Click a node for its details
          and its catalog entity.
        </SupportButton>
      </ContentHeader>
      <Box display="flex" flexWrap="wrap" style={{ gap: 16 }} mb={2}>
        <TextField
          select
          label="Cluster"
          // Until the clusters are read, the URL's cluster has no option.
          value={
            clusters?.some(c => c.name === params.get('cluster'))
              ? params.get('cluster')
              : ''
          }
          onChange={e => set({ cluster: e.target.value })}
          style={{ minWidth: 200 }}
          SelectProps={{
            SelectDisplayProps: { 'aria-label': 'Cluster' } as any,
          }}
        >
          <MenuItem value="">All clusters</MenuItem>
          {(clusters ?? []).map(c => (
            <MenuItem key={c.name} value={c.name}>
              {c.name}
            </MenuItem>
          ))}
        </TextField>
        <TextField
          label="Owner"
          value={ownerText}
          onChange={e => setOwnerText(e.target.value)}
          inputProps={{ 'aria-label': 'Owner' }}
        />
        <TextField
          label="Search topics and applications"
          value={searchText}
          onChange={e => setSearchText(e.target.value)}
          inputProps={{ 'aria-label': 'Search' }}
          style={{ minWidth: 280 }}
        />
        <TextField
          select
          label="Layout"
          value={layout}
          onChange={e =>
            set({
              layout: e.target.value === 'fcose' ? undefined : e.target.value,
            })
          }
          style={{ minWidth: 220 }}
        >
          <MenuItem value="fcose">Force-directed (fcose)</MenuItem>
          <MenuItem value="flow">Producer → topic → consumer</MenuItem>
        </TextField>
        {params.get('focus') && (
          <Box display="flex" alignItems="center" style={{ gap: 8 }}>
            <TextField
              select
              label={`Around ${params.get('focus')}`}
              value={params.get('depth') ?? '1'}
              onChange={e => set({ depth: e.target.value })}
            >
              {[1, 2, 3, 4, 5].map(d => (
                <MenuItem key={d} value={String(d)}>
                  {d} step{d > 1 ? 's' : ''}
                </MenuItem>
              ))}
            </TextField>
            <Button
              size="small"
              onClick={() => set({ focus: undefined, depth: undefined })}
            >
              Show all
            </Button>
          </Box>
        )}
      </Box>
      {body}
    </Content>
  );
};
