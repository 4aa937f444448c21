import type { FastifyReply } from "fastify";

/** The HTTP API's error document, `{code, message, timestamp}`: the shape the shadow service answers with. */
export function problemBody(
  code: number,
  message: string,
): { code: number; message: string; timestamp: number } {
  return { code, message, timestamp: Math.floor(Date.now() / 1000) };
}

/** Answers `code` with the API's error document. */
export function sendProblem(reply: FastifyReply, code: number, message: string): FastifyReply {
  return reply.code(code).send(problemBody(code, message));
}
