// Entry point: libsodium first (every screen needs it), the service worker for offline start-up,
// then the app.
import { render } from "preact";
import { loadSodium } from "../client/index.js";
import { App } from "./App.js";
import { registerAppShell } from "./appUpdate.js";
import "./styles.css";

async function start(): Promise<void> {
  const root = document.getElementById("app")!;
  registerAppShell();
  await loadSodium();
  root.textContent = "";
  render(<App server={location.origin} />, root);
}

void start();
