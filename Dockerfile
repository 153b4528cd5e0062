# Sammachip server image. The same steps as tests/deploy/test_wheel.py: build the wheel, install it
# (not editable) into a virtual environment, run `sammachip` from a directory holding no source.
#   docker build -t sammachip .
#   docker run -e SECRET_KEY=... -e DATABASE_URL=postgresql://... sammachip

# --- build: the wheel, then a venv holding it and its dependencies (all binary wheels) ----------
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY server ./server
COPY sync ./sync
COPY templates ./templates
COPY pwa ./pwa
RUN python -m pip wheel --no-deps -w /wheels . \
    && python -m venv /opt/sammachip \
    && /opt/sammachip/bin/python -m pip install /wheels/sammachip-*.whl \
    && /opt/sammachip/bin/python -m pip uninstall -y pip \
    && find /opt/sammachip -name __pycache__ -prune -exec rm -rf {} +

# --- final: the venv on a slim Python, no compilers, no source, not root ---------------------
FROM python:3.11-slim
ENV PATH=/opt/sammachip/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    SAMMACHIP_LOG=json
RUN groupadd --system --gid 10001 sammachip \
    && useradd --system --uid 10001 --gid sammachip --home-dir /var/lib/sammachip --shell /usr/sbin/nologin sammachip \
    && mkdir -p /var/lib/sammachip/data \
    && chown -R sammachip:sammachip /var/lib/sammachip
COPY --from=build /opt/sammachip /opt/sammachip
# SQLite (a single server) keeps ./data/sammachip.db here; mount a volume. PostgreSQL: DATABASE_URL.
WORKDIR /var/lib/sammachip
USER sammachip
EXPOSE 8000
# Ready = the database answers with the schema in place (/healthz only says the process is alive).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4)"]
CMD ["sh", "-c", "sammachip migrate && exec sammachip serve --host 0.0.0.0 --port 8000"]
