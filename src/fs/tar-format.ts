/**
 * The tar format as POSIX pax (ustar headers, with an 'x' extended header where a field
 * does not fit or must be exact) for writing, and what GNU and BSD tar write for reading
 * (ustar, pax 'x'/'g', GNU 'L'/'K' long names, base-256 numbers). Pure functions over
 * bytes: tar-export.ts and tar-import.ts do the I/O.
 */

export const BLOCK = 512;

export type TarType = 'file' | 'directory' | 'symlink' | 'hardlink';

export interface TarEntry {
  type: TarType;
  /** Relative to the archive's root, without a trailing slash. */
  name: string;
  /** For links: what it points at (a symlink's target, or the archive name a hard link shares). */
  linkname: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtimeNs: bigint;
  atimeNs?: bigint;
  xattrs?: Map<string, Uint8Array>;
}

const TYPEFLAG: Record<TarType, string> = { file: '0', directory: '5', symlink: '2', hardlink: '1' };
const USTAR_NAME = 100;
const USTAR_PREFIX = 155;
const OCTAL_7_TOP = 0o7777777;
const OCTAL_11_TOP = 0o77777777777;
const NS = 1_000_000_000n;

/** The header blocks of one entry (a pax header first when needed); its data follows, padded by `padding`. */
export function encodeHeader(entry: TarEntry): Buffer {
  const name = entry.type === 'directory' ? `${entry.name}/` : entry.name;
  const pax: Array<[string, string | Uint8Array]> = [];
  const split = splitUstarName(name);
  if (!split) pax.push(['path', name]);
  if (Buffer.byteLength(entry.linkname) > USTAR_NAME) pax.push(['linkpath', entry.linkname]);
  if (entry.size > OCTAL_11_TOP) pax.push(['size', String(entry.size)]);
  if (entry.uid > OCTAL_7_TOP || entry.uid < 0) pax.push(['uid', String(entry.uid)]);
  if (entry.gid > OCTAL_7_TOP || entry.gid < 0) pax.push(['gid', String(entry.gid)]);
  // Times exactly: ustar holds whole seconds only.
  if (entry.mtimeNs % NS !== 0n || entry.mtimeNs < 0n || entry.mtimeNs / NS > BigInt(OCTAL_11_TOP)) pax.push(['mtime', paxTime(entry.mtimeNs)]);
  if (entry.atimeNs !== undefined) pax.push(['atime', paxTime(entry.atimeNs)]);
  for (const [key, value] of entry.xattrs ?? []) pax.push([`SCHILY.xattr.${key}`, value]);
  const header = ustarHeader(
    split ?? { prefix: '', name: `PaxHeader/${lastName(name)}`.slice(0, USTAR_NAME) },
    entry,
    TYPEFLAG[entry.type],
  );
  if (pax.length === 0) return header;
  const body = paxBody(pax);
  const paxHeader = ustarHeader({ prefix: '', name: `PaxHeaders/${lastName(name)}`.slice(0, USTAR_NAME) }, { ...entry, size: body.byteLength, type: 'file', linkname: '' }, 'x');
  return Buffer.concat([paxHeader, body, Buffer.alloc(padding(body.byteLength)), header]);
}

/** Zero bytes after `size` bytes of data, to the next block. */
export function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

/** Two zero blocks end an archive. */
export const END_OF_ARCHIVE = Buffer.alloc(2 * BLOCK);

function lastName(name: string): string {
  const parts = name.split('/').filter(Boolean);
  return parts[parts.length - 1] ?? 'x';
}

/** ustar's name/prefix split, or null when the name cannot be spelt that way. */
function splitUstarName(name: string): { prefix: string; name: string } | null {
  if (Buffer.byteLength(name) <= USTAR_NAME) return { prefix: '', name };
  for (let cut = name.indexOf('/'); cut > 0; cut = name.indexOf('/', cut + 1)) {
    const prefix = name.slice(0, cut);
    const rest = name.slice(cut + 1);
    if (Buffer.byteLength(prefix) > USTAR_PREFIX) return null;
    if (rest.length > 0 && Buffer.byteLength(rest) <= USTAR_NAME) return { prefix, name: rest };
  }
  return null;
}

function ustarHeader(names: { prefix: string; name: string }, entry: Omit<TarEntry, 'type'> & { type: TarType }, typeflag: string): Buffer {
  const h = Buffer.alloc(BLOCK);
  h.write(names.name, 0, USTAR_NAME);
  writeOctal(h, 100, 8, entry.mode & 0o7777);
  writeOctal(h, 108, 8, clamp(entry.uid, OCTAL_7_TOP));
  writeOctal(h, 116, 8, clamp(entry.gid, OCTAL_7_TOP));
  writeOctal(h, 124, 12, entry.type === 'file' || typeflag === 'x' ? Math.min(entry.size, OCTAL_11_TOP) : 0);
  writeOctal(h, 136, 12, clamp(Number(entry.mtimeNs / NS), OCTAL_11_TOP));
  h.write(typeflag, 156, 1);
  if (Buffer.byteLength(entry.linkname) <= USTAR_NAME) h.write(entry.linkname, 157, USTAR_NAME);
  h.write('ustar\0', 257, 6, 'latin1');
  h.write('00', 263, 2, 'latin1');
  h.write(names.prefix, 345, USTAR_PREFIX);
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1');
  return h;
}

function clamp(n: number, max: number): number {
  return Math.max(0, Math.min(n, max));
}

function writeOctal(h: Buffer, at: number, width: number, value: number): void {
  h.write(`${value.toString(8).padStart(width - 1, '0')}\0`, at, width, 'latin1');
}

/** Seconds with the nanoseconds as a decimal fraction, as pax times are written. */
export function paxTime(ns: bigint): string {
  const negative = ns < 0n;
  const abs = negative ? -ns : ns;
  const frac = abs % NS;
  return `${negative ? '-' : ''}${abs / NS}${frac === 0n ? '' : `.${String(frac).padStart(9, '0')}`}`;
}

export function parsePaxTime(text: string): bigint | undefined {
  const m = /^(-?)(\d{1,19})(?:\.(\d{1,9})\d*)?$/.exec(text);
  if (!m) return undefined;
  const ns = BigInt(m[2]!) * NS + BigInt((m[3] ?? '').padEnd(9, '0') || '0');
  return m[1] === '-' ? -ns : ns;
}

/** pax records: "<length> <key>=<value>\n", the length counting itself. */
function paxBody(records: Array<[string, string | Uint8Array]>): Buffer {
  const parts: Buffer[] = [];
  for (const [key, value] of records) {
    const rest = Buffer.concat([Buffer.from(` ${key}=`), Buffer.from(value), Buffer.from('\n')]);
    let length = rest.byteLength + 1;
    while (String(length).length + rest.byteLength !== length) length = String(length).length + rest.byteLength;
    parts.push(Buffer.from(String(length)), rest);
  }
  return Buffer.concat(parts);
}

/** The records of a pax body, or a reason it is malformed. */
export function parsePax(body: Uint8Array): Map<string, Buffer> | string {
  const out = new Map<string, Buffer>();
  const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  let at = 0;
  while (at < buf.byteLength) {
    if (buf[at] === 0) break; // padding some writers leave
    const space = buf.indexOf(0x20, at);
    if (space < 0 || space - at > 20) return 'a pax record has no length';
    const length = Number(buf.toString('latin1', at, space));
    if (!Number.isSafeInteger(length) || length <= space - at + 1 || at + length > buf.byteLength || buf[at + length - 1] !== 0x0a) return 'a pax record length is wrong';
    const record = buf.subarray(space + 1, at + length - 1);
    const eq = record.indexOf(0x3d);
    if (eq <= 0) return 'a pax record has no key';
    out.set(record.toString('utf8', 0, eq), Buffer.from(record.subarray(eq + 1)));
    at += length;
  }
  return out;
}

export interface RawHeader {
  name: string;
  linkname: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  typeflag: string;
}

/** One header block: null for a zero block (the end), a reason string when it is not a tar header. */
export function decodeHeader(h: Uint8Array): RawHeader | null | string {
  if (h.every((b) => b === 0)) return null;
  const buf = Buffer.from(h.buffer, h.byteOffset, BLOCK);
  const stored = readNumber(buf, 148, 8);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : buf[i]!;
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  if (stored === undefined || (stored !== unsigned && stored !== signed)) return 'a header fails its checksum (not a tar archive, or damaged)';
  const magic = buf.toString('latin1', 257, 263);
  const prefix = magic.startsWith('ustar') && magic !== 'ustar ' ? cString(buf, 345, USTAR_PREFIX) : '';
  const name = cString(buf, 0, USTAR_NAME);
  const fields = { mode: readNumber(buf, 100, 8), uid: readNumber(buf, 108, 8), gid: readNumber(buf, 116, 8), size: readNumber(buf, 124, 12), mtime: readNumber(buf, 136, 12) };
  for (const [field, value] of Object.entries(fields)) if (value === undefined) return `a header's ${field} field is not a number`;
  return {
    name: prefix ? `${prefix}/${name}` : name,
    linkname: cString(buf, 157, USTAR_NAME),
    mode: fields.mode!,
    uid: fields.uid!,
    gid: fields.gid!,
    size: fields.size!,
    mtime: fields.mtime!,
    typeflag: String.fromCharCode(buf[156]!) === '\0' ? '0' : String.fromCharCode(buf[156]!),
  };
}

function cString(buf: Buffer, at: number, width: number): string {
  const end = buf.indexOf(0, at);
  return buf.toString('utf8', at, end < 0 || end > at + width ? at + width : end);
}

/** An octal field (spaces and NULs around it), or GNU's base-256 (high bit set); undefined when neither. */
function readNumber(buf: Buffer, at: number, width: number): number | undefined {
  if (buf[at]! & 0x80) {
    if (buf[at] === 0xff) return undefined; // negative: no such size, id or time here
    let n = buf[at]! & 0x7f;
    for (let i = 1; i < width; i++) n = n * 256 + buf[at + i]!;
    return Number.isSafeInteger(n) ? n : undefined;
  }
  const text = buf.toString('latin1', at, at + width).replace(/[\0 ]+$/, '').replace(/^ +/, '');
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) return undefined;
  return parseInt(text, 8);
}
