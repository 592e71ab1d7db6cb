/*
 * Import boundaries (ARCHITECTURE.md, "Import rules"), checked by `npm run lint`.
 * Composition files (server/app.ts, server/main.ts, server/services.ts, each feature's
 * feature.ts) may join any parts; everything else keeps to its layer.
 */
const DOMAIN = '^server/(inbound|outbound|suppression|bounces|auth|scheduler|tracking|routing|records|targetLists|campaigns|imap|webhooks|operations|status)/';
// Pure contracts a repository may share with its domain: the records types and the address normal form, the campaign
// types and a campaign recipient's record shape (no I/O, no imports of server/ but lib/).
const CONTRACTS = '^server/(records/(types|normalize)|campaigns/(types|render/data))\\.ts$';
const COMPOSITION = '(^server/(app|main|services|feature)\\.ts$|/feature\\.ts$)';

module.exports = {
  forbidden: [
    { name: 'lib-is-pure', severity: 'error', comment: 'server/lib holds pure helpers: it imports nothing else of server/',
      from: { path: '^server/lib/' }, to: { path: '^server/', pathNot: '^server/lib/' } },
    { name: 'db-below-domain', severity: 'error', comment: 'server/db knows tables, not features: no domain, adapter or services module',
      from: { path: '^server/db/' }, to: { path: [DOMAIN, '^server/(http|smtp|cli)/', '^server/(services|app|feature)\\.ts$'], pathNot: CONTRACTS } },
    { name: 'domain-not-adapters', severity: 'error', comment: 'domain modules never import adapters, the services bag or knex',
      from: { path: DOMAIN, pathNot: COMPOSITION }, to: { path: ['^server/(http|smtp)/', '^server/services\\.ts$', '^node_modules/knex/'] } },
    { name: 'adapters-not-db', severity: 'error', comment: 'adapters (http, smtp) reach data through domain services, never db/ at runtime',
      from: { path: '^server/(http|smtp)/' }, to: { path: '^server/db/', dependencyTypesNot: ['type-only'] } },
    { name: 'no-cycles', severity: 'error', comment: 'no import cycles, type-only ones included: a runtime cycle makes start-up order fragile, a type-only one tangles the layers',
      from: {}, to: { circular: true } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js'] },
  },
};
