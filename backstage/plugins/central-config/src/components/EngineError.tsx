import Button from '@material-ui/core/Button';
import Alert from '@material-ui/lab/Alert';
import AlertTitle from '@material-ui/lab/AlertTitle';
import { EngineUnreachableError } from '../api';

/** An error reading the engine, with what to do about it. */
export const EngineError = ({
  error,
  onRetry,
  stale,
}: {
  error: Error;
  onRetry?: () => void;
  /** When older data is still shown: its read time. */
  stale?: number;
}) => {
  const unreachable = error instanceof EngineUnreachableError;
  return (
    <Alert
      severity={stale ? 'warning' : 'error'}
      action={
        onRetry && (
          <Button color="inherit" size="small" onClick={onRetry}>
            Retry
          </Button>
        )
      }
    >
      <AlertTitle>
        {unreachable
          ? 'The central-config engine cannot be reached'
          : 'Cannot read the sync status'}
      </AlertTitle>
      {error.message}
      {unreachable && (
        <>
          . Check that the engine runs (central-config serve; make run starts
          one) and that Backstage's proxy target (proxy.endpoints
          ./central-config, CENTRAL_CONFIG_URL) points at it.
        </>
      )}
      {stale && (
        <> Showing the status read at {new Date(stale).toLocaleTimeString()}.</>
      )}
    </Alert>
  );
};
