import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App";
import { loadConfig } from "./config";
import "./styles.css";

const root = createRoot(document.getElementById("root")!);
loadConfig().then(
  (config) =>
    root.render(
      <StrictMode>
        <App config={config} />
      </StrictMode>,
    ),
  (err: Error) =>
    root.render(
      <main>
        <h1>Inference market</h1>
        <p role="alert">The app could not read its configuration: {err.message}</p>
      </main>,
    ),
);
