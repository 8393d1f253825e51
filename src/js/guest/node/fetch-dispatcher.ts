import { netHost } from './net-host.js';

/**
 * undici's global dispatcher (lib/global.js) for the guest: fetch (undici's own, as Node 20
 * bundles it) sends each request through the guest's http or https (Node's own _http_client
 * over the daemon's connections), not through undici's Client, whose parser is llhttp in
 * WebAssembly, which guest JS has not. Keep-alive agents of their own, as undici's pool.
 */
type Handler = {
  onConnect(abort: (err?: Error) => void): void;
  onResponseStarted?(): void;
  onHeaders(status: number, rawHeaders: Uint8Array[], resume: () => void, statusText: string): boolean | void;
  onData(chunk: Uint8Array): boolean | void;
  onComplete(trailers: Uint8Array[] | null): void;
  onError(err: Error): void;
};

type DispatchOptions = {
  origin: string;
  path: string;
  method: string;
  headers?: Record<string, string> | string[] | null;
  body?: AsyncIterable<Uint8Array> | Uint8Array | string | null;
  upgrade?: string;
};

const g = globalThis as unknown as Record<string, any>;
const globalDispatcher = Symbol.for('undici.globalDispatcher.1');

function rawBytes(list: string[]): Uint8Array[] {
  return list.map((s) => g.Buffer.from(s, 'latin1'));
}

class GuestHttpDispatcher {
  private agents = new Map<string, unknown>();

  private agent(protocol: string) {
    let agent = this.agents.get(protocol);
    if (!agent) {
      const mod = netHost().nodeRequire(protocol === 'https:' ? 'https' : 'http');
      agent = new mod.Agent({ keepAlive: true });
      this.agents.set(protocol, agent);
    }
    return agent;
  }

  dispatch(opts: DispatchOptions, handler: Handler): boolean {
    const url = new g.URL(opts.origin);
    if (opts.upgrade) {
      handler.onError(Object.assign(new Error('upgrade is not supported by the guest fetch'), { code: 'UND_ERR_NOT_SUPPORTED' }));
      return true;
    }
    const mod = netHost().nodeRequire(url.protocol === 'https:' ? 'https' : 'http');
    let finished = false;
    const fail = (err: Error) => {
      if (finished) return;
      finished = true;
      handler.onError(err);
    };
    let req: any;
    try {
      req = mod.request({
        protocol: url.protocol,
        hostname: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
        port: url.port || undefined,
        path: opts.path,
        method: opts.method,
        headers: opts.headers ?? {},
        agent: this.agent(url.protocol),
      });
    } catch (err) {
      fail(err as Error);
      return true;
    }
    handler.onConnect((err?: Error) => {
      req.destroy(err);
      fail(err ?? new Error('aborted'));
    });
    req.on('error', fail);
    req.on('response', (res: any) => {
      handler.onResponseStarted?.();
      res.on('error', fail);
      res.on('aborted', () => fail(Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' })));
      handler.onHeaders(res.statusCode, rawBytes(res.rawHeaders), () => res.resume(), res.statusMessage);
      res.on('data', (chunk: Uint8Array) => {
        if (handler.onData(chunk) === false) res.pause();
      });
      res.on('end', () => {
        if (finished) return;
        finished = true;
        handler.onComplete(res.rawTrailers.length ? rawBytes(res.rawTrailers) : null);
      });
    });
    void this.sendBody(req, opts.body).catch((err) => {
      req.destroy(err);
      fail(err);
    });
    return true;
  }

  private async sendBody(req: any, body: DispatchOptions['body']) {
    if (body == null) { req.end(); return; }
    if (typeof body === 'string' || body instanceof Uint8Array) { req.end(body); return; }
    for await (const chunk of body) {
      if (req.destroyed) return;
      if (!req.write(chunk)) await new Promise((resolve) => req.once('drain', resolve));
    }
    req.end();
  }

  close() {
    for (const agent of this.agents.values()) (agent as { destroy(): void }).destroy();
    this.agents.clear();
    return Promise.resolve();
  }

  destroy() {
    return this.close();
  }
}

export function setGlobalDispatcher(agent: { dispatch?: unknown }) {
  if (!agent || typeof agent.dispatch !== 'function') throw Object.assign(new Error('Argument agent must implement Agent'), { code: 'UND_ERR_INVALID_ARG' });
  Object.defineProperty(globalThis, globalDispatcher, { value: agent, writable: true, enumerable: false, configurable: false });
}

export function getGlobalDispatcher() {
  if (g[globalDispatcher as unknown as string] === undefined) setGlobalDispatcher(new GuestHttpDispatcher());
  return g[globalDispatcher as unknown as string];
}
