import { setFlagsFromString } from 'node:v8';
import { JsEngine } from '../js/engine.js';
import { WasmEngine } from '../wasm/engine.js';
import { resolveLimits, type Limits } from '../limits/limits.js';
import { createLogger, logLevelFrom, type Logger } from '../log.js';
import { watchParent } from './parent-watch.js';
import { threadsQuiet } from './threads-quiet.js';
import { Server } from './server.js';
import { flushed, guardStdout } from './stdout-guard.js';

import { VERSION } from '../package-root.js';
import { agentosCommandsDir } from '../wasm/agentos-commands.js';

export { VERSION };
export { formatLimitsTable, resolveLimits } from '../limits/limits.js';

/**
 * Runs the daemon on stdin/stdout until the host says exit, closes stdin, or sends
 * SIGTERM/SIGINT; resolves with the exit code.
 */
export async function main(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const limits = resolveLimits(env);
  const level = logLevelFrom(env.AGENTOS_LOG_LEVEL);
  const log = createLogger({ level: level.level, bufferBytes: limits.LOG_BUFFER_BYTES.value });
  const output = guardStdout(log);
  if (level.rejected !== undefined) log.warn({ env: 'AGENTOS_LOG_LEVEL', rejected: level.rejected, using: level.level }, 'ignored an invalid log level; using the default');
  warnRejectedLimits(limits, log);
  guardProcess(log);
  // V8 reports an asm.js module that fails validation with a message printed straight to
  // the process's stdout (no isolate has a message listener): a guest's `'use asm'` would
  // corrupt the protocol. Without validation such a module runs as plain JavaScript, as it
  // does in Node after the warning.
  setFlagsFromString('--no-validate-asm');

  const engine = await JsEngine.start(log, limits.GUEST_HEAP_LIMIT_MB.value, limits.ISOLATE_POOL_SIZE.value, {
    maxBytes: limits.MODULE_CODE_CACHE_BYTES.value,
    minSourceBytes: limits.MODULE_CODE_CACHE_MIN_SOURCE_BYTES.value,
    maxPending: limits.MODULE_CODE_CACHE_PENDING_MAX.value,
  });
  const wasm = new WasmEngine(log, limits.WASM_RUNNER_HEAP_LIMIT_MB.value, limits.ISOLATE_POOL_SIZE.value, limits.WASM_MODULE_CACHE_ENTRIES.value, engine.onCatastrophicError, { sidecarBytes: limits.SIDECAR_WASM_MEMORY_BYTES.value, silentMs: limits.WASM_METER_SILENT_MS.value }, {
    tableEntries: limits.WASM_MAX_TABLE_ENTRIES.value,
    sections: limits.WASM_MAX_SECTIONS.value,
    sectionEntries: limits.WASM_MAX_SECTION_ENTRIES.value,
    functionBytes: limits.WASM_MAX_FUNCTION_BYTES.value,
    functionLocals: limits.WASM_MAX_FUNCTION_LOCALS.value,
    controlDepth: limits.WASM_MAX_CONTROL_DEPTH.value,
    brTableTargets: limits.WASM_MAX_BR_TABLE_TARGETS.value,
  });
  for (const dir of commandDirs(env)) wasm.loadDirectory(dir, limits.WASM_MODULE_MAX_BYTES.value);
  await wasm.runners.warm();
  const server = new Server({ input: process.stdin, output, limits, engine, wasm, log, version: VERSION });
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.on(signal, () => {
      // A second signal while ending: the host insists; go now.
      if (server.endCode !== undefined) process.exit(server.endCode);
      server.end(0, signal);
    });
  }
  watchParent(limits.PARENT_CHECK_INTERVAL_MS.value, (ppid) => server.end(0, `parent process died (re-parented to ${ppid})`));
  // A host that stopped reading stdout is gone: nothing the daemon says can reach it.
  process.stdout.on('error', (err) => server.end(0, `stdout failed: ${(err as NodeJS.ErrnoException).code ?? err.message}`));
  server.listen();
  log.info({ version: VERSION, node: process.version }, 'sidecar started');

  // One deadline from the moment the daemon starts to end: for disposing VMs, answering
  // what is owed and flushing stdout and the log, whatever the host does with its pipes.
  const deadlineMs = limits.SHUTDOWN_DEADLINE_MS.value;
  let deadlineTimer: NodeJS.Timeout | undefined;
  const deadline = server.ending.then(() => new Promise<'deadline'>((resolve) => { deadlineTimer = setTimeout(() => resolve('deadline'), deadlineMs); }));
  const ended = await Promise.race([server.exitCode, deadline]);
  const code = ended === 'deadline' ? server.endCode ?? 0 : ended;
  if (ended === 'deadline') log.warn({ deadlineMs, env: 'AGENTOS_SHUTDOWN_DEADLINE_MS' }, 'shutdown deadline passed; exiting without waiting for the rest');
  log.info({ exitCode: code }, 'sidecar exiting');
  await Promise.race([Promise.all([flushed(output), new Promise((resolve) => log.flush(() => resolve(undefined)))]), deadline]);
  clearTimeout(deadlineTimer);
  // Even past the deadline: the caller's process.exit() while isolated-vm still frees an
  // isolate dies of SIGSEGV, and the host gets a signal instead of the exit code.
  let graceTimer: NodeJS.Timeout | undefined;
  await Promise.race([threadsQuiet(), new Promise((resolve) => { graceTimer = setTimeout(resolve, limits.EXIT_GRACE_MS.value); })]);
  clearTimeout(graceTimer);
  return code;
}

/**
 * AGENTOS_COMMANDS_DIR (a colon-separated list, the first holder of a name wins), then the
 * agentOS command set when its package is installed; AGENTOS_COMMANDS_DIR set but empty
 * means none at all.
 */
function commandDirs(env: NodeJS.ProcessEnv): string[] {
  if (env.AGENTOS_COMMANDS_DIR === '') return [];
  const dirs = (env.AGENTOS_COMMANDS_DIR ?? '').split(':').filter(Boolean);
  const agentos = agentosCommandsDir();
  return agentos ? [...dirs, agentos] : dirs;
}

function warnRejectedLimits(limits: Limits, log: Logger): void {
  for (const limit of Object.values(limits)) {
    if (limit.rejected !== undefined) {
      log.warn({ limit: limit.name, env: limit.spec.env, rejected: limit.rejected, reason: limit.rejectedBecause, min: limit.spec.min ?? 1, max: limit.spec.max, using: limit.value }, 'ignored an invalid limit value; using the default');
    }
  }
}

/**
 * A bug in the daemon must not take down every VM with it: uncaught errors are logged
 * and the daemon keeps serving. (Guest code never runs on this thread.)
 */
function guardProcess(log: Logger): void {
  process.on('uncaughtException', (err) => log.error({ err }, 'uncaught exception in the daemon; continuing'));
  process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled rejection in the daemon; continuing'));
}
