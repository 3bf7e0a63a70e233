import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

/**
 * Fastify's per-request log lines, at `debug` instead of `info`. An admin
 * page left open polls and streams all day: at `info` it logged about two
 * thousand lines in seven minutes of nobody doing anything, drowning the
 * lines an operator needs (generations, refusals, verification). A request
 * that errored is still logged at `error`; the rest is one `debug` line when
 * it completes (method, URL, status, time), and one when it arrives.
 */
export class DebugRequestLog extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    if (this.isLogDisabled(request)) return;
    request.log.debug({ req: request }, 'incoming request');
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    if (error) reply.log.error({ res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored');
    else reply.log.debug({ res: reply, responseTime: reply.elapsedTime }, 'request completed');
  }
}
