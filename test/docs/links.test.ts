/**
 * The documentation links to itself a lot (README → docs/*.md, docs → each other and to
 * sections). Moving a section must not leave a link pointing nowhere: every relative link of
 * every Markdown file we ship or point people to resolves to a file, and its `#anchor` to a
 * heading of that file (GitHub's rule for heading ids).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

const root = fileURLToPath(new URL('../../', import.meta.url));

function markdownFiles(): string[] {
  const inDocs = readdirSync(join(root, 'docs')).filter((name) => name.endsWith('.md')).map((name) => join(root, 'docs', name));
  const readmes = ['README.md', 'examples/file-host/README.md', 'bench/README.md', 'test/browser/screenshots/README.md'].map((path) => join(root, path));
  const examples = existsSync(join(root, 'examples/plugin-host/README.md')) ? [join(root, 'examples/plugin-host/README.md')] : [];
  return [...readmes, ...examples, ...inDocs].filter((path) => existsSync(path));
}

/** Text outside fenced code blocks, where a `[x](y)` is a link. */
function prose(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```/gm, '');
}

/** GitHub's heading ids: lower-cased, punctuation dropped, spaces to dashes, repeats numbered. */
export function headingIds(markdown: string): Set<string> {
  const ids = new Set<string>();
  const seen = new Map<string, number>();
  for (const [, text = ''] of prose(markdown).matchAll(/^#{1,6} +(.+?) *#* *$/gm)) {
    const base = text
      .replace(/`/g, '')
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
      .replace(/ /g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    ids.add(count === 0 ? base : `${base}-${count}`);
  }
  return ids;
}

describe('links in the documentation', () => {
  const files = markdownFiles();

  it('finds the documents', () => {
    expect(files.map((file) => relative(root, file))).to.include.members(['README.md', 'docs/spec.md', 'docs/configuration.md']);
  });

  it('resolves every relative link to a file and every anchor to a heading', () => {
    const broken: string[] = [];
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      for (const [, target = ''] of prose(text).matchAll(/\]\(([^)\s]+)(?: "[^"]*")?\)/g)) {
        if (/^[a-z]+:/i.test(target)) continue;
        const [path = '', anchor] = target.split('#');
        const destination = path === '' ? file : join(dirname(file), decodeURIComponent(path));
        const where = `${relative(root, file)} → ${target}`;
        if (!existsSync(destination)) {
          broken.push(`${where}: no such file`);
          continue;
        }
        if (anchor !== undefined && destination.endsWith('.md') && !headingIds(readFileSync(destination, 'utf8')).has(anchor)) {
          broken.push(`${where}: no such heading`);
        }
      }
    }
    expect(broken).to.deep.equal([]);
  });
});
