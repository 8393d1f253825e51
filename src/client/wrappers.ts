import type { HostRequests } from '../../protocol/index.js';
import type { SidecarClient } from './client.js';

export type HostRequestMethod = (typeof HostRequests)[number]['method'];

/**
 * The client's wrapper for each host request. The `satisfies` makes a method added to
 * protocol/index.ts's HostRequests without a wrapper here a compile error;
 * test/client.test.ts calls each wrapper and checks the method it sends.
 */
export const HOST_REQUEST_WRAPPERS = {
  initialize: 'initialize',
  shutdown: 'shutdown',
  'vm/create': 'createVm',
  'vm/dispose': 'disposeVm',
  'vm/list': 'listVms',
  'vm/stats': 'vmStats',
  'fs/writeFile': 'writeFile',
  'fs/readFile': 'readFile',
  'fs/readdir': 'readdir',
  'fs/stat': 'stat',
  'fs/mkdir': 'mkdir',
  'fs/remove': 'remove',
  'fs/rename': 'rename',
  'fs/copy': 'copy',
  'fs/symlink': 'symlink',
  'fs/readlink': 'readlink',
  'fs/chmod': 'chmod',
  'fs/utimes': 'utimes',
  'fs/truncate': 'truncate',
  'fs/export': 'exportTree',
  'fs/import': 'importTree',
  'fs/watch': 'watch',
  'fs/unwatch': 'unwatch',
  'process/exec': 'exec',
  'process/spawn': 'spawn',
  'process/write': 'writeStdin',
  'process/closeStdin': 'closeStdin',
  'process/kill': 'kill',
  'process/resize': 'resize',
  'process/list': 'listProcesses',
  'wasm/register': 'registerWasm',
  'wasm/warmup': 'warmupWasm',
  'sidecar/ping': 'ping',
  'sidecar/stats': 'stats',
  'vm/snapshot': 'snapshot',
  'vm/fork': 'fork',
  'snapshot/dispose': 'disposeSnapshot',
  'snapshot/list': 'listSnapshots',
  'snapshot/export': 'exportSnapshot',
  'snapshot/import': 'importSnapshot',
  'vm/fetch': 'fetchVm',
  'vm/forward': 'forwardVm',
  'vm/forwardClose': 'closeForward',
} as const satisfies Record<HostRequestMethod, keyof SidecarClient>;
