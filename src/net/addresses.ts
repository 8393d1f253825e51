import { isIP } from 'node:net';

/**
 * IP addresses as bytes, and the ranges a guest never reaches by default. Every check of
 * an address (the policy's CIDR patterns, the restricted ranges) goes through `toBytes`,
 * which folds the IPv6 forms that carry an IPv4 address (::ffff:a.b.c.d, ::a.b.c.d,
 * 64:ff9b::/96, 2002::/16) to that IPv4 address, so no spelling of 127.0.0.1 or
 * 169.254.169.254 slips past a rule written for the IPv4 form.
 */
export type AddressBytes = { readonly family: 4 | 6; readonly bytes: Uint8Array };

function parse4(text: string): Uint8Array | undefined {
  if (isIP(text) !== 4) return undefined;
  return Uint8Array.from(text.split('.').map(Number));
}

function parse6(text: string): Uint8Array | undefined {
  const bare = text.replace(/%.*$/, '');
  if (isIP(bare) !== 6) return undefined;
  let head = bare;
  let tail4: Uint8Array | undefined;
  const lastColon = bare.lastIndexOf(':');
  if (bare.slice(lastColon + 1).includes('.')) {
    tail4 = parse4(bare.slice(lastColon + 1));
    if (!tail4) return undefined;
    head = `${bare.slice(0, lastColon + 1)}0:0`;
  }
  const [left, right] = head.includes('::') ? head.split('::') : [head, undefined];
  const groups = (s: string | undefined) => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const l = groups(left);
  const r = groups(right);
  const words = right === undefined ? l : [...l, ...new Array(8 - l.length - r.length).fill(0), ...r];
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[i * 2] = w >> 8;
    out[i * 2 + 1] = w & 0xff;
  });
  if (tail4) out.set(tail4, 12);
  return out;
}

const startsWith = (b: Uint8Array, prefix: readonly number[]) => prefix.every((v, i) => b[i] === v);

/** The address's bytes as written (IPv6 stays IPv6); undefined when it is not an address. */
export function rawBytes(text: string): AddressBytes | undefined {
  const unbracketed = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const v4 = parse4(unbracketed);
  if (v4) return { family: 4, bytes: v4 };
  const v6 = parse6(unbracketed);
  return v6 ? { family: 6, bytes: v6 } : undefined;
}

/** The address's bytes, with IPv4 carried in IPv6 folded to IPv4; undefined when it is not an address. */
export function toBytes(text: string): AddressBytes | undefined {
  const raw = rawBytes(text);
  if (!raw || raw.family === 4) return raw;
  const v6 = raw.bytes;
  const zeros10 = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  // ::ffff:a.b.c.d (mapped), ::a.b.c.d (compatible, not :: or ::1), 64:ff9b::a.b.c.d (NAT64).
  if (startsWith(v6, [...zeros10, 0xff, 0xff])) return { family: 4, bytes: v6.slice(12) };
  if (startsWith(v6, [...zeros10, 0, 0]) && (v6[12]! | v6[13]!) !== 0) return { family: 4, bytes: v6.slice(12) };
  if (startsWith(v6, [0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0])) return { family: 4, bytes: v6.slice(12) };
  // 6to4: 2002:AABB:CCDD::/48 carries AA.BB.CC.DD.
  if (startsWith(v6, [0x20, 0x02])) return { family: 4, bytes: v6.slice(2, 6) };
  return { family: 6, bytes: v6 };
}

/** Whether `address` lies in `base`/`prefix` (same family). */
export function inRange(address: AddressBytes, base: AddressBytes, prefix: number): boolean {
  if (address.family !== base.family) return false;
  for (let bit = 0; bit < prefix; bit += 8) {
    const take = Math.min(8, prefix - bit);
    const mask = (0xff << (8 - take)) & 0xff;
    const i = bit / 8;
    if ((address.bytes[i]! & mask) !== (base.bytes[i]! & mask)) return false;
  }
  return true;
}

/** A CIDR `10.0.0.0/8`, `fc00::/7` (or a bare address, as /32 or /128); undefined when not one. */
export function parseRange(text: string): { base: AddressBytes; prefix: number } | undefined {
  const slash = text.lastIndexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  // Folding would turn ::ffff:0:0/96 into an IPv4 base with an IPv6 prefix: parse as written.
  const raw = rawBytes(addr);
  if (!raw) return undefined;
  const max = raw.family === 4 ? 32 : 128;
  const prefix = slash < 0 ? max : Number(text.slice(slash + 1));
  if (!/^\d{1,3}$/.test(slash < 0 ? String(max) : text.slice(slash + 1)) || prefix > max) return undefined;
  // A range over IPv4 written in IPv6 (::ffff:10.0.0.0/104) judges the folded IPv4 form.
  const folded = toBytes(addr)!;
  if (raw.family === 6 && folded.family === 4) {
    const lost = 128 - 32;
    return prefix >= lost ? { base: folded, prefix: prefix - lost } : { base: raw, prefix };
  }
  return { base: raw, prefix };
}

/** The kinds of address a guest reaches only when a rule names the address or its range. */
export type RestrictedKind = 'unspecified' | 'loopback' | 'private' | 'link-local' | 'metadata' | 'multicast' | 'reserved';

const RESTRICTED: readonly [string, RestrictedKind][] = [
  ['169.254.169.254/32', 'metadata'],
  ['fd00:ec2::254/128', 'metadata'],
  ['0.0.0.0/8', 'unspecified'],
  ['127.0.0.0/8', 'loopback'],
  ['10.0.0.0/8', 'private'],
  ['172.16.0.0/12', 'private'],
  ['192.168.0.0/16', 'private'],
  // Carrier-grade NAT space: a provider's internal network, as private as 10/8 to a guest.
  ['100.64.0.0/10', 'private'],
  ['169.254.0.0/16', 'link-local'],
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved'],
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['fc00::/7', 'private'],
  ['fe80::/10', 'link-local'],
  ['ff00::/8', 'multicast'],
];
const RESTRICTED_RANGES = RESTRICTED.map(([cidr, kind]) => ({ ...parseRange(cidr)!, kind }));

/** Why a guest may not reach `address` unless a rule names it, or undefined for a public address. */
export function restrictedKind(address: string): RestrictedKind | undefined {
  const bytes = toBytes(address);
  if (!bytes) return undefined;
  return RESTRICTED_RANGES.find((r) => inRange(bytes, r.base, r.prefix))?.kind;
}

/** The canonical text of an address (IPv4 carried in IPv6 as IPv4), for logs and policy targets. */
export function canonicalAddress(address: string): string {
  const b = toBytes(address);
  if (!b) return address;
  if (b.family === 4) return Array.from(b.bytes).join('.');
  const words = Array.from({ length: 8 }, (_, i) => ((b.bytes[i * 2]! << 8) | b.bytes[i * 2 + 1]!).toString(16));
  // The longest run of zero words becomes ::, as RFC 5952 writes it.
  let best = { at: -1, len: 0 };
  for (let i = 0; i < 8; ) {
    if (words[i] !== '0') { i++; continue; }
    let j = i;
    while (j < 8 && words[j] === '0') j++;
    if (j - i > best.len && j - i > 1) best = { at: i, len: j - i };
    i = j;
  }
  if (best.at < 0) return words.join(':');
  return `${words.slice(0, best.at).join(':')}::${words.slice(best.at + best.len).join(':')}`;
}
