import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as P from '../protocol/index.js';
import type { SidecarClient } from '../src/client/client.js';
import { eventually, startSidecar, waitFor, waitForAsync } from './helpers/sidecar.js';

/**
 * The agentOS shell (brush) and commands through the real daemon: pipelines whose stages
 * are processes running at once, redirections, job control, and the same files seen by
 * guest JS. Every line runs as `sh -c LINE` in a VM, as a host would send it.
 */
const { client, logs } = await startSidecar();

async function sh(vmId: string, line: string, options: Parameters<SidecarClient['exec']>[3] = {}) {
  return client.exec(vmId, 'sh', ['-c', line], { timeoutMs: 30_000, ...options });
}

/** stdout of a line that must succeed. */
async function out(vmId: string, line: string): Promise<string> {
  const r = await sh(vmId, line);
  assert.is(r.exitCode, 0, `${line}\nexit ${r.exitCode}\nstderr: ${r.stderr}\n${r.error?.message ?? ''}`);
  return r.stdout;
}

const vm = async (files: Record<string, string> = {}) =>
  (await client.createVm({ files: Object.entries(files).map(([path, data]) => ({ path, data, encoding: 'utf8' as const })) })).vmId;

test('the issue\'s own line: cat | grep | sort | uniq -c > out', async () => {
  const v = await vm({ '/home/user/a.txt': 'apple x\nbanana\ncherry x\napple x\n' });
  assert.is(await out(v, 'cat a.txt | grep x | sort | uniq -c > out'), '');
  assert.is((await client.readFile(v, '/home/user/out')).toString(), '      2 apple x\n      1 cherry x\n');
});

test('seq 1 100000 | wc -l counts exactly, every time', async () => {
  const v = await vm();
  for (let i = 0; i < 5; i++) assert.is(await out(v, 'seq 1 100000 | wc -l'), '100000\n');
  // Far more than a pipe holds (64 KiB): the writer must block and resume, not lose bytes.
  assert.is(await out(v, 'seq 1 300000 | sha256sum'), `${await out(v, 'seq 1 300000 > s.txt; sha256sum < s.txt')}`);
});

test('pipelines of 2 to 10 stages, every stage running at once', async () => {
  const v = await vm();
  for (let stages = 2; stages <= 10; stages++) {
    const line = ['seq 1 5000', ...Array(stages - 2).fill('cat'), 'wc -l'].join(' | ');
    assert.is(await out(v, line), '5000\n', line);
  }
  // Concurrency, not one stage after another: each stage marks itself alive, then waits until
  // it sees all ten marks before it ends. Run in sequence, the first stage would wait forever
  // (and the line would time out); only stages alive at the same time can all finish.
  const stage = (i: number) => `sh -c 'touch /tmp/alive/${i}; set -- /tmp/alive/*; while [ $# -lt 10 ]; do sleep 0.05; set -- /tmp/alive/*; done; cat; echo ${i}'`;
  await out(v, 'mkdir -p /tmp/alive');
  // Completion proves the concurrency; every stage's last write before it exits comes through, in order.
  assert.is(await out(v, Array.from({ length: 10 }, (_, i) => stage(i)).join(' | ')), '0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n');
});

test('redirections: > >> < 2>&1, /dev/null, fd duplication', async () => {
  const v = await vm();
  assert.is(await out(v, 'echo one > f; echo two >> f; cat < f'), 'one\ntwo\n');
  assert.is(await out(v, 'ls /nonexistent 2>&1 | grep -c "No such file"'), '1\n');
  const r = await sh(v, 'echo to-out; echo to-err >&2; ls /nope 2>/dev/null; echo "$?" > status');
  assert.equal([r.stdout, r.stderr], ['to-out\n', 'to-err\n']);
  assert.is((await client.readFile(v, '/home/user/status')).toString(), '2\n', 'ls of a missing path exits 2');
  assert.is(await out(v, '{ echo a; echo b >&2; } 2>&1 > /dev/null | wc -l'), '1\n');
  assert.is(await out(v, 'exec 3> fd3.txt; echo via3 >&3; exec 3>&-; cat fd3.txt'), 'via3\n');
});

test('$(...), &&, ||, exit codes, $?', async () => {
  const v = await vm();
  assert.is(await out(v, 'echo "n=$(seq 1 3 | wc -l)"'), 'n=3\n');
  assert.is(await out(v, 'echo $(echo $(echo nested))'), 'nested\n');
  assert.is(await out(v, 'true && echo and; false && echo never; false || echo or'), 'and\nor\n');
  assert.is((await sh(v, 'exit 7')).exitCode, 7);
  assert.is((await sh(v, 'sh -c "exit 3"; exit $(( $? + 1 ))')).exitCode, 4);
  assert.is(await out(v, 'grep -q nothing /etc/nothing 2>/dev/null; echo $?'), '2\n');
  assert.is((await sh(v, 'no-such-command-here')).exitCode, 127);
});

test('& and wait, $!, kill of a background job', async () => {
  const v = await vm();
  assert.is(await out(v, 'sleep 0.2 & sleep 0.1 & wait; echo waited'), 'waited\n');
  assert.is(await out(v, '(sleep 0.1; echo late) & echo early; wait'), 'early\nlate\n');
  // 143 is the sleeper ended by SIGTERM (a sleep that ran out would give 0).
  assert.is(await out(v, 'sleep 30 & pid=$!; kill $pid; wait $pid; echo "status $?"'), 'status 143\n');
  assert.is(await out(v, 'sleep 30 & kill -9 $!; wait $!; echo $?'), '137\n');
});

test('SIGPIPE ends a writer whose reader has gone: yes | head', async () => {
  const v = await vm();
  assert.is(await out(v, 'yes | head -3'), 'y\ny\ny\n');
  assert.is(await out(v, 'seq 1 1000000 | head -1'), '1\n');
});

test('here-documents, variables, loops, functions', async () => {
  const v = await vm();
  assert.is(await out(v, 'NAME=agent; cat <<EOF\nhello $NAME\n$(echo sub)\nEOF'), 'hello agent\nsub\n');
  assert.is(await out(v, "cat <<'EOF'\nliteral $NAME\nEOF"), 'literal $NAME\n');
  assert.is(await out(v, 'f() { echo "f:$1"; }; for i in 1 2; do f $i; done; i=0; while [ $i -lt 3 ]; do i=$((i+1)); done; echo $i'), 'f:1\nf:2\n3\n');
});

test('cd then relative paths; globbing', async () => {
  const v = await vm();
  assert.is(await out(v, 'mkdir -p /tmp/w/sub && cd /tmp/w && echo x > sub/f.txt && cd sub && cat f.txt && pwd'), 'x\n/tmp/w/sub\n');
  assert.is(await out(v, 'cd /tmp && touch g1.log g2.log other.txt && echo *.log && ls *.txt'), 'g1.log g2.log\nother.txt\n');
  // A child started after cd runs in the new directory (PWD reaches it).
  assert.is(await out(v, 'cd /tmp/w && sh -c pwd && ls'), '/tmp/w\nsub\n');
});

test('text tools on files written by guest JS, and JS reading what they wrote', async () => {
  const v = await vm();
  const js = await client.exec(v, 'node', ['-e', `
    const rows = [];
    for (let i = 1; i <= 50; i++) rows.push([i, i % 3 === 0 ? 'fizz' : 'num', i * i].join(','));
    require('fs').writeFileSync('data.csv', rows.join('\\n') + '\\n');`]);
  assert.is(js.exitCode, 0, js.stderr);
  assert.is(await out(v, 'grep -c fizz data.csv'), '16\n');
  assert.is(await out(v, "awk -F, '$2 == \"fizz\" { s += $3 } END { print s }' data.csv"), `${[...Array(50)].map((_, i) => i + 1).filter((i) => i % 3 === 0).reduce((s, i) => s + i * i, 0)}\n`);
  assert.is(await out(v, 'cut -d, -f2 data.csv | sort | uniq -c | sort -rn | head -1 | tr -s " "'), ' 34 num\n');
  assert.is(await out(v, "sed -n 's/^\\(7\\),num,.*/seven=\\1/p' data.csv"), 'seven=7\n');
  assert.is(await out(v, 'tail -n 2 data.csv | head -n 1'), '49,num,2401\n');
  assert.is(await out(v, 'mkdir -p d/e && touch d/e/x.md d/y.md && find d -name "*.md" | sort'), 'd/e/x.md\nd/y.md\n');
  await out(v, 'sort -t, -k3 -n -r data.csv | head -3 > top.csv');
  const back = await client.exec(v, 'node', ['-e', 'console.log(require("fs").readFileSync("top.csv", "utf8").split("\\n")[0])']);
  assert.is(back.stdout, '50,num,2500\n');
});

test('jq on a pipe', async () => {
  const v = await vm();
  assert.is(await out(v, `echo '{"a":[1,2]}' | jq '.a[1]'`), '2\n');
});

test('sqlite3 creates a database file, inserts 10,000 rows and queries them', async () => {
  const v = await vm();
  const sql = "create table t(n integer, sq integer); with recursive c(x) as (select 1 union all select x+1 from c where x < 10000) insert into t select x, x*x from c;";
  await out(v, `sqlite3 db.sqlite "${sql}"`);
  assert.is(await out(v, 'sqlite3 db.sqlite "select count(*), sum(n), max(sq) from t;"'), '10000|50005000|100000000\n');
  assert.is(await out(v, "printf 'select n from t where sq = 144;\\n' | sqlite3 db.sqlite"), '12\n');
  const { size } = await client.request(P.FsStat, { vmId: v, path: '/home/user/db.sqlite' });
  assert.ok(size > 100_000, `database file is ${size} bytes`);
});

test('tar and gzip round trips', async () => {
  const v = await vm();
  await out(v, 'mkdir -p t/d && seq 1 2000 > t/d/nums && echo hello > t/hi');
  assert.is(await out(v, 'tar czf t.tgz t && rm -rf t && tar xzf t.tgz && cat t/hi && wc -l < t/d/nums'), 'hello\n2000\n');
  assert.is(await out(v, 'tar tzf t.tgz | sort'), 't/\nt/d/\nt/d/nums\nt/hi\n');
  assert.is(await out(v, 'gzip -c t/d/nums > n.gz && gunzip -c n.gz | sha256sum | cut -c1-16'), (await out(v, 'sha256sum t/d/nums | cut -c1-16')));
  assert.is(await out(v, 'seq 1 100 | gzip | gunzip | tail -1'), '100\n');
});

test('a runaway pipeline is stopped by its VM\'s limits while another VM answers', async () => {
  const busy = await vm();
  const other = await vm();
  await out(other, 'echo warm');
  let ended = false;
  const runaway = sh(busy, 'yes | cat | cat > /dev/null', { timeoutMs: 5000 }).finally(() => (ended = true));
  // The three stages are running (the shell and its three children)...
  await waitForAsync(async () => (await client.request(P.VmStats, { vmId: busy })).processes.running >= 4);
  // ...and the other VM answers while they still run: before the runaway is stopped.
  assert.is(await out(other, 'echo pong'), 'pong\n');
  assert.not.ok(ended, 'the other VM answered only after the runaway had been stopped');
  const r = await runaway;
  assert.equal([r.exitCode, r.error?.code], [124, 'ERR_AGENTOS_TIMEOUT']);
  // Every stage of the stopped pipeline is gone: the VM runs nothing, and works on.
  const stats = await client.request(P.VmStats, { vmId: busy });
  assert.is(stats.processes.running, 0);
  assert.is(await out(busy, 'echo after'), 'after\n');
});

test('50 processes blocked in sleep at once: none deadlocks, none spins, the daemon answers', async () => {
  const v = await vm();
  const other = await vm();
  let text = '';
  const offOut = client.onOutput((e) => {
    if (e.vmId === v) text += e.data;
  });
  // 50 sleepers that would outlast the test; the shell ends them when the host says so.
  const { pid } = await client.spawn(v, 'sh', ['-c', 'pids=; for i in $(seq 1 50); do sleep 300 & pids="$pids $!"; done; echo started; read go; kill $pids; wait; echo all50']);
  const exited = client.waitForExit(v, pid);
  await waitFor(() => text === 'started\n');
  const running = async () => (await client.request(P.VmStats, { vmId: v })).processes.running;
  await waitForAsync(async () => (await running()) === 51);
  // While all 50 are blocked, another VM runs a command, and every sleeper is still there.
  assert.is(await out(other, 'echo alive'), 'alive\n');
  assert.is(await running(), 51, 'a sleeper ended on its own');
  await client.request(P.ProcessWrite, { vmId: v, pid, data: 'go\n' });
  assert.is((await exited).exitCode, 0);
  offOut();
  assert.is(text, 'started\nall50\n');
  assert.is(await running(), 0);
});

test('the shell\'s children are processes of the VM: the host sees their exit and may kill them', async () => {
  const v = await vm();
  const exits: Array<{ pid: number; exitCode: number; signal?: string; ppid?: number; command?: string }> = [];
  const off = client.onExit((e) => {
    if (e.vmId === v) exits.push(e);
  });
  let text = '';
  const offOut = client.onOutput((e) => {
    if (e.vmId === v) text += e.data;
  });
  const { pid } = await client.spawn(v, 'sh', ['-c', 'sleep 30 & echo child=$!; wait; echo done']);
  const childPid = Number((await waitFor(() => /child=(\d+)/.exec(text)))![1]);
  await client.request(P.ProcessKill, { vmId: v, pid: childPid, signal: 'SIGTERM' });
  await client.waitForExit(v, pid);
  off();
  offOut();
  const child = exits.find((e) => e.pid === childPid);
  assert.ok(child, 'no process/exit for the child');
  assert.equal([child!.exitCode, child!.signal, child!.ppid], [143, 'SIGTERM', pid]);
  assert.match(child!.command ?? '', /sleep$/);
  assert.match(text, /done\n$/);
});

test('disposing a VM ends a whole running pipeline', async () => {
  const v = await vm();
  const running = sh(v, 'sleep 30 | cat | cat');
  // The shell and its three stages.
  await waitForAsync(async () => (await client.request(P.VmStats, { vmId: v })).processes.running === 4);
  const { killedProcesses } = await client.disposeVm(v);
  assert.is(killedProcesses, 4);
  const r = await running;
  assert.is(r.exitCode, 137);
});

test('a spawn loop meets the VM\'s process bound: EAGAIN in the guest, one warning a second, the daemon unharmed', async () => {
  const v = (await client.createVm({ limits: { maxProcesses: 8 } })).vmId;
  const other = await vm();
  const before = logs.length;
  // 40 background sleeps that outlast the loop: the shell holds one slot, so 7 start and
  // 33 are refused, whatever the machine's speed. (kill is not a builtin of this shell: it
  // would need a slot too, so the host ends them, by disposing the VM.)
  let stdout = '';
  let stderr = '';
  const offOut = client.onOutput((e) => {
    if (e.vmId !== v) return;
    if (e.stream === 'stdout') stdout += e.data;
    else stderr += e.data;
  });
  await client.spawn(v, 'sh', ['-c', 'for i in $(seq 1 40); do sleep 300 & done; echo tried; wait']);
  await waitFor(() => stdout === 'tried\n');
  offOut();
  assert.is(stderr.match(/failed to execute command 'sleep': Resource temporarily unavailable/g)?.length, 33, stderr.slice(0, 300));
  const warnings = logs.slice(before).filter((l) => l.msg === 'bounded limit exhausted' && l.limit === 'max_processes_per_vm' && l.vmId === v);
  // At most one warning a second, by the daemon's own clock (the log lines' time), however
  // long the loop ran on a loaded machine: 33 refusals, a handful of lines.
  assert.ok(warnings.length >= 1, 'no warning');
  // (The throttle reads a monotonic clock, the log line's time the wall clock: allow a few ms.)
  const times = warnings.map((w) => Date.parse(w.time as string));
  for (let i = 1; i < times.length; i++) assert.ok(times[i]! - times[i - 1]! >= 990, `warnings ${times[i]! - times[i - 1]!} ms apart`);
  assert.equal([warnings[0]!.capacity, warnings[0]!.env], [8, 'AGENTOS_MAX_PROCESSES_PER_VM']);
  assert.is(await out(other, 'echo unharmed'), 'unharmed\n');
  assert.is((await client.request(P.VmStats, { vmId: v })).processes.running, 8);
  assert.is((await client.disposeVm(v)).killedProcesses, 8);
});

test('guest threads run below the daemon\'s: threads started after the daemon\'s own are at the lowest priority', async () => {
  const v = await vm();
  await out(v, 'sleep 0.3 | cat');
  const pid = client.child.pid!;
  const nice = (tid: string) => Number(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ')[16]);
  const tids = readdirSync(`/proc/${pid}/task`);
  assert.is(nice(String(pid)), 0, 'the thread that answers the protocol keeps its priority');
  // Node starts with 7 threads (the main one, V8's platform workers, its own); isolated-vm's come later.
  const values = tids.map(nice);
  const lowered = values.filter((n) => n === 19).length;
  assert.ok(lowered >= 2, `nice values: ${values.join(' ')}`);
  assert.ok(values.filter((n) => n === 0).length >= 2, `the daemon's own threads keep their priority: ${values.join(' ')}`);
  assert.ok(values.every((n) => n === 0 || n === 19), values.join(' '));
});

test('pipes per VM are bounded: past AGENTOS_MAX_PIPES_PER_VM fd_pipe fails with ENFILE and the warning says so', async () => {
  const { client: c, logs: l } = await startSidecar({ env: { AGENTOS_MAX_PIPES_PER_VM: '4' } });
  const v = (await c.createVm()).vmId;
  assert.is((await c.exec(v, 'sh', ['-c', 'seq 1 3 | cat | cat | wc -l'])).stdout, '3\n', 'three pipes fit');
  // Stages that wait on the host's stdin hold every pipe of the line at once, for as long
  // as the host keeps it open: the fifth pipe cannot be made.
  let stderr = '';
  const off = c.onOutput((e) => {
    if (e.vmId === v && e.stream === 'stderr') stderr += e.data;
  });
  const { pid } = await c.spawn(v, 'sh', ['-c', 'cat | cat | cat | cat | cat | cat']);
  const exited = c.waitForExit(v, pid);
  await waitFor(() => /Too many open files in system/.test(stderr));
  // The shell gives up on the line (it may already have exited); its stages end with stdin.
  await c.request(P.ProcessCloseStdin, { vmId: v, pid }).catch(() => undefined);
  await exited;
  off();
  const line = await eventually(() => l.find((x) => x.msg === 'bounded limit exhausted' && x.limit === 'max_pipes_per_vm'));
  assert.equal([line.capacity, line.env], [4, 'AGENTOS_MAX_PIPES_PER_VM']);
  assert.is((await c.exec(v, 'sh', ['-c', 'echo a | cat'])).stdout, 'a\n', 'the pipes of the failed line were let go');
  await c.close();
});

test('devices: /dev/null, /dev/zero and /dev/urandom read and write as on Linux, and /dev lists them', async () => {
  const v = await vm();
  assert.is(await out(v, 'ls /dev'), 'null\nrandom\nurandom\nzero\n');
  assert.is(await out(v, 'cat /dev/null; wc -c < /dev/null; echo gone > /dev/null'), '0\n');
  assert.is(await out(v, 'head -c 5 /dev/zero | od -An -tx1'), ' 00 00 00 00 00\n');
  assert.is(await out(v, 'dd if=/dev/zero bs=1024 count=100 2>/dev/null | wc -c'), '102400\n');
  const token = await out(v, 'cat /dev/urandom | tr -dc a-z | head -c 12');
  assert.match(token, /^[a-z]{12}$/);
  assert.is.not(token, await out(v, 'cat /dev/urandom | tr -dc a-z | head -c 12'), 'urandom repeats itself');
});

test('metadata calls on relative paths land on the file the shell means, after cd too', async () => {
  const v = await vm();
  // uutils chmod passes dirfd 3 with a relative path to mean the cwd; it once fell back to 0666.
  assert.is(await out(v, 'echo x > n.txt && chmod 600 n.txt && stat -c %a n.txt && chmod u+x n.txt && stat -c %a n.txt'), '600\n700\n');
  assert.is(await out(v, 'mkdir -p d && cd d && echo y > f && chmod 640 f && chown user f && touch -d @0 f && stat -c "%a %U %Y" f'), '640 user 0\n');
  assert.is(await out(v, 'cd d && ln -s f link && readlink link && test -L link && echo symlink'), 'f\nsymlink\n');
});

test('process substitution: <(...) hands a pipe over as /dev/fd/N', async () => {
  const v = await vm();
  assert.is(await out(v, 'paste <(seq 3) <(seq 4 6)'), '1\t4\n2\t5\n3\t6\n');
  assert.is(await out(v, 'comm -12 <(printf "a\\nb\\n") <(printf "b\\nc\\n")'), 'b\n');
  const d = await sh(v, 'diff <(echo a) <(echo b)');
  assert.equal([d.exitCode, d.stdout], [1, '1c1\n< a\n---\n> b\n']);
  assert.is(await out(v, 'echo y | cat /dev/fd/0 /dev/stdin'), 'y\n');
});

test.after(async () => {
  await client.close();
});

test.run();
