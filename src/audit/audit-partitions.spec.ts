import {
  expiredPartitions,
  intervalStart,
  missingRanges,
  nextIntervalStart,
  partitionName,
  wantedRanges,
} from './audit-partitions';

const t = (iso: string) => Date.parse(iso);

describe('audit partition ranges', () => {
  it('starts days at UTC midnight, weeks on Monday and months on the 1st', () => {
    const at = t('2026-11-27T15:30:00Z'); // a Friday
    expect(intervalStart(at, 'day')).toBe(t('2026-11-27T00:00:00Z'));
    expect(intervalStart(at, 'week')).toBe(t('2026-11-23T00:00:00Z'));
    expect(intervalStart(at, 'month')).toBe(t('2026-11-01T00:00:00Z'));
    expect(nextIntervalStart(at, 'month')).toBe(t('2026-12-01T00:00:00Z'));
    expect(nextIntervalStart(t('2026-12-31T23:59:59Z'), 'month')).toBe(t('2027-01-01T00:00:00Z'));
    expect(intervalStart(t('2026-11-23T00:00:00Z'), 'week')).toBe(t('2026-11-23T00:00:00Z'));
  });

  it('names a partition after its first day, with the time when it starts off midnight', () => {
    expect(partitionName(t('2026-11-27T00:00:00Z'))).toBe('audit_record_p20261127');
    expect(partitionName(t('2026-11-27T15:30:00Z'))).toBe('audit_record_p20261127_1530');
  });

  it('wants the current interval and `ahead` more', () => {
    const ranges = wantedRanges(t('2026-11-27T15:30:00Z'), 'day', 2);
    expect(ranges).toEqual([
      { from: t('2026-11-27T00:00:00Z'), to: t('2026-11-28T00:00:00Z') },
      { from: t('2026-11-28T00:00:00Z'), to: t('2026-11-29T00:00:00Z') },
      { from: t('2026-11-29T00:00:00Z'), to: t('2026-11-30T00:00:00Z') },
    ]);
  });

  it('creates only what no partition covers, around partitions of another interval', () => {
    const wanted = wantedRanges(t('2026-11-27T00:00:00Z'), 'day', 3);
    const existing = [
      // The migration's legacy partition, up to the end of the 27th.
      { from: null, to: t('2026-11-28T00:00:00Z') },
      // A day made earlier, then a range made under another setting that ends mid-day.
      { from: t('2026-11-28T00:00:00Z'), to: t('2026-11-29T00:00:00Z') },
      { from: t('2026-11-29T00:00:00Z'), to: t('2026-11-30T12:00:00Z') },
    ];
    expect(missingRanges(wanted, existing)).toEqual([
      {
        name: 'audit_record_p20261130_1200',
        from: t('2026-11-30T12:00:00Z'),
        to: t('2026-12-01T00:00:00Z'),
      },
    ]);
    expect(missingRanges(wanted, [])).toHaveLength(4);
    expect(missingRanges(wanted, wanted)).toEqual([]);
  });

  it('lets retention drop only partitions whose every record is past the cutoff', () => {
    const parts = [
      { name: 'audit_record_legacy', from: null, to: t('2026-11-20T00:00:00Z') },
      {
        name: 'audit_record_p20261120',
        from: t('2026-11-20T00:00:00Z'),
        to: t('2026-11-21T00:00:00Z'),
      },
      {
        name: 'audit_record_p20261121',
        from: t('2026-11-21T00:00:00Z'),
        to: t('2026-11-22T00:00:00Z'),
      },
    ];
    expect(expiredPartitions(parts, t('2026-11-21T00:00:00Z')).map((p) => p.name)).toEqual([
      'audit_record_legacy',
      'audit_record_p20261120',
    ]);
    expect(expiredPartitions(parts, t('2026-11-20T23:59:59Z')).map((p) => p.name)).toEqual([
      'audit_record_legacy',
    ]);
  });
});
