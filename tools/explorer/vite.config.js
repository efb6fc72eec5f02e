import { defineConfig } from "vite";

// A static site: `npm run build` writes dist/, which any web server can serve; relative asset
// paths so it also works from a sub-path.
export default defineConfig({
	base: "./",
	build: { outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 2048 },
});
