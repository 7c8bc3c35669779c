import {
  StatusError,
  StatusOK,
  StatusPending,
  StatusRunning,
  StatusWarning,
} from '@backstage/core-components';
import {
  RunOutcome,
  SourceState,
} from '@central-config/backstage-plugin-central-config-common';

const LABELS: Record<SourceState, string> = {
  synced: 'Synced',
  syncing: 'Syncing',
  degraded: 'Degraded',
  failed: 'Failed',
  never: 'Never synced',
};

/** A source's state as a coloured status with its name. */
export const StateBadge = ({ state }: { state: SourceState }) => {
  const label = LABELS[state] ?? state;
  switch (state) {
    case 'synced':
      return <StatusOK>{label}</StatusOK>;
    case 'syncing':
      return <StatusRunning>{label}</StatusRunning>;
    case 'degraded':
      return <StatusWarning>{label}</StatusWarning>;
    case 'failed':
      return <StatusError>{label}</StatusError>;
    default:
      return <StatusPending>{label}</StatusPending>;
  }
};

/** A run's outcome as a coloured status. */
export const OutcomeBadge = ({ outcome }: { outcome: RunOutcome }) => {
  switch (outcome) {
    case 'succeeded':
      return <StatusOK>succeeded</StatusOK>;
    case 'unchanged':
      return <StatusOK>unchanged</StatusOK>;
    case 'degraded':
      return <StatusWarning>degraded</StatusWarning>;
    case 'failed':
      return <StatusError>failed</StatusError>;
    case 'abandoned':
      return <StatusError>abandoned</StatusError>;
    default:
      return <StatusRunning>running</StatusRunning>;
  }
};
