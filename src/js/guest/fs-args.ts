/**
 * Node's own checks of the numbers `fs` calls take (lib/internal/validators.js), with its
 * codes and messages, so a guest sees what it would on Node 20 before a call reaches the
 * VM (where process/guest-fs.ts checks every size and offset again, for every caller).
 */
type CodedError = Error & { code: string };

function coded<E extends Error>(err: E, code: string): E & CodedError {
  (err as E & CodedError).code = code;
  return err as E & CodedError;
}

/** Node's addNumericalSeparator, for the "Received" part. */
function received(value: unknown): string {
  if (typeof value === 'number') {
    const text = String(value);
    return Number.isInteger(value) && Math.abs(value) > 2 ** 32 ? separate(text) : text;
  }
  if (typeof value === 'bigint') {
    const text = String(value);
    return `${value > 2n ** 32n || value < -(2n ** 32n) ? separate(text) : text}n`;
  }
  if (typeof value === 'string') return `type string (${JSON.stringify(value.length > 28 ? `${value.slice(0, 25)}...` : value).replace(/^"|"$/g, "'")})`;
  return value === null ? 'null' : value === undefined ? 'undefined' : `type ${typeof value}`;
}

function separate(text: string): string {
  const sign = text.startsWith('-') ? '-' : '';
  let digits = sign ? text.slice(1) : text;
  let out = '';
  for (; digits.length > 3; digits = digits.slice(0, -3)) out = `_${digits.slice(-3)}${out}`;
  return `${sign}${digits}${out}`;
}

export function outOfRange(name: string, range: string, value: unknown): RangeError {
  return coded(new RangeError(`The value of "${name}" is out of range. It must be ${range}. Received ${received(value)}`), 'ERR_OUT_OF_RANGE');
}

function notNumber(name: string, value: unknown): TypeError {
  return coded(new TypeError(`The "${name}" argument must be of type number. Received ${received(value)}`), 'ERR_INVALID_ARG_TYPE');
}

/** validateInteger(value, name, min, max): a number that is a whole number within [min, max]. */
export function integer(value: unknown, name: string, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number') throw notNumber(name, value);
  if (!Number.isInteger(value)) throw outOfRange(name, 'an integer', value);
  if (value < min || value > max) throw outOfRange(name, `>= ${min} && <= ${max}`, value);
  return value;
}

/** truncate/ftruncate's `len`: an integer; a negative one means 0, as in Node. */
export function truncateLength(len: unknown): number {
  return len === undefined ? 0 : Math.max(0, integer(len, 'len'));
}

/** read's position (validatePosition): null/-1 is the fd's own; else a whole number from -1 up. */
export function readPosition(position: unknown, length: number): number | null {
  if (position === undefined || position === null) return null;
  if (typeof position === 'bigint') {
    if (position < -1n || position > 2n ** 63n - 1n - BigInt(length)) throw outOfRange('position', `>= -1 && <= ${2n ** 63n - 1n - BigInt(length)}`, position);
    return position === -1n ? null : Number(position);
  }
  const at = integer(position, 'position', -1);
  return at === -1 ? null : at;
}

/**
 * write's position: Node passes it on unchecked and the OS writes at the fd's own position
 * when it is not a whole number from 0 (NaN, -1, 2.5, a bigint): the same here.
 */
export function writePosition(position: unknown): number | null {
  return typeof position === 'number' && Number.isSafeInteger(position) && position >= 0 ? position : null;
}

/** validateOffsetLengthRead/Write: offset and length within a buffer of `size` bytes, in Node's order. */
export function bufferRange(offset: unknown, length: unknown, size: number, reading: boolean): { offset: number; length: number } {
  const at = offset === undefined || offset === null ? 0 : integer(offset, 'offset', 0);
  if (reading) {
    const len = length === undefined || length === null ? size - at : (length as number) | 0;
    if (len < 0) throw outOfRange('length', '>= 0', len);
    if (at + len > size) throw outOfRange('length', `<= ${size - at}`, len);
    return { offset: at, length: len };
  }
  const len = typeof length === 'number' ? length : size - at;
  if (at > size) throw outOfRange('offset', `<= ${size}`, at);
  if (len > size - at) throw outOfRange('length', `<= ${size - at}`, len);
  if (len < 0) throw outOfRange('length', '>= 0', len);
  return { offset: at, length: integer(len, 'length', 0, 2 ** 31 - 1) };
}
