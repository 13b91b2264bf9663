// Bundled in place of libsodium-wrappers-sumo for workerd (see [alias] in wrangler.toml): libsodium
// compiles wasm from bytes, which workerd forbids. The server only imports pure shared codecs, some of
// which reach shared/sodium.ts transitively without calling it; any real use fails loudly here.
import { CryptoUnavailable } from "../shared/errors.js";

function unavailable(): never {
  throw new CryptoUnavailable("libsodium is not available inside workerd; the server verifies signatures with WebCrypto");
}

const noLibsodium: Record<string, unknown> = new Proxy({}, { get: unavailable });
export default noLibsodium;
