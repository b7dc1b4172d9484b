/**
 * Real runs `jobs` at a time (`--jobs N` of `lusim suite --qemu` and `lusim fuzz --qemu`): each
 * of `jobs` runners takes the next item when it is free, so a long boot does not hold the others.
 * `each` gets the item's index, so a caller can keep results in item order whatever ends first.
 */
export async function atATime<T>(items: readonly T[], jobs: number, each: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const runner = async () => {
    for (let i = next++; i < items.length; i = next++) await each(items[i], i);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, items.length)) }, runner));
}
