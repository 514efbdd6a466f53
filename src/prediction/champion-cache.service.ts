import {
  BeforeApplicationShutdown,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { Subscription } from 'rxjs';
import { DomainError, ErrorCode } from '../common/domain-error';
import { AppConfig } from '../config/app-config';
import { ModelCatalog, ModelVersionInfo } from '../registry/model-catalog';
import type { FittedModel } from '../model-runtime/model-family';

/** How many non-champion versions (asked for by number) stay loaded besides the champions. */
export const MAX_EXTRA_MODELS = 4;

interface ServingModel {
  info: ModelVersionInfo;
  model: FittedModel;
}

/** What the catalog said at one revision: enough to choose a model without a query. */
interface CatalogState {
  revision: number;
  defaultChampion: ModelVersionInfo | null;
  /** Every family the registry knows, with its champion (null when it has none). */
  champions: Map<string, ModelVersionInfo | null>;
}

interface LoadedEntry {
  info: ModelVersionInfo;
  promise: Promise<FittedModel>;
  model?: FittedModel;
  lastUsed: number;
  /** Asked for by version number (kept while recently used); otherwise loaded as a champion. */
  explicit: boolean;
}

/**
 * The models that price requests, kept in memory by version id.
 *
 * Choosing a model costs no database query: the champions are read from the catalog when an alias
 * moves, in this process (aliasMoved$, and requests wait for that reload so the very next one is
 * priced by the new champion) or in another instance sharing the database (aliasRevision() polled
 * every CHAMPION_POLL_MS). Models are loaded on first use, champions eagerly; a model that is no
 * longer a champion nor among the few recently asked-for versions is disposed.
 */
@Injectable()
export class ChampionCache implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(ChampionCache.name);
  private state: CatalogState | null = null;
  private readonly loaded = new Map<number, LoadedEntry>();
  /** Versions asked for by number, by "family@version": immutable once registered. */
  private readonly versions = new Map<string, ModelVersionInfo>();
  private refreshing: Promise<void> | null = null;
  private refreshAgain = false;
  /** Set from an in-process alias move until the reload it caused is done: requests wait for it. */
  private moved: Promise<void> | null = null;
  private subscription?: Subscription;
  private timer?: NodeJS.Timeout;
  private polling = false;
  private stopped = false;
  private clock = 0;
  /** Champions-to-be being loaded by a reload, not yet in the state: never evicted. */
  private readonly preloading = new Set<number>();

  constructor(
    private readonly catalog: ModelCatalog,
    private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.subscription = this.catalog.aliasMoved$.subscribe(() => {
      const reload = this.refresh()
        .catch((err: Error) =>
          this.logger.warn(`Could not reload the champions after an alias moved: ${err.message}`),
        )
        .finally(() => {
          if (this.moved === reload) this.moved = null;
        });
      this.moved = reload;
    });
    this.timer = setInterval(() => void this.poll(), this.config.CHAMPION_POLL_MS);
    this.timer.unref();
    // A failure here must not stop the service: requests retry the load and answer 503 meanwhile.
    await this.refresh().catch((err: Error) =>
      this.logger.warn(`Could not load the champions at start: ${err.message}`),
    );
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.subscription?.unsubscribe();
    if (this.timer) clearInterval(this.timer);
    await this.refreshing?.catch(() => undefined);
    for (const entry of this.loaded.values()) entry.model?.dispose();
    this.loaded.clear();
  }

  /**
   * The model that should price now: the default champion, a family's champion or an exact version.
   * A model replaced while the caller predicts is disposed under it: its prediction rejects with
   * ModelDisposedError, and the caller resolves again (PredictionService does, once).
   */
  async resolve(family?: string, version?: number): Promise<ServingModel> {
    if (this.moved) await this.moved;
    if (!this.state) await this.refresh();
    const state = this.state;
    if (!state)
      throw new DomainError(
        ErrorCode.ModelUnavailable,
        'The model registry cannot be read right now; try again in a few seconds',
      );
    const info =
      family === undefined
        ? this.defaultOf(state)
        : version === undefined
          ? this.championOf(state, family)
          : await this.versionOf(state, family, version);
    return {
      info,
      model: await this.modelFor(info, family !== undefined && version !== undefined),
    };
  }

  /** Version ids currently loaded (for tests and diagnostics). */
  loadedVersionIds(): number[] {
    return [...this.loaded.keys()].sort((a, b) => a - b);
  }

  private defaultOf(state: CatalogState): ModelVersionInfo {
    if (state.defaultChampion) return state.defaultChampion;
    throw new DomainError(
      ErrorCode.ModelUnavailable,
      this.config.TRAIN_ON_START
        ? 'No model is available yet: the service is training its first model (it takes seconds once the data is in). Try again shortly.'
        : 'No model is available yet, and this instance does not train on start (TRAIN_ON_START=false): an admin starts a training run (POST /v1/admin/training-runs) or `npm run train`.',
    );
  }

  private championOf(state: CatalogState, family: string): ModelVersionInfo {
    if (!state.champions.has(family)) throw this.unknownFamily(state, family);
    const champion = state.champions.get(family);
    if (champion) return champion;
    const message = `The ${family} family has no champion yet (no version of it has been promoted). Omit "model" to use the default champion, or name a version.`;
    throw new DomainError(ErrorCode.ModelUnavailable, message, [
      { field: 'model.family', rules: { hasChampion: message } },
    ]);
  }

  private async versionOf(
    state: CatalogState,
    family: string,
    version: number,
  ): Promise<ModelVersionInfo> {
    const key = `${family}@${version}`;
    const cached = this.versions.get(key);
    if (cached) return cached;
    if (!state.champions.has(family)) throw this.unknownFamily(state, family);
    const info = await this.catalog.findVersion(family, version);
    if (!info)
      throw new DomainError(
        ErrorCode.NotFound,
        `The ${family} family has no version ${version} (GET /v1/models lists the versions)`,
        [{ field: 'model.version', rules: { exists: `${family} has no version ${version}` } }],
      );
    this.versions.set(key, info);
    return info;
  }

  private unknownFamily(state: CatalogState, family: string): DomainError {
    const known = [...state.champions.keys()].sort();
    const message = `model.family must be one of: ${known.join(', ') || '(no family trained yet)'}; got "${family}"`;
    return new DomainError(ErrorCode.ValidationFailed, message, [
      { field: 'model.family', rules: { isKnownFamily: message } },
    ]);
  }

  private async modelFor(info: ModelVersionInfo, explicit: boolean): Promise<FittedModel> {
    const entry = this.entryFor(info);
    entry.lastUsed = ++this.clock;
    if (explicit && !entry.explicit) {
      entry.explicit = true;
      this.evict();
    }
    return entry.model ?? (await entry.promise);
  }

  private entryFor(info: ModelVersionInfo): LoadedEntry {
    const existing = this.loaded.get(info.id);
    if (existing) return existing;
    const created: LoadedEntry = {
      info,
      lastUsed: ++this.clock,
      explicit: false,
      promise: Promise.resolve(null as unknown as FittedModel),
    };
    created.promise = this.catalog.loadModel(info).then(
      (model) => {
        if (this.loaded.get(info.id) !== created) {
          // Evicted (or shut down) while loading: nobody will dispose it later.
          model.dispose();
          return model;
        }
        created.model = model;
        this.logger.log(`Loaded ${info.family} v${info.version} (id ${info.id})`);
        return model;
      },
      (err: unknown) => {
        // Forget the failure so that the next request tries again.
        if (this.loaded.get(info.id) === created) this.loaded.delete(info.id);
        // A model that cannot be loaded (missing or corrupt artifact) is the service's trouble,
        // said as such: 503 with a code, never a 500 nor another model silently.
        const reason = (err as Error).message ?? String(err);
        throw new DomainError(
          ErrorCode.ModelUnavailable,
          `The model ${info.family} v${info.version} cannot be loaded: ${reason}`,
          [
            {
              field: 'model',
              rules: { loadable: reason },
              value: `${info.family} v${info.version}`,
            },
          ],
        );
      },
    );
    this.loaded.set(info.id, created);
    return created;
  }

  /** Re-reads the champions; concurrent callers share a reload, and a call during one causes another. */
  refresh(): Promise<void> {
    if (this.refreshing) {
      this.refreshAgain = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      try {
        do {
          this.refreshAgain = false;
          await this.reload();
        } while (this.refreshAgain && !this.stopped);
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  private async reload(): Promise<void> {
    // Read the revision first: if an alias moves while we read, the next poll sees a newer one.
    const revision = await this.catalog.aliasRevision();
    const [families, defaultChampion] = await Promise.all([
      this.catalog.listFamilies(),
      this.catalog.defaultChampion(),
    ]);
    const champions = new Map(families.map((f) => [f.family, f.champion] as const));
    const next: CatalogState = { revision, defaultChampion, champions };
    // Load the new champions before switching, so no request waits for a load after the switch.
    const serving = [
      ...new Map(
        [defaultChampion, ...champions.values()]
          .filter((v): v is ModelVersionInfo => v !== null)
          .map((v) => [v.id, v]),
      ).values(),
    ];
    for (const info of serving) this.preloading.add(info.id);
    try {
      await Promise.all(
        serving.map((info) =>
          this.entryFor(info).promise.catch((err: Error) =>
            this.logger.warn(`Could not load ${info.family} v${info.version}: ${err.message}`),
          ),
        ),
      );
    } finally {
      this.preloading.clear();
    }
    const before = this.state?.defaultChampion;
    this.state = next;
    if (before?.id !== defaultChampion?.id) {
      this.logger.log(
        defaultChampion
          ? `Default champion: ${defaultChampion.family} v${defaultChampion.version}`
          : 'No default champion',
      );
    }
    this.evict();
  }

  private async poll(): Promise<void> {
    if (this.polling || this.stopped) return;
    this.polling = true;
    try {
      const revision = await this.catalog.aliasRevision();
      if (!this.state || revision !== this.state.revision) await this.refresh();
    } catch (err) {
      this.logger.warn(`Could not check the champion aliases: ${(err as Error).message}`);
    } finally {
      this.polling = false;
    }
  }

  /**
   * Disposes every loaded model that no longer serves: former champions at once, versions asked
   * for by number once MAX_EXTRA_MODELS more recently used ones are loaded.
   */
  private evict(): void {
    const pinned = new Set<number>(this.preloading);
    if (this.state?.defaultChampion) pinned.add(this.state.defaultChampion.id);
    for (const champion of this.state?.champions.values() ?? [])
      if (champion) pinned.add(champion.id);
    const unpinned = [...this.loaded.values()].filter((e) => !pinned.has(e.info.id));
    const explicit = unpinned.filter((e) => e.explicit).sort((a, b) => b.lastUsed - a.lastUsed);
    const retired = [...unpinned.filter((e) => !e.explicit), ...explicit.slice(MAX_EXTRA_MODELS)];
    for (const entry of retired) {
      this.loaded.delete(entry.info.id);
      if (entry.model) {
        entry.model.dispose();
        this.logger.log(
          `Unloaded ${entry.info.family} v${entry.info.version} (id ${entry.info.id})`,
        );
      }
    }
  }
}
