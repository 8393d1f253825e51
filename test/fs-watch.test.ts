import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ChangedEvent } from '../src/client/client.js';
import { eventually, rejection, startSidecar } from './helpers/sidecar.js';

const { client, logs } = await startSidecar({ env: { AGENTOS_FS_WATCH_QUEUE_MAX: '16', AGENTOS_FS_WATCHES_PER_VM: '4' } });

const events: ChangedEvent[] = [];
client.onChanged((e) => events.push(e));

/** The changes of one watch so far, as "kind path[ <- old] type". */
function seen(watchId: string): string[] {
  return events.filter((e) => e.watchId === watchId).flatMap((e) => e.changes.map((c) => `${c.kind} ${c.path}${c.oldPath ? ` <- ${c.oldPath}` : ''} ${c.type}`));
}
function notifications(watchId: string): ChangedEvent[] {
  return events.filter((e) => e.watchId === watchId);
}
/** Waits until a watch has seen `n` changes. */
async function until(watchId: string, n: number): Promise<string[]> {
  await eventually(() => seen(watchId).length >= n);
  return seen(watchId);
}

/**
 * Changes as a writer made them, across turns: a guest's calls may land in one turn of the
 * daemon or several, so a `modified` right after the `created` of the same path, in the same
 * or the next notification, is folded as the daemon folds it within one turn.
 */
function folded(list: string[]): string[] {
  const out: string[] = [];
  for (const c of list) {
    const [kind, path] = c.split(' ');
    const last = out[out.length - 1]?.split(' ');
    if (last && last[1] === path && (last[0] === 'created' || last[0] === 'modified') && kind === 'modified') continue;
    out.push(c);
  }
  return out;
}

test('the host: create, write, chmod, rename, remove, mkdir; one turn, one notification', async () => {
  const { vmId } = await client.createVm();
  await client.mkdir(vmId, '/w');
  const { watchId } = await client.watch(vmId, '/w', { recursive: true });
  await client.writeFile(vmId, '/w/a.txt', 'one');
  // fs/writeFile makes, truncates and writes in one turn: one `created`, nothing else.
  assert.equal(await until(watchId, 1), ['created /w/a.txt file']);
  await client.writeFile(vmId, '/w/a.txt', 'two');
  assert.equal((await until(watchId, 2))[1], 'modified /w/a.txt file');
  await client.chmod(vmId, '/w/a.txt', 0o600);
  await client.rename(vmId, '/w/a.txt', '/w/b.txt');
  await client.mkdir(vmId, '/w/d');
  await client.symlink(vmId, 'b.txt', '/w/d/l');
  await client.remove(vmId, '/w/b.txt');
  assert.equal(await until(watchId, 7), [
    'created /w/a.txt file', 'modified /w/a.txt file', 'modified /w/a.txt file', 'renamed /w/b.txt <- /w/a.txt file',
    'created /w/d directory', 'created /w/d/l symlink', 'deleted /w/b.txt file',
  ]);
  assert.equal(notifications(watchId).map((e) => [e.vmId, e.changes.length, e.overflow]), Array.from({ length: 7 }, () => [vmId, 1, undefined]));
  // A tree imported in one call is one turn: one notification, each entry once, in order.
  const { vmId: other } = await client.createVm();
  await client.mkdir(other, '/t/x', { recursive: true });
  for (const f of ['/t/x/1', '/t/x/2', '/t/y']) await client.writeFile(other, f, f);
  await client.importTree(vmId, '/w/imp', await client.exportTree(other, '/t'));
  await until(watchId, 12);
  assert.equal(notifications(watchId).length, 8);
  assert.equal(notifications(watchId)[7]!.changes.map((c) => `${c.kind} ${c.path} ${c.type}`), ['created /w/imp directory', 'created /w/imp/x directory', 'created /w/imp/x/1 file', 'created /w/imp/x/2 file', 'created /w/imp/y file']);
  await client.disposeVm(other);
  await client.disposeVm(vmId);
});

test('guest JS: fs calls and fs.promises, each kind of change', async () => {
  const { vmId } = await client.createVm();
  await client.mkdir(vmId, '/w');
  await client.writeFile(vmId, '/w/existing', 'x');
  const { watchId } = await client.watch(vmId, '/w');
  const r = await client.exec(vmId, 'node', ['-e', `
    const fs = require('fs');
    fs.writeFileSync('/w/g1', 'hello');
    fs.renameSync('/w/g1', '/w/g2');
    fs.mkdirSync('/w/dir');
    fs.unlinkSync('/w/g2');
  `]);
  assert.is(r.stderr, '');
  await client.exec(vmId, 'node', ['-e', `require('fs').appendFileSync('/w/existing', 'more')`]);
  await client.exec(vmId, 'node', ['-e', `require('fs').promises.rm('/w/dir', { recursive: true })`]);
  const list = folded(await until(watchId, 6));
  assert.equal(list, ['created /w/g1 file', 'renamed /w/g2 <- /w/g1 file', 'created /w/dir directory', 'deleted /w/g2 file', 'modified /w/existing file', 'deleted /w/dir directory']);
  await client.disposeVm(vmId);
});

test('a WASM shell command: redirections, mv, rm, mkdir, touch', async () => {
  const { vmId } = await client.createVm();
  await client.mkdir(vmId, '/w');
  const { watchId } = await client.watch(vmId, '/w', { recursive: true });
  // After each step, a change elsewhere that the host makes: once it is seen, every change of the step is too.
  await client.mkdir(vmId, '/marks');
  const marks = (await client.watch(vmId, '/marks')).watchId;
  const steps = ['echo hi > /w/s.txt', 'echo more >> /w/s.txt', 'mv /w/s.txt /w/t.txt', 'mkdir /w/sub', 'touch /w/sub/f', 'rm /w/t.txt'];
  const perStep: string[][] = [];
  for (const [i, step] of steps.entries()) {
    const before = seen(watchId).length;
    const r = await client.exec(vmId, 'sh', ['-c', step]);
    assert.equal([r.exitCode, r.stderr], [0, ''], step);
    await client.writeFile(vmId, `/marks/${i}`, '');
    await until(marks, i + 1);
    perStep.push(folded(seen(watchId).slice(before)));
  }
  assert.equal(perStep, [
    ['created /w/s.txt file'],
    ['modified /w/s.txt file'],
    ['renamed /w/t.txt <- /w/s.txt file'],
    ['created /w/sub directory'],
    ['created /w/sub/f file'],
    ['deleted /w/t.txt file'],
  ]);
  await client.disposeVm(vmId);
});

test('a watch without recursive sees its own entries only; a file watch sees the file', async () => {
  const { vmId } = await client.createVm();
  await client.mkdir(vmId, '/w/sub', { recursive: true });
  await client.writeFile(vmId, '/w/f', '');
  const flat = (await client.watch(vmId, '/w')).watchId;
  const file = (await client.watch(vmId, '/w/f')).watchId;
  const deep = (await client.watch(vmId, '/w', { recursive: true })).watchId;
  await client.writeFile(vmId, '/w/sub/inner', 'x');
  await client.writeFile(vmId, '/w/f', 'y');
  await until(deep, 2);
  assert.equal(seen(deep), ['created /w/sub/inner file', 'modified /w/f file']);
  assert.equal(seen(flat), ['modified /w/f file']);
  assert.equal(seen(file), ['modified /w/f file']);
  await client.disposeVm(vmId);
});

test('a queue past AGENTOS_FS_WATCH_QUEUE_MAX says overflow instead of growing', async () => {
  const { vmId } = await client.createVm();
  const { vmId: other } = await client.createVm();
  for (let i = 0; i < 40; i++) await client.writeFile(other, `/t/f${String(i).padStart(2, '0')}`, 'x');
  await client.mkdir(vmId, '/w');
  const { watchId } = await client.watch(vmId, '/w', { recursive: true });
  await client.importTree(vmId, '/w/many', await client.exportTree(other, '/t'));
  await eventually(() => notifications(watchId).length === 1);
  const [note] = notifications(watchId);
  assert.is(note!.changes.length, 16);
  assert.is(note!.overflow, true);
  assert.equal(note!.changes.slice(0, 2).map((c) => c.path), ['/w/many', '/w/many/f00']);
  const hit = await eventually(() => logs.find((l) => l.msg === 'bounded limit exhausted' && l.limit === 'fs_watch_queue_max'));
  assert.equal([hit.capacity, hit.observed], [16, 17]);
  // The next turn starts a fresh queue.
  await client.writeFile(vmId, '/w/after', '');
  await eventually(() => notifications(watchId).length === 2);
  assert.equal(notifications(watchId)[1]!.changes, [{ kind: 'created', path: '/w/after', type: 'file' }]);
  assert.is(notifications(watchId)[1]!.overflow, undefined);
  await client.disposeVm(other);
  await client.disposeVm(vmId);
});

test('fs/unwatch stops a watch; watches are bounded and end with their VM', async () => {
  const { vmId } = await client.createVm();
  await client.mkdir(vmId, '/w');
  const stopped = (await client.watch(vmId, '/w')).watchId;
  const sentinel = (await client.watch(vmId, '/w')).watchId;
  assert.equal(await client.unwatch(vmId, stopped), { removed: true });
  assert.equal(await client.unwatch(vmId, stopped), { removed: false });
  await client.writeFile(vmId, '/w/x', '');
  await until(sentinel, 1);
  assert.equal(seen(stopped), []);
  // AGENTOS_FS_WATCHES_PER_VM (4 here).
  await client.watch(vmId, '/w');
  await client.watch(vmId, '/w');
  await client.watch(vmId, '/w');
  const full = await rejection(() => client.watch(vmId, '/w'));
  assert.equal([full.code, full.data.limit, full.data.capacity], ['ERR_AGENTOS_FS_WATCH_LIMIT', 'fs_watches_per_vm', 4]);
  const missing = await rejection(() => client.watch(vmId, '/nope'));
  assert.equal([missing.code, missing.data.errno], ['ERR_AGENTOS_FS_NOT_FOUND', 'ENOENT']);
  // A guest keeps writing; once vm/dispose answers, nothing more comes for the VM.
  await client.spawn(vmId, 'node', ['-e', `let i = 0; setInterval(() => require('fs').writeFileSync('/w/tick', String(i++)), 1)`]);
  await eventually(() => seen(sentinel).some((c) => c.includes('/w/tick')));
  await client.disposeVm(vmId);
  const count = events.filter((e) => e.vmId === vmId).length;
  const { vmId: next } = await client.createVm();
  await client.mkdir(next, '/w');
  const later = (await client.watch(next, '/w')).watchId;
  await client.writeFile(next, '/w/y', '');
  await until(later, 1);
  assert.is(events.filter((e) => e.vmId === vmId).length, count);
  assert.is((await rejection(() => client.unwatch(vmId, sentinel))).code, 'ERR_AGENTOS_VM_DISPOSED');
  await client.disposeVm(next);
});

test.after(async () => {
  await client.close();
});

test.run();
