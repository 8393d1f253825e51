import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { AgentosError } from '../errors.js';

const compiled = new WeakMap<TSchema, TypeCheck<TSchema>>();

/**
 * Checks params against their declared schema, once compiled per schema. A failure names
 * the first offending field as a JSON pointer.
 */
export function validateParams<T>(method: string, schema: TSchema, params: unknown): T {
  let check = compiled.get(schema);
  if (!check) {
    check = TypeCompiler.Compile(schema);
    compiled.set(schema, check);
  }
  if (check.Check(params)) return params as T;
  const first = check.Errors(params).First();
  const field = first?.path || '/';
  const detail = first ? describe(first.message, first.path, first.value) : 'params do not match the schema';
  throw new AgentosError('ERR_AGENTOS_INVALID_PARAMS', `invalid params for ${method}: ${field} ${detail}`, { field });
}

function describe(message: string, path: string, value: unknown): string {
  if (message.startsWith('Unexpected property')) return `is not a known field`;
  const got = value === undefined ? 'nothing' : JSON.stringify(value)?.slice(0, 60) ?? String(value);
  return `${message.charAt(0).toLowerCase()}${message.slice(1)} (got ${path && value === undefined ? 'nothing' : got})`;
}
