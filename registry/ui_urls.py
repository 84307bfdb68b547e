from django.urls import path

from registry import views

app_name = "registry"

urlpatterns = [
    path("", views.home, name="home"),
    path("models/", views.model_list, name="models"),
    path("models/upload/", views.upload, name="upload"),
    path("models/<str:name>/", views.model_detail, name="model"),
    path("models/<str:name>/compare/", views.compare, name="compare"),
    path("models/<str:name>/versions/<int:version>/", views.version_detail, name="version"),
    path("models/<str:name>/versions/<int:version>/stage/", views.change_stage, name="change-stage"),
    path("models/<str:name>/versions/<int:version>/alias/", views.set_alias, name="set-alias"),
    path("models/<str:name>/versions/<int:version>/approve/", views.approve, name="approve"),
    path("models/<str:name>/aliases/<str:alias>/delete/", views.delete_alias, name="delete-alias"),
    path("models/<str:name>/rollback/", views.rollback, name="rollback"),
    path("audit/", views.audit, name="audit"),
]
