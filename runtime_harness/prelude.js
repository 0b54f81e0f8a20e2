// forge-audit replay sandbox: a CommonJS loader over the app's own files and stand-ins for the Forge
// SDKs with their real invocation shapes. Nothing else is reachable from app code: no filesystem, no
// network, no host environment. Product and storage calls are answered here, per tenant, and
// recorded, so the harness can see what each tenant sent and received.
"use strict";

const __h = {
  tenant: null,          // the tenant whose invocation is running
  calls: [],             // everything app code sent through a stub, with the tenant that sent it
  notes: [],             // what the sandbox had to stand in for (missing packages, forbidden modules)
  storage: {},           // installation id -> key -> value (Forge storage is per installation)
  files: {},             // path -> module factory
  cache: {},             // path -> module
  packages: {},          // bare specifier -> path of its entry file (plain-JS packages present)
  sequence: 0,
};

function __note(text) {
  if (!__h.notes.includes(text)) __h.notes.push(text);
}

function __record(kind, detail) {
  __h.calls.push(Object.assign({ tenant: __h.tenant ? __h.tenant.id : null, kind }, detail));
}

// ---- minimal Node and Web globals -----------------------------------------------------------------

const __logs = [];
globalThis.console = {
  log: (...a) => __logs.push(a.map(String).join(" ")),
  info: (...a) => __logs.push(a.map(String).join(" ")),
  warn: (...a) => __logs.push(a.map(String).join(" ")),
  error: (...a) => __logs.push(a.map(String).join(" ")),
  debug: () => {},
};
globalThis.global = globalThis;
globalThis.process = {
  env: {},
  exit: (code) => { throw new Error(`process.exit(${code}) is not allowed in the replay sandbox`); },
  nextTick: (fn, ...args) => Promise.resolve().then(() => fn(...args)),
  version: "v22.0.0",
  versions: { node: "22.0.0" },
  platform: "linux",
};
// A frozen clock and a seeded Math.random per invocation: tenant B's invocation then behaves the same
// whether or not tenant A ran before it, unless state carried something over.
const __RealDate = Date;
class __Date extends __RealDate {
  constructor(...args) { if (args.length === 0) super(__h.now); else super(...args); }
  static now() { return __h.now; }
}
globalThis.Date = __Date;
let __seed = 1;
Math.random = () => { __seed = (__seed * 16807) % 2147483647; return (__seed - 1) / 2147483646; };
__h.now = 1767225600000;
globalThis.queueMicrotask = globalThis.queueMicrotask || ((fn) => Promise.resolve().then(fn));
globalThis.structuredClone = globalThis.structuredClone || ((v) => JSON.parse(JSON.stringify(v)));

class __TextEncoder {
  encode(s = "") {
    const out = [];
    for (const ch of String(s)) {
      let c = ch.codePointAt(0);
      if (c < 0x80) out.push(c);
      else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
      else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
      else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    }
    return Uint8Array.from(out);
  }
}
class __TextDecoder {
  decode(bytes = new Uint8Array()) {
    let s = "";
    for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
    try { return decodeURIComponent(escape(s)); } catch (e) { return s; }
  }
}
globalThis.TextEncoder = globalThis.TextEncoder || __TextEncoder;
globalThis.TextDecoder = globalThis.TextDecoder || __TextDecoder;

class __URLSearchParams {
  constructor(init = "") {
    this._p = [];
    const s = String(init).replace(/^\?/, "");
    if (s) for (const part of s.split("&")) {
      const [k, v = ""] = part.split("=");
      this._p.push([decodeURIComponent(k), decodeURIComponent(v)]);
    }
  }
  get(k) { const f = this._p.find((p) => p[0] === k); return f ? f[1] : null; }
  set(k, v) { this._p = this._p.filter((p) => p[0] !== k); this._p.push([k, String(v)]); }
  append(k, v) { this._p.push([k, String(v)]); }
  has(k) { return this._p.some((p) => p[0] === k); }
  toString() { return this._p.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&"); }
}
class __URL {
  constructor(url, base) {
    let s = String(url);
    if (base !== undefined && !/^[a-z][a-z0-9+.-]*:/i.test(s)) {
      const b = new __URL(base);
      s = s.startsWith("/") ? `${b.protocol}//${b.host}${s}` : `${b.protocol}//${b.host}${b.pathname.replace(/[^/]*$/, "")}${s}`;
    }
    const m = /^([a-z][a-z0-9+.-]*:)\/\/([^/?#]*)([^?#]*)(\?[^#]*)?(#.*)?$/i.exec(s);
    if (!m) throw new TypeError(`Invalid URL: ${s}`);
    this.protocol = m[1].toLowerCase(); this.host = m[2]; this.hostname = m[2].replace(/:\d+$/, "");
    this.port = (/:(\d+)$/.exec(m[2]) || [])[1] || ""; this.pathname = m[3] || "/";
    this.search = m[4] || ""; this.hash = m[5] || ""; this.origin = `${this.protocol}//${this.host}`;
    this.searchParams = new __URLSearchParams(this.search);
  }
  get href() { const q = this.searchParams.toString(); return `${this.origin}${this.pathname}${q ? "?" + q : ""}${this.hash}`; }
  toString() { return this.href; }
}
globalThis.URL = globalThis.URL || __URL;
globalThis.URLSearchParams = globalThis.URLSearchParams || __URLSearchParams;

const __b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
class __Buffer extends Uint8Array {
  static from(v, enc) {
    if (typeof v === "string" && enc === "base64") {
      const clean = v.replace(/[^A-Za-z0-9+/]/g, ""); const out = [];
      for (let i = 0; i < clean.length; i += 4) {
        const n = [0, 1, 2, 3].map((j) => __b64.indexOf(clean[i + j] || "A"));
        const bits = (n[0] << 18) | (n[1] << 12) | (n[2] << 6) | n[3];
        out.push((bits >> 16) & 255);
        if (clean[i + 2]) out.push((bits >> 8) & 255);
        if (clean[i + 3]) out.push(bits & 255);
      }
      return new __Buffer(out);
    }
    if (typeof v === "string") return new __Buffer(new __TextEncoder().encode(v));
    return new __Buffer(Array.from(v));
  }
  static isBuffer(v) { return v instanceof __Buffer; }
  toString(enc) {
    if (enc === "base64") {
      let s = "";
      for (let i = 0; i < this.length; i += 3) {
        const bits = (this[i] << 16) | ((this[i + 1] || 0) << 8) | (this[i + 2] || 0);
        s += __b64[(bits >> 18) & 63] + __b64[(bits >> 12) & 63] +
          (i + 1 < this.length ? __b64[(bits >> 6) & 63] : "=") + (i + 2 < this.length ? __b64[bits & 63] : "=");
      }
      return s;
    }
    return new __TextDecoder().decode(this);
  }
}
globalThis.Buffer = __Buffer;
globalThis.crypto = {
  randomUUID: () => "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx".replace(/[xy]/g, (c) => {
    const r = (Math.random() * 16) | 0; return (c === "x" ? r : (r & 3) | 8).toString(16);
  }),
  getRandomValues: (a) => { for (let i = 0; i < a.length; i++) a[i] = (Math.random() * 256) | 0; return a; },
};

// ---- product API, fetch and storage stand-ins ----------------------------------------------------

function __canary() {
  __h.sequence += 1;
  return `${__h.tenant ? __h.tenant.canary : "CANARY-NONE"}-${__h.sequence}`;
}

// Endpoints whose success response is a JSON array or map (from the bundled catalog), by product.
const __shapes = {};
function __setShapes(shapes) {
  for (const [product, rows] of Object.entries(shapes)) {
    __shapes[product] = rows.map(([method, re, shape]) => [method, new RegExp(re), shape]);
  }
}
function __shapeOf(product, method, path) {
  const bare = String(path).split("?")[0];
  const hit = (__shapes[product] || []).find(([m, re]) => m === method && re.test(bare));
  return hit ? hit[2] : "object";
}

function __body(path, product, method) {
  // A generic answer in the shapes Jira, Confluence and Bitbucket use, every text field a canary.
  const shape = __shapeOf(product, method, path);
  const c = __canary();
  const last = String(path).split("?")[0].split("/").filter(Boolean).pop() || "1";
  const issue = { id: "10001", key: last, self: String(path), fields: {
    summary: c, description: c, status: { name: c, statusCategory: { key: "new" } }, priority: { name: c },
    assignee: { accountId: "acct-1", displayName: c }, reporter: { accountId: "acct-1", displayName: c },
    project: { id: "10000", key: "PROJ", name: c }, labels: [c], comment: { comments: [{ id: "10100", body: c }] },
    issuelinks: [{ id: "20001", type: { name: "Relates" }, outwardIssue: { id: "10002", key: "PROJ-2", fields: { summary: c } } }],
  } };
  const item = Object.assign({}, issue, { name: c, displayName: c, title: c, value: c, description: c });
  if (shape === "array") return [item, Object.assign({}, item, { id: "10002", key: "PROJ-2" })];
  if (shape === "map") return { [c]: `https://example.atlassian.net${String(path).split("?")[0]}/10002` };
  return Object.assign({}, issue, {
    name: c, displayName: c, title: c, emailAddress: `${c}@example.invalid`, accountId: "acct-1",
    description: c, value: c, text: c, access_token: c, token: c,
    body: { storage: { value: c, representation: "storage" } },
    values: [{ id: "1", key: "K-1", name: c, title: c }], results: [{ id: "1", title: c, name: c }],
    issues: [issue], total: 1, isLast: true, startAt: 0, maxResults: 50, size: 1, _links: {},
    version: { number: 1 }, actors: [{ actorUser: { accountId: "acct-1" }, displayName: c }], groups: { items: [] },
  });
}

// ---- lenient inputs -----------------------------------------------------------------------------------
// Real invocations carry fields the replay cannot guess. A field the code reads that the replay did not
// provide is made up on the spot: an identifier-like name (…Key, …Id) gets the same value for both tenants,
// so both ask for the same thing; anything else becomes a value that carries the tenant's canary and
// survives being called, iterated, stringified or read further.

// The naming rules come from runtime_harness/payloads.py (__setSharedRules), so generated payloads and
// fields made up here agree on which names are identifiers and what value they take.
let __SHARED = [];
let __KEYISH = /$^/;
let __KEYISH_CASED = /$^/;
function __setSharedRules(rules) {
  __SHARED = rules.shared.map(([pattern, value]) => [new RegExp(pattern, "i"), value]);
  __KEYISH = new RegExp(rules.keyish, "i");
  __KEYISH_CASED = new RegExp(rules.keyishCased);
}
function __keyish(name) { return __KEYISH.test(name) || __KEYISH_CASED.test(name); }
function __sharedValue(name) {
  for (const [re, v] of __SHARED) if (re.test(name)) return v;
  return /key$/i.test(name) ? "KEY-1" : "1001";
}
const __ARRAY_METHODS = new Set(["map", "filter", "find", "findIndex", "some", "every", "forEach", "reduce", "flatMap",
  "includes", "indexOf", "join", "slice", "concat", "sort", "entries", "keys", "values", "at", "flat"]);

function __last(path) { return String(path).split(/[.\[]/).pop(); }

function __anything(path, canary) {
  const value = `${canary}:${path}`;
  return new Proxy(function () {}, {
    get(_, prop) {
      if (prop === Symbol.toPrimitive) return (hint) => (hint === "number" ? 1 : value);
      if (prop === "toString" || prop === "valueOf" || prop === "toJSON") return () => value;
      if (prop === Symbol.iterator) return function* () {};
      if (typeof prop === "symbol" || prop === "then" || prop === "constructor") return undefined;
      if (prop === "length") return 0;
      if (__ARRAY_METHODS.has(prop)) return (...a) => Array.prototype[prop].apply([], a);
      if (__keyish(prop)) return __sharedValue(`${__last(path)}.${prop}`);
      return __anything(`${path}.${prop}`, canary);
    },
    apply() { return __anything(`${path}()`, canary); },
    construct() { return __anything(`new ${path}`, canary); },
    has() { return false; },
    ownKeys() { return ["prototype"]; },
  });
}

function __lenient(value, path, canary) {
  if (value === null || typeof value !== "object") return value;
  const wrapped = Array.isArray(value) ? [] : {};
  for (const [k, v] of Object.entries(value)) wrapped[k] = __lenient(v, `${path}.${k}`, canary);
  return new Proxy(wrapped, {
    get(t, prop, r) {
      if (typeof prop === "symbol" || prop in t) return Reflect.get(t, prop, r);
      if (prop === "then" || prop === "toJSON" || prop.startsWith("__") || /^\d+$/.test(prop)) return undefined;
      if (__keyish(prop)) return __sharedValue(`${__last(path)}.${prop}`);
      return __anything(`${path}.${prop}`, canary);
    },
  });
}

function __response(kind, detail) {
  __record(kind, detail);
  const body = __body(detail.path || detail.url || "", detail.product, detail.method);
  const json = JSON.stringify(body);
  return Promise.resolve({
    ok: true, status: 200, statusText: "OK",
    headers: { get: (name) => (String(name).toLowerCase() === "content-type" ? "application/json" : null) },
    json: () => Promise.resolve(__lenient(JSON.parse(json), "response", __h.tenant ? __h.tenant.canary : "CANARY")),
    text: () => Promise.resolve(json),
    arrayBuffer: () => Promise.resolve(new __TextEncoder().encode(json).buffer),
  });
}

function __request(product) {
  return (path, options = {}) => __response("request", {
    product, method: String(options.method || "GET").toUpperCase(), path: String(path),
    body: options.body === undefined ? undefined : String(options.body),
  });
}

function __route(strings, ...values) {
  let out = strings[0];
  values.forEach((v, i) => {
    const s = String(v);
    if (/[/?#]|\.\./.test(s)) throw new Error("Disallowing path manipulation attempt");
    out += encodeURIComponent(s) + strings[i + 1];
  });
  return out;
}

function __product() {
  return {
    requestJira: __request("jira"), requestConfluence: __request("confluence"),
    requestBitbucket: __request("bitbucket"), requestGraph: __request("graph"),
  };
}

function __store() {
  const id = __h.tenant ? __h.tenant.installation : "none";
  return (__h.storage[id] = __h.storage[id] || {});
}
const __kvs = {
  get: (k) => { __record("storage", { op: "get", key: k }); return Promise.resolve(__store()[k]); },
  set: (k, v) => { __record("storage", { op: "set", key: k, value: JSON.stringify(v) }); __store()[k] = v; return Promise.resolve(); },
  delete: (k) => { __record("storage", { op: "delete", key: k }); delete __store()[k]; return Promise.resolve(); },
  getSecret: (k) => Promise.resolve(__store()["secret:" + k] !== undefined ? __store()["secret:" + k] : { clientId: __canary(), clientSecret: __canary() }),
  setSecret: (k, v) => { __store()["secret:" + k] = v; return Promise.resolve(); },
  deleteSecret: (k) => { delete __store()["secret:" + k]; return Promise.resolve(); },
  query: () => { const q = { where: () => q, limit: () => q, cursor: () => q, index: () => q,
    getMany: () => Promise.resolve({ results: Object.entries(__store()).map(([key, value]) => ({ key, value })) }),
    getOne: () => Promise.resolve(undefined) }; return q; },
  entity: () => ({ get: __kvs.get, set: __kvs.set, delete: __kvs.delete, query: __kvs.query }),
  transact: () => { const t = { set: () => t, delete: () => t, check: () => t, execute: () => Promise.resolve() }; return t; },
};

function __appContext() {
  const t = __h.tenant || {};
  return {
    appAri: { appId: "app-1" }, appVersion: "1.0.0", environmentAri: { environmentId: "env-1" },
    environmentType: "PRODUCTION", invocationId: `inv-${__h.sequence}`, moduleKey: "module",
    invocationRemainingTimeInMillis: () => 10000,
    installationAri: { installationId: t.installation, toString: () => `ari:cloud:ecosystem::installation/${t.installation}` },
    installation: { ari: { installationId: t.installation }, contexts: [{ cloudId: t.cloudId }] },
  };
}

const __fetch = (url, options = {}) => __response("fetch", {
  url: String(url), method: String(options.method || "GET").toUpperCase(),
  body: options.body === undefined ? undefined : String(options.body),
});
globalThis.fetch = __fetch;
const __api = Object.assign(__product(), {
  asApp: () => __product(), asUser: () => __product(), fetch: __fetch, storage: __kvs,
  route: __route, assumeTrustedRoute: (s) => String(s),
});
const __forgeApi = Object.assign({}, __api, {
  default: __api, getAppContext: __appContext, privacy: { reportPersonalData: () => Promise.resolve([]) },
  startsWith: (s) => ({ condition: "STARTS_WITH", value: s }), WhereConditions: {}, FilterConditions: {},
  __esModule: true,
});

class __Resolver {
  constructor() { this._defs = {}; }
  define(key, fn) { this._defs[key] = fn; return this; }
  getDefinitions() {
    const defs = this._defs;
    return async (event, context) => {
      const call = (event && event.call) || {};
      const fn = defs[call.functionKey];
      if (!fn) throw new Error(`no resolver function '${call.functionKey}'`);
      return fn({ payload: call.payload, context: (event && event.context) || context });
    };
  }
}

class __Queue {
  constructor(options = {}) { this.key = options.key; }
  push(events) { __record("queue", { queue: this.key, body: JSON.stringify(events) }); return Promise.resolve({ jobId: "job-1" }); }
  getJob(id) { return { getStats: () => Promise.resolve({ success: 1, inProgress: 0, failed: 0 }), cancel: () => Promise.resolve(), id }; }
}

class __AsyncLocalStorage {
  constructor() { this._stack = []; }
  run(store, fn, ...args) {
    this._stack.push(store);
    let out;
    try { out = fn(...args); } catch (e) { this._stack.pop(); throw e; }
    if (out && typeof out.then === "function") return out.finally(() => this._stack.pop());
    this._stack.pop();
    return out;
  }
  getStore() { return this._stack[this._stack.length - 1]; }
}

// Small stand-ins for caching packages, so a cache built from them still caches when node_modules
// is absent (their keyed get/set behaviour is what a leak needs).
class __MapCache {
  constructor() { this._m = new Map(); }
  get(k) { return this._m.get(k); } set(k, v) { this._m.set(k, v); return this; } has(k) { return this._m.has(k); }
  delete(k) { return this._m.delete(k); } del(k) { return this._m.delete(k); } clear() { this._m.clear(); }
  keys() { return this._m.keys(); } values() { return this._m.values(); } get size() { return this._m.size; }
  peek(k) { return this._m.get(k); } take(k) { const v = this._m.get(k); this._m.delete(k); return v; }
}
function __memoize(fn, resolver) {
  const cache = new Map();
  const wrapped = function (...args) {
    const key = resolver ? resolver(...args) : (args.length > 1 ? JSON.stringify(args) : args[0]);
    if (!cache.has(key)) cache.set(key, fn.apply(this, args));
    return cache.get(key);
  };
  wrapped.cache = cache;
  return wrapped;
}

const __builtin = {
  "@forge/api": __forgeApi,
  "@forge/resolver": { default: __Resolver, Resolver: __Resolver, __esModule: true },
  "@forge/kvs": { kvs: __kvs, default: __kvs, WhereConditions: {}, Sort: {}, __esModule: true },
  "@forge/storage": { storage: __kvs, default: __kvs, __esModule: true },
  "@forge/events": { Queue: __Queue, default: { Queue: __Queue }, __esModule: true },
  "async_hooks": { AsyncLocalStorage: __AsyncLocalStorage },
  "lru-cache": Object.assign(__MapCache, { LRUCache: __MapCache, default: __MapCache }),
  "node-cache": __MapCache,
  "quick-lru": { default: __MapCache, __esModule: true },
  "lodash.memoize": __memoize,
  "lodash/memoize": __memoize,
  "memoizee": __memoize,
  "p-memoize": { default: __memoize, __esModule: true },
  "mem": { default: __memoize, __esModule: true },
  "util": { promisify: (f) => f, inspect: (v) => JSON.stringify(v), format: (...a) => a.join(" ") },
  "events": { EventEmitter: class { on() { return this; } emit() { return false; } } },
};
const __forbidden = ["fs", "child_process", "net", "http", "https", "http2", "dgram", "tls", "dns", "worker_threads",
  "cluster", "vm", "os", "module", "inspector", "v8", "fs/promises", "readline", "repl"];

function __recordingStub(name) {
  // Stands in for a package that is not available: every use is recorded and yields another stub.
  const target = function () {};
  const handler = {
    get(_, prop) {
      if (prop === "then") return undefined;
      if (prop === Symbol.toPrimitive) return () => `[stub ${name}]`;
      if (prop === "__esModule") return false;
      return __recordingStub(`${name}.${String(prop)}`);
    },
    apply(_, __, args) { __record("stub", { name, args: args.length }); return __recordingStub(`${name}()`); },
    construct() { __record("stub", { name: `new ${name}` }); return __recordingStub(`new ${name}`); },
  };
  return new Proxy(target, handler);
}

function __default(m) { return m && m.__esModule ? m.default : m; }
function __exportStar(target, source) {
  for (const k of Object.keys(source)) {
    if (k !== "default" && !(k in target)) Object.defineProperty(target, k, { enumerable: true, get: () => source[k] });
  }
}

const __extensions = [".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs", ".mts", ".cts"];
function __normalize(path) {
  const out = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") out.pop(); else out.push(part);
  }
  return "/" + out.join("/");
}
function __resolve(from, spec) {
  const dir = from.replace(/\/[^/]*$/, "");
  const base = __normalize(spec.startsWith("/") ? spec : `${dir}/${spec}`);
  const stem = base.replace(/\.(js|jsx|mjs|cjs)$/, "");
  const candidates = [base].concat(__extensions.map((e) => stem + e), __extensions.map((e) => `${base}/index${e}`));
  return candidates.find((c) => c in __h.files);
}

function __require(from, spec) {
  const bare = spec.replace(/^node:/, "");
  if (bare.startsWith(".") || bare.startsWith("/")) {
    const path = __resolve(from, bare);
    if (!path) throw new Error(`Cannot find module '${spec}' from ${from}`);
    return __load(path);
  }
  if (__forbidden.includes(bare) || __forbidden.includes(bare.split("/")[0])) {
    __record("forbidden", { module: bare });
    throw new Error(`module '${bare}' is not available in the replay sandbox`);
  }
  if (bare in __h.packages) return __load(__h.packages[bare]);
  if (bare in __builtin) return __builtin[bare];
  if (bare.startsWith("@forge/")) { __note(`no stand-in for ${bare}: used a recording stub`); }
  else __note(`needs package ${bare}: not in node_modules, used a recording stub`);
  return (__builtin[bare] = __recordingStub(bare));
}

function __load(path) {
  if (__h.cache[path]) return __h.cache[path].exports;
  const module = { exports: {}, id: path, loaded: false };
  __h.cache[path] = module;
  const dirname = path.replace(/\/[^/]*$/, "");
  const require = (spec) => __require(path, spec);
  const importer = (spec) => Promise.resolve().then(() => require(spec));
  try {
    __h.files[path].call(module.exports, module.exports, require, module, path, dirname, importer);
  } catch (e) {
    delete __h.cache[path];  // as Node does: a module that threw while loading is not cached
    throw e;
  }
  module.loaded = true;
  return module.exports;
}

function __define(path, factory) { __h.files[path] = factory; }

// ---- invocation --------------------------------------------------------------------------------------

function __safeJson(value) {
  try { return JSON.stringify(value === undefined ? null : value); } catch (e) { return JSON.stringify(String(value)); }
}

function __begin(tenant, step) {
  __h.tenant = tenant;
  __h.sequence = 0;
  __h.now = 1767225600000 + step * 1000;  // the next invocation, a second later
  __seed = 1 + step;
}

function __preload(file) {
  // Modules load once per process, before any tenant's invocation, in both replay models.
  __begin({ id: "load", canary: "CANARY-LOAD", installation: "none", cloudId: "none" }, 0);
  __load(file);
  return JSON.stringify({ calls: __h.calls.splice(0), notes: __h.notes });
}

async function __invoke(spec) {
  __begin(spec.tenant, spec.step || 0);
  const before = __h.calls.length;
  const logsBefore = __logs.length;
  const mod = __load(spec.file);
  let fn = spec.export === "default" ? __default(mod) : mod[spec.export];
  if (fn === undefined && mod && mod.default) fn = mod.default[spec.export];
  if (typeof fn !== "function") throw new Error(`export '${spec.export}' of ${spec.file} is not a function`);
  const canary = spec.tenant.canary;
  const payload = __lenient(spec.payload, "payload", canary);
  const context = __lenient(spec.context, "context", canary);
  const result = spec.resolverKey
    ? await fn({ call: { functionKey: spec.resolverKey, payload }, context }, context)
    : await fn(payload, context);
  return JSON.stringify({
    result: __safeJson(result), calls: __h.calls.slice(before), logs: __logs.slice(logsBefore), notes: __h.notes,
  });
}

// App code must not be able to break the harness (or, through it, other replays) by rewriting the
// built-ins everything relies on: their prototypes are frozen before any app module loads, so
// prototype pollution fails there as it would in a hardened runtime.
for (const proto of [Object.prototype, Array.prototype, Function.prototype, Promise.prototype, String.prototype,
  Map.prototype, Set.prototype, RegExp.prototype, Number.prototype, Boolean.prototype, Error.prototype]) {
  Object.freeze(proto);
}
Object.freeze(JSON);
