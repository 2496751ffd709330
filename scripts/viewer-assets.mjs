// Part of `npm run build`: copies the run viewer's page (src/viewer/assets) to dist/viewer/assets, and vendors
// Mermaid's self-contained browser bundle (and its licence) next to it, so the published package serves everything
// the page loads and needs no `mermaid` dependency (a devDependency here) nor any CDN.
import { copyFileSync, cpSync, existsSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const target = join(root, "dist", "viewer", "assets")
cpSync(join(root, "src", "viewer", "assets"), target, { recursive: true })
const bundle = createRequire(import.meta.url).resolve("mermaid/dist/mermaid.min.js")
copyFileSync(bundle, join(target, "mermaid.min.js"))
const licence = join(dirname(bundle), "..", "LICENSE")
if (existsSync(licence)) copyFileSync(licence, join(target, "mermaid.LICENSE"))
