# One image for web, worker and beat.
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
RUN useradd --create-home --uid 1000 labourhub
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
# collectstatic needs settings but no database or secrets of its own.
RUN DATABASE_URL=postgres://build@localhost/build SECRET_KEY=build-only STATIC_MANIFEST=true \
    python manage.py collectstatic --noinput
USER labourhub
EXPOSE 8000
CMD ["gunicorn", "labourhub.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
