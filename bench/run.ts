// npm run bench [-- --quick]: drives the real daemon through the client and prints a
// table of timings beside the baselines a user would otherwise pick; writes
// bench/results/latest.json. Not part of npm test: these machines are noisy, so read the
// ratios, not the absolute times.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as P from '../protocol/index.js';
import { SidecarClient } from '../src/client/client.js';
import * as base from './baselines.js';
import { hostileNeighbour } from './hostile-neighbour.js';
import { forkBench } from './fork.js';
import { networkBench } from './network.js';
import { measure, summarize, type Summary } from './stats.js';

const quick = process.argv.includes('--quick');
const n = (full: number, fast: number) => (quick ? fast : full);
const fixture = (name: string) => fileURLToPath(new URL(`../../test/fixtures/wasm/${name}.wasm`, import.meta.url));
const MiB = 1024 * 1024;

interface Row {
  case: string;
  what: string;
  stats?: Summary;
  value?: number;
  unit: string;
}
const rows: Row[] = [];
const ratios: Array<{ case: string; ratio: number; note: string }> = [];

function timed(caseName: string, what: string, samples: number[]): Summary {
  const stats = summarize(samples);
  rows.push({ case: caseName, what, stats, unit: 'ms' });
  return stats;
}
function value(caseName: string, what: string, v: number, unit: string): void {
  rows.push({ case: caseName, what, value: v, unit });
}
function ratio(caseName: string, ours: number, theirs: number, note: string): void {
  ratios.push({ case: caseName, ratio: ours / theirs, note });
}

/** The daemon's CPU time so far (user + system), from /proc. */
function daemonCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

async function main(): Promise<void> {
  const sidecar = await SidecarClient.start({ env: { NODE_OPTIONS: '--expose-gc', AGENTOS_LOG_LEVEL: 'warn', AGENTOS_MAX_VMS: '20000' } });
  const pid = sidecar.child.pid!;
  for (const name of ['echo', 'cat', 'seq', 'wc']) await sidecar.request(P.WasmRegister, { name, data: readFileSync(fixture(name)).toString('base64') });

  // 1. Cold start: VM + first line of JS + dispose, end to end over RPC.
  const cold = timed('1 cold start', 'vm/create + exec node -e + vm/dispose (RPC)', await measure(n(300, 40), async () => {
    const { vmId } = await sidecar.createVm();
    await sidecar.exec(vmId, 'node', ['-e', 'console.log(1)']);
    await sidecar.disposeVm(vmId);
  }));
  const isoCold = timed('1 cold start', 'baseline: fresh isolate in-process (no RPC, no VM)', await measure(n(300, 40), () => base.freshIsolate('1 + 1')));
  const childCold = timed('1 cold start', 'baseline: fresh `node -e` child process', await measure(n(20, 5), () => base.nodeChild('console.log(1)'), 2));
  ratio('1 cold start', cold.median, isoCold.median, 'ours / bare isolate');
  ratio('1 cold start', cold.median, childCold.median, 'ours / node -e child');

  // 2. Warm exec in an existing VM.
  const { vmId: warmVm } = await sidecar.createVm();
  const warm = timed('2 warm exec', 'exec node -e in an existing VM', await measure(n(500, 50), () => sidecar.exec(warmVm, 'node', ['-e', 'console.log(1)'])));
  const reused = base.reusedIsolate();
  const reuse = timed('2 warm exec', 'baseline: eval in a reused in-process isolate', await measure(n(500, 50), () => reused.run('1 + 1')));
  reused.dispose();
  ratio('2 warm exec', warm.median, reuse.median, 'ours / reused isolate');

  // 3. RPC round trip.
  const ping = timed('3 RPC', 'sidecar/ping round trip', await measure(n(2000, 200), () => sidecar.request(P.SidecarPing, {})));
  const echo = await base.echoServer();
  const bare = timed('3 RPC', 'baseline: bare vscode-jsonrpc echo over child stdio', await measure(n(2000, 200), () => echo.connection.sendRequest('ping', {})));
  ratio('3 RPC', ping.median, bare.median, 'ours / bare transport');
  const rps = async (send: () => Promise<unknown>) => {
    const total = n(20000, 2000);
    let sent = 0;
    const started = performance.now();
    await Promise.all(Array.from({ length: 64 }, async () => {
      while (sent++ < total) await send();
    }));
    return total / ((performance.now() - started) / 1000);
  };
  value('3 RPC', 'sidecar/ping requests/s, 64 in flight', Math.round(await rps(() => sidecar.request(P.SidecarPing, {}))), 'req/s');
  value('3 RPC', 'baseline: bare transport requests/s, 64 in flight', Math.round(await rps(() => echo.connection.sendRequest('ping', {}))), 'req/s');
  echo.close();

  // 4 + 7. Memory per idle VM and scale: 1, 100, 1000 live VMs.
  const statsNow = () => sidecar.request(P.SidecarStats, { gc: true });
  const before = await statsNow();
  const live: string[] = [];
  for (const target of [1, 100, n(1000, 300)]) {
    while (live.length < target) {
      const { vmId } = await sidecar.createVm();
      await sidecar.exec(vmId, 'node', ['-e', '1']);
      live.push(vmId);
    }
    const s = await statsNow();
    value('4 memory', `RSS per idle VM at ${target} VMs (after one exec each, after GC)`, Math.round((s.memory.rssBytes - before.memory.rssBytes) / target / 1024), 'KiB');
    value('4 memory', `V8 heap per idle VM at ${target} VMs`, Math.round((s.memory.heapUsedBytes - before.memory.heapUsedBytes) / target / 1024), 'KiB');
    const c = timed('7 scale', `cold start with ${target} live VMs`, await measure(n(100, 20), async () => {
      const { vmId } = await sidecar.createVm();
      await sidecar.exec(vmId, 'node', ['-e', 'console.log(1)']);
      await sidecar.disposeVm(vmId);
    }));
    void c;
  }
  for (const vmId of live.splice(0)) await sidecar.disposeVm(vmId);
  const after = await statsNow();
  value('4 memory', 'RSS left after disposing them all (leak check)', Math.round((after.memory.rssBytes - before.memory.rssBytes) / MiB), 'MiB');
  value('4 memory', 'V8 heap left after disposing them all', Math.round((after.memory.heapUsedBytes - before.memory.heapUsedBytes) / 1024), 'KiB');

  // 5. WASM: first run (compile included) and warm runs, beside node:wasi.
  const suiteModule = fileURLToPath(new URL('../../../shared/wasi-testsuite/tests/rust/testsuite/wasm32-wasip1/big_random_buf.wasm', import.meta.url));
  const bigPath = existsSync(suiteModule) ? suiteModule : fixture('cat');
  const bigBytes = readFileSync(bigPath);
  const { vmId: wasmVm } = await sidecar.createVm();
  const firstRuns: number[] = [];
  for (let i = 0; i < n(5, 2); i++) {
    const name = `big${i}`;
    // A fresh name and a changed custom section make each first run a real compile.
    const unique = Buffer.concat([bigBytes, Buffer.from([0, 6, 5, 0x78, 0x78, 0x78, 0x78, i])]);
    await sidecar.request(P.WasmRegister, { name, data: unique.toString('base64') });
    const t = performance.now();
    await sidecar.exec(wasmVm, name);
    firstRuns.push(performance.now() - t);
  }
  timed('5 wasm', `first run of a ${(bigBytes.length / MiB).toFixed(1)} MiB module, compile included`, firstRuns);
  const warmWasm = timed('5 wasm', 'warm run of echo (cached module)', await measure(n(300, 40), () => sidecar.exec(wasmVm, 'echo', ['hi'])));
  const echoModule = await WebAssembly.compile(base.readWasm(fixture('echo')));
  const mainThread = timed('5 wasm', 'baseline: node:wasi, main thread, module precompiled', await measure(n(300, 40), () => base.nodeWasiMainThread(echoModule, ['echo', 'hi'])));
  const worker = timed('5 wasm', 'baseline: node:wasi in a fresh Worker, module precompiled', await measure(n(30, 8), () => base.nodeWasiWorker(echoModule, ['echo', 'hi']), 3));
  // Both sides start from a compiled module; ours reuses a warm runner isolate, the Worker is a new thread each run.
  ratio('5 wasm', warmWasm.median, worker.median, 'ours (warm runner, module cached) / node:wasi in a fresh Worker (module precompiled; a new thread each run)');
  ratio('5 wasm', warmWasm.median, mainThread.median, 'ours / node:wasi main thread');

  // Pipeline: seq 1 100000 | wc -l, two WASM commands with the output carried across.
  const pipe = timed('5 wasm', 'seq 1 100000 then wc -l on its output (two execs)', await measure(n(20, 5), async () => {
    const seq = await sidecar.exec(wasmVm, 'seq', ['1', '100000']);
    await sidecar.exec(wasmVm, 'wc', [], { stdin: seq.stdout });
  }, 2));
  const shell = timed('5 wasm', 'baseline: host /bin/sh -c "seq 1 100000 | wc -l"', await measure(n(20, 5), () => base.hostShell('seq 1 100000 | wc -l'), 2));
  ratio('5 wasm', pipe.median, shell.median, 'ours / host shell pipeline');

  // 8. The agentOS shell: lines a user types, beside the host's own /bin/sh running them.
  if (sidecar.initializeResult!.capabilities.commands.includes('sh')) await shellCases(sidecar);

  // 6. Throughput: trivial execs across 8 VMs with 16 in flight.
  const vms = await Promise.all(Array.from({ length: 8 }, () => sidecar.createVm().then((r) => r.vmId)));
  const seconds = n(10, 3);
  const cpuBefore = daemonCpuMs(pid);
  let done = 0;
  const deadline = performance.now() + seconds * 1000;
  await Promise.all(Array.from({ length: 16 }, async (_, i) => {
    while (performance.now() < deadline) {
      await sidecar.exec(vms[i % 8]!, 'node', ['-e', 'console.log(1)']);
      done++;
    }
  }));
  const cpuUsed = daemonCpuMs(pid) - cpuBefore;
  value('6 throughput', 'trivial execs/s across 8 VMs, 16 in flight', Math.round(done / seconds), 'execs/s');
  value('6 throughput', 'daemon CPU per exec (all threads)', Math.round((cpuUsed / done) * 100) / 100, 'ms');

  await sidecar.close();

  // 10. Fork of a VM holding 10,000 files and 50 MB: copy-on-write against a full deep copy (fork.ts).
  const fork = await forkBench(quick);
  for (const r of fork) {
    if (r.stats) rows.push({ case: '10 fork', what: r.what, stats: r.stats, unit: 'ms' });
    else value('10 fork', r.what, r.value!, r.unit);
  }
  const cowMs = fork.find((r) => r.what.startsWith('copy-on-write fork'))!.stats!.median;
  const deepMs = fork.find((r) => r.what.startsWith('baseline: full deep copy'))!.stats!.median;
  ratio('10 fork', cowMs, deepMs, 'copy-on-write fork / full deep copy of 10,000 files, 50 MB (in process)');

  // 11. Network: guest fetch and curl against the bench's own Node over loopback (network.ts).
  const net = await networkBench(quick);
  for (const r of net.rows) {
    if (r.stats) rows.push({ case: '11 network', what: r.what, stats: r.stats, unit: 'ms' });
    else value('11 network', r.what, r.value!, r.unit);
  }
  for (const r of net.ratios) ratios.push({ case: '11 network', ratio: r.ratio, note: r.note });
  print();
}

const SHELL_FILE = 'apple x\nbanana\ncherry x\napple x\n'.repeat(250);
const SHELL_LINES = [
  'echo hi',
  'seq 1 100000 | wc -l',
  'cat a.txt | grep x | sort | uniq -c > out',
  `seq 1 20000 | ${Array(8).fill('cat').join(' | ')} | wc -l`,
];

async function shellCases(sidecar: SidecarClient): Promise<void> {
  const files = [{ path: '/home/user/a.txt', data: SHELL_FILE, encoding: 'utf8' as const }];
  const hostDir = mkdtempSync(join(tmpdir(), 'agentos-bench-'));
  writeFileSync(join(hostDir, 'a.txt'), SHELL_FILE);
  const cold = timed('8 shell', 'vm/create + sh -c "echo hi" + vm/dispose (RPC)', await measure(n(100, 20), async () => {
    const { vmId } = await sidecar.createVm({ files });
    await sidecar.exec(vmId, 'sh', ['-c', 'echo hi']);
    await sidecar.disposeVm(vmId);
  }));
  ratio('8 shell', cold.median, base.QUOTED_BEST_KNOWN_SIDECAR_COLD_SHELL_MS, `ours / the best-known sidecar (${base.QUOTED_BEST_KNOWN_SIDECAR_COLD_SHELL_MS} ms: quoted from bench/README.md, not measured in this run)`);
  const { vmId } = await sidecar.createVm({ files });
  for (const line of SHELL_LINES) {
    const ours = timed('8 shell', `warm sh -c '${line}'`, await measure(n(100, 20), () => sidecar.exec(vmId, 'sh', ['-c', line])));
    const host = timed('8 shell', `baseline: host /bin/sh -c '${line}'`, await measure(n(100, 20), () => base.hostShell(line, hostDir)));
    ratio('8 shell', ours.median, host.median, `ours / host shell: ${line}`);
  }
  // Stalls: the best-known sidecar stalls in 10-second steps in half of its runs.
  const runs = await measure(n(1000, 100), () => sidecar.exec(vmId, 'sh', ['-c', 'seq 1 100000 | wc -l']), 5);
  const stats = timed('8 shell', `seq 1 100000 | wc -l, ${runs.length} runs back to back`, runs);
  value('8 shell', `runs over 1 s (a stall) of ${runs.length}; slowest ${stats.max.toFixed(0)} ms`, runs.filter((ms) => ms > 1000).length, 'runs');
  // Fairness: another VM's requests while one VM runs 32 busy processes on the 2 cores.
  const { vmId: busy } = await sidecar.createVm();
  const load = sidecar.exec(busy, 'sh', ['-c', `for i in $(seq 1 32); do yes > /dev/null & done; wait`], { timeoutMs: 60_000 });
  await new Promise((resolve) => setTimeout(resolve, 1000));
  timed('8 shell', 'sidecar/ping while another VM runs 32 busy processes', await measure(n(100, 20), () => sidecar.request(P.SidecarPing, {}), 0));
  timed('8 shell', 'warm sh -c "echo hi" in a VM while another runs 32 busy processes', await measure(n(50, 10), () => sidecar.exec(vmId, 'sh', ['-c', 'echo hi']), 0));
  await sidecar.disposeVm(busy);
  await load.catch(() => undefined);
  await sidecar.disposeVm(vmId);
  rmSync(hostDir, { recursive: true, force: true });
  // The hostile neighbour: every attack in turn, each against its own daemon (hostile-neighbour.ts).
  for (const r of await hostileNeighbour(quick)) {
    timed('9 hostile neighbour', `sidecar/ping while another VM runs: ${r.attack} (ended: ${r.ended}; as expected: ${r.asExpected ? 'yes' : 'no'}; daemon peak ${r.peakRssMb} MB)`, r.ping.values);
    timed('9 hostile neighbour', `warm sh -c "echo hi" in a VM while another runs: ${r.attack}`, r.echo.values);
  }
}

function print(): void {
  const fmt = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
  // Shell lines hold pipes, which would end a Markdown table cell.
  const cell = (text: string) => text.replaceAll('|', '\\|');
  const lines = ['| case | what | median | p95 | p99 | min | max | samples |', '|---|---|---|---|---|---|---|---|'];
  for (const r of rows) {
    if (r.stats) {
      const s = r.stats;
      lines.push(`| ${r.case} | ${cell(r.what)} | ${fmt(s.median)} ms | ${fmt(s.p95)} | ${fmt(s.p99)} | ${fmt(s.min)} | ${fmt(s.max)} | ${s.samples} |`);
    } else {
      lines.push(`| ${r.case} | ${cell(r.what)} | ${r.value} ${r.unit} | | | | | |`);
    }
  }
  lines.push('', '| case | ratio | of medians |', '|---|---|---|');
  for (const r of ratios) lines.push(`| ${r.case} | ${r.ratio.toFixed(2)}× | ${cell(r.note)} |`);
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}${quick ? ', --quick' : ''}`;
  console.log(`\n${machine}\n\n${lines.join('\n')}`);
  const dir = fileURLToPath(new URL('../../bench/results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}latest.json`, `${JSON.stringify({ machine, date: new Date().toISOString(), quick, rows, ratios }, null, 2)}\n`);
}

await main();
