/*
 * The STARTTLS certificate: the configured files, or a self-signed one generated at first
 * start and kept (key sealed) in the settings table so every node presents the same one.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Ctx } from '../context.js';
import { settingsRepo } from '../db/repos/settings.js';
import { seal, open } from '../lib/secretbox.js';
import { deriveKey } from '../lib/keys.js';

export interface TlsPair { key: string; cert: string; selfSigned: boolean }

export async function smtpTls(ctx: Ctx): Promise<TlsPair> {
  const { tlsCert, tlsKey } = ctx.config.smtp;
  if (tlsCert && tlsKey) return { cert: readFileSync(tlsCert, 'utf8'), key: readFileSync(tlsKey, 'utf8'), selfSigned: false };
  const settings = settingsRepo(ctx.db);
  const box = deriveKey(ctx.config.secret, 'secretbox');
  const stored = await settings.get<{ cert?: string; key?: string }>('smtp_tls', {});
  if (stored.cert && stored.key) return { cert: stored.cert, key: open(box, stored.key), selfSigned: true };
  const name = ctx.config.smtp.hostname || hostname();
  // Loaded only to make the certificate (once per cluster): the module costs ~7 MB of heap.
  const { generate } = await import('selfsigned');
  const pems = await generate([{ name: 'commonName', value: name }], { keySize: 2048, notAfterDate: new Date(Date.now() + 3650 * 86_400_000), algorithm: 'sha256' });
  await settings.set('smtp_tls', { cert: pems.cert, key: seal(box, pems.private) }, ctx.clock.now());
  // Another node may have stored its own at the same moment: everyone uses what is stored.
  const winner = await settings.get<{ cert?: string; key?: string }>('smtp_tls', {});
  ctx.log.child({ mod: 'smtp' }).info({ evt: 'smtp.tls_generated', cn: name }, 'generated a self-signed STARTTLS certificate (configure smtp.tlsCert/tlsKey for a real one)');
  return { cert: winner.cert!, key: open(box, winner.key!), selfSigned: true };
}
