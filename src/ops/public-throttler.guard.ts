import { ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { Request } from 'express';

/** Paths never throttled: operators and probes must get through when the public API is saturated. */
const EXEMPT = /^\/(v1\/admin|health|metrics|docs|dashboard\/assets|counter\/assets)(\/|$)/;

/**
 * Rate limit per client (its address; `trust proxy` is loopback only, so X-Forwarded-For cannot
 * be forged from outside) on the public endpoints. THROTTLE_LIMIT=0 turns it off. Over the limit:
 * 429 with Retry-After (seconds), set by ThrottlerGuard itself.
 */
@Injectable()
export class PublicThrottlerGuard extends ThrottlerGuard {
  protected override async shouldSkip(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const limit = this.throttlers[0]?.limit;
    if (limit === 0) return true;
    const req = context.switchToHttp().getRequest<Request>();
    return EXEMPT.test(req.path);
  }
}
