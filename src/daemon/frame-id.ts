/**
 * The top-level `id` of a JSON-RPC message read from the first bytes of its body, for a
 * frame too large to read whole: its error answer then carries the id the host waits on.
 * Only a key of the outermost object counts (an `id` inside `params` does not); an id cut
 * off by the end of the excerpt, or none, gives null, as JSON-RPC says when the id cannot
 * be read.
 */
export function idFromExcerpt(text: string): string | number | null {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      const end = stringEnd(text, i);
      if (end < 0) return null;
      if (depth === 1) {
        const colon = skipSpace(text, end + 1);
        if (text[colon] === ':') {
          if (JSON.parse(text.slice(i, end + 1)) === 'id') return idValue(text, skipSpace(text, colon + 1));
          i = colon;
          continue;
        }
      }
      i = end;
    } else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
  }
  return null;
}

/** The index of the quote that closes the string opening at `start`, or -1 if it is cut off. */
function stringEnd(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i;
  }
  return -1;
}

function skipSpace(text: string, at: number): number {
  while (at < text.length && ' \t\r\n'.includes(text[at]!)) at++;
  return at;
}

/** An id value starting at `at`, complete (followed by a delimiter) and of a JSON-RPC id's type. */
function idValue(text: string, at: number): string | number | null {
  if (text[at] === '"') {
    const end = stringEnd(text, at);
    return end < 0 ? null : (JSON.parse(text.slice(at, end + 1)) as string);
  }
  const number = /^-?\d+(?=[\s,}])/.exec(text.slice(at, at + 32));
  return number && Number.isSafeInteger(Number(number[0])) ? Number(number[0]) : null;
}
