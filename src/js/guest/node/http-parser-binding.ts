/**
 * Node's `http_parser` binding (what lib/_http_common.js and _http_server.js take from
 * internalBinding) in JavaScript: http-parser-js, a parser written to this very interface,
 * given what Node 20's binding adds — numeric REQUEST/RESPONSE and kOn* slots, initialize's
 * maxHeaderSize (Node's default 16 KiB) and connections list, errors with llhttp's HPE_ codes,
 * and ConnectionsList, which the server's timeout sweep walks. Chosen over llhttp in
 * WebAssembly: guest JS has no WebAssembly (runtime.ts), and this is 16 KB of plain JS.
 */
declare function require(id: string): any;
const { HTTPParser: JsParser } = require('http-parser-js/http-parser.js');

const nodeHeaderDefault = 16 * 1024;

/** llhttp's codes for the failures http-parser-js reports by message only. */
function parseError(err: Error & { code?: string; reason?: string }): Error {
  if (err.code) return err;
  const message = err.message;
  const code = /max header size/.test(message) ? 'HPE_HEADER_OVERFLOW'
    : /invalid state for EOF/.test(message) ? 'HPE_INVALID_EOF_STATE'
      : /chunk size/i.test(message) ? 'HPE_INVALID_CHUNK_SIZE'
        : /content-length/i.test(message) ? 'HPE_UNEXPECTED_CONTENT_LENGTH'
          : /method/i.test(message) ? 'HPE_INVALID_METHOD'
            : /header/i.test(message) ? 'HPE_INVALID_HEADER_TOKEN'
              : 'HPE_INVALID_CONSTANT';
  const out = new Error('Parse Error: ' + (code === 'HPE_HEADER_OVERFLOW' ? 'Header overflow' : message)) as Error & { code?: string; reason?: string };
  out.code = code;
  out.reason = code === 'HPE_HEADER_OVERFLOW' ? 'Header overflow' : message;
  return out;
}

const kConnections = Symbol('connections');

export class HTTPParser extends JsParser {
  static REQUEST = 1;
  static RESPONSE = 2;
  static kOnMessageBegin = 0;
  static kOnHeaders = JsParser.kOnHeaders;
  static kOnHeadersComplete = JsParser.kOnHeadersComplete;
  static kOnBody = JsParser.kOnBody;
  static kOnMessageComplete = JsParser.kOnMessageComplete;
  // Reading it also switches http-parser-js to the argument list Node 0.12+ passes.
  static kOnExecute = JsParser.kOnExecute;
  static kOnTimeout = 6;
  static kLenientNone = 0;
  static kLenientHeaders = 1;
  static kLenientChunkedLength = 2;
  static kLenientKeepAlive = 4;
  static kLenientAll = 7;

  /** When the current message started (for the server's headersTimeout/requestTimeout sweep). */
  lastMessageStart = 0;
  headersDone = false;
  [kConnections]?: ConnectionsList;

  constructor() {
    super();
  }

  initialize(type: number | string, _resource?: unknown, maxHeaderSize?: number, _lenient?: number, connections?: ConnectionsList) {
    // Node passes 1 or 2; http-parser-js itself re-initializes with its own 'REQUEST' or
    // 'RESPONSE' between the messages of a keep-alive connection, keeping the size limit.
    const request = type === HTTPParser.REQUEST || type === JsParser.REQUEST;
    const reinit = typeof type === 'string';
    super.initialize(request ? JsParser.REQUEST : JsParser.RESPONSE);
    if (!reinit) this.maxHeaderSize = maxHeaderSize && maxHeaderSize > 0 ? maxHeaderSize : nodeHeaderDefault;
    this.lastMessageStart = Date.now();
    this.headersDone = false;
    if (!reinit && connections) {
      this[kConnections] = connections;
      connections.add(this);
    }
  }

  execute(chunk: Uint8Array, start?: number, length?: number) {
    if (this.state === 'REQUEST_LINE' || this.state === 'RESPONSE_LINE') {
      if (this.headersDone) { this.headersDone = false; this.lastMessageStart = Date.now(); }
    }
    const result = super.execute(chunk, start, length);
    if (this.state !== 'REQUEST_LINE' && this.state !== 'RESPONSE_LINE' && this.state !== 'HEADER') this.headersDone = true;
    return result instanceof Error ? parseError(result) : result;
  }

  /** A bad status line, worded as llhttp words it (Node's `Parse Error: <reason>`). */
  RESPONSE_LINE() {
    const from = this.offset;
    try {
      return super.RESPONSE_LINE();
    } catch (err) {
      const line = (this.chunk as Uint8Array | null) ? String.fromCharCode(...(this.chunk as Uint8Array).subarray(from, this.offset)) : '';
      const [code, reason] = /^HTTP\/\d\.\d /.test(line) ? ['HPE_INVALID_STATUS', 'Invalid status code']
        : /^HTTP\/\d\.\d/.test(line) ? ['HPE_INVALID_VERSION', 'Expected space after version'] : ['HPE_INVALID_CONSTANT', 'Expected HTTP/'];
      throw Object.assign(new Error(`Parse Error: ${reason}`), { code, reason });
    }
  }

  finish() {
    const result = super.finish();
    return result instanceof Error ? parseError(result) : result;
  }

  remove() {
    this[kConnections]?.remove(this);
  }

  close() {
    this.remove();
  }

  free() {
    this.remove();
  }

  duration() {
    return Date.now() - this.lastMessageStart;
  }

  headersCompleted() {
    return this.headersDone;
  }
}

/** The server's parsers, for its periodic check of headersTimeout and requestTimeout. */
export class ConnectionsList {
  private readonly parsers = new Set<HTTPParser>();
  add(parser: HTTPParser) { this.parsers.add(parser); }
  remove(parser: HTTPParser) { this.parsers.delete(parser); }
  all() { return [...this.parsers]; }
  idle() { return this.all().filter((p) => p.state === 'REQUEST_LINE'); }
  active() { return this.all().filter((p) => p.state !== 'REQUEST_LINE'); }
  /** Parsers past a timeout: headers incomplete after headersTimeout, or the request after requestTimeout. */
  expired(headersTimeout: number, requestTimeout: number) {
    const now = Date.now();
    const out: HTTPParser[] = [];
    for (const p of this.parsers) {
      if (p.state === 'REQUEST_LINE' && !p.headersDone) continue;
      const age = now - p.lastMessageStart;
      if ((!p.headersDone && headersTimeout > 0 && age > headersTimeout) || (requestTimeout > 0 && age > requestTimeout)) {
        out.push(p);
        this.parsers.delete(p);
      }
    }
    return out;
  }
}

// Node 20.19's llhttp also knows QUERY; the parser looks methods up in this very array.
if (!JsParser.methods.includes('QUERY')) JsParser.methods.push('QUERY');
/** The parser's method table (request lines give an index into it); http.METHODS is it sorted. */
export const methods: string[] = JsParser.methods;
export const allMethods = methods;
