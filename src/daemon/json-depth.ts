/**
 * How deep a parsed JSON value nests (a scalar is 0; each object or array one level).
 * Iterative: JSON.parse accepts any depth, but the validator and JSON.stringify recurse
 * and overflow the stack on 100,000 levels, so depth is measured before either runs.
 */
export function jsonDepth(value: unknown): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth + 1 > deepest) deepest = depth + 1;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return deepest;
}
