// ESLint (flat config) for the page's JavaScript (ui/) and its unit tests (tests/ui/), run by infra/test.sh
// from the repository's root: `infra/node_modules/.bin/eslint --config infra/eslint.config.mjs ui tests/ui`.
import js from '@eslint/js';
import globals from 'globals';

export default [
  // ui/vendor/ links to pinned npm packages (oauth4webapi): not ours to lint
  { ignores: ['ui/vendor/**'] },
  js.configs.recommended,
  {
    files: ['ui/**/*.js'],
    languageOptions: { ecmaVersion: 2022, sourceType: 'module', globals: { ...globals.browser } },
  },
  {
    files: ['tests/ui/**/*.mjs'],
    languageOptions: { ecmaVersion: 2022, sourceType: 'module', globals: { ...globals.node } },
  },
  {
    rules: {
      eqeqeq: ['error', 'smart'],
      'no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-var': 'error',
      'prefer-const': 'error',
      'no-implicit-globals': 'error',
    },
  },
];
