import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rejection, startSidecar, waitForAsync } from './helpers/sidecar.js';
import { openTerminal } from './helpers/terminal.js';

/**
 * A pseudo-terminal per process (process/spawn with `pty`), driven through the daemon as a
 * host drives one: typed input through process/write, what the terminal shows through
 * process/output. Expected bytes are Linux's: each sequence was run against /bin/cat on a
 * Linux pty (python3's pty module) and its output taken as it came.
 */
const { client } = await startSidecar();
const vm = async () => (await client.createVm({})).vmId;

test('canonical mode: typed input is echoed, a line is read at newline; erase, kill and ^D as Linux has them', async () => {
  const t = await openTerminal(client, await vm(), 'cat');
  await t.type('hello');
  // Echoed before any newline: the program has read nothing yet.
  await t.waitFor('hello');
  assert.is(t.shown, 'hello');
  await t.type('\r');
  await t.waitFor('hello\r\nhello\r\n');
  // Each line's echo, then what cat makes of it: the next line is typed once cat has written.
  await t.type('ab\x7fc\r');
  await t.waitFor('ac\r\n');
  await t.type('xyz\x15w\r');
  await t.waitFor('w\r\nw\r\n');
  // ^D mid-line hands "par" over without a newline (cat, a Rust program, holds it in its
  // line-buffered stdout until it ends); ^D at the start of a line is EOF.
  await t.type('par\x04');
  await t.type('\x04');
  const exit = await t.exit;
  assert.is(exit.exitCode, 0);
  assert.is(t.shown, 'hello\r\nhello\r\nab\b \bc\r\nac\r\nxyz\b \b\b \b\b \bw\r\nw\r\nparpar');
});

test('a UTF-8 character is erased whole, a control character shows as ^X and erases two columns', async () => {
  const t = await openTerminal(client, await vm(), 'cat');
  await t.type('hé\x7f\r');
  await t.waitFor('\r\nh\r\n');
  await t.type('\x01\x7f\r');
  await t.type('\x04');
  assert.is((await t.exit).exitCode, 0);
  assert.is(t.shown, 'hé\b \b\r\nh\r\n^A\b \b\b \b\r\n\r\n');
});

test('isatty is true on fds 0-2 for the process and the children that inherit them, false on a pipe', async () => {
  const v = await vm();
  // test -t asks host_user.isatty; a pipeline stage's piped side is not the terminal.
  const t = await openTerminal(client, v, 'sh', ['-c', 'test -t 0 && echo in-tty; test -t 1 && echo out-tty; (test -t 1; echo "piped:$?") | cat; sh -c "test -t 2 && echo child-tty"']);
  const exit = await t.exit;
  assert.is(exit.exitCode, 0);
  assert.is(t.shown, 'in-tty\r\nout-tty\r\npiped:1\r\nchild-tty\r\n');
  // Without a pty nothing is a terminal.
  const plain = await client.exec(v, 'sh', ['-c', 'test -t 0 || echo no-tty']);
  assert.is(plain.stdout, 'no-tty\n');
});

test('^C raises SIGINT for the foreground job: `cat` ends with it; ^\\ raises SIGQUIT', async () => {
  const v = await vm();
  const t = await openTerminal(client, v, 'cat');
  await t.type('abc\x03');
  const exit = await t.exit;
  assert.is(exit.signal, 'SIGINT');
  assert.is(exit.exitCode, 130);
  // The partial line is dropped (ISIG flushes input) and ^C is echoed.
  assert.is(t.shown, 'abc^C');
  const q = await openTerminal(client, v, 'cat');
  await q.type('\x1c');
  assert.is((await q.exit).signal, 'SIGQUIT');
  assert.is(q.shown, '^\\');
});

/** brush starts reading each command line with bracketed paste on (its line editor); it redraws the prompt on every key. */
const PROMPT = '\x1b[?2004h';

test('brush runs interactively: prompt, its own line editing, ^C ends `sleep 100` and the shell prompts again', async () => {
  const v = await vm();
  const t = await openTerminal(client, v, 'sh');
  let at = await t.waitFor(PROMPT);
  await t.waitFor('$ ', at);
  // brush edits the line itself (raw mode): the backspace is its own, the line it runs is edited.
  await t.type('echo hellp\x7fo\r');
  at = await t.waitFor('hello\r\n', at);
  at = await t.waitFor(PROMPT, at);
  await t.type('sleep 100\r');
  await waitForAsync(async () => (await client.listProcesses(v)).processes.some((p) => p.argv[1] === '100'));
  const sleeper = (await client.listProcesses(v)).processes.find((p) => p.argv[1] === '100')!;
  at = t.shown.length;
  await t.type('\x03');
  at = await t.waitFor(PROMPT, at);
  const ended = t.exits.find((e) => e.pid === sleeper.pid);
  assert.ok(ended, 'sleep ended before the next prompt');
  assert.is(ended!.signal, 'SIGINT');
  assert.is(ended!.ppid, t.pid);
  // The shell lives on, and says how the job ended.
  await t.type('echo "status:$?"\r');
  at = await t.waitFor('status:130\r\n', at);
  await t.type('exit 3\r');
  const exit = await t.exit;
  assert.is(exit.exitCode, 3);
  assert.is(exit.signal, undefined);
});

test('a job started with & is not the foreground job: ^C spares it', async () => {
  const v = await vm();
  const t = await openTerminal(client, v, 'sh');
  let at = await t.waitFor(PROMPT);
  await t.type('sleep 200 &\r');
  at = await t.waitFor(PROMPT, at);
  await t.type('sleep 100\r');
  await waitForAsync(async () => (await client.listProcesses(v)).processes.some((p) => p.argv[1] === '100'));
  at = t.shown.length;
  await t.type('\x03');
  at = await t.waitFor(PROMPT, at);
  const list = await client.listProcesses(v);
  assert.equal(list.processes.filter((p) => p.command.endsWith('sleep')).map((p) => p.argv[1]), ['200']);
  await client.kill(v, t.pid, 'SIGKILL');
  await t.exit;
});

test('JS raw mode reads single bytes, no echo, ^C is a byte; cooked again after', async () => {
  const v = await vm();
  const t = await openTerminal(client, v, 'node', ['-e', `
    process.stdin.setRawMode(true);
    console.log('raw ' + process.stdin.isRaw);
    process.stdin.on('data', (d) => {
      console.log(JSON.stringify([...d]));
      if (d[0] === 113) { process.stdin.setRawMode(false); process.stdin.pause(); }
    });`]);
  let at = await t.waitFor('raw true\r\n');
  await t.type('a');
  at = await t.waitFor('[97]\r\n', at);
  await t.type('\x03');
  at = await t.waitFor('[3]\r\n', at);
  await t.type('\r');
  at = await t.waitFor('[13]\r\n', at);
  await t.type('q');
  const exit = await t.exit;
  assert.is(exit.exitCode, 0);
  // Nothing typed was echoed: only the program's own lines.
  assert.is(t.shown, 'raw true\r\n[97]\r\n[3]\r\n[13]\r\n[113]\r\n');
});

test('process/resize: the new size, SIGWINCH, and the \'resize\' event in guest JS', async () => {
  const v = await vm();
  const t = await openTerminal(client, v, 'node', ['-e', `
    const tty = require('tty');
    // Strings: on a terminal Node's console colours other values (as the VM's now does).
    console.log([process.stdout.isTTY, process.stdin.isTTY, tty.isatty(0), tty.isatty(1), tty.isatty(3), process.stdout.columns, process.stdout.rows].join(' '));
    console.log([process.stdout instanceof tty.WriteStream, new tty.WriteStream(1) === process.stdout, process.stdout.getWindowSize().join('x')].join(' '));
    let n = 0;
    process.on('SIGWINCH', () => console.log('winch'));
    process.stdout.on('resize', () => { console.log('resize ' + process.stdout.columns + ' ' + process.stdout.rows); if (++n === 2) process.exit(0); });
    setInterval(() => {}, 1000);`], { cols: 100, rows: 40 });
  let at = await t.waitFor('true true true true false 100 40\r\ntrue true 100x40\r\n');
  await client.resize(v, t.pid, 120, 50);
  at = await t.waitFor('winch\r\n', at);
  // The same size again changes nothing and sends nothing.
  await client.resize(v, t.pid, 120, 50);
  await client.resize(v, t.pid, 90, 30);
  await t.exit;
  assert.is(t.shown.slice(t.shown.indexOf('100x40\r\n') + 8), 'resize 120 50\r\nwinch\r\nresize 90 30\r\n');
});

test('readline on a TTY: an edited line (backspace, left-arrow insert) and history', async () => {
  const v = await vm();
  const t = await openTerminal(client, v, 'node', ['-e', `
    const readline = require('readline');
    const rl = readline.createInterface({ input: process.stdin, output: process.stdout, history: ['from history'] });
    console.log('terminal ' + rl.terminal);
    rl.question('name? ', (a) => {
      console.log('got [' + a + ']');
      rl.question('again? ', (b) => { console.log('then [' + b + ']'); rl.close(); });
    });`]);
  let at = await t.waitFor('name? ');
  // "abd", left arrow, insert "c", then an "X" erased with backspace, Enter.
  await t.type('abd');
  at = await t.waitFor('abd', at);
  await t.type('\x1b[D');
  await t.type('c');
  await t.type('X\x7f');
  await t.type('\r');
  at = await t.waitFor('got [abcd]\r\n', at);
  await t.waitFor('again? ', at);
  // Up arrow: the previous line (readline keeps it first), then Enter.
  await t.type('\x1b[A');
  await t.type('\r');
  await t.waitFor('then [abcd]\r\n', at);
  const exit = await t.exit;
  assert.is(exit.exitCode, 0);
  assert.ok(t.shown.startsWith('terminal true\r\n'), t.shown);
});

test('process/resize and process/write refuse what they cannot do, by code', async () => {
  const v = await vm();
  const { pid } = await client.spawn(v, 'node', ['-e', 'setInterval(() => {}, 1000)']);
  assert.is((await rejection(() => client.resize(v, pid, 80, 24))).code, 'ERR_AGENTOS_INVALID_PARAMS');
  assert.is((await rejection(() => client.resize(v, 999, 80, 24))).code, 'ERR_AGENTOS_PROCESS_NOT_FOUND');
  assert.is((await rejection(() => client.spawn(v, 'cat', [], { pty: { cols: 0, rows: 24 } }))).code, 'ERR_AGENTOS_INVALID_PARAMS');
  await client.kill(v, pid, 'SIGKILL');
});

test.after(async () => {
  await client.close();
});

test.run();
