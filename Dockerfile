FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements.txt .
COPY client ./client
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN useradd --system --home /app registry && mkdir -p /app/var && chown registry /app/var
USER registry
EXPOSE 8000
CMD ["sh", "-c", "python manage.py migrate --noinput && python manage.py collectstatic --noinput -v 0 && gunicorn registry_site.wsgi --bind 0.0.0.0:8000 --workers ${WEB_WORKERS:-4} --threads ${WEB_THREADS:-4} --access-logfile -"]
