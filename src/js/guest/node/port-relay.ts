/**
 * MessagePorts between a worker and its parent: the channel between the two processes
 * (the daemon's IPC channel) carries, besides the Worker's own messages, the messages of
 * every port transferred across it. A port sent to the other process becomes a placeholder
 * with an id on the wire and a new port there; the end that stays here talks to it through
 * a RemoteEnd with that id, and what arrives for the id goes to that end. A port moved on
 * again (to a third process, or back) is relayed by the process it passes through.
 */
import { messaging, type Peer, type Port } from './message-channel.js';
import { structuredClone } from './structured-clone.js';
import { refuseShared } from './worker-wire.js';

const PORT_TAG = '__agentos_port__';

export interface ChannelTransport {
  send(bytes: Uint8Array): void;
  /** Whether ports here that wait for messages from the other side keep this process alive. */
  ref(refed: boolean): void;
}

export interface PortEnvelope {
  t: 'port';
  /** The port it goes to on the receiving side; '' for the Worker's own channel. */
  id: string;
  d: unknown;
  ports: string[];
}

class RemoteEnd implements Peer {
  target: Peer | null = null;
  constructor(private readonly channel: PortChannel, readonly id: string) {}

  accept(value: unknown, ports: Port[]): void {
    this.channel.send(this.id, value, ports);
  }

  peerClosed(): void {
    this.channel.closeRemote(this.id);
  }

  retarget(to: Peer): void {
    this.target = to;
  }
}

export class PortChannel {
  readonly #ends = new Map<string, RemoteEnd>();
  readonly #refed = new Set<Port>();
  #mainRefed = false;
  #next = 0;
  #transportRefed = false;
  #closed = false;

  constructor(
    private readonly transport: ChannelTransport,
    private readonly encode: (envelope: PortEnvelope | { t: 'portClose'; id: string }) => Uint8Array,
    /** Ids this side makes are unique: its pid and a count. */
    private readonly prefix: string,
    private readonly onMain: (value: unknown, ports: Port[]) => void,
  ) {}

  /** A port for the Worker's own channel (the worker's parentPort). */
  mainPort(): Port {
    const end = new RemoteEnd(this, '');
    const port = messaging().portWith(end);
    messaging().setRefHook(port, (refed) => this.mainRef(refed));
    return port;
  }

  mainRef(refed: boolean): void {
    this.#mainRefed = refed;
    this.#updateRef();
  }

  /** The Worker's postMessage / parentPort's: checked, cloned and sent. */
  postMain(value: unknown, transferList: unknown): void {
    const { ports } = messaging().checkTransfer(null, transferList);
    this.send('', value, ports);
  }

  send(id: string, value: unknown, ports: Port[]): void {
    if (this.#closed) return;
    const { d, ids } = this.pack(value, ports);
    this.transport.send(this.encode({ t: 'port', id, d, ports: ids }));
  }

  /** The value as it crosses: transferred ports become placeholders, relayed from here. */
  pack(value: unknown, ports: Port[]): { d: unknown; ids: string[] } {
    const m = messaging();
    const substitutes = new Map<object, unknown>();
    const ids: string[] = [];
    // Cloned before any port moves: a value that cannot be cloned leaves every port as it was.
    for (const port of ports) {
      const id = `${this.prefix}.${++this.#next}`;
      substitutes.set(port, { [PORT_TAG]: id });
      ids.push(id);
    }
    const d = structuredClone(value, { substitutes, untransferred: m.isPort } as never);
    refuseShared(d, new Set());
    ports.forEach((port, i) => {
      const end = new RemoteEnd(this, ids[i]!);
      this.#ends.set(end.id, end);
      const peer = port.detach();
      end.target = peer;
      peer?.retarget(end);
      if (peer && m.isPort(peer)) m.setRefHook(peer, (refed) => this.#portRef(peer, refed));
    });
    return { d, ids };
  }

  /** The value with new ports for its placeholders, and those ports. */
  unpack(d: unknown, ids: string[]): { value: unknown; ports: Port[] } {
    const m = messaging();
    const byId = new Map<string, Port>();
    const ports = ids.map((id) => {
      const end = new RemoteEnd(this, id);
      this.#ends.set(id, end);
      const port = m.portWith(end);
      m.setRefHook(port, (refed) => this.#portRef(port, refed));
      byId.set(id, port);
      return port;
    });
    return { value: ids.length > 0 ? replacePlaceholders(d, byId) : d, ports };
  }

  receive(envelope: PortEnvelope | { t: 'portClose'; id: string }): void {
    if (envelope.t === 'portClose') {
      const end = this.#ends.get(envelope.id);
      this.#ends.delete(envelope.id);
      end?.target?.peerClosed();
      return;
    }
    const { value, ports } = this.unpack(envelope.d, envelope.ports);
    if (envelope.id === '') return this.onMain(value, ports);
    const target = this.#ends.get(envelope.id)?.target;
    if (!target) return;
    const m = messaging();
    if (m.isPort(target)) target.enqueue(value, ports);
    else target.accept(value, ports);
  }

  closeRemote(id: string): void {
    this.#ends.delete(id);
    if (id === '' || this.#closed) return;
    try {
      this.transport.send(this.encode({ t: 'portClose', id }));
    } catch {
      // The other side is gone already.
    }
  }

  /** The other process has ended: every port that talked to it closes. */
  closeAll(): void {
    this.#closed = true;
    const ends = [...this.#ends.values()];
    this.#ends.clear();
    for (const end of ends) end.target?.peerClosed();
    this.#refed.clear();
    this.#mainRefed = false;
    this.#updateRef();
  }

  #portRef(port: Port, refed: boolean): void {
    if (refed) this.#refed.add(port);
    else this.#refed.delete(port);
    this.#updateRef();
  }

  #updateRef(): void {
    const refed = this.#mainRefed || this.#refed.size > 0;
    if (refed === this.#transportRefed) return;
    this.#transportRefed = refed;
    try {
      this.transport.ref(refed);
    } catch {
      // The channel has ended.
    }
  }
}

function replacePlaceholders(value: unknown, byId: Map<string, Port>): unknown {
  const seen = new Set<object>();
  const swap = (v: unknown): unknown => {
    if (v === null || typeof v !== 'object') return v;
    const id = (v as Record<string, unknown>)[PORT_TAG];
    if (typeof id === 'string' && byId.has(id)) return byId.get(id);
    if (seen.has(v) || ArrayBuffer.isView(v) || v instanceof ArrayBuffer) return v;
    seen.add(v);
    if (v instanceof Map) {
      for (const [k, x] of [...v]) v.set(k, swap(x));
    } else if (v instanceof Set) {
      const items = [...v];
      v.clear();
      for (const x of items) v.add(swap(x));
    } else {
      for (const k of Object.keys(v)) (v as Record<string, unknown>)[k] = swap((v as Record<string, unknown>)[k]);
    }
    return v;
  };
  return swap(value);
}
