"""Webhooks: who wants to hear about which registry events, and the log of every
delivery (one row per event and webhook, updated by each attempt)."""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

EVENT_TYPES = (
    "model_version.created",
    "model_version.stage_changed",
    "alias.set",
    "alias.deleted",
    "promotion.blocked",
    "approval.created",
)
# How Standard Webhooks shows a secret to people; the stored secret is the base64 after it.
SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)


class Webhook(models.Model):
    url = models.URLField(max_length=2000)
    events = models.JSONField(default=list, help_text="Event types this webhook receives.")
    secret = models.CharField(max_length=200, help_text="Base64 of the signing key (shown once, with whsec_).")
    description = models.TextField(blank=True, default="")
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"webhook {self.pk} → {self.url}"


class DeliveryState(models.TextChoices):
    PENDING = "pending", "pending"
    SENT = "sent", "sent"
    FAILED = "failed", "failed"


class Delivery(models.Model):
    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event_type = models.CharField(max_length=100)
    # The same on every attempt (the `webhook-id` header), so receivers can drop repeats.
    msg_id = models.CharField(max_length=64, unique=True)
    payload = models.JSONField(encoder=DjangoJSONEncoder)
    state = models.CharField(max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveIntegerField(null=True, blank=True, help_text="The receiver's last HTTP status.")
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "deliveries"
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="webhooks_delivery_due")]

    def __str__(self) -> str:
        return f"{self.event_type} {self.msg_id} ({self.state})"
