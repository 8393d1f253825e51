import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startSidecar } from './helpers/sidecar.js';
import { vmAndHost } from './helpers/vm-and-host.js';

const { client } = await startSidecar();
const { vmId } = await client.createVm();
await client.mkdir(vmId, '/w');
const both = vmAndHost(client, vmId, 'fs-watch-guest-');

test("fs.watch gives Node's event names and filenames, as the host's Node does on the same script", async () => {
  const script = `
    const fs = require('fs');
    fs.mkdirSync('d');
    fs.writeFileSync('d/existing', 'x');
    const seen = [];
    let waiting = null;
    const w = fs.watch('d', (type, name) => {
      seen.push(type + ':' + name);
      if (waiting && seen.filter((s) => s === waiting.event).length >= waiting.count) { const go = waiting.go; waiting = null; go(); }
    });
    const until = (event, count = 1) => new Promise((go) => {
      if (seen.filter((s) => s === event).length >= count) go(); else waiting = { event, count, go };
    });
    (async () => {
      fs.mkdirSync('d/sub'); await until('rename:sub');
      fs.appendFileSync('d/existing', 'more'); await until('change:existing');
      fs.renameSync('d/existing', 'd/moved'); await until('rename:moved');
      fs.unlinkSync('d/moved'); await until('rename:moved', 2);
      fs.writeFileSync('d/new', 'data'); await until('change:new');
      w.close();
      w.on('close', () => console.log(seen.filter((s, i) => s !== seen[i - 1]).join(' ')));
    })();
  `;
  const { vm, host } = await both(script);
  assert.is(host.stdout, 'rename:sub change:existing rename:existing rename:moved rename:new change:new\n');
  assert.equal(vm, host);
});

test.after(async () => {
  await client.close();
});

test.run();
