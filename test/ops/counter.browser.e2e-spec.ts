import { existsSync, mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium, Browser, Page } from 'playwright-core';
import request from 'supertest';
import { ingestBatch, train, SAMPLE_DIAMOND } from '../support/training-helpers';
import { createTestApp, ENGINE, TestApp } from '../support/test-app';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = join(__dirname, '..', '..');
// Every run leaves its screenshots in test-artifacts/; UPDATE_SCREENSHOTS=1 also refreshes the README's.
const SCREENSHOT_DIRS = [
  join(ROOT, 'test-artifacts'),
  ...(process.env.UPDATE_SCREENSHOTS ? [join(ROOT, 'docs', 'img')] : []),
];
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  console.warn(
    `SKIPPED counter page browser test: ${CHROMIUM} not found (apt-get install -y chromium; .ci/run does it)`,
  );
}
const describeWithChromium = haveChromium ? describe : describe.skip;
const usd = new Intl.NumberFormat('en-US', {
  style: 'currency',
  currency: 'USD',
  maximumFractionDigits: 2,
});
type Diamond = Record<string, string | number | undefined>;

describe(`Counter page (${ENGINE})`, () => {
  let t: TestApp;
  let base: string;
  const http = () => request(t.app.getHttpServer());

  beforeAll(async () => {
    t = await createTestApp({}, { listen: true });
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    await ingestBatch(t, 1);
    // Only the linear family: it needs x, which lets the page meet a refusal only the API knows.
    expect((await train(t, { families: ['linear'], trials: 0 })).status).toBe('succeeded');
  }, 120_000);
  afterAll(() => t?.close());

  it('is served by the app at /counter, / leads there, and its files carry no inline script', async () => {
    const root = await http().get('/').expect(302);
    expect(root.headers.location).toBe('/counter');
    const page = await http().get('/counter').expect(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.text).toContain('<script src="/counter/assets/counter.js" defer></script>');
    expect(page.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // the CSP forbids inline scripts
    const script = await http().get('/counter/assets/counter.js').expect(200);
    expect(script.headers['content-type']).toMatch(/^application\/javascript/);
    expect(script.text).toContain("'/v1/prices'");
    for (const sheet of ['pages.css', 'counter.css']) {
      expect(page.text).toContain(`<link rel="stylesheet" href="/counter/assets/${sheet}" />`);
      await http()
        .get(`/counter/assets/${sheet}`)
        .expect('Content-Type', /^text\/css/);
    }
    await http().get('/counter/assets/..%2Fops.module.ts').expect(404);
    await http().get('/counter/assets/no-such-file.js').expect(404);
  });

  describeWithChromium('in headless Chromium', () => {
    let browser: Browser;
    let problems: string[];
    let priceRequests: number;

    beforeAll(async () => {
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
      });
    });
    afterAll(() => browser?.close());

    async function open(viewport: { width: number; height: number }): Promise<Page> {
      const page = await browser.newPage({ viewport });
      problems = [];
      priceRequests = 0;
      page.on('pageerror', (err) => problems.push(err.message));
      page.on('console', (msg) => {
        // Chromium logs every 4xx answer; the page handles those itself.
        if (msg.type() === 'error' && !/status of 4\d\d/.test(msg.text()))
          problems.push(msg.text());
      });
      page.on('request', (r) => {
        if (r.url().endsWith('/v1/prices')) priceRequests++;
      });
      await page.goto(`${base}/`);
      expect(page.url()).toBe(`${base}/counter`);
      await page.waitForSelector('body[data-state="ready"]', { timeout: 15_000 });
      return page;
    }

    async function fill(page: Page, diamond: Diamond): Promise<void> {
      for (const f of ['cut', 'color', 'clarity'])
        await page.selectOption(`#${f}`, String(diamond[f] ?? ''));
      for (const f of ['carat', 'depth', 'table', 'x', 'y', 'z'])
        await page.fill(`#${f}`, diamond[f] === undefined ? '' : String(diamond[f]));
    }

    async function submit(page: Page, expected: string): Promise<void> {
      await page.click('#price-button');
      await page.waitForSelector(`body[data-state="${expected}"]`, { timeout: 15_000 });
    }

    async function screenshot(page: Page, name: string, forReadme = true): Promise<void> {
      for (const dir of forReadme ? SCREENSHOT_DIRS : SCREENSHOT_DIRS.slice(0, 1)) {
        mkdirSync(dir, { recursive: true });
        await page.screenshot({ path: join(dir, name), fullPage: true });
      }
    }

    it('takes its grades and ranges from the API document, prices as the API does and lists similar diamonds around the asked carat', async () => {
      const page = await open({ width: 1280, height: 900 });
      const doc = (await http().get('/docs-json').expect(200)).body;
      const schema = doc.components.schemas.PriceRequestDto.properties;
      const options = await page.$$eval('#cut option', (os) =>
        os.map((o) => (o as unknown as { value: string }).value).filter(Boolean),
      );
      expect(options).toEqual(schema.cut.enum);
      expect(await page.getAttribute('#carat', 'max')).toBe(String(schema.carat.maximum));
      expect(await page.getAttribute('#depth', 'min')).toBe(String(schema.depth.minimum));

      const diamond = { ...SAMPLE_DIAMOND, carat: 0.71 };
      await fill(page, diamond);
      await submit(page, 'done');
      const api = (await http().post('/v1/prices').send(diamond).expect(200)).body;
      expect(await page.textContent('#price')).toBe(usd.format(api.price));
      expect(await page.textContent('#model')).toBe(`${api.model.family} v${api.model.version}`);
      // The range shows exactly when the answer carries one.
      expect(await page.isVisible('#range-box')).toBe(Boolean(api.range));
      if (api.range) {
        const whole = (v: number) => usd.format(Math.round(v)).replace(/\.00$/, '');
        expect(await page.textContent('#range')).toBe(
          `${whole(api.range.low)} – ${whole(api.range.high)}`,
        );
      }

      const similar = (
        await http()
          .get('/v1/similar-diamonds')
          .query({ cut: 'Ideal', color: 'G', clarity: 'VS1', carat: 0.71, n: 10 })
          .expect(200)
      ).body.items as { id: number; carat: number; price: number }[];
      expect(similar.length).toBe(10);
      const rows = await page.$$eval('#similar-table tbody tr', (trs) =>
        trs.map((tr) => ({
          asked: tr.classList.contains('asked'),
          id: tr.getAttribute('data-id'),
          carat: Number(tr.querySelector('td')!.textContent!.split(' ')[0]),
          price: tr.querySelector('td:last-child')!.textContent,
        })),
      );
      expect(rows).toHaveLength(11);
      const byCarat = [...similar].sort((a, b) => a.carat - b.carat || a.id - b.id);
      const at = rows.findIndex((r) => r.asked);
      expect(rows[at]).toMatchObject({ carat: 0.71, price: usd.format(api.price) });
      expect(rows.filter((r) => !r.asked)).toEqual(
        byCarat.map((d) => ({
          asked: false,
          id: String(d.id),
          carat: d.carat,
          price: usd.format(d.price),
        })),
      );
      rows.slice(0, at).forEach((r) => expect(r.carat).toBeLessThanOrEqual(0.71));
      rows.slice(at + 1).forEach((r) => expect(r.carat).toBeGreaterThan(0.71));
      expect(priceRequests).toBe(1);
      await screenshot(page, 'counter-desktop.png');
      expect(problems).toEqual([]);
      await page.close();
    });

    it("shows why this price: a waterfall from the baseline to the price, with the API's numbers", async () => {
      const page = await open({ width: 1280, height: 900 });
      await fill(page, SAMPLE_DIAMOND);
      await submit(page, 'done');
      const api = (
        await http()
          .post('/v1/prices')
          .send({ ...SAMPLE_DIAMOND, explain: true })
          .expect(200)
      ).body;
      const lines = await page.$$eval('#waterfall li', (lis) =>
        lis.map((li) => ({
          feature: li.getAttribute('data-feature'),
          effect: Number(li.getAttribute('data-effect')),
          text: li.querySelector('.line-text')!.textContent,
          bar: li.querySelector('.bar')!.className,
        })),
      );
      type Line = { feature: string; value: string | number | null; effect: number };
      const shown = (api.explanation.contributions as Line[]).filter(
        (c) => c.value !== null || c.effect !== 0,
      );
      expect(lines).toHaveLength(shown.length + 2);
      expect(lines[0]).toMatchObject({ feature: 'baseline', effect: api.explanation.baseline });
      expect(lines.at(-1)).toMatchObject({ feature: 'price', effect: api.price });
      expect(lines.at(-1)!.text).toBe(`This diamond: ${usd.format(api.price)}`);
      const words = (effect: number) => {
        const whole = Math.round(effect);
        return `${whole > 0 ? '+' : whole < 0 ? '-' : ''}${Math.abs(whole)} USD`;
      };
      shown.forEach((c, i) => {
        expect(lines[i + 1]).toMatchObject({ feature: c.feature, effect: c.effect });
        expect(lines[i + 1].bar).toBe(`bar ${c.effect >= 0 ? 'up' : 'down'}`);
      });
      const clarity = shown.find((c) => c.feature === 'clarity')!;
      expect(lines.find((l) => l.feature === 'clarity')!.text).toBe(
        `clarity ${SAMPLE_DIAMOND.clarity}: ${words(clarity.effect)}`,
      );
      // The page's lines add up to its price, as the API's do.
      const cents = lines.slice(0, -1).reduce((sum, l) => sum + Math.round(l.effect * 100), 0);
      expect(cents).toBe(Math.round(api.price * 100));
      await screenshot(page, 'counter-why.png', false);
      expect(problems).toEqual([]);
      await page.close();
    });

    it('refuses an out-of-range value in the form, without asking the API', async () => {
      const page = await open({ width: 1280, height: 900 });
      await fill(page, { ...SAMPLE_DIAMOND, carat: 50 });
      await submit(page, 'invalid');
      expect(priceRequests).toBe(0);
      expect(await page.getAttribute('#carat-error', 'data-source')).toBe('form');
      expect(await page.textContent('#carat-error')).toBe('Allowed: > 0 and ≤ 10 ct');
      expect(await page.getAttribute('#carat', 'aria-invalid')).toBe('true');
      // Fixing the value clears the mark as it is typed.
      await page.fill('#carat', '0.7');
      expect(await page.isVisible('#carat-error')).toBe(false);
      expect(problems).toEqual([]);
      await page.close();
    });

    it("shows the API's own message beside the field the API refused", async () => {
      const page = await open({ width: 1280, height: 900 });
      const noX = { ...SAMPLE_DIAMOND, x: undefined, y: undefined, z: undefined };
      await fill(page, noX);
      await submit(page, 'refused');
      const api = (await http().post('/v1/prices').send(noX).expect(400)).body;
      expect(api.code).toBe('MISSING_FEATURE');
      expect(await page.getAttribute('#x-error', 'data-source')).toBe('api');
      expect(await page.textContent('#x-error')).toBe(api.details[0].rules.requiredByModel);
      expect(await page.isVisible('#price')).toBe(false);
      // The similar diamonds need no model: they are still listed.
      expect(await page.locator('#similar-table tbody tr').count()).toBe(11);
      await screenshot(page, 'counter-refused.png', false);
      expect(problems).toEqual([]);
      await page.close();
    });

    it('says when the diamond lies outside what the model was trained on', async () => {
      const page = await open({ width: 1280, height: 900 });
      const stone = { ...SAMPLE_DIAMOND, carat: 9.5 };
      await fill(page, stone);
      await submit(page, 'done');
      const api = (await http().post('/v1/prices').send(stone).expect(200)).body;
      expect(api.outsideTrainingRange.map((o: { field: string }) => o.field)).toContain('carat');
      expect(await page.textContent('#price')).toBe(usd.format(api.price));
      expect(await page.isVisible('#caution')).toBe(true);
      expect(await page.textContent('#caution')).toContain(
        'carat 9.5 is outside the trained range',
      );
      // An ordinary diamond shows no caution.
      await fill(page, SAMPLE_DIAMOND);
      await submit(page, 'done');
      expect(await page.isVisible('#caution')).toBe(false);
      expect(problems).toEqual([]);
      await page.close();
    });

    it('fits a phone-width screen', async () => {
      const page = await open({ width: 390, height: 844 });
      await fill(page, SAMPLE_DIAMOND);
      await submit(page, 'done');
      const api = (await http().post('/v1/prices').send(SAMPLE_DIAMOND).expect(200)).body;
      expect(await page.textContent('#price')).toBe(usd.format(api.price));
      // Neither the page nor the similar-diamonds table (price column included) scrolls sideways.
      const overflow = await page.evaluate(() => {
        type Box = { scrollWidth: number; clientWidth: number };
        const doc = (
          globalThis as unknown as {
            document: { documentElement: Box; querySelector(s: string): Box };
          }
        ).document;
        const wrap = doc.querySelector('.table-wrap');
        return [
          doc.documentElement.scrollWidth - doc.documentElement.clientWidth,
          wrap.scrollWidth - wrap.clientWidth,
        ];
      });
      expect(overflow).toEqual([0, 0]);
      expect(await page.isVisible('#similar-table th.num')).toBe(true);
      await screenshot(page, 'counter-phone.png');
      expect(problems).toEqual([]);
      await page.close();
    });
  });
});
