import { insertOrKeep } from './insert-or-keep';

describe('insertOrKeep', () => {
  it('inserts and answers the stored row', async () => {
    const table: string[] = [];
    const row = await insertOrKeep(
      async () => table.push('mine'),
      async () => table[0] ?? null,
    );
    expect(row).toBe('mine');
    expect(table).toEqual(['mine']);
  });

  it('keeps the row another caller inserted first when the insert fails on it', async () => {
    const table = ['theirs'];
    const row = await insertOrKeep(
      () => Promise.reject(new Error('duplicate key value violates unique constraint')),
      async () => table[0] ?? null,
    );
    expect(row).toBe('theirs');
  });

  it("throws the insert's error when no row is there", async () => {
    await expect(
      insertOrKeep(
        () => Promise.reject(new Error('no such table: batch_drift')),
        async () => null,
      ),
    ).rejects.toThrow('no such table: batch_drift');
  });
});
