import { JsEngine } from '../js/engine.js';
import { WasmEngine } from '../wasm/engine.js';
import { resolveLimits, type Limits } from '../limits/limits.js';
import { createLogger, type Logger } from '../log.js';
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
  const log = createLogger({ level: env.AGENTOS_LOG_LEVEL || 'info', bufferBytes: limits.LOG_BUFFER_BYTES.value });
  const output = guardStdout(log);
  warnRejectedLimits(limits, log);
  guardProcess(log);

  const engine = await JsEngine.start(log, limits.GUEST_HEAP_LIMIT_MB.value, limits.ISOLATE_POOL_SIZE.value);
  const wasm = new WasmEngine(log, limits.WASM_RUNNER_HEAP_LIMIT_MB.value, limits.ISOLATE_POOL_SIZE.value, limits.WASM_MODULE_CACHE_ENTRIES.value, engine.onCatastrophicError, limits.SIDECAR_WASM_MEMORY_BYTES.value, {
    tableEntries: limits.WASM_MAX_TABLE_ENTRIES.value,
    sections: limits.WASM_MAX_SECTIONS.value,
    sectionEntries: limits.WASM_MAX_SECTION_ENTRIES.value,
  });
  for (const dir of commandDirs(env)) wasm.loadDirectory(dir, limits.WASM_MODULE_MAX_BYTES.value);
  await wasm.runners.warm();
  const server = new Server({ input: process.stdin, output, limits, engine, wasm, log, version: VERSION });
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => server.end(0, signal));
  server.listen();
  log.info({ version: VERSION, node: process.version }, 'sidecar started');

  const code = await server.exitCode;
  // The host may not read what is left; never wait longer than the deadline for it.
  const deadline = new Promise((resolve) => setTimeout(resolve, limits.SHUTDOWN_DEADLINE_MS.value).unref());
  log.info({ exitCode: code }, 'sidecar exiting');
  await Promise.race([Promise.all([flushed(output), new Promise((resolve) => log.flush(() => resolve(undefined)))]), deadline]);
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
      log.warn({ limit: limit.name, env: limit.spec.env, rejected: limit.rejected, using: limit.value }, 'ignored an invalid limit value; using the default');
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
