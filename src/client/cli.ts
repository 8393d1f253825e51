/**
 * The terminal for people: `agentos-sidecar shell` and `agentos-sidecar exec`. Each starts
 * a daemon (through the client, as any host does), makes a fresh VM, copies files in, and
 * either attaches the user's terminal to an interactive `sh` on a pseudo-terminal or runs
 * one command with its output on this process's stdout and stderr. The exit code is the
 * guest's.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { parseArgs } from 'node:util';
import { SidecarClient } from './client.js';
import { SidecarError } from './errors.js';

export const CLI_HELP = `Usage:
  agentos-sidecar shell [options]              an interactive sh in a fresh VM, on your terminal
  agentos-sidecar exec [options] -- CMD [ARGS] run one command in a fresh VM; its output, its exit code

Options:
  --env K=V          set a variable in the VM (repeatable)
  --copy HOST:VM     copy a host file or directory into the VM (repeatable)
  --limits JSON      the VM's limits, as vm/create takes them (e.g. '{"maxProcesses":16}')
  --cwd DIR          the working directory in the VM (default /home/user)
`;

/** Exit codes of the CLI itself (sysexits.h), apart from the guest's own. */
const EX_USAGE = 64;
const EX_SOFTWARE = 70;

class UsageError extends Error {}

interface Options {
  env: Record<string, string>;
  copies: Array<{ host: string; vm: string }>;
  limits: Record<string, number> | undefined;
  cwd: string | undefined;
  command: string[];
}

function parse(args: string[], withCommand: boolean): Options {
  const dashes = args.indexOf('--');
  const own = withCommand && dashes >= 0 ? args.slice(0, dashes) : args;
  const { values, positionals } = parseArgs({
    args: own,
    options: { env: { type: 'string', multiple: true }, copy: { type: 'string', multiple: true }, limits: { type: 'string' }, cwd: { type: 'string' }, help: { type: 'boolean' } },
    allowPositionals: withCommand,
  });
  if (values.help) throw new UsageError('');
  const env: Record<string, string> = {};
  for (const kv of values.env ?? []) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new UsageError(`--env takes K=V, not '${kv}'`);
    env[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  const copies = (values.copy ?? []).map((spec) => {
    const colon = spec.lastIndexOf(':');
    if (colon <= 0 || colon === spec.length - 1) throw new UsageError(`--copy takes HOST:VM, not '${spec}'`);
    return { host: spec.slice(0, colon), vm: spec.slice(colon + 1) };
  });
  let limits: Record<string, number> | undefined;
  if (values.limits !== undefined) {
    try {
      limits = JSON.parse(values.limits) as Record<string, number>;
    } catch (err) {
      throw new UsageError(`--limits is not JSON: ${(err as Error).message}`);
    }
  }
  const command = withCommand ? (dashes >= 0 ? args.slice(dashes + 1) : positionals) : [];
  if (withCommand && command.length === 0) throw new UsageError('exec needs a command: agentos-sidecar exec [options] -- CMD [ARGS]');
  return { env, copies, limits, cwd: values.cwd, command };
}

/** Copies a host file, or a directory tree, into the VM. */
async function copyIn(client: SidecarClient, vmId: string, host: string, vm: string): Promise<void> {
  const st = statSync(host);
  if (st.isDirectory()) {
    await client.mkdir(vmId, vm, { recursive: true });
    for (const name of readdirSync(host)) await copyIn(client, vmId, join(host, name), posix.join(vm, name));
  } else if (st.isFile()) {
    await client.writeFile(vmId, vm, readFileSync(host), { mode: st.mode & 0o777 });
  }
}

async function prepare(options: Options): Promise<{ client: SidecarClient; vmId: string }> {
  const client = await SidecarClient.start({ onLog: process.env.AGENTOS_CLI_LOGS ? (line) => process.stderr.write(`${line}\n`) : undefined });
  try {
    const { vmId } = await client.createVm({ env: options.env, ...(options.limits ? { limits: options.limits } : {}), ...(options.cwd ? { cwd: options.cwd } : {}) });
    for (const { host, vm } of options.copies) await copyIn(client, vmId, host, vm);
    return { client, vmId };
  } catch (err) {
    await client.close();
    throw err;
  }
}

/** `shell`: the user's terminal attached to sh on a pseudo-terminal, raw, resized with it. */
async function shell(options: Options): Promise<number> {
  const { client, vmId } = await prepare(options);
  const { stdin, stdout } = process;
  const size = () => ({ cols: stdout.columns || 80, rows: stdout.rows || 24 });
  let pid = 0;
  const early: Buffer[] = [];
  client.onOutput((e) => {
    if (e.vmId !== vmId || (pid !== 0 && e.pid !== pid)) return;
    const bytes = Buffer.from(e.data, e.encoding);
    if (pid === 0) early.push(bytes);
    else stdout.write(bytes);
  });
  const exited = new Promise<number>((resolve) => client.onExit((e) => e.vmId === vmId && e.pid === pid && e.ppid === undefined && resolve(e.exitCode)));
  ({ pid } = await client.spawn(vmId, 'sh', [], { pty: { ...size(), ...(process.env.TERM ? { term: process.env.TERM } : {}) }, outputEncoding: 'base64', ...(options.cwd ? { cwd: options.cwd } : {}) }));
  for (const bytes of early.splice(0)) stdout.write(bytes);
  const wasRaw = stdin.isTTY ? stdin.isRaw : false;
  if (stdin.isTTY) stdin.setRawMode(true);
  const onData = (chunk: Buffer) => void client.writeStdin(vmId, pid, chunk).catch(() => {});
  const onEnd = () => void client.closeStdin(vmId, pid).catch(() => {});
  const onWinch = () => void client.resize(vmId, pid, size().cols, size().rows).catch(() => {});
  stdin.on('data', onData);
  stdin.on('end', onEnd);
  process.on('SIGWINCH', onWinch);
  try {
    return await exited;
  } finally {
    process.off('SIGWINCH', onWinch);
    stdin.off('data', onData);
    stdin.off('end', onEnd);
    if (stdin.isTTY) stdin.setRawMode(wasRaw);
    stdin.pause();
    await client.close();
  }
}

/** `exec`: one command; its stdout and stderr here, this process's stdin as its stdin (unless a terminal). */
async function exec(options: Options): Promise<number> {
  const { client, vmId } = await prepare(options);
  let pid = 0;
  const early: Array<{ pid: number; stream: string; bytes: Buffer }> = [];
  const write = (stream: string, bytes: Buffer) => (stream === 'stderr' ? process.stderr : process.stdout).write(bytes);
  client.onOutput((e) => {
    if (e.vmId !== vmId) return;
    const bytes = Buffer.from(e.data, e.encoding);
    if (pid === 0) early.push({ pid: e.pid, stream: e.stream, bytes });
    else if (e.pid === pid) write(e.stream, bytes);
  });
  const exited = new Promise<number>((resolve) => client.onExit((e) => e.vmId === vmId && e.pid === pid && e.ppid === undefined && resolve(e.exitCode)));
  const [command, ...args] = options.command;
  try {
    ({ pid } = await client.spawn(vmId, command!, args, { outputEncoding: 'base64', ...(options.cwd ? { cwd: options.cwd } : {}) }));
  } catch (err) {
    await client.close();
    if (err instanceof SidecarError && err.code === 'ERR_AGENTOS_COMMAND_NOT_FOUND') {
      process.stderr.write(`agentos-sidecar exec: ${command}: command not found\n`);
      return 127;
    }
    throw err;
  }
  for (const e of early.splice(0)) if (e.pid === pid) write(e.stream, e.bytes);
  const { stdin } = process;
  if (stdin.isTTY) void client.closeStdin(vmId, pid).catch(() => {});
  else {
    stdin.on('data', (chunk: Buffer) => void client.writeStdin(vmId, pid, chunk).catch(() => {}));
    stdin.on('end', () => void client.closeStdin(vmId, pid).catch(() => {}));
  }
  try {
    return await exited;
  } finally {
    stdin.pause();
    await client.close();
  }
}

/** Runs `shell` or `exec`; resolves with the exit code for this process. */
export async function runCli(subcommand: 'shell' | 'exec', args: string[]): Promise<number> {
  let options: Options;
  try {
    options = parse(args, subcommand === 'exec');
  } catch (err) {
    const message = err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') ? (err as Error).message : undefined;
    if (message === undefined) throw err;
    process.stderr.write(`${message ? `agentos-sidecar ${subcommand}: ${message}\n\n` : ''}${CLI_HELP}`);
    return message ? EX_USAGE : 0;
  }
  try {
    return subcommand === 'shell' ? await shell(options) : await exec(options);
  } catch (err) {
    const code = err instanceof SidecarError ? ` (${err.code})` : '';
    process.stderr.write(`agentos-sidecar ${subcommand}: ${(err as Error).message}${code}\n`);
    return EX_SOFTWARE;
  }
}
