import { processUsage, systemInfo } from '../process.js';

/**
 * The `report` binding behind Node's own lib/internal/process/report.js (process.report):
 * the diagnostic report as Node 20 lays it out (report version 4), describing what a VM's
 * process is. A guest process has no native side, so the native stack, libuv handles, shared
 * objects and network interfaces are empty lists, and there is no glibc (npm reads
 * glibcVersionRuntime to pick native builds: none fits a VM). Memory is the isolate's heap,
 * CPU the process's own time, limits 'unlimited' where the VM's own limits apply instead.
 * Reports on signals, fatal errors and uncaught exceptions are settings only: the VM does
 * not write a report by itself.
 */
type Proc = {
  pid: number; version: string; versions: object; release: object; argv: string[]; execArgv: string[]; env: Record<string, string | undefined>;
  cwd(): string; stdout: { write(s: string): unknown }; stderr: { write(s: string): unknown };
};
type Fs = { writeFileSync(path: string, data: string): void };

const LIMITS = ['core_file_size_blocks', 'data_seg_size_kbytes', 'file_size_blocks', 'max_locked_memory_bytes', 'max_memory_size_kbytes', 'open_files', 'stack_size_bytes', 'cpu_time_seconds', 'max_user_processes', 'virtual_memory_kbytes'];

export function createReportBinding(proc: () => Proc, fs: () => Fs, hostname: () => string) {
  const settings = { directory: '', filename: '', compact: false, excludeNetwork: false, signal: 'SIGUSR2', onFatalError: false, onSignal: false, onUncaughtException: false };
  let sequence = 0;
  const started = Date.now();

  function stackOf(err: unknown) {
    const e = err as { name?: unknown; message?: unknown; stack?: unknown } & Record<string, unknown>;
    const lines = typeof e?.stack === 'string' ? e.stack.split('\n') : [];
    const frames = lines.filter((l) => /^\s+at /.test(l)).map((l) => l.trim());
    const message = lines.length ? lines.filter((l) => !/^\s+at /.test(l)).join('\n') : String(e?.message ?? '');
    const errorProperties: Record<string, string> = {};
    for (const key of Object.keys(e ?? {})) errorProperties[key] = String(e[key]);
    return { message, stack: frames, errorProperties };
  }

  function build(event: string, trigger: string, filename: string | null, err: unknown): object {
    const p = proc();
    const sys = systemInfo();
    const u = processUsage();
    const now = new Date();
    const cpuSeconds = u.cpuMicros / 1e6;
    const elapsed = Math.max(1e-3, (Date.now() - started) / 1000);
    const rss = u.heapTotal + u.external;
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(p.env)) if (typeof v === 'string') env[k] = v;
    return {
      header: {
        reportVersion: 4,
        event,
        trigger,
        filename,
        dumpEventTime: now.toISOString().replace(/\.\d+Z$/, 'Z'),
        dumpEventTimeStamp: String(now.getTime()),
        processId: p.pid,
        threadId: 0,
        cwd: p.cwd(),
        commandLine: ['node', ...p.execArgv, ...p.argv.slice(1)],
        nodejsVersion: p.version,
        wordSize: 64,
        arch: 'x64',
        platform: 'linux',
        componentVersions: p.versions,
        release: p.release,
        osName: 'Linux',
        osRelease: sys.release,
        osVersion: sys.version,
        osMachine: sys.machine,
        cpus: sys.cpus.map(({ model, speed }) => ({ model, speed, user: 0, nice: 0, sys: 0, idle: 0, irq: 0 })),
        networkInterfaces: [],
        host: hostname(),
      },
      javascriptStack: stackOf(err),
      javascriptHeap: {
        totalMemory: u.heapTotal, executableMemory: 0, totalCommittedMemory: u.heapTotal, availableMemory: Math.max(0, u.heapLimit - u.heapUsed),
        totalGlobalHandlesMemory: 0, usedGlobalHandlesMemory: 0, usedMemory: u.heapUsed, memoryLimit: u.heapLimit, mallocedMemory: 0,
        externalMemory: u.external, peakMallocedMemory: 0, nativeContextCount: 1, detachedContextCount: 0, doesZapGarbage: 0, heapSpaces: {},
      },
      nativeStack: [],
      resourceUsage: {
        free_memory: Math.max(0, sys.totalmem - u.heapUsed - u.external), total_memory: sys.totalmem, rss, available_memory: Math.max(0, sys.totalmem - u.heapUsed - u.external),
        userCpuSeconds: cpuSeconds, kernelCpuSeconds: 0, cpuConsumptionPercent: (cpuSeconds / elapsed) * 100, userCpuConsumptionPercent: (cpuSeconds / elapsed) * 100,
        kernelCpuConsumptionPercent: 0, maxRss: rss, pageFaults: { IORequired: 0, IONotRequired: 0 }, fsActivity: { reads: 0, writes: 0 },
      },
      // The process's one thread (a VM's process has no libuv thread pool of its own).
      uvthreadResourceUsage: {
        userCpuSeconds: cpuSeconds, kernelCpuSeconds: 0, cpuConsumptionPercent: (cpuSeconds / elapsed) * 100, userCpuConsumptionPercent: (cpuSeconds / elapsed) * 100,
        kernelCpuConsumptionPercent: 0, fsActivity: { reads: 0, writes: 0 },
      },
      libuv: [],
      workers: [],
      environmentVariables: env,
      userLimits: Object.fromEntries(LIMITS.map((name) => [name, { soft: 'unlimited', hard: 'unlimited' }])),
      sharedObjects: [],
    };
  }

  const text = (report: object) => (settings.compact ? `${JSON.stringify(report)}\n` : `${JSON.stringify(report, null, 2)}\n`);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');

  return {
    getReport: (err: unknown) => JSON.stringify(build('JavaScript API', 'GetReport', null, err)),
    /** As node_report.cc names and writes it; 'stdout' and 'stderr' are the process's streams. */
    writeReport(event: string, trigger: string, file: string | undefined | null, err: unknown): string {
      const p = proc();
      const d = new Date();
      let name = file || settings.filename;
      if (!name) name = `report.${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}.${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}.${p.pid}.0.${pad(++sequence, 3)}.json`;
      const report = text(build(event, trigger, name, err));
      if (name === 'stdout' || name === 'stderr') {
        p[name].write(report);
      } else {
        const path = name.startsWith('/') ? name : `${settings.directory || p.cwd()}/${name}`;
        p.stderr.write(`\nWriting Node.js report to file: ${name}\n`);
        fs().writeFileSync(path, report);
      }
      p.stderr.write('Node.js report completed\n');
      return name;
    },
    getDirectory: () => settings.directory,
    setDirectory: (v: string) => void (settings.directory = v),
    getFilename: () => settings.filename,
    setFilename: (v: string) => void (settings.filename = v),
    getCompact: () => settings.compact,
    setCompact: (v: boolean) => void (settings.compact = v),
    getExcludeNetwork: () => settings.excludeNetwork,
    setExcludeNetwork: (v: boolean) => void (settings.excludeNetwork = v),
    getSignal: () => settings.signal,
    setSignal: (v: string) => void (settings.signal = v),
    shouldReportOnFatalError: () => settings.onFatalError,
    setReportOnFatalError: (v: boolean) => void (settings.onFatalError = v),
    shouldReportOnSignal: () => settings.onSignal,
    setReportOnSignal: (v: boolean) => void (settings.onSignal = v),
    shouldReportOnUncaughtException: () => settings.onUncaughtException,
    setReportOnUncaughtException: (v: boolean) => void (settings.onUncaughtException = v),
  };
}
