// Injected by the build into the bundle's own scope (esbuild --inject):
// every `TextDecoder`/`TextEncoder` the wasm-bindgen glue mentions resolves
// to these bindings, never to a missing global. The runtime's own classes are
// used when it has them.
import { Utf8Decoder, Utf8Encoder } from './utf8.js';

var g = typeof globalThis !== 'undefined' ? globalThis
  : typeof self !== 'undefined' ? self
  : typeof global !== 'undefined' ? global : {};

var NativeDecoder = typeof g.TextDecoder === 'function' ? g.TextDecoder : null;
var NativeEncoder = typeof g.TextEncoder === 'function' ? g.TextEncoder : null;

export var TextDecoder = NativeDecoder || Utf8Decoder;
export var TextEncoder = NativeEncoder || Utf8Encoder;
