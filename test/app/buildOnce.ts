// Global set-up of the browser suite: the worker serves public/, so build it fresh first.
import { buildApp } from "../../app/build.js";

export default async function setup(): Promise<void> {
  await buildApp();
}
