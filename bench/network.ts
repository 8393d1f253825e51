// The network case: a guest's fetch against the same fetch in the bench's own Node, over
// loopback to a server the bench starts (issue 12: a 10 MB download within 2× of host fetch;
// small requests per second from one VM), and curl (a command binary, host_net) for the
// same download. Downloads are timed inside the guest, so process start-up is not counted.
// Standalone: node --no-node-snapshot dist/bench/network.js [--quick]
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { SidecarClient } from '../src/client/client.js';
import { measure, summarize, type Summary } from './stats.js';

const MiB = 1024 * 1024;

export interface NetworkRow {
  what: string;
  stats?: Summary;
  value?: number;
  unit: string;
}

/** Runs `fn` back to back for `ms`, with `inFlight` at once; returns completions per second. */
async function perSecond(ms: number, inFlight: number, fn: () => Promise<unknown>): Promise<number> {
  let done = 0;
  const end = performance.now() + ms;
  const started = performance.now();
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (performance.now() < end) {
      await fn();
      done++;
    }
  }));
  return done / ((performance.now() - started) / 1000);
}

export async function networkBench(quick: boolean): Promise<{ rows: NetworkRow[]; ratios: Array<{ ratio: number; note: string }> }> {
  const big = Buffer.alloc(10 * MiB, 'x');
  const server = createServer((req, res) => {
    if (req.url === '/big') {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': big.length });
      res.end(big);
    } else {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const base = `http://127.0.0.1:${port}`;
  const sidecar = await SidecarClient.start({ env: { AGENTOS_LOG_LEVEL: 'error' } });
  const rows: NetworkRow[] = [];
  const ratios: Array<{ ratio: number; note: string }> = [];
  try {
    const { vmId } = await sidecar.createVm({
      limits: { wallTimeLimitMs: 300_000, cpuTimeLimitMs: 300_000 },
      permissions: { network: { default: 'deny', rules: [{ mode: 'allow', operations: ['connect'], patterns: [`127.0.0.1:${port}`] }] } },
    });
    const runs = quick ? 5 : 20;
    // One guest process downloads `runs` times (after one unmeasured) and prints each time.
    const download = await sidecar.exec(vmId, 'node', ['-e', `(async () => {
      const times = [];
      for (let i = 0; i <= ${runs}; i++) {
        const t = performance.now();
        const body = await (await fetch('${base}/big')).arrayBuffer();
        if (body.byteLength !== ${big.length}) throw new Error('short body ' + body.byteLength);
        if (i > 0) times.push(performance.now() - t);
      }
      console.log(JSON.stringify(times));
    })()`], { timeoutMs: 300_000 });
    if (download.exitCode !== 0) throw new Error(`guest download failed: ${download.stderr || download.error?.message}`);
    const guest = summarize(JSON.parse(download.stdout) as number[]);
    rows.push({ what: 'guest fetch of 10 MB over loopback (timed in the guest)', stats: guest, unit: 'ms' });
    const host = summarize(await measure(runs, async () => {
      const body = await (await fetch(`${base}/big`)).arrayBuffer();
      if (body.byteLength !== big.length) throw new Error('short body');
    }, 1));
    rows.push({ what: 'baseline: host fetch of 10 MB (the bench\'s own Node 20)', stats: host, unit: 'ms' });
    ratios.push({ ratio: guest.median / host.median, note: 'guest fetch / host fetch, 10 MB over loopback (target ≤ 2×)' });

    const curl = summarize(await measure(quick ? 3 : 10, async () => {
      const r = await sidecar.exec(vmId, 'curl', ['-s', '-o', '/dev/null', '-w', '%{size_download}', `${base}/big`], { timeoutMs: 120_000 });
      if (r.stdout !== String(big.length)) throw new Error(`curl: ${r.stdout} ${r.stderr}`);
    }, 1));
    rows.push({ what: 'curl (WASM, host_net) of 10 MB, whole exec', stats: curl, unit: 'ms' });

    const seconds = quick ? 1000 : 3000;
    for (const inFlight of [1, 16]) {
      const small = await sidecar.exec(vmId, 'node', ['-e', `(async () => {
        let done = 0;
        const end = performance.now() + ${seconds};
        const started = performance.now();
        await Promise.all(Array.from({ length: ${inFlight} }, async () => {
          while (performance.now() < end) { await (await fetch('${base}/small')).json(); done++; }
        }));
        console.log(done / ((performance.now() - started) / 1000));
      })()`], { timeoutMs: 120_000 });
      if (small.exitCode !== 0) throw new Error(`guest small requests failed: ${small.stderr}`);
      const ours = Number(small.stdout);
      const theirs = await perSecond(seconds, inFlight, async () => (await fetch(`${base}/small`)).json());
      rows.push({ what: `guest fetch of a small JSON, ${inFlight} in flight`, value: Math.round(ours), unit: 'req/s' });
      rows.push({ what: `baseline: host fetch of a small JSON, ${inFlight} in flight`, value: Math.round(theirs), unit: 'req/s' });
      ratios.push({ ratio: ours / theirs, note: `guest / host small requests per second, ${inFlight} in flight` });
    }
  } finally {
    await sidecar.close();
    server.close();
  }
  return { rows, ratios };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { rows, ratios } = await networkBench(process.argv.includes('--quick'));
  for (const r of rows) console.log(r.stats ? `${r.what}: median ${r.stats.median.toFixed(1)} ms, p95 ${r.stats.p95.toFixed(1)}` : `${r.what}: ${r.value} ${r.unit}`);
  for (const r of ratios) console.log(`${r.ratio.toFixed(2)}× ${r.note}`);
}
