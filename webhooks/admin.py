"""Django admin: webhooks (added through the service, which makes the secret) and the
read-only delivery log, with "send again" for failed deliveries."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages

from registry_site.errors import RegistryError
from webhooks import services
from webhooks.models import SECRET_PREFIX, Delivery, DeliveryState, Webhook


class WebhookForm(forms.ModelForm):
    url = forms.URLField(max_length=2000, assume_scheme="https")

    class Meta:
        model = Webhook
        fields = ["url", "events", "description", "active"]

    def clean_url(self):
        return _checked(services.check_url, self.cleaned_data["url"])

    def clean_events(self):
        return _checked(services.check_events, self.cleaned_data["events"])


def _checked(check, value):
    try:
        return check(value)
    except RegistryError as exc:
        raise forms.ValidationError(exc.message) from None


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    form = WebhookForm
    list_display = ["id", "url", "events", "active", "created_by", "created_at"]
    list_filter = ["active"]
    readonly_fields = ["created_by", "created_at"]

    def save_model(self, request, obj, form, change):
        if change:
            obj.save()
            return
        created = services.webhook_create(
            actor=request.user, url=obj.url, events=obj.events, description=obj.description
        )
        obj.pk = created.pk
        shown = f"{SECRET_PREFIX}{created.secret}"
        self.message_user(request, f"The webhook's signing secret, shown only now: {shown}", messages.WARNING)


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["msg_id", "webhook", "event_type", "state", "attempts", "last_status", "created_at", "sent_at"]
    list_filter = ["state", "event_type"]
    search_fields = ["msg_id", "webhook__url"]
    readonly_fields = [field.name for field in Delivery._meta.fields]
    actions = ["send_again"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(permissions=["view"], description="Send again (failed deliveries)")
    def send_again(self, request, queryset):
        failed = list(queryset.filter(state=DeliveryState.FAILED))
        try:
            for delivery in failed:
                services.delivery_send_again(actor=request.user, delivery=delivery)
        except RegistryError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        self.message_user(request, f"{len(failed)} failed deliveries queued again.", messages.SUCCESS)
