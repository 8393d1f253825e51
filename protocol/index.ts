export * from './errors.js';
export * from './version.js';
export * from './method.js';
export * from './lifecycle.js';
export * from './vm.js';
export * from './fs.js';
export * from './fs-bulk.js';
export * from './process.js';
export * from './sidecar.js';
export * from './host.js';
export * from './wasm.js';
export * from './snapshot.js';
import { Initialize, Shutdown, Exit } from './lifecycle.js';
import { VmCreate, VmDispose, VmFetch, VmFetchBody, VmForward, VmForwardClose, VmList, VmStats } from './vm.js';
import { FsWriteFile, FsReadFile, FsReaddir, FsStat, FsMkdir, FsRemove, FsRename, FsCopy, FsSymlink, FsReadlink, FsChmod, FsUtimes, FsTruncate } from './fs.js';
import { ProcessCloseStdin, ProcessExec, ProcessExited, ProcessKill, ProcessList, ProcessOutput, ProcessResize, ProcessSpawn, ProcessWrite } from './process.js';
import { FsExport, FsExportData, FsImport, FsWatch, FsUnwatch, FsChanged } from './fs-bulk.js';
import { HostCall, PermissionRequest } from './host.js';
import { WasmRegister, WasmWarmup } from './wasm.js';
import { SidecarPing, SidecarStats } from './sidecar.js';
import { SnapshotDispose, SnapshotExport, SnapshotExportChunk, SnapshotImport, SnapshotList, VmFork, VmSnapshotRequest } from './snapshot.js';

/** Host → sidecar requests, in the order `protocol/README.md` lists them. */
export const HostRequests = [
  Initialize, Shutdown,
  VmCreate, VmDispose, VmList, VmStats, VmFetch, VmForward, VmForwardClose,
  VmSnapshotRequest, VmFork, SnapshotDispose, SnapshotList, SnapshotExport, SnapshotImport,
  FsWriteFile, FsReadFile, FsReaddir, FsStat, FsMkdir, FsRemove,
  FsRename, FsCopy, FsSymlink, FsReadlink, FsChmod, FsUtimes, FsTruncate,
  FsExport, FsImport, FsWatch, FsUnwatch,
  ProcessExec, ProcessSpawn, ProcessWrite, ProcessCloseStdin, ProcessKill, ProcessResize, ProcessList,
  WasmRegister, WasmWarmup,
  SidecarPing, SidecarStats,
] as const;

export const HostNotifications = [Exit] as const;

/** What the sidecar sends the host unasked. */
export const SidecarRequests = [HostCall, PermissionRequest] as const;
export const SidecarNotifications = [ProcessOutput, ProcessExited, SnapshotExportChunk, FsExportData, FsChanged, VmFetchBody] as const;
