import { EntityRefLink } from '@backstage/plugin-catalog-react';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import IconButton from '@material-ui/core/IconButton';
import Paper from '@material-ui/core/Paper';
import Typography from '@material-ui/core/Typography';
import CloseIcon from '@material-ui/icons/Close';
import Alert from '@material-ui/lab/Alert';
import { ReactNode } from 'react';
import { NodeData } from '../api';

const Row = ({ label, children }: { label: string; children: ReactNode }) =>
  children === undefined || children === '' ? null : (
    <Box mb={1}>
      <Typography variant="overline" color="textSecondary" component="div">
        {label}
      </Typography>
      <Typography variant="body2" component="div">
        {children}
      </Typography>
    </Box>
  );

function typeName(node: NodeData): string {
  if (node.type === 'application') return `application (${node.kind})`;
  return node.type;
}

/** The details of the clicked node, a link to its catalog entity, and focus. */
export const NodePanel = ({
  node,
  onClose,
  onFocus,
}: {
  node: NodeData;
  onClose: () => void;
  onFocus: (id: string) => void;
}) => (
  <Paper data-testid="kafka-node-panel" style={{ padding: 16, width: 320 }}>
    <Box display="flex" justifyContent="space-between" alignItems="center">
      <Typography variant="h6" style={{ wordBreak: 'break-all' }}>
        {node.label}
      </Typography>
      <IconButton size="small" aria-label="Close details" onClick={onClose}>
        <CloseIcon fontSize="small" />
      </IconButton>
    </Box>
    <Row label="Type">{typeName(node)}</Row>
    {node.type !== 'cluster' && node.entityRef && (
      <Row label="In the catalog">
        <EntityRefLink entityRef={node.entityRef} />
      </Row>
    )}
    {node.type === 'cluster' && (
      <>
        <Row label="Environment">{node.environment}</Row>
        <Row label="Brokers">{node.brokers}</Row>
        <Row label="Bootstrap">{node.bootstrap}</Row>
        <Row label="Version">{node.version}</Row>
        {!node.declared && (
          <Alert severity="info">
            Named by topics; no document declares it.
          </Alert>
        )}
        {node.live === 'unreachable' && (
          <Alert severity="error">
            Live discovery cannot reach it: {node.liveError ?? 'no details'}
          </Alert>
        )}
      </>
    )}
    {node.type === 'topic' && (
      <>
        <Row label="Cluster">{node.cluster}</Row>
        <Row label="Partitions">{node.partitions}</Row>
        <Row label="Replicas">{node.replicas}</Row>
        <Row label="Owner">{node.owner}</Row>
        {node.config && Object.keys(node.config).length > 0 && (
          <Row label="Config">
            {Object.entries(node.config).map(([k, v]) => (
              <div key={k}>
                <code>{k}</code> = {v}
              </div>
            ))}
          </Row>
        )}
        {!node.declared && !node.drift && (
          <Alert severity="info">
            Referenced by an application; no document declares it.
          </Alert>
        )}
        {node.drift && (
          <Alert severity={node.drift === 'undeclared' ? 'warning' : 'error'}>
            Drift ({node.drift}): {node.driftDetail ?? ''}
          </Alert>
        )}
      </>
    )}
    {node.type === 'application' && (
      <>
        <Row label="Owner">{node.owner}</Row>
        <Row label="System">{node.system}</Row>
        <Row label="Principal">{node.principal}</Row>
        <Row label="Consumer groups">{node.consumerGroups?.join(', ')}</Row>
      </>
    )}
    <Row label="Description">{node.description}</Row>
    <Button
      size="small"
      variant="outlined"
      color="primary"
      onClick={() => onFocus(node.id)}
    >
      Show its neighbourhood
    </Button>
  </Paper>
);
