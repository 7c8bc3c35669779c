import { CapturingLogger } from '../__testUtils__/CapturingLogger';
import { OutageLog } from './OutageLog';

describe('OutageLog', () => {
  it('logs the first failure of an outage with its reason, repeats at debug only', () => {
    const logger = new CapturingLogger();
    const log = new OutageLog(logger, 'Reading', 'nothing changes');

    log.failed('connection refused');
    log.failed('connection refused');
    log.failed('timeout');

    expect(logger.at('error')).toEqual([
      'Reading failed: connection refused; nothing changes; retrying on every run, logged again when it recovers',
    ]);
    expect(logger.at('debug')).toEqual([
      'Reading still failing (attempt 2): connection refused',
      'Reading still failing (attempt 3): timeout',
    ]);
    expect(log.failing).toBe(true);
  });

  it('logs the recovery once, and a new outage again', () => {
    const logger = new CapturingLogger();
    const log = new OutageLog(logger, 'Acking', 'lagging', 'warn');

    log.succeeded();
    log.failed('503');
    log.succeeded();
    log.succeeded();
    log.failed('401');

    expect(logger.at('info')).toEqual([
      expect.stringMatching(
        /^Acking recovered after 1 failed attempt over \d+s$/,
      ),
    ]);
    expect(logger.at('warn')).toEqual([
      expect.stringContaining('Acking failed: 503'),
      expect.stringContaining('Acking failed: 401'),
    ]);
    expect(logger.at('error')).toEqual([]);
  });
});
