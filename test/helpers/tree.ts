import { createHash } from 'node:crypto';
import * as P from '../../protocol/index.js';
import type { SidecarClient } from '../../src/client/client.js';

/**
 * Everything a VM tree holds, for comparing two: per entry (relative name, depth first) its
 * type, mode, owner, size, exact times, the hash of its bytes or its link target, and which
 * earlier entry it shares an inode with (hard links). ino, ctime and birthtime are where it
 * lives, not what it is, and are left out.
 */
export async function describeTree(client: SidecarClient, vmId: string, path: string, what: { contents: boolean; atime: boolean } = { contents: true, atime: false }): Promise<string[]> {
  const out: string[] = [];
  const firstName = new Map<number, string>();
  let after: string | undefined;
  do {
    const page = await client.request(P.FsReaddir, { vmId, path, recursive: true, withStats: true, ...(after ? { after } : {}) });
    for (const e of page.entries) {
      const st = e.stat!;
      const full = `${path}/${e.name}`;
      let described = '';
      // Reading a file sets its atime: a tree is described by its stats alone (atimes), or with its bytes (no atimes).
      if (e.type === 'file' && what.contents) described = createHash('sha256').update(await client.readFile(vmId, full)).digest('hex').slice(0, 16);
      if (e.type === 'symlink') described = `-> ${await client.readlink(vmId, full)}`;
      const shared = st.nlink > 1 && e.type === 'file' ? firstName.get(st.ino) : undefined;
      if (st.nlink > 1 && e.type === 'file' && !shared) firstName.set(st.ino, e.name);
      const atime = e.type === 'symlink' || !what.atime ? '' : ` a=${st.atimeNs}`;
      out.push(`${e.name} ${e.type} ${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid} ${e.type === 'directory' ? '' : st.size} m=${st.mtimeNs}${atime} n=${st.nlink}${shared ? ` =${shared}` : ''} ${described}`);
    }
    after = page.next;
  } while (after);
  return out;
}
