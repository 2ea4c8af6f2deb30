// uni-app's Vite plugin; the build copies src/static/ as it is, so the
// module goes there (scripts/build-uni-app.sh puts the .wasm.br in place).
import { defineConfig } from 'vite';
import uni from '@dcloudio/vite-plugin-uni';

export default defineConfig({ plugins: [uni()] });
