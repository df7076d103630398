# Verdict's container image: a Debian 12 build stage, then a runtime stage FROM scratch holding
# only the stripped binary, the shared libraries ldd lists, CA certificates (for `verdict pull`
# and webhooks), a passwd entry for the non-root user and, optionally, a model.
# No shell, no package manager, no compiler.
#
#   docker build -t verdict .                                         # model mounted at run time:
#   docker run -p 8080:8080 -v /models/x:/model:ro verdict
#   docker build --build-arg MODEL_DIR=models/x -t verdict .           # bake a folder of the context
#   docker build --build-arg MODEL=distilbert-base-uncased-finetuned-sst-2-english -t verdict .
#                                                                      # bake a Hub model (verdict pull)
# Offline on the project's VMs: deploy/build-image.sh (debootstrapped base, podman).

# Overridable so that deploy/build-image.sh can use a debootstrapped base (no registry there).
ARG BASE=debian:bookworm

FROM ${BASE} AS build
ENV DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8
WORKDIR /src
# Packages first, so that editing sources does not re-install them.
COPY scripts/install-deps scripts/install-deps
RUN scripts/install-deps --build-only \
    && apt-get install -y -qq --no-install-recommends ccache binutils >/dev/null \
    && rm -rf /var/lib/apt/lists/*
COPY CMakeLists.txt ./
COPY cmake cmake
COPY scripts scripts
COPY src src
COPY deploy/collect-runtime.sh deploy/
# ccache in a cache mount makes rebuilds incremental (BuildKit and buildah both keep it);
# deploy/build-image.sh points CCACHE_DIR at the host's cache instead.
ARG CCACHE_DIR=/ccache
RUN --mount=type=cache,target=/ccache \
    CCACHE_DIR=$CCACHE_DIR CCACHE_BASEDIR=/src CCACHE_NOHASHDIR=1 VERDICT_CMAKE_FLAGS="-DVERDICT_BUILD_TESTS=OFF" scripts/build release \
    && deploy/collect-runtime.sh build/release/src/verdict/cli/verdict /rootfs

# The model, when baked in: MODEL is a Hub id fetched with `verdict pull` into a throw-away
# Hugging Face cache (needs the network during the build); MODEL_DIR a folder of the build
# context. Neither: /model stays empty, mount one there at run time.
FROM build AS model
ARG MODEL=
ARG MODEL_REVISION=main
ARG MODEL_DIR=deploy/no-model
COPY ${MODEL_DIR} /model-src/
RUN set -eu; mkdir -p /model; \
    if [ -n "$MODEL" ]; then \
      HF_HUB_CACHE=/hf-cache build/release/src/verdict/cli/verdict pull "$MODEL" --revision "$MODEL_REVISION"; \
      snap=$(ls -d /hf-cache/models--*/snapshots/*/ | head -n 1); \
      cp -rL "$snap." /model/; \
    elif [ -f /model-src/config.json ]; then \
      cp -r /model-src/. /model/; \
    fi; \
    chmod -R a+rX /model

FROM scratch AS runtime
COPY --from=build /rootfs/ /
COPY --from=model /model /model
USER 10001:10001
# A short spin (1000 rounds, a few microseconds) bridges the gaps between the forks of one forward
# pass, then idle OpenMP threads sleep. OpenMP's default spin starves the working threads where
# cores are shared or capped (CPU limits, CFS quota, busy hosts); PASSIVE (never spin) wakes a
# sleeping thread at every fork: measured, the short spin is as fast as the default on an idle
# machine and as safe as PASSIVE on a busy one (README, "Container image").
ENV PATH=/usr/local/bin MODEL=/model GOMP_SPINCOUNT=1000
EXPOSE 8080
ENTRYPOINT ["verdict", "serve"]
