"""The MLflow endpoints, by the MLflow service they belong to: the model registry,
tracking, and the artifact proxy. Thin: they read a Call, call selectors and services,
and answer in MLflow's dialect."""
