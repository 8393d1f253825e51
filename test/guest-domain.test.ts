// `domain` (Node's own lib/domain.js) and process.setUncaughtExceptionCaptureCallback: each
// script runs as main.js in a VM through the daemon and under the host's Node 20; stdout and
// the exit code must be the same, and where the process dies, the error line on stderr.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startSidecar } from './helpers/sidecar.js';
import { vmAndHost } from './helpers/vm-and-host.js';

const { client } = await startSidecar();
const { vmId } = await client.createVm({});
await client.mkdir(vmId, '/w');
const both = vmAndHost(client, vmId, 'guest-domain-');

/** The line that names an uncaught error (Node prints the source line above it, the VM does not). */
const errorLine = (stderr: string) => stderr.split('\n').find((l) => /^\w*Error\b/.test(l));

async function same(script: string, exitCode = 0): Promise<string> {
  const { vm, host } = await both(script);
  assert.is(host.exitCode, exitCode, `under the host's node: ${host.stderr}`);
  assert.is(vm.stdout, host.stdout, `stderr in the VM: ${vm.stderr}`);
  assert.is(vm.exitCode, host.exitCode);
  assert.is(errorLine(vm.stderr), errorLine(host.stderr));
  return vm.stdout;
}

// Each step throws from one kind of callback inside d.run; the handler starts the next step,
// so the order is the test's, not the event loop's.
test("errors from a timer, nextTick, an immediate, an fs callback and an emitter's 'error' reach the domain's handler", async () => {
  const out = await same(`
    const domain = require('domain');
    const EventEmitter = require('events');
    const fs = require('fs');
    const d = domain.create();
    const steps = [
      () => setTimeout(() => { throw new Error('from a timer'); }, 1),
      () => process.nextTick(() => { throw new Error('from nextTick'); }),
      () => setImmediate(() => { throw new Error('from an immediate'); }),
      () => fs.stat('/no/such/file', () => { throw new Error('from an fs callback'); }),
      () => { const ee = new EventEmitter(); console.log('emitter joined the domain', ee.domain === d); ee.emit('error', new Error('from an emitter')); },
      () => { const ee = new EventEmitter(); ee.emit('error'); },
      () => setInterval(function () { clearInterval(this); throw 'a string'; }, 1),
    ];
    d.on('error', (err) => {
      const e = typeof err === 'object' ? err : { message: err };
      console.log('caught:', e.message, 'code', e.code, 'domain', e.domain === d, 'thrown', e.domainThrown,
        'emitter', typeof e.domainEmitter, 'active', process.domain === d, domain.active === d);
      next();
    });
    function next() {
      const step = steps.shift();
      if (step) d.run(step);
      else setImmediate(() => console.log('done; active', process.domain, 'exitCode', process.exitCode));
    }
    next();
  `);
  assert.match(out, /caught: from an fs callback/);
  assert.match(out, /caught: from an emitter code undefined domain true thrown false emitter object/);
  assert.match(out, /done; active/);
});

test('nested domains: the inner handler catches first; an error it throws, or one in a domain without a handler, goes to the outer one', async () => {
  await same(`
    const domain = require('domain');
    const outer = domain.create();
    const inner = domain.create();
    const lone = domain.create();
    outer.on('error', (err) => console.log('outer caught', err.message, err.domain === outer, domain._stack.length, process.domain === outer));
    inner.on('error', (err) => {
      console.log('inner caught', err.message, err.domain === inner, domain._stack.length, process.domain === outer);
      if (err.message === 'rethrow') throw new Error('rethrown by inner');
    });
    const steps = [
      () => inner.run(() => { throw new Error('caught by inner'); }),
      () => inner.run(() => { throw new Error('rethrow'); }),
      () => lone.run(() => { throw new Error('lone has no handler'); }),
      () => setTimeout(() => { throw new Error('a timer of outer'); }, 1),
    ];
    function next() {
      const step = steps.shift();
      if (!step) return;
      setTimeout(() => {
        outer.run(() => {
          console.log('in outer', process.domain === outer, domain._stack.length);
          step();
        });
      }, 1);
      setTimeout(next, 5);
    }
    next();
    console.log('outside', process.domain);
  `);
});

test('bind and intercept: errors and arguments', async () => {
  await same(`
    const domain = require('domain');
    const d = domain.create();
    d.on('error', (err) => console.log('caught', err.message, err.domain === d, err.domainThrown, err.domainBound === fn));
    const fn = function (a, b) { console.log('intercepted got', a, b, process.domain === d); return a + b; };
    const intercepted = d.intercept(fn);
    console.log('returns', intercepted(null, 1, 2));
    intercepted(new Error('passed as first argument'), 1, 2);
    const bound = d.bind(function (x) { console.log('bound got', x, this.tag, process.domain === d, bound.domain === d); throw new Error('from bound'); });
    setTimeout(() => bound.call({ tag: 'self' }, 42), 1);
  `);
});

test('add and remove an emitter', async () => {
  await same(`
    const domain = require('domain');
    const EventEmitter = require('events');
    const d = domain.create();
    const other = domain.create();
    d.on('error', (err) => console.log('d caught', err.message, err.domainEmitter === ee, err.domain === d));
    other.on('error', (err) => console.log('other caught', err.message));
    const ee = new EventEmitter();
    console.log('before add', ee.domain);
    d.add(ee);
    console.log('members', d.members.length, ee.domain === d);
    ee.emit('error', new Error('while added'));
    ee.on('data', () => { console.log('listener in domain', process.domain === d); throw new Error('thrown by a listener'); });
    setTimeout(() => {
      ee.emit('data');
    }, 1);
    setTimeout(() => {
      other.add(ee);
      console.log('moved', ee.domain === other, d.members.length, other.members.length);
      ee.emit('error', new Error('after the move'));
      other.remove(ee);
      console.log('removed', ee.domain, other.members.length);
      try { ee.emit('error', new Error('after remove')); } catch (err) { console.log('thrown at emit', err.message); }
    }, 5);
  `);
});

test('an error with no domain handler ends the process as an uncaught exception', async () => {
  await same(`
    const domain = require('domain');
    const d = domain.create();
    process.on('exit', (code) => console.log('exit', code, process.domain));
    d.run(() => setTimeout(() => { throw new Error('nobody handles this'); }, 1));
  `, 1);
});

test("a domain's handler that throws at the top ends the process with 7; a process listener sees a domain error only when no domain handles it", async () => {
  await same(`
    const domain = require('domain');
    const d = domain.create();
    d.on('error', (err) => { console.log('handler', err.message); throw new Error('handler failed'); });
    d.run(() => setTimeout(() => { throw new Error('first'); }, 1));
  `, 7);
  await same(`
    const domain = require('domain');
    process.on('uncaughtException', (err) => console.log('process listener', err.message, domain._stack.length, process.domain));
    const d = domain.create();
    d.on('error', (err) => console.log('domain handler', err.message));
    d.run(() => setTimeout(() => { throw new Error('in a domain'); }, 1));
    setTimeout(() => { throw new Error('outside any domain'); }, 5);
  `);
});

test('setUncaughtExceptionCaptureCallback without domain: the callback takes uncaught exceptions and the exit code stays 0', async () => {
  const out = await same(`
    const seen = [];
    process.on('uncaughtException', () => console.log('listener must not run'));
    process.on('uncaughtExceptionMonitor', (err, origin) => console.log('monitor', err.message, origin));
    console.log('has', process.hasUncaughtExceptionCaptureCallback());
    const capture = (err) => { console.log('captured', err.message); };
    process.setUncaughtExceptionCaptureCallback(capture);
    console.log('has', process.hasUncaughtExceptionCaptureCallback());
    for (const bad of [() => {}, 'x', 1]) {
      try { process.setUncaughtExceptionCaptureCallback(bad); } catch (err) { console.log(err.name, err.code, err.message); }
    }
    try { require('domain'); } catch (err) { console.log(err.name, err.code, err.message); }
    // One at a time: after a tick throws, when Node runs the microtasks left is a matter of timing.
    setTimeout(() => { throw new Error('from a timer'); }, 1);
    setTimeout(() => process.nextTick(() => { throw new Error('from a tick'); }), 2);
    setTimeout(() => queueMicrotask(() => { throw new Error('from a microtask'); }), 3);
    setTimeout(() => {
      process.setUncaughtExceptionCaptureCallback(null);
      console.log('has', process.hasUncaughtExceptionCaptureCallback());
      process.setUncaughtExceptionCaptureCallback(capture);
      throw new Error('after setting it again');
    }, 4);
    process.on('exit', (code) => console.log('exit', code));
  `);
  assert.match(out, /ERR_UNCAUGHT_EXCEPTION_CAPTURE_ALREADY_SET/);
  assert.match(out, /ERR_INVALID_ARG_TYPE/);
  assert.match(out, /ERR_DOMAIN_CALLBACK_NOT_AVAILABLE/);
  assert.match(out, /exit 0\n$/);
});

test('after domain loads, setUncaughtExceptionCaptureCallback is refused; domain loads only when required', async () => {
  const out = await same(`
    const EventEmitter = require('events');
    console.log('before', process.domain, EventEmitter.usingDomains);
    const domain = require('domain');
    console.log('after', process.domain, EventEmitter.usingDomains, domain.active);
    try { process.setUncaughtExceptionCaptureCallback(() => {}); } catch (err) { console.log(err.name, err.code, err.message.split('\\n')[0]); }
  `);
  assert.match(out, /ERR_DOMAIN_CANNOT_SET_UNCAUGHT_EXCEPTION_CAPTURE/);
});

test('the VM and its daemon go on after a process died of a domain error', async () => {
  const { vm } = await both(`require('domain').create().run(() => { throw new Error('dies'); });`);
  assert.is(vm.exitCode, 1);
  const r = await client.exec(vmId, 'node', ['-e', 'console.log(typeof process.domain, process.hasUncaughtExceptionCaptureCallback())']);
  assert.is(r.stdout, 'object false\n');
  assert.is(r.exitCode, 0);
});

test.after(async () => {
  await client.close();
});
test.run();
