/* Minimal argv parsing for the CLI: positional words, `--flag value`, `--flag=value`, `--bool`. */
export interface Parsed { words: string[]; flags: Record<string, string | true> }

export function parseArgs(argv: string[], booleans: string[] = ['help']): Parsed {
  const words: string[] = [];
  const flags: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-h') { flags.help = true; continue; }
    if (!a.startsWith('--')) { words.push(a); continue; }
    const eq = a.indexOf('=');
    if (eq > 0) { flags[a.slice(2, eq)] = a.slice(eq + 1); continue; }
    const name = a.slice(2);
    const next = argv[i + 1];
    if (booleans.includes(name) || next === undefined || next.startsWith('--')) flags[name] = true;
    else { flags[name] = next; i++; }
  }
  return { words, flags };
}
