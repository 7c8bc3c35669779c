import { SyncRun } from '@central-config/backstage-plugin-central-config-common';
import Chip from '@material-ui/core/Chip';

/**
 * A failed run's reason code (docs/api.md, "reason codes") beside its
 * words: the code stays the same when the words change, so it is what a
 * reader searches the troubleshooting guide and alerts for. Nothing when
 * the run has none.
 */
export const ReasonCode = ({ code }: { code: SyncRun['reasonCode'] }) =>
  code ? (
    <Chip
      component="span"
      size="small"
      variant="outlined"
      label={code}
      title="Reason code (docs/troubleshooting.md, failed runs)"
      data-testid="reason-code"
      style={{ fontFamily: 'monospace', marginLeft: 4 }}
    />
  ) : null;
