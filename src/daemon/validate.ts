import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { AgentosError } from '../errors.js';
import { INVENTORY } from '../limits/inventory.js';
import { jsonDepth } from './json-depth.js';

const compiled = new WeakMap<TSchema, TypeCheck<TSchema>>();

/**
 * Checks params against their declared schema, once compiled per schema. A failure names
 * the first offending field as a JSON pointer. Params nested deeper than `maxDepth` are
 * refused before the (recursive) validator sees them.
 */
export function validateParams<T>(method: string, schema: TSchema, params: unknown, maxDepth: number): T {
  const depth = jsonDepth(params);
  if (depth > maxDepth) {
    const env = INVENTORY.MAX_PARAMS_DEPTH.env;
    throw new AgentosError('ERR_AGENTOS_INVALID_PARAMS', `invalid params for ${method}: nested ${depth} levels deep; the limit is ${maxDepth} (${env})`, {
      field: '/',
      limit: 'max_params_depth',
      capacity: maxDepth,
      observed: depth,
      env,
    });
  }
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
