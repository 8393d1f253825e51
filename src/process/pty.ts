import type { OutputSink, StreamName } from './output.js';
import { StdinSource } from './stdin.js';

/**
 * A pseudo-terminal the daemon holds for a process/spawn with `pty`: the line discipline
 * between the host's side (the master: typed input in, what a terminal shows out) and the
 * process tree's side (the slave: its fds 0–2). The parts programs rely on, as Linux's
 * n_tty has them: canonical mode with erase, word erase, kill and EOF; echo (control
 * characters as ^X); ISIG (^C, ^\ and ^Z raise signals for the foreground job); ICRNL,
 * INLCR and IGNCR on input, OPOST/ONLCR on output; raw mode (cfmakeraw) for programs that
 * edit their own lines. Flag and control-character numbers are Linux's.
 */

// c_iflag
export const INLCR = 0o100;
export const IGNCR = 0o200;
export const ICRNL = 0o400;
export const ISTRIP = 0o40;
export const IXON = 0o2000;
export const IUTF8 = 0o40000;
const BRKINT = 0o2;
const IGNBRK = 0o1;
const PARMRK = 0o10;
// c_oflag
export const OPOST = 0o1;
export const ONLCR = 0o4;
// c_lflag
export const ISIG = 0o1;
export const ICANON = 0o2;
export const ECHO = 0o10;
export const ECHOE = 0o20;
export const ECHOK = 0o40;
export const ECHONL = 0o100;
export const NOFLSH = 0o200;
export const ECHOCTL = 0o1000;
export const ECHOKE = 0o4000;
export const IEXTEN = 0o100000;
// c_cc indices
export const VINTR = 0;
export const VQUIT = 1;
export const VERASE = 2;
export const VKILL = 3;
export const VEOF = 4;
export const VSUSP = 10;
export const VEOL = 11;
export const VREPRINT = 12;
export const VWERASE = 14;
export const VLNEXT = 15;
export const NCCS = 32;

const SIGINT = 2;
const SIGQUIT = 3;
const SIGTSTP = 20;
const SIGWINCH = 28;

export interface Termios {
  iflag: number;
  oflag: number;
  lflag: number;
  cc: number[];
}

/** What `stty sane` gives on Linux (less flow control, which nothing here needs). */
export function saneTermios(): Termios {
  const cc = new Array<number>(NCCS).fill(0);
  cc[VINTR] = 0x03;
  cc[VQUIT] = 0x1c;
  cc[VERASE] = 0x7f;
  cc[VKILL] = 0x15;
  cc[VEOF] = 0x04;
  cc[VSUSP] = 0x1a;
  cc[VREPRINT] = 0x12;
  cc[VWERASE] = 0x17;
  cc[VLNEXT] = 0x16;
  cc[6] = 1; // VMIN
  return { iflag: ICRNL | IUTF8, oflag: OPOST | ONLCR, lflag: ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN, cc };
}

/**
 * Raw mode as asked: 'cfmakeraw' as cfmakeraw(3) makes it (crossterm, brush's line
 * editor: output processing off too), 'libuv' as Node's setRawMode (uv_tty_set_mode RAW:
 * input raw, but output keeps OPOST and ONLCR, so console.log still ends lines with \r\n).
 */
export function rawTermios(t: Termios, style: RawStyle): Termios {
  if (style === 'libuv') {
    return {
      iflag: t.iflag & ~(BRKINT | ICRNL | ISTRIP | IXON),
      oflag: t.oflag | ONLCR,
      lflag: t.lflag & ~(ECHO | ICANON | IEXTEN | ISIG),
      cc: [...t.cc],
    };
  }
  return {
    iflag: t.iflag & ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON),
    oflag: t.oflag & ~OPOST,
    lflag: t.lflag & ~(ECHO | ECHONL | ICANON | ISIG | IEXTEN),
    cc: [...t.cc],
  };
}

export type RawStyle = 'cfmakeraw' | 'libuv';

export interface PtyOptions {
  cols: number;
  rows: number;
  term: string;
  /** The line being edited in canonical mode holds at most this many bytes (Linux: 4096). */
  lineMax: number;
  /** Typed input the programs have not read yet (process/write is refused past it). */
  inputMax: number;
  /** Where what the terminal shows goes (process/output). */
  master: (data: Uint8Array) => void;
  /** A signal for the foreground job (ISIG, or SIGWINCH on resize). */
  signal: (sig: number) => void;
}

/**
 * The slave's input queue: what reads on fds 0–2 get. Canonical mode queues whole lines
 * (a read returns at most one) and EOF marks (^D: a read returns 0 once); raw mode
 * queues bytes as they come.
 */
export class TtyInput extends StdinSource {
  private readonly records: Array<{ data: Uint8Array; line: boolean }> = [];
  private queued = 0;
  private hungUp = false;
  private waiting: Array<() => void> = [];
  private changeListeners: Array<() => void> = [];

  constructor(private readonly max: number) {
    super(max);
  }

  override get isClosed(): boolean {
    return this.hungUp || this.records[0]?.data.byteLength === 0;
  }

  override get buffered(): number {
    let n = 0;
    for (const r of this.records) {
      if (r.data.byteLength === 0) break;
      n += r.data.byteLength;
    }
    return n;
  }

  /** Bytes queued, EOF marks aside (the input bound). */
  get size(): number {
    return this.queued;
  }

  /** Queues a line (canonical), bytes (raw), or an EOF mark (empty `data`). */
  push(data: Uint8Array, line: boolean): boolean {
    if (this.hungUp) return false;
    if (this.queued + data.byteLength > this.max) return false;
    const last = this.records[this.records.length - 1];
    // Raw bytes join the raw bytes before them: a read takes whatever has come.
    if (!line && last && !last.line && last.data.byteLength > 0 && data.byteLength > 0) last.data = Buffer.concat([last.data, data]);
    else this.records.push({ data, line });
    this.queued += data.byteLength;
    this.notify();
    return true;
  }

  override write(data: Uint8Array): boolean {
    return this.push(data, false);
  }

  /** The terminal is gone (the host closed it, or the session ended): reads get EOF for good. */
  override close(): void {
    if (this.hungUp) return;
    this.hungUp = true;
    this.notify();
  }

  /** Drops what is queued (ISIG without NOFLSH). */
  flush(): void {
    this.records.length = 0;
    this.queued = 0;
  }

  override take(): Uint8Array {
    return this.takeUpTo(Number.MAX_SAFE_INTEGER);
  }

  /** One read: at most one line in canonical mode, never past an EOF mark; an EOF mark alone reads as 0 bytes. */
  override takeUpTo(max: number): Uint8Array {
    const head = this.records[0];
    if (!head) return new Uint8Array(0);
    if (head.data.byteLength === 0) {
      this.records.shift();
      return head.data;
    }
    const n = Math.min(max, head.data.byteLength);
    const out = head.data.subarray(0, n);
    if (n === head.data.byteLength) this.records.shift();
    else head.data = head.data.subarray(n);
    this.queued -= n;
    return out;
  }

  override ready(): Promise<void> {
    if (this.records.length > 0 || this.hungUp) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  override async readAll(): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    for (;;) {
      await this.ready();
      if (this.records.length === 0) return Buffer.concat(parts);
      const chunk = this.take();
      if (chunk.byteLength === 0) return Buffer.concat(parts);
      parts.push(chunk);
    }
  }

  override drained(): Promise<void> {
    return this.ready();
  }

  /** Every reader that listens is told (a JS process, and any more sharing the terminal). */
  override onChange(listener: () => void): void {
    this.changeListeners.push(listener);
  }

  private notify(): void {
    for (const w of this.waiting.splice(0)) w();
    for (const l of this.changeListeners) l();
  }
}

/** One pseudo-terminal: termios, the window size, the line being edited, the input queue. */
export class Pty {
  termios: Termios = saneTermios();
  cols: number;
  rows: number;
  readonly term: string;
  readonly input: TtyInput;
  /** The termios before set_raw_mode(1), put back by set_raw_mode(0). */
  private cooked: Termios | undefined;
  private line: number[] = [];
  private literalNext = false;
  /** The device name `ttyname` gives. */
  readonly name: string;
  /** The process spawned with the terminal: its session leader. */
  leaderPid = 0;
  /**
   * The first pid of the job the leader started when it last gave the terminal up from raw
   * mode (a shell leaving its line editor to run a command line): see Terminals.foreground.
   */
  jobFloorPid: number | undefined;

  constructor(private readonly o: PtyOptions, index: number) {
    this.cols = o.cols;
    this.rows = o.rows;
    this.term = o.term;
    this.name = `/dev/pts/${index}`;
    this.input = new TtyInput(o.inputMax);
  }

  get isRaw(): boolean {
    return (this.termios.lflag & ICANON) === 0;
  }

  /** set_raw_mode / Node's setRawMode: raw (see rawTermios), and back to what it was. */
  setRaw(enabled: boolean, style: RawStyle): void {
    if (enabled) {
      if (!this.cooked) this.cooked = this.termios;
      this.setTermios(rawTermios(this.cooked, style));
    } else if (this.cooked) {
      this.setTermios(this.cooked);
      this.cooked = undefined;
    }
  }

  setTermios(t: Termios): void {
    const wasCanonical = (this.termios.lflag & ICANON) !== 0;
    this.termios = { iflag: t.iflag, oflag: t.oflag, lflag: t.lflag, cc: [...t.cc] };
    // Leaving canonical mode hands the partial line over as it stands (as n_tty does).
    if (wasCanonical && (t.lflag & ICANON) === 0 && this.line.length > 0) {
      this.input.push(Uint8Array.from(this.line), false);
      this.line = [];
    }
  }

  /** process/resize: the new size, and SIGWINCH for the foreground job when it changed. */
  resize(cols: number, rows: number): void {
    if (cols === this.cols && rows === this.rows) return;
    this.cols = cols;
    this.rows = rows;
    this.o.signal(SIGWINCH);
  }

  /** What the slave writes (fds 1 and 2), as the terminal receives it. */
  readonly slaveOutput: OutputSink = {
    write: (_stream: StreamName, data: Uint8Array) => this.o.master(this.post(data)),
  };

  /** Output processing: ONLCR turns \n into \r\n when OPOST is on. */
  private post(data: Uint8Array): Uint8Array {
    const { oflag } = this.termios;
    if ((oflag & OPOST) === 0 || (oflag & ONLCR) === 0 || !data.includes(0x0a)) return data;
    const out: number[] = [];
    for (const b of data) {
      if (b === 0x0a) out.push(0x0d);
      out.push(b);
    }
    return Uint8Array.from(out);
  }

  private echo(bytes: number[]): void {
    if (bytes.length > 0) this.o.master(this.post(Uint8Array.from(bytes)));
  }

  /** A character as ECHOCTL shows it: ^X for control characters other than tab and newline. */
  private shown(c: number): number[] {
    const { lflag } = this.termios;
    if ((lflag & ECHOCTL) !== 0 && (c < 0x20 || c === 0x7f) && c !== 0x09 && c !== 0x0a) return [0x5e, c === 0x7f ? 0x3f : c + 0x40];
    return [c];
  }

  /** Columns the last character of the line took on screen (2 for ^X, 1 else; a UTF-8 sequence counts once). */
  private rubout(): number[] {
    if (this.line.length === 0) return [];
    let c = this.line.pop()!;
    // A UTF-8 character goes whole: continuation bytes, then its lead byte.
    while ((c & 0xc0) === 0x80 && this.line.length > 0) c = this.line.pop()!;
    const width = this.shown(c).length;
    const { lflag } = this.termios;
    if ((lflag & ECHO) === 0) return [];
    if ((lflag & ECHOE) === 0) return this.shown(this.termios.cc[VERASE]!);
    const out: number[] = [];
    for (let i = 0; i < width; i++) out.push(0x08, 0x20, 0x08);
    return out;
  }

  /**
   * Typed input (process/write), through the line discipline. False: the input queue is
   * full (the rest of `data` is not taken).
   */
  type(data: Uint8Array): boolean {
    for (const byte of data) if (!this.typeOne(byte)) return false;
    return true;
  }

  private typeOne(byte: number): boolean {
    const { iflag, lflag, cc } = this.termios;
    let c = byte;
    if ((iflag & ISTRIP) !== 0) c &= 0x7f;
    const echoOn = (lflag & ECHO) !== 0;
    const canonical = (lflag & ICANON) !== 0;
    if (this.literalNext) {
      this.literalNext = false;
      return this.plain(c, canonical, echoOn);
    }
    if (c === 0x0d) {
      if ((iflag & IGNCR) !== 0) return true;
      if ((iflag & ICRNL) !== 0) c = 0x0a;
    } else if (c === 0x0a && (iflag & INLCR) !== 0) c = 0x0d;
    const is = (index: number) => cc[index] !== 0 && cc[index] === c;
    if ((lflag & ISIG) !== 0) {
      const sig = is(VINTR) ? SIGINT : is(VQUIT) ? SIGQUIT : is(VSUSP) ? SIGTSTP : 0;
      if (sig) {
        if ((lflag & NOFLSH) === 0) {
          this.input.flush();
          this.line = [];
        }
        if (echoOn) this.echo(this.shown(c));
        this.o.signal(sig);
        return true;
      }
    }
    if (canonical) {
      if ((lflag & IEXTEN) !== 0 && is(VLNEXT)) {
        this.literalNext = true;
        if (echoOn && (lflag & ECHOCTL) !== 0) this.echo([0x5e, 0x08]);
        return true;
      }
      if (is(VERASE)) {
        this.echo(this.rubout());
        return true;
      }
      if ((lflag & IEXTEN) !== 0 && is(VWERASE)) {
        const out: number[] = [];
        while (this.line.length > 0 && this.line[this.line.length - 1] === 0x20) out.push(...this.rubout());
        while (this.line.length > 0 && this.line[this.line.length - 1] !== 0x20) out.push(...this.rubout());
        this.echo(out);
        return true;
      }
      if (is(VKILL)) {
        if (echoOn && (lflag & ECHOKE) === 0) {
          this.line = [];
          this.echo((lflag & ECHOK) !== 0 ? this.shown(c).concat(0x0a) : this.shown(c));
          return true;
        }
        const out: number[] = [];
        while (this.line.length > 0) out.push(...this.rubout());
        this.echo(out);
        return true;
      }
      if ((lflag & IEXTEN) !== 0 && is(VREPRINT)) {
        if (echoOn) this.echo([...this.shown(c), 0x0a, ...this.line]);
        return true;
      }
      if (is(VEOF)) {
        // The line so far is read as it stands; at the start of a line, a read returns 0.
        const ok = this.input.push(Uint8Array.from(this.line), true);
        if (ok) this.line = [];
        return ok;
      }
      if (c === 0x0a || is(VEOL)) {
        if (!this.input.push(Uint8Array.from([...this.line, c]), true)) return false;
        this.line = [];
        if (echoOn || (c === 0x0a && (lflag & ECHONL) !== 0)) this.echo(echoOn ? this.shown(c) : [c]);
        return true;
      }
    }
    return this.plain(c, canonical, echoOn);
  }

  private plain(c: number, canonical: boolean, echoOn: boolean): boolean {
    if (canonical) {
      // A full line takes no more (n_tty drops them too), but a newline still ends it.
      if (this.line.length >= this.o.lineMax - 1) return true;
      this.line.push(c);
    } else if (!this.input.push(Uint8Array.of(c), false)) return false;
    if (echoOn) this.echo(this.shown(c));
    return true;
  }

  /** The size as TIOCGWINSZ gives it. */
  get winsize(): { cols: number; rows: number } {
    return { cols: this.cols, rows: this.rows };
  }
}
