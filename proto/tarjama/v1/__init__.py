"""Generated gRPC/protobuf modules of the tarjama.v1 API (see translator.proto)."""
