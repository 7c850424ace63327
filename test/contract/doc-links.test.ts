import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');
const docs = [
  'README.md',
  'client/README.md',
  'bench/README.md',
  ...readdirSync(path.join(root, 'docs'))
    .filter((file) => file.endsWith('.md'))
    .map((file) => `docs/${file}`),
];

/** Markdown links `[text](target)`, leaving out web addresses and in-page anchors. */
const relativeLinks = (markdown: string): string[] =>
  [...markdown.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((match) => match[1])
    .filter((target) => !/^[a-z]+:/i.test(target) && !target.startsWith('#'));

describe('documentation links', () => {
  it.each(docs)('%s links only to files inside the repository that exist', (doc) => {
    const links = relativeLinks(readFileSync(path.join(root, doc), 'utf8')).map((target) =>
      path.resolve(root, path.dirname(doc), target.split('#')[0]),
    );
    expect(
      links
        .filter((target) => !target.startsWith(`${root}${path.sep}`) || !existsSync(target))
        .map((target) => path.relative(root, target)),
    ).toEqual([]);
  });

  it('README leads to the contract and its specs', () => {
    expect(relativeLinks(readFileSync(path.join(root, 'README.md'), 'utf8'))).toEqual(
      expect.arrayContaining(['docs/protocol.md', 'docs/openapi.json', 'docs/asyncapi.json']),
    );
  });
});
