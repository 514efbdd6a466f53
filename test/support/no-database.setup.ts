/**
 * The unit project (`*.spec.ts`, jest.config.js) runs once, on the SQLite pass only: a file of it
 * that started an app would silently never meet PostgreSQL. createTestApp refuses while this mark
 * is set; test/architecture/test-projects.spec.ts catches the other ways in by reading the files.
 */
(globalThis as { __UNIT_PROJECT__?: boolean }).__UNIT_PROJECT__ = true;
