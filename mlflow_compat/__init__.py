"""The MLflow-compatible surface (DESIGN §3.4): the unmodified `mlflow` client tracks,
registers, promotes and loads models here. Its tracking rows are its own; every
registry read and write goes through the registry's selectors and services."""
