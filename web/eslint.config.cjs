// SPDX-License-Identifier: Apache-2.0
// ESLint (flat config) for the web UI's JavaScript, web/ui/js: `make lint`.
// eslint, @eslint/js and globals are exact devDependencies in web/package.json;
// `npm ci` puts them in BUILD/npm, and `make lint` runs eslint from there with
// NODE_PATH=BUILD/npm/node_modules (a CommonJS config, so require() follows it
// and the source tree needs no node_modules of its own).
const js = require('@eslint/js');
const globals = require('globals');

module.exports = [
  {
    files: ['ui/js/**/*.js'],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: { ...globals.browser },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      ...js.configs.recommended.rules,
      'no-unused-vars': ['error', { args: 'after-used', argsIgnorePattern: '^_', caughtErrors: 'none' }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-var': 'error',
      'prefer-const': ['error', { destructuring: 'all' }],
    },
  },
];
