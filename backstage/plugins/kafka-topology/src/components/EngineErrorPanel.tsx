import { ResponseErrorPanel, WarningPanel } from '@backstage/core-components';
import {
  ENGINE_UNREACHABLE_ADVICE,
  isEngineUnreachableError,
} from '@central-config/backstage-plugin-central-config-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';

/**
 * An error reading the engine: when the engine cannot be reached (the proxy
 * answered 502, 503 or 504, or Backstage did not answer), what to check, as
 * on the sync status page; otherwise Backstage's panel for the HTTP error.
 * onRetry: a Retry button under it.
 */
export const EngineErrorPanel = ({
  error,
  onRetry,
}: {
  error: Error;
  onRetry?: () => void;
}) => (
  <Box>
    {isEngineUnreachableError(error) ? (
      <WarningPanel
        severity="error"
        defaultExpanded
        title="The central-config engine cannot be reached"
        message={`${error.message}. ${ENGINE_UNREACHABLE_ADVICE}`}
      />
    ) : (
      <ResponseErrorPanel error={error} />
    )}
    {onRetry && (
      <Box mt={1}>
        <Button variant="outlined" onClick={onRetry}>
          Retry
        </Button>
      </Box>
    )}
  </Box>
);
