import type { FsBounds } from '../fs/vfs.js';
import type { Limits } from '../limits/limits.js';

/** A VM filesystem's bounds: the daemon's path rules and sizes, with this filesystem's own quota. */
export function fsBounds(limits: Limits, quotaBytes: number, inodeLimit: number): FsBounds {
  return {
    quotaBytes,
    inodeLimit,
    pathMax: limits.FS_PATH_MAX.value,
    nameMax: limits.FS_NAME_MAX.value,
    symlinkFollowMax: limits.FS_SYMLINK_FOLLOW_MAX.value,
    pathWalkMax: limits.FS_PATH_WALK_MAX.value,
    packageJsonMaxBytes: limits.PACKAGE_JSON_MAX_BYTES.value,
    packageJsonMaxDepth: limits.PACKAGE_JSON_MAX_DEPTH.value,
    xattrValueMax: limits.FS_XATTR_VALUE_MAX_BYTES.value,
  };
}
