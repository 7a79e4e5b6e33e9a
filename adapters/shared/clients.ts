/** The cursor of the client list, the same in both stores: the last id of a page, base64url. */
import { InvalidCursorError } from '../errors.ts';

export function encodeClientCursor(clientId: string): string {
  return Buffer.from(clientId).toString('base64url');
}

export function decodeClientCursor(cursor: string): string {
  const clientId = Buffer.from(cursor, 'base64url').toString();
  if (clientId === '' || encodeClientCursor(clientId) !== cursor) throw new InvalidCursorError();
  return clientId;
}
