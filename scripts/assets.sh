#!/usr/bin/env bash
# Installs the browser libraries from the npm registry (pinned by assets/package-lock.json)
# and copies the files the server serves into assets/dist/: the Swagger UI under docs/, and the
# web console's libraries with its own script and style sheet (crates/web/static/) under
# console/, each beside a gzip copy. The server names console files by a hash of their content.
set -euo pipefail
cd "$(dirname "$0")/../assets"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
rm -rf dist && mkdir -p dist/docs dist/console/fonts
cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css dist/docs/
m=node_modules
cp "$m/bootstrap/dist/css/bootstrap.min.css" \
  "$m/bootstrap/dist/js/bootstrap.bundle.min.js" \
  "$m/htmx.org/dist/htmx.min.js" \
  "$m/chart.js/dist/chart.umd.min.js" \
  "$m/tom-select/dist/js/tom-select.complete.min.js" \
  "$m/tom-select/dist/css/tom-select.bootstrap5.min.css" \
  "$m/sortablejs/Sortable.min.js" \
  "$m/bootstrap-icons/font/bootstrap-icons.min.css" \
  ../crates/web/static/* \
  dist/console/
cp "$m"/bootstrap-icons/font/fonts/bootstrap-icons.woff2 dist/console/fonts/
# FullCalendar (the calendar page only): the bundle with its views and dragging, its classic
# theme (a plugin with its style sheets) and the Spanish messages.
fc="$m/fullcalendar"
cp "$fc/all/global.js" dist/console/fullcalendar.js
cp "$fc/skeleton.css" dist/console/fullcalendar-skeleton.css
cp "$fc/themes/classic/global.js" dist/console/fullcalendar-classic.js
cp "$fc/themes/classic/theme.css" dist/console/fullcalendar-classic.css
cp "$fc/themes/classic/palette.css" dist/console/fullcalendar-palette.css
cp "$fc/locales/es/global.js" dist/console/fullcalendar-es.js
# Source map comments point at files that are not served.
sed -i -e '/^\/[/*]# sourceMappingURL=/d' dist/console/*.js dist/console/*.css
for f in dist/console/*.js dist/console/*.css; do gzip -9 -k -n "$f"; done
echo "assets ready in assets/dist"
