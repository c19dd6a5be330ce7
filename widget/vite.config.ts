import { resolve } from "node:path";
import { defineConfig } from "vitest/config";

export default defineConfig({
  build: {
    lib: {
      entry: resolve(import.meta.dirname, "src/main.ts"),
      formats: ["iife"],
      name: "FrontdeskWidget",
      fileName: () => "widget.js",
    },
    outDir: resolve(import.meta.dirname, "../src/frontdesk/widget_dist"),
    emptyOutDir: true,
    target: "es2020",
    sourcemap: false,
  },
  test: {
    environment: "happy-dom",
    include: ["tests/**/*.test.ts"],
  },
});
