// The "hostile neighbour" case: while one VM runs an attack, how long do `sidecar/ping` and
// another VM's `sh -c 'echo hi'` take? Each attack gets a fresh daemon (one that an attack
// broke cannot spoil the next row), runs within its VM's wall and CPU budgets, and has a
// bench-side deadline besides, so an attack that hangs the daemon still ends its row.
// Standalone: node --no-node-snapshot dist/bench/hostile-neighbour.js [--quick] [--only NAME]
import { readFileSync } from 'node:fs';
import type { Static } from '@sinclair/typebox';
import { fileURLToPath } from 'node:url';
import * as P from '../protocol/index.js';
import { SidecarClient } from '../src/client/client.js';
import { summarize, type Summary } from './stats.js';

const MiB = 1024 * 1024;
type ExecResult = Static<typeof P.ExecResult>;

interface Attack {
  name: string;
  /** Files the attacker VM starts with. */
  files?: Record<string, string>;
  /** Unmeasured preparation in the attacker VM (node -e code). */
  setup?: string;
  command: string;
  args: string[];
  limits?: Static<typeof P.VmLimits>;
  /** Whether a run ended the way a fixed daemon ends it. */
  expected: (r: ExecResult) => boolean;
  /** What `expected` looks for, for the table. */
  expects: string;
}

/** Ended by one of its VM's budgets (wall, CPU, memory, processes), as a runaway must be. */
const timedOut = (r: ExecResult) => r.error?.code !== undefined && /TIMEOUT|LIMIT/.test(r.error.code);
const endedEarly = (r: ExecResult) => !r.error || (r.error.code !== 'ERR_AGENTOS_TIMEOUT' && r.error.code !== 'ERR_AGENTOS_CPU_TIME_LIMIT');
const node = (code: string) => ['-e', code];

/** A WASM module whose import section is `bytes` long (globals: no type section needed). */
const IMPORT_MODULE = `
const fs = require('fs');
const leb = (n) => { const out = []; do { let b = n & 0x7f; n = Math.floor(n / 128); if (n) b |= 0x80; out.push(b); } while (n); return out; };
const entry = [1, 0x61, 16, ...Buffer.from('abcdefghijklmnop'), 3, 0x7f, 0];
const count = Math.floor(60 * 1024 * 1024 / entry.length);
const body = leb(count).length + count * entry.length;
const fd = fs.openSync('/tmp/imp.wasm', 'w');
fs.writeSync(fd, Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 2, ...leb(body), ...leb(count)]));
const chunk = Buffer.from(Array.from({ length: 4096 }, () => entry).flat());
let left = count;
while (left > 0) { const n = Math.min(left, 4096); fs.writeSync(fd, n === 4096 ? chunk : chunk.subarray(0, n * entry.length)); left -= n; }
fs.closeSync(fd);
fs.chmodSync('/tmp/imp.wasm', 0o755);
`;

/** 28 iovecs of 64 MiB each (the same bytes), written to stdout in one fd_write. */
function fdWriteModule(): string {
  const leb = (n: number): number[] => {
    const out: number[] = [];
    do {
      let b = n & 0x7f;
      n = Math.floor(n / 128);
      if (n) b |= 0x80;
      out.push(b);
    } while (n);
    return out;
  };
  const name = (s: string) => [s.length, ...Buffer.from(s)];
  const section = (id: number, body: number[]) => [id, ...leb(body.length), ...body];
  const i32 = (v: number) => [0x41, ...sleb(v)];
  const iovecs: number[] = [];
  for (let i = 0; i < 28; i++) for (const v of [65536, 64 * MiB]) iovecs.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
  const body = [0, ...i32(1), ...i32(0), ...i32(28), ...i32(1024), 0x10, 0, 0x1a, 0x0b];
  const bytes = [
    0, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...section(1, [2, 0x60, 4, 0x7f, 0x7f, 0x7f, 0x7f, 1, 0x7f, 0x60, 0, 0]),
    ...section(2, [1, ...name('wasi_snapshot_preview1'), ...name('fd_write'), 0, 0]),
    ...section(3, [1, 1]),
    ...section(5, [1, 0, ...leb(1025)]),
    ...section(7, [2, ...name('memory'), 2, 0, ...name('_start'), 0, 1]),
    ...section(10, [1, ...leb(body.length), ...body]),
    ...section(11, [1, 0, ...i32(0), 0x0b, ...leb(iovecs.length), ...iovecs]),
  ];
  return Buffer.from(bytes).toString('base64');
}

function sleb(v: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) return [...out, b];
    out.push(b | 0x80);
  }
}

const ATTACKS: Attack[] = [
  { name: '32 busy processes', command: 'sh', args: ['-c', 'for i in $(seq 1 32); do yes > /dev/null & done; wait'], expected: timedOut, expects: 'a budget' },
  { name: 'fork bomb (sh b.sh)', files: { '/home/user/b.sh': 'sh b.sh & sh b.sh & wait\n' }, command: 'sh', args: ['b.sh'], expected: timedOut, expects: 'a budget' },
  {
    name: '64 processes looping on fs calls',
    command: 'sh', args: ['-c', 'for i in $(seq 1 64); do sh -c "while :; do test -e /tmp/x; ls /tmp > /dev/null; done" & done; wait'],
    expected: timedOut, expects: 'a budget',
  },
  {
    // A JS parent spawns them (the shell can too: the next row).
    name: '32 busy JS processes',
    command: 'node', args: node("const { spawn } = require('child_process'); for (let i = 0; i < 32; i++) spawn('node', ['-e', 'for (;;);'], { stdio: 'inherit' })"),
    expected: timedOut, expects: 'a budget',
  },
  {
    name: '32 busy JS processes started by sh',
    command: 'sh', args: ['-c', 'for i in $(seq 1 32); do node -e "for (;;);" & done; wait'],
    expected: timedOut, expects: 'a budget',
  },
  {
    name: '16 JS processes in a timer loop',
    command: 'node', args: node("const { spawn } = require('child_process'); for (let i = 0; i < 16; i++) spawn('node', ['-e', 'const f = () => { const t = Date.now(); while (Date.now() - t < 5); setImmediate(f); }; f()'], { stdio: 'inherit' })"),
    expected: timedOut, expects: 'a budget',
  },
  { name: '4,000 setInterval(fn, 0)', command: 'node', args: node('for (let i = 0; i < 4000; i++) setInterval(() => {}, 0)'), expected: timedOut, expects: 'a budget' },
  { name: 'for(;;) process.exitCode=1', command: 'node', args: node('for (;;) process.exitCode = 1'), limits: { cpuTimeLimitMs: 2000 }, expected: timedOut, expects: 'a budget' },
  {
    name: "fs.cpSync('/a', '/a/b/c')",
    command: 'node', args: node("const fs = require('fs'); fs.mkdirSync('/a/b/c', { recursive: true }); fs.writeFileSync('/a/f', 'x'.repeat(1000)); try { fs.cpSync('/a', '/a/b/c', { recursive: true }); } catch (e) { console.log(e.code); process.exit(3); }"),
    expected: (r) => r.exitCode === 3 && r.stdout.trim() === 'ERR_FS_CP_EINVAL', expects: "Node's ERR_FS_CP_EINVAL at once",
  },
  {
    name: '40 symlinks × 800 x/.. + existsSync',
    command: 'node',
    args: node("const fs = require('fs'); fs.mkdirSync('/s/x', { recursive: true }); let prev = '/s'; for (let i = 0; i < 40; i++) { fs.symlinkSync(prev + '/x/..'.repeat(800), '/s/l' + i); prev = '/s/l' + i; } try { fs.statSync(prev + '/x'); } catch (e) { console.log(e.code); } for (;;) fs.existsSync(prev + '/x');"),
    expected: (r) => timedOut(r) && r.stdout.trim() === 'ELOOP', expects: 'ELOOP for each lookup; the loop ends at its budget',
  },
  {
    name: 'failed bare require, 2,040 deep',
    command: 'node',
    args: node("const fs = require('fs'); let d = '/d'; for (let i = 0; i < 2040; i++) d += '/d'; fs.mkdirSync(d, { recursive: true }); process.chdir(d); fs.writeFileSync(d + '/m.js', 'require(\"nope\")'); for (;;) { try { require(d + '/m.js'); } catch (e) { if (e.code !== 'MODULE_NOT_FOUND') throw e; delete require.cache[d + '/m.js']; } }"),
    limits: { fsInodeLimit: 16_384 }, expected: timedOut, expects: 'each lookup fails fast; the loop ends at its budget',
  },
  {
    name: 'module with a 60 MB import section',
    setup: IMPORT_MODULE, command: 'sh', args: ['-c', '/tmp/imp.wasm'], limits: { fsQuotaBytes: 128 * MiB },
    expected: (r) => endedEarly(r) && r.exitCode !== 0, expects: 'a refusal before its budget',
  },
  {
    name: 'fd_write of 28 iovecs × 64 MiB',
    setup: `require('fs').writeFileSync('/tmp/w.wasm', Buffer.from('${fdWriteModule()}', 'base64')); require('fs').chmodSync('/tmp/w.wasm', 0o755)`,
    command: 'sh', args: ['-c', '/tmp/w.wasm > /tmp/out; wc -c < /tmp/out'],
    expected: (r) => endedEarly(r) && r.stdout.trim() === '1048576', expects: 'a short write (AGENTOS_WASM_CALL_MAX_BYTES), at once',
  },
  {
    name: 'ls of a 20,000-entry directory',
    setup: "const fs = require('fs'); fs.mkdirSync('/tmp/d'); for (let i = 0; i < 20000; i++) fs.writeFileSync('/tmp/d/f' + i, '')",
    command: 'sh', args: ['-c', 'ls /tmp/d | wc -l'], limits: { fsInodeLimit: 30_000 },
    expected: (r) => r.stdout.trim() === '20000', expects: 'all 20,000 names',
  },
];

interface Samples extends Summary {
  values: number[];
}

export interface HostileRow {
  attack: string;
  ping: Samples;
  echo: Samples;
  /** How the first run ended (error code, or exit code). */
  ended: string;
  asExpected: boolean;
  expects: string;
  /** The daemon's peak resident memory over the attack. */
  peakRssMb: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function peakRssMb(pid: number): number {
  try {
    const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return hwm ? Math.round(Number(hwm[1]) / 1024) : NaN;
  } catch {
    return NaN;
  }
}

/** Runs `send` back to back (with `gapMs` between) until `stop()`; each latency in ms. */
async function sampleUntil(stop: () => boolean, gapMs: number, send: () => Promise<unknown>, deadline: number): Promise<number[]> {
  const out: number[] = [];
  while (!stop()) {
    const t = performance.now();
    // A request the daemon never answers counts as its wait until the bench's deadline.
    await Promise.race([send().catch(() => undefined), sleep(Math.max(0, deadline - t))]);
    out.push(performance.now() - t);
    await sleep(gapMs);
  }
  return out;
}

async function runAttack(attack: Attack, quick: boolean): Promise<HostileRow> {
  const windowMs = quick ? 2500 : 6000;
  const wallMs = quick ? 3000 : 6000;
  const sidecar = await SidecarClient.start({ env: { AGENTOS_LOG_LEVEL: 'error' } });
  const pid = sidecar.child.pid!;
  try {
    const files = Object.entries(attack.files ?? {}).map(([path, data]) => ({ path, data, encoding: 'utf8' as const }));
    const { vmId: attacker } = await sidecar.createVm({ files, limits: { wallTimeLimitMs: wallMs, cpuTimeLimitMs: wallMs, ...attack.limits } });
    const { vmId: bystander } = await sidecar.createVm();
    if (attack.setup) {
      const s = await sidecar.exec(attacker, 'node', node(attack.setup), { timeoutMs: 120_000 });
      if (s.exitCode !== 0) throw new Error(`setup of '${attack.name}' failed: ${s.stderr || s.error?.message}`);
    }
    for (let i = 0; i < 5; i++) await sidecar.exec(bystander, 'sh', ['-c', 'echo hi']);
    for (let i = 0; i < 20; i++) await sidecar.request(P.SidecarPing, {});
    // The attack runs again and again until the window closes (a quick refusal is retried).
    const started = performance.now();
    const windowEnd = started + windowMs;
    const deadline = windowEnd + wallMs + 8_000;
    let first: ExecResult | undefined;
    let hung = false;
    const attacking = (async () => {
      do {
        const run = sidecar.exec(attacker, attack.command, attack.args, { timeoutMs: wallMs }).catch((err: { code?: string }) => ({ exitCode: -1, stdout: '', stderr: '', error: { code: err.code ?? 'rejected', message: '' } }) as unknown as ExecResult);
        const r = await Promise.race([run, sleep(Math.max(0, deadline - performance.now())).then(() => undefined)]);
        if (!r) {
          hung = true;
          return;
        }
        first ??= r;
      } while (performance.now() < windowEnd);
    })();
    await sleep(200);
    const windowOver = () => performance.now() >= windowEnd;
    const [ping, echo] = await Promise.all([
      sampleUntil(windowOver, 10, () => sidecar.request(P.SidecarPing, {}), deadline),
      sampleUntil(windowOver, 20, () => sidecar.exec(bystander, 'sh', ['-c', 'echo hi']), deadline),
    ]);
    await attacking;
    const ended = hung ? `no answer in ${((deadline - started) / 1000).toFixed(0)} s` : first?.error?.code ?? `exit ${first?.exitCode}`;
    return { attack: attack.name, ping: { ...summarize(ping), values: ping }, echo: { ...summarize(echo), values: echo }, ended, asExpected: !hung && !!first && attack.expected(first), expects: attack.expects, peakRssMb: peakRssMb(pid) };
  } finally {
    await Promise.race([sidecar.close().catch(() => undefined), sleep(5000)]);
    sidecar.killSidecar();
  }
}

/** Every attack in turn (`only`: a substring of the names to run). */
export async function hostileNeighbour(quick: boolean, only?: string): Promise<HostileRow[]> {
  const rows: HostileRow[] = [];
  for (const attack of ATTACKS) {
    if (only && !attack.name.includes(only)) continue;
    rows.push(await runAttack(attack, quick));
  }
  return rows;
}

export function hostileTable(rows: HostileRow[]): string {
  const ms = (v: number) => (v >= 100 ? v.toFixed(0) : v.toFixed(1));
  const lines = ['| attack | ping p50 / p99 | echo p50 / p99 | ended | as expected | daemon peak RSS |', '|---|---|---|---|---|---|'];
  for (const r of rows) {
    lines.push(`| ${r.attack} | ${ms(r.ping.median)} / ${ms(r.ping.p99)} ms | ${ms(r.echo.median)} / ${ms(r.echo.p99)} ms | ${r.ended} | ${r.asExpected ? 'yes' : 'no'} (${r.expects}) | ${r.peakRssMb} MB |`);
  }
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const at = process.argv.indexOf('--only');
  const rows = await hostileNeighbour(process.argv.includes('--quick'), at > 0 ? process.argv[at + 1] : undefined);
  console.log(hostileTable(rows));
}
