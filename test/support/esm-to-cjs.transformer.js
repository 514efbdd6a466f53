// Jest (CommonJS) cannot load ESM-only packages such as NestJS 12 on Node 20. This transformer
// rewrites those node_modules files to CommonJS with TypeScript's transpiler; `import.meta.url`,
// which CommonJS lacks, becomes the file's URL. The app itself runs them natively (require(esm)).
const ts = require('typescript');
const { createHash } = require('node:crypto');

module.exports = {
  process(source, filename) {
    const patched = source
      // `const require = createRequire(import.meta.url)`: CommonJS already has a require.
      .replace(/\b(?:const|let|var)\s+require\s*=\s*[^;\n]+;?/g, '')
      .replace(/import\.meta\.url/g, "require('node:url').pathToFileURL(__filename).href")
      .replace(/import\.meta\.resolve/g, 'require.resolve')
      .replace(/import\.meta\.dirname/g, '__dirname')
      .replace(/import\.meta\.filename/g, '__filename');
    const out = ts.transpileModule(patched, {
      fileName: filename,
      compilerOptions: {
        module: ts.ModuleKind.CommonJS,
        target: ts.ScriptTarget.ES2022,
        allowJs: true,
        esModuleInterop: true,
        sourceMap: false,
      },
    });
    return { code: out.outputText };
  },
  getCacheKey(source, filename) {
    return createHash('sha1').update('esm-to-cjs-v3').update(filename).update(source).digest('hex');
  },
};
