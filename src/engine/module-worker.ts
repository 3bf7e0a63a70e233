import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * Starts the worker module `<name>.js` that sits beside the module at `here`
 * (pass `import.meta.url`). From compiled `dist/` that file is loaded as it
 * is. When `here` is itself TypeScript source (under vitest, which transforms
 * only its own thread's imports), Node 20 cannot load the worker's `.ts`
 * file, so the worker first registers module hooks that transpile TypeScript
 * with the project's own `typescript` package (a dev dependency) and map
 * NodeNext's `.js` specifiers back to the `.ts` sources.
 */
export function startModuleWorker(here: string, name: string): Worker {
  return here.endsWith('.ts') ? startTypeScriptWorker(here, name) : new Worker(new URL(`./${name}.js`, here));
}

function startTypeScriptWorker(here: string, name: string): Worker {
  const typescriptUrl = pathToFileURL(createRequire(here).resolve('typescript')).href;
  const bootstrap = `
    const { register } = require('node:module');
    register(${JSON.stringify(TS_HOOKS_URL)}, { data: { typescriptUrl: ${JSON.stringify(typescriptUrl)} } });
    import(${JSON.stringify(new URL(`./${name}.ts`, here).href)});
  `;
  return new Worker(bootstrap, { eval: true });
}

/** Module hooks for running a worker from TypeScript sources (see startModuleWorker). */
const TS_HOOKS_URL = `data:text/javascript,${encodeURIComponent(`
  import { readFileSync, existsSync } from 'node:fs';
  import { fileURLToPath } from 'node:url';
  let ts;
  export async function initialize({ typescriptUrl }) { ts = (await import(typescriptUrl)).default; }
  export async function resolve(specifier, context, next) {
    if (specifier.endsWith('.js') && context.parentURL && context.parentURL.endsWith('.ts') && (specifier.startsWith('.') || specifier.startsWith('/'))) {
      const asTs = new URL(specifier.slice(0, -3) + '.ts', context.parentURL);
      if (!existsSync(fileURLToPath(new URL(specifier, context.parentURL))) && existsSync(fileURLToPath(asTs))) {
        return { url: asTs.href, shortCircuit: true };
      }
    }
    return next(specifier, context);
  }
  export async function load(url, context, next) {
    if (!url.startsWith('file:') || !url.endsWith('.ts')) return next(url, context);
    const source = readFileSync(fileURLToPath(url), 'utf8');
    const out = ts.transpileModule(source, { fileName: fileURLToPath(url), compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, experimentalDecorators: true, useDefineForClassFields: false } });
    return { format: 'module', source: out.outputText, shortCircuit: true };
  }
`)}`;
