import { Type } from '@sinclair/typebox';
import { Base64OrUtf8, VmId, encodingOf, notification, request, strictObject } from './method.js';
import { ErrorCodes } from './errors.js';

const ErrorCode = Type.Union(Object.keys(ErrorCodes).map((code) => Type.Literal(code)));

export const Usage = strictObject({
  cpuMs: Type.Number(),
  wallMs: Type.Number(),
  heapBytes: Type.Integer({ description: 'V8 heap in use (plus external buffers) when the process ended' }),
});

/** Why a process was stopped by the sidecar rather than ending on its own. */
export const LimitError = strictObject({
  code: ErrorCode,
  message: Type.String(),
  limit: Type.Optional(Type.String()),
  capacity: Type.Optional(Type.Number()),
  observed: Type.Optional(Type.Number()),
  env: Type.Optional(Type.String()),
});

export const Preopens = Type.Array(strictObject({ name: Type.String({ minLength: 1 }), path: Type.String({ minLength: 1 }) }), {
  maxItems: 64,
  description: 'WASM only: the directories the program sees (WASI preopens), in fd order from 3; default one, "/" (the cwd reaches the program as PWD)',
});

export const ExecParams = strictObject({
  vmId: VmId,
  command: Type.String({ minLength: 1, maxLength: 4096 }),
  args: Type.Optional(Type.Array(Type.String())),
  stdin: Type.Optional(Type.String()),
  stdinEncoding: encodingOf('`stdin`', 'utf8'),
  env: Type.Optional(Type.Record(Type.String(), Type.String())),
  inheritEnv: Type.Optional(Type.Boolean({ description: 'start from the VM environment (default true); false: exactly `env`' })),
  cwd: Type.Optional(Type.String({ minLength: 1 })),
  timeoutMs: Type.Optional(Type.Integer({ minimum: 1, description: 'wall-clock budget; default the VM\'s wallTimeLimitMs' })),
  outputEncoding: encodingOf('the result\'s `stdout` and `stderr`', 'utf8'),
  preopens: Type.Optional(Preopens),
});

export const ExecResult = strictObject({
  pid: Type.Integer(),
  exitCode: Type.Integer(),
  signal: Type.Optional(Type.String()),
  stdout: Type.String(),
  stderr: Type.String(),
  encoding: Base64OrUtf8,
  truncated: Type.Boolean({ description: 'output went past outputLimitBytes and the rest was dropped' }),
  error: Type.Optional(LimitError),
  usage: Usage,
});

export const Signal = Type.Union([Type.Literal('SIGTERM'), Type.Literal('SIGKILL'), Type.Literal('SIGINT'), Type.Literal('SIGHUP')]);
const Pid = Type.Integer({ minimum: 1 });

const Cols = Type.Integer({ minimum: 1, maximum: 65535 });
const Rows = Type.Integer({ minimum: 1, maximum: 65535 });

export const Pty = strictObject({
  cols: Cols,
  rows: Rows,
  term: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._+-]+$', description: 'TERM for the process (default xterm-256color)' })),
}, 'Give the process a pseudo-terminal: its fds 0-2 are the terminal (isatty true), process/write is typed input through the line discipline, process/output (stream stdout) is what the terminal shows.');

export const ProcessSpawn = request(
  'process/spawn',
  strictObject({
    vmId: VmId,
    command: Type.String({ minLength: 1, maxLength: 4096 }),
    args: Type.Optional(Type.Array(Type.String())),
    env: Type.Optional(Type.Record(Type.String(), Type.String())),
    cwd: Type.Optional(Type.String({ minLength: 1 })),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 1 })),
    outputEncoding: encodingOf('the `data` of its process/output notifications', 'utf8'),
    inheritEnv: Type.Optional(Type.Boolean()),
    preopens: Type.Optional(Preopens),
    pty: Type.Optional(Pty),
  }),
  strictObject({ pid: Pid }),
  'Start a process and return at once; its output arrives as process/output notifications, its end as one process/exit.',
);

export const ProcessWrite = request(
  'process/write',
  strictObject({ vmId: VmId, pid: Pid, data: Type.String(), encoding: encodingOf('`data`', 'utf8') }),
  strictObject({ buffered: Type.Integer({ description: 'stdin bytes the guest has not read yet' }) }),
  'Append to a spawned process\'s stdin.',
);

export const ProcessCloseStdin = request(
  'process/closeStdin',
  strictObject({ vmId: VmId, pid: Pid }),
  strictObject({}),
  'End a spawned process\'s stdin (the guest sees EOF).',
);

export const ProcessKill = request(
  'process/kill',
  strictObject({ vmId: VmId, pid: Pid, signal: Type.Optional(Signal) }),
  strictObject({}),
  'Send a signal (default SIGTERM). A guest may handle SIGTERM, SIGINT and SIGHUP with process.on(); SIGKILL always ends it. Exit code 128 + the signal number.',
);

export const ProcessOutput = notification(
  'process/output',
  strictObject({ vmId: VmId, pid: Pid, stream: Type.Union([Type.Literal('stdout'), Type.Literal('stderr')]), data: Type.String(), encoding: Base64OrUtf8 }),
  'Sidecar → host: output of a spawned process, in order.',
);

export const ProcessExited = notification(
  'process/exit',
  strictObject({
    vmId: VmId,
    pid: Pid,
    exitCode: Type.Integer(),
    signal: Type.Optional(Type.String()),
    truncated: Type.Boolean(),
    error: Type.Optional(LimitError),
    usage: Usage,
    ppid: Type.Optional(Type.Integer({ minimum: 1, description: 'Set for a process another guest process started (a command a shell ran): its parent.' })),
    command: Type.Optional(Type.String({ description: 'For such a child: the program it ran (argv[0]).' })),
  }),
  'Sidecar → host: a spawned process ended (sent after all its output), or a process a guest started (with ppid) ended.',
);

export const ProcessExec = request(
  'process/exec',
  ExecParams,
  ExecResult,
  'Run a command to completion and return its output. `node` runs guest JavaScript (`-e CODE`, `-p CODE` or a script path in the VM fs).',
);

export const ProcessResize = request(
  'process/resize',
  strictObject({ vmId: VmId, pid: Pid, cols: Cols, rows: Rows }),
  strictObject({}),
  'Set the window size of a process\'s pseudo-terminal (spawned with `pty`); its foreground job gets SIGWINCH when the size changed.',
);

export const ProcessState = Type.Union([Type.Literal('running'), Type.Literal('stopped'), Type.Literal('zombie')]);

export const ProcessList = request(
  'process/list',
  strictObject({ vmId: VmId }),
  strictObject({
    processes: Type.Array(strictObject({
      pid: Pid,
      ppid: Type.Integer({ minimum: 0, description: '0 for a process the host started' }),
      pgid: Pid,
      command: Type.String({ description: 'the program (argv[0]), or node' }),
      argv: Type.Array(Type.String()),
      state: ProcessState,
      startedAt: Type.String({ description: 'ISO 8601' }),
      tty: Type.Optional(Type.String({ description: 'the terminal its stdio is, as ttyname says' })),
      usage: strictObject({ cpuMs: Type.Number(), wallMs: Type.Number() }),
    })),
  }),
  'Every process of the VM, by pid: running ones, and zombies (ended, their parent has not waited for them yet).',
);
