# The same Python app built in two stages: the final image holds the Python
# runtime (python3 only: no headers, no compiler, no pip, no pytest) and
# the installed app with its compiled extension.
ARG BASE=debian:bookworm-slim
FROM ${BASE} AS build
RUN apt-get update && apt-get install -y --no-install-recommends \
    python3 python3-dev gcc python3-pip python3-pytest
WORKDIR /src
COPY pyproject.toml setup.py ./
COPY src ./src
COPY tests ./tests
RUN pip install --break-system-packages --no-index --no-build-isolation . \
    && python3 -m pytest -q -p no:cacheprovider tests

FROM ${BASE}
RUN apt-get update && apt-get install -y --no-install-recommends python3 \
    && rm -rf /var/lib/apt/lists/*
# pip put the app (with its dist-info RECORD) and its console script under
# /usr/local, Debian's place for what the system packages do not own.
COPY --from=build /usr/local/lib/python3.11/dist-packages /usr/local/lib/python3.11/dist-packages
COPY --from=build /usr/local/bin/wordstats /usr/local/bin/wordstats
USER 65532:65532
CMD ["wordstats"]
