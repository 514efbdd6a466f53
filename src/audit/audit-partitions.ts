/**
 * Time ranges of the audit table's PostgreSQL partitions: which ones to make ahead, under which
 * name, and which ones retention may drop. Plain arithmetic in UTC, free of the database, so the
 * rules can be read and tested alone (AuditPartitionRepository runs the SQL).
 */
/** AUDIT_PARTITION_INTERVAL's values. */
type PartitionInterval = 'day' | 'week' | 'month';

/** A half-open range [from, to) in epoch milliseconds; null stands for MINVALUE / MAXVALUE. */
interface PartitionRange {
  from: number | null;
  to: number | null;
}

export interface PartitionInfo extends PartitionRange {
  name: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Start of the interval that holds `at` (UTC midnight; weeks start on Monday, as ISO weeks do). */
export function intervalStart(at: number, interval: PartitionInterval): number {
  const d = new Date(at);
  const midnight = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  if (interval === 'day') return midnight;
  if (interval === 'week') return midnight - ((d.getUTCDay() + 6) % 7) * DAY_MS;
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

/** Start of the interval after the one that holds `at`. */
export function nextIntervalStart(at: number, interval: PartitionInterval): number {
  const start = intervalStart(at, interval);
  if (interval === 'day') return start + DAY_MS;
  if (interval === 'week') return start + 7 * DAY_MS;
  const d = new Date(start);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

/** `audit_record_p20261127`, or `audit_record_p20261127_1530` for a range that starts off midnight. */
export function partitionName(from: number): string {
  const iso = new Date(from).toISOString();
  const day = iso.slice(0, 10).replace(/-/g, '');
  const time = iso.slice(11, 16).replace(':', '');
  return `audit_record_p${day}${time === '0000' ? '' : `_${time}`}`;
}

/** The intervals from the one holding `now` to `ahead` intervals after it. */
export function wantedRanges(
  now: number,
  interval: PartitionInterval,
  ahead: number,
): PartitionRange[] {
  const ranges: PartitionRange[] = [];
  let from = intervalStart(now, interval);
  for (let i = 0; i <= ahead; i++) {
    const to = nextIntervalStart(from, interval);
    ranges.push({ from, to });
    from = to;
  }
  return ranges;
}

/**
 * The parts of the wanted ranges no existing partition covers. Partitions made under another
 * interval setting (or the legacy partition of the migration) stay as they are; only the gaps
 * around them are filled, since PostgreSQL refuses overlapping partitions.
 */
export function missingRanges(
  wanted: PartitionRange[],
  existing: PartitionRange[],
): PartitionInfo[] {
  const lo = (r: PartitionRange) => r.from ?? -Infinity;
  const hi = (r: PartitionRange) => r.to ?? Infinity;
  const taken = [...existing].sort((a, b) => lo(a) - lo(b));
  const out: PartitionInfo[] = [];
  for (const w of wanted) {
    let cursor = lo(w);
    const end = hi(w);
    for (const e of taken) {
      if (hi(e) <= cursor || lo(e) >= end) continue;
      if (lo(e) > cursor) out.push({ name: partitionName(cursor), from: cursor, to: lo(e) });
      cursor = Math.max(cursor, hi(e));
      if (cursor >= end) break;
    }
    if (cursor < end) out.push({ name: partitionName(cursor), from: cursor, to: end });
  }
  return out;
}

/** Partitions whose every record is older than the cutoff: retention drops them whole. */
export function expiredPartitions(existing: PartitionInfo[], cutoff: number): PartitionInfo[] {
  return existing.filter((p) => p.to !== null && p.to <= cutoff);
}
