/*
 * Retries a transaction that the database aborted to break a deadlock or a lock wait
 * (InnoDB ER_LOCK_DEADLOCK / ER_LOCK_WAIT_TIMEOUT, SQLite BUSY): the whole transaction ran
 * nothing, so running it again is safe. Three tries with a short jittered pause.
 */
const RETRYABLE = new Set(['ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT', 'SQLITE_BUSY', 'SQLITE_BUSY_SNAPSHOT']);

export function isRetryableTxError(e: unknown): boolean {
  const code = (e as { code?: string } | null)?.code;
  return typeof code === 'string' && RETRYABLE.has(code);
}

export async function withTxRetry<T>(fn: () => Promise<T>, tries = 3): Promise<T> {
  for (let i = 1; ; i++) {
    try { return await fn(); } catch (e) {
      if (i >= tries || !isRetryableTxError(e)) throw e;
      await new Promise((r) => setTimeout(r, 5 + Math.random() * 20 * i));
    }
  }
}
