"""Every adapter and every in-process default is an instance of its port, so code typed
against a port takes either; an object missing a method is not."""

import pytest

from registry_client import (
    InMemoryRegistry,
    LineageEvent,
    LineagePort,
    LocalModelServer,
    ModelServerPort,
    NoOpLineage,
    NoOpTracker,
    RegistryPort,
    TrackerPort,
)
from registry_client.http import HttpLineage, HttpModelServer, HttpRegistry, HttpTracker

URL = "http://registry.invalid"  # nothing is sent: constructing an adapter makes no request

PAIRS = [
    (HttpRegistry(URL, "t"), RegistryPort),
    (InMemoryRegistry(), RegistryPort),
    (HttpModelServer(URL, "t"), ModelServerPort),
    (LocalModelServer(), ModelServerPort),
    (HttpTracker(URL, "t", "exp"), TrackerPort),
    (NoOpTracker(), TrackerPort),
    (HttpLineage(URL, "t", "training"), LineagePort),
    (NoOpLineage(), LineagePort),
]


@pytest.mark.parametrize(("adapter", "port"), PAIRS, ids=lambda item: type(item).__name__)
def test_each_adapter_and_default_is_an_instance_of_its_port(adapter, port):
    assert isinstance(adapter, port)


def test_an_object_missing_a_method_is_not_an_instance_of_the_port():
    class RegistersOnly:
        def register(self, model, name, **extras):
            return 1

    assert not isinstance(RegistersOnly(), RegistryPort)
    assert not isinstance(NoOpLineage(), TrackerPort)


def test_the_in_process_defaults_work_without_a_server(iris, iris_model):
    registry = InMemoryRegistry()
    assert registry.register(iris_model, "iris") == 1
    server = LocalModelServer(registry=registry)
    server.load("iris/1")
    assert server.name == "iris"
    assert list(server.predict(iris[0].head(3))) == [0, 0, 0]
    tracker = NoOpTracker()
    tracker.start_run("local")
    tracker.log_metrics({"accuracy": 0.9}, step=1)
    assert tracker.run.metrics == {"accuracy": 0.9}
    assert tracker.log_model(iris_model, "iris") is None
    NoOpLineage().emit(LineageEvent("train", inputs=["s3://lake/iris.csv"]))
