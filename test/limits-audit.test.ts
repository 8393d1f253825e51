import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { VmLimits } from '../protocol/vm.js';
import { INVENTORY, type LimitSpec } from '../src/limits/inventory.js';
import { resolveLimits } from '../src/limits/limits.js';
import { literalBounds, type LiteralHit } from './helpers/literal-bounds.js';

/**
 * The limits audit: every bound the sidecar enforces lives in src/limits/inventory.ts.
 *
 * Two nets catch a bound written anywhere else in src/ (src/limits/ itself excepted):
 * - constant names: `const MAX_…`, `…_LIMIT…`, `let maxFoo = 10`…;
 * - numeric literals that act as bounds (test/helpers/literal-bounds.ts says exactly
 *   which): any literal or literal product of 1024 and up that is not a unit factor
 *   (1000, 1024, 1 MiB, 1 GiB, 1e6, 1e9), and any literal of 2 and up that is an operand
 *   of < <= > >=, an argument of Math.min/Math.max/clamp, the size of `new Uint8Array(N)`
 *   (any typed array or ArrayBuffer) or `Buffer.alloc(N)`, the end of `.slice(0, N)`
 *   (`subarray`, `substring`) or the count of `.repeat(N)`.
 *
 * A literal found there is either a bound, which belongs in the inventory (read it through
 * `limits.ts` and the audit is satisfied), or not a bound: a protocol or format constant,
 * a wasm opcode, an errno or signal number, a file mode, a chunk size that cuts data
 * without limiting it. Those are listed in NOT_BOUNDS below, each with why.
 *
 * To extend NOT_BOUNDS, add one entry: `file` (the path under src/), `value` (the number,
 * or several), optionally `where` (a piece of the source line, to pin one occurrence) and
 * `why` (one line: what the number is, and why it is not a bound). Keep `where` when the
 * same number could also be a bound in that file. An entry that no longer matches anything
 * is reported (not failed), so it can be removed once its literal goes.
 */
const SRC = new URL('../src/', import.meta.url).pathname;

function sources(dir: string): Array<{ path: string; text: string }> {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return path.endsWith('/limits') ? [] : sources(path);
    return path.endsWith('.ts') && !path.endsWith('.d.ts') ? [{ path, text: readFileSync(path, 'utf8') }] : [];
  });
}
const files = sources(SRC);

test('no limit constant lives outside the inventory', () => {
  const limitLike = /\b(?:const|let)\s+([A-Z][A-Z0-9_]*(?:MAX|LIMIT|QUOTA|BUDGET|TIMEOUT|CAP|CEILING)[A-Z0-9_]*|MAX_[A-Z0-9_]+)\s*=\s*[\d(]/g;
  const numericDefault = /\b(?:let|const)\s+(max\w*|\w*[lL]imit\w*)\s*=\s*[1-9][\d_]*/g;
  const offenders: string[] = [];
  for (const { path, text } of files) {
    for (const m of text.matchAll(limitLike)) offenders.push(`${path}: ${m[1]}`);
    for (const m of text.matchAll(numericDefault)) offenders.push(`${path}: ${m[1]} (a hard-coded bound)`);
  }
  assert.equal(offenders, [], `move these into src/limits/inventory.ts:\n${offenders.join('\n')}`);
});

interface NotABound {
  file: string;
  value: number | number[];
  where?: string;
  why: string;
}

const SIGNALS = 'signal numbers: 1 to 64, kept as two 32-bit words';
const STDIO = 'fds 0, 1 and 2 are stdio, 3 the first free fd (POSIX)';
const EXCERPT = 'how much of a bad input an error message quotes';
const NOT_BOUNDS: NotABound[] = [
  // Node's own values, reproduced for Node's code or reported as Node reports them.
  { file: 'js/guest/hooks.ts', value: 2147483648, where: 'options.timeout', why: "isolated-vm's largest run timeout (an int32 of ms); Node's vm takes a uint32, and past 24.8 days a run is not bounded differently" },
  { file: 'js/guest/node/node-lib.ts', value: 2, where: 'streamBaseState', why: "the two words of Node's streamBaseState, for adapters.js's StreamBase paths that nothing here calls" },
  { file: 'js/guest/node/node-lib.ts', value: 4095, where: 'UV_EOF', why: "libuv's UV_EOF (-4095), as Node's uv binding has it" },
  { file: 'js/guest/node/worker-wire.ts', value: 32768, where: 'fromCharCode', why: 'how many bytes go into one String.fromCharCode call while base64-encoding workerData (the call has an argument-count limit); not a bound on the data' },
  { file: 'js/guest/node/worker.ts', value: 2048, where: 'LIMIT_DEFAULTS', why: "Node's default resourceLimits (maxOldGenerationSizeMb 2048), which worker.resourceLimits reports; the VM's own limits are what bound a worker" },
  // Node's own http defaults, reproduced for the vendored http files (not the sidecar's bounds).
  { file: 'js/guest/node/http-lib.ts', value: 2147483648, why: "Node's TIMEOUT_MAX (2^31 - 1): a longer socket timeout is truncated, as Node does" },
  { file: 'js/guest/node/http-lib.ts', value: 16384, why: "Node's defaults: --max-http-header-size and a stream's highWaterMark (16 KiB)" },
  { file: 'js/guest/node/test-runner.ts', value: 2147483648, why: "Node's TIMEOUT_MAX (2^31 - 1) for the vendored test runner: the largest test timeout, as Node checks it" },
  { file: 'js/guest/node/http-parser-binding.ts', value: 16384, why: "Node's default --max-http-header-size (16 KiB), which http.Server's maxHeaderSize overrides" },
  { file: 'net/inject-headers.ts', value: 65535, why: 'the highest TCP port' },
  { file: 'js/guest/node/tls-wrap.ts', value: 48, why: "a TLS server's ticket keys are exactly 48 bytes (Node's getTicketKeys/setTicketKeys)" },
  { file: 'js/guest/node/tls-wrap.ts', value: 120000, why: "Node's default handshakeTimeout of a tls.Server (the daemon cuts it to TLS_HANDSHAKE_TIMEOUT_MS)" },
  { file: 'js/guest/node/tls-wrap.ts', value: 3, why: 'the deepest shape of a secure context option Node reads (an array of {pem, passphrase} with a buffer in it): what is deeper is passed as is, for the daemon to refuse' },
  { file: 'net/tls-options.ts', value: 3, why: 'the deepest shape of a secure context option Node reads (an array of {pem, passphrase} with a buffer in it): deeper is not an option, refused' },
  { file: 'js/guest/node/internal-shims.ts', value: 2147483648, why: "Node's TIMEOUT_MAX (2^31 - 1), which cluster's worker reads from internal/timers: an API value" },
  { file: 'process/ipc-channel.ts', value: 131072, why: "Node's mark for child.send/process.send returning false (a write queue of 65536 * 2 bytes, internal/child_process.js): an API value, the bound is IPC_CHANNEL_QUEUE_BYTES" },
  { file: 'net/inject-headers.ts', value: 4, why: 'the length of the CRLF CRLF that ends a request head' },
  { file: 'js/guest/node/blob-fallback.ts', value: 2, why: 'File() takes two arguments (the File API)' },
  // Formats and protocols.
  { file: 'fs/tar-format.ts', value: [0o7777777, 0o77777777777], why: 'the largest numbers a tar header\'s 7- and 11-digit octal fields spell (past them a pax record carries the value)' },
  { file: 'fs/tar-format.ts', value: 2, where: 'END_OF_ARCHIVE', why: 'a tar archive ends with two zero blocks (the format)' },
  { file: 'fs/tar-format.ts', value: [0o7777], why: 'the permission bits of a mode' },
  { file: 'fs/tar-read.ts', value: [0o7777], why: 'the permission bits of a mode' },
  { file: 'fs/tar-format.ts', value: 20, where: 'space - at', why: 'the digits a pax record length can have before its space (a malformed record is refused)' },
  { file: 'fs/tar-format.ts', value: [148, 156, 127], why: 'the header checksum field (bytes 148..155) counts as spaces; bytes past 127 are negative in the signed sum old tars wrote' },
  { file: 'process/pty.ts', value: [0o40000, 0o4000, 0o100000], why: "termios flag bits (IUTF8, ECHOKE, IEXTEN) as Linux's <asm-generic/termbits.h> numbers them" },
  { file: 'process/pty.ts', value: 0x20, where: 'ECHOCTL', why: 'control characters are the bytes below 0x20 (ASCII): ECHOCTL echoes them as ^X' },
  { file: 'wasm/runner/host-fs.ts', value: 0o020666, why: 'the mode of a terminal device (S_IFCHR | rw-rw-rw-), as stat shows /dev/pts/N' },
  { file: 'wasm/runner/host-tty.ts', value: 0xffffffff, why: "host_tty read's timeout that means 'block until input' (the ABI)" },
  { file: 'client/client.ts', value: 32601, why: 'JSON-RPC "method not found" code' },
  { file: 'wasm/binary.ts', value: 35, why: 'a u32/i32 LEB128 is at most 5 bytes (shift 35): the format, not a tunable' },
  { file: 'wasm/engine.ts', value: 8, why: 'the 8-byte wasm header (magic + version)' },
  { file: 'wasm/memory-cap.ts', value: 8, why: 'the 8-byte wasm header (magic + version)' },
  { file: 'wasm/memory-cap.ts', value: 65536, where: 'WASM_PAGE_BYTES', why: 'the 8-byte wasm header; 64 KiB is the wasm page size (the spec)' },
  { file: 'wasm/instrument.ts', value: 8, why: 'the 8-byte wasm header (magic + version)' },
  { file: 'wasm/opcodes.ts', value: [0x6f, 0x7f, 0x28, 0x3e, 0x45, 0xc4, 7, 11, 17, 21, 34, 84, 91], why: 'wasm opcodes and their ranges' },
  { file: 'wasm/runner/contract.ts', value: 0o100666, why: 'a device file\'s mode' },
  { file: 'wasm/runner/host-fs.ts', value: 0o140777, why: 'a socket\'s mode (S_IFSOCK)' },
  { file: 'wasm/runner/host-net.ts', value: [0x4000, 0x2000, 0x7fffffff], why: 'the libc\'s SOCK_NONBLOCK, SOCK_CLOEXEC, MSG_NOSIGNAL flag bits and WASI\'s SOL_SOCKET level' },
  { file: 'wasm/runner/host-net.ts', value: 212992, why: 'Linux\'s rmem/wmem_default, what SO_RCVBUF/SO_SNDBUF report for a UDP socket (as net/udp.ts does for guest JS); the queues are bounded by NET_UDP_QUEUE_BYTES_PER_VM' },
  { file: 'wasm/runner/sockets.ts', value: 65535, why: 'the last TCP port (the protocol\'s 16 bits)' },
  { file: 'net/socket-calls.ts', value: [253, 65535], why: 'the longest DNS name (RFC 1035) and the last TCP port: formats, not tunables' },
  { file: 'net/socket-pump.ts', value: 64 * 1024, why: 'how much of the send ring one stream.write takes: cuts data, bounds nothing (the ring is SOCKET_BUFFER_BYTES)' },
  { file: 'wasm/runner/contract.ts', value: 65536, where: 'WASM_PAGE_BYTES', why: 'the wasm page size (the spec)' },
  { file: 'js/guest/text-codecs.ts', value: [0xd800, 0xdbff, 0xdc00, 0xdfff, 0x10000, 0xfeff, 0xfffd, 0x80, 0x800], why: 'UTF-8 and UTF-16 encoding constants, surrogates and the byte-order mark (encodeInto, the BOM TextDecoder drops)' },
  { file: 'vm/js-child-stdio.ts', value: 64 * 1024, why: 'how much of a file one stdin read of a node child takes: cuts data, bounds nothing (STDIN_LIMIT_BYTES bounds what is queued)' },
  { file: 'js/guest/fs-streams.ts', value: 64 * 1024, why: 'fs.ReadStream\'s default highWaterMark, Node\'s own (each read is still one fs call under FS_IO_MAX_BYTES)' },
  { file: 'js/guest/node/stream-web.ts', value: [0xd800, 0xdbff], why: 'the high-surrogate range (TextEncoderStream keeps a trailing one for the next chunk)' },
  { file: 'js/guest/node-error.ts', value: [28, 25], why: 'how Node\'s ERR_INVALID_ARG_TYPE shortens a received string in its message (internal/errors.js)' },
  { file: 'wasm/runner/utf8.ts', value: [0xd800, 0xdbff, 0xdc00, 0xdfff, 0x10000, 0x80, 0x800, 0xf0, 0xe0, 0xc0, 0xfffd, 0x10ffff], why: 'UTF-8 and UTF-16 encoding constants' },
  { file: 'js/guest/node/buffer.ts', value: [2 ** 32, 2 ** 29], why: 'Node 20\'s buffer.kMaxLength and kStringMaxLength, reported to guests as Node reports them' },
  { file: 'js/guest/node/buffer.ts', value: [0x80, 0xff, 0xc2, 0xdf, 0xe0, 0xef, 0xf0, 0xf4, 0xbf], why: 'ASCII, Latin-1 and UTF-8 byte ranges (RFC 3629)' },
  { file: 'js/guest/node/block-list-binding.ts', value: [255, 2, 16, 0xffff, 5, 8], why: 'IPv4 octets, IPv6 as 8 16-bit words in 16 bytes, the ::ffff: mapped prefix (5 zero words): address formats (inet_pton/inet_ntop)' },
  { file: 'js/guest/node/net.ts', value: [3008, 10], why: 'UV_EAI_NONAME (-3008) as Node reports getaddrinfo ENOTFOUND; Node raises an autoSelectFamily attempt timeout below 10 ms to 10' },
  { file: 'js/guest/node/node-lib.ts', value: 1, why: 'Node\'s wording of ERR_MISSING_ARGS lists: one name, two, or a comma list' },
  { file: 'js/guest/node/v8-serdes.ts', value: [0x80, 0x7fffffff, 0x80000000, 0xffffffff, 32, 8, 14, 0xff], why: 'V8 ValueSerializer wire format: base-128 varints, int32 range, array index range, 8-byte doubles, format version 14\'s extra field, one-byte strings' },
  { file: 'js/guest/base64-globals.ts', value: 0xff, why: 'btoa takes Latin-1 only: a code unit above 0xff is an InvalidCharacterError (WHATWG)' },
  { file: 'js/guest/node/bindings.ts', value: 2 ** 32, why: 'an array index is below 2^32 - 1 (ECMAScript)' },
  { file: 'wasm/spawn-fds.ts', value: 24, why: 'the size of one posix_spawn file action in the command ABI (COMMAND-ABI.md)' },
  { file: 'wasm/spawn-fds.ts', value: [0x1fffffff, 0x14000000, 0x04000000, 0x10000000, 0x1000, 0x8000, 0x4000], why: 'WASI rights and the command ABI\'s open flags (bit masks)' },
  { file: 'wasm/runner/runner.ts', value: 0x40000003, why: 'the fd number hidden preopens start at (out of a program\'s way)' },
  { file: 'wasm/runner/host-process.ts', value: 0xffffffff, why: 'u32 -1: "any child" in the wait call' },
  { file: 'wasm/runner/host-process.ts', value: [12, 14, 2], why: 'WASI/ABI enum ranges (fcntl lock commands 12-14, lock types and signal actions 0-2)' },
  { file: 'wasm/runner/host-fs.ts', value: 0xffffffff, why: 'u32 -1: "leave unchanged" in chown (POSIX)' },
  { file: 'wasm/runner/host-user.ts', value: 0xffffffff, why: 'u32 -1: "leave unchanged" in setresuid (POSIX)' },
  { file: 'wasm/runner/wasi.ts', value: [2, 3], where: 'id > 3', why: 'WASI clock ids 0-3' },
  { file: 'wasm/runner/wasi.ts', value: 2, where: 'whence > 2', why: 'WASI whence values 0-2' },
  { file: 'wasm/runner/signals.ts', value: 3, where: 'how > 3', why: 'sigprocmask "how" values' },
  { file: 'wasm/runner/signals.ts', value: [32, 0x80000000], why: `${SIGNALS}; SA_RESETHAND's bit` },
  { file: 'wasm/runner/host-process.ts', value: 64, where: 'sig > 64', why: SIGNALS },
  { file: 'wasm/wasm-process.ts', value: 32, why: `${SIGNALS}: a 32-byte SharedArrayBuffer of such words` },
  { file: 'vm/snapshot-archive.ts', value: 200, why: EXCERPT },
  { file: 'vm/snapshot-archive.ts', value: [0o7777, 2 ** 32], why: 'a snapshot manifest\'s mode (permission bits) and 32-bit uid/gid ranges (POSIX)' },
  { file: 'daemon/snapshot-handlers.ts', value: 99, why: 'an export\'s $/progress percentage stays below 100 until its end' },
  { file: 'client/client.ts', value: 256 * 1024, where: 'chunkBytes', why: 'snapshot/import sends 256 KiB pieces by default (SNAPSHOT_ARCHIVE_MAX_BYTES bounds the whole)' },
  // File modes, stat fields, stdio.
  { file: 'fs/vfs.ts', value: [0o100000, 0o040000, 0o120000, 0o140000, 0o7777], why: 'file type bits and the permission mask (POSIX)' },
  { file: 'fs/vfs.ts', value: 4096, where: "'socket' ? 0 : 4096", why: 'the size stat reports for a directory, as ext4 does' },
  { file: 'js/guest/fs.ts', value: 4096, where: 'blksize = 4096', why: 'the block size stat reports, as ext4 does' },
  { file: 'js/guest/fs.ts', value: [0o170000, 0o100000, 0o040000, 0o120000], why: 'fs.constants file type bits (POSIX)' },
  { file: 'process/guest-fs.ts', value: [0o020620, 0o7777], why: 'a tty\'s mode; the permission mask' },
  { file: 'wasm/runner/host-fs.ts', value: [0o010600, 0o7777], why: 'a FIFO\'s mode; the permission mask' },
  { file: 'wasm/spawn-fds.ts', value: 0o7777, why: 'the permission mask' },
  { file: 'process/guest-fs.ts', value: 2, where: 'fd', why: STDIO },
  { file: 'process/fd-table.ts', value: 3, why: `${STDIO}: they count against the open-files bound` },
  { file: 'wasm/spawn-fds.ts', value: 2, where: 'a.fd > 2', why: STDIO },
  { file: 'wasm/runner/wasi.ts', value: 3, where: 'to >= 3', why: STDIO },
  // Node's and V8's own constants.
  { file: 'js/guest/builtins.ts', value: 2 ** 31, why: 'buffer.constants.MAX_LENGTH as Node reports it' },
  { file: 'wasm/runner/poll-fds.ts', value: 2 ** 31, why: 'an infinite poll sleeps the longest delay a timer takes (2^31-1 ms, as in Node)' },
  { file: 'js/guest/runtime.ts', value: 8, why: 'the UUID format: 8-4-4-4-12 hex digits' },
  { file: 'js/guest/node/crypto.ts', value: [2147483647, 2 ** 48, 2 ** 40, 2 ** 32], why: 'Node\'s own argument ranges (int32 iterations and key lengths, randomInt\'s 48-bit range) and the bytes of a 48-bit number' },
  { file: 'js/guest/node/crypto.ts', value: [3, 0xf0, 0xe0, 0xc0], why: 'UTF-8 lead bytes: how long a character is (at most 3 bytes after the lead)' },
  { file: 'js/guest/node/crypto.ts', value: 25, why: EXCERPT },
  { file: 'js/guest/node/crypto.ts', value: 8, where: 'h.slice(0, 8)', why: 'the UUID format: 8-4-4-4-12 hex digits' },
  { file: 'js/guest/node/child_process.ts', value: 2, where: 'v <= 2', why: STDIO },
  { file: 'js/node-host/crypto-calls.ts', value: [32 * 1024 * 1024, 16384], why: 'Node\'s scrypt defaults (maxmem 32 MiB, N 16384), to know what a guest asked for; CRYPTO_SCRYPT_MAX_MEMORY_BYTES is the bound' },
  { file: 'js/node-host/zlib-calls.ts', value: [0xffffffff, 2, 10], why: 'the uint32 range (crc32\'s value; -1 as uint32 marks an unset brotli parameter), the native writeState\'s two words, brotli qualities 10-11 (the binary-tree hasher)' },
  // Chunk sizes and wake-up slices: how work is cut up, not how much is allowed.
  { file: 'js/guest/node/child-stdio.ts', value: 64 * 1024, where: 'WRITE_PIECE_BYTES', why: 'a write to a child\'s stdin is sent in 64 KiB pieces (STDIN_LIMIT_BYTES bounds what waits)' },
  { file: 'js/node-host/js-children.ts', value: 64 * 1024, where: 'DELIVER_CHUNK_BYTES', why: 'a child\'s output reaches the guest in 64 KiB chunks (its output limit bounds the total)' },
  { file: 'js/js-process.ts', value: 64 * 1024, where: 'STDIN_CHUNK_BYTES', why: 'stdin is handed to a guest in 64 KiB chunks' },
  { file: 'vm/vm.ts', value: 64 * 1024, where: 'STREAM_CHUNK_BYTES', why: 'streamed output is cut into events of at most 64 KiB' },
  { file: 'wasm/runner/wasi.ts', value: 65536, where: 'at', why: 'random_get asks the host 64 KiB at a time: the floor of RANDOM_CALL_MAX_BYTES, so every chunk is served whole (a chunk size, not a bound)' },
  { file: 'wasm/runner/wasi.ts', value: 5, where: "'sleep', Math.min(5,", why: 'a blocking poll wakes every 5 ms to look again' },
  { file: 'wasm/wasm-process.ts', value: 1000, where: 'Math.min(timeoutMs, 1000)', why: 'a timed wait for a child wakes at least every second to look again' },
  { file: 'fs/vfs.ts', value: [2, 16 * 1024 * 1024], where: 'const grown', why: 'a file\'s buffer grows by doubling, at most 16 MiB at a time (the quota bounds the size)' },
  { file: 'process/pipe-ring.ts', value: 16, why: 'the smallest ring a pipe rounds up to' },
  { file: 'wasm/program-lookup.ts', value: 256, why: 'how much of a file is read to see whether it starts with #!' },
  { file: 'js/module-resolver.ts', value: 4, where: 'depth < 4', why: 'package.json "exports" conditions are read at most 4 levels deep (Node resolves the same shapes)' },
  { file: 'process/guest-fs.ts', value: 100, where: 'i < 100', why: 'mkdtemp tries 100 random names before EEXIST, as libc does' },
  // Terminal constants: Linux's termios flag bits, ASCII control characters, the tty file mode and the ABI's "no timeout".
  { file: 'process/pty.ts', value: [0o40000, 0o4000, 0o100000], why: 'Linux termios flag bits (IUTF8, ECHOKE, IEXTEN), as <asm-generic/termbits.h> numbers them' },
  { file: 'process/pty.ts', value: 0x20, where: 'c < 0x20', why: 'ASCII: characters below space are control characters, echoed as ^X (ECHOCTL)' },
  { file: 'wasm/runner/host-fs.ts', value: 0o020666, why: 'st_mode of a terminal: a character device anyone may read and write (the command ABI\'s value for a stdio tty)' },
  // Excerpts in error messages.
  { file: 'daemon/frame-reader.ts', value: [40, 80], why: EXCERPT },
  { file: 'daemon/validate.ts', value: 60, why: EXCERPT },
  { file: 'fs/paths.ts', value: 64, why: EXCERPT },
  { file: 'vm/vm.ts', value: 20, where: 'available', why: 'how many command names a "not found" message lists' },
  // Floors the inventory states as `min`, repeated where a per-VM override is checked.
  { file: 'vm/vm.ts', value: 8, where: '?? 8) < 8', why: 'the isolated-vm heap floor: the `min` of GUEST_HEAP_LIMIT_MB and WASM_RUNNER_HEAP_LIMIT_MB' },
  { file: 'fs/sizes.ts', value: 32, why: EXCERPT },
  { file: 'fs/vfs.ts', value: 64, where: 'path.length > 64', why: EXCERPT },
  { file: 'wasm/runner/runner.ts', value: 64, where: 'n.length > 64', why: EXCERPT },
  { file: 'wasm/wasm-process.ts', value: 256, where: 'String(raw.path).slice(0, 256)', why: EXCERPT },
  { file: 'js/guest/fs-args.ts', value: [28, 25], why: 'Node\'s own excerpt of a string argument in ERR_INVALID_ARG_TYPE (25 characters and "...")' },
  { file: 'js/guest/random.ts', value: 25, why: 'Node\'s own excerpt of a string argument in ERR_INVALID_ARG_TYPE (25 characters and "...")' },
  { file: 'js/guest/fs-args.ts', value: [2 ** 32, 3], why: 'Node prints integers past 2^32 in ERR_OUT_OF_RANGE with _ every 3 digits' },
  { file: 'js/guest/random.ts', value: [2 ** 32, 3], why: 'Node prints integers past 2^32 in ERR_OUT_OF_RANGE with _ every 3 digits' },
  // Node's, Web Crypto's and the formats' own ranges, which guests are told as Node tells them.
  { file: 'js/guest/fs-args.ts', value: 2 ** 31, why: 'Node\'s own range for a read/write length (kIoMaxLength, 2^31-1)' },
  { file: 'js/guest/random.ts', value: 2 ** 31, why: 'Node\'s own range for randomBytes sizes (2^31-1)' },
  { file: 'js/guest/random.ts', value: 65536, why: 'Web Crypto\'s getRandomValues quota (QuotaExceededError past 65,536 bytes, as the spec and Node)' },
  { file: 'wasm/spawn-request.ts', value: [0xffffffff, 0x7fffffff, 0xffff], why: 'the ranges of u32, positive i32 and u16 fields in the command ABI\'s spawn request' },
  { file: 'wasm/runner/contract.ts', value: 65536, where: 'DEVICE_READ_CHUNK', why: 'one read of a device returns at most 64 KiB (a short read, as POSIX allows; the next read gets more)' },
  { file: 'process/guest-fs.ts', value: 2, where: 'a.length < 2', why: 'an argument count: readdir with or without its page arguments' },
  { file: 'fs/vfs.ts', value: [2, 64], where: 'names.length > 2 * dir.entries.size + 64', why: 'when a cached sorted listing is rebuilt (it holds removed names too): a cache policy, not a bound' },
  // The client runs in the host's process, not the daemon: its grace periods wait for a daemon, they bound no guest.
  { file: 'client/client.ts', value: [10_000, 2000, 3000], why: 'how long the host-side client waits for a daemon to answer shutdown and exit before it signals it' },
  { file: 'client/errors.ts', value: [32099, 32098, 32097, 32096], why: 'vscode-jsonrpc\'s own transport error codes, mapped to ours' },
  // The network (issue 12).
  { file: 'net/addresses.ts', value: [16, 8], why: 'an IPv6 address is 16 bytes, 8 groups; a byte is 8 bits (the address formats)' },
  { file: 'net/broker.ts', value: [32768, 60999], why: 'Linux\'s default ephemeral port range (ip_local_port_range), where a VM\'s listen(0) and loopback clients take ports' },
  { file: 'net/broker.ts', value: 65535, why: 'the highest TCP port' },
  { file: 'net/udp.ts', value: [32768, 60999], why: 'Linux\'s default ephemeral port range (ip_local_port_range), where a VM\'s UDP bind(0) takes ports' },
  { file: 'net/udp.ts', value: [65535, 65507, 65527], why: 'the highest UDP port, and the largest UDP payload over IPv4 (65535 - 20 - 8) and IPv6 (65535 - 8): the protocol\'s, as Linux gives EMSGSIZE past them' },
  { file: 'net/udp.ts', value: [212992, 2304, 4608, 0x7fffffff], why: 'Linux\'s socket buffer sysctls (rmem/wmem_default and _max) and SOCK_MIN_RCVBUF/SNDBUF, and INT_MAX: what SO_RCVBUF/SO_SNDBUF report to the guest; the queues are bounded by NET_UDP_QUEUE_BYTES_PER_VM' },
  { file: 'js/guest/node/udp-wrap.ts', value: [224, 239], why: 'the first octets of IPv4 multicast (224.0.0.0/4)' },
  { file: 'js/guest/node/udp-wrap.ts', value: 255, why: 'the highest IP TTL / hop limit (libuv\'s range check of setTTL and setMulticastTTL)' },
  { file: 'js/guest/node/udp-wrap.ts', value: [65507, 65527], why: 'the largest UDP payload over IPv4 and IPv6: the protocol\'s (EMSGSIZE past it, before the bytes cross to the daemon)' },
  { file: 'js/guest/node/udp-wrap.ts', value: 6, why: 'UDPWrap.send\'s argument count when it names a destination (req, list, count, port, ip, hasCallback)' },
  { file: 'net/broker.ts', value: 1000, where: 'dnsWindow', why: 'one second, the window of the per-second DNS rate (NET_DNS_LOOKUPS_PER_SECOND is the bound)' },
  { file: 'permissions/network-match.ts', value: 65535, why: 'the highest TCP port' },
  { file: 'permissions/network-match.ts', value: 2000, why: 'the specificity rank of an exact name, above every address range and wildcard' },
  { file: 'js/guest/node/net.ts', value: 3001, why: 'libuv\'s errno of EAI_AGAIN (-3001)' },
  { file: 'js/guest/node/uv-errors.ts', value: [3000, 3001, 3002, 3003, 3004, 3005, 3006, 3007, 3008, 3009, 3010, 3011, 3013, 3014, 4028, 4080, 4094, 4095], why: 'libuv\'s error numbers on Linux (the EAI_* getaddrinfo codes, EFTYPE, ECHARSET, UNKNOWN, EOF), as Node\'s uv binding reports them' },
  { file: 'js/node-host/net-calls.ts', value: 65535, why: 'the highest TCP port (dns.lookupService\'s port)' },
  { file: 'js/guest/node/net-broker-transport.ts', value: 64 * 1024, why: 'how many written bytes a socket gathers before sending them at once: cuts data into calls, bounds nothing (the daemon\'s socket buffer does)' },
  { file: 'js/guest/fs-constants.ts', value: [61440, 32768, 16384, 8192, 24576, 4096, 40960, 49152, 65536, 262144, 131072, 1052672, 2048], why: "Linux's S_IF* file types and O_* open flags, as Node's fs.constants gives them" },
  { file: 'js/guest/fs-node.ts', value: 7, where: 'mode is out of range', why: "access()'s mode is a mask of R_OK|W_OK|X_OK (Node's own range check)" },
  { file: 'js/guest/fs-node.ts', value: 2 ** 31, where: 'INT32_TOP', why: "the largest fd Node's validator takes (an int32)" },
  { file: 'js/guest/fs-node.ts', value: [0o2101, 0o2102], why: "the O_* flags of Node's 'a' and 'a+' flag strings" },
  { file: 'js/guest/fs-node.ts', value: 0xffffffff, why: 'a file mode is a uint32 in Node\'s parseFileMode' },
  { file: 'js/guest/fs-watch-file.ts', value: 5007, why: "Node's default fs.watchFile interval (ms), which a guest may set" },
  { file: 'js/guest/fs-watch-file.ts', value: 18, why: "the length of Node's stat array (getStatsFromBinding)" },
  { file: 'js/guest/fs.ts', value: [4096, 0x01021994], why: "statfs's block size and f_type (tmpfs's magic), and a stat's blksize" },
  { file: 'js/guest/fs.ts', value: 0x7fffffff, why: "Node's kIoMaxLength check on a read or write length (its own error)" },
  { file: 'js/guest/fs.ts', value: [2, 3, 4], where: 'args.length', why: 'how many arguments a call was given (Node\'s argument shuffles)' },
  { file: 'js/guest/fs.ts', value: 4, where: 'n <= 4', why: 'how many arguments a call was given (Node\'s argument shuffles)' },
  { file: 'js/guest/fs-handle.ts', value: 512 * 1024, where: 'WRITE_CHUNK', why: "FileHandle.writeFile writes in pieces of Node's kWriteFileMaxChunkSize: it cuts the data, it does not limit it" },
  { file: 'js/node-host/crypto-keys.ts', value: 64, where: 'Math.max(64', why: "the least a key is counted at against CRYPTO_KEY_BYTES_PER_VM (an estimate's floor: an X25519 key's handle), not a bound" },
  { file: 'js/node-host/crypto-keys.ts', value: [2, 4, 6], where: '> der.byteLength', why: "DER's element header: a tag and a length byte, at most 4 length bytes (the format)" },
  { file: 'js/node-host/crypto-keys.ts', value: [2, 4, 6], where: '.len ', why: 'how many bytes of a DER INTEGER fit a safe JavaScript number (6) or an int32 (4): larger ones are past every bound at once' },
  { file: 'js/node-host/crypto-keys.ts', value: [2 ** 32, 2 ** 31], where: 'Number.isInteger', why: "Node's own validateUint32/validateInt32 ranges: a value past them is left to Node's own error, so only values Node accepts meet the sandbox's bound" },
  { file: 'js/node-host/crypto-keys.ts', value: 4, where: '4 * b.primeMaxBits', why: 'checkPrime\'s candidate may be four times CRYPTO_PRIME_MAX_BITS (testing is far cheaper than finding): the bound is the inventory\'s' },
  { file: 'js/node-host/crypto-wire.ts', value: 64, where: 'name.length', why: 'how much of a class or function name an error message quotes (longer ones read "Object")' },
  { file: 'js/node-host/crypto-wire.ts', value: 256, where: 'standIns.size', why: 'how many named stand-in classes are cached (a cache, cleared when full; each is made again on demand)' },
  { file: 'js/node-host/crypto-wire.ts', value: 8, where: 'NESTING', why: 'how deep a node:crypto argument is taken apart (an options object with a JWK nests 3); deeper values become stand-ins, as unknown objects do: a format depth, the bytes are NODE_CALL_MAX_BYTES\'s' },
  { file: 'js/guest/node/crypto-wire.ts', value: 8, where: 'NESTING', why: 'how deep a node:crypto argument is copied (the daemon takes it apart to the same depth): a format depth, the bytes are NODE_CALL_MAX_BYTES\'s' },
  { file: 'js/guest/fs-handle.ts', value: 16384, why: "the buffer Node's FileHandle.read() allocates when given none (its default length)" },
];

const allowedBy = (hit: LiteralHit) =>
  NOT_BOUNDS.find((rule) => rule.file === hit.file && ([rule.value].flat().includes(hit.value)) && (!rule.where || hit.source.includes(rule.where)));

test('the literal scanner finds bounds written as numbers, and nothing in comments or strings', () => {
  const sample = [
    '// a comment: Math.min(x, 65536) and 70000',
    'const s = "slice(0, 4096) 99999"; const t = `n = ${Math.min(n, 300)}, 123456`;',
    'if (depth > 40) throw new Error("too deep");',
    'const bytes = new Uint8Array(70000);',
    'const head = text.slice(0, 4096);',
    'const CAP = 64 * 1024;',
    'const n = Math.min(length, 65_536);',
    'const ms = seconds * 1000; const mib = bytes / (1024 * 1024); if (x === 1) y = 0;',
    'const re = /a{1,9999}/; const big = Buffer.alloc(12);',
  ].join('\n');
  const found = literalBounds('sample.ts', sample).map((h) => `${h.line}:${h.value}:${h.why}`);
  assert.equal(found, ['2:300:min/max/clamp', '3:40:comparison', '4:70000:allocation', '5:4096:slice', '6:65536:large', '7:65536:min/max/clamp', '9:12:allocation']);
});

test('no numeric literal acts as a bound outside the inventory (or is listed, with why, as not a bound)', () => {
  const hits = files.flatMap(({ path, text }) => literalBounds(relative(SRC, path), text));
  const offenders = hits.filter((hit) => !allowedBy(hit)).map((h) => `src/${h.file}:${h.line} ${h.text} (${h.why}): ${h.source.slice(0, 120)}`);
  assert.equal(offenders, [], `literal bounds outside src/limits/inventory.ts (move each into the inventory, or add it to NOT_BOUNDS in this file with why it is not a bound):\n${offenders.join('\n')}`);
  const stale = NOT_BOUNDS.filter((rule) => !hits.some((hit) => allowedBy(hit) === rule));
  if (stale.length > 0) console.log(`limits-audit: NOT_BOUNDS entries that match nothing now (remove them): ${stale.map((r) => `${r.file} ${[r.value].flat().join(',')}`).join('; ')}`);
  for (const rule of NOT_BOUNDS) assert.ok(rule.why.length >= 10, `${rule.file} ${String(rule.value)}: say why it is not a bound`);
});

test('every inventory entry is used by the code', () => {
  const all = files.map((f) => f.text).join('\n');
  const unused = Object.keys(INVENTORY).filter((name) => !new RegExp(`['.]${name}\\b`).test(all));
  assert.equal(unused, [], `inventory entries nothing reads: ${unused.join(', ')}`);
});

test('every limit named in a warning or error is an inventory entry', () => {
  const names = new Set((Object.entries(INVENTORY) as Array<[string, LimitSpec]>).flatMap(([k, spec]) => [k.toLowerCase(), ...(spec.warnAs ? [spec.warnAs] : [])]));
  const unknown: string[] = [];
  for (const { path, text } of files) {
    for (const m of text.matchAll(/\blimit: '([a-z0-9_]+)'/g)) if (!names.has(m[1]!)) unknown.push(`${path}: ${m[1]}`);
  }
  // The filesystem reports its two quotas by name.
  for (const m of readFileSync(join(SRC, 'fs/vfs.ts'), 'utf8').matchAll(/'(fs_[a-z_]+)'/g)) if (!names.has(m[1]!)) unknown.push(`fs/vfs.ts: ${m[1]}`);
  assert.equal(unknown, []);
});

test('every entry is complete, and per-VM overrides match the protocol', () => {
  const protocolFields = Object.keys(VmLimits.properties).sort();
  const overrides: string[] = [];
  for (const [name, spec] of Object.entries(INVENTORY) as Array<[string, LimitSpec]>) {
    assert.ok(spec.why.length > 20, `${name} says why it exists`);
    assert.ok(spec.env.startsWith('AGENTOS_'), `${name} has an AGENTOS_ variable`);
    assert.ok(spec.default > 0 || spec.optional, `${name} has a default`);
    assert.ok(typeof spec.min === 'number' && typeof spec.max === 'number', `${name} declares its min and max`);
    assert.ok(spec.min! >= 1 && spec.min! <= spec.max! && spec.max! <= Number.MAX_SAFE_INTEGER, `${name}: ${spec.min}..${spec.max} is a range`);
    assert.ok(spec.optional || (spec.default >= spec.min! && spec.default <= spec.max!), `${name}: the default ${spec.default} is in ${spec.min}..${spec.max}`);
    if (spec.vmOverride) overrides.push(spec.vmOverride);
  }
  assert.equal(overrides.sort(), protocolFields);
});

test('environment values: valid ones apply; 0, negative, junk and values outside [min, max] fall back to the default', () => {
  const limits = resolveLimits({
    AGENTOS_MAX_VMS: '5', AGENTOS_FS_QUOTA_BYTES: '0', AGENTOS_GUEST_CPU_TIME_LIMIT_MS: '-3', AGENTOS_MAX_TIMERS_PER_PROCESS: 'many', AGENTOS_GUEST_HEAP_LIMIT_MB: '4',
    AGENTOS_WASM_RUNNER_HEAP_LIMIT_MB: '99999999999999999999', AGENTOS_SHUTDOWN_DEADLINE_MS: '600001', AGENTOS_LOG_BUFFER_BYTES: '1e9',
  });
  assert.equal([limits.MAX_VMS.value, limits.MAX_VMS.source], [5, 'AGENTOS_MAX_VMS']);
  assert.equal([limits.WASM_RUNNER_HEAP_LIMIT_MB.rejectedBecause, limits.SHUTDOWN_DEADLINE_MS.rejectedBecause], ['outside 8..16384', 'outside 10..600000']);
  assert.equal(resolveLimits({ AGENTOS_SHUTDOWN_DEADLINE_MS: '600000' }).SHUTDOWN_DEADLINE_MS.value, 600_000);
  for (const name of ['FS_QUOTA_BYTES', 'GUEST_CPU_TIME_LIMIT_MS', 'MAX_TIMERS_PER_PROCESS', 'GUEST_HEAP_LIMIT_MB', 'WASM_RUNNER_HEAP_LIMIT_MB', 'SHUTDOWN_DEADLINE_MS', 'LOG_BUFFER_BYTES'] as const) {
    assert.is(limits[name].value, INVENTORY[name].default, name);
    assert.ok(limits[name].rejected !== undefined, `${name} reports the rejected value`);
  }
});

test.run();
