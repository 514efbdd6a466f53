import { INestApplication, Injectable, Logger } from '@nestjs/common';
import type { Server } from 'node:http';
import { Server as NetServer, Socket } from 'node:net';
import type { ServerResponse } from 'node:http';
import { AppConfig } from '../config/app-config';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A graceful stop behind a load balancer that checks upstreams only passively and does not retry
 * a POST it has already sent (nginx's open-source build): the listener closes first (new
 * connections are refused, which the balancer retries elsewhere, even a POST), readiness answers
 * 503, every request still arriving on an open keep-alive connection is answered with
 * `Connection: close` (so the balancer never sends on a connection the server is closing), and the
 * server stops once no connection is left, or after SHUTDOWN_DRAIN_MS (longer than the
 * balancer's upstream keep-alive timeout, after which it has closed its idle connections itself).
 */
@Injectable()
export class ShutdownDrain {
  private readonly logger = new Logger(ShutdownDrain.name);
  private startedAt: number | null = null;
  /** The server's open connections, to name those a drain cut (see track()). */
  private readonly sockets = new Set<Socket>();

  constructor(private readonly config: AppConfig) {}

  get draining(): boolean {
    return this.startedAt !== null;
  }

  /** The edge, for every response: while draining, the connection closes after it. */
  onResponse(res: ServerResponse): void {
    if (this.startedAt !== null && !res.headersSent) res.setHeader('Connection', 'close');
  }

  /** Follows the server's connections, so a drain that reaches its deadline names who held it. */
  track(server: Server): void {
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  /** Stops accepting connections and waits for the open ones to end (at most SHUTDOWN_DRAIN_MS). */
  async drain(server: Server): Promise<{ ms: number; connectionsLeft: number }> {
    this.startedAt ??= Date.now();
    // net.Server's close only: http.Server's would also close idle keep-alive connections at once,
    // under a request the balancer may be sending on one of them.
    if (server.listening) NetServer.prototype.close.call(server);
    const deadline = this.startedAt + this.config.SHUTDOWN_DRAIN_MS;
    let open = await connections(server);
    while (open > 0 && Date.now() < deadline) {
      await sleep(50);
      open = await connections(server);
    }
    const ms = Date.now() - this.startedAt;
    const message = `Drained in ${ms} ms: listener closed, ${open} connection(s) left`;
    if (open > 0) {
      const held = [...this.sockets].map(
        (s) =>
          `${s.remoteAddress}:${s.remotePort} (read ${s.bytesRead} B, wrote ${s.bytesWritten} B${
            (s as Socket & { _httpMessage?: unknown })._httpMessage
              ? ', a response in progress'
              : ''
          })`,
      );
      this.logger.warn(
        `${message} (SHUTDOWN_DRAIN_MS reached: they are cut): ${held.join(', ') || 'untracked'}`,
      );
    } else this.logger.log(message);
    return { ms, connectionsLeft: open };
  }
}

function connections(server: Server): Promise<number> {
  return new Promise((resolve) => server.getConnections((err, n) => resolve(err ? 0 : n)));
}

/**
 * main.ts: on SIGTERM or SIGINT, drain, then close the app (its shutdown hooks: audit flush,
 * training stop, the database), then exit. A second signal while draining is ignored.
 */
export function stopGracefullyOnSignals(app: INestApplication): void {
  const drain = app.get(ShutdownDrain);
  drain.track(app.getHttpServer() as Server);
  const logger = new Logger('Shutdown');
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return logger.warn(`${signal} again: already stopping`);
    stopping = true;
    logger.log(`${signal}: draining (readiness 503, listener closed)`);
    void drain
      .drain(app.getHttpServer() as Server)
      .then(() => app.close())
      .then(
        () => process.exit(0),
        (err: unknown) => {
          logger.error(`Shutdown failed: ${(err as Error).message}`);
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
