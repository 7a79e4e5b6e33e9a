/** CSV as spreadsheets read it (RFC 4180): a header row, fields quoted when they need it. */

/** One CSV row, ending in CRLF. Cells that a spreadsheet would run as a formula are defused. */
export function csvRow(cells: readonly (string | number | boolean | null | undefined)[]): string {
  return `${cells.map((cell) => csvField(cell === null || cell === undefined ? '' : String(cell))).join(',')}\r\n`;
}

function csvField(text: string): string {
  // A cell starting with = + - @ is a formula to Excel and LibreOffice (CSV injection): an
  // address or a resource name an outsider chose must stay text.
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}
