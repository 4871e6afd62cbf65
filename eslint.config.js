// ESLint (flat config): type-aware TypeScript rules, React hooks and accessibility for the dashboard,
// and the architecture written as import boundaries, so that a wrong import fails the build.
//
//   data files ─▶ ingest ─▶ pipeline (counts → windows → means → flags → levels) ─▶ read models ─▶ api ─▶ client
//                                ▲ policy (schema, evaluator, versions) is used by both, and uses neither
import js from '@eslint/js';
import tseslint, { configs as tsConfigs } from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import jsxA11y from 'eslint-plugin-jsx-a11y';
import { importX } from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import prettier from 'eslint-config-prettier';
import globals from 'globals';

/** Folders under server/ that hold domain code: none of them may know about HTTP. */
const DOMAIN = ['db', 'ingest', 'pipeline', 'policy', 'read', 'governance', 'seam', 'cluster', 'generate', 'contracts', 'alerts'];
const HTTP_PACKAGES = ['express', 'multer', 'helmet', 'express-rate-limit', 'pino-http', 'supertest'];

/** A zone: files in `target` may not import from `from` (paths from the project root). */
const zone = (target, from, message, except) => ({ target: `./${target}`, from: from.map((f) => `./${f}`), message, ...(except ? { except } : {}) });

const BOUNDARIES = [
  zone('client', ['server'], 'the dashboard imports only client/ and server/contracts/ (the shared request and response schemas)', ['./contracts']),
  zone('client', ['test', 'bench'], 'the dashboard never imports tests or benchmarks'),
  zone('server/contracts', ['server'], 'contracts are leaves: zod schemas that both sides import', ['./contracts']),
  zone('server/db', ['server'], 'db/ imports no domain module', ['./db']),
  zone(
    'server/policy',
    ['server/pipeline', 'server/read', 'server/ingest', 'server/governance', 'server/seam', 'server/api'],
    'the policy evaluator knows nothing of how counts are computed or read',
  ),
  zone(
    'server/pipeline',
    ['server/read', 'server/governance', 'server/ingest', 'server/api'],
    'the pipeline writes the numbers; it does not use the read models, governance, ingest or HTTP',
  ),
  zone('server/read', ['server/pipeline', 'server/ingest', 'server/governance', 'server/api'], 'read models only read what the pipeline stored'),
  zone('server/ingest', ['server/api', 'server/read', 'server/governance'], 'ingest runs without the API'),
  zone('server/governance', ['server/api'], 'governance runs without HTTP'),
  zone(
    'server/alerts',
    ['server/api', 'server/pipeline', 'server/ingest'],
    'alerts derive events from what the pipeline stored, and send them without the API',
  ),
  zone('server/seam', ['server/api', 'server/read', 'server/governance'], 'the seam hands counts to the pipeline, nothing else'),
  zone(
    'server/cluster',
    ['server/api', 'server/read', 'server/governance'],
    'cluster mode computes counts on ClickHouse and hands them to the pipeline, nothing else',
  ),
  zone('server', ['test', 'bench'], 'the product never imports tests or benchmarks'),
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test-results/**', 'data/**', 'bench/results/**', 'scratch/**'] },
  js.configs.recommended,
  ...tsConfigs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['*.js'] }, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    // Tests read untyped HTTP bodies (supertest's `body` is any) and check them with assertions.
    files: ['test/**/*.{ts,tsx}', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // `act(async () => …)` and async stubs that stand in for real I/O are the idiom in tests.
      '@typescript-eslint/require-await': 'off',
    },
  },
  { files: ['**/*.js'], ...tsConfigs.disableTypeChecked },
  importX.flatConfigs.recommended,
  importX.flatConfigs.typescript,
  {
    settings: { 'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })] },
    rules: {
      'import-x/no-restricted-paths': ['error', { zones: BOUNDARIES }],
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      // i18next's and typescript-eslint's default exports are instances whose methods are also named
      // exports; calling them on the instance is how their documentation does it.
      'import-x/no-named-as-default-member': 'off',
    },
  },
  {
    files: DOMAIN.map((d) => `server/${d}/**/*.ts`),
    rules: {
      'no-restricted-imports': ['error', { paths: HTTP_PACKAGES.map((name) => ({ name, message: 'domain code knows no HTTP: that belongs in server/api/' })) }],
    },
  },
  {
    files: ['client/**/*.{ts,tsx}'],
    ...jsxA11y.flatConfigs.recommended,
    plugins: { ...jsxA11y.flatConfigs.recommended.plugins, 'react-hooks': reactHooks },
    languageOptions: { ...jsxA11y.flatConfigs.recommended.languageOptions, globals: { ...globals.browser } },
    rules: {
      ...jsxA11y.flatConfigs.recommended.rules,
      ...reactHooks.configs.recommended.rules,
      // About the React Compiler's memoization, which this project does not use (TanStack Table's hook).
      'react-hooks/incompatible-library': 'off',
    },
  },
  prettier,
);
