import { ResponseErrorPanel, WarningPanel } from '@backstage/core-components';
import {
  ENGINE_UNREACHABLE_ADVICE,
  EngineUnreachableError,
} from '@central-config/backstage-plugin-central-config-common';

/**
 * An error reading the engine: when the engine cannot be reached (the proxy
 * answered 502, 503 or 504, or Backstage did not answer), what to check, as
 * on the sync status page; otherwise Backstage's panel for the HTTP error.
 */
export const EngineErrorPanel = ({ error }: { error: Error }) =>
  error instanceof EngineUnreachableError ? (
    <WarningPanel
      severity="error"
      defaultExpanded
      title="The central-config engine cannot be reached"
      message={`${error.message}. ${ENGINE_UNREACHABLE_ADVICE}`}
    />
  ) : (
    <ResponseErrorPanel error={error} />
  );
