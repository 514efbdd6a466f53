import type { AddressInfo } from 'node:net';
import {
  createDiamondPricingClient,
  type DiamondPricingClient,
} from '../../clients/typescript/index';
import type { TestApp } from './test-app';

/** The repository's typed client pointed at a test app started with `{ listen: true }`. */
export function typedClient(t: TestApp): DiamondPricingClient {
  const address = t.app.getHttpServer().address() as AddressInfo | null;
  if (!address)
    throw new Error('typedClient needs a listening app: createTestApp(..., { listen: true })');
  return createDiamondPricingClient({ baseUrl: `http://127.0.0.1:${address.port}` });
}
