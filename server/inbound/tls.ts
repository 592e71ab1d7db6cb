/*
 * The STARTTLS certificate: the configured files, or a self-signed one generated at first
 * start and kept (key sealed) in the settings table so every node presents the same one.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { execFile } from 'node:child_process';
import type { Ctx } from '../context.js';
import { settingsRepo } from '../db/repos/settings.js';
import { seal, open } from '../lib/secretbox.js';
import { deriveKey } from '../lib/keys.js';
import { projectRoot } from '../paths.js';

export interface TlsPair { key: string; cert: string; selfSigned: boolean }

/**
 * Makes the self-signed certificate in a short-lived child process: the X.509 stack it needs
 * (selfsigned, @peculiar/*) would otherwise stay loaded in the server for good, ~25 MB of
 * RSS for something done once per cluster.
 */
function generateSelfSigned(commonName: string): Promise<{ cert: string; private: string }> {
  const script = `import('selfsigned').then(({ generate }) => generate([{ name: 'commonName', value: process.argv[1] }],
    { keySize: 2048, notAfterDate: new Date(Date.now() + 3650 * 86400000), algorithm: 'sha256' })).then((p) => process.stdout.write(JSON.stringify({ cert: p.cert, private: p.private })))`;
  return new Promise((resolve, reject) => execFile(process.execPath, ['--input-type=module', '-e', script, commonName], { cwd: projectRoot, timeout: 60_000, maxBuffer: 1 << 20 }, (e, out) => {
    if (e) return reject(new Error(`could not generate a self-signed certificate: ${e.message}`));
    try { resolve(JSON.parse(out)); } catch (err) { reject(err); }
  }));
}

export async function smtpTls(ctx: Ctx): Promise<TlsPair> {
  const { tlsCert, tlsKey } = ctx.config.smtp;
  if (tlsCert && tlsKey) return { cert: readFileSync(tlsCert, 'utf8'), key: readFileSync(tlsKey, 'utf8'), selfSigned: false };
  const settings = settingsRepo(ctx.db);
  const box = deriveKey(ctx.config.secret, 'secretbox');
  const stored = await settings.get<{ cert?: string; key?: string }>('smtp_tls', {});
  if (stored.cert && stored.key) return { cert: stored.cert, key: open(box, stored.key), selfSigned: true };
  const name = ctx.config.smtp.hostname || hostname();
  const pems = await generateSelfSigned(name);
  await settings.set('smtp_tls', { cert: pems.cert, key: seal(box, pems.private) }, ctx.clock.now());
  // Another node may have stored its own at the same moment: everyone uses what is stored.
  const winner = await settings.get<{ cert?: string; key?: string }>('smtp_tls', {});
  ctx.log.child({ mod: 'smtp' }).info({ evt: 'smtp.tls_generated', cn: name }, 'generated a self-signed STARTTLS certificate (configure smtp.tlsCert/tlsKey for a real one)');
  return { cert: winner.cert!, key: open(box, winner.key!), selfSigned: true };
}
