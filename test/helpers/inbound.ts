/*
 * Waits for inbound mail through the API, as an outside client would: the item of a Message-ID
 * once the pipeline is done with it (processed, or failed and kept).
 */
import type { TestApp } from './app.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The `/api/v1/inbound?messageId=` item once processed or failed; throws after `tries` polls. */
export async function inboundDone(api: TestApp['api'], messageId: string, o: { tries?: number; everyMs?: number } = {}): Promise<any> {
  for (let i = 0; i < (o.tries ?? 300); i++) {
    const r = (await (await api(`/api/v1/inbound?messageId=${encodeURIComponent(messageId)}`)).json()) as { items: Array<{ state: string }> };
    if (r.items[0] && (r.items[0].state === 'processed' || r.items[0].state === 'failed')) return r.items[0];
    await sleep(o.everyMs ?? 30);
  }
  throw new Error(`${messageId} not processed`);
}
