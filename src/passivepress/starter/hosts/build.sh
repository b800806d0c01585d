#!/bin/sh
# Builds the site on Cloudflare Pages (Build command: sh build.sh). Set base_url in
# passivepress.yml to the site's address, such as https://@project@.pages.dev/.
set -eu
python -m pip install passivepress
passivepress build --strict
