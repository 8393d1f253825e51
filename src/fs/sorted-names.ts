/** Index of the first entry whose name sorts after `name`, in entries sorted by name (binary search). */
export function firstAfterName(entries: ReadonlyArray<{ name: string }>, name: string): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (entries[mid]!.name <= name) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
