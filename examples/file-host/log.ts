/**
 * One JSON line per event. What may go in: method, path without its query string, status,
 * durations, reasons, link ids. What never does: query strings (the callback's carries `code`
 * and `state`), cookies, tokens, the client secret, email addresses of recipients.
 */
export type LogLevel = 'info' | 'warn' | 'error';
export type LogFields = Record<string, string | number | boolean | undefined>;
export type Log = (level: LogLevel, message: string, fields?: LogFields) => void;

export const jsonLinesLog: Log = (level, message, fields = {}) => {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level, service: 'file-host', msg: message, ...fields })}\n`);
};

export const silentLog: Log = () => {};

/** A URL as a log may show it: the path, never the query. */
export function loggablePath(url: string): string {
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
}
