import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import {
  CLIENT_SCHEMA_PATH,
  fetchServedOpenApiDocument,
  renderClientSchema,
} from '../../scripts/generate-client';
import { createDiamondPricingClient } from '../../clients/typescript';
import { ENGINE } from '../support/test-app';

/** Never called: `tsc --noEmit` (CI's type check) fails if the client stops refusing these. */
export async function typeChecksOnly(): Promise<void> {
  const api = createDiamondPricingClient({ baseUrl: 'http://127.0.0.1:1' });
  // @ts-expect-error a cut that is not a grade
  await api.POST('/v1/prices', { body: { carat: 0.7, cut: 'Round', color: 'G', clarity: 'VS1' } });
  // @ts-expect-error carat is required
  await api.POST('/v1/prices', { body: { cut: 'Ideal', color: 'G', clarity: 'VS1' } });
  // @ts-expect-error a path the API does not have
  await api.GET('/v1/price');
}

/**
 * The committed typed client must describe the API the app serves: regenerated in memory from
 * the app's own /docs-json and compared with the file. A change to a DTO or a controller's
 * OpenAPI metadata fails here until `npm run client:generate` is run and its output committed.
 */
// The document is the same on either engine (no DTO or route depends on it; the answers are
// checked against it on both by every test app), so the PostgreSQL pass skips this boot.
const describeOnSqlite = ENGINE === 'sqlite' ? describe : describe.skip;

describeOnSqlite('Typed TypeScript client (the document served on SQLite)', () => {
  it('matches the OpenAPI document the app serves (run `npm run client:generate` when it does not)', async () => {
    const document = await fetchServedOpenApiDocument();
    expect(document.paths).toHaveProperty(['/v1/prices']);
    const fresh = await renderClientSchema(document);
    const committed = readFileSync(CLIENT_SCHEMA_PATH, 'utf8');
    if (committed !== fresh) {
      const a = committed.split('\n');
      const b = fresh.split('\n');
      const line = a.findIndex((l, i) => l !== b[i]);
      throw new Error(
        `${relative(process.cwd(), CLIENT_SCHEMA_PATH)} is out of date with the API (first difference at line ${line + 1}:\n` +
          `  committed: ${a[line] ?? '<end of file>'}\n  served:    ${b[line] ?? '<end of file>'})\n` +
          'Run `npm run client:generate` and commit the result.',
      );
    }
  });
});
