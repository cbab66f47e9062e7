# A Python app with a C extension built the naive way: one stage, so the
# final image keeps gcc, the Python headers (python3-dev), pip, pytest
# (Debian's python3-pytest: containers in the e2e run cannot reach PyPI),
# the sources, the tests and the build directory.
ARG BASE=debian:bookworm-slim
FROM ${BASE}
RUN apt-get update && apt-get install -y --no-install-recommends \
    python3 python3-dev gcc python3-pip python3-pytest
WORKDIR /src
COPY pyproject.toml setup.py ./
COPY src ./src
COPY tests ./tests
# Debian's pip refuses to install into the system Python (PEP 668) unless
# told to; --no-index: everything the build needs is installed already.
RUN pip install --break-system-packages --no-index --no-build-isolation . \
    && python3 -m pytest -q -p no:cacheprovider tests
CMD ["wordstats"]
