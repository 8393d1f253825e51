/**
 * Node's `tty` for a VM: a guest's stdio are pipes to the host, never terminals, so
 * isatty() is false for every fd and a tty stream cannot be made on one (Node's error for
 * a descriptor that is not a terminal).
 */
export function createTty() {
  const ttyInitFailed = () =>
    Object.assign(new Error('TTY initialization failed: uv_tty_init returned EINVAL (invalid argument)'), {
      name: 'SystemError',
      code: 'ERR_TTY_INIT_FAILED',
      errno: -22,
      syscall: 'uv_tty_init',
      info: { errno: -22, code: 'EINVAL', message: 'invalid argument', syscall: 'uv_tty_init' },
    });
  class ReadStream {
    constructor() {
      throw ttyInitFailed();
    }
  }
  class WriteStream {
    constructor() {
      throw ttyInitFailed();
    }
  }
  return {
    isatty: (fd: unknown) => {
      void fd;
      return false;
    },
    ReadStream,
    WriteStream,
  };
}
