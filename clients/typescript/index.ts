import createClient, { type ClientOptions } from 'openapi-fetch';
import type { components, operations, paths } from './schema';

export type { components, operations, paths };

type Schemas = components['schemas'];
/** The body of POST /v1/prices: the four Cs, optional measurements, optional model choice. */
export type PriceRequest = Schemas['PriceRequestDto'];
export type PriceResponse = Schemas['PriceResponseDto'];
export type BatchPriceRequest = Schemas['BatchPriceRequestDto'];
export type BatchPriceResponse = Schemas['BatchPriceResponseDto'];
export type SimilarDiamondsQuery = operations['SimilarDiamondsController_find']['parameters']['query'];
export type SimilarDiamondsResponse = Schemas['SimilarDiamondsResponseDto'];
/** The one error shape of every endpoint: `{ statusCode, error, message, code?, details?, requestId }`. */
export type ApiError = Schemas['ErrorResponseDto'];

/**
 * A client of the diamond pricing service typed from its own OpenAPI document: paths, bodies,
 * query parameters and answers (errors included) are checked by the compiler.
 *
 *   const api = createDiamondPricingClient({ baseUrl: 'http://localhost:3000' });
 *   const { data, error } = await api.POST('/v1/prices', { body: { carat: 0.7, cut: 'Ideal', color: 'G', clarity: 'VS1' } });
 */
export function createDiamondPricingClient(options: ClientOptions = {}) {
  return createClient<paths>(options);
}

export type DiamondPricingClient = ReturnType<typeof createDiamondPricingClient>;
