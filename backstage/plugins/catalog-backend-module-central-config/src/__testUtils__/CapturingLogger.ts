import { LoggerService } from '@backstage/backend-plugin-api';

type Level = 'error' | 'warn' | 'info' | 'debug';

/** A logger that keeps what it was given, to assert on. */
export class CapturingLogger implements LoggerService {
  readonly lines: Array<{ level: Level; message: string }> = [];

  error(message: string): void {
    this.lines.push({ level: 'error', message });
  }
  warn(message: string): void {
    this.lines.push({ level: 'warn', message });
  }
  info(message: string): void {
    this.lines.push({ level: 'info', message });
  }
  debug(message: string): void {
    this.lines.push({ level: 'debug', message });
  }
  child(): LoggerService {
    return this;
  }

  /** The messages logged at this level. */
  at(level: Level): string[] {
    return this.lines.filter(l => l.level === level).map(l => l.message);
  }

  clear(): void {
    this.lines.length = 0;
  }
}
