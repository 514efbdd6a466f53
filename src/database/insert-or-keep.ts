/**
 * Inserts a row whose key is unique, or keeps the row another caller (a listener, a training run,
 * another process) inserted first: when the insert fails and the row is there, that row is the
 * answer; when it is not there, the insert's error is. Returns the stored row either way.
 */
export async function insertOrKeep<T>(
  insert: () => Promise<unknown>,
  stored: () => Promise<T | null>,
): Promise<T> {
  try {
    await insert();
  } catch (err) {
    const existing = await stored();
    if (!existing) throw err;
  }
  return (await stored())!;
}
