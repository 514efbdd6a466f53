import type { Logger as Pino } from 'pino';

/**
 * The process-level last resort: an error no code path caught (thrown from an event handler after
 * a response, a promise nobody awaited) is logged with its stack and the service keeps serving.
 * Every path that runs after a response is guarded on its own; this is the net under them, so
 * one bad request can never take the other clients' service down. Returns the uninstaller.
 */
export function installLastResort(logger: Pino): () => void {
  const onException = (err: unknown) =>
    logger.error({ err }, `Uncaught exception, still serving: ${describe(err)}`);
  const onRejection = (reason: unknown) =>
    logger.error(
      { err: reason },
      `Unhandled promise rejection, still serving: ${describe(reason)}`,
    );
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  return () => {
    process.off('uncaughtException', onException);
    process.off('unhandledRejection', onRejection);
  };
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
