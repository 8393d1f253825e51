import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import { LogSink } from './log-sink.js';

export type { Logger };

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

/** AGENTOS_LOG_LEVEL, or `info` with the rejected value when it names no level. */
export function logLevelFrom(raw: string | undefined): { level: string; rejected?: string } {
  if (raw === undefined || raw === '') return { level: 'info' };
  const level = raw.trim().toLowerCase();
  return (LOG_LEVELS as readonly string[]).includes(level) ? { level } : { level: 'info', rejected: raw };
}

/**
 * The one root logger: NDJSON on fd 2 (stdout carries the protocol), through a LogSink:
 * a host that never drains stderr makes the daemon drop log lines, never block, and a
 * host that is gone makes it stop logging, never loop.
 */
export function createLogger(options: { level?: string; bufferBytes: number; destination?: number }): Logger {
  const fd = options.destination ?? 2;
  const sink = new LogSink(fd, options.bufferBytes);
  const log = pino(
    {
      name: 'agentos-sidecar',
      level: options.level ?? 'info',
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // Env values may hold secrets; they never reach the log.
      redact: { paths: ['env.*', '*.env.*'], censor: '[redacted]' },
    },
    sink,
  );
  if (fd === 2) routeProcessStderr(log);
  return log;
}

/**
 * Node's own process.stderr would make fd 2 blocking again (it does so for pipes), and a
 * write to it could then stall the daemon on a host that never reads: whatever writes
 * there goes through the log instead.
 */
function routeProcessStderr(log: Logger): void {
  const stderr = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      log.warn({ source: 'stderr' }, String(chunk).trimEnd());
      callback();
    },
  });
  Object.defineProperty(process, 'stderr', { configurable: true, enumerable: true, get: () => stderr });
}

/** Counts every limit hit, by limit name, for `sidecar/stats`. */
export const limitHits = new Map<string, number>();

export interface LimitHit {
  limit: string;
  /** What was measured when the bound was hit; undefined when it cannot be measured. */
  observed: number | undefined;
  capacity: number;
  [key: string]: unknown;
}

/**
 * Logs the one line every exhausted bound produces, and counts it. A bound whose use
 * cannot be read at the moment it was hit says so (`observed: "not measured"`) rather than
 * repeating the capacity as if it had been measured.
 */
export function warnLimitExhausted(log: Logger, hit: LimitHit): void {
  limitHits.set(hit.limit, (limitHits.get(hit.limit) ?? 0) + 1);
  const { observed } = hit;
  log.warn(observed === undefined ? { ...hit, observed: 'not measured' } : { ...hit, fill_percent: fillPercent(observed, hit.capacity) }, 'bounded limit exhausted');
}

function fillPercent(observed: number, capacity: number): number {
  return capacity > 0 ? Math.round((observed / capacity) * 1000) / 10 : 100;
}

/**
 * For bounds a guest can hit in a tight loop (a spawn or pipe loop hits its VM's bound
 * thousands of times a second): the warning at most once a second, with how many were
 * refused since, so the log stays readable. Every refusal is still counted.
 */
export class ThrottledLimitWarning {
  private last = -Infinity;
  private unreported = 0;

  constructor(
    private readonly log: Logger,
    private readonly limit: string,
    private readonly env: string,
    private readonly everyMs = 1000,
  ) {}

  hit(observed: number, capacity: number): void {
    this.unreported++;
    const now = performance.now();
    if (now - this.last < this.everyMs) return;
    this.last = now;
    warnLimitExhausted(this.log, { limit: this.limit, observed, capacity, env: this.env, refused: this.unreported });
    this.unreported = 0;
  }
}

/**
 * For long-lived fills (a VM's filesystem bytes, the live VM count): warns once when the
 * fill reaches 80% and re-arms when it falls below 50%, so a hovering fill does not flood
 * the log.
 */
export class FillGauge {
  private armed = true;
  constructor(
    private readonly log: Logger,
    private readonly limit: string,
    private capacity: number,
  ) {}

  update(observed: number): void {
    if (this.armed && observed >= this.capacity * 0.8) {
      this.armed = false;
      this.log.warn(
        { limit: this.limit, observed, capacity: this.capacity, fill_percent: fillPercent(observed, this.capacity) },
        'bounded limit nearing capacity',
      );
    } else if (!this.armed && observed < this.capacity * 0.5) {
      this.armed = true;
    }
  }
}
