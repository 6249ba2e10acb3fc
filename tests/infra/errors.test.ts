import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import Fastify from 'fastify';
import ts from 'typescript';
import { sendError } from '../../api/http-logging';
import { AkoshaError, ErrorCodes, type ErrorCode } from '../../infra/errors';

const ROOT = join(__dirname, '..', '..');
const CODES = Object.keys(ErrorCodes) as ErrorCode[];

describe('ErrorCodes: one HTTP status per code', () => {
  it('gives every code a 4xx or 5xx status; a retryable failure is never the caller’s fault', () => {
    for (const code of CODES) {
      const { httpStatus, retryable } = ErrorCodes[code];
      expect({ code, valid: Number.isInteger(httpStatus) && httpStatus >= 400 }).toEqual({
        code,
        valid: true,
      });
      expect(httpStatus).toBeLessThan(600);
      if (retryable)
        expect({ code, httpStatus: httpStatus >= 500 }).toEqual({ code, httpStatus: true });
    }
  });

  it('answers a coded error over HTTP with its status, and a 5xx without its message', async () => {
    const app = Fastify({ logger: false });
    app.get('/fail/:code', (req) => {
      const { code } = req.params as { code: ErrorCode };
      throw new AkoshaError(code, 'secret detail of /var/lib/akosha');
    });
    app.setErrorHandler((err, req, reply) => sendError(err, req, reply));
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      for (const code of CODES) {
        const res = await fetch(`${base}/fail/${code}`);
        const { httpStatus } = ErrorCodes[code];
        expect({ code, status: res.status }).toEqual({ code, status: httpStatus });
        const body = (await res.json()) as { message: string; request_id: string };
        expect(body.request_id).toBeTruthy();
        if (httpStatus >= 500) expect(body.message).not.toMatch(/secret/);
        else expect(body.message).toMatch(/secret/);
      }
    } finally {
      await app.close();
    }
  });
});

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Classes that extend an Error class, and whether they set `name` to their own name. */
function errorClasses(fileName: string, code: string): { cls: string; named: boolean }[] {
  const source = ts.createSourceFile(fileName, code, ts.ScriptTarget.ES2022, true);
  const found: { cls: string; named: boolean }[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isClassDeclaration(node) && node.name && extendsError(node)) {
      const cls = node.name.text;
      found.push({ cls, named: setsName(node, cls) });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function extendsError(node: ts.ClassDeclaration): boolean {
  return (node.heritageClauses ?? []).some(
    (clause) =>
      clause.token === ts.SyntaxKind.ExtendsKeyword &&
      clause.types.some((t) => /Error$/.test(t.expression.getText())),
  );
}

/** `name = 'Cls'` as a property, or `this.name = 'Cls'` in the constructor */
function setsName(node: ts.ClassDeclaration, cls: string): boolean {
  const text = node.getText();
  const own = new RegExp(`(^|\\s|this\\.)name\\s*=\\s*['"\`]${cls}['"\`]`, 'm');
  return own.test(text);
}

describe('error classes', () => {
  it('each sets its own name', () => {
    const tsconfig = JSON.parse(readFileSync(join(ROOT, 'tsconfig.json'), 'utf8')) as {
      include: string[];
    };
    const classes = tsconfig.include
      .filter((dir) => dir !== 'tests')
      .flatMap((dir) => sourceFiles(join(ROOT, dir)))
      .flatMap((file) =>
        errorClasses(file, readFileSync(file, 'utf8')).map((c) => ({
          ...c,
          file: relative(ROOT, file),
        })),
      );
    expect(classes.length).toBeGreaterThan(10);
    expect(classes.filter((c) => !c.named)).toEqual([]);
  });

  it('tells a class that names itself from one that does not', () => {
    const code = [
      "class A extends Error { override name = 'A'; }",
      "class B extends Error { constructor() { super('b'); this.name = 'B'; } }",
      'class C extends Error {}',
      "class D extends TypeError { override name = 'A'; }",
      'class E {}',
    ].join('\n');
    expect(errorClasses('sample.ts', code)).toEqual([
      { cls: 'A', named: true },
      { cls: 'B', named: true },
      { cls: 'C', named: false },
      { cls: 'D', named: false },
    ]);
  });
});
