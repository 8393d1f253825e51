import { spawn, spawnSync } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { WASI } from 'node:wasi';
import ivm from 'isolated-vm';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';

/** What a user would otherwise pick, measured in the same run as the sidecar. */

/**
 * The one figure here that is not measured in the run: the best-known sidecar's
 * vm + `sh -c 'echo hi'` + dispose, 672 ms, quoted from bench/README.md (measured on
 * another day, on this kind of machine). Ratios against it say "quoted".
 */
export const QUOTED_BEST_KNOWN_SIDECAR_COLD_SHELL_MS = 672;

export async function freshIsolate(code: string): Promise<void> {
  const isolate = new ivm.Isolate({ memoryLimit: 128 });
  const context = await isolate.createContext();
  await context.eval(code);
  isolate.dispose();
}

export function reusedIsolate(): { run(code: string): Promise<unknown>; dispose(): void } {
  const isolate = new ivm.Isolate({ memoryLimit: 128 });
  const context = isolate.createContextSync();
  return { run: (code) => context.eval(code), dispose: () => isolate.dispose() };
}

export function nodeChild(code: string): void {
  spawnSync(process.execPath, ['-e', code], { stdio: 'ignore' });
}

/** A bare vscode-jsonrpc server in a child process: the transport's own round trip. */
export async function echoServer(): Promise<{ connection: MessageConnection; close(): void }> {
  const script = fileURLToPath(new URL('./echo-server.js', import.meta.url));
  const child = spawn(process.execPath, [script], { stdio: ['pipe', 'pipe', 'inherit'] });
  const connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  connection.listen();
  await connection.sendRequest('ping', {});
  return { connection, close: () => child.kill() };
}

const devNull = openSync('/dev/null', 'w');

/** node:wasi on this thread, the module already compiled. */
export async function nodeWasiMainThread(module: WebAssembly.Module, args: string[]): Promise<void> {
  const wasi = new WASI({ version: 'preview1', args, stdout: devNull, stderr: devNull, returnOnExit: true });
  const instance = await WebAssembly.instantiate(module, wasi.getImportObject() as WebAssembly.Imports);
  wasi.start(instance);
}

/**
 * node:wasi in a fresh worker thread (the isolation a user gets without isolates), given
 * the module already compiled, as our warm run has it: the worker instantiates and runs.
 * What still differs: each run here starts a thread, where ours reuses a warm runner isolate.
 */
export function nodeWasiWorker(module: WebAssembly.Module, args: string[]): Promise<void> {
  const source = `
    const { workerData, parentPort } = require('node:worker_threads');
    const { WASI } = require('node:wasi');
    const fs = require('node:fs');
    const out = fs.openSync('/dev/null', 'w');
    const wasi = new WASI({ version: 'preview1', args: workerData.args, stdout: out, stderr: out, returnOnExit: true });
    WebAssembly.instantiate(workerData.module, wasi.getImportObject()).then((i) => {
      wasi.start(i);
      parentPort.postMessage('done');
    });`;
  return new Promise((resolve, reject) => {
    const worker = new Worker(source, { eval: true, workerData: { module, args } });
    worker.once('message', () => worker.terminate().then(() => resolve()));
    worker.once('error', reject);
  });
}

export function hostShell(line: string, cwd?: string): void {
  spawnSync('/bin/sh', ['-c', line], { stdio: 'ignore', ...(cwd ? { cwd } : {}) });
}

export function readWasm(path: string): Uint8Array<ArrayBuffer> {
  return readFileSync(path);
}
