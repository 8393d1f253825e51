/**
 * write's position: Node passes it on unchecked and the OS writes at the fd's own position
 * when it is not a whole number from 0 (NaN, -1, 2.5, a bigint): the same here. (Every other
 * argument of fs is checked by Node's own code: ./fs-node.ts.)
 */
export function writePosition(position: unknown): number | null {
  return typeof position === 'number' && Number.isSafeInteger(position) && position >= 0 ? position : null;
}
