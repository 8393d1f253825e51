import { spawn } from 'node:child_process';
import { portAndLines } from './port-lines.js';

/**
 * A small TFTP server (RFC 1350: read and write requests, octet mode, 512-byte blocks, no
 * options), as JavaScript source, so the same code serves from the host (a child process
 * of the test) and from guest JS inside a VM. `serveTftp(dgram, files, log, ready, type, address)`
 * (udp4 on 127.0.0.1 unless told):
 * `files` maps a name to a Buffer; each transfer runs on a socket of its own (its TID, a
 * new port, as the RFC has it), resends after 500 ms at most 5 times and then gives up,
 * so it is bounded in time. `log` hears one line per event: `rrq NAME`, `wrq NAME`,
 * `stored NAME BASE64` once a write is complete, `error NAME CODE`.
 */
export const TFTP_SERVER_JS = String.raw`
function serveTftp(dgram, files, log, ready, type = 'udp4', address = '127.0.0.1') {
  const BLOCK = 512;
  const RESEND_MS = 500;
  const TRIES = 5;
  const main = dgram.createSocket(type);
  const packet = (op, block, data) => Buffer.concat([Buffer.from([0, op, block >> 8 & 255, block & 255]), data || Buffer.alloc(0)]);
  const error = (code, text) => Buffer.concat([Buffer.from([0, 5, 0, code]), Buffer.from(text + '\0')]);
  // One transfer: its own socket; sends 'next' and waits for the answer that 'accept' takes.
  function transfer(peer, first, onPacket) {
    const s = dgram.createSocket(type);
    let last = first;
    let tries = 0;
    let timer;
    const send = (m) => { last = m; tries = 0; s.send(m, peer.port, peer.address); arm(); };
    const arm = () => { clearTimeout(timer); timer = setTimeout(() => { if (++tries > TRIES) return done(); s.send(last, peer.port, peer.address); arm(); }, RESEND_MS); };
    const done = () => { clearTimeout(timer); s.close(); };
    s.on('message', (m, r) => {
      if (r.port !== peer.port) return void s.send(error(5, 'Unknown transfer ID'), r.port, r.address);
      onPacket(m, send, done);
    });
    s.bind(0, address, () => send(first));
  }
  main.on('message', (m, peer) => {
    const op = m.readUInt16BE(0);
    const [name, mode] = m.subarray(2).toString('latin1').split('\0');
    if (op === 1) {
      log('rrq ' + name);
      const body = files[name];
      if (!body) return void main.send(error(1, 'File not found'), peer.port, peer.address);
      const count = Math.floor(body.length / BLOCK) + 1;
      const block = (n) => packet(3, n & 0xffff, body.subarray((n - 1) * BLOCK, n * BLOCK));
      let at = 1;
      transfer(peer, block(1), (p, send, done) => {
        if (p.readUInt16BE(0) !== 4 || p.readUInt16BE(2) !== (at & 0xffff)) return;
        if (at === count) return done();
        send(block(++at));
      });
    } else if (op === 2) {
      log('wrq ' + name);
      const parts = [];
      let at = 0;
      transfer(peer, packet(4, 0), (p, send, done) => {
        if (p.readUInt16BE(0) !== 3 || p.readUInt16BE(2) !== ((at + 1) & 0xffff)) return;
        at++;
        const data = p.subarray(4);
        parts.push(data);
        send(packet(4, at));
        if (data.length < BLOCK) {
          files[name] = Buffer.concat(parts);
          log('stored ' + name + ' ' + files[name].toString('base64'));
          setTimeout(done, RESEND_MS);
        }
      });
    } else {
      log('error ' + name + ' ' + op);
      main.send(error(4, 'Illegal TFTP operation'), peer.port, peer.address);
    }
  });
  main.bind(0, address, () => ready(main.address().port));
  return main;
}
`;

export interface HostTftp {
  port: number;
  /** Every event line, in order (`rrq NAME`, `wrq NAME`, `stored NAME BASE64`, `error ...`). */
  events: string[];
  close(): void;
}

/** The server on the host's 127.0.0.1, in a child process (so a test blocking its own loop cannot starve it). */
export async function hostTftpServer(files: Record<string, Buffer>): Promise<HostTftp> {
  const encoded = Object.fromEntries(Object.entries(files).map(([k, v]) => [k, v.toString('base64')]));
  const child = spawn(process.execPath, ['-e', `${TFTP_SERVER_JS}
const files = Object.fromEntries(Object.entries(${JSON.stringify(encoded)}).map(([k, v]) => [k, Buffer.from(v, 'base64')]));
serveTftp(require('dgram'), files, (line) => console.log(line), (port) => console.log('port ' + port));
`], { stdio: ['ignore', 'pipe', 'inherit'] });
  const { port: listening, lines: events } = portAndLines(child.stdout);
  return { port: await listening, events, close: () => child.kill() };
}
