// Start-up instrumentation loaded with `node --require ./instrument.cjs`.
const http = require("node:http");

const originalRequest = http.request;

// monkey-patch: every library's outgoing request now goes through this wrapper.
http.request = function tracedRequest(...args) {
  console.log("outgoing request");
  return originalRequest.apply(this, args);
};

// monkey-patch: replaces timers for every module in the process.
globalThis.setTimeout = ((original) => (callback, ms, ...rest) => original(callback, Math.min(ms ?? 0, 1000), ...rest))(globalThis.setTimeout);

// Not a patch: an own namespace on globalThis.
globalThis.orderServiceVersion = "1.4.2";

module.exports = { tracedRequest: http.request };
