import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DataSource, IsNull } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { CSV_COLUMNS } from '../diamonds/diamond-vocabulary';
import { DiamondsService } from '../diamonds/diamonds.service';
import { DomainError, ErrorCode } from '../common/domain-error';
import { OutcomeEntity } from './outcome.entity';
import { PricedRequestEntity } from './priced-request.entity';
import { PricedRequestLog } from './priced-request.log';

export interface RecordedOutcome {
  requestId: string;
  item: number;
  price: number;
  quotedPrice: number;
  model: { family: string; version: number };
  /** true when it replaced an earlier outcome for the same diamond. */
  replaced: boolean;
  recordedAt: Date;
}

export interface ModelOutcomes {
  family: string;
  version: number;
  count: number;
  /** Mean |quoted − paid|, USD. */
  mae: number;
}

/** One model version's outcomes recorded in one month (UTC). */
export interface MonthlyOutcomes extends ModelOutcomes {
  /** `2026-12`. */
  month: string;
}

export interface OutcomeSummary {
  count: number;
  mae: number | null;
  byModel: ModelOutcomes[];
  /** Of the outcomes quoted with a range, how many paid prices fell inside it. */
  coverage: { quotedWithRange: number; inside: number; share: number | null };
}

const round2 = (value: number) => Math.round(value * 100) / 100;

/** The store's outcomes: what it paid for the diamonds the service priced. */
@Injectable()
export class OutcomesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly log: PricedRequestLog,
    private readonly diamonds: DiamondsService,
    private readonly config: AppConfig,
  ) {}

  /**
   * The outcomes no batch holds yet, as a dataset batch of their own, through the same door as a
   * CSV file (`DiamondsService.ingestFile`: the same row validation, drift assessment, a batch
   * that can be retracted): each outcome is a row with the features as priced and the price
   * paid. A diamond priced without every measurement is rejected as any such CSV row is. The
   * outcomes are then marked with the batch, so they go in once.
   */
  async toDataset(): Promise<{
    batchId: number | null;
    outcomes: number;
    accepted: number;
    rejected: number;
  }> {
    const repo = this.dataSource.getRepository(OutcomeEntity);
    const unused = await repo.find({ where: { datasetBatchId: IsNull() }, order: { id: 'ASC' } });
    if (unused.length === 0) return { batchId: null, outcomes: 0, accepted: 0, rejected: 0 };
    const cell = (value: unknown) => (value === null || value === undefined ? '' : String(value));
    const lines = unused.map((o) =>
      CSV_COLUMNS.map((column) =>
        cell(column === 'price' ? o.paidPrice : o.features[column as keyof typeof o.features]),
      ).join(','),
    );
    const dir = await mkdtemp(join(this.config.VAR_DIR, 'outcomes-'));
    const name = `outcomes-${unused[0].id}-${unused[unused.length - 1].id}.csv`;
    const path = join(dir, name);
    try {
      await writeFile(path, [CSV_COLUMNS.join(','), ...lines].join('\n') + '\n');
      const report = await this.diamonds.ingestFile(path, 'outcomes', name);
      await repo.update(
        unused.map((o) => o.id),
        { datasetBatchId: report.batchId },
      );
      return {
        batchId: report.batchId,
        outcomes: unused.length,
        accepted: report.accepted,
        rejected: report.rejected,
      };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /**
   * Records what the store paid for item `item` of request `requestId`; replaces an earlier
   * outcome for the same diamond. 404 when no request of that id priced a diamond, or it has no
   * such item.
   */
  async record(requestId: string, item: number, price: number): Promise<RecordedOutcome> {
    await this.log.flush();
    const priced = await this.dataSource
      .getRepository(PricedRequestEntity)
      .findOneBy({ requestId });
    if (!priced)
      throw new DomainError(
        ErrorCode.NotFound,
        `No priced request has id ${requestId}: an outcome names the X-Request-Id (requestId) of a POST /v1/prices or /v1/prices/batch answer`,
      );
    const quoted = priced.items[item];
    if (!quoted)
      throw new DomainError(
        ErrorCode.NotFound,
        `Request ${requestId} priced ${priced.items.length} diamond${priced.items.length === 1 ? '' : 's'}: it has no item ${item}`,
      );
    const recordedAt = new Date();
    const replaced = await this.dataSource.transaction(async (manager) => {
      const repo = manager.getRepository(OutcomeEntity);
      const removed = await repo.delete({ requestId, item });
      await repo.insert({
        requestId,
        item,
        paidPrice: price,
        quotedPrice: quoted.price,
        rangeLow: quoted.range?.low ?? null,
        rangeHigh: quoted.range?.high ?? null,
        family: priced.family,
        version: priced.version,
        features: quoted.features,
        pricedAt: priced.pricedAt,
        recordedAt,
      });
      return (removed.affected ?? 0) > 0;
    });
    return {
      requestId,
      item,
      price,
      quotedPrice: quoted.price,
      model: { family: priced.family, version: priced.version },
      replaced,
      recordedAt,
    };
  }

  /** Per month recorded (UTC) and model version: count and MAE, oldest month first. */
  async byMonth(): Promise<MonthlyOutcomes[]> {
    const rows = await this.dataSource.getRepository(OutcomeEntity).find({
      select: { family: true, version: true, paidPrice: true, quotedPrice: true, recordedAt: true },
    });
    const groups = new Map<string, MonthlyOutcomes>();
    for (const row of rows) {
      const month = new Date(row.recordedAt).toISOString().slice(0, 7);
      const key = `${month}\u0000${row.family}\u0000${row.version}`;
      const group = groups.get(key) ?? {
        month,
        family: row.family,
        version: row.version,
        count: 0,
        mae: 0,
      };
      group.count++;
      group.mae += Math.abs(row.quotedPrice - row.paidPrice);
      groups.set(key, group);
    }
    return [...groups.values()]
      .map((g) => ({ ...g, mae: round2(g.mae / g.count) }))
      .sort(
        (a, b) =>
          a.month.localeCompare(b.month) ||
          a.family.localeCompare(b.family) ||
          a.version - b.version,
      );
  }

  async summary(): Promise<OutcomeSummary> {
    const rows = await this.dataSource.getRepository(OutcomeEntity).find({
      select: {
        family: true,
        version: true,
        paidPrice: true,
        quotedPrice: true,
        rangeLow: true,
        rangeHigh: true,
      },
    });
    const models = new Map<string, ModelOutcomes>();
    let total = 0;
    let quotedWithRange = 0;
    let inside = 0;
    for (const row of rows) {
      const error = Math.abs(row.quotedPrice - row.paidPrice);
      total += error;
      const key = `${row.family}\u0000${row.version}`;
      const model = models.get(key) ?? {
        family: row.family,
        version: row.version,
        count: 0,
        mae: 0,
      };
      model.count++;
      model.mae += error;
      models.set(key, model);
      if (row.rangeLow !== null && row.rangeHigh !== null) {
        quotedWithRange++;
        if (row.paidPrice >= row.rangeLow && row.paidPrice <= row.rangeHigh) inside++;
      }
    }
    const byModel = [...models.values()]
      .map((m) => ({ ...m, mae: round2(m.mae / m.count) }))
      .sort((a, b) => a.family.localeCompare(b.family) || a.version - b.version);
    return {
      count: rows.length,
      mae: rows.length ? round2(total / rows.length) : null,
      byModel,
      coverage: {
        quotedWithRange,
        inside,
        share: quotedWithRange ? Math.round((inside / quotedWithRange) * 10000) / 10000 : null,
      },
    };
  }
}
