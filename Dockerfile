# partnerbot: one image for `partnerbot run`; several containers may share one PostgreSQL.
FROM python:3.11-slim AS build
WORKDIR /src
COPY . .
# The wheel's build (hatch_build.py) compiles the catalogs into it; the constraints pin what was tested.
RUN pip wheel --no-cache-dir --wheel-dir /wheels -c constraints.txt ".[postgres]"

FROM python:3.11-slim
RUN useradd --system --create-home --uid 10001 partnerbot
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links /wheels "partnerbot[postgres]" && rm -rf /wheels
USER partnerbot
WORKDIR /home/partnerbot
ENV PARTNERBOT_WEB_HOST=0.0.0.0 PARTNERBOT_WEB_PORT=8080
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"
# Migrations run under an advisory lock: containers starting together migrate once, one at a time.
CMD ["sh", "-c", "partnerbot db upgrade && exec partnerbot run"]
