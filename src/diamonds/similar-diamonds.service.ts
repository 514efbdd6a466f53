import { BeforeApplicationShutdown, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { Subscription } from 'rxjs';
import { AppConfig } from '../config/app-config';
import { Clarity, Color, Cut } from './diamond-vocabulary';
import { DiamondsService } from './diamonds.service';
import { IndexedDiamond, SimilarDiamondsIndex } from './similar-diamonds.index';

/**
 * Holds the similar-diamonds index of the current dataset. Rebuilt after an ingestion in this
 * process, and when another instance sharing the database ingested (checked every CHAMPION_POLL_MS).
 */
@Injectable()
export class SimilarDiamondsService implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger(SimilarDiamondsService.name);
  private index = new SimilarDiamondsIndex([]);
  private version = -1;
  private subscription?: Subscription;
  private timer?: NodeJS.Timeout;
  private refreshing: Promise<void> | null = null;

  constructor(
    private readonly diamonds: DiamondsService,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.subscription = this.diamonds.datasetChanged$.subscribe(() =>
      this.refresh().catch((err: Error) =>
        this.logger.warn(`Could not rebuild the index: ${err.message}`),
      ),
    );
    this.timer = setInterval(() => void this.refreshIfChanged(), this.config.CHAMPION_POLL_MS);
    this.timer.unref();
  }

  /** Before the database closes: stop listening and let a rebuild in flight finish. */
  async beforeApplicationShutdown(): Promise<void> {
    this.subscription?.unsubscribe();
    if (this.timer) clearInterval(this.timer);
    await this.refreshing?.catch(() => undefined);
  }

  async query(
    cut: Cut,
    color: Color,
    clarity: Clarity,
    carat: number,
    n: number,
  ): Promise<IndexedDiamond[]> {
    if (this.version < 0) await this.refresh();
    return this.index.query(cut, color, clarity, carat, n);
  }

  get size(): number {
    return this.index.size;
  }

  private async refreshIfChanged(): Promise<void> {
    try {
      if ((await this.diamonds.datasetVersion()) !== this.version) await this.refresh();
    } catch (err) {
      this.logger.warn(`Could not check the dataset version: ${(err as Error).message}`);
    }
  }

  /** Rebuilds the index; concurrent calls share one rebuild. */
  refresh(): Promise<void> {
    if (!this.refreshing) {
      this.refreshing = (async () => {
        const version = await this.diamonds.datasetVersion();
        const snapshot = await this.diamonds.snapshot();
        this.index = new SimilarDiamondsIndex(snapshot.rows);
        this.version = version;
        this.logger.log(
          `Similar-diamonds index: ${this.index.size} diamonds (dataset version ${version})`,
        );
      })().finally(() => (this.refreshing = null));
    }
    return this.refreshing;
  }
}
