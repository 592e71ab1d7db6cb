/*
 * What an upstream's answer means for a queue row (pure): accepted; refused for good (5xx:
 * failed, a bounce event); our account is misconfigured (auth or TLS: pause the account,
 * return the row without spending an attempt); or try again later (4xx, timeouts, network),
 * where 421 and 4.7.x "too many / rate" replies also slow the account down.
 */
export interface SendError { code?: string; responseCode?: number; response?: string; message: string }

export type Outcome =
  | { kind: 'paused'; code: number | null; text: string; reason: string }
  | { kind: 'failed'; code: number; text: string }
  | { kind: 'deferred'; code: number | null; text: string; tooMany: boolean };

const TLS_TROUBLE = /certificate|self[- ]signed|wrong version number|unable to verify|handshake/i;

export function outcomeOf(err: SendError): Outcome {
  const code = err.responseCode ?? null;
  const text = err.response ?? err.message;
  const auth = err.code === 'EAUTH' || code === 535 || code === 534 || code === 530;
  if (auth || err.code === 'ETLS' || TLS_TROUBLE.test(err.message)) {
    return { kind: 'paused', code, text, reason: `${auth ? 'authentication failed' : 'TLS problem'}: ${text}`.slice(0, 1000) };
  }
  if (code !== null && code >= 500) return { kind: 'failed', code, text };
  const tooMany = code === 421 || (code !== null && code >= 400 && /\b4\.7\.\d+/.test(text) && /too many|rate|throttl|slow down/i.test(text));
  return { kind: 'deferred', code, text, tooMany };
}

/** The upstream's own id for the accepted message, from its 250 reply, when it names one. */
export function upstreamQueueId(response: string): string | null {
  return /queued as ([^\s)]+)/i.exec(response)?.[1] ?? /\bid[= ]([A-Za-z0-9._-]+)/.exec(response)?.[1] ?? null;
}
