// One worker: its own daemon with one VM that holds Node's test/common, test/fixtures and
// test/parallel at /node/test (written once, unmodified), and runs one test file at a time in
// a fresh guest process with a fresh NODE_TEST_DIR (so test/common/tmpdir.js gives each
// test an empty directory of its own, removed afterwards). Seeding the filesystem once per
// worker instead of once per test is what makes 3,500 runs affordable.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SidecarClient } from '../../dist/src/client/index.js';

export const VM_ROOT = '/node';
const MiB = 1024 * 1024;
/** Files written at once while seeding: enough to keep the daemon busy, few enough to bound memory. */
const SEED_IN_FLIGHT = 32;
/** How long past its own wall timeout a run may take before the worker calls its daemon hung. */
const DAEMON_GRACE_MS = 30_000;

export class Worker {
  constructor(id, suite, files, timeoutMs) {
    this.id = id;
    this.suite = suite;
    this.files = files;
    this.timeoutMs = timeoutMs;
    this.runs = 0;
  }

  async start() {
    this.client = await SidecarClient.start({ clientName: `node-conformance-${this.id}`, env: { AGENTOS_LOG_LEVEL: 'fatal' } });
    const { vmId } = await this.client.createVm({
      cwd: VM_ROOT,
      // The suite is ~65 MB in ~6,800 files, and tests write their own files beside it.
      limits: { fsQuotaBytes: 512 * MiB, fsInodeLimit: 65_536, wallTimeLimitMs: this.timeoutMs, cpuTimeLimitMs: this.timeoutMs },
    });
    this.vmId = vmId;
    let next = 0;
    const writeNext = async () => {
      while (next < this.files.length) {
        const rel = this.files[next++];
        await this.client.writeFile(vmId, `${VM_ROOT}/${rel}`, readFileSync(join(this.suite, rel)), { createParents: true, signal: AbortSignal.timeout(DAEMON_GRACE_MS) });
      }
    };
    await Promise.all(Array.from({ length: SEED_IN_FLIGHT }, writeNext));
  }

  /** Runs `node [flags] /node/test/parallel/<name>`: the result, or the daemon's failure. */
  async run(name, flags, timeoutMs = this.timeoutMs) {
    const tmp = `/tmp/node-test-${this.id}-${++this.runs}`;
    // Every request is bounded: a daemon that stops answering fails this file, and the worker
    // is replaced (healthy turns false), instead of the whole run waiting for it forever.
    const bounded = (ms = DAEMON_GRACE_MS) => ({ signal: AbortSignal.timeout(ms) });
    try {
      await this.client.mkdir(this.vmId, tmp, { recursive: true, ...bounded() });
      const result = await this.client.exec(this.vmId, 'node', [...flags, `${VM_ROOT}/test/parallel/${name}`], {
        cwd: VM_ROOT,
        env: { NODE_TEST_DIR: tmp, TEST_THREAD_ID: '0' },
        timeoutMs,
        ...bounded(timeoutMs + DAEMON_GRACE_MS),
      });
      // A directory the test left unremovable is its business; a daemon that does not answer is ours.
      await this.client.remove(this.vmId, tmp, { recursive: true, ...bounded() }).catch((err) => {
        if (err.rpcCode === undefined) throw err;
      });
      return { result, timedOut: result.error?.code === 'ERR_AGENTOS_TIMEOUT' };
    } catch (err) {
      this.broken = true;
      return { daemonError: `${err.code ?? err.name}: ${err.message}` };
    }
  }

  /** A daemon that failed or did not answer a request is replaced, so one test cannot sink the rest. */
  get healthy() {
    return this.client && !this.client.closed && !this.broken;
  }

  async stop() {
    if (!this.client) return;
    if (this.client.closed || this.broken) this.client.killSidecar();
    else await this.client.close().catch(() => this.client.killSidecar());
  }
}
