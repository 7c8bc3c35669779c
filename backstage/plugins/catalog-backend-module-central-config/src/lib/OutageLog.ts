import { LoggerService } from '@backstage/backend-plugin-api';

/**
 * Logs a failing operation once per outage: the first failure as a warning
 * or error with its reason, repeats at debug level, and the recovery once,
 * with how long it took and how many attempts failed. A provider retrying
 * every minute against an engine that is down does not fill the log.
 */
export class OutageLog {
  private outage?: { since: Date; failures: number; reason: string };

  /**
   * @param what - the operation, as the subject of "... failed"
   * @param consequence - what a failure means for the user
   */
  constructor(
    private readonly logger: LoggerService,
    private readonly what: string,
    private readonly consequence: string,
    private readonly level: 'error' | 'warn' = 'error',
  ) {}

  /** Whether the last attempt failed. */
  get failing(): boolean {
    return this.outage !== undefined;
  }

  /** Records a failed attempt. */
  failed(reason: string): void {
    if (this.outage) {
      this.outage.failures += 1;
      this.outage.reason = reason;
      this.logger.debug(
        `${this.what} still failing (attempt ${this.outage.failures}): ${reason}`,
      );
      return;
    }
    this.outage = { since: new Date(), failures: 1, reason };
    this.logger[this.level](
      `${this.what} failed: ${reason}; ${this.consequence}; retrying on every run, logged again when it recovers`,
    );
  }

  /** Records a successful attempt. */
  succeeded(): void {
    if (!this.outage) {
      return;
    }
    const { since, failures } = this.outage;
    this.outage = undefined;
    const seconds = Math.round((Date.now() - since.getTime()) / 1000);
    this.logger.info(
      `${this.what} recovered after ${failures} failed attempt${
        failures === 1 ? '' : 's'
      } over ${seconds}s`,
    );
  }
}
