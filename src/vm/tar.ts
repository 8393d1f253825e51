/**
 * The tar format (POSIX ustar, with pax extended headers for names and sizes ustar cannot
 * hold), as much as snapshot archives need: headers written, and archives read back with
 * every header checksum checked and every length checked against the bytes there are.
 */
export const BLOCK = 512;
/** ustar's name and linkname fields, in bytes; longer ones go in a pax header. */
const NAME_FIELD = 100;
/** Where a header's checksum field lies (summed as spaces). */
const SUM_AT = 148;
const SUM_END = 156;

export type TarType = 'file' | 'link' | 'symlink' | 'directory';
const TYPE_FLAG: Record<TarType, string> = { file: '0', link: '1', symlink: '2', directory: '5' };
const FLAG_TYPE: Record<string, TarType> = { '0': 'file', '\0': 'file', '1': 'link', '2': 'symlink', '5': 'directory' };

export interface TarHeader {
  name: string;
  type: TarType;
  size: number;
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch. */
  mtime: number;
  linkname?: string;
}

/** Largest value an octal field of `width` bytes holds (its last byte is a terminator). */
const octalMax = (width: number): number => 8 ** (width - 1) - 1;

/** The header block(s) of one entry: a pax header first when a field does not fit ustar. */
export function tarHeader(h: TarHeader): Buffer {
  const pax: Array<[string, string]> = [];
  if (Buffer.byteLength(h.name) > NAME_FIELD) pax.push(['path', h.name]);
  if (h.linkname !== undefined && Buffer.byteLength(h.linkname) > NAME_FIELD) pax.push(['linkpath', h.linkname]);
  if (h.size > octalMax(12)) pax.push(['size', String(h.size)]);
  const main = ustar({ ...h, name: cut(h.name, NAME_FIELD), linkname: h.linkname === undefined ? undefined : cut(h.linkname, NAME_FIELD), size: h.size > octalMax(12) ? 0 : h.size });
  if (pax.length === 0) return main;
  const body = Buffer.from(pax.map(([k, v]) => paxRecord(k, v)).join(''));
  const paxHeader = ustar({ name: 'PaxHeader', type: 'file', size: body.length, mode: 0o644, uid: 0, gid: 0, mtime: h.mtime }, 'x');
  return Buffer.concat([paxHeader, body, Buffer.alloc(padding(body.length)), main]);
}

/** Zeros that bring `size` bytes to a whole block. */
export function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

/** The end-of-archive marker: two zero blocks. */
export const END = Buffer.alloc(BLOCK + BLOCK);

function ustar(h: TarHeader, flag = TYPE_FLAG[h.type]): Buffer {
  const b = Buffer.alloc(BLOCK);
  b.write(h.name, 0, 100, 'utf8');
  octal(b, 100, 8, h.mode & 0o7777);
  octal(b, 108, 8, Math.min(h.uid, octalMax(8)));
  octal(b, 116, 8, Math.min(h.gid, octalMax(8)));
  octal(b, 124, 12, h.size);
  octal(b, 136, 12, Math.max(0, Math.min(h.mtime, octalMax(12))));
  b.write(flag, 156, 1, 'latin1');
  if (h.linkname !== undefined) b.write(h.linkname, 157, 100, 'utf8');
  b.write('ustar\x0000', 257, 8, 'latin1');
  b.fill(0x20, SUM_AT, SUM_END);
  let sum = 0;
  for (const byte of b) sum += byte;
  b.write(`${sum.toString(8).padStart(6, '0')}\0 `, SUM_AT, 8, 'latin1');
  return b;
}

function octal(b: Buffer, at: number, width: number, value: number): void {
  b.write(`${Math.floor(value).toString(8).padStart(width - 1, '0')}\0`, at, width, 'latin1');
}

/** A name cut to `max` bytes without splitting a UTF-8 sequence (the pax record holds it whole). */
function cut(name: string, max: number): string {
  let out = Buffer.from(name).subarray(0, max).toString('utf8');
  while (Buffer.byteLength(out) > max) out = out.slice(0, -1);
  return out;
}

/** One pax record: "LEN key=value\n", LEN counting itself. */
function paxRecord(key: string, value: string): string {
  const rest = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(rest) + 1;
  while (String(len).length + Buffer.byteLength(rest) !== len) len++;
  return `${len}${rest}`;
}

/** Why an archive cannot be read: cut short, or not what a tar header says it is. */
export class TarError extends Error {
  constructor(
    readonly kind: 'truncated' | 'damaged',
    message: string,
  ) {
    super(message);
  }
}

export interface TarEntry extends TarHeader {
  /** The entry's bytes, a view into the archive. */
  data: Buffer;
}

/**
 * Reads the entries of a whole archive in order. Every header's checksum is checked; an
 * entry whose data runs past the end, or an archive without its end marker, is truncated.
 */
export function* readTar(archive: Buffer): Generator<TarEntry> {
  let at = 0;
  let pax: Map<string, string> | undefined;
  for (;;) {
    if (at + BLOCK > archive.length) throw new TarError('truncated', `the archive ends at byte ${archive.length}, inside or before a header (no end-of-archive marker)`);
    const block = archive.subarray(at, at + BLOCK);
    if (block.every((byte) => byte === 0)) {
      if (at + BLOCK + BLOCK > archive.length || !archive.subarray(at + BLOCK, at + 2 * BLOCK).every((byte) => byte === 0)) {
        throw new TarError('truncated', `the archive ends at byte ${archive.length} with half an end-of-archive marker`);
      }
      return;
    }
    checkSum(block, at);
    if (block.toString('latin1', 257, 262) !== 'ustar') throw new TarError('damaged', `the header at byte ${at} is not a ustar header`);
    const flag = block.toString('latin1', 156, 157);
    let size = readOctal(block, 124, 12, at);
    if (pax?.has('size')) size = paxNumber(pax.get('size')!, at);
    const start = at + BLOCK;
    if (start + size > archive.length) throw new TarError('truncated', `the entry at byte ${at} holds ${size} bytes, but the archive ends ${archive.length - start} bytes after its header`);
    const data = archive.subarray(start, start + size);
    at = start + size + padding(size);
    if (flag === 'x') {
      pax = parsePax(data, at);
      continue;
    }
    if (flag === 'g') continue;
    const type = FLAG_TYPE[flag];
    if (!type) throw new TarError('damaged', `the entry at byte ${start - BLOCK} has tar type '${flag}', which a snapshot never holds`);
    const prefix = field(block, 345, 155);
    const name = pax?.get('path') ?? (prefix ? `${prefix}/${field(block, 0, 100)}` : field(block, 0, 100));
    const linkname = pax?.get('linkpath') ?? field(block, 157, 100);
    pax = undefined;
    yield {
      name, type, size, data,
      mode: readOctal(block, 100, 8, at), uid: readOctal(block, 108, 8, at), gid: readOctal(block, 116, 8, at), mtime: readOctal(block, 136, 12, at),
      ...(type === 'link' || type === 'symlink' ? { linkname } : {}),
    };
  }
}

/** How much of a bad field an error message quotes. */
export function excerpt(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

function checkSum(block: Buffer, at: number): void {
  const stored = readOctal(block, SUM_AT, 8, at);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= SUM_AT && i < SUM_END ? 0x20 : block[i]!;
  if (sum !== stored) throw new TarError('damaged', `the header at byte ${at} fails its checksum (stored ${stored}, computed ${sum})`);
}

function field(block: Buffer, at: number, width: number): string {
  const raw = block.subarray(at, at + width);
  const end = raw.indexOf(0);
  return raw.subarray(0, end < 0 ? width : end).toString('utf8');
}

function readOctal(block: Buffer, at: number, width: number, where: number): number {
  const text = block.toString('latin1', at, at + width).replace(/[\0 ]+$/, '').replace(/^ +/, '');
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new TarError('damaged', `the header at byte ${where} holds '${text}' where a number belongs`);
  return parseInt(text, 8);
}

function paxNumber(text: string, at: number): number {
  if (!/^\d{1,15}$/.test(text)) throw new TarError('damaged', `a pax header before byte ${at} holds size '${excerpt(text)}'`);
  return Number(text);
}

function parsePax(data: Buffer, at: number): Map<string, string> {
  const out = new Map<string, string>();
  let i = 0;
  while (i < data.length) {
    const space = data.indexOf(0x20, i);
    const len = space < 0 ? NaN : Number(data.toString('latin1', i, space));
    if (!Number.isSafeInteger(len) || len <= 0 || i + len > data.length || data[i + len - 1] !== 0x0a) throw new TarError('damaged', `a pax header before byte ${at} holds a malformed record`);
    const record = data.toString('utf8', space + 1, i + len - 1);
    const eq = record.indexOf('=');
    if (eq < 0) throw new TarError('damaged', `a pax header before byte ${at} holds a record without '='`);
    out.set(record.slice(0, eq), record.slice(eq + 1));
    i += len;
  }
  return out;
}
