import Button from '@material-ui/core/Button';
import Alert from '@material-ui/lab/Alert';
import AlertTitle from '@material-ui/lab/AlertTitle';
import {
  ENGINE_UNREACHABLE_ADVICE,
  EngineUnreachableError,
} from '@central-config/backstage-plugin-central-config-common';

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
      {unreachable && <>. {ENGINE_UNREACHABLE_ADVICE}</>}
      {stale && (
        <> Showing the status read at {new Date(stale).toLocaleTimeString()}.</>
      )}
    </Alert>
  );
};
