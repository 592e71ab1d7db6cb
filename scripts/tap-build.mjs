// Runs at `npm install` (prepare). tap's runner loads the plugins its test class was built
// with; package.json drops @tapjs/typescript (tsx runs the tests), and without this step the
// first `npm test` of a fresh clone would load that plugin (and ts-node) in the runner before
// tap rebuilds itself. Skipped on installs without dev dependencies.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import process from 'node:process';

if (!existsSync('node_modules/tap/package.json')) process.exit(0);
const r = spawnSync(process.execPath, ['node_modules/tap/dist/esm/run.mjs', 'build'], { stdio: 'inherit' });
process.exit(r.status ?? 1);
