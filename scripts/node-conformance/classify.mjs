// Turns one test's run into an outcome (pass, fail, skip) and, for the ones that do not pass,
// a category and a one-line reason. Rules, first match wins: what the test file is about
// (inspector, network), then what the run said (a flag the guest refuses, a missing builtin,
// Node internals, a sandbox limit, the wall timeout), then "not yet implemented" with the
// first error line. Hand-written categories and reasons in the expectations file override.
import { builtinModules } from 'node:module';

export const CATEGORIES = [
  'module absent',
  'needs network',
  'needs a V8 flag or internals',
  'needs a real OS process or signal',
  'inspector',
  'by design',
  'timeout',
  'sandbox limit',
  'daemon error',
  'skipped by the test',
  'not yet implemented',
];

// node:test, node:sea and node:sqlite exist only with the prefix.
const BUILTINS = new Set([...builtinModules.flatMap((name) => [name, `node:${name}`]), 'node:test', 'node:test/reporters', 'node:sea', 'node:sqlite']);

/** Test files whose subject needs something a VM does not offer, by name. */
const NAME_RULES = [
  [/^test-(inspector|debugger)|-inspector[-.]|^test-debug-/, 'inspector'],
  [/^test-(http2?|https|net|tls|dgram|dns|tcp-wrap|socket|quic|double-tls|websocket|cluster-net|cluster-dgram|cluster-http)(-|\.)/, 'needs network'],
  [/^test-(cluster|signal|process-kill|process-euid|process-setuid|process-setgid|process-initgroups|process-setgroups|stdio-pipe|pipe|tty-wrap)(-|\.)/, 'needs a real OS process or signal'],
];

export function classify(name, run) {
  if (run.unsupportedFlag) {
    return { status: 'skip', category: 'needs a V8 flag or internals', reason: `Flags: ${run.unsupportedFlag} (the VM's node does not take it)` };
  }
  if (run.daemonError) return { status: 'fail', category: 'daemon error', reason: oneLine(run.daemonError) };
  const { exitCode, stdout = '', stderr = '', error } = run.result;
  const skipped = /^1\.\.0 # Skipped: *(.*)$/m.exec(stdout);
  if (exitCode === 0 && skipped) return { status: 'skip', category: 'skipped by the test', reason: oneLine(skipped[1] || 'skipped') };
  if (exitCode === 0 && !error) return { status: 'pass' };

  const { category, cause } = causeOfFailure(run, stderr, stdout, exitCode, error);
  for (const [pattern, named] of NAME_RULES) {
    // The category is what the file needs in the end; the reason is what stops it today.
    if (pattern.test(name)) return { status: 'fail', category: named, reason: cause };
  }
  return { status: 'fail', category, reason: cause };
}

function causeOfFailure(run, stderr, stdout, exitCode, error) {
  const first = firstError(stderr) ?? firstError(stdout) ?? `exit code ${exitCode}${run.result.signal ? ` (${run.result.signal})` : ''}`;
  if (run.timedOut || error?.code === 'ERR_AGENTOS_TIMEOUT') return { category: 'timeout', cause: `no exit within ${run.timeoutMs} ms` };
  if (error?.code) return { category: 'sandbox limit', cause: `${error.code}: ${oneLine(error.message ?? '')}` };
  const missing = missingModule(stderr);
  if (missing && /^(node:)?internal\//.test(missing)) return { category: 'needs a V8 flag or internals', cause: `require('${missing}')` };
  if (missing && BUILTINS.has(missing)) return { category: 'module absent', cause: `require('${missing.replace(/^node:(?!test|sea|sqlite)/, '')}')` };
  if (/\binternalBinding\b|\bprimordials\b|%[A-Z]\w+\(/.test(first)) return { category: 'needs a V8 flag or internals', cause: first };
  return { category: 'not yet implemented', cause: first };
}

/** The builtin a failed run could not load: the guest's ERR_UNKNOWN_BUILTIN_MODULE or Node's MODULE_NOT_FOUND. */
function missingModule(stderr) {
  return /No such built-in module: (\S+)/.exec(stderr)?.[1] ?? /Cannot find module '([^']+)'/.exec(stderr)?.[1];
}

/** The line that names the error: "TypeError: ...", "AssertionError [ERR_ASSERTION]: ...", a SyntaxError. */
function firstError(text) {
  const lines = text.split('\n');
  const line = lines.find((l) => /^\s*(Uncaught )?([A-Z]\w*)?(Error|Exception|Warning)\b( \[\w+\])?:/.test(l)) ?? lines.find((l) => /^\s*\w*Error\b/.test(l));
  return line === undefined ? undefined : oneLine(line);
}

export function oneLine(text) {
  const line = maskRunNames(String(text).replace(/\s+/g, ' ').trim());
  return line.length > 160 ? `${line.slice(0, 157)}...` : line;
}

/**
 * Names that change from run to run, masked so an unchanged failure keeps its reason and
 * --update leaves its line alone: the worker's per-test directory (worker.mjs), test/common's
 * tmpdir under it (.tmp.<thread id>) and common.PIPE's socket (node-test.<pid>.sock).
 */
export function maskRunNames(text) {
  return text
    .replace(/\/tmp\/node-test-\d+-\d+/g, '/tmp/node-test-N-N')
    .replace(/\/\.tmp\.\d+(?=\/|\b|$)/g, '/.tmp.N')
    .replace(/\bnode-test\.\d+\.sock/g, 'node-test.PID.sock');
}
