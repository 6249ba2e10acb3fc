import js from '@eslint/js';
import security from 'eslint-plugin-security';
import tseslint from 'typescript-eslint';

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
  // describe() blocks group many tests; the limit is for the functions under test.
  { files: ['tests/**'], rules: { 'max-lines-per-function': 'off' } },
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
