#!/usr/bin/env node
// The installed `postern` command: runs the compiled CLI (npm install builds dist/).
import { main } from '../dist/server/main.js';

main(process.argv.slice(2)).then(
  (code) => { if (code !== 0) process.exit(code); },
  (e) => { console.error(e); process.exit(1); },
);
