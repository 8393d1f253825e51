import { isTerminalFd } from '../terminal.js';
import { ReadableIn, WritableOut } from '../streams.js';

/**
 * Node's `tty` for a VM: fds 0–2 are a terminal when the process was spawned with a pty
 * (or inherited one), and nothing else ever is. A tty stream on fd 0 is the process's
 * stdin, on 1 or 2 its stdout or stderr (they are the same terminal); on any other fd,
 * Node's error for a descriptor that is not a terminal.
 */
export function createTty(stdio: () => { stdin: unknown; stdout: unknown; stderr: unknown }) {
  const ttyInitFailed = () =>
    Object.assign(new Error('TTY initialization failed: uv_tty_init returned EINVAL (invalid argument)'), {
      name: 'SystemError',
      code: 'ERR_TTY_INIT_FAILED',
      errno: -22,
      syscall: 'uv_tty_init',
      info: { errno: -22, code: 'EINVAL', message: 'invalid argument', syscall: 'uv_tty_init' },
    });
  function ReadStream(this: unknown, fd: unknown): unknown {
    if (fd !== 0 || !isTerminalFd(fd)) throw ttyInitFailed();
    return stdio().stdin;
  }
  function WriteStream(this: unknown, fd: unknown): unknown {
    if ((fd !== 1 && fd !== 2) || !isTerminalFd(fd)) throw ttyInitFailed();
    return fd === 1 ? stdio().stdout : stdio().stderr;
  }
  // `process.stdout instanceof tty.WriteStream` holds on a terminal, as in Node.
  Object.defineProperty(ReadStream, Symbol.hasInstance, { value: (v: unknown) => v instanceof ReadableIn && (v as { isTTY?: boolean }).isTTY === true });
  Object.defineProperty(WriteStream, Symbol.hasInstance, { value: (v: unknown) => v instanceof WritableOut && (v as { isTTY?: boolean }).isTTY === true });
  return {
    isatty: (fd: unknown) => isTerminalFd(fd),
    ReadStream,
    WriteStream,
  };
}
