import { nodeError } from '../node-error.js';

/**
 * internalBinding('block_list') in JavaScript: the handles Node's vendored
 * internal/socketaddress.js and internal/blocklist.js drive (Node's are C++ over
 * inet_pton/inet_ntop). An address is kept as its bytes (4 or 16), so rules compare exactly,
 * and an IPv4 address matches an IPv4-mapped IPv6 rule and back, as Node's does.
 */
export const AF_INET = 2;
export const AF_INET6 = 10;

const V4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function parse4(text: string): number[] | undefined {
  const m = V4.exec(text);
  if (!m) return undefined;
  const bytes = m.slice(1).map(Number);
  // inet_pton takes no leading zeros ("01") and no byte above 255.
  return bytes.every((b, i) => b <= 255 && String(b) === m[i + 1]) ? bytes : undefined;
}

function parse6(text: string): number[] | undefined {
  const scope = text.indexOf('%');
  if (scope >= 0) text = text.slice(0, scope);
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    const pieces = part.split(':');
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i];
      if (i === pieces.length - 1 && piece.includes('.')) {
        const v4 = parse4(piece);
        if (!v4) return undefined;
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(piece)) out.push(parseInt(piece, 16));
      else return undefined;
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !tail) return undefined;
  const fill = 8 - head.length - tail.length;
  if (halves.length === 2 ? fill < 1 : fill !== 0) return undefined;
  const words = [...head, ...new Array(fill).fill(0), ...tail];
  return words.flatMap((w) => [w >> 8, w & 255]);
}

/** inet_ntop's text for the bytes: dotted quad, or RFC 5952 IPv6 (longest zero run as ::). */
function format(bytes: number[]): string {
  if (bytes.length === 4) return bytes.join('.');
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((bytes[i] << 8) | bytes[i + 1]);
  if (words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff) return `::ffff:${bytes.slice(12).join('.')}`;
  let best = -1, bestLen = 1;
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

export class SocketAddress {
  readonly bytes: number[];
  constructor(address: string, readonly port: number, readonly family: number, private label: number) {
    const bytes = family === AF_INET ? parse4(address) : parse6(address);
    if (!bytes) throw nodeError(Error, 'ERR_INVALID_ADDRESS', 'Invalid socket address');
    this.bytes = bytes;
  }

  detail(into: Record<string, unknown>) {
    return Object.assign(into, { address: format(this.bytes), port: this.port, family: this.family, flowlabel: this.label });
  }

  flowlabel() {
    return this.label;
  }

  text() {
    return format(this.bytes);
  }
}

/** The 16-byte form of an address: IPv4 as ::ffff:a.b.c.d, so every rule compares in one space. */
const as6 = (bytes: number[]) => (bytes.length === 16 ? bytes : [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...bytes]);

function compare(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

type Rule = { text: string; matches: (bytes: number[]) => boolean };
const familyName = (addr: SocketAddress) => (addr.family === AF_INET ? 'IPv4' : 'IPv6');

export class BlockList {
  private rules: Rule[] = [];

  addAddress(addr: SocketAddress) {
    const key = as6(addr.bytes);
    this.rules.unshift({ text: `Address: ${familyName(addr)} ${addr.text()}`, matches: (b) => compare(b, key) === 0 });
  }

  addRange(start: SocketAddress, end: SocketAddress): boolean {
    const lo = as6(start.bytes), hi = as6(end.bytes);
    if (compare(lo, hi) > 0) return false;
    this.rules.unshift({ text: `Range: ${familyName(start)} ${start.text()}-${end.text()}`, matches: (b) => compare(b, lo) >= 0 && compare(b, hi) <= 0 });
    return true;
  }

  addSubnet(network: SocketAddress, prefix: number) {
    const base = as6(network.bytes);
    const bits = network.family === AF_INET ? prefix + 96 : prefix;
    const matches = (b: number[]) => {
      for (let i = 0; i < bits; i++) {
        const byte = i >> 3, mask = 0x80 >> (i & 7);
        if ((b[byte] & mask) !== (base[byte] & mask)) return false;
      }
      return true;
    };
    this.rules.unshift({ text: `Subnet: ${familyName(network)} ${network.text()}/${prefix}`, matches });
  }

  check(addr: SocketAddress): boolean {
    const bytes = as6(addr.bytes);
    return this.rules.some((rule) => rule.matches(bytes));
  }

  getRules(): string[] {
    return this.rules.map((rule) => rule.text);
  }
}
