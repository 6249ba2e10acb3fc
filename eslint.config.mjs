import js from '@eslint/js';
import security from 'eslint-plugin-security';
import tseslint from 'typescript-eslint';

/**
 * Each top-level folder's index.ts is its public surface: code imports another folder through it
 * ('../storage'), never a file behind it ('../storage/hot-store'). A file `depth` folders down
 * reaches a top-level folder with `depth` '../'; that many followed by a folder and a further
 * path segment reaches past the folder's index. Sub-folders (storage/tiers, api/remote) belong
 * to their top-level folder and are reached through its index too.
 */
const throughIndex = (depth) => ({
  files: [`${'*/'.repeat(depth)}*.ts`],
  // Tests test internals; benchmarks, the fault harness and docs drive them too.
  ignores: ['tests/**', 'bench/**', 'faults/**', 'docs/**'],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          {
            regex: `^(\\.\\./){${depth}}[^./][^/]*/`,
            message:
              "Import another top-level folder through its index ('../storage'), not its files.",
          },
        ],
      },
    ],
  },
});

export default tseslint.config(
  {
    ignores: [
      'node_modules',
      'data',
      'coverage',
      'dist',
      'jest.config.js',
      'jest.faults.config.js',
      'bin',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      'max-lines-per-function': ['warn', { max: 60, skipBlankLines: true, skipComments: true }],
    },
  },
  // The console's browser scripts: tsc (console/tsconfig.json, DOM types) checks their names.
  { files: ['console/**/*.js'], rules: { 'no-undef': 'off' } },
  // describe() blocks group many tests; the limit is for the functions under test.
  { files: ['tests/**'], rules: { 'max-lines-per-function': 'off' } },
  ...[1, 2, 3, 4].map(throughIndex),
  // Security rules for the code that ships (not tests, benchmarks or the fault harness), as errors.
  {
    files: ['**/*.ts'],
    ignores: ['tests/**', 'bench/**', 'faults/**'],
    plugins: { security },
    rules: {
      ...Object.fromEntries(
        Object.keys(security.configs.recommended.rules).map((rule) => [rule, 'error']),
      ),
      // Flags every obj[key]; TypeScript already types the keys (records, arrays, typed maps).
      'security/detect-object-injection': 'off',
      // Flags every fs call with a variable path: ours come from config and schema-checked ids.
      'security/detect-non-literal-fs-filename': 'off',
    },
  },
);
