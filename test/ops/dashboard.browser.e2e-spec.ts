import { existsSync, mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium, Browser } from 'playwright-core';
import request from 'supertest';
import { ModelCatalog } from '../../src/registry/model-catalog';
import { RegistryService } from '../../src/registry/registry.service';
import { BatchDriftService } from '../../src/training/drift/batch-drift.service';
import { ingestBatch, train, SAMPLE_DIAMOND } from '../support/training-helpers';
import { createTestApp, ENGINE, TestApp } from '../support/test-app';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = join(__dirname, '..', '..', 'test-artifacts', 'dashboard.png');
const VERSION_SCREENSHOT = join(__dirname, '..', '..', 'test-artifacts', 'dashboard-version.png');

type ChartSummary = { data: unknown[]; pointStyle?: unknown }[] | null;
/** The datasets Chart.js holds for each canvas id (null: no chart on it). */
const chartData = (ids: string[]): Record<string, ChartSummary> => {
  const Chart = (
    globalThis as unknown as {
      Chart: {
        getChart(
          id: string,
        ): { data: { datasets: { data: unknown[]; pointStyle?: unknown }[] } } | undefined;
      };
    }
  ).Chart;
  const out: Record<string, ChartSummary> = {};
  for (const id of ids) {
    const chart = Chart.getChart(id);
    out[id] = chart
      ? chart.data.datasets.map((d) => ({ data: d.data, pointStyle: d.pointStyle }))
      : null;
  }
  return out;
};
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  console.warn(
    `SKIPPED dashboard browser test: ${CHROMIUM} not found (apt-get install -y chromium; .ci/run does it)`,
  );
}
const describeWithChromium = haveChromium ? describe : describe.skip;

describe(`Dashboard (${ENGINE})`, () => {
  let t: TestApp;
  let base: string;

  beforeAll(async () => {
    t = await createTestApp({ AUDIT_FLUSH_INTERVAL_MS: '50' }, { listen: true });
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    // Two runs on growing data: each family gets two versions, the page a history to draw.
    await ingestBatch(t, 1);
    expect((await train(t, { families: ['linear', 'xgboost'], trials: 2 })).status).toBe(
      'succeeded',
    );
    await ingestBatch(t, 2);
    expect((await train(t, { families: ['linear', 'xgboost'], trials: 2 })).status).toBe(
      'succeeded',
    );
    // Some API traffic for the audit chart, with a refused request among it.
    const server = t.app.getHttpServer();
    const diamond = SAMPLE_DIAMOND;
    for (let i = 0; i < 3; i++) await request(server).post('/v1/prices').send(diamond).expect(200);
    await request(server)
      .post('/v1/prices')
      .send({ ...diamond, cut: 'Superb' })
      .expect(400);
    await request(server).get('/v1/models').expect(200);
    // Traffic on many routes and statuses, as a day of use gives: the traffic chart must label
    // every route it shows and tell every status apart.
    const batch = { items: [diamond, diamond] };
    const calls: [string, string, number, object?][] = [
      ['get', '/v1/models/ledger', 200],
      ['get', '/v1/models/linear/versions', 200],
      ['get', '/v1/models/linear/compare?a=1&b=2', 200],
      ['get', '/v1/models/linear/versions/1', 200],
      ['get', '/v1/models/linear/versions/1/trust', 200],
      ['get', '/v1/models/linear/versions/99', 404],
      ['get', '/v1/similar-diamonds?cut=Ideal&color=G&clarity=VS1&carat=0.7', 200],
      ['get', '/v1/similar-diamonds?cut=Ideal', 400],
      ['post', '/v1/prices/batch', 200, batch],
      ['get', '/no/such/page', 404],
      ['get', '/v1/admin/datasets', 503],
      ['get', '/v1/admin/datasets/retractions', 503],
      ['get', '/v1/admin/datasets/1/rejected-rows', 503],
      ['get', '/v1/admin/datasets/1/drift', 503],
      ['get', '/v1/admin/training-runs', 503],
      ['get', '/v1/admin/training-runs/1', 503],
      ['get', '/v1/admin/audit-records', 503],
      ['get', '/v1/admin/audit-stats', 503],
      ['post', '/v1/admin/models/linear/rollback', 503, {}],
    ];
    for (const [method, path, status, body] of calls) {
      const call =
        method === 'post' ? request(server).post(path).send(body) : request(server).get(path);
      await call.expect(status);
    }
  }, 180_000);
  afterAll(() => t?.close());

  it('serves the page, its script and the chart library from the app itself', async () => {
    const server = t.app.getHttpServer();
    const page = await request(server).get('/dashboard').expect(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.text).toContain('<script src="/dashboard/assets/chart.umd.js"');
    expect(page.text).not.toMatch(/<script>(?!<\/script>)/); // no inline script: the CSP forbids them
    const lib = await request(server).get('/dashboard/assets/chart.umd.js').expect(200);
    expect(lib.text.length).toBeGreaterThan(100_000);
    await request(server).get('/dashboard/assets/..%2Fops.module.ts').expect(404);
  });

  it('the data endpoint carries the registry numbers', async () => {
    const catalog = t.app.get(ModelCatalog);
    const champion = (await catalog.defaultChampion())!;
    const res = await request(t.app.getHttpServer()).get('/dashboard/data').expect(200);
    expect(res.body.champion).toMatchObject({
      family: champion.family,
      version: champion.version,
      mae: champion.metrics.mae,
    });
    expect(res.body.champion.sample.length).toBeGreaterThan(10);
    expect(res.body.runs).toHaveLength(2);
    expect(res.body.datasetRows).toBe(2000);
  });

  describeWithChromium('in headless Chromium', () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
      });
    });
    afterAll(() => browser?.close());

    it('draws every chart with the registry numbers and saves a screenshot', async () => {
      const catalog = t.app.get(ModelCatalog);
      const champion = (await catalog.defaultChampion())!;
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      const problems: string[] = [];
      page.on('pageerror', (err) => problems.push(err.message));
      page.on('console', (msg) => {
        if (msg.type() === 'error') problems.push(msg.text());
      });
      await page.goto(`${base}/dashboard`);
      await page.waitForSelector('body[data-state="ready"]', { timeout: 15_000 });

      const mae = new Intl.NumberFormat('en-US', {
        style: 'currency',
        currency: 'USD',
        maximumFractionDigits: 2,
      }).format(champion.metrics.mae);
      expect(await page.textContent('#champion-mae')).toBe(mae);
      expect(await page.textContent('#champion-name')).toBe(
        `${champion.family} v${champion.version}`,
      );

      const onPage = await page.evaluate(chartData, [
        'family-chart-linear',
        'family-chart-xgboost',
        'champion-scatter',
        'audit-volume',
      ]);
      const charts = {
        linear: onPage['family-chart-linear'],
        xgboost: onPage['family-chart-xgboost'],
        scatter: onPage['champion-scatter'],
        audit: onPage['audit-volume'],
      };
      for (const family of ['linear', 'xgboost'] as const) {
        const versions = [...(await catalog.listVersions(family))].reverse();
        const drawn = charts[family]!;
        expect(drawn[0].data).toEqual(versions.map((v) => v.metrics.mae));
        expect(drawn[1].data).toEqual(versions.map((v) => v.metrics.r2));
        const championAt = versions.findIndex((v) => v.status === 'champion');
        expect((drawn[0].pointStyle as string[])[championAt]).toBe('star');
      }
      const sample = await catalog.holdoutSample(champion.id);
      expect(charts.scatter![0].data).toEqual(sample.map((p) => ({ x: p.actual, y: p.predicted })));
      expect(charts.audit).not.toBeNull();
      // The traffic chart: a label on every route it shows, a colour of its own for every status.
      const traffic = await page.evaluate(() => {
        const chart = (
          globalThis as unknown as {
            Chart: {
              getChart(id: string): {
                data: { labels: string[]; datasets: { label: string; backgroundColor: string }[] };
                scales: {
                  y: { ticks: { value: number }[]; getLabelForValue(value: number): string };
                };
              };
            };
          }
        ).Chart.getChart('audit-volume');
        return {
          routes: chart.data.labels,
          drawn: chart.scales.y.ticks.map((tick) => chart.scales.y.getLabelForValue(tick.value)),
          statuses: chart.data.datasets.map((d) => d.label),
          colours: chart.data.datasets.map((d) => d.backgroundColor),
        };
      });
      const volume = (await request(t.app.getHttpServer()).get('/dashboard/data')).body
        .auditVolume as { route: string; status: number }[];
      expect(traffic.routes).toEqual([...new Set(volume.map((v) => v.route))].sort());
      expect(traffic.routes.length).toBeGreaterThanOrEqual(18);
      expect(traffic.drawn).toEqual(traffic.routes);
      expect(traffic.statuses).toEqual(['200', '400', '404', '503']);
      expect(new Set(traffic.colours).size).toBe(traffic.colours.length);
      expect(await page.locator('#runs tbody tr').count()).toBe(2);
      // Batch 2 arrived after the first champion: its drift report is on the page.
      const { drift } = (await t.app.get(BatchDriftService).latestWithStatus(10))[0];
      expect(drift.batchId).toBe(2);
      expect(await page.textContent('#drift tr[data-batch="2"] .psi')).toBe(
        `${drift.maxPsi.toFixed(3)} (${drift.report.maxPsiFeature})`,
      );
      // Canvases really painted: a blank canvas exports as a tiny PNG.
      const painted = await page.evaluate(
        () =>
          (
            globalThis as unknown as {
              document: { getElementById(id: string): { toDataURL(): string } };
            }
          ).document
            .getElementById('champion-scatter')
            .toDataURL().length,
      );
      expect(painted).toBeGreaterThan(5000);

      mkdirSync(join(SCREENSHOT, '..'), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      expect(problems).toEqual([]);
    });

    it("opens a version's page on a click on its point and draws its trust charts with the registry numbers", async () => {
      const registry = t.app.get(RegistryService);
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      const problems: string[] = [];
      page.on('pageerror', (err) => problems.push(err.message));
      page.on('console', (msg) => {
        if (msg.type() === 'error') problems.push(msg.text());
      });
      await page.goto(`${base}/dashboard`);
      await page.waitForSelector('body[data-state="ready"]', { timeout: 15_000 });
      // Click the first point (v1) of the xgboost chart where Chart.js drew it.
      const point = await page.evaluate(() => {
        const Chart = (
          globalThis as unknown as {
            Chart: {
              getChart(id: string): {
                canvas: { getBoundingClientRect(): { left: number; top: number } };
                getDatasetMeta(i: number): { data: { x: number; y: number }[] };
              };
            };
          }
        ).Chart;
        const chart = Chart.getChart('family-chart-xgboost');
        const box = chart.canvas.getBoundingClientRect();
        const p = chart.getDatasetMeta(0).data[0];
        return { x: box.left + p.x, y: box.top + p.y };
      });
      await Promise.all([
        page.waitForURL(/\/dashboard\/version\?/),
        page.mouse.click(point.x, point.y),
      ]);
      expect(new URL(page.url()).search).toBe('?family=xgboost&version=1');
      await page.waitForSelector('body[data-state="ready"]', { timeout: 15_000 });
      expect(await page.textContent('#title')).toBe('xgboost v1');

      const stored = await registry.getVersion('xgboost', 1);
      const drawn = await page.evaluate(chartData, [
        'search-history',
        'error-by-band',
        'feature-importance',
        'range-calibration',
      ]);
      const trials = [...stored.trials].sort((a, b) => a.number - b.number);
      expect(trials.length).toBe(2);
      expect(drawn['search-history']![0].data).toEqual(
        trials.map((tr) =>
          tr.state === 'complete' ? tr.value : (tr.intermediate?.at(-1)?.value ?? null),
        ),
      );
      expect(drawn['search-history']![0].pointStyle).toEqual(
        trials.map((tr) => (tr.state === 'pruned' ? 'crossRot' : 'circle')),
      );
      const bands = stored.diagnostics!.errorByPriceBand;
      expect(drawn['error-by-band']![0].data).toEqual(bands.map((b) => b.mae));
      expect(drawn['error-by-band']![1].data).toEqual(bands.map((b) => b.mape));
      const importance = stored.diagnostics!.featureImportance!;
      expect(drawn['feature-importance']![0].data).toEqual(
        importance.features.map((f) => f.importance),
      );
      expect(drawn['range-calibration']![0].data).toEqual(
        stored.calibration!.checks.map((c) => ({ x: c.level, y: c.coverage })),
      );
      const coverage90 = stored.calibration!.checks.find((c) => c.level === 0.9)!.coverage;
      expect(await page.textContent('#coverage90')).toBe(`${(coverage90 * 100).toFixed(1)} %`);

      await page.screenshot({ path: VERSION_SCREENSHOT, fullPage: true });
      expect(problems).toEqual([]);
    });
  });
});
