import { takeResponseViolations } from './openapi-response-validator';

/**
 * Fails the test during which an answer did not match the served OpenAPI document (see
 * test/support/openapi-response-validator.ts, hooked on every app by createTestApp), and the
 * file when it happened outside a test (beforeAll/afterAll).
 */
function failOnViolations(): void {
  const found = takeResponseViolations();
  if (found.length === 0) return;
  const shown = found.slice(0, 5).join('\n');
  throw new Error(
    `${found.length} answer(s) did not match the OpenAPI document the app serves:\n${shown}` +
      (found.length > 5 ? `\n… and ${found.length - 5} more` : ''),
  );
}

afterEach(failOnViolations);
afterAll(failOnViolations);
