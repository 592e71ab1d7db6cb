// Lint rules run by `npm run lint` (and so by `npm test` and CI): typescript-eslint's
// recommended set without type information (a whole-tree run stays under a few seconds on
// two cores) plus a line length. Import boundaries are checked by dependency-cruiser
// (.dependency-cruiser.cjs), not here.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The Node globals the plain .js/.mjs/.cjs files use (no extra package for a list of four).
const nodeGlobals = { process: 'readonly', console: 'readonly', module: 'writable', require: 'readonly' };

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'admin-ui/static/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      'max-len': ['error', { code: 180, ignoreUrls: true, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-control-regex': 'off',
    },
  },
  {
    // Plain JavaScript that Node runs as it is: the bin wrapper, scripts, configs.
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: { globals: nodeGlobals },
  },
  {
    // Tests, benchmarks and scripts read arbitrary JSON and HTML back: `any` there is the honest type.
    files: ['test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
