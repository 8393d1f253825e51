import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { AgentosError } from '../errors.js';
import type { NetBroker } from './broker.js';
import { NetError } from './vm-network.js';

/**
 * The host reaching a VM's guest servers: vm/fetch (an HTTP request the daemon makes over
 * an in-daemon stream to the guest listener) and vm/forward (a port on the host's 127.0.0.1
 * whose connections are piped to the guest listener). Neither gives the guest a host
 * socket; both go through the VM's own loopback table, so only that VM's listeners answer.
 */
export interface FetchRequest {
  port: number;
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: Uint8Array;
}

export interface FetchResponse {
  status: number;
  statusText: string;
  headers: IncomingHttpHeaders;
  chunks: Uint8Array[];
  bodyBytes: number;
}

function noListener(port: number, err: unknown): AgentosError {
  const why = err instanceof NetError ? err.message : String(err);
  return new AgentosError('ERR_AGENTOS_NET_REFUSED', `no guest server answers on port ${port}: ${why}`);
}

/**
 * One request to a guest server. `onChunk` gets the body as it arrives (the caller sends
 * chunks on while more come); the answer settles at the body's end, or fails after
 * `timeoutMs` or when the guest closes early.
 */
export function vmFetch(network: NetBroker, req: FetchRequest, timeoutMs: number, onChunk: (chunk: Uint8Array) => void): Promise<Omit<FetchResponse, 'chunks'>> {
  let stream;
  try {
    stream = network.connectToListener(req.port).stream;
  } catch (err) {
    return Promise.reject(noListener(req.port, err));
  }
  return new Promise((resolve, reject) => {
    let bodyBytes = 0;
    const r = httpRequest({
      method: req.method ?? 'GET',
      path: req.path ?? '/',
      headers: { host: `localhost:${req.port}`, ...req.headers },
      createConnection: () => stream as unknown as Socket,
    });
    const timer = setTimeout(() => {
      r.destroy(new AgentosError('ERR_AGENTOS_TIMEOUT', `the guest server on port ${req.port} did not answer within ${timeoutMs} ms (AGENTOS_VM_FETCH_TIMEOUT_MS)`));
    }, timeoutMs);
    r.on('error', (err) => {
      clearTimeout(timer);
      reject(err instanceof AgentosError ? err : noListener(req.port, err));
    });
    r.on('response', (res) => {
      res.on('data', (chunk: Buffer) => {
        bodyBytes += chunk.byteLength;
        onChunk(chunk);
      });
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', headers: res.headers, bodyBytes });
        stream.destroy();
      });
      res.on('error', (err) => {
        clearTimeout(timer);
        reject(noListener(req.port, err));
      });
    });
    r.end(req.body ? Buffer.from(req.body) : undefined);
  });
}

/** A VM's vm/forward ports: each a 127.0.0.1 listener on the host piping to a guest port. */
export class Forwards {
  private readonly servers = new Map<number, { server: Server; sockets: Set<Socket> }>();

  constructor(
    private readonly network: NetBroker,
    private readonly capacity: number,
    private readonly onLimit: (observed: number, capacity: number) => void,
  ) {}

  get size(): number {
    return this.servers.size;
  }

  async open(port: number): Promise<number> {
    if (this.servers.size >= this.capacity) {
      this.onLimit(this.servers.size + 1, this.capacity);
      throw new AgentosError('ERR_AGENTOS_NET_LIMIT', `this VM holds ${this.capacity} vm/forward ports (AGENTOS_NET_FORWARDS_PER_VM)`, { limit: 'net_forwards_per_vm', capacity: this.capacity, observed: this.servers.size + 1, env: 'AGENTOS_NET_FORWARDS_PER_VM' });
    }
    const sockets = new Set<Socket>();
    const server = createServer((socket) => {
      let guest;
      try {
        guest = this.network.connectToListener(port).stream;
      } catch {
        // Nothing listens there (any more): the browser sees the connection reset.
        socket.resetAndDestroy();
        return;
      }
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      socket.pipe(guest);
      guest.pipe(socket);
      socket.on('error', () => guest.destroy());
      guest.on('error', () => socket.destroy());
      socket.once('close', () => guest.destroy());
      guest.once('close', () => socket.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const hostPort = (server.address() as AddressInfo).port;
    this.servers.set(hostPort, { server, sockets });
    this.network.usage.forwards = this.servers.size;
    return hostPort;
  }

  close(hostPort: number): boolean {
    const entry = this.servers.get(hostPort);
    if (!entry) return false;
    this.servers.delete(hostPort);
    entry.server.close();
    for (const s of entry.sockets) s.destroy();
    this.network.usage.forwards = this.servers.size;
    return true;
  }

  dispose(): void {
    for (const hostPort of [...this.servers.keys()]) this.close(hostPort);
  }
}
