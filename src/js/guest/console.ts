import { format, inspect } from './inspect.js';
import { writeOut } from './output.js';

/** `console`, writing to the process's own stdout and stderr (never the daemon's). */
export function createConsole() {
  let indent = '';
  const counts = new Map<string, number>();
  const timers = new Map<string, number>();
  // As Node's console, through process.stdout/stderr.write: a program (or Node's
  // test/common hijackstdio) that replaces `write` sees console output.
  const out = (fd: 1 | 2, args: unknown[]) => {
    const text = format(...args);
    const line = indent ? `${indent}${text.replaceAll('\n', `\n${indent}`)}\n` : `${text}\n`;
    const stream = (globalThis as { process?: Record<string, { write?: (s: string) => unknown }> }).process?.[fd === 1 ? 'stdout' : 'stderr'];
    if (typeof stream?.write === 'function') stream.write(line);
    else writeOut(fd, line);
  };
  return {
    log: (...a: unknown[]) => out(1, a),
    info: (...a: unknown[]) => out(1, a),
    debug: (...a: unknown[]) => out(1, a),
    warn: (...a: unknown[]) => out(2, a),
    error: (...a: unknown[]) => out(2, a),
    trace: (...a: unknown[]) => out(2, [`Trace: ${format(...a)}\n${(new Error().stack ?? '').split('\n').slice(2).join('\n')}`]),
    dir: (v: unknown, o?: { depth?: number }) => out(1, [inspect(v, o)]),
    table: (...a: unknown[]) => out(1, a),
    assert: (cond: unknown, ...a: unknown[]) => {
      if (!cond) out(2, [`Assertion failed${a.length ? `: ${format(...a)}` : ''}`]);
    },
    count: (label = 'default') => {
      const n = (counts.get(label) ?? 0) + 1;
      counts.set(label, n);
      out(1, [`${label}: ${n}`]);
    },
    countReset: (label = 'default') => counts.delete(label),
    time: (label = 'default') => timers.set(label, Date.now()),
    timeLog: (label = 'default', ...a: unknown[]) => out(1, [`${label}: ${Date.now() - (timers.get(label) ?? Date.now())}ms`, ...a]),
    timeEnd: (label = 'default') => {
      out(1, [`${label}: ${Date.now() - (timers.get(label) ?? Date.now())}ms`]);
      timers.delete(label);
    },
    group: (...a: unknown[]) => {
      if (a.length) out(1, a);
      indent += '  ';
    },
    groupEnd: () => {
      indent = indent.slice(2);
    },
  };
}
