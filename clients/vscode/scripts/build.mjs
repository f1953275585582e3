// Bundles src/extension.ts into dist/extension.js with esbuild (vscode stays external).
// Usage: node scripts/build.mjs [--production] [--watch]
import * as esbuild from "esbuild";

const production = process.argv.includes("--production");
const watch = process.argv.includes("--watch");
const options = {
  entryPoints: ["src/extension.ts"],
  bundle: true,
  outfile: "dist/extension.js",
  format: "cjs",
  platform: "node",
  target: "node20",
  external: ["vscode"],
  sourcemap: !production,
  minify: production,
  logLevel: production ? "warning" : "info",
};
if (watch) await (await esbuild.context(options)).watch();
else await esbuild.build(options);
