from django.urls import path

from webhooks import api

app_name = "webhooks-api"

urlpatterns = [
    path("webhooks", api.WebhooksApi.as_view(), name="webhooks"),
    path("webhooks/<int:webhook_id>", api.WebhookDetailApi.as_view(), name="webhook"),
    path("webhooks/<int:webhook_id>/deliveries", api.DeliveriesApi.as_view(), name="deliveries"),
]
