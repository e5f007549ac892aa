# The app's npm dependencies, one of them private: @acme/greet on acme's registry.
# The token is a BuildKit secret (mbuild.yaml: `npm_token: {env: NPM_TOKEN}`). It exists
# only while the install step runs, as the file /run/secrets/npm_token: never in a layer,
# a build arg, the image history or mbuild's cache key. The .npmrc that uses it is mounted
# for that step only, and npm's cache and logs go to a tmpfs, so neither stays in the image.
ARG BASE
FROM ${BASE}
WORKDIR /app
COPY package.json ./
ARG NPM_REGISTRY
RUN --mount=type=secret,id=npm_token,required=true \
    --mount=type=bind,source=.npmrc,target=/app/.npmrc \
    --mount=type=tmpfs,target=/root/.npm \
    NPM_TOKEN="$(cat /run/secrets/npm_token)" NPM_REGISTRY_KEY="${NPM_REGISTRY#*:}" \
    npm install --omit=dev --no-audit --no-fund --no-update-notifier
