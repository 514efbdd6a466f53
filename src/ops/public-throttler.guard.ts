import { ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';

/**
 * Rate limit per client (its address; only a loopback proxy is trusted, so X-Forwarded-For cannot
 * be forged from outside) on the public endpoints; admin, probe, metrics and dashboard-asset
 * routes opt out with @SkipThrottle (AdminOnly, InfrastructureRoute). THROTTLE_LIMIT=0 turns it
 * off. Over the limit: 429 with Retry-After (seconds), set by ThrottlerGuard itself.
 */
@Injectable()
export class PublicThrottlerGuard extends ThrottlerGuard {
  protected override async shouldSkip(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    return this.throttlers[0]?.limit === 0;
  }
}
