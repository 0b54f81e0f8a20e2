// forge-audit replay sandbox: a CommonJS loader over the app's own files and stand-ins for the Forge
// SDKs with their real invocation shapes. Nothing else is reachable from app code: no filesystem, no
// network, no host environment. Product and storage calls are answered here, per tenant, and
// recorded, so the harness can see what each tenant sent and received.
//
// Everything lives in one closure: the harness's state (other tenants' storage, canaries, recorded
// calls) and its entry points are out of app code's reach. The host drives the harness only through
// the frozen, non-writable global `__forgeAudit`, and every call carries a token handed over before
// any app code ran, so app code can neither read the harness nor drive it. Built-ins stay as
// mutable as in Node (freezing them breaks ordinary code such as `this.name = ...` in an Error
// subclass); the harness uses its own copies of the few it relies on, taken before app code runs.
(function () {
"use strict";

const G = globalThis;
const apply = Reflect.apply;
const uncurry = (f) => (self, ...args) => apply(f, self, args);
const JSONstringify = JSON.stringify;
const JSONparse = JSON.parse;
const ownKeys = Reflect.ownKeys;
const describeProperty = Object.getOwnPropertyDescriptor;
const defineProperty = Object.defineProperty;
const assign = Object.assign;
const freeze = Object.freeze;
const isArray = Array.isArray;
const FunctionCtor = Function;
const PromiseCtor = Promise;
const SafeMap = Map;
const SafeSet = Set;
const SafeWeakMap = WeakMap;
const push = uncurry(Array.prototype.push);
const slice = uncurry(Array.prototype.slice);
const splice = uncurry(Array.prototype.splice);
const mapGet = uncurry(Map.prototype.get);
const mapSet = uncurry(Map.prototype.set);
const mapHas = uncurry(Map.prototype.has);
const mapDelete = uncurry(Map.prototype.delete);
const mapEntries = uncurry(Map.prototype.entries);
const setAdd = uncurry(Set.prototype.add);
const setHas = uncurry(Set.prototype.has);
const setValues = uncurry(Set.prototype.values);
const weakGet = uncurry(WeakMap.prototype.get);
const weakSet = uncurry(WeakMap.prototype.set);
const promiseThen = uncurry(Promise.prototype.then);
const indexOf = uncurry(String.prototype.indexOf);
const strSlice = uncurry(String.prototype.slice);
const resolved = (value) => new PromiseCtor((resolve) => resolve(value));
// What Object.prototype holds before any app code runs: a name added later is prototype pollution.
const ObjectPrototype = Object.prototype;
const PROTOTYPE_KEYS = new SafeSet(ownKeys(ObjectPrototype));
const MAX_POLLUTION = 20;
function __pollution() {
  const added = [];
  for (const key of ownKeys(ObjectPrototype)) {
    if (typeof key === "string" && !setHas(PROTOTYPE_KEYS, key) && added.length < MAX_POLLUTION) push(added, key);
  }
  return added;
}

const H = {
  token: null,           // the host's token; every entry point checks it
  tenant: null,          // the tenant whose invocation is running
  calls: [],             // everything app code sent through a stub, with the tenant that sent it
  notes: [],             // what the sandbox had to stand in for (missing packages, forbidden modules)
  shared: new SafeMap(), // identifier-like fields made up at run time, the same for both tenants
  storage: new SafeMap(),// installation id -> Map(key -> value): Forge storage is per installation
  files: new SafeMap(),  // path -> module factory
  broken: new SafeMap(), // path -> why it does not compile
  cache: new SafeMap(),  // path -> module
  packages: new SafeMap(), // bare specifier -> path of its entry file (plain-JS packages present)
  probes: new SafeMap(), // state id -> {get, set}: registered next to the state's declaration
  inits: new SafeMap(),  // state id -> {make, value}: the state's initialiser, to evaluate it again
  settled: new SafeWeakMap(), // promise -> {value}, for inspecting state that holds promises
  made: new SafeWeakMap(),    // lenient input or response proxy -> the canary of the tenant it was made for
  timers: [],
  timerSeq: 0,
  task: null,            // the running invocation
  sequence: 0,
  now: 1767225600000,
  seed: 1,
  seeded: true,          // storage starts seeded (see __seeded); false: a key never written reads as undefined
};

function __note(text) {
  for (const n of H.notes) if (n === text) return;
  push(H.notes, text);
}

function __record(kind, detail) {
  push(H.calls, assign({ tenant: H.tenant ? H.tenant.id : null, kind }, detail));
}

function __describe(error) {
  try {
    if (error && typeof error === "object") return `${error.name || "Error"}: ${error.message}`;
    return `thrown: ${String(error)}`;
  } catch (e) {
    return "an error that cannot be described";
  }
}

// ---- timers on a virtual clock --------------------------------------------------------------------
// The host fires timers one at a time when the invocation waits on them, advancing the clock to the
// timer's due time, so `await new Promise(r => setTimeout(r, 1000))` costs no real second.

class Timeout {
  constructor(id) { this._id = id; }
  ref() { return this; }
  unref() { return this; }
  hasRef() { return true; }
  refresh() { return this; }
  [Symbol.toPrimitive]() { return this._id; }
}
function __schedule(fn, ms, args, repeat) {
  if (typeof fn !== "function") throw new TypeError('The "callback" argument must be of type function');
  H.timerSeq += 1;
  const delay = repeat === null ? 0 : Math.max(1, Number(ms) || 0);
  push(H.timers, { id: H.timerSeq, due: H.now + delay, fn, args, every: repeat ? delay : 0 });
  return new Timeout(H.timerSeq);
}
function __cancel(handle) {
  const id = handle instanceof Timeout ? handle._id : Number(handle);
  for (let i = 0; i < H.timers.length; i++) if (H.timers[i].id === id) { splice(H.timers, i, 1); return; }
}
function __fireNextTimer() {
  if (!H.timers.length) return false;
  let next = 0;
  for (let i = 1; i < H.timers.length; i++) {
    const t = H.timers[i], best = H.timers[next];
    if (t.due < best.due || (t.due === best.due && t.id < best.id)) next = i;
  }
  const [timer] = splice(H.timers, next, 1);
  if (timer.due > H.now) H.now = timer.due;
  if (timer.every) push(H.timers, assign({}, timer, { due: timer.due + timer.every }));
  try {
    apply(timer.fn, undefined, timer.args);
  } catch (e) {
    __note(`an exception escaped a timer callback: ${__describe(e)}`);
  }
  return true;
}
G.setTimeout = (fn, ms, ...args) => __schedule(fn, ms, args, false);
G.setInterval = (fn, ms, ...args) => __schedule(fn, ms, args, true);
G.setImmediate = (fn, ...args) => __schedule(fn, 0, args, null);
G.clearTimeout = __cancel;
G.clearInterval = __cancel;
G.clearImmediate = __cancel;
G.queueMicrotask = (fn) => { promiseThen(resolved(), () => fn()); };

// ---- minimal Node and Web globals -----------------------------------------------------------------

const __logs = [];
const __log = (args) => { if (__logs.length < 1000) push(__logs, args.map(String).join(" ")); };
globalThis.console = {
  log: (...a) => __log(a),
  info: (...a) => __log(a),
  warn: (...a) => __log(a),
  error: (...a) => __log(a),
  debug: () => {},
};
globalThis.global = globalThis;
globalThis.process = {
  env: {},
  exit: (code) => { throw new Error(`process.exit(${code}) is not allowed in the replay sandbox`); },
  nextTick: (fn, ...args) => { promiseThen(resolved(), () => fn(...args)); },
  version: "v22.0.0",
  versions: { node: "22.0.0" },
  platform: "linux",
};
// A frozen clock and a seeded Math.random per invocation: tenant B's invocation then behaves the same
// whether or not tenant A ran before it, unless state carried something over.
const __RealDate = Date;
class __Date extends __RealDate {
  constructor(...args) { if (args.length === 0) super(H.now); else super(...args); }
  static now() { return H.now; }
}
globalThis.Date = __Date;
Math.random = () => { H.seed = (H.seed * 16807) % 2147483647; return (H.seed - 1) / 2147483646; };
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
  H.sequence += 1;
  return `${H.tenant ? H.tenant.canary : "CANARY-NONE"}-${H.sequence}`;
}

// Success-response shapes from the bundled catalog and the app's vocabulary (runtime_harness/stub_data.py).
const __shapes = { catalog: "{}", operations: null, schemas: null, literals: {}, names: [] };
function __setShapes(data) {
  __shapes.catalog = typeof data.catalog === "string" ? data.catalog : "{}";
  __shapes.literals = assign(Object.create(null), data.literals || {});   // no inherited names
  __shapes.names = data.names || [];
}
// The catalog is parsed on the first product call, and a path regex compiled only for rows whose literal
// prefix the path starts with: most invocations need a handful of the thousands of operations.
function __shapeOf(product, method, path) {
  if (__shapes.operations === null) {
    const catalog = JSONparse(__shapes.catalog);
    __shapes.operations = catalog.operations || {};
    __shapes.schemas = catalog.schemas || {};
  }
  const bare = String(path).split("?")[0];
  for (const row of __shapes.operations[product] || []) {
    if (row[0] !== method || strSlice(bare, 0, row[1].length) !== row[1]) continue;
    if (typeof row[2] === "string") row[2] = new RegExp(row[2]);
    if (row[2].test(bare)) return row[3];
  }
  return undefined;
}

// A value of a compact shape: every free string carries the canary, identifier-like ones (ids, keys,
// account ids) are the same for both tenants as in made-up inputs, arrays have two elements (more when
// the app compares a field with more literals), enums take their values in turn, numbers count up.
const __MAX_SHAPE_DEPTH = 7;
const __MAX_SHAPE_NODES = 800;   // values built per response: nested schemas multiply fast
let __shapeNodes = 0;
function __fromShape(shape, name, c, depth, index) {
  __shapeNodes += 1;
  if (depth > __MAX_SHAPE_DEPTH || __shapeNodes > __MAX_SHAPE_NODES) return {};
  if (typeof shape === "string") {
    if (shape[0] === "#") return __fromShape(__shapes.schemas[strSlice(shape, 1)], name, c, depth + 1, index);
    if (shape === "s" && __keyish(name)) return index ? `${__sharedValue(name)}${index}` : __sharedValue(name);
    if (shape === "s") return index ? `${c}:${name}.${index}` : `${c}:${name}`;
    if (shape === "d") return "2026-01-01T00:00:00.000Z";
    if (shape === "n") return index + 1;
    if (shape === "b") return true;
    return name === "fields" ? __issueFields(c) : {};   // "?": a lenient object, fields made up as read
  }
  if (isArray(shape) && shape[0] === "=") return shape[1 + (index % (shape.length - 1))];
  if (isArray(shape) && shape[0] === "{}") return { [`${c}:${name}`]: __fromShape(shape[1], name, c, depth + 1, 0) };
  if (isArray(shape)) return __arrayOf(shape[1], name, c, depth);
  const out = {};
  if (shape && typeof shape === "object") {
    for (const [k, v] of Object.entries(shape)) out[k] = __fromShape(v, k, c, depth + 1, index);
  }
  return out;
}
// The literals the app compares a field with (`f.name === 'Story Points'`) go into one element each.
function __arrayOf(item, name, c, depth) {
  const out = [__fromShape(item, name, c, depth + 1, 0), __fromShape(item, name, c, depth + 1, 1)];
  for (let i = 0; i < out.length; i += 1) {
    const element = out[i];
    if (element === null || typeof element !== "object" || isArray(element)) continue;
    for (const [key, value] of Object.entries(element)) {
      const seeds = __shapes.literals[key];
      if (typeof value !== "string" || !seeds || !seeds.length) continue;
      if (i < seeds.length) element[key] = seeds[i];
      if (i === out.length - 1 && out.length < seeds.length) push(out, __fromShape(item, name, c, depth + 1, out.length));
    }
  }
  return out;
}
function __issueFields(c) {
  return {
    summary: c, description: c, status: { name: c, statusCategory: { key: "new" } }, priority: { name: c },
    assignee: { accountId: "acct-1", displayName: c }, reporter: { accountId: "acct-1", displayName: c },
    project: { id: "10000", key: "PROJ", name: c }, labels: [c], comment: { comments: [{ id: "10100", body: c }] },
    issuelinks: [{ id: "20001", type: { name: "Relates" }, outwardIssue: { id: "10002", key: "PROJ-2", fields: { summary: c } } }],
  };
}

function __body(path, product, method) {
  const c = __canary();
  const shape = __shapeOf(product, method, path);
  __shapeNodes = 0;
  if (shape !== undefined) return __fromShape(shape, "response", c, 0, 0);
  // No documented schema (agile, DevOps, other paths): a generic answer in the shapes Jira, Confluence and
  // Bitbucket use, every text field a canary; fields the code reads beyond these are made up (lenient).
  const last = String(path).split("?")[0].split("/").filter(Boolean).pop() || "1";
  const issue = { id: "10001", key: last, self: String(path), fields: __issueFields(c) };
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
let __PER_INVOCATION = /$^/;
let __STORED_IDS = /$^/;
function __setSharedRules(rules) {
  __SHARED = rules.shared.map(([pattern, value]) => [new RegExp(pattern, "i"), value]);
  __KEYISH = new RegExp(rules.keyish, "i");
  __KEYISH_CASED = new RegExp(rules.keyishCased);
  __PER_INVOCATION = new RegExp(rules.perInvocation, "i");
  __STORED_IDS = new RegExp(rules.storedIds, "i");
}
// Per-invocation identifiers (job, request, trace ids...) never coincide between tenants.
function __keyish(name) {
  return (__KEYISH.test(name) || __KEYISH_CASED.test(name)) && !__PER_INVOCATION.test(name);
}
// A made-up identifier the app compares with literals anywhere (`if (payload.action === 'sync')` in a
// helper) is the first of them, for both tenants alike.
function __sharedValue(name) {
  let value = /key$/i.test(name) ? "KEY-1" : "1001";
  for (const [re, v] of __SHARED) if (re.test(name)) { value = v; break; }
  const compared = __shapes.literals[__last(name)];
  if (compared && compared.length) value = compared[0];
  mapSet(H.shared, name, value);
  return value;
}
const __ARRAY_METHODS = new Set(["map", "filter", "find", "findIndex", "some", "every", "forEach", "reduce", "flatMap",
  "includes", "indexOf", "join", "slice", "concat", "sort", "entries", "keys", "values", "at", "flat",
  "push", "unshift", "pop", "shift", "splice"]);

function __last(path) { return String(path).split(/[.\[]/).pop(); }

// ``keys``: property names it lists as its own (a seeded storage value lists the names the app reads, so
// spreading or copying it copies made-up fields).
function __anything(path, canary, keys = []) {
  const value = `${canary}:${path}`;
  const field = (prop) => (__keyish(prop) ? __sharedValue(`${__last(path)}.${prop}`) : __anything(`${path}.${prop}`, canary));
  // Used as a list, it is one: what the code pushes stays (a list read from storage, appended to, written back).
  const items = [];
  return __made(canary, new Proxy(function () {}, {
    get(_, prop) {
      if (prop === Symbol.toPrimitive) return (hint) => (hint === "number" ? 1 : value);
      if (prop === "toJSON") return () => (items.length ? items : value);
      if (prop === "toString" || prop === "valueOf") return () => value;
      if (prop === Symbol.iterator) return () => items[Symbol.iterator]();
      if (typeof prop === "symbol" || prop === "then" || prop === "constructor") return undefined;
      if (prop === "length") return items.length;
      if (/^\d+$/.test(prop) && +prop < items.length) return items[+prop];
      if (__ARRAY_METHODS.has(prop)) return (...a) => Array.prototype[prop].apply(items, a);
      return field(prop);
    },
    apply() { return __anything(`${path}()`, canary); },
    construct() { return __anything(`new ${path}`, canary); },
    has() { return false; },
    ownKeys() { return ["prototype", ...keys]; },
    getOwnPropertyDescriptor(target, prop) {
      if (prop === "prototype" || !keys.includes(prop)) return describeProperty(target, prop);
      return { value: field(prop), enumerable: true, configurable: true, writable: true };
    },
  }));
}

// Fields of these proxies are made up when read, so a state holding one holds that tenant's data.
function __made(canary, proxy) {
  weakSet(H.made, proxy, canary);
  return proxy;
}

function __lenient(value, path, canary) {
  if (value === null || typeof value !== "object") return value;
  const wrapped = Array.isArray(value) ? [] : {};
  // defined, not assigned: a caller's own "__proto__" key stays a key (as JSON.parse leaves it), as in Forge
  for (const [k, v] of Object.entries(value)) {
    defineProperty(wrapped, k, { value: __lenient(v, `${path}.${k}`, canary), writable: true, enumerable: true,
                                 configurable: true });
  }
  return __made(canary, new Proxy(wrapped, {
    get(t, prop, r) {
      if (typeof prop === "symbol" || prop in t) return Reflect.get(t, prop, r);
      if (prop === "then" || prop === "toJSON" || prop.startsWith("__") || /^\d+$/.test(prop)) return undefined;
      if (__keyish(prop)) return __sharedValue(`${__last(path)}.${prop}`);
      return __anything(`${path}.${prop}`, canary);
    },
  }));
}

function __response(kind, detail) {
  __record(kind, detail);
  const body = __body(detail.path || detail.url || "", detail.product, detail.method);
  const json = JSONstringify(body);
  return resolved({
    ok: true, status: 200, statusText: "OK",
    headers: { get: (name) => (String(name).toLowerCase() === "content-type" ? "application/json" : null) },
    json: () => resolved(__lenient(JSONparse(json), "response", H.tenant ? H.tenant.canary : "CANARY")),
    text: () => resolved(json),
    arrayBuffer: () => resolved(new __TextEncoder().encode(json).buffer),
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
  const id = H.tenant ? H.tenant.installation : "none";
  if (!mapHas(H.storage, id)) mapSet(H.storage, id, new SafeMap());
  return mapGet(H.storage, id);
}
// Each installation's storage starts seeded: a key it never wrote reads as a value made up for that
// tenant (an object, string, number or list as the code uses it, carrying the tenant's canary), so a
// config loaded from storage into module state is recognisable wherever it turns up. A key naming
// product objects (`board:PROJ`, `tracked-boards`) holds their ids: the same for both tenants, one id
// or a list of one.
function __seeded(key) {
  const stored = mapGet(__store(), key);
  if (stored !== undefined || mapHas(__store(), key) || !H.seeded) return stored;
  const name = key.split(":")[0];
  const ids = __STORED_IDS.exec(name);
  if (ids) {
    const id = __sharedValue(ids[1]);
    return /(s|ids)$/i.test(name) ? [id] : id;
  }
  return __anything(`storage:${key}`, H.tenant ? H.tenant.canary : "CANARY", __shapes.names);
}
const __kvs = {
  get: (k) => { __record("storage", { op: "get", key: String(k) }); return resolved(__seeded(String(k))); },
  set: (k, v) => {
    __record("storage", { op: "set", key: String(k), value: __safeJson(v) });
    mapSet(__store(), String(k), v);
    return resolved();
  },
  delete: (k) => { __record("storage", { op: "delete", key: String(k) }); mapDelete(__store(), String(k)); return resolved(); },
  getSecret: (k) => {
    const stored = mapGet(__store(), "secret:" + k);
    return resolved(stored !== undefined ? stored : { clientId: __canary(), clientSecret: __canary() });
  },
  setSecret: (k, v) => { mapSet(__store(), "secret:" + k, v); return resolved(); },
  deleteSecret: (k) => { mapDelete(__store(), "secret:" + k); return resolved(); },
  query: () => { const q = { where: () => q, limit: () => q, cursor: () => q, index: () => q,
    getMany: () => {
      const results = [];
      for (const [key, value] of mapEntries(__store())) push(results, { key, value });
      if (!results.length) push(results, { key: "seeded-1", value: __seeded("seeded-1") });
      return resolved({ results });
    },
    getOne: () => resolved({ key: "seeded-1", value: __seeded("seeded-1") }) }; return q; },
  entity: () => ({ get: __kvs.get, set: __kvs.set, delete: __kvs.delete, query: __kvs.query }),
  transact: () => { const t = { set: () => t, delete: () => t, check: () => t, execute: () => resolved() }; return t; },
};

function __appContext() {
  const t = H.tenant || {};
  return {
    appAri: { appId: "app-1" }, appVersion: "1.0.0", environmentAri: { environmentId: "env-1" },
    environmentType: "PRODUCTION", invocationId: `inv-${t.id}-${H.now}`, moduleKey: "module",
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
  default: __api, getAppContext: __appContext, privacy: { reportPersonalData: () => resolved([]) },
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
  push(events) { __record("queue", { queue: this.key, body: JSON.stringify(events) }); return resolved({ jobId: `job-${H.tenant ? H.tenant.id : "none"}-${H.sequence}` }); }
  getJob(id) { return { getStats: () => resolved({ success: 1, inProgress: 0, failed: 0 }), cancel: () => resolved(), id }; }
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
  "lodash": __withMemoize("lodash"),
  "lodash-es": __withMemoize("lodash-es"),
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

// lodash without node_modules: its memoize works (a cache is what a leak needs), the rest is recorded.
function __withMemoize(name) {
  const stub = __recordingStub(name);
  return new Proxy(stub, { get: (t, prop) => (prop === "memoize" ? __memoize : stub[prop]) });
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
  return candidates.find((c) => mapHas(H.files, c) || mapHas(H.broken, c));
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
  if (mapHas(H.packages, bare)) return __load(mapGet(H.packages, bare));
  if (bare in __builtin) return __builtin[bare];
  if (bare.startsWith("@forge/")) { __note(`no stand-in for ${bare}: used a recording stub`); }
  else __note(`needs package ${bare}: not in node_modules, used a recording stub`);
  return (__builtin[bare] = __recordingStub(bare));
}

function __load(path) {
  if (mapHas(H.cache, path)) return mapGet(H.cache, path).exports;
  if (mapHas(H.broken, path)) throw new SyntaxError(`${path} does not compile: ${mapGet(H.broken, path)}`);
  const module = { exports: {}, id: path, loaded: false };
  mapSet(H.cache, path, module);
  const dirname = path.replace(/\/[^/]*$/, "");
  const require = (spec) => __require(path, spec);
  const importer = (spec) => resolved().then(() => require(spec));
  try {
    apply(mapGet(H.files, path), module.exports, [module.exports, require, module, path, dirname, importer, __probe]);
  } catch (e) {
    mapDelete(H.cache, path);  // as Node does: a module that threw while loading is not cached
    throw e;
  }
  module.loaded = true;
  return module.exports;
}

// ---- state probes ----------------------------------------------------------------------------------
// The replay instruments the declaration of each module-level state it judges with
// `__forgeAuditProbe(id, get, set)` and its initialiser with `__forgeAuditProbe.init(id, make)` (see
// runtime_harness/probes.py): the harness can look into the state and reset it to a fresh value. A
// confirmation must show that the canary travelled through that state, not through something else.

function __probe(id, get, set) {
  if (typeof id === "string" && typeof get === "function") {
    mapSet(H.probes, id, { get, set: typeof set === "function" ? set : null });
  }
}
__probe.init = (id, make) => {
  const value = make();
  if (typeof id === "string" && typeof make === "function") mapSet(H.inits, id, { make, value });
  return value;
};
freeze(__probe);

function __probeOf(id) {
  if (mapHas(H.probes, id)) return mapGet(H.probes, id);
  if (mapHas(H.inits, id)) return { get: () => mapGet(H.inits, id).value, set: null };  // an unnamed default export
  if (id.startsWith("global:")) return { get: () => G[id.slice(7)], set: null };
  return undefined;
}

const INSPECT_NODES = 20000;
const INSPECT_DEPTH = 12;

function __inspect(id, canary) {
  const probe = __probeOf(id);
  if (probe === undefined) return { registered: false, holds: false, pending: 0 };
  let value;
  try { value = probe.get(); } catch (e) { return { registered: true, holds: false, pending: 0, error: __describe(e) }; }
  const seen = new SafeSet();
  let budget = INSPECT_NODES, pending = 0, excerpt = null;
  const visit = (v, depth) => {
    if (excerpt !== null || budget-- <= 0) return;
    if (typeof v === "string") {
      const at = indexOf(v, canary);
      if (at >= 0) excerpt = strSlice(v, Math.max(0, at - 60), at + canary.length + 40);
      return;
    }
    if (v === null || (typeof v !== "object" && typeof v !== "function") || depth > INSPECT_DEPTH || setHas(seen, v)) return;
    setAdd(seen, v);
    if (weakGet(H.made, v) === canary) { excerpt = `${canary}:(made-up input or response)`; return; }
    const known = weakGet(H.settled, v);
    if (known !== undefined) { visit(known.value, depth + 1); return; }
    // Brand checks with the harness's own copies of the built-ins: app code cannot fake them.
    try {
      promiseThen(v, (x) => weakSet(H.settled, v, { value: x }), (x) => weakSet(H.settled, v, { value: x }));
      pending += 1;
      return;
    } catch (e) { /* not a promise */ }
    try { for (const [k, x] of mapEntries(v)) { visit(k, depth + 1); visit(x, depth + 1); } } catch (e) { /* not a Map */ }
    try { for (const x of setValues(v)) visit(x, depth + 1); } catch (e) { /* not a Set */ }
    let keys = [];
    try { keys = ownKeys(v); } catch (e) { return; }
    for (const key of keys) {
      if (typeof key === "string") visit(key, depth + 1);
      let d;
      try { d = describeProperty(v, key); } catch (e) { continue; }
      if (d && "value" in d) visit(d.value, depth + 1);   // getters are not run
    }
  };
  visit(value, 0);
  return { registered: true, holds: excerpt !== null, excerpt, pending };
}

function __reset(id) {
  if (id.startsWith("global:")) {  // set where it is first needed: gone, it is created again
    try { return { reset: delete G[id.slice(7)] }; } catch (e) { return { reset: false, error: __describe(e) }; }
  }
  const probe = mapGet(H.probes, id);
  if (probe === undefined || probe.set === null) return { reset: false, error: "the state cannot be reassigned" };
  try {
    const init = mapGet(H.inits, id);
    probe.set(init === undefined ? undefined : init.make());
    return { reset: true };
  } catch (e) {
    return { reset: false, error: __describe(e) };
  }
}

// ---- invocation --------------------------------------------------------------------------------------

const RESULT_CHARS = 65536;

function __safeJson(value) {
  let out;
  try { out = JSONstringify(value === undefined ? null : value); } catch (e) { out = JSONstringify(String(value)); }
  if (typeof out !== "string") out = "null";
  return out.length > RESULT_CHARS ? out.slice(0, RESULT_CHARS) : out;
}

function __begin(tenant, step, seeded) {
  H.tenant = tenant;
  H.seeded = seeded !== false;
  H.sequence = 0;
  H.now = 1767225600000 + step * 1000;  // the next invocation, a second later
  H.seed = 1 + step;
}

function __preload(file) {
  // Modules load once per process, before any tenant's invocation, in both replay models.
  __begin({ id: "load", canary: "CANARY-LOAD", installation: "none", cloudId: "none" }, 0);
  __load(file);
  return JSONstringify({ calls: splice(H.calls, 0), notes: H.notes });
}

function __settle(task, ok, value) {
  if (task.done) return;
  task.done = true;
  task.ok = ok;
  if (ok) task.result = __safeJson(value); else task.error = __describe(value);
  // what the invocation showed the world, taken now: later invocations must not change it
  task.calls = slice(H.calls, task.callsBefore);
  task.logs = slice(__logs, task.logsBefore);
}

function __invoke(spec) {
  __begin(spec.tenant, spec.step, spec.seeded);
  const task = { done: false, callsBefore: H.calls.length, logsBefore: __logs.length };
  H.task = task;
  try {
    const mod = __load(spec.file);
    let fn = spec.export === "default" ? __default(mod) : mod[spec.export];
    if (fn === undefined && mod && mod.default) fn = mod.default[spec.export];
    if (typeof fn !== "function") throw new Error(`export '${spec.export}' of ${spec.file} is not a function`);
    const canary = spec.tenant.canary;
    const payload = __lenient(spec.payload, "payload", canary);
    const context = __lenient(spec.context, "context", canary);
    const result = spec.resolverKey
      ? fn({ call: { functionKey: spec.resolverKey, payload }, context }, context)
      : fn(payload, context);
    promiseThen(resolved(result), (v) => __settle(task, true, v), (e) => __settle(task, false, e));
  } catch (e) {
    __settle(task, false, e);
  }
}

function __poll() {
  const task = H.task;
  if (task === null || !task.done) return JSONstringify({ done: false });
  const shared = [];
  for (const [name, value] of mapEntries(H.shared)) push(shared, [name, value]);
  return JSONstringify({
    done: true, ok: task.ok, result: task.result, error: task.error, calls: task.calls, logs: task.logs,
    notes: H.notes, shared,
  });
}

// ---- the host's entry points -------------------------------------------------------------------------

function __guard(token) {
  if (H.token === null || token !== H.token) throw new Error("forge-audit harness: call refused");
}

const host = freeze({
  init(token) {
    if (H.token !== null || typeof token !== "string" || token.length < 16) throw new Error("forge-audit harness: init refused");
    H.token = token;
  },
  setup(token, packages, shapes, rules) {
    __guard(token);
    for (const [name, path] of Object.entries(packages)) mapSet(H.packages, name, path);
    __setShapes(shapes);
    __setSharedRules(rules);
  },
  // Each module is compiled on its own, as Node compiles it: a file that does not parse alone fails
  // to load, and no file can close the wrapper around it.
  // `hint`: where the host's grammar could not parse the file (V8's SyntaxError has no line).
  define(token, path, source, hint) {
    __guard(token);
    try {
      mapSet(H.files, path, new FunctionCtor("exports", "require", "module", "__filename", "__dirname", "__import",
        "__forgeAuditProbe", source));
      return "";
    } catch (e) {
      const why = hint ? `${__describe(e)} (${hint})` : __describe(e);
      mapSet(H.broken, path, why);
      return why;
    }
  },
  preload(token, file) { __guard(token); return __preload(file); },
  // the spec as JSON text, parsed here: an object literal would turn a payload's "__proto__" key into a prototype
  invoke(token, spec) { __guard(token); __invoke(JSONparse(String(spec))); },
  poll(token) { __guard(token); return __poll(); },
  tick(token) { __guard(token); return __fireNextTimer(); },
  inspect(token, id, canary) { __guard(token); return JSONstringify(__inspect(String(id), String(canary))); },
  reset(token, id) { __guard(token); return JSONstringify(__reset(String(id))); },
  pollution(token) { __guard(token); return JSONstringify(__pollution()); },
});
// The ESM transform (runtime_harness/transform.py) compiles imports and `export *` to these two.
defineProperty(G, "__default", { value: __default, writable: false, enumerable: false, configurable: false });
defineProperty(G, "__exportStar", { value: __exportStar, writable: false, enumerable: false, configurable: false });
defineProperty(G, "__forgeAudit", { value: host, writable: false, enumerable: false, configurable: false });
})();
