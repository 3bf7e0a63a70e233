import type { FastifyInstance } from 'fastify';
import { formatFieldPath } from '../config/config-error.js';
import { WHOLE_NUMBER_FIELDS } from '../config/conduit-schema.js';
import { scanJsonText } from '../config/json-text.js';
import { badRequest } from './errors.js';

/**
 * Request bodies are read as strictly as config files (config-file.ts
 * `parseConfigJson`): fastify's own JSON parser first (empty bodies,
 * syntax errors, `__proto__` poisoning), then the same scan of the text for
 * what JSON.parse cannot tell — a key given twice in one object (it keeps the
 * last silently: `{"enabled": false, "enabled": true}` would enable), and a
 * whole-number conduit field written `4e0` or `4.0`. Either is a 400 naming
 * the field; the route never runs, so nothing changes.
 */
export function registerStrictJsonBodies(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  // Replaces fastify's default application/json parser (it allows that one being overridden).
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    parseJson(request, text, (error, value) => {
      if (error) {
        done(error, undefined);
        return;
      }
      const problem = strictJsonProblem(text.replace(/^\uFEFF/, ''));
      if (problem) done(problem, undefined);
      else done(null, value);
    });
  });
}

function strictJsonProblem(text: string): Error | undefined {
  const facts = scanJsonText(text);
  if (facts.duplicate) return badRequest(formatFieldPath(facts.duplicate.path), 'expected each field once, got it twice');
  const inexact = facts.nonIntegerLiterals.find((literal) => isWholeNumberField(literal.path));
  if (inexact) return badRequest(formatFieldPath(inexact.path), `expected a whole number written in digits, got ${inexact.text}`);
  return undefined;
}

/** A conduit body's whole-number fields (POST/PATCH /api/conduits; no other body has numbers). */
function isWholeNumberField(path: readonly (string | number)[]): boolean {
  const [field, sub] = path;
  if (path.length === 1) return (WHOLE_NUMBER_FIELDS.conduit as readonly unknown[]).includes(field);
  return path.length === 2 && field === 'versioning' && (WHOLE_NUMBER_FIELDS.versioning as readonly unknown[]).includes(sub);
}
