"""Client for the model registry: ports that training code is written against, in-process
defaults, and HTTP adapters for the registry server."""
