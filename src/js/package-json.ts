/**
 * A package.json read during module resolution, which runs on the daemon thread: its size
 * and nesting are checked before JSON.parse builds anything (a 64 MiB file of `[` built 64M
 * arrays in the daemon's heap, on every require that looked at it). Past either bound the
 * resolution fails as Node fails on a package.json it cannot use: ERR_INVALID_PACKAGE_CONFIG.
 */
export interface PackageJsonBounds {
  /** AGENTOS_PACKAGE_JSON_MAX_BYTES */
  maxBytes: number;
  /** AGENTOS_PACKAGE_JSON_MAX_DEPTH */
  maxDepth: number;
}

export class PackageJsonLimitError extends Error {
  readonly code = 'ERR_INVALID_PACKAGE_CONFIG';
  constructor(
    path: string,
    why: string,
    readonly limit: 'package_json_max_bytes' | 'package_json_max_depth',
    readonly observed: number,
    readonly capacity: number,
  ) {
    super(`Invalid package config ${path}: ${why}`);
  }
}

const OPEN_BRACE = 0x7b, OPEN_BRACKET = 0x5b, CLOSE_BRACE = 0x7d, CLOSE_BRACKET = 0x5d, QUOTE = 0x22, BACKSLASH = 0x5c;

/** Throws when a package.json of `size` bytes is past the bound (checked before it is read). */
export function checkPackageJsonSize(path: string, size: number, bounds: PackageJsonBounds): void {
  if (size > bounds.maxBytes) {
    throw new PackageJsonLimitError(path, `${size} bytes, more than ${bounds.maxBytes} (AGENTOS_PACKAGE_JSON_MAX_BYTES)`, 'package_json_max_bytes', size, bounds.maxBytes);
  }
}

/** The parsed object, undefined when it is not JSON or not an object (as before); throws past a bound. */
export function parsePackageJson(path: string, bytes: Uint8Array, bounds: PackageJsonBounds): Record<string, unknown> | undefined {
  checkPackageJsonSize(path, bytes.byteLength, bounds);
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.byteLength; i++) {
    const b = bytes[i]!;
    if (inString) {
      if (b === BACKSLASH) i++;
      else if (b === QUOTE) inString = false;
    } else if (b === QUOTE) inString = true;
    else if (b === OPEN_BRACE || b === OPEN_BRACKET) {
      if (++depth > bounds.maxDepth) {
        throw new PackageJsonLimitError(path, `nests more than ${bounds.maxDepth} levels deep (AGENTOS_PACKAGE_JSON_MAX_DEPTH)`, 'package_json_max_depth', depth, bounds.maxDepth);
      }
    } else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) depth--;
  }
  try {
    const parsed: unknown = JSON.parse(Buffer.from(bytes).toString('utf8'));
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
