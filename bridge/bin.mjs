#!/usr/bin/env node
// The `steward-bridge` command: runs the TypeScript CLI through tsx (the project ships no build step).
import { register } from "tsx/esm/api";

register();
await import("./cli.ts");
