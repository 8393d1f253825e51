import type { NetActor } from './vm-network.js';
import { NetError } from './vm-network.js';
import type { CommandSockets, SocketHoldings, SockAddr } from './command-sockets.js';
import { MAX_PAYLOAD } from './udp.js';

/** What a socket call needs of the process making it. */
export interface SocketCaller {
  readonly pid: number;
  readonly command: string;
  readonly socketHoldings: SocketHoldings;
}

function int(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new NetError('EINVAL', 'socket call: not an integer');
  return value;
}

/** Host names and address literals as a guest may write them (RFC 1123 names, IPv4, IPv6). */
function host(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 253 || !/^[A-Za-z0-9._:%-]+$/.test(value)) throw new NetError('EINVAL', 'socket call: not a host');
  return value;
}

function port(value: unknown): number {
  const p = int(value);
  if (p < 0 || p > 65535) throw new NetError('EINVAL', 'socket call: not a port');
  return p;
}

function actor(proc: SocketCaller): NetActor {
  return { pid: proc.pid, command: proc.command };
}

/**
 * The synchronous host_net calls a runner makes (through the process hook), their guest
 * values checked: socket, the fd counts, bind, connect (started; the runner waits on the
 * socket's channel), accept, shutdown, names, and a UDP socket's datagrams (sendto, whose
 * send to the world ends in `netSent`; recvfrom, never blocking: the runner waits).
 */
export function socketCall(proc: SocketCaller, sockets: CommandSockets, op: string, a: unknown[]): unknown {
  switch (op) {
    case 'netSocket': {
      const handle = sockets.create(a[0] === 6 ? 6 : 4, a[1] === 'dgram' ? 'dgram' : 'stream');
      proc.socketHoldings.adopt(handle.id);
      return handle;
    }
    case 'netRef':
      if (a[1] === 1) proc.socketHoldings.take(int(a[0]));
      else proc.socketHoldings.drop(int(a[0]));
      return null;
    case 'netBind':
      sockets.bind(int(a[0]), { address: host(a[1]), port: port(a[2]), family: String(a[1]).includes(':') ? 6 : 4 });
      return null;
    case 'netConnect':
      sockets.connect(int(a[0]), { host: host(a[1]), port: port(a[2]) }, actor(proc));
      return null;
    case 'netTls':
      sockets.startTls(int(a[0]), host(a[1]), actor(proc));
      return null;
    case 'netAccept': {
      const handle = sockets.accept(int(a[0]));
      proc.socketHoldings.adopt(handle.id);
      return handle;
    }
    case 'netShutdown':
      sockets.shutdown(int(a[0]), int(a[1]));
      return null;
    case 'netName':
      return sockets.name(int(a[0]), a[1] === true);
    case 'netSendTo': {
      // [id, bytes, host | null, port]: null sends to the connected peer.
      if (!(a[1] instanceof Uint8Array)) throw new NetError('EINVAL', 'sendto: not bytes');
      if (a[1].byteLength > MAX_PAYLOAD[6]) throw new NetError('EMSGSIZE', 'sendto: longer than a datagram');
      const to = a[2] === null ? undefined : { address: host(a[2]), port: port(a[3]) };
      return sockets.datagram(int(a[0]), 'sendto').send(Buffer.from(a[1].buffer, a[1].byteOffset, a[1].byteLength), to, actor(proc));
    }
    case 'netRecvFrom': {
      // [id, capacity, peek]
      const cap = int(a[1]);
      if (cap < 0) throw new NetError('EINVAL', 'recvfrom: not a length');
      return sockets.datagram(int(a[0]), 'recvfrom').receive(cap, a[2] === true);
    }
    default:
      throw new NetError('EINVAL', `unknown socket call '${op}'`);
  }
}

/**
 * The host_net calls the daemon answers asynchronously (`block` ops): a lookup through the
 * VM's resolver, a listen, a datagram's send to the world (judged first, maybe asking the host). JSON both ways (the block hook carries text); failures as
 * their errno code.
 */
export async function socketBlockingCall(proc: SocketCaller, sockets: CommandSockets, op: 'netLookup' | 'netListen' | 'netSent', request: unknown): Promise<string> {
  try {
    const r = (typeof request === 'string' ? JSON.parse(request) : {}) as Record<string, unknown>;
    // A datagram to the world, judged and sent: its size, or why not (EPERM when the policy refuses).
    if (op === 'netSent') return JSON.stringify({ ok: await sockets.datagram(int(r.id), 'sendto').sent(int(r.ticket)) });
    if (op === 'netLookup') {
      const family = r.family === 4 || r.family === 6 ? r.family : 0;
      return JSON.stringify({ ok: await sockets.lookup(host(r.name), family, actor(proc)) });
    }
    const listening: SockAddr = await sockets.listen(int(r.id), int(r.backlog), actor(proc));
    return JSON.stringify({ ok: listening });
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    return JSON.stringify({ err: typeof code === 'string' ? code : 'EIO' });
  }
}
