/** Lists page with an opaque cursor: the `nextCursor` of one page is where the next one starts. */

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface PageRequest {
  /** The previous page's `nextCursor`; any other string is an `InvalidCursorError`. */
  cursor?: string | undefined;
  limit: number;
}
