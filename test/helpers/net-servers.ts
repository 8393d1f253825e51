import { spawn, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A server the test started on 127.0.0.1, and how to stop it. */
export interface TestServer {
  port: number;
  close(): Promise<void>;
}

async function listening(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

function closer(server: net.Server): () => Promise<void> {
  return () => new Promise((resolve) => {
    (server as http.Server).closeAllConnections?.();
    server.close(() => resolve());
  });
}

/** What an HTTP request brought: method, path, and its body's bytes. */
export interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/**
 * HTTP on 127.0.0.1: `/bytes/N` answers N bytes (byte i = i mod 251), `/echo` answers
 * the request's body, anything else answers "METHOD URL\n". Keeps every request.
 */
export async function httpServer(): Promise<TestServer & { requests: SeenRequest[] }> {
  const requests: SeenRequest[] = [];
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const body = Buffer.concat(parts);
      requests.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      const bytes = /^\/bytes\/(\d+)$/.exec(req.url!);
      if (bytes) {
        res.setHeader('content-type', 'application/octet-stream');
        return res.end(patterned(Number(bytes[1])));
      }
      if (req.url === '/echo') return res.end(body);
      res.end(`${req.method} ${req.url}\n`);
    });
  });
  const port = await listening(server);
  return { port, requests, close: closer(server) };
}

/** N bytes, byte i = i mod 251 (no period that lines up with a buffer size). */
export function patterned(n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = i % 251;
  return b;
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A TCP echo on 127.0.0.1 that closes the connection after echoing a line `quit`, or once the client closed its side. */
export async function echoServer(): Promise<TestServer & { received: Buffer[] }> {
  const received: Buffer[] = [];
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    let text = '';
    socket.on('data', (c: Buffer) => {
      received.push(c);
      socket.write(c);
      text += c.toString('latin1');
      if (/(^|\n)quit\n$/.test(text)) socket.end();
    });
    socket.on('end', () => socket.end());
    socket.on('error', () => {});
  });
  const port = await listening(server);
  return { port, received, close: closer(server) };
}

/** A port on 127.0.0.1 where nothing listens (taken, then let go). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  const port = await listening(server);
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * A bare git repository served over smart HTTP by the host's `git http-backend`, behind
 * a small CGI bridge on node:http. Returns the files of its one commit.
 */
export async function gitServer(files: Record<string, string>): Promise<TestServer & { url: string }> {
  const root = mkdtempSync(join(tmpdir(), 'agentos-git-'));
  const work = join(root, 'work');
  mkdirSync(work);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(work, path, '..'), { recursive: true });
    writeFileSync(join(work, path), text);
  }
  const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, stdio: 'pipe', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t', GIT_AUTHOR_DATE: '2026-01-01T00:00:00Z', GIT_COMMITTER_DATE: '2026-01-01T00:00:00Z' } });
  git(work, 'init', '-q', '-b', 'main');
  git(work, 'add', '.');
  git(work, 'commit', '-qm', 'the one commit');
  git(root, 'clone', '-q', '--bare', work, 'repo.git');
  const server = http.createServer((req, res) => {
    const url = new URL(req.url!, 'http://127.0.0.1');
    const cgi = spawn('git', ['http-backend'], {
      env: { PATH: process.env.PATH, GIT_PROJECT_ROOT: root, GIT_HTTP_EXPORT_ALL: '1', PATH_INFO: url.pathname, QUERY_STRING: url.search.slice(1), REQUEST_METHOD: req.method!, CONTENT_TYPE: req.headers['content-type'] ?? '', CONTENT_LENGTH: req.headers['content-length'] ?? '' },
    });
    req.pipe(cgi.stdin);
    let head = Buffer.alloc(0);
    let started = false;
    cgi.stdout.on('data', (chunk: Buffer) => {
      if (started) return void res.write(chunk);
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      started = true;
      let status = 200;
      for (const line of head.subarray(0, end).toString().split('\r\n')) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
        else res.setHeader(name, value);
      }
      res.writeHead(status);
      res.write(head.subarray(end + 4));
    });
    cgi.stdout.on('end', () => res.end());
  });
  const port = await listening(server);
  return { port, url: `http://127.0.0.1:${port}/repo.git`, close: closer(server) };
}

/** HTTPS on 127.0.0.1 with a self-signed certificate for localhost and 127.0.0.1 (made by the host's openssl); answers "METHOD URL\n". */
export async function httpsServer(): Promise<TestServer & { cert: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'agentos-tls-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
  const cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
  const server = https.createServer({ key: readFileSync(join(dir, 'key.pem')), cert }, (req, res) => res.end(`${req.method} ${req.url}\n`));
  const port = await listening(server);
  return { port, cert, close: closer(server) };
}
