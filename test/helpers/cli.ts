/*
 * Runs the `postern` command as a user does (`node --import tsx server/main.ts …` is what
 * `npx tsx` runs, minus npx's own second of start-up) and collects its exit code and output.
 */
import { spawn } from 'node:child_process';
import { projectRoot } from '../../server/paths.js';

export interface Run { code: number | null; out: string; err: string }

export function runCli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts', ...args], {
      cwd: projectRoot, env: { ...process.env, POSTERN_LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '', err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`timed out: ${args.join(' ')}\n${out}${err}`)); }, 60_000);
    child.on('error', reject);
    child.on('exit', (code) => { clearTimeout(timer); resolve({ code, out, err }); });
  });
}
