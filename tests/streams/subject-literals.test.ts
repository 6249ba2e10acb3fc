import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

const ROOT = join(__dirname, '..', '..');
/** streams/ spells the subjects; tests spell raw subjects where the wire form is the point */
const ALLOWED = new Set(['streams', 'tests']);
/** `akosha.` followed by a token: a subject, unless it is a file name (`akosha.js`, `akosha.nk`) */
const SUBJECT = /^akosha\.([a-z*>]|$)/;
const FILE_NAME = /^akosha\.[a-z]+$/;
/** literals that are no subjects: a published JSON Schema's title (`akosha.<name>.v1`) */
const NOT_SUBJECTS = new Set(['schemas/json-schema.ts: akosha.']);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** `line: text` of every string or template literal that spells a subject (comments are not literals). */
function subjectLiterals(fileName: string, code: string): string[] {
  const source = ts.createSourceFile(fileName, code, ts.ScriptTarget.ES2022);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    let text: string | undefined;
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) text = node.text;
    else if (ts.isTemplateExpression(node)) text = node.head.text;
    if (text !== undefined && SUBJECT.test(text) && !FILE_NAME.test(text)) {
      const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
      found.push(`${line}: ${text}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function subjectLiteralsOutsideStreams(): string[] {
  const tsconfig = JSON.parse(readFileSync(join(ROOT, 'tsconfig.json'), 'utf8')) as {
    include: string[];
  };
  const files = tsconfig.include
    .filter((dir) => !ALLOWED.has(dir))
    .flatMap((dir) => sourceFiles(join(ROOT, dir)));
  return files.flatMap((file) => {
    const name = relative(ROOT, file);
    return subjectLiterals(file, readFileSync(file, 'utf8'))
      .map((hit) => `${name}:${hit}`)
      .filter((hit) => !NOT_SUBJECTS.has(hit.replace(/:\d+:/, ':')));
  });
}

describe('subjects are spelled only in streams/subjects.ts', () => {
  it('finds no `akosha.` subject literal in the code outside streams/ and tests/', () => {
    expect(subjectLiteralsOutsideStreams()).toEqual([]);
  });

  it('finds string and template literals, not comments or file names', () => {
    const code = [
      "const a = 'akosha.uploads.>';",
      'const b = `akosha.aging.${tier}`;',
      "nc.subscribe(`akosha.dlq.>`, { callback: () => run('akosha.js') });",
      '/** published to `akosha.audit.<action>` */',
      "const c = 'akosha.nk';",
    ].join('\n');
    expect(subjectLiterals('sample.ts', code)).toEqual([
      '1: akosha.uploads.>',
      '2: akosha.aging.',
      '3: akosha.dlq.>',
    ]);
  });
});
