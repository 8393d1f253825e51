import { hooks } from './hooks.js';
import type { ReadableIn, WritableOut } from './streams.js';

/**
 * The process's terminal, when it was spawned with a pty (or inherited one): its stdio are
 * TTY streams as in Node: stdout/stderr with `columns`, `rows`, `getWindowSize()`, colour
 * depth and a 'resize' event on SIGWINCH; stdin with `setRawMode` and `isRaw`.
 */
export interface TerminalInfo {
  cols: number;
  rows: number;
  name: string;
  term: string;
}

let current: TerminalInfo | undefined;
let streams: { stdin: ReadableIn; stdout: WritableOut; stderr: WritableOut } | undefined;

export function terminal(): TerminalInfo | undefined {
  return current;
}

export function isTerminalFd(fd: unknown): boolean {
  return current !== undefined && (fd === 0 || fd === 1 || fd === 2);
}

function ttyCall(op: 'tty.raw' | 'tty.size', args: unknown[]): unknown {
  const result = hooks.node(op, args);
  if ('err' in result) throw Object.assign(new Error(`${op === 'tty.raw' ? 'setRawMode' : 'getWindowSize'} ${result.err.code}: ${result.err.message}`), { code: result.err.code });
  return result.ok;
}

/** Node's WriteStream methods on a stdio stream that is the terminal. */
function makeWriteTty(out: WritableOut): void {
  const s = out as unknown as Record<string, unknown>;
  s.isTTY = true;
  s.columns = current!.cols;
  s.rows = current!.rows;
  s.getWindowSize = () => [s.columns, s.rows];
  s.getColorDepth = () => (/256color/.test(current!.term) ? 8 : /^(xterm|screen|tmux|vt100|linux|rxvt)/.test(current!.term) ? 4 : 1);
  s.hasColors = (count: unknown = 16) => 2 ** (s.getColorDepth as () => number)() >= (typeof count === 'number' ? count : 16);
  const write = (text: string, cb?: unknown) => out.write(text, cb);
  s.cursorTo = (x: number, y?: unknown, cb?: unknown) => (typeof y === 'number' ? write(`\x1b[${y + 1};${x + 1}H`, cb) : write(`\x1b[${x + 1}G`, typeof y === 'function' ? y : cb));
  s.moveCursor = (dx: number, dy: number, cb?: unknown) => write(`${dx < 0 ? `\x1b[${-dx}D` : dx > 0 ? `\x1b[${dx}C` : ''}${dy < 0 ? `\x1b[${-dy}A` : dy > 0 ? `\x1b[${dy}B` : ''}`, cb);
  s.clearLine = (dir: number, cb?: unknown) => write(dir < 0 ? '\x1b[1K' : dir > 0 ? '\x1b[0K' : '\x1b[2K', cb);
  s.clearScreenDown = (cb?: unknown) => write('\x1b[0J', cb);
}

/** Sets the process's stdio up as the terminal (at process start). */
export function attachTerminal(info: TerminalInfo, stdio: { stdin: ReadableIn; stdout: WritableOut; stderr: WritableOut }): void {
  current = { ...info };
  streams = stdio;
  makeWriteTty(stdio.stdout);
  makeWriteTty(stdio.stderr);
  const input = stdio.stdin as unknown as Record<string, unknown>;
  input.isTTY = true;
  input.isRaw = false;
  input.setRawMode = (mode: unknown) => {
    ttyCall('tty.raw', [Boolean(mode)]);
    input.isRaw = Boolean(mode);
    return stdio.stdin;
  };
}

/** SIGWINCH: the new size on stdout and stderr, and their 'resize' events (as Node does). */
export function terminalResized(): void {
  if (!current || !streams) return;
  const { cols, rows } = ttyCall('tty.size', []) as { cols: number; rows: number };
  current.cols = cols;
  current.rows = rows;
  for (const out of [streams.stdout, streams.stderr]) {
    const s = out as unknown as Record<string, unknown>;
    if (s.columns === cols && s.rows === rows) continue;
    s.columns = cols;
    s.rows = rows;
    out.emit('resize');
  }
}
