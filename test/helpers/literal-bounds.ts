/**
 * Finds numeric literals in TypeScript source that act as bounds, for the limits audit.
 *
 * A literal (or a product of literals, `64 * 1024`, taken as one value) is a candidate when
 * - its value is 1024 or more (sizes, counts and times that large are bounds far more often
 *   than not), unless it is a unit factor (1000, 1024, 1024 * 1024, 1024 ** 3, 1e6, 1e9);
 * - or, whatever its value (2 and up), it stands where a bound stands: an operand of `<`,
 *   `<=`, `>`, `>=`; an argument of Math.min / Math.max / clamp; the size of
 *   `new Uint8Array(N)` (any typed array, ArrayBuffer, SharedArrayBuffer) or
 *   `Buffer.alloc(N)`; the end of `.slice(0, N)` / `.subarray(0, N)` / `.substring(0, N)`;
 *   the count of `.repeat(N)`.
 * Comments, string literals and template text are ignored; `${...}` inside templates is
 * code and is scanned.
 */
export interface LiteralHit {
  file: string;
  line: number;
  value: number;
  /** The literal as written (`64 * 1024`, `0x10000`). */
  text: string;
  why: 'large' | 'comparison' | 'min/max/clamp' | 'allocation' | 'slice' | 'repeat';
  /** The source line, trimmed, for the report and for allow-list `where` matching. */
  source: string;
}

const UNITS = new Set([1000, 1024, 1024 * 1024, 1024 ** 3, 1e6, 1e9]);

/** Blanks comments, string contents and template text (keeping `${...}` code and line breaks). */
export function codeOnly(text: string): string {
  let out = '';
  let i = 0;
  const templateDepth: number[] = [];
  let braces = 0;
  const blank = (s: string) => s.replace(/[^\n]/g, ' ');
  while (i < text.length) {
    const c = text[i]!;
    const next = text[i + 1];
    if (c === '/' && next === '/') {
      const end = text.indexOf('\n', i);
      const stop = end === -1 ? text.length : end;
      out += blank(text.slice(i, stop));
      i = stop;
    } else if (c === '/' && next === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end === -1 ? text.length : end + 2;
      out += blank(text.slice(i, stop));
      i = stop;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < text.length && text[j] !== c && text[j] !== '\n') j += text[j] === '\\' ? 2 : 1;
      out += c + blank(text.slice(i + 1, j)) + c;
      i = j + 1;
    } else if (c === '`' || (c === '}' && templateDepth.length > 0 && templateDepth[templateDepth.length - 1] === braces)) {
      // Template text up to the closing backtick or the next `${`.
      if (c === '}') templateDepth.pop();
      let j = i + 1;
      while (j < text.length && text[j] !== '`' && !(text[j] === '$' && text[j + 1] === '{')) j += text[j] === '\\' ? 2 : 1;
      out += c + blank(text.slice(i + 1, j));
      if (text[j] === '$') {
        templateDepth.push(braces);
        out += '${';
        i = j + 2;
      } else {
        out += '`';
        i = j + 1;
      }
    } else if (c === '/' && /[=(,:!&|?{};[]\s*$/.test(out.slice(-20)) && next !== '/' && next !== '*') {
      // A regular expression literal: its digits are not numbers.
      let j = i + 1;
      let inClass = false;
      while (j < text.length && text[j] !== '\n' && (inClass || text[j] !== '/')) {
        if (text[j] === '[') inClass = true;
        else if (text[j] === ']') inClass = false;
        j += text[j] === '\\' ? 2 : 1;
      }
      out += '/' + blank(text.slice(i + 1, j)) + '/';
      i = j + 1;
    } else {
      if (c === '{') braces++;
      if (c === '}') braces--;
      out += c;
      i++;
    }
  }
  return out;
}

const NUM = String.raw`(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|\d[\d_]*(?:\.\d+)?(?:[eE][+-]?\d+)?)`;
/** A literal, or literals joined by `*` or `**` (taken as one value). */
const PRODUCT = new RegExp(String.raw`(?<![\w$.])${NUM}(?:\s*\*\*?\s*${NUM})*(?![\w$])`, 'g');

function valueOf(text: string): number {
  const parts = text.split(/\s*(\*\*?)\s*/);
  let value = Number(parts[0]!.replaceAll('_', ''));
  for (let k = 1; k < parts.length; k += 2) {
    const n = Number(parts[k + 1]!.replaceAll('_', ''));
    value = parts[k] === '**' ? value ** n : value * n;
  }
  return value;
}

/** Which bound-like position (if any) the literal at `start..end` of `line` stands in. */
function position(line: string, start: number, end: number): LiteralHit['why'] | undefined {
  const before = line.slice(0, start);
  const after = line.slice(end);
  if (/(?:[^=!<>]|^)[<>]=?\s*-?\s*$/.test(before) && !/=>\s*$/.test(before)) return 'comparison';
  if (/^\s*[<>]=?(?!=)/.test(after) && !/^\s*>>/.test(after) && !/^\s*<</.test(after)) return 'comparison';
  if (/\b(?:Math\.(?:min|max)|clamp\w*)\s*\([^()]*$/.test(before)) return 'min/max/clamp';
  if (/\bnew\s+(?:(?:Ui|I)nt(?:8|16|32)(?:Clamped)?Array|Float(?:32|64)Array|Big(?:Ui|I)nt64Array|(?:Shared)?ArrayBuffer)\s*\(\s*$/.test(before) && /^\s*\)/.test(after)) return 'allocation';
  if (/\bBuffer\.alloc(?:Unsafe(?:Slow)?)?\s*\(\s*$/.test(before)) return 'allocation';
  if (/\.(?:slice|subarray|substring)\s*\(\s*0\s*,\s*$/.test(before)) return 'slice';
  if (/\.repeat\s*\(\s*$/.test(before)) return 'repeat';
  return undefined;
}

export function literalBounds(file: string, text: string): LiteralHit[] {
  const hits: LiteralHit[] = [];
  const code = codeOnly(text).split('\n');
  const lines = text.split('\n');
  code.forEach((line, index) => {
    for (const m of line.matchAll(PRODUCT)) {
      const value = valueOf(m[0]);
      if (!Number.isFinite(value)) continue;
      const at = position(line, m.index!, m.index! + m[0].length);
      const why = at && value >= 2 ? at : value >= 1024 && !UNITS.has(value) ? 'large' : undefined;
      if (why) hits.push({ file, line: index + 1, value, text: m[0], why, source: lines[index]!.trim() });
    }
  });
  return hits;
}
