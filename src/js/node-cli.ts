/**
 * The `node` command line as a guest sees it: `-e`/`-p` code, a script path, or `-`
 * (the script on stdin), with the options that make sense in a sandbox.
 */
export type NodeInvocation =
  | { kind: 'version' }
  | { kind: 'error'; message: string; exitCode: number }
  | { kind: 'eval'; code: string; print: boolean; module: boolean; args: string[]; execArgv: string[] }
  | { kind: 'file'; path: string; module: boolean | undefined; args: string[]; execArgv: string[] }
  | { kind: 'stdin'; args: string[]; execArgv: string[]; module: boolean };

/** Options real programs pass that change nothing here. */
const IGNORED = /^--(no-warnings|no-deprecation|enable-source-maps|trace-warnings|trace-uncaught|experimental-[\w-]+|no-experimental-[\w-]+|max-old-space-size=\d+|stack-size=\d+|unhandled-rejections=[\w-]+)$/;

/** node:test's options (src/js/guest/node/test-runner.ts reads them from execArgv): flags, and options with a value. */
const TEST_FLAGS = new Set(['--test-only', '--test-force-exit']);
const TEST_VALUES = new Set(['--test-reporter', '--test-reporter-destination', '--test-name-pattern', '--test-skip-pattern', '--test-concurrency', '--test-timeout']);

export function parseNodeArgs(args: readonly string[]): NodeInvocation {
  const execArgv: string[] = [];
  let module: boolean | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '-v' || arg === '--version') return { kind: 'version' };
    // As Node's option parser: `-pe CODE` is --print with --eval, and `--eval=CODE` takes its value after the `=` (`--print=` does not: it is a flag).
    const inline = /^--(eval)=/.exec(arg);
    if (arg === '-e' || arg === '--eval' || arg === '-p' || arg === '--print' || arg === '-pe' || inline) {
      const code = inline ? arg.slice(inline[0].length) : args[i + 1];
      if (code === undefined) return { kind: 'error', message: `node: ${arg} requires an argument\n`, exitCode: 9 };
      execArgv.push(...(inline ? [arg] : [arg, code]));
      const print = arg === '-p' || arg === '--print' || arg === '-pe';
      return { kind: 'eval', code, print, module: module === true, args: args.slice(inline ? i + 1 : i + 2), execArgv };
    }
    if (arg.startsWith('--input-type=')) {
      const value = arg.slice('--input-type='.length);
      if (value !== 'module' && value !== 'commonjs') return { kind: 'error', message: `node: --input-type must be "module" or "commonjs"\n`, exitCode: 9 };
      module = value === 'module';
      execArgv.push(arg);
      continue;
    }
    if (TEST_FLAGS.has(arg) || TEST_VALUES.has(arg.split('=')[0]!)) {
      // As Node: `--test-reporter=spec` or `--test-reporter spec`.
      if (!arg.includes('=') && TEST_VALUES.has(arg)) {
        const value = args[i + 1];
        if (value === undefined) return { kind: 'error', message: `node: ${arg} requires an argument\n`, exitCode: 9 };
        execArgv.push(arg, value);
        i++;
      } else execArgv.push(arg);
      continue;
    }
    if (IGNORED.test(arg)) {
      execArgv.push(arg);
      continue;
    }
    if (arg === '-') return { kind: 'stdin', args: args.slice(i + 1), execArgv, module: module === true };
    if (arg === '--') {
      const path = args[i + 1];
      return path === undefined ? { kind: 'stdin', args: [], execArgv, module: module === true } : { kind: 'file', path, module, args: args.slice(i + 2), execArgv };
    }
    if (arg.startsWith('-')) return { kind: 'error', message: `node: bad option: ${arg}\n`, exitCode: 9 };
    return { kind: 'file', path: arg, module, args: args.slice(i + 1), execArgv };
  }
  return { kind: 'stdin', args: [], execArgv, module: module === true };
}

/** Node 22's rule for `-e` code without --input-type: module syntax makes it a module. */
export function looksLikeModule(code: string): boolean {
  return /^\s*(import\s*[\w{*'"]|export\s+(\{|\*|default|const|let|var|function|class|async))/m.test(code) || /\bimport\.meta\b/.test(code);
}
