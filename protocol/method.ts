import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { NotificationType, RequestType } from 'vscode-jsonrpc/node';
import type { ErrorData } from './errors.js';

/**
 * One declaration per method: the literal name, the params and result schemas (which give
 * the TypeScript types, the daemon's runtime validation and `schema.json`), and the typed
 * vscode-jsonrpc object that daemon, client and tests call with.
 */
export interface RequestSpec<M extends string, P extends TSchema, R extends TSchema> {
  readonly kind: 'request';
  readonly method: M;
  readonly params: P;
  readonly result: R;
  readonly doc: string;
  readonly type: RequestType<Static<P>, Static<R>, ErrorData>;
}

export interface NotificationSpec<M extends string, P extends TSchema> {
  readonly kind: 'notification';
  readonly method: M;
  readonly params: P;
  readonly doc: string;
  readonly type: NotificationType<Static<P>>;
}

export function request<M extends string, P extends TSchema, R extends TSchema>(
  method: M,
  params: P,
  result: R,
  doc: string,
): RequestSpec<M, P, R> {
  return { kind: 'request', method, params, result, doc, type: new RequestType(method) };
}

export function notification<M extends string, P extends TSchema>(
  method: M,
  params: P,
  doc: string,
): NotificationSpec<M, P> {
  return { kind: 'notification', method, params, doc, type: new NotificationType(method) };
}

/** Objects refuse unknown keys by name: a misspelt option is an error, not silently ignored. */
export function strictObject<T extends Parameters<typeof Type.Object>[0]>(properties: T, description?: string) {
  return Type.Object(properties, { additionalProperties: false, ...(description ? { description } : {}) });
}

export const Empty = strictObject({});
export const VmId = Type.String({ minLength: 1, maxLength: 64, description: 'id returned by vm/create' });
export const Base64OrUtf8 = Type.Union([Type.Literal('base64'), Type.Literal('utf8')], {
  description: 'how `data` is encoded on the wire',
});

/** An optional encoding field and the default the daemon really uses when it is omitted. */
export function encodingOf(what: string, byDefault: 'base64' | 'utf8') {
  return Type.Optional(
    Type.Union([Type.Literal('base64'), Type.Literal('utf8')], {
      description: `how ${what} is encoded on the wire (default ${byDefault}${byDefault === 'base64' ? '; anything that is not base64 is refused' : ''})`,
    }),
  );
}
