// Entry point: libsodium first (every screen needs it), the service worker for offline start-up,
// then the app.
import { render } from "preact";
import { loadSodium } from "../shared/sodium.js";
import { App } from "./App.js";
import "./styles.css";

async function start(): Promise<void> {
  const root = document.getElementById("app")!;
  if ("serviceWorker" in navigator) {
    // Offline start-up is a convenience: the app works without it, so a failure is only logged.
    navigator.serviceWorker.register("sw.js").catch((error: unknown) => console.warn("service worker not registered:", error));
  }
  await loadSodium();
  root.textContent = "";
  render(<App server={location.origin} />, root);
}

void start();
