import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { waitFor } from './helpers/sidecar.js';

/**
 * The terminal for people, as a person uses it: `agentos-sidecar shell` in a real terminal
 * (tmux: send-keys types, capture-pane reads the screen) and `agentos-sidecar exec`.
 */
const BIN = new URL('../bin/agentos-sidecar', import.meta.url).pathname;
const TMUX = ['/usr/bin/tmux', '/usr/local/bin/tmux'].find((p) => spawnSync(p, ['-V']).status === 0);
const session = `agentos-pty-${process.pid}`;
const tmux = (...args: string[]) => execFileSync(TMUX!, ['-L', session, ...args], { encoding: 'utf8' });
const screen = () => tmux('capture-pane', '-p', '-t', session);

test('exec runs one command in a fresh VM: its stdout, its stderr, its exit code; stdin from a pipe', () => {
  const r = spawnSync(BIN, ['exec', '--env', 'WHO=vm', '--', 'sh', '-c', 'echo "hi $WHO"; echo oops >&2; cat; exit 5'], { input: 'piped\n', encoding: 'utf8' });
  assert.equal([r.status, r.stdout, r.stderr], [5, 'hi vm\npiped\n', 'oops\n']);
  const missing = spawnSync(BIN, ['exec', '--', 'no-such-cmd'], { encoding: 'utf8' });
  assert.equal([missing.status, missing.stderr], [127, 'agentos-sidecar exec: no-such-cmd: command not found\n']);
  const usage = spawnSync(BIN, ['exec', '--env', 'novalue', '--', 'true'], { encoding: 'utf8' });
  assert.is(usage.status, 64);
  assert.ok(usage.stderr.startsWith("agentos-sidecar exec: --env takes K=V, not 'novalue'\n"), usage.stderr);
});

if (!TMUX) {
  console.log('skip: the `shell` terminal test needs tmux (apt-get install tmux; .ci/run installs it)');
  test.skip('shell in a real terminal (tmux)', () => {});
} else {
  test('shell in a real terminal (tmux): prompt, --copy and --env, ^C, a resize, the shell\'s exit code', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agentos-cli-'));
    writeFileSync(join(dir, 'note.txt'), 'copied in\n');
    const done = join(dir, 'exit-code');
    // `timeout --foreground`: a bound that leaves the CLI in the terminal's foreground group (it reads the terminal).
    const command = `timeout --foreground 120 ${BIN} shell --env GREETING=hello --copy ${dir}/note.txt:/home/user/note.txt; echo $? > ${done}; sleep 60`;
    tmux('new-session', '-d', '-s', session, '-x', '100', '-y', '30', command);
    try {
      await waitFor(() => /^sh-[\d.]+\$$/m.test(screen()));
      tmux('send-keys', '-t', session, 'echo "$GREETING"; cat note.txt', 'Enter');
      await waitFor(() => /^hello\ncopied in\n/m.test(screen()));
      tmux('send-keys', '-t', session, 'sleep 100', 'Enter');
      await waitFor(() => /sleep 100\n/.test(screen()));
      tmux('send-keys', '-t', session, 'C-c');
      tmux('send-keys', '-t', session, 'echo "after:$?"', 'Enter');
      await waitFor(() => /^after:130$/m.test(screen()));
      // tmux resizes the window: the CLI gets SIGWINCH and resizes the VM's terminal.
      tmux('resize-window', '-t', session, '-x', '70', '-y', '20');
      tmux('send-keys', '-t', session, 'exit 7', 'Enter');
      const code = await waitFor(() => {
        try {
          return execFileSync('cat', [done], { encoding: 'utf8' }).trim() || false;
        } catch {
          return false;
        }
      });
      assert.is(code, '7');
      assert.ok(/^sh-[\d.]+\$ echo "\$GREETING"; cat note.txt\nhello\ncopied in\n/m.test(screen()), screen());
    } finally {
      try {
        tmux('kill-server');
      } catch {
        // Already gone.
      }
    }
  });
}

test.run();
