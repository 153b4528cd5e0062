# Sammachip server image: `sammachip migrate` then `sammachip serve` on port 8000.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN groupadd --system --gid 10001 sammachip \
    && useradd --system --uid 10001 --gid sammachip --home-dir /app --shell /usr/sbin/nologin sammachip

WORKDIR /app
COPY pyproject.toml alembic.ini ./
COPY server ./server
COPY sync ./sync
COPY templates ./templates
COPY pwa ./pwa
# Installed in place (editable): the app finds templates/ and pwa/ next to server/.
RUN pip install -e . \
    && mkdir -p /app/data \
    && chown sammachip:sammachip /app/data

USER sammachip
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
CMD ["sh", "-c", "sammachip migrate && exec sammachip serve --host 0.0.0.0 --port 8000"]
