/**
 * The runtime's log lines: `console` is intercepted so each invocation's lines are counted against its limits
 * (100 per runtime minute of its time limit, 200 KB in all); past either they are dropped, as Forge drops them.
 */
import { format } from 'node:util';
import { invocations } from './runtime-globals';
import { INVOCATION_LIMITS, type LogLine } from './runtime-types';

/** Installs the interceptors; `restore()` puts the original `console` methods back. */
export function interceptConsole(onLog: ((line: LogLine) => void) | undefined) {
  const CONSOLE_LEVELS = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;
  const originalConsole = Object.fromEntries(CONSOLE_LEVELS.map((l) => [l, console[l]])) as Record<(typeof CONSOLE_LEVELS)[number], (...args: unknown[]) => void>;
  /** `harness`: written by harness code through `log()` (outside an invocation it goes to `onLog`, not the console). */
  const writeLine = (line: string, level: string, passThrough: () => void, harness = false) => {
    const inv = invocations.getStore();
    if (!inv) {
      if (harness && onLog) onLog({ line, level, invocationId: '', moduleKey: '' });
      else passThrough();
      return;
    }
    const r = inv.record;
    r.logLines++;
    const bytes = Buffer.byteLength(line, 'utf8');
    if (inv.ended || r.logLines > r.logLimit || r.logBytes + bytes > INVOCATION_LIMITS.logBytes) {
      r.logsDropped++;
      return;
    }
    r.logBytes += bytes;
    if (onLog) onLog({ line, level, invocationId: r.id, moduleKey: r.moduleKey });
    else passThrough();
  };
  const interceptors = Object.fromEntries(
    CONSOLE_LEVELS.map((level) => [
      level,
      (...args: unknown[]) => writeLine(format(...args), level, () => originalConsole[level].apply(console, args)),
    ]),
  ) as typeof originalConsole;
  for (const level of CONSOLE_LEVELS) console[level] = interceptors[level];
  return {
    writeLine,
    /** The console methods as they were before the interception. */
    original: originalConsole,
    restore() {
      for (const level of CONSOLE_LEVELS) if (console[level] === interceptors[level]) console[level] = originalConsole[level];
    },
  };
}
