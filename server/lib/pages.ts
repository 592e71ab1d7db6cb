/*
 * Reading a large result in id order, one page at a time, so an export or a bulk action never
 * holds it whole: the caller gives the page query, this walks it. No I/O of its own.
 */

/** Every item of `fetch(after, limit)` pages, in id order, until a short page. */
export async function* byIdPages<T extends { id: number }>(fetch: (after: number, limit: number) => Promise<T[]>, size: number): AsyncGenerator<T> {
  for (let after = 0; ;) {
    const page = await fetch(after, size);
    yield* page;
    if (page.length < size) return;
    after = page[page.length - 1]!.id;
  }
}
