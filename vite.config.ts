import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The dashboard lives in client/ and builds to dist/client, which the server serves.
export default defineConfig({
  root: 'client',
  plugins: [react()],
  build: { outDir: '../dist/client', emptyOutDir: true, chunkSizeWarningLimit: 800 },
  server: { proxy: { '/api': 'http://localhost:3000' } },
});
