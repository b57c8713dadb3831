// The node worker of llmops (lib/llmops/eval/node_worker.cpp): one process per run that reads
// one JSON request per line on stdin and writes one JSON reply per line to what was its stdout,
// {"ok": true, "result": ...} or {"ok": false, "error": "..."}. Requests:
//   {"op": "ping", "nunjucks": bool}            -> {pid, node, nunjucks: version or null}
//   {"op": "render", "templates": [...], "vars": {...}, "filters": {name: path}}
//                                               -> the templates rendered with Nunjucks
//   {"op": "assert", "mode": "inline"|"file", "code"|"path"+"function", "value", "output",
//    "output_json", "context"}                -> {value: what the assertion returned} or
//                                                  {threw: why it failed}, as promptfoo judges it
//   {"op": "transform", "mode", "code"|"path"+"function", "output", "output_json",
//    "context"}                                -> {text, json: bool}: promptfoo's transform
// `output_json`: `output` is the JSON text of what a transform returned, handed to user code as
// that value (an object, a number...), as promptfoo hands it on.
// While user code runs, console.log and process.stdout write to stderr, so nothing a user
// prints can corrupt a reply.
'use strict';
const fs = require('fs');
const path = require('path');
const readline = require('readline');
const { createRequire } = require('module');
const { pathToFileURL } = require('url');

const replyFd = 1;
process.stdout.write = (chunk, encoding, callback) => process.stderr.write(chunk, encoding, callback);
console.log = console.error;
console.info = console.error;

function reply(answer) {
  let text;
  try {
    text = JSON.stringify(answer);
  } catch (error) {
    text = JSON.stringify({ ok: false, error: 'returned a value that is not JSON (' + error.message + ')' });
  }
  let data = Buffer.from(text + '\n');
  while (data.length > 0) {
    try {
      data = data.subarray(fs.writeSync(replyFd, data));
    } catch (error) {
      if (error.code !== 'EAGAIN') throw error;
    }
  }
}

// ---- nunjucks: the real package, from the suite's folder, NODE_PATH or Debian's folders ----

let nunjucks;
function loadNunjucks(baseDir) {
  if (nunjucks !== undefined) return nunjucks;
  const places = [];
  if (baseDir) places.push(path.join(baseDir, 'noop.js'));
  places.push(path.join(process.cwd(), 'noop.js'));
  for (const place of places) {
    try {
      nunjucks = createRequire(place)('nunjucks');
      return nunjucks;
    } catch (error) {}
  }
  for (const name of ['nunjucks', '/usr/share/nodejs/nunjucks', '/usr/lib/nodejs/nunjucks']) {
    try {
      nunjucks = require(name);
      return nunjucks;
    } catch (error) {}
  }
  nunjucks = null;
  return nunjucks;
}

function nunjucksVersion() {
  const found = loadNunjucks(process.cwd());
  if (!found) return null;
  try {
    return require(path.join(path.dirname(require.resolve('nunjucks', { paths: [process.cwd(), '/usr/share/nodejs', '/usr/lib/nodejs'] })), 'package.json')).version || 'unknown';
  } catch (error) {
    return 'unknown';
  }
}

// As promptfoo configures it: no autoescaping, undefined renders as empty, `env` holds the
// environment, and the suite's nunjucksFilters added by name.
const environments = new Map();
function environment(filters) {
  const key = JSON.stringify(filters || {});
  if (environments.has(key)) return environments.get(key);
  const engine = new nunjucks.Environment(null, { autoescape: false, throwOnUndefined: false });
  engine.addGlobal('env', process.env);
  // promptfoo's getNunjucksEngine (src/util/templates.ts) adds `load`: a JSON string parsed.
  engine.addFilter('load', (text) => JSON.parse(text));
  for (const [name, file] of Object.entries(filters || {})) {
    let filter = require(file);
    if (typeof filter !== 'function' && filter && typeof filter.default === 'function') filter = filter.default;
    if (typeof filter !== 'function') {
      throw new Error("nunjucksFilters '" + name + "': " + path.basename(file) + ' does not export a function');
    }
    engine.addFilter(name, filter);
  }
  environments.set(key, engine);
  return engine;
}

function render(request) {
  if (!loadNunjucks(request.base_dir)) throw new Error('the nunjucks package is not installed');
  const engine = environment(request.filters);
  const vars = Object.assign({}, request.vars || {});
  return request.templates.map((template) => engine.renderString(template, vars));
}

// ---- javascript assertions ---------------------------------------------------------------

// The index of the last `;` outside strings, template literals, comments and brackets, or -1.
function lastStatementEnd(code) {
  let depth = 0;
  let last = -1;
  for (let i = 0; i < code.length; i++) {
    const c = code[i];
    if (c === '"' || c === "'" || c === '`') {
      for (i++; i < code.length && code[i] !== c; i++) if (code[i] === '\\') i++;
    } else if (c === '/' && code[i + 1] === '/') {
      while (i < code.length && code[i] !== '\n') i++;
    } else if (c === '/' && code[i + 1] === '*') {
      i = code.indexOf('*/', i + 2);
      if (i < 0) return last;
      i++;
    } else if (c === '(' || c === '[' || c === '{') {
      depth++;
    } else if (c === ')' || c === ']' || c === '}') {
      depth--;
    } else if (c === ';' && depth === 0) {
      last = i;
    }
  }
  return last;
}

// As promptfoo builds it: a multi-line value is a function body as written; one line is an
// expression returned, or declarations followed by the expression returned.
function functionBody(code) {
  const text = code.trimEnd();
  if (text.includes('\n')) return text;
  const trimmed = text.trim().replace(/;+\s*$/, '');
  if (/^(const|let|var)\s/.test(trimmed)) {
    const end = lastStatementEnd(trimmed);
    if (end >= 0 && trimmed.slice(end + 1).trim()) {
      return trimmed.slice(0, end + 1) + ' return ' + trimmed.slice(end + 1).trim();
    }
    return trimmed;
  }
  return 'return ' + trimmed;
}

const inlineFunctions = new Map();
function inlineFunction(code) {
  let fn = inlineFunctions.get(code);
  if (!fn) {
    fn = new Function('output', 'context', 'process', functionBody(code));
    inlineFunctions.set(code, fn);
  }
  return fn;
}

async function fileFunction(file, name) {
  let loaded;
  if (/\.mjs$/.test(file)) {
    loaded = await import(pathToFileURL(file).href);
  } else {
    loaded = require(file);
  }
  const base = path.basename(file);
  if (name) {
    const fn = loaded && (loaded[name] || (loaded.default && loaded.default[name]));
    if (typeof fn !== 'function') throw new Error(base + " has no function '" + name + "'");
    return fn;
  }
  if (typeof loaded === 'function') return loaded;
  if (loaded && typeof loaded.default === 'function') return loaded.default;
  throw new Error(base + ' must export a function (module.exports = (output, context) => ...)');
}

// What user code gets as `output`: the text, or the value a transform returned.
function outputOf(request) {
  return request.output_json ? JSON.parse(request.output) : request.output;
}

function messageOf(error) {
  const text = error && error.message !== undefined ? error.message : String(error);
  return String(text).replace(/\s*\n\s*/g, ' ').trim();
}

// promptfoo's isGradingResult: pass, score and reason, each of its type.
function isGradingResult(result) {
  return typeof result === 'object' && result !== null && typeof result.pass === 'boolean' &&
    typeof result.score === 'number' && typeof result.reason === 'string';
}

// promptfoo's validateResult: a boolean, a number or a grading result; anything else fails the
// assertion (thrown, as promptfoo throws it).
function checked(result) {
  if (typeof result === 'boolean' || typeof result === 'number' || isGradingResult(result)) {
    return { value: JSON.parse(JSON.stringify(result)) };
  }
  return {
    threw: 'Custom function must return a boolean, number, or GradingResult object. Got type ' +
      typeof result + ': ' + JSON.stringify(result),
  };
}

// As promptfoo runs them (src/assertions/javascript.ts): inline code that does not compile,
// throws or returns something else than a verdict fails the assertion ("Custom function threw
// error"); a file's function is called before that guard, so one that throws (or cannot be
// loaded) is an error, and one returning another type fails.
async function assertion(request) {
  if (request.mode === 'file') {
    const fn = await fileFunction(request.path, request.function);
    const result = await Promise.resolve(fn(outputOf(request), request.context, process));
    if (!['boolean', 'number', 'object'].includes(typeof result)) {
      return {
        threw: 'Invariant failed: Javascript assertion script must return a boolean, number, or object (' +
          request.value + ')',
      };
    }
    return checked(result);
  }
  try {
    const fn = inlineFunction(request.code);
    return checked(await Promise.resolve(fn(outputOf(request), request.context, process)));
  } catch (error) {
    return { threw: messageOf(error) };
  }
}

// ---- transforms --------------------------------------------------------------------------

// promptfoo's transform (src/util/transform.ts): inline code is a function body when it has
// several lines, else an expression returned; a file's function is the named export, the
// module or its default export. What it returns goes on as text: a string as it is, anything
// else as JSON.stringify writes it (promptfoo's coerceString), flagged so that user code later
// gets the value back.
const transformFunctions = new Map();
async function transformFunction(request) {
  if (request.mode === 'file') {
    const loaded = /\.mjs$/.test(request.path) ? await import(pathToFileURL(request.path).href) : require(request.path);
    const name = request.function;
    if (name && loaded && Object.prototype.hasOwnProperty.call(loaded, name) && typeof loaded[name] === 'function') return loaded[name];
    if (typeof loaded === 'function') return loaded;
    if (loaded && typeof loaded.default === 'function') return loaded.default;
    throw new Error('Transform ' + path.basename(request.path) + ' must export a function, have a default export as a function, or export the specified function "' + name + '"');
  }
  let fn = transformFunctions.get(request.code);
  if (!fn) {
    fn = new Function('output', 'context', 'process', request.code.includes('\n') ? request.code : 'return ' + request.code);
    transformFunctions.set(request.code, fn);
  }
  return fn;
}

// promptfoo's getTransformLabel: how a transform is named in its errors.
function transformLabel(request) {
  if (request.mode === 'file') return '[file transform]';
  const line = request.code.replace(/\s+/g, ' ').trim();
  return '[inline transform]: ' + (line.length > 80 ? line.slice(0, 79) + '…' : line);
}

async function runTransform(request) {
  request.label = transformLabel(request);
  const fn = await transformFunction(request);
  let result;
  try {
    result = await Promise.resolve(fn(outputOf(request), request.context, process));
  } catch (error) {
    throw new Error('Transform failed (' + request.label + '): ' + messageOf(error));
  }
  if (result === null || result === undefined) {
    throw new Error('Transform function did not return a value (' + request.label + ')');
  }
  if (typeof result === 'string') return { text: result, json: false };
  const text = JSON.stringify(result);
  if (text === undefined) throw new Error('Transform returned a ' + typeof result + ' (' + request.label + ')');
  return { text, json: true };
}

// ---- the loop ----------------------------------------------------------------------------

async function handle(request) {
  switch (request.op) {
    case 'ping':
      return { pid: process.pid, node: process.version, nunjucks: request.nunjucks ? nunjucksVersion() : null };
    case 'render':
      return render(request);
    case 'assert':
      return assertion(request);
    case 'transform':
      return runTransform(request);
    default:
      throw new Error("unknown request '" + request.op + "'");
  }
}

const queue = [];
let busy = false;
async function drain() {
  if (busy) return;
  busy = true;
  while (queue.length > 0) {
    const line = queue.shift();
    try {
      reply({ ok: true, result: await handle(JSON.parse(line)) });
    } catch (error) {
      const kind = error && error.name ? error.name : 'Error';
      reply({ ok: false, error: kind + ': ' + messageOf(error) });
    }
  }
  busy = false;
}

readline.createInterface({ input: process.stdin, terminal: false }).on('line', (line) => {
  queue.push(line);
  drain();
}).on('close', () => process.exit(0));
