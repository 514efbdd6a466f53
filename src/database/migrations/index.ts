import { DiamondStore1764201600000 } from './1764201600000-diamond-store';
import { ModelRegistry1764201700000 } from './1764201700000-model-registry';
import { AuditRecord1764201800000 } from './1764201800000-audit-record';
import { BatchRetraction1764300000000 } from './1764300000000-batch-retraction';
import { TrainingRanges1764300000001 } from './1764300000001-training-ranges';
import { VersionTrust1764400000000 } from './1764400000000-version-trust';
import { BatchDrift1764400000001 } from './1764400000001-batch-drift';
import { AuditRecordPartitions1764500000000 } from './1764500000000-audit-record-partitions';
import { SplitArtifact1765000000000 } from './1765000000000-split-artifact';
import { ChampionRanking1765000000001 } from './1765000000001-champion-ranking';
import { ModelArtifact1765200000000 } from './1765200000000-model-artifact';
import { Outcomes1765400000000 } from './1765400000000-outcomes';
import { OutcomeDatasetBatch1765400000001 } from './1765400000001-outcome-dataset-batch';
import { BatchPriceCheck1766000000000 } from './1766000000000-batch-price-check';
import { AuditRequestIdHash1766200000000 } from './1766200000000-audit-request-id-hash';

/**
 * Every migration, in order. Committed migrations are never edited: add a new file and a line here.
 * Timestamps: issue order, not wall-clock order, so the files read in the order they run.
 */
export const MIGRATIONS = [
  DiamondStore1764201600000,
  ModelRegistry1764201700000,
  AuditRecord1764201800000,
  BatchRetraction1764300000000,
  TrainingRanges1764300000001,
  VersionTrust1764400000000,
  BatchDrift1764400000001,
  AuditRecordPartitions1764500000000,
  SplitArtifact1765000000000,
  ChampionRanking1765000000001,
  ModelArtifact1765200000000,
  Outcomes1765400000000,
  OutcomeDatasetBatch1765400000001,
  BatchPriceCheck1766000000000,
  AuditRequestIdHash1766200000000,
];
