"""The MLflow-compatible surface (DESIGN §3.4): the unmodified `mlflow` client tracks,
registers, promotes and loads models here, through the registry's own services."""
