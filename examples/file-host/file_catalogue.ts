/**
 * The files this host can share: the regular files of one directory, nothing below it.
 *
 * A name from a URL or a link's `resource` is only ever looked up among the names the
 * directory lists, never joined onto a path as given — so `../`, absolute paths and symlinks
 * out of the directory cannot be asked for.
 */
import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';

export interface SharedFile {
  name: string;
  /** What the file host calls it at guestpass (a link's `resource`). */
  resource: string;
  contentType: string;
}

/** Names this host accepts at all: plain, one path segment, no leading dot. */
const fileNamePattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const resourcePrefix = 'files/';

const contentTypes: Record<string, string> = {
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.pdf': 'application/pdf',
  '.png': 'image/png',
};

export class FileCatalogue {
  constructor(readonly directory: string) {}

  async list(): Promise<SharedFile[]> {
    const entries = await readdir(this.directory, { withFileTypes: true });
    return entries
      .filter((entry) => entry.isFile() && fileNamePattern.test(entry.name))
      .map((entry) => describe(entry.name))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async find(name: string): Promise<SharedFile | undefined> {
    if (!fileNamePattern.test(name)) return undefined;
    return (await this.list()).find((file) => file.name === name);
  }

  /** The file a link was made for, if this host still has it. */
  async forResource(resource: string): Promise<SharedFile | undefined> {
    return resource.startsWith(resourcePrefix) ? this.find(resource.slice(resourcePrefix.length)) : undefined;
  }

  read(file: SharedFile): Promise<Buffer> {
    return readFile(join(this.directory, file.name));
  }
}

function describe(name: string): SharedFile {
  return { name, resource: `${resourcePrefix}${name}`, contentType: contentTypes[extname(name).toLowerCase()] ?? 'application/octet-stream' };
}
