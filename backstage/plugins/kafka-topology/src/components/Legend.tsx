import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import { COLORS } from './TopologyGraph';

const Swatch = ({
  color,
  round,
  border,
  dashed,
}: {
  color: string;
  round?: boolean;
  border?: string;
  dashed?: boolean;
}) => (
  <span
    style={{
      display: 'inline-block',
      width: round ? 12 : 18,
      height: 12,
      borderRadius: round ? 6 : 3,
      background: color,
      border: border
        ? `2px ${dashed ? 'dashed' : 'solid'} ${border}`
        : undefined,
      marginRight: 6,
      verticalAlign: 'middle',
    }}
  />
);

const Line = ({ color, dashed }: { color: string; dashed?: boolean }) => (
  <span
    style={{
      display: 'inline-block',
      width: 24,
      borderTop: `2px ${dashed ? 'dashed' : 'solid'} ${color}`,
      marginRight: 6,
      verticalAlign: 'middle',
    }}
  />
);

const items = [
  {
    key: 'cluster',
    icon: <Swatch color={COLORS.cluster} border={COLORS.clusterBorder} />,
    text: 'cluster',
  },
  { key: 'topic', icon: <Swatch color={COLORS.topic} />, text: 'topic' },
  // The applications: a round swatch of their kind's colour.
  ...(
    [
      ['service', 'service of the repository'],
      ['stream', 'stream'],
      ['connector', 'connector'],
      ['user', 'other client'],
    ] as const
  ).map(([key, text]) => ({
    key,
    icon: <Swatch color={COLORS[key]} round />,
    text,
  })),
  {
    key: 'produces',
    icon: <Line color={COLORS.produces} />,
    text: 'produces to',
  },
  {
    key: 'consumes',
    icon: <Line color={COLORS.consumes} dashed />,
    text: 'consumed by',
  },
  {
    key: 'drift',
    icon: <Swatch color="#fff" border={COLORS.drift} />,
    text: 'drift (live)',
  },
  {
    key: 'undeclared',
    icon: <Swatch color="#fff" border={COLORS.undeclared} dashed />,
    text: 'undeclared (live)',
  },
];

/** What the shapes, colours and lines of the graph mean. */
export const Legend = () => (
  <Box
    display="flex"
    flexWrap="wrap"
    style={{ gap: 16 }}
    data-testid="kafka-legend"
  >
    {items.map(i => (
      <Typography key={i.key} variant="caption" component="span">
        {i.icon}
        {i.text}
      </Typography>
    ))}
  </Box>
);
