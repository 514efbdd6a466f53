/**
 * Lists the exports of src/ that no other file references (the TypeScript language service's
 * find-references over the whole project, tests included): candidates to make module-private.
 * `npx ts-node --transpile-only scripts/unused-exports.ts` (a minute or two). "tests only" marks
 * exports only specs use. Not run by CI: a worker entry point (createWorkerTasks) is loaded by
 * path and has no static reference.
 */
import { relative, resolve } from 'node:path';
import * as ts from 'typescript';

const root = resolve(__dirname, '..');
const parsed = ts.getParsedCommandLineOfConfigFile(resolve(root, 'tsconfig.json'), undefined, {
  ...ts.sys,
  onUnRecoverableConfigFileDiagnostic: () => undefined,
});
if (!parsed) throw new Error('tsconfig.json could not be read');
const files = parsed.fileNames;
const service = ts.createLanguageService({
  getScriptFileNames: () => files,
  getScriptVersion: () => '1',
  getScriptSnapshot: (f) =>
    ts.sys.fileExists(f) ? ts.ScriptSnapshot.fromString(ts.sys.readFile(f) ?? '') : undefined,
  getCurrentDirectory: () => root,
  getCompilationSettings: () => parsed.options,
  getDefaultLibFileName: (o) => ts.getDefaultLibFilePath(o),
  fileExists: ts.sys.fileExists,
  readFile: ts.sys.readFile,
  readDirectory: ts.sys.readDirectory,
});
const program = service.getProgram();
if (!program) throw new Error('no program');

const isTest = (file: string) => /\.spec\.ts$|\/test\//.test(file);
for (const source of program.getSourceFiles()) {
  const file = relative(root, source.fileName);
  if (!file.startsWith('src/') || isTest(file) || file.includes('/migrations/')) continue;
  ts.forEachChild(source, (node) => {
    const modifiers = ts.canHaveModifiers(node) ? ts.getModifiers(node) : undefined;
    if (!modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) return;
    const names: ts.Identifier[] = [];
    if (ts.isVariableStatement(node))
      for (const d of node.declarationList.declarations)
        if (ts.isIdentifier(d.name)) names.push(d.name);
    const named = (node as { name?: ts.Node }).name;
    if (named && ts.isIdentifier(named)) names.push(named);
    for (const name of names) {
      const references = (service.findReferences(source.fileName, name.getStart(source)) ?? [])
        .flatMap((r) => r.references)
        .filter((r) => r.fileName !== source.fileName);
      if (references.length === 0) console.log(`${file}: ${name.text}`);
      else if (references.every((r) => isTest(r.fileName)))
        console.log(`${file}: ${name.text} (tests only)`);
    }
  });
}
