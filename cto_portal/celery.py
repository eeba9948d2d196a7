"""Celery application.

With ``REDIS_URL`` set, Redis is the broker; without it (``make run``, plain ``make test``)
tasks run eagerly in-process, see ``CELERY_TASK_ALWAYS_EAGER`` in settings.
"""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cto_portal.settings")

app = Celery("cto_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
