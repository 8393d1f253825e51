import { createHash } from 'node:crypto';
import * as assert from 'uvu/assert';
import type { SidecarClient } from '../../src/client/client.js';

/**
 * A tree with every kind of thing a snapshot must carry, made by guest JS (files of many
 * sizes and bytes, modes, times set to the nanosecond, symlinks relative, absolute and
 * dangling, hard links, empty and deep directories, names past tar's 100 bytes) and by
 * setfattr (extended attributes). Owners are the VM user's (a guest cannot chown to others).
 */
export const BUILD_TREE = String.raw`
const fs = require('fs');
const t = '/home/user/tree';
fs.mkdirSync(t + '/deep/a/b/c/d/e', { recursive: true });
fs.mkdirSync(t + '/empty');
fs.writeFileSync(t + '/text.txt', 'hello\n');
fs.writeFileSync(t + '/empty.bin', '');
const bytes = Buffer.alloc(300000);
for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919 + (i >> 8)) & 255;
fs.writeFileSync(t + '/deep/a/b/c/d/e/bytes.bin', bytes);
fs.writeFileSync(t + '/exec.sh', '#!/bin/sh\necho hi\n', { mode: 0o750 });
fs.chmodSync(t + '/text.txt', 0o640);
fs.writeFileSync(t + '/' + 'n'.repeat(150) + '.txt', 'a long name');
fs.mkdirSync(t + '/' + 'd'.repeat(90) + '/' + 'e'.repeat(90), { recursive: true });
fs.writeFileSync(t + '/' + 'd'.repeat(90) + '/' + 'e'.repeat(90) + '/' + 'f'.repeat(90), 'a long path');
fs.writeFileSync(t + '/ünïcødé ✓.txt', 'utf8 name');
fs.symlinkSync('text.txt', t + '/rel-link');
fs.symlinkSync('/home/user/tree/deep', t + '/abs-link');
fs.symlinkSync('nowhere', t + '/dangling');
fs.linkSync(t + '/text.txt', t + '/deep/hard-link');
fs.linkSync(t + '/text.txt', t + '/hard-link-2');
fs.utimesSync(t + '/exec.sh', 1000000000.123456, 1100000000.654321);
fs.chmodSync(t + '/empty', 0o700);
fs.utimesSync(t + '/empty', 1200000000, 1200000001);
`;

/** Extended attributes set by setfattr (a WASM command), then read back by getfattr. */
export const XATTRS: Array<[string, string, string]> = [
  ['/home/user/tree/text.txt', 'user.color', 'blue'],
  ['/home/user/tree/deep', 'user.kind', 'directory attribute'],
  ['/home/user/tree/empty.bin', 'trusted.x', '0x00ff10'],
];

export interface DumpEntry {
  p: string;
  ino: string;
  atimeNs: string;
  mtimeNs: string;
  nlink: number;
  [key: string]: unknown;
}

export async function run(client: SidecarClient, vmId: string, code: string, args: string[] = []): Promise<string> {
  const r = await client.exec(vmId, 'node', ['-e', code, ...args]);
  assert.is(r.stderr, '', `guest stderr: ${r.stderr}`);
  assert.is(r.exitCode, 0);
  return r.stdout;
}

export async function buildTree(client: SidecarClient, vmId: string): Promise<void> {
  await run(client, vmId, BUILD_TREE);
  for (const [path, name, value] of XATTRS) {
    const r = await client.exec(vmId, 'setfattr', ['-n', name, '-v', value, path]);
    assert.is(r.exitCode, 0, `setfattr: ${r.stderr}`);
  }
}

/**
 * Every entry under `/` (but /usr/bin and /dev, whose entries are made when first listed,
 * so listing them would make new ones), through the host protocol: lstat of each (times in
 * ns), then the sha256 of each file. Each directory is stat'ed before it is listed, and
 * contents are read after every stat, so the dump does not see its own reads.
 */
export async function dump(client: SidecarClient, vmId: string): Promise<DumpEntry[]> {
  const out: DumpEntry[] = [];
  const files: DumpEntry[] = [];
  const links: DumpEntry[] = [];
  const walk = async (p: string): Promise<void> => {
    const s = await client.stat(vmId, p, { followSymlinks: false });
    const e: DumpEntry = { p, ...s, ino: String(s.ino) };
    out.push(e);
    if (s.type === 'symlink') links.push(e);
    else if (s.type === 'directory') {
      if (p === '/usr/bin' || p === '/dev') return;
      for (const { name } of await client.readdir(vmId, p)) await walk(p === '/' ? `/${name}` : `${p}/${name}`);
    } else files.push(e);
  };
  await walk('/');
  for (const e of files) e.sha256 = createHash('sha256').update(await client.readFile(vmId, e.p)).digest('hex');
  const targets = JSON.parse(await run(client, vmId, 'process.stdout.write(JSON.stringify(process.argv.slice(1).map((p) => require("fs").readlinkSync(p))))', links.map((e) => e.p))) as string[];
  links.forEach((e, i) => (e.target = targets[i]));
  return out;
}

/** getfattr's full listing of each attributed path (read after the dumps: a command run reads files). */
export async function xattrs(client: SidecarClient, vmId: string): Promise<string[]> {
  const out: string[] = [];
  for (const [path] of XATTRS) {
    const r = await client.exec(vmId, 'getfattr', ['-d', '-m', '.', '-e', 'hex', path]);
    assert.is(r.exitCode, 0, `getfattr: ${r.stderr}`);
    out.push(r.stdout);
  }
  return out;
}

/** The dump without inode numbers, hard links named instead by the first path of their inode. */
export function withoutInos(entries: DumpEntry[]): Array<Record<string, unknown>> {
  const first = new Map<string, string>();
  return entries.map(({ ino, ...rest }) => {
    if (!first.has(ino)) first.set(ino, rest.p);
    return { ...rest, inode: first.get(ino) };
  });
}
