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

module.exports = {
  moduleFileExtensions: ['js', 'mjs', 'json', 'ts'],
  rootDir: '.',
  roots: ['<rootDir>/src', '<rootDir>/test'],
  testRegex: '.*\\.(spec|e2e-spec)\\.ts$',
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: { isolatedModules: true } }],
    '^.+\\.m?js$': '<rootDir>/test/support/esm-to-cjs.transformer.js',
  },
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_ONLY.join('|')})/)`],
  testEnvironment: 'node',
  testTimeout: 60000,
  setupFiles: ['<rootDir>/test/setup-env.ts'],
  // Every e2e answer is checked against the served OpenAPI document (test/support/test-app.ts).
  setupFilesAfterEnv: ['<rootDir>/test/support/response-contract.setup.ts'],
};
