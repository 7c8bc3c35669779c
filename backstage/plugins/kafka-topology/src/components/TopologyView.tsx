import { Progress } from '@backstage/core-components';
import Box from '@material-ui/core/Box';
import IconButton from '@material-ui/core/IconButton';
import Tooltip from '@material-ui/core/Tooltip';
import Typography from '@material-ui/core/Typography';
import FullscreenIcon from '@material-ui/icons/Fullscreen';
import ZoomInIcon from '@material-ui/icons/ZoomIn';
import ZoomOutIcon from '@material-ui/icons/ZoomOut';
import Alert from '@material-ui/lab/Alert';
import { ReactNode, startTransition, useRef, useState } from 'react';
import { KafkaTopology, NodeData } from '../api';
import { count } from './count';
import { Legend } from './Legend';
import { NodePanel } from './NodePanel';
import {
  GraphControls,
  isLarge,
  LayoutName,
  TopologyGraph,
} from './TopologyGraph';

/** One button of the graph's toolbar, with its tooltip. */
const ToolButton = ({
  title,
  label,
  onClick,
  children,
}: {
  title: string;
  label: string;
  onClick: () => void;
  children: ReactNode;
}) => (
  <Tooltip title={title}>
    <IconButton size="small" aria-label={label} onClick={onClick}>
      {children}
    </IconButton>
  </Tooltip>
);

/**
 * A drawn topology with its counts, fit and zoom buttons, the legend and
 * the details panel of the clicked node. Shared by the page and the entity
 * tab.
 */
export const TopologyView = ({
  topology,
  loading,
  layout,
  onFocus,
  height,
}: {
  topology?: KafkaTopology;
  loading: boolean;
  layout: LayoutName;
  onFocus: (id: string) => void;
  height?: number | string;
}) => {
  const controls = useRef<GraphControls>();
  const [selected, setSelected] = useState<NodeData>();

  if (!topology) {
    return loading ? <Progress /> : null;
  }
  const { counts } = topology;
  if (counts.topics + counts.applications === 0) {
    return (
      <Alert severity="info">
        Nothing matches these filters. Clear a filter or search for another
        name.
      </Alert>
    );
  }
  return (
    <Box display="flex" flexDirection="column" style={{ gap: 8 }}>
      <Box display="flex" alignItems="center" style={{ gap: 8 }}>
        <Typography variant="body2" data-testid="kafka-counts">
          {[
            count(counts.clusters, 'cluster'),
            count(counts.topics, 'topic'),
            count(counts.applications, 'application'),
            count(counts.edges, 'connection'),
          ].join(', ')}
        </Typography>
        {loading && <Typography variant="caption">updating…</Typography>}
        {isLarge(topology) && (
          <Typography variant="caption" color="textSecondary">
            Large graph: drawn left to right, clusters as headers, without
            arrows (producers left, consumers right), drift filled in its
            colour. Zoom in for names; filter to see more.
          </Typography>
        )}
        <Box flexGrow={1} />
        <ToolButton
          title="Fit to screen"
          label="Fit"
          onClick={() => controls.current?.fit()}
        >
          <FullscreenIcon />
        </ToolButton>
        <ToolButton
          title="Zoom in"
          label="Zoom in"
          onClick={() => controls.current?.zoom(1.3)}
        >
          <ZoomInIcon />
        </ToolButton>
        <ToolButton
          title="Zoom out"
          label="Zoom out"
          onClick={() => controls.current?.zoom(1 / 1.3)}
        >
          <ZoomOutIcon />
        </ToolButton>
      </Box>
      <Box display="flex" style={{ gap: 16 }} alignItems="flex-start">
        <Box flexGrow={1} minWidth={0}>
          <TopologyGraph
            topology={topology}
            layout={layout}
            // The panel's entity link may suspend while it loads the
            // entity's title: keep the graph on screen meanwhile.
            onSelect={node => startTransition(() => setSelected(node))}
            onReady={c => {
              controls.current = c;
            }}
            height={height}
          />
        </Box>
        {selected && (
          <NodePanel
            node={selected}
            onClose={() => setSelected(undefined)}
            onFocus={id => {
              setSelected(undefined);
              onFocus(id);
            }}
          />
        )}
      </Box>
      <Legend />
    </Box>
  );
};
