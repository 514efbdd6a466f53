// Unit specs live beside the code (src/.../*.spec.ts); integration and HTTP specs under test/.
// Packages that ship only ESM (NestJS 12 and a few others) are turned into CommonJS for Jest.
const ESM_ONLY = [
  '@nestjs',
  'csv-parse',
  'file-type',
  'strtok3',
  'token-types',
  'peek-readable',
  'uint8array-extras',
  '@tokenizer',
  'load-esm',
  'content-disposition',
  '@fastify/static/node_modules/content-disposition',
];
// openapi-typescript (the client generator, for its drift test) is CommonJS but needs these; its own folder must be listed so its nested ones are reached.
ESM_ONLY.push(
  'openapi-typescript',
  'parse-json',
  'supports-color',
  'change-case',
  'index-to-position',
);

/** What every test file gets, whichever project runs it. */
const common = {
  moduleFileExtensions: ['js', 'mjs', 'json', 'ts'],
  rootDir: '.',
  roots: ['<rootDir>/src', '<rootDir>/test'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: { isolatedModules: true } }],
    '^.+\\.m?js$': '<rootDir>/test/support/esm-to-cjs.transformer.js',
  },
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_ONLY.join('|')})/)`],
  testEnvironment: 'node',
  setupFiles: ['<rootDir>/test/setup-env.ts'],
  // Every e2e answer is checked against the served OpenAPI document (test/support/test-app.ts).
  setupFilesAfterEnv: ['<rootDir>/test/support/response-contract.setup.ts'],
};

// Two projects, told apart by the file name (docs/architecture.md, "Tests"):
// - unit: `*.spec.ts` never touch a database (no app, no DataSource, no server process); the
//   engine does not change them, so CI runs them once, on the SQLite pass.
// - db: `*.e2e-spec.ts` start an app, a DataSource or a server, and run on both engines
//   (`DATABASE_URL=... npm test -- --selectProjects db` is CI's PostgreSQL pass).
// test/architecture/test-projects.spec.ts fails when a `*.spec.ts` reaches for a database.
module.exports = {
  testTimeout: 60000,
  projects: [
    {
      ...common,
      displayName: 'unit',
      testRegex: '.*\\.spec\\.ts$',
      setupFiles: [...common.setupFiles, '<rootDir>/test/support/no-database.setup.ts'],
    },
    { ...common, displayName: 'db', testRegex: '.*\\.e2e-spec\\.ts$' },
  ],
};
