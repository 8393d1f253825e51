// The quick start: a host spawns the sidecar, makes a VM, writes a file into it, runs a
// guest JavaScript program that reads it, a shell pipeline of WASI commands on the same
// files, and prints what came back.
import { readFileSync } from 'node:fs';
import { WasmRegister, WasmWarmup } from '../protocol/index.js';
import { SidecarClient } from '../src/client/client.js';

const fixture = (name: string) => readFileSync(new URL(`../../test/fixtures/wasm/${name}.wasm`, import.meta.url)).toString('base64');

const sidecar = await SidecarClient.start({ clientName: 'demo' });
const info = sidecar.initializeResult!;
const commands = info.capabilities.commands;
const shown = ['node', 'sh', 'grep', 'sort', 'jq', 'sqlite3'].filter((c) => commands.includes(c));
console.log(`sidecar ${info.serverInfo.version}, protocol ${info.protocolVersion}, ${commands.length} commands (${shown.join(', ')}, …)`);

const { vmId } = await sidecar.createVm({ env: { GREETING: 'hello' } });
await sidecar.writeFile(vmId, '/home/user/data.json', JSON.stringify({ items: [3, 1, 2] }));
await sidecar.writeFile(
  vmId,
  '/home/user/sum.js',
  `const fs = require('fs');
const { items } = JSON.parse(fs.readFileSync('data.json', 'utf8'));
const total = items.reduce((a, b) => a + b, 0);
fs.writeFileSync('total.txt', String(total));
console.log(process.env.GREETING + ' from ' + process.argv[1] + ': sum =', total);`,
);

const started = performance.now();
const result = await sidecar.exec(vmId, 'node', ['sum.js']);
console.log(`exit ${result.exitCode} in ${(performance.now() - started).toFixed(1)} ms: ${result.stdout.trim()}`);
console.log(`the guest wrote total.txt = ${(await sidecar.readFile(vmId, 'total.txt')).toString()}`);

const inline = await sidecar.exec(vmId, 'node', ['-e', 'console.log([1, 2, 3].map((x) => x * 2))']);
console.log(`node -e → ${inline.stdout.trim()}`);

if (commands.includes('sh')) {
  // The agentOS command set (an optional dependency): a real shell and pipeline, every
  // stage its own WASM process, on a file guest JS wrote, with the result read back by JS.
  await sidecar.exec(vmId, 'node', ['-e', `
    const paths = ['/', '/docs', '/api', '/docs', '/api', '/docs'];
    require('fs').writeFileSync('access.log', paths.map((p, i) => 'GET ' + p + ' ' + (200 + (i % 2) * 204)).join('\\n') + '\\n');`]);
  // Each module compiles once per daemon; warming ahead keeps that off the first run.
  const warmStarted = performance.now();
  await Promise.all(['sh', 'cat', 'grep', 'cut', 'sort', 'uniq', 'head', 'seq', 'wc', 'jq'].map((name) => sidecar.request(WasmWarmup, { name })));
  console.log(`compiled sh and 9 commands once, for every VM: ${(performance.now() - warmStarted).toFixed(0)} ms`);
  const line = "cat access.log | grep GET | cut -d' ' -f2 | sort | uniq -c | sort -rn > top.txt && head -1 top.txt";
  const shellStarted = performance.now();
  const top = await sidecar.exec(vmId, 'sh', ['-c', line]);
  console.log(`sh -c "${line}" → ${top.stdout.trim()} (exit ${top.exitCode}, ${(performance.now() - shellStarted).toFixed(1)} ms)`);
  const js = await sidecar.exec(vmId, 'node', ['-e', 'console.log(require("fs").readFileSync("top.txt", "utf8").trim().split("\\n").length + " distinct paths")']);
  console.log(`guest JS reads the pipeline's output → ${js.stdout.trim()}`);
  const pipeStarted = performance.now();
  const count = await sidecar.exec(vmId, 'sh', ['-c', 'seq 1 100000 | wc -l']);
  console.log(`sh -c "seq 1 100000 | wc -l" → ${count.stdout.trim()} (${(performance.now() - pipeStarted).toFixed(1)} ms)`);
  const json = await sidecar.exec(vmId, 'sh', ['-c', `echo '{"a":[1,2]}' | jq '.a[1]'`]);
  console.log(`jq on a pipe → ${json.stdout.trim()}`);
} else {
  // Without the agentOS package: small WASI programs built from test/fixtures/wasm/src.
  for (const name of ['cat', 'wc', 'seq']) await sidecar.request(WasmRegister, { name, data: fixture(name) });
  const cat = await sidecar.exec(vmId, 'cat', ['/home/user/total.txt']);
  console.log(`wasm cat of the file the guest wrote → ${cat.stdout}`);
  const wasmStarted = performance.now();
  const seq = await sidecar.exec(vmId, 'seq', ['1', '100000']);
  const wc = await sidecar.exec(vmId, 'wc', [], { stdin: seq.stdout });
  console.log(`wasm seq 1 100000 | wc -l → ${wc.stdout.trim()} (${(performance.now() - wasmStarted).toFixed(1)} ms for both)`);
}

const runaway = await sidecar.exec(vmId, 'node', ['-e', 'while (true) {}'], { timeoutMs: 300 });
console.log(`a runaway guest is stopped: exit ${runaway.exitCode}, ${runaway.error?.code}`);

await sidecar.disposeVm(vmId);
console.log(`sidecar exited with code ${await sidecar.close()}`);
