import { nodeRequire } from './node/internal.js';

/**
 * What Node's global console does for log/info/debug/dirxml (stdout) and warn/error (stderr),
 * before Node's console itself is loaded (./console.ts says why): the steps of
 * internal/console/constructor.js's kFormatForStdout/kFormatForStderr and kWriteToConsole for
 * a console with colorMode 'auto', errors ignored and no group indentation, through Node's own
 * formatWithOptions and shouldColorize. Arguments that need no util.inspect (strings, numbers,
 * bigints, booleans, null, undefined, no `%` directive, nothing a terminal would colour) are
 * formatted here as formatWithOptions would, so a trivial program loads no more of Node's code.
 */
export interface Stream {
  write(chunk: string, cb: (err: unknown) => void): unknown;
  listenerCount(event: string): number;
  once(event: string, fn: () => void): unknown;
  removeListener(event: string, fn: () => void): unknown;
  _writableState?: { errorEmitted?: boolean };
  isTTY?: boolean;
}

// Taken before guest code runs, which may replace any of them (Node's code uses primordials).
const { apply } = Reflect;
const unshift = Array.prototype.unshift;
const includes = String.prototype.includes;
const objectIs = Object.is;

// kColorInspectOptions and kNoColorInspectOptions.
const COLORS = { colors: true };
const NO_COLORS = {};

/** Node's console methods' format-and-write for the stream `streamOf` gives (true: stdout). */
export function quickConsole(streamOf: (useStdout: boolean) => Stream, env: () => Record<string, unknown> | undefined) {
  const noop = () => {};
  // createWriteErrorHandler: an error the stream reports later is not left uncaught.
  const errorHandler = (useStdout: boolean) => (err: unknown) => {
    const stream = streamOf(useStdout);
    if (err !== null && !stream._writableState!.errorEmitted) {
      if (stream.listenerCount('error') === 0) stream.once('error', noop);
    }
  };
  const handlers = [errorHandler(false), errorHandler(true)] as const;

  /** formatWithOptions's result where it needs no inspect, else undefined. */
  function plainFormat(args: unknown[], stream: Stream): string | undefined {
    if (args.length === 0) return '';
    if (args.length === 1 && typeof args[0] === 'string') return args[0];
    let out = '';
    for (let i = 0; i < args.length; i++) {
      const arg = args[i];
      let text: string;
      if (typeof arg === 'string') {
        if (i === 0 && apply(includes, arg, ['%'])) return undefined;
        text = arg;
      } else {
        // shouldColorize would say yes on a terminal or with FORCE_COLOR: inspect colours these.
        if (env()?.FORCE_COLOR !== undefined || stream?.isTTY) return undefined;
        if (typeof arg === 'number') text = objectIs(arg, -0) ? '-0' : `${arg}`;
        else if (typeof arg === 'bigint') text = `${arg}n`;
        else if (typeof arg === 'boolean' || arg === undefined || arg === null) text = `${arg}`;
        else return undefined;
      }
      out += i === 0 ? text : ` ${text}`;
    }
    return out;
  }

  // kFormatForStdout / kFormatForStderr with kGetInspectOptions.
  function format(args: unknown[], stream: Stream): string {
    const plain = plainFormat(args, stream);
    if (plain !== undefined) return plain;
    const { shouldColorize } = nodeRequire('internal/util/colors') as { shouldColorize(s: unknown): boolean };
    const { formatWithOptions } = nodeRequire('internal/util/inspect') as { formatWithOptions(o: object, ...a: unknown[]): string };
    apply(unshift, args, [shouldColorize(stream) ? COLORS : NO_COLORS]);
    return apply(formatWithOptions, null, args) as string;
  }

  // kWriteToConsole with errors ignored and no group indentation.
  function writeToConsole(useStdout: boolean, string: string): void {
    const stream = streamOf(useStdout);
    string += '\n';
    try {
      if (stream.listenerCount('error') === 0) stream.once('error', noop);
      stream.write(string, handlers[useStdout ? 1 : 0]);
    } catch (e) {
      if ((nodeRequire('internal/errors') as { isStackOverflowError(e: unknown): boolean }).isStackOverflowError(e)) throw e;
    } finally {
      stream.removeListener('error', noop);
    }
  }

  return (useStdout: boolean, args: unknown[]): void => writeToConsole(useStdout, format(args, streamOf(useStdout)));
}
