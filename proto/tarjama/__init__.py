"""tarjama: Arabic-to-English machine translation with enforced glossaries, over gRPC.

The distribution is one import namespace:

- ``tarjama.v1``       the generated API (``translator_pb2``, ``translator_pb2_grpc``)
- ``tarjama.server``   engine, pipeline, batching, gRPC service, model store
- ``tarjama.client``   Python client library and the ``tarjama`` command line
- ``tarjama.glossary`` YAML glossaries, Arabic normalisation and term matching
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("tarjama")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = ["__version__"]
