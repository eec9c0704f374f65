FROM python:3.12-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md alembic.ini ./
COPY inventory_svc ./inventory_svc
COPY scanner_client ./scanner_client
COPY migrations ./migrations
RUN pip install --no-cache-dir . && useradd --system --home /data inventory && mkdir -p /data \
    && chown inventory /data
USER inventory
WORKDIR /data
ENV INVENTORY_HOST=0.0.0.0 INVENTORY_PORT=8000
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --retries=5 \
  CMD python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:8000/ready', timeout=2)" || exit 1
CMD ["inventory-svc", "serve"]
