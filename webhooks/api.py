"""Webhooks API (staff only). Thin: parse, call a service or selector, render."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from webhooks import selectors, services
from webhooks.models import EVENT_TYPES, SECRET_PREFIX


class StaffOnly(permissions.BasePermission):
    """Anonymous: 401; signed in but not staff: 403 (the services check it again)."""

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.is_staff)


class Pages(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class WebhookOut(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.CharField()
    events = serializers.ListField(child=serializers.CharField())
    description = serializers.CharField()
    active = serializers.BooleanField()
    created_by = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    def get_created_by(self, webhook) -> str | None:
        return webhook.created_by.get_username() if webhook.created_by else None


class WebhookCreated(WebhookOut):
    secret = serializers.SerializerMethodField(help_text="The signing secret: shown here once, never again.")

    def get_secret(self, webhook) -> str:
        return SECRET_PREFIX + webhook.secret


class DeliveryOut(serializers.Serializer):
    id = serializers.IntegerField()
    event_type = serializers.CharField()
    msg_id = serializers.CharField(help_text="The webhook-id header, the same on every attempt.")
    payload = serializers.JSONField()
    state = serializers.CharField()
    attempts = serializers.IntegerField()
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    last_status = serializers.IntegerField(allow_null=True)
    last_error = serializers.CharField()
    created_at = serializers.DateTimeField()
    sent_at = serializers.DateTimeField(allow_null=True)


class WebhooksApi(APIView):
    permission_classes = [StaffOnly]
    pagination_class = Pages

    class CreateIn(serializers.Serializer):
        url = serializers.CharField(max_length=2000)
        events = serializers.ListField(child=serializers.CharField(), help_text=", ".join(EVENT_TYPES))
        secret = serializers.CharField(required=False, help_text="whsec_<base64>; made for you when left out.")
        description = serializers.CharField(required=False, allow_blank=True, default="")

    @extend_schema(responses=WebhookOut(many=True))
    def get(self, request):
        return _paginated(self, request, selectors.webhook_list(), WebhookOut)

    @extend_schema(request=CreateIn, responses={201: WebhookCreated})
    def post(self, request):
        serializer = self.CreateIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        webhook = services.webhook_create(actor=request.user, **serializer.validated_data)
        return Response(WebhookCreated(webhook).data, status=status.HTTP_201_CREATED)


class WebhookDetailApi(APIView):
    permission_classes = [StaffOnly]

    @extend_schema(responses=WebhookOut)
    def get(self, request, webhook_id):
        return Response(WebhookOut(selectors.webhook_get(webhook_id)).data)

    @extend_schema(responses={204: None})
    def delete(self, request, webhook_id):
        services.webhook_delete(actor=request.user, webhook=selectors.webhook_get(webhook_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class DeliveriesApi(APIView):
    permission_classes = [StaffOnly]
    pagination_class = Pages

    @extend_schema(responses=DeliveryOut(many=True))
    def get(self, request, webhook_id):
        return _paginated(self, request, selectors.delivery_list(selectors.webhook_get(webhook_id)), DeliveryOut)


def _paginated(view: APIView, request, items, serializer_class) -> Response:
    paginator = view.pagination_class()
    page = paginator.paginate_queryset(items, request, view=view)
    return paginator.get_paginated_response(serializer_class(page, many=True).data)
