import { RequestContext } from '../common/request-context';
import { DiamondFeatures } from '../diamonds/diamond-vocabulary';
import { BatchPriceRequestDto, PriceRequestDto } from './prediction.dto';
import { PredictionService, Pricing } from './prediction.service';
import { PricesController } from './prices.controller';
import { PricedItem } from '../outcomes/priced-request.entity';
import { PricedRequestLog } from '../outcomes/priced-request.log';

/** The controller's contract with audit and metrics: the request context names the model (and the batch size). */
describe('PricesController', () => {
  const calls: {
    rows: readonly DiamondFeatures[];
    selector: object;
    field: string;
    level?: number;
  }[] = [];
  const service = {
    async price(
      rows: readonly DiamondFeatures[],
      selector: object,
      fieldOf: (i: number, f: string) => string = (_, f) => f,
      level?: number,
    ): Promise<Pricing> {
      calls.push({ rows, selector, field: fieldOf(2, 'x'), level });
      return {
        prices: rows.map((r) => r.carat * 1000),
        model: { family: 'linear', version: 4 },
        notes: rows.map(() => ({ outsideTrainingRange: [], priceClamped: false })),
        ranges: rows.map((r) => ({ low: r.carat * 900, high: r.carat * 1100, level: 0.8 })),
        rangeUnavailable: null,
        explanations: null,
      };
    },
  } as unknown as PredictionService;
  const remembered: { requestId: string; items: PricedItem[] }[] = [];
  const log = {
    record: (requestId: string, _model: object, items: PricedItem[]) =>
      remembered.push({ requestId, items }),
  } as unknown as PricedRequestLog;
  const controller = new PricesController(service, log);
  const diamond = { carat: 0.5, cut: 'Ideal', color: 'G', clarity: 'VS1' } as PriceRequestDto;

  beforeEach(() => (calls.length = 0));

  it('prices one diamond, passing missing measurements as null, and names the model in the request context', async () => {
    const r = new RequestContext('rid-1', '/v1/prices', null);
    const body = await controller.price(
      { ...diamond, x: 5.1, model: { family: 'linear' }, level: 0.8 } as PriceRequestDto,
      r,
    );
    expect(calls[0].level).toBe(0.8);
    expect(body).toEqual({
      price: 500,
      range: { low: 450, high: 550, level: 0.8 },
      currency: 'USD',
      model: { family: 'linear', version: 4 },
      outsideTrainingRange: [],
      priceClamped: false,
      requestId: 'rid-1',
    });
    expect(r.model).toEqual({ family: 'linear', version: 4 });
    expect(r.predictionCount).toBeUndefined();
    expect(calls[0].rows).toEqual([
      {
        carat: 0.5,
        cut: 'Ideal',
        color: 'G',
        clarity: 'VS1',
        depth: null,
        table: null,
        x: 5.1,
        y: null,
        z: null,
      },
    ]);
    expect(calls[0].selector).toEqual({ family: 'linear' });
    // What an outcome links to: the diamond as priced, the price and range served.
    expect(remembered.at(-1)).toEqual({
      requestId: 'rid-1',
      items: [
        { features: calls[0].rows[0], price: 500, range: { low: 450, high: 550, level: 0.8 } },
      ],
    });
  });

  it('prices a batch, names the model and the count in the request context, and names items as items.i.field', async () => {
    const r = new RequestContext('rid-2', '/v1/prices/batch', null);
    const body = await controller.priceBatch(
      { items: [diamond, { ...diamond, carat: 1 }, diamond] } as BatchPriceRequestDto,
      r,
    );
    expect(body.items.map((i) => i.price)).toEqual([500, 1000, 500]);
    expect(body.items[1].range).toEqual({ low: 900, high: 1100, level: 0.8 });
    expect(body.count).toBe(3);
    expect(body.requestId).toBe('rid-2');
    expect(r.model).toEqual({ family: 'linear', version: 4 });
    expect(r.predictionCount).toBe(3);
    expect(calls[0].selector).toEqual({});
    expect(calls[0].field).toBe('items.2.x');
    expect(remembered.at(-1)!.requestId).toBe('rid-2');
    expect(remembered.at(-1)!.items.map((i) => i.price)).toEqual([500, 1000, 500]);
  });
});
