import { Body, Controller, HttpCode, HttpStatus, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { DomainError, ErrorCode } from '../common/domain-error';
import { ErrorResponseDto } from '../common/error-response.dto';
import { CurrentRequest, RequestContext } from '../common/request-context';
import { REQUEST_ID_HEADER } from '../common/request-id';
import {
  BatchPriceRequestDto,
  BatchPriceResponseDto,
  MAX_BATCH_ITEMS,
  MAX_EXPLAIN_ITEMS,
  PriceRequestDto,
  PriceResponseDto,
  toFeatures,
} from './prediction.dto';
import { Pricing, PredictionService } from './prediction.service';
import { PricedRequestLog } from '../outcomes/priced-request.log';
import { DiamondFeatures } from '../diamonds/diamond-vocabulary';

const REQUEST_ID_RESPONSE_HEADER = {
  'X-Request-Id': {
    description: 'The request id (the one sent, when valid; otherwise a new UUID).',
    schema: { type: 'string' },
  },
};

/** The optional X-Request-Id header a caller may send (read by the edge for every request). */
const RequestIdHeader = () =>
  ApiHeader({
    name: REQUEST_ID_HEADER,
    required: false,
    description:
      'Optional id for this request (1-128 of A-Z a-z 0-9 . _ : -); echoed back, or a UUID is made.',
  });

/** Pricing endpoints; which model prices is the PredictionService's choice (see ChampionCache). */
@ApiTags('pricing')
@ApiServiceUnavailableResponse({
  type: ErrorResponseDto,
  description:
    'MODEL_UNAVAILABLE: no model trained yet, the named family has no champion, or the model to price with cannot be loaded (its artifact is missing or corrupt; `details` names family, version and reason).',
  headers: REQUEST_ID_RESPONSE_HEADER,
})
@ApiNotFoundResponse({
  type: ErrorResponseDto,
  description: 'NOT_FOUND: the named family has no such version.',
  headers: REQUEST_ID_RESPONSE_HEADER,
})
@ApiConflictResponse({
  type: ErrorResponseDto,
  description:
    'CONFLICT: `explain` was asked of a model version that cannot explain its prices (a linear version trained before explanations existed); retrain or choose another version.',
  headers: REQUEST_ID_RESPONSE_HEADER,
})
@Controller('v1/prices')
export class PricesController {
  constructor(
    private readonly prediction: PredictionService,
    private readonly pricedRequests: PricedRequestLog,
  ) {}

  @Post()
  @HttpCode(HttpStatus.OK)
  @RequestIdHeader()
  @ApiOperation({
    summary: 'Price one diamond',
    description:
      'Send the four Cs (carat, cut, color, clarity) and any measurements you have (depth, table, x, y, z). ' +
      "The service's default champion prices it (the model with the lowest typical error), unless `model` names a family " +
      '(its champion prices) or a family and version. Measurements are optional, but the `linear` model needs `x`: ' +
      'without it, a diamond the linear model would price is refused with a 400 MISSING_FEATURE naming `x`; XGBoost accepts missing measurements.',
  })
  @ApiBody({
    type: PriceRequestDto,
    examples: {
      full: {
        summary: 'All attributes, default model',
        value: {
          carat: 0.7,
          cut: 'Ideal',
          color: 'G',
          clarity: 'VS1',
          depth: 61.5,
          table: 57,
          x: 5.7,
          y: 5.72,
          z: 3.52,
        },
      },
      family: {
        summary: "A family's champion",
        value: {
          carat: 0.7,
          cut: 'Ideal',
          color: 'G',
          clarity: 'VS1',
          x: 5.7,
          model: { family: 'linear' },
        },
      },
      version: {
        summary: 'An exact version',
        value: {
          carat: 0.7,
          cut: 'Ideal',
          color: 'G',
          clarity: 'VS1',
          model: { family: 'xgboost', version: 1 },
        },
      },
    },
  })
  @ApiOkResponse({
    type: PriceResponseDto,
    description: 'The price and the model version that computed it.',
    headers: REQUEST_ID_RESPONSE_HEADER,
  })
  @ApiBadRequestResponse({
    type: ErrorResponseDto,
    description:
      'VALIDATION_FAILED: a field is missing, out of range, of an unknown category (the message lists the allowed values), unknown, or the JSON is malformed. ' +
      'MISSING_FEATURE: the chosen model needs a measurement that was not sent.',
    headers: REQUEST_ID_RESPONSE_HEADER,
  })
  async price(
    @Body() body: PriceRequestDto,
    @CurrentRequest() request: RequestContext,
  ): Promise<PriceResponseDto> {
    const rows = [toFeatures(body)];
    const pricing = await this.prediction.price(
      rows,
      body.model ?? {},
      undefined,
      body.level,
      body.explain === true,
    );
    const { prices, model, notes, ranges, rangeUnavailable, explanations } = pricing;
    request.model = model;
    this.remember(request.requestId, rows, pricing);
    return {
      price: prices[0],
      range: ranges?.[0] ?? null,
      ...(rangeUnavailable ? { rangeUnavailable } : {}),
      currency: 'USD',
      model,
      ...notes[0],
      ...(explanations ? { explanation: explanations[0] } : {}),
      requestId: request.requestId,
    };
  }

  @Post('batch')
  @HttpCode(HttpStatus.OK)
  @RequestIdHeader()
  @ApiOperation({
    summary: `Price up to ${MAX_BATCH_ITEMS} diamonds in one call`,
    description:
      `\`items\` holds 1 to ${MAX_BATCH_ITEMS} diamonds, each as in POST /v1/prices; \`model\` (optional) chooses the model for all of them. ` +
      'Answers come in the order sent. The whole batch is refused (400) if any item is invalid; `details` names the item and field, e.g. `items.3.carat`.',
  })
  @ApiBody({
    type: BatchPriceRequestDto,
    examples: {
      two: {
        summary: 'Two diamonds',
        value: {
          items: [
            { carat: 0.7, cut: 'Ideal', color: 'G', clarity: 'VS1', x: 5.7 },
            {
              carat: 1.01,
              cut: 'Premium',
              color: 'F',
              clarity: 'SI1',
              depth: 61.2,
              table: 58,
              x: 6.41,
              y: 6.38,
              z: 3.91,
            },
          ],
        },
      },
    },
  })
  @ApiOkResponse({
    type: BatchPriceResponseDto,
    description: 'One price per diamond, in order, with the model version that priced them.',
    headers: REQUEST_ID_RESPONSE_HEADER,
  })
  @ApiBadRequestResponse({
    type: ErrorResponseDto,
    description: `VALIDATION_FAILED: \`items\` missing, empty or longer than ${MAX_BATCH_ITEMS} (${MAX_EXPLAIN_ITEMS} with \`explain\`), or an item invalid (named as items.i.field). MISSING_FEATURE: the chosen model needs a measurement an item lacks.`,
    headers: REQUEST_ID_RESPONSE_HEADER,
  })
  @ApiPayloadTooLargeResponse({
    type: ErrorResponseDto,
    description: 'The body exceeds BODY_LIMIT (1 MB by default).',
    headers: REQUEST_ID_RESPONSE_HEADER,
  })
  async priceBatch(
    @Body() body: BatchPriceRequestDto,
    @CurrentRequest() request: RequestContext,
  ): Promise<BatchPriceResponseDto> {
    const explain = body.explain === true;
    if (explain && body.items.length > MAX_EXPLAIN_ITEMS) {
      const rule = `items must contain at most ${MAX_EXPLAIN_ITEMS} diamonds when explain is true (got ${body.items.length}): explaining costs far more than pricing; split the batch or leave explain out`;
      throw new DomainError(ErrorCode.ValidationFailed, `Validation failed: ${rule}`, [
        { field: 'items', rules: { maxExplainedItems: rule } },
      ]);
    }
    const rows = body.items.map(toFeatures);
    const pricing = await this.prediction.price(
      rows,
      body.model ?? {},
      (i, feature) => `items.${i}.${feature}`,
      body.level,
      explain,
    );
    const { prices, model, notes, ranges, rangeUnavailable, explanations } = pricing;
    request.model = model;
    this.remember(request.requestId, rows, pricing);
    request.predictionCount = prices.length;
    return {
      items: prices.map((price, i) => ({
        price,
        range: ranges?.[i] ?? null,
        ...(rangeUnavailable ? { rangeUnavailable } : {}),
        currency: 'USD' as const,
        model,
        ...notes[i],
        ...(explanations ? { explanation: explanations[i] } : {}),
      })),
      count: prices.length,
      model,
      requestId: request.requestId,
    };
  }

  /** What an outcome will link to: the diamonds, the prices and ranges served, the model. */
  private remember(requestId: string, rows: DiamondFeatures[], pricing: Pricing): void {
    this.pricedRequests.record(
      requestId,
      pricing.model,
      rows.map((features, i) => ({
        features,
        price: pricing.prices[i],
        range: pricing.ranges?.[i] ?? null,
      })),
    );
  }
}
