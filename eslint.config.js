// Lint rules: typescript-eslint's recommended set, plus the few habits this project keeps.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'var/**', 'coverage/**', 'dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': ['error', { allow: ['error'] }],
      eqeqeq: ['error', 'always'],
    },
  },
  {
    // Layers point one way: interactions/ → src/ → adapters/. The store knows nothing of ours
    // outside adapters/ (no HTTP errors, no config type), so it can be read, tested and replaced alone.
    files: ['adapters/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(\\.\\./)+(src|interactions|config)(/|$)',
              message: 'adapters/ imports nothing of ours outside adapters/: define the type or error here, and let src/ map it.',
            },
          ],
        },
      ],
    },
  },
  {
    // src/ is the domain and the HTTP edge under it; the sign-in pages and routes (interactions/)
    // sit on top and are assembled into the server only by server.ts and the library entry.
    files: ['src/**'],
    ignores: ['src/server.ts', 'src/index.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(\\.\\./)+interactions(/|$)',
              message: 'src/ does not import interactions/: define the interface here and let src/server.ts pass the implementation in.',
            },
          ],
        },
      ],
    },
  },
  {
    // The configuration is read before anything else exists: it imports neither the domain nor the pages.
    files: ['config/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(\\.\\./)+(src|interactions)(/|$)',
              message: 'config/ imports nothing of src/ or interactions/: keep what it needs here (see config/errors.ts, config/issuers.ts).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/assets/*.js'],
    languageOptions: { sourceType: 'script', globals: globals.browser },
  },
  {
    files: ['examples/**/*.js'],
    languageOptions: { sourceType: 'module', globals: globals.node },
  },
  {
    files: ['test/**', 'bench/**', 'examples/**', 'config/reference.ts', 'src/main.ts'],
    rules: { 'no-console': 'off', '@typescript-eslint/no-unused-expressions': 'off' },
  },
);
