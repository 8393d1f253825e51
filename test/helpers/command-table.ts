/**
 * One smoke run for each of the 166 agentOS command binaries: a minimal real use where
 * the command can do its job in a sandbox, `--version`/`--help` where that is all a
 * sandbox can show, and the honest refusal where the job needs what a VM does not have
 * (a network, a terminal, SELinux, login records). Every run starts in /w, which holds
 * the files below.
 */
export const WORK_FILES: Record<string, string> = {
  '/w/a.txt': 'apple x\nbanana\ncherry x\napple x\n',
  '/w/n.txt': '3\n1\n2\n',
  '/w/b.txt': 'apple x\nberry\ncherry x\n',
  '/w/d.json': '{"a":[1,2],"name":"agent"}',
  '/w/c.yaml': 'a: 1\nb: [x, y]\n',
  '/w/j1.txt': '1 one\n2 two\n',
  '/w/j2.txt': '1 uno\n2 dos\n',
  '/w/tabs.txt': 'a\tb\n',
  '/w/deps.txt': 'a b\nb c\n',
  '/w/sub/deep/f.txt': 'deep\n',
  '/w/s1.txt': 'a\nb\nc\n',
  '/w/s2.txt': 'b\nc\nd\n',
  '/w/tmpl.txt': 'hi $NAME\n',
  '/w/mv-me.txt': 'moving\n',
  '/w/shred-me.txt': 'secret\n',
  '/w/unlink-me.txt': 'gone\n',
  '/w/trunc.txt': 'truncate me\n',
  '/w/rm-me.txt': 'remove me\n',
  '/w/emptydir/.keep': '',
};

/** gzip of "hello\n", for gunzip and zcat on stdin. */
export const HELLO_GZ_BASE64 = 'H4sIAAAAAAAAA8tIzcnJ5wIAIDA6NgYAAAA=';

/** A zip (stored, made by Python's zipfile) holding hello.txt = "hello from zip\n": /w/hello.zip, for unzip. */
export const HELLO_ZIP_BASE64 =
  'UEsDBBQAAAAAAAAAIQA1CU0iDwAAAA8AAAAJAAAAaGVsbG8udHh0aGVsbG8gZnJvbSB6aXAKUEsBAhQDFAAAAAAAAAAhADUJTSIPAAAADwAAAAkAAAAAAAAAAAAAAIABAAAAAGhlbGxvLnR4dFBLBQYAAAAAAQABADcAAAA2AAAAAAA=';

export interface CommandCase {
  name: string;
  args: string[];
  stdin?: string;
  /** stdin as base64, for binary input. */
  stdinBase64?: string;
  exit: number;
  /**
   * What stdout and stderr must be: a string is the exact text, a RegExp a pattern (only
   * where the text varies by design: random names, orders, dates). Left out, the stream
   * must be empty.
   */
  out?: string | RegExp;
  err?: string | RegExp;
  /**
   * real: does its job, checked by its exact output or its effect; status: its whole job is
   * its exit status (true, false, sync); info: --version/--help only; refuses: says
   * honestly, in its exact words, why it cannot.
   */
  kind: 'real' | 'status' | 'info' | 'refuses';
  /** Why a command only shows its version or refuses. */
  note?: string;
  /** For a command whose work is its effect: a shell line that must then succeed. */
  then?: string;
  /** A second run of the same binary, with empty output, for a command whose answer is its exit status. */
  also?: { args: string[]; exit: number };
}

const real = (name: string, args: string[], exit: number, out?: string | RegExp, extra: Partial<CommandCase> = {}): CommandCase => ({ name, args, exit, ...(out !== undefined ? { out } : {}), kind: 'real', ...extra });
const status = (name: string, args: string[], exit: number, note: string): CommandCase => ({ name, args, exit, kind: 'status', note });
const info = (name: string, args: string[], out: string | RegExp, note: string, exit = 0): CommandCase => ({ name, args, exit, out, kind: 'info', note });
const refuses = (name: string, args: string[], exit: number, err: string | RegExp, note: string): CommandCase => ({ name, args, exit, err, kind: 'refuses', note });

const NO_NET = 'the world outside the VM is denied by default';

export const COMMAND_CASES: CommandCase[] = [
  real('[', ['10', '-lt', '9', ']'], 1, undefined, { also: { args: ['9', '-lt', '10', ']'], exit: 0 }, note: 'compares as numbers (as strings 10 sorts first): false, then true in a second run (the VM has no /usr/bin/[ for the shell to reach)' }),
  refuses('_stubs', [], 1, '_stubs: command not supported in sandbox\n', 'the placeholder for commands the package does not implement'),
  real('acl_tools', ['-l', 'a.txt'], 0, 'a.txt [u::rw-,g::r--,o::r--]\n'),
  real('arch', [], 0, 'unknown\n', { note: 'wasm32 has no uname machine name' }),
  real('attr', ['-s', 'k', '-V', 'v', 'a.txt'], 0, 'Attribute "k" set to a 1 byte value for a.txt:\nv\n', { then: 'getfattr -n user.k --only-values a.txt | grep -qx v' }),
  real('awk', ['{ s += $1 } END { print s }', 'n.txt'], 0, '6\n'),
  real('b2sum', ['a.txt'], 0, '4039adbc47567feb46fe948e3320808653d02bc49736f69c920aca297bb4d013c302a3bd39722200587106265baedf3df23e5e59d67273167af8a277a6ffc6e4  a.txt\n'),
  real('base32', [], 0, 'NBSWY3DP\n', { stdin: 'hello' }),
  real('base64', [], 0, 'aGVsbG8=\n', { stdin: 'hello' }),
  real('basename', ['/w/sub/deep/f.txt', '.txt'], 0, 'f\n'),
  real('basenc', ['--base16'], 0, '6869\n', { stdin: 'hi' }),
  real('bash', ['-c', 'x=$((6*7)); echo "$x ${BASH_VERSION:+bash}"'], 0, '42 bash\n'),
  real('bc', [], 0, '1024\n', { stdin: '2^10\n' }),
  real('cat', ['a.txt', 'n.txt'], 0, 'apple x\nbanana\ncherry x\napple x\n3\n1\n2\n'),
  real('chacl', ['-l', 'a.txt'], 0, 'a.txt [u::rw-,g::r--,o::r--]\n'),
  refuses('chcon', ['x', 'a.txt'], 1, 'chcon: SELinux is not supported in WASM\n', 'no SELinux in a VM'),
  real('chgrp', ['user', 'a.txt'], 0, undefined, { then: 'stat -c %G a.txt | grep -qx user' }),
  real('chmod', ['600', 'n.txt'], 0, undefined, { then: 'stat -c %a n.txt | grep -qx 600' }),
  real('chown', ['user', 'a.txt'], 0, undefined, { then: 'stat -c %U a.txt | grep -qx user' }),
  refuses('chroot', ['/w', 'true'], 1, 'chroot: not supported in WASM (no filesystem root change)\n', 'a VM has one root'),
  real('cksum', ['a.txt'], 0, '1537149522 32 a.txt\n'),
  real('cmp', ['a.txt', 'b.txt'], 1, 'a.txt b.txt differ: byte 10, line 2\n'),
  real('column', ['-t'], 0, 'a   b\ncc  d\n', { stdin: 'a b\ncc d\n' }),
  real('comm', ['-12', 's1.txt', 's2.txt'], 0, 'b\nc\n'),
  real('cp', ['a.txt', 'copy.txt'], 0, undefined, { then: 'cmp a.txt copy.txt' }),
  refuses('curl', ['-sS', 'http://example.com/'], 6, 'curl: (6) Could not resolve host: example.com\n', NO_NET),
  real('cut', ['-d', ' ', '-f', '1', 'a.txt'], 0, 'apple\nbanana\ncherry\napple\n'),
  real('date', ['-u', '-d', '@0', '+%Y-%m-%d'], 0, '1970-01-01\n'),
  real('dd', ['if=a.txt', 'bs=5', 'count=1', 'status=none'], 0, 'apple'),
  real('df', [], 0, 'Filesystem 1024-blocks Used Available Capacity Mounted on\nagentos 65536 1 65536 1% /\n'),
  real('diff', ['a.txt', 'b.txt'], 1, '2c2\n< banana\n---\n> berry\n4d3\n< apple x\n'),
  real('dir', ['sub'], 0, 'deep\n'),
  real('dircolors', ['-b'], 0, /^LS_COLORS='rs=0:di=01;34:ln=01;36:[^'\n]*:\*\.tar=01;31:[^'\n]*';\nexport LS_COLORS\n$/, { note: 'the whole database: its start, a known entry and the export checked' }),
  real('dirname', ['/w/sub/deep/f.txt'], 0, '/w/sub/deep\n'),
  real('du', ['-s', 'sub'], 0, '1\tsub\n'),
  real('echo', ['hello', 'world'], 0, 'hello world\n'),
  real('egrep', ['-c', 'x$', 'a.txt'], 0, '3\n', { err: 'egrep: warning: egrep is obsolescent; using grep -E\n' }),
  real('env', ['-i', 'A=1', 'printenv', 'A'], 0, '1\n'),
  real('envsubst', [], 0, 'hi agent\n', { stdin: 'hi $NAME\n' }),
  real('expand', ['-t', '4', 'tabs.txt'], 0, 'a   b\n'),
  real('expr', ['6', '*', '7'], 0, '42\n'),
  real('factor', ['84'], 0, '84: 2 2 3 7\n'),
  status('false', [], 1, 'its job is its exit status'),
  real('fd', ['-t', 'f', 'f.txt', 'sub'], 0, 'sub/deep/f.txt\n'),
  real('fgrep', ['-c', 'x', 'a.txt'], 0, '3\n', { err: 'fgrep: warning: fgrep is obsolescent; using grep -F\n' }),
  real('file', ['d.json'], 0, 'd.json: JSON text data\n'),
  real('find', ['sub', '-name', '*.txt'], 0, 'sub/deep/f.txt\n'),
  real('findmnt', [], 0, 'SOURCE TARGET FSTYPE OPTIONS\nagentos / agentosfs rw\n'),
  real('fmt', ['-w', '10'], 0, 'one two\nthree\n', { stdin: 'one two three\n' }),
  real('fold', ['-w', '3'], 0, 'abc\ndef\n', { stdin: 'abcdef\n' }),
  real('getent', ['passwd', 'user'], 0, 'user:x:1000:1000:user:/home/user:/bin/sh\n'),
  real('getfacl', ['a.txt'], 0, '# file: a.txt\n# owner: user\n# group: user\nuser::rw-\ngroup::r--\nother::r--\n\n'),
  real('getfattr', ['-n', 'user.none', 'a.txt'], 1, undefined, { err: 'a.txt: user.none: No such attribute\n', note: 'a missing attribute, reported; reading one set is the follow-up of attr and setfattr' }),
  real('git', ['init', '-q', 'repo'], 0, undefined, { err: 'warning: templates not found in /home/runner/share/git-core/templates\n', then: 'test -f repo/.git/HEAD && test -d repo/.git/objects' }),
  info('git-receive-pack', ['-h'], 'usage: git receive-pack <git-dir>\n\n    -q, --[no-]quiet      quiet\n\n', 'a server half of git transport: run by git over a connection', 129),
  refuses('git-remote-http', ['origin', 'http://example.com/r.git'], 1, '', `${NO_NET} (it exits 1 without a message)`),
  refuses('git-remote-https', ['origin', 'https://example.com/r.git'], 1, '', `${NO_NET} (it exits 1 without a message)`),
  info('git-upload-archive', ['-h'], 'usage: git upload-archive <repository>\n', 'a server half of git transport: run by git over a connection', 129),
  info('git-upload-pack', ['-h'], /^usage: git-upload-pack \[--\[no-\]strict\] \[--timeout=<n>\] \[--stateless-rpc\]\n[\s\S]*--\[no-\]timeout <n> +interrupt transfer after <n> seconds of inactivity\n\n$/, 'a server half of git transport: run by git over a connection', 129),
  real('grep', ['-n', 'cherry', 'a.txt'], 0, '3:cherry x\n'),
  refuses('groups', [], 1, 'groups: user database queries are not supported in WASM\n', 'reports no group database'),
  real('gunzip', ['-c'], 0, 'hello\n', { stdinBase64: HELLO_GZ_BASE64 }),
  real('gzip', ['-k', 'a.txt'], 0, undefined, { then: 'gunzip -c a.txt.gz | cmp - a.txt' }),
  real('head', ['-n', '2', 'a.txt'], 0, 'apple x\nbanana\n'),
  real('hostid', [], 0, '00000000\n'),
  real('hostname', [], 0, 'agentos\n'),
  refuses('http-test', ['get', 'http://example.com/'], 1, 'error: socket error: connect(example.com:80) failed: errno 29\n', `${NO_NET} (it connects to the name itself; the VM's network does not resolve it: EIO)`),
  real('id', ['-u'], 0, '1000\n'),
  refuses('install', ['a.txt', 'installed.txt'], 1, 'install: file permission management not fully supported in WASM\n', 'says it does not manage permissions in WASM'),
  real('join', ['j1.txt', 'j2.txt'], 0, '1 one uno\n2 two dos\n'),
  real('jq', ['.a[1]', 'd.json'], 0, '2\n'),
  real('kill', ['-l', '9'], 0, 'KILL\n'),
  real('link', ['a.txt', 'hard.txt'], 0, undefined, { then: 'test "$(stat -c %h a.txt)" = 2 && cmp a.txt hard.txt' }),
  real('ln', ['-s', 'a.txt', 'soft.txt'], 0, undefined, { then: 'test -L soft.txt && cmp soft.txt a.txt' }),
  real('logname', [], 0, 'user\n'),
  real('ls', ['sub'], 0, 'deep\n'),
  real('md5sum', [], 0, '5d41402abc4b2a76b9719d911017c592  -\n', { stdin: 'hello' }),
  real('mkdir', ['-p', 'made/a/b'], 0, undefined, { then: 'test -d made/a/b' }),
  refuses('mkfifo', ['fifo'], 1, 'mknod: fifo: host errno 58\n', 'the VM filesystem has no FIFOs (named pipes): ENOTSUP (WASI errno 58)'),
  refuses('mknod', ['node', 'p'], 1, 'mknod: node: host errno 58\n', 'the VM filesystem has no device nodes or FIFOs: ENOTSUP (WASI errno 58)'),
  real('mktemp', ['-p', '/tmp'], 0, /^\/tmp\/tmp\.[A-Za-z0-9]{10}\n$/, { then: 'test "$(ls /tmp | grep -c "^tmp\\.[A-Za-z0-9]\\{10\\}$")" = 1', note: 'a random name: its form checked, then that the file exists' }),
  real('more', ['n.txt'], 0, '3\n1\n2\n'),
  refuses('mount', [], 32, 'mount: expected [source] target\n', 'a VM has one filesystem; mount only remounts it'),
  real('mv', ['mv-me.txt', 'moved.txt'], 0, undefined, { then: 'test ! -e mv-me.txt && grep -qx moving moved.txt' }),
  real('nice', ['echo', 'nice'], 0, 'nice\n'),
  real('nl', ['n.txt'], 0, '     1\t3\n     2\t1\n     3\t2\n'),
  real('nohup', ['echo', 'kept'], 0, 'kept\n'),
  real('nproc', [], 0, '1\n', { note: 'a WASM process has one thread' }),
  real('numfmt', ['--to=iec', '2048'], 0, '2.0K\n'),
  real('od', ['-c'], 0, '0000000   h   i\n0000002\n', { stdin: 'hi' }),
  real('paste', ['-d', ',', 'j1.txt', 'j2.txt'], 0, '1 one,1 uno\n2 two,2 dos\n'),
  real('pathchk', ['a/b'], 0, undefined, { then: 'pathchk -p "a b" 2> err; test $? = 1 && grep -qx "nonportable character \' \' in file name component \'a b\'" err', note: 'a portable name passes; the follow-up is refused, with its reason' }),
  refuses('pinky', [], 1, 'pinky: login records (utmp) are not available in WASM\n', 'no login records in a VM'),
  real('printenv', ['NAME'], 0, 'agent\n'),
  real('printf', ['%05.1f|%s\\n', '3.14159', 'x'], 0, '003.1|x\n'),
  real('ptx', [], 0, '                                       a b\n                                   a   b\n', { stdin: 'a b\n' }),
  real('pwd', [], 0, '/w\n'),
  real('readlink', ['link-to-a'], 0, 'a.txt\n'),
  real('realpath', ['sub/deep/../deep/f.txt'], 0, '/w/sub/deep/f.txt\n'),
  real('rev', [], 0, 'cba\n', { stdin: 'abc\n' }),
  real('rg', ['-c', 'x', 'a.txt'], 0, '3\n'),
  real('rm', ['rm-me.txt'], 0, undefined, { then: 'test ! -e rm-me.txt && test -e a.txt' }),
  real('rmdir', ['made-empty'], 0, undefined, { then: 'test ! -e made-empty' }),
  refuses('runas', ['user', 'true'], 1, 'runas: user: No such file or directory (os error 44)\n', 'one user per VM'),
  refuses('runcon', ['x', 'true'], 1, 'runcon: SELinux is not supported in WASM\n', 'no SELinux in a VM'),
  real('sed', ['-n', 's/x$/X/p', 'a.txt'], 0, 'apple X\ncherry X\napple X\n'),
  real('seq', ['2', '2', '8'], 0, '2\n4\n6\n8\n'),
  real('setfacl', ['-m', 'u:user:r', 'a.txt'], 0, undefined, { then: 'getfacl a.txt | grep -qx user:user:r--' }),
  real('setfattr', ['-n', 'user.k', '-v', 'v', 'a.txt'], 0, undefined, { then: 'getfattr -n user.k --only-values a.txt | grep -qx v' }),
  real('sh', ['-c', 'for i in 1 2 3; do printf "$i"; done; echo'], 0, '123\n'),
  real('sha1sum', [], 0, 'aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d  -\n', { stdin: 'hello' }),
  real('sha224sum', [], 0, 'ea09ae9cc6768c50fcee903ed054556e5bfc8347907f12598aa24193  -\n', { stdin: 'hello' }),
  real('sha256sum', [], 0, '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824  -\n', { stdin: 'hello' }),
  real('sha384sum', [], 0, '59e1748777448c69de6b800d7a33bbfb9ff1b463e44354c3553bcdb9c666fa90125a3c79f90397bdf5f6a13de828684f  -\n', { stdin: 'hello' }),
  real('sha512sum', [], 0, '9b71d224bd62f3785d96d46ad3ea3d73319bfbc2890caadae2dff72519673ca72323c3d99ba5c11d7c7acc6e14b8c5da0c4663475c2e5c3adef46f73bcdec043  -\n', { stdin: 'hello' }),
  real('shred', ['-u', 'shred-me.txt'], 0, undefined, { then: 'test ! -e shred-me.txt' }),
  real('shuf', ['-i', '1-3', '-n', '3'], 0, /^(?=[\s\S]*^1$)(?=[\s\S]*^2$)(?=[\s\S]*^3$)[123]\n[123]\n[123]\n$/m, { note: 'a random order: each of 1, 2, 3 exactly once' }),
  real('sleep', ['0.05'], 0, undefined, { then: 'sleep 30 & p=$!; kill $p; wait $p; test $? = 143', note: 'the follow-up finds a sleep 30 still asleep when SIGTERM ends it (143; 0 had it returned at once)' }),
  real('sort', ['-n', 'n.txt'], 0, '1\n2\n3\n'),
  real('spawn-test-host', ['kill-test'], 0, 'exit:143\nPASS\n'),
  real('split', ['-l', '2', 'a.txt', 'part-'], 0, undefined, { then: 'test "$(wc -l < part-aa)" = 2 && cat part-aa part-ab | cmp - a.txt' }),
  real('sqlite3', [':memory:', 'select 6*7;'], 0, '42\n'),
  refuses('ssh', ['-o', 'ConnectTimeout=1', 'example.com', 'true'], 255, ': Could not resolve hostname example.com: Name or service not known\r\n', NO_NET),
  refuses('ssh-keysign', [], 255, 'ssh-keysign not enabled in /etc/ssh/ssh_config\r\n', 'host-based ssh authentication is off, as in a default ssh_config'),
  { name: 'ssh-sk-helper', args: ['-h'], exit: 1, err: 'ssh-sk-helper: unrecognized option: h\nusage: (null) [-v]\n', kind: 'info', note: 'a helper ssh runs for security keys' },
  real('stat', ['-c', '%s %F', 'a.txt'], 0, '32 regular file\n'),
  real('stdbuf', ['-o0', 'echo', 'unbuffered'], 0, 'unbuffered\n'),
  real('strings', [], 0, 'hello world\n', { stdin: '\u0001\u0002hello world\u0000\u0003' }),
  refuses('stty', [], 1, 'stty: terminal control is not supported in WASM\n', 'no terminal unless a pty is asked for'),
  refuses('su', ['user'], 1, 'su: setgroups failed: errno 63\n', 'one user per VM: setgroups is EPERM (WASI errno 63)'),
  real('sum', ['a.txt'], 0, '64663     1 a.txt\n'),
  status('sync', [], 0, 'nothing to flush: the VM filesystem is in memory'),
  real('tac', ['n.txt'], 0, '2\n1\n3\n'),
  real('tail', ['-n', '1', 'a.txt'], 0, 'apple x\n'),
  real('tar', ['-cf', 'sub.tar', 'sub'], 0, undefined, { then: 'tar -tf sub.tar | grep -qx sub/deep/f.txt' }),
  real('tee', ['tee-out.txt'], 0, 'teed\n', { stdin: 'teed\n', then: 'grep -qx teed tee-out.txt' }),
  real('test', ['-f', 'a.txt'], 0, undefined, { then: 'env test -f missing.txt; test $? = 1', note: 'true for a file; the follow-up (the binary, through env) is false for a missing one' }),
  real('timeout', ['5', 'echo', 'in time'], 0, 'in time\n'),
  real('touch', ['touched.txt'], 0, undefined, { then: 'test -f touched.txt' }),
  real('tr', ['a-z', 'A-Z'], 0, 'HELLO\n', { stdin: 'hello\n' }),
  real('tree', ['sub'], 0, 'sub\n└── deep\n    └── f.txt\n\n2 directories, 1 file\n'),
  status('true', [], 0, 'its job is its exit status'),
  real('truncate', ['-s', '3', 'trunc.txt'], 0, undefined, { then: 'test "$(stat -c %s trunc.txt)" = 3' }),
  real('tsort', ['deps.txt'], 0, 'a\nb\nc\n'),
  real('tty', [], 1, undefined, { err: 'not a tty\n', note: 'stdin is not a terminal here, and it says so' }),
  real('uname', ['-s'], 0, 'Linux\n'),
  real('unexpand', ['-a'], 0, 'a\tb\n', { stdin: 'a       b\n' }),
  real('uniq', ['-c'], 0, '      2 a\n      1 b\n', { stdin: 'a\na\nb\n' }),
  real('unlink', ['unlink-me.txt'], 0, undefined, { then: 'test ! -e unlink-me.txt' }),
  real('unzip', ['-p', 'hello.zip', 'hello.txt'], 0, 'hello from zip\n'),
  refuses('uptime', [], 1, 'uptime: login records (utmp) are not available in WASM\n', 'no login records in a VM'),
  refuses('users', [], 1, 'users: login records (utmp) are not available in WASM\n', 'no login records in a VM'),
  real('vdir', ['sub'], 0, 'deep\n'),
  real('wc', ['-l', 'a.txt'], 0, '4 a.txt\n'),
  refuses('wget', ['-O', '-', 'http://example.com/'], 4, /^--\d{4}-\d\d-\d\d \d\d:\d\d:\d\d--  http:\/\/example\.com\/\nResolving example\.com\.\.\. failed: Name or service not known\.\nwget: unable to resolve host address 'example\.com'\n$/, `${NO_NET} (the first line holds the date)`),
  real('which', ['ls'], 0, '/usr/bin/ls\n'),
  refuses('who', [], 1, 'who: login records (utmp) are not available in WASM\n', 'no login records in a VM'),
  real('whoami', [], 0, 'user\n'),
  real('xargs', ['echo', 'got'], 0, 'got a b\n', { stdin: 'a b\n' }),
  real('xattr_tools', ['-s', 'k', '-V', 'v', 'a.txt'], 0, 'Attribute "k" set to a 1 byte value for a.txt:\nv\n', { then: 'getfattr -n user.k --only-values a.txt | grep -qx v' }),
  real('xfs_io', ['-f', '-c', 'pwrite 0 4', 'xfs.bin'], 0, /^wrote 4\/4 bytes at offset 0\n4 bytes, 1 ops; [\d.]+ sec \([^)\n]*\/sec and [^)\n]* ops\/sec\)\n$/, { then: 'test "$(stat -c %s xfs.bin)" = 4', note: 'its report holds a timing' }),
  real('xu', ['--help'], 0, 'Usage: xu [ARG ...]\n'),
  info('yes', ['--version'], 'yes (uutils coreutils) 0.7.0\n', 'prints forever; shell tests run it as yes | head'),
  real('yq', ['.b[1]', 'c.yaml'], 0, 'y\n'),
  real('zcat', [], 0, 'hello\n', { stdinBase64: HELLO_GZ_BASE64 }),
  real('zip', ['-q', 'a.zip', 'a.txt'], 0, undefined, { then: 'unzip -p a.zip a.txt | cmp - a.txt' }),
];
