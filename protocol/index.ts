export * from './errors.js';
export * from './version.js';
export * from './method.js';
export * from './lifecycle.js';
export * from './vm.js';
export * from './fs.js';
export * from './process.js';
export * from './sidecar.js';
export * from './host.js';
export * from './wasm.js';
import { Initialize, Shutdown, Exit } from './lifecycle.js';
import { VmCreate, VmDispose, VmList, VmStats } from './vm.js';
import { FsWriteFile, FsReadFile, FsReaddir, FsStat, FsMkdir, FsRemove } from './fs.js';
import { ProcessCloseStdin, ProcessExec, ProcessExited, ProcessKill, ProcessOutput, ProcessSpawn, ProcessWrite } from './process.js';
import { HostCall, PermissionRequest } from './host.js';
import { WasmRegister, WasmWarmup } from './wasm.js';
import { SidecarPing, SidecarStats } from './sidecar.js';

/** Host → sidecar requests, in the order `protocol/README.md` lists them. */
export const HostRequests = [
  Initialize, Shutdown,
  VmCreate, VmDispose, VmList, VmStats,
  FsWriteFile, FsReadFile, FsReaddir, FsStat, FsMkdir, FsRemove,
  ProcessExec, ProcessSpawn, ProcessWrite, ProcessCloseStdin, ProcessKill,
  WasmRegister, WasmWarmup,
  SidecarPing, SidecarStats,
] as const;

export const HostNotifications = [Exit] as const;

/** What the sidecar sends the host unasked. */
export const SidecarRequests = [HostCall, PermissionRequest] as const;
export const SidecarNotifications = [ProcessOutput, ProcessExited] as const;
