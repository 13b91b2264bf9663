#!/usr/bin/env node
// The `steward-bridge` command: runs the TypeScript CLI through tsx (the project ships no build step).
const major = Number(process.versions.node.split(".")[0]);
if (major < 22) {
  // Older Node has no WebSocket, which live sync needs; `npm run` brings the project's Node 22.
  console.error(
    `steward-bridge needs Node 22 or newer (this is ${process.version}): run it as "npm run bridge -- ..." in the project folder`,
  );
  process.exit(1);
}
const { register } = await import("tsx/esm/api");
register();
await import("./cli.ts");
