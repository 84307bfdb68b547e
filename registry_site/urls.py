from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from lineage import urls as lineage_urls
from registry_site import accounts
from registry_site.login import AdminLoginForm, LoginForm, answers_429_when_refused

admin.site.login_form = AdminLoginForm

urlpatterns = [
    path("", include("serving.urls")),  # first: invocations are the hot path
    # Before the admin's own route to the same view, which cannot answer 429 by itself.
    path("admin/login/", answers_429_when_refused(admin.site.login)),
    path("admin/", admin.site.urls),
    path(
        "accounts/login/",
        answers_429_when_refused(auth_views.LoginView.as_view(authentication_form=LoginForm)),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/token/", accounts.api_token, name="api-token"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/v1/", include("registry.urls")),
    path("api/v1/", include((lineage_urls.api_urlpatterns, "lineage-api"))),
    path("api/v1/", include("webhooks.urls")),
    path("lineage/", include("lineage.urls")),
    path("", include("mlflow_compat.urls")),
    # Browsers ask for it whatever the page's <link rel="icon"> says.
    path("favicon.ico", RedirectView.as_view(url=static("favicon.svg"), permanent=True), name="favicon"),
    path("", include("registry.ui_urls")),
]

handler400 = "registry_site.errors.handler400"
handler404 = "registry_site.errors.handler404"
handler500 = "registry_site.errors.handler500"
